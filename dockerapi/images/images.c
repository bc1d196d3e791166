/*
 * images.c: the images object -- its folders, its registry settings, and
 * the pin set.
 *
 * Pins are how worker threads and the owner's garbage collection agree
 * without the store: a job pins every blob and layer digest it is about to
 * use or create, and keeps the pins until the owner has committed (or
 * rolled back) its result; the collector never removes a pinned digest.
 * The set is a multiset in a vector: pulls hold a few dozen digests at a
 * time, so a linear scan is the cheap choice.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "images-int.h"
#include "xalloc.h"

static int
images_make_dirs(struct images *im, sdc_error_t *err)
{
	sdc_error_t e2 = NULL;
	int rc;

	char *pins;

	if (mkdir_p(im->blobdir, 0700, err) < 0 || mkdir_p(im->layerdir, 0700, err) < 0)
		return -1;
	xasprintf(&pins, "%s/pins", im->root);	/* pin-files.c */
	rc = mkdir_p(pins, 0700, err);
	free(pins);
	if (rc < 0)
		return -1;
	/* whatever a crash left in tmp/ is incomplete by construction */
	rc = fs_rmtree(im->tmpdir, &e2);
	sdc_error_release(&e2);
	(void)rc;
	return mkdir_p(im->tmpdir, 0700, err);
}

int
images_open(struct images **out, struct store *st, const struct images_opts *opts,
    sdc_error_t *err)
{
	struct images *im;
	char *root, real[PATH_MAX];

	xasprintf(&root, "%s/images", opts->datadir);
	if (mkdir_p(root, 0700, err) < 0) {
		free(root);
		return sdc_error_wrap(err, "opening the image store");
	}
	if (realpath(root, real) == NULL) {
		int e = errno;
		free(root);
		return sdc_make_error(err, e, "opening the image store");
	}
	free(root);
	im = xcalloc(1, sizeof *im);
	im->st = st;
	im->root = xstrdup(real);
	xasprintf(&im->blobdir, "%s/blobs/sha256", real);
	xasprintf(&im->layerdir, "%s/layers", real);
	xasprintf(&im->tmpdir, "%s/tmp", real);
	pthread_mutex_init(&im->pin_lock, NULL);
	images_configure(im, opts->mirror, opts->insecure, opts->allow_private);
	im->max_downloads = opts->max_downloads > 0 ? opts->max_downloads : 3;
	if (images_make_dirs(im, err) < 0 || meta_open(im, err) < 0) {
		images_close(im);
		return sdc_error_wrap(err, "opening the image store");
	}
	*out = im;
	return 0;
}

void
images_close(struct images *im)
{
	if (im == NULL)
		return;
	meta_close(im);
	free(im->root);
	free(im->blobdir);
	free(im->layerdir);
	free(im->tmpdir);
	free(im->mirror);
	strvec_clear(&im->insecure);
	strvec_clear(&im->allow_private);
	strvec_clear(&im->pins);
	pinfile_close_all(im);
	pthread_mutex_destroy(&im->pin_lock);
	free(im);
}

void
images_configure(struct images *im, const char *mirror, const char *const *insecure,
    const char *const *allow_private)
{
	free(im->mirror);
	im->mirror = mirror && *mirror ? xstrdup(mirror) : NULL;
	strvec_clear(&im->insecure);
	for (size_t i = 0; insecure != NULL && insecure[i] != NULL; i++)
		strvec_push(&im->insecure, insecure[i]);
	strvec_clear(&im->allow_private);
	for (size_t i = 0; allow_private != NULL && allow_private[i] != NULL; i++)
		strvec_push(&im->allow_private, allow_private[i]);
}

char *
images_layer_dir(struct images *im, const char *diff_id)
{
	char *p;

	xasprintf(&p, "%s/%s/diff", im->layerdir,
	    digest_valid(diff_id) ? digest_hex(diff_id) : "invalid");
	return p;
}

void
images_pin(struct images *im, const char *digest)
{
	pthread_mutex_lock(&im->pin_lock);
	if (!strvec_has(&im->pins, digest))
		pinfile_first(im, digest);
	strvec_push(&im->pins, digest);
	pthread_mutex_unlock(&im->pin_lock);
}

void
images_unpin(struct images *im, const char *digest)
{
	pthread_mutex_lock(&im->pin_lock);
	for (size_t i = 0; i < im->pins.n; i++) {
		if (strcmp(im->pins.v[i], digest) != 0)
			continue;
		free(im->pins.v[i]);
		im->pins.v[i] = im->pins.v[--im->pins.n];
		im->pins.v[im->pins.n] = NULL;
		if (!strvec_has(&im->pins, digest))
			pinfile_last(im, digest);
		break;
	}
	pthread_mutex_unlock(&im->pin_lock);
}

bool
images_pinned(struct images *im, const char *digest)
{
	bool found;

	pthread_mutex_lock(&im->pin_lock);
	found = strvec_has(&im->pins, digest);
	pthread_mutex_unlock(&im->pin_lock);
	return found;
}
