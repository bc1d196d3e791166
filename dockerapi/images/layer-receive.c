/*
 * layer-receive.c: a layer a head sent to this compute node, checked on
 * arrival as a pull checks a registry's blob, into the node's own layer
 * store (the agent's --images: <diff hex>/diff, the shape of the head's).
 *
 * A node's agent trusts nothing it is told: whoever holds a head's
 * certificate may send.  The bytes are written to a temp file beside the
 * store while hashed; a body longer than declared is cut off at once, a
 * shorter one (the connection cut) or one whose digest differs is dropped
 * before anything is unpacked.  The verified blob is then unpacked by
 * layers_unpack, the head's own unpacker with its refusals (no absolute
 * name, no "..", nothing through a symlink, no device node) and its
 * whiteouts, into a temp folder renamed into place only when the
 * uncompressed stream hashes to the diff id the layer is stored under;
 * the uncompressed bytes are bounded (a gzip bomb stops there).  Two
 * uploads of one layer at once each unpack into their own temp folder,
 * and the second rename finds the first's layer and drops its own.
 * Whatever fails leaves nothing in the store.  Only the unpacking half
 * of the library is used: the node has no image records.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images-int.h"
#include "xalloc.h"

#define RECEIVE_CHUNK (128 * 1024)

struct images_node_store {
	struct images im;       /* layerdir and tmpdir only: no store */
};

/* The layer media types of Docker's and OCI's image specs, foreign and
 * non-distributable ones apart (images-int.h). */
bool
layer_media_ok(const char *m)
{
	static const char *const ok[] = {
		"application/vnd.docker.image.rootfs.diff.tar",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		NULL,
	};

	for (size_t i = 0; ok[i] != NULL; i++)
		if (strcmp(m, ok[i]) == 0)
			return true;
	return false;
}

int
images_node_store_open(struct images_node_store **out, const char *layers,
    sdc_error_t *err)
{
	struct images_node_store *ns;
	char real[PATH_MAX];
	sdc_error_t e2 = NULL;

	*out = NULL;
	if (mkdir_p(layers, 0700, err) < 0)
		return sdc_error_wrap(err, "the layer store");
	if (realpath(layers, real) == NULL)
		return sdc_make_error(err, errno, "the layer store %s", layers);
	ns = xcalloc(1, sizeof *ns);
	ns->im.root = xstrdup(real);
	ns->im.layerdir = xstrdup(real);
	xasprintf(&ns->im.tmpdir, "%s/" IMAGES_NODE_INCOMING, real);
	ns->im.blobdir = xstrdup(ns->im.tmpdir);
	pthread_mutex_init(&ns->im.pin_lock, NULL);
	/* what an agent killed mid-upload left is incomplete by construction */
	(void)fs_rmtree(ns->im.tmpdir, &e2);
	sdc_error_release(&e2);
	if (mkdir_p(ns->im.tmpdir, 0700, err) < 0) {
		images_node_store_close(ns);
		return sdc_error_wrap(err, "the layer store");
	}
	*out = ns;
	return 0;
}

void
images_node_store_close(struct images_node_store *ns)
{
	if (ns == NULL)
		return;
	free(ns->im.root);
	free(ns->im.layerdir);
	free(ns->im.tmpdir);
	free(ns->im.blobdir);
	strvec_clear(&ns->im.pins);
	pthread_mutex_destroy(&ns->im.pin_lock);
	free(ns);
}

bool
images_node_has_layer(struct images_node_store *ns, const char *diff_id)
{
	return layers_exists(&ns->im, diff_id);
}

/* Up to len bytes from fd, waiting at most idle_ms for any: 0 at its
 * end, -1 with *err. */
