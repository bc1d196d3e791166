/*
 * blobs.c: the content-addressed blob store, blobs/sha256/<hex>.
 *
 * A blob is never visible under its name until it is known to be that
 * blob: bytes go to a temp file in tmp/ (same filesystem) while they are
 * hashed, and only a matching digest and size lead to fsync and rename.
 * Anything else -- a mismatch, a short read, a cancelled transfer --
 * unlinks the temp file, so a failed transfer leaves nothing behind.
 * Two jobs fetching the same blob at once both succeed: rename() replaces
 * one verified copy with another identical one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images-int.h"
#include "xalloc.h"

char *
blobs_path(struct images *im, const char *digest)
{
	char *p;

	xasprintf(&p, "%s/%s", im->blobdir, digest_hex(digest));
	return p;
}

bool
blobs_exists(struct images *im, const char *digest)
{
	struct stat sb;
	char *p;
	bool ok;

	if (!digest_valid(digest))
		return false;
	p = blobs_path(im, digest);
	ok = stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
	free(p);
	return ok;
}

int
blob_writer_open(struct blob_writer *w, struct images *im, sdc_error_t *err)
{
	memset(w, 0, sizeof *w);
	w->im = im;
	w->tmp = tmp_name(im->tmpdir, "blob");
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int e = errno;
		free(w->tmp);
		w->tmp = NULL;
		return sdc_make_error(err, e, "creating a blob in %s", im->tmpdir);
	}
	w->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(w->md, EVP_sha256(), NULL);
	return 0;
}

int
blob_writer_write(struct blob_writer *w, const void *data, size_t len,
    sdc_error_t *err)
{
	const char *p = data;

	EVP_DigestUpdate(w->md, data, len);
	w->size += (int64_t)len;
	while (len > 0) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sdc_make_error(err, errno, "writing a blob");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void
blob_writer_abort(struct blob_writer *w)
{
	if (w->md == NULL)
		return;
	close(w->fd);
	w->fd = -1;
	if (w->tmp != NULL)
		unlink(w->tmp);
	free(w->tmp);
	w->tmp = NULL;
	EVP_MD_CTX_free(w->md);
	w->md = NULL;
}

int
blob_writer_verify(struct blob_writer *w, const char *want, int64_t want_size,
    char got[72], sdc_error_t *err)
{
	char digest[72];
	int rc = 0;

	digest_final(w->md, digest);
	if (got != NULL)
		memcpy(got, digest, 72);
	if (want_size >= 0 && w->size != want_size)
		rc = sdc_make_error_code(err, 500, "%s: %s: expected %lld bytes, got %lld",
		    want ? want : "blob", w->size < want_size ? "truncated blob" :
		    "blob larger than its descriptor", (long long)want_size,
		    (long long)w->size);
	else if (want != NULL && strcmp(want, digest) != 0)
		rc = sdc_make_error_code(err, 500,
		    "filesystem layer verification failed for digest %s: got %s",
		    want, digest);
	if (rc < 0)
		blob_writer_abort(w);
	return rc;
}

int
blob_writer_keep(struct blob_writer *w, const char *digest, sdc_error_t *err)
{
	char *dst;
	int rc = 0;

	if (fsync(w->fd) < 0)
		rc = sdc_make_error(err, errno, "syncing a blob");
	if (rc == 0) {
		dst = blobs_path(w->im, digest);
		if (rename(w->tmp, dst) < 0)
			rc = sdc_make_error(err, errno, "storing blob %s", digest);
		else {
			free(w->tmp);
			w->tmp = NULL;
		}
		free(dst);
	}
	blob_writer_abort(w);
	return rc;
}

int
blob_writer_commit(struct blob_writer *w, const char *want, int64_t want_size,
    char got[72], sdc_error_t *err)
{
	char digest[72];

	if (blob_writer_verify(w, want, want_size, digest, err) < 0)
		return -1;
	if (got != NULL)
		memcpy(got, digest, 72);
	return blob_writer_keep(w, digest, err);
}

int
blobs_put(struct images *im, const void *data, size_t len, const char *want,
    char got[72], sdc_error_t *err)
{
	struct blob_writer w;

	if (blob_writer_open(&w, im, err) < 0)
		return -1;
	if (blob_writer_write(&w, data, len, err) < 0) {
		blob_writer_abort(&w);
		return -1;
	}
	return blob_writer_commit(&w, want, -1, got, err);
}
