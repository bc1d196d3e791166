/*
 * layer-send.c: the head's side of a layer moved to a compute node that
 * lacks it (the node's side, and why, in layer-receive.c).
 *
 * The head sends what its store keeps.  A layer whose registry blob is
 * still kept (no tar-split could replace it) goes as it is, when its
 * media type is one a node takes (layer-receive.c); any other goes as
 * the gzip a push makes of it (push.c: the tar rebuilt from the
 * tar-split and checked against the diff id, compressed once,
 * deterministically, and kept beside the layer), so the second node that
 * needs it costs no compression and every node gets the same bytes.  The
 * layer and its blob are pinned from the moment the create is prepared
 * (owner thread) until the send is over (any thread), so an rmi meanwhile
 * does not take them away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images-int.h"
#include "xalloc.h"

#define SEND_GZIP_MEDIA "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct images_layer_send {
	struct images *im;
	char *diff_id;
	char *digest;           /* the blob the store recorded */
	char *media_type;
	char *path;             /* what goes: the kept blob, or push.gz */
	char up_digest[72];
	int64_t up_size;
	char *up_media;
};

int
images_layer_send_new(struct images *im, const char *diff_id,
    struct images_layer_send **out, sdc_error_t *err)
{
	struct images_layer_send *s;
	struct store_stmt *q;
	int rc;

	*out = NULL;
	if (!digest_valid(diff_id) || !layers_exists(im, diff_id))
		return sdc_make_error_code(err, 404, "layer %s is not in the "
		    "image store", diff_id);
	if ((q = meta_query(im, err, "SELECT blob, media_type FROM image_layers "
	    "WHERE diff_id = ? ORDER BY image_id, idx LIMIT 1", "t",
	    diff_id)) == NULL)
		return -1;
	if ((rc = store_step(q, err)) <= 0) {
		store_finalize(q);
		return rc < 0 ? -1 : sdc_make_error_code(err, 404, "layer %s "
		    "belongs to no image", diff_id);
	}
	s = xcalloc(1, sizeof *s);
	s->im = im;
	s->diff_id = xstrdup(diff_id);
	s->digest = xstrdup(store_col_text(q, 0));
	s->media_type = xstrdup(store_col_text(q, 1));
	store_finalize(q);
	images_pin(im, s->diff_id);
	images_pin(im, s->digest);
	*out = s;
	return 0;
}

int
images_layer_send_open(struct images_layer_send *s, atomic_int *cancel,
    int *fd, const char **digest, const char **media_type, int64_t *size,
    sdc_error_t *err)
{
	struct stat sb;
	char *blob = blobs_path(s->im, s->digest);

	*fd = -1;
	free(s->path);
	s->path = NULL;
	free(s->up_media);
	if (layer_media_ok(s->media_type) && blobs_exists(s->im, s->digest) &&
	    stat(blob, &sb) == 0) {
		s->path = blob;
		snprintf(s->up_digest, sizeof s->up_digest, "%s", s->digest);
		s->up_size = sb.st_size;
		s->up_media = xstrdup(s->media_type);
	} else {
		free(blob);
		if (push_layer_gz(s->im, s->diff_id, s->digest, cancel, &s->path,
		    s->up_digest, &s->up_size, err) < 0)
			return -1;
		s->up_media = xstrdup(SEND_GZIP_MEDIA);
	}
	if ((*fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0)
		return sdc_make_error(err, errno, "reading layer %s", s->diff_id);
	*digest = s->up_digest;
	*media_type = s->up_media;
	*size = s->up_size;
	return 0;
}

void
images_layer_send_free(struct images_layer_send *s)
{
	if (s == NULL)
		return;
	images_unpin(s->im, s->diff_id);
	images_unpin(s->im, s->digest);
	free(s->diff_id);
	free(s->digest);
	free(s->media_type);
	free(s->path);
	free(s->up_media);
	free(s);
}