static ssize_t
receive_read(int fd, void *buf, size_t len, int idle_ms, sdc_error_t *err)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	for (;;) {
		if ((r = poll(&p, 1, idle_ms > 0 ? idle_ms : -1)) < 0 &&
		    errno == EINTR)
			continue;
		if (r == 0)
			return sdc_make_error_code(err, 408, "the layer's body "
			    "stalled: nothing came for %d s", idle_ms / 1000);
		if ((n = read(fd, buf, len)) < 0 && (errno == EINTR ||
		    errno == EAGAIN))
			continue;
		if (n < 0)
			return sdc_make_error(err, errno, "reading the layer");
		return n;
	}
}

/* The body into a temp blob, hashed as it comes: exactly up->size bytes
 * hashing to up->digest. */
static int
receive_spool(struct images_node_store *ns, int fd,
    const struct images_node_upload *up, struct blob_writer *w,
    sdc_error_t *err)
{
	char *chunk = xmalloc(RECEIVE_CHUNK), got[72];
	ssize_t n;
	int rc = 0;

	if (blob_writer_open(w, &ns->im, err) < 0) {
		free(chunk);
		return -1;
	}
	while (rc == 0 && (n = receive_read(fd, chunk, RECEIVE_CHUNK,
	    up->idle_ms, err)) != 0) {
		if (n < 0)
			rc = -1;
		else if (up->cancel != NULL && atomic_load(up->cancel))
			rc = sdc_make_error_code(err, 500, "cancelled");
		else if (w->size + n > up->size)
			rc = sdc_make_error_code(err, 400, "the layer's blob is "
			    "longer than its declared %" PRId64 " bytes", up->size);
		else
			rc = blob_writer_write(w, chunk, (size_t)n, err);
	}
	free(chunk);
	if (rc == 0 && w->size < up->size)
		rc = sdc_make_error_code(err, 400, "truncated blob: %" PRId64
		    " of %" PRId64 " bytes came", w->size, up->size);
	if (rc == 0 && blob_writer_verify(w, up->digest, up->size, got, err) < 0) {
		sdc_error_release(err);
		rc = sdc_make_error_code(err, 400, "filesystem layer verification "
		    "failed for digest %s: the blob hashes to %s", up->digest, got);
	}
	if (rc < 0)
		blob_writer_abort(w);
	return rc;
}

int
images_node_receive(struct images_node_store *ns, int fd,
    const struct images_node_upload *up, bool *created, sdc_error_t *err)
{
	struct images_budget budget = { .limit = up->max_unpacked,
		.left = up->max_unpacked };
	struct layer_result res;
	struct blob_writer w;
	int rc;

	*created = false;
	if (!digest_valid(up->diff_id) || !digest_valid(up->digest))
		return sdc_make_error_code(err, 400, "a layer is named by its "
		    "sha256 digests (diff id and blob)");
	if (!layer_media_ok(up->media_type))
		return sdc_make_error_code(err, 400, "%s is no layer media type "
		    "this node takes", up->media_type);
	if (up->size <= 0)
		return sdc_make_error_code(err, 400, "the blob's size must be "
		    "declared");
	atomic_init(&budget.stored, 0);
	atomic_init(&budget.unpacked, 0);
	if (receive_spool(ns, fd, up, &w, err) < 0)
		return -1;
	rc = layers_unpack(&ns->im, w.tmp, up->diff_id, NULL, NULL, up->cancel,
	    up->max_unpacked >= 0 ? &budget : NULL, &res, err);
	blob_writer_abort(&w);  /* unpacked or not, the blob goes */
	if (rc < 0 && (*err)->code == 403) {
		/* the budget's words are an account's quota: say the node's */
		sdc_error_release(err);
		return sdc_make_error_code(err, 507, "the layer unpacks to more "
		    "than the %" PRId64 " bytes this node can take",
		    up->max_unpacked);
	}
	if (rc < 0) {
		/* a verified blob that does not unpack (a hostile entry, a
		 * diff id mismatch) is the sender's; a system call's failure
		 * (errnum set) the node's */
		if ((*err)->code == 500 && (*err)->errnum == 0)
			(*err)->code = 400;
		return -1;
	}
	*created = res.created;
	return 0;
}
