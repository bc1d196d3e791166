/*
 * tarout.c: libarchive's tar writer, configured once for the whole tree
 * (see tarout.h for the shape of what it writes).
 *
 * pax "restricted" is libarchive's name for what Go's archive/tar (and so
 * Docker) writes: plain ustar headers, and an extended header before an
 * entry only when ustar cannot say it.  Blocks of TAROUT_BLOCK bytes keep
 * the writes large; a last block of 1 byte means no padding after the
 * trailer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "tarout.h"

struct tarout_sink {
	tarout_write_fn *write;
	void *arg;
};

static la_ssize_t
tarout_cb_write(struct archive *a, void *arg, const void *data, size_t len)
{
	struct tarout_sink *s = arg;

	if (s->write(s->arg, data, len) < 0) {
		archive_set_error(a, EPIPE, "the reader went away");
		return -1;
	}
	return (la_ssize_t)len;
}

static int
tarout_cb_free(struct archive *a, void *arg)
{
	(void)a;
	free(arg);
	return ARCHIVE_OK;
}

static int
tarout_fail(struct archive *a, sdc_error_t *err)
{
	const char *m = archive_error_string(a);

	return sdc_make_error(err, archive_errno(a) > 0 ? archive_errno(a) : 0,
	    "writing the archive: %s", m != NULL ? m : "failed");
}

struct archive *
tarout_new(tarout_write_fn *write, void *arg, sdc_error_t *err)
{
	struct archive *a = archive_write_new();
	struct tarout_sink *s = malloc(sizeof *s);

	if (a == NULL || s == NULL) {
		free(s);
		if (a != NULL)
			archive_write_free(a);
		sdc_make_error(err, ENOMEM, "writing the archive");
		return NULL;
	}
	s->write = write;
	s->arg = arg;
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, TAROUT_BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, s, NULL, tarout_cb_write, NULL,
	    tarout_cb_free) != ARCHIVE_OK) {
		tarout_fail(a, err);
		archive_write_free(a);
		return NULL;
	}
	return a;
}

int
tarout_header(struct archive *a, struct archive_entry *e, sdc_error_t *err)
{
	if (archive_write_header(a, e) < ARCHIVE_WARN)
		return tarout_fail(a, err);
	return 0;
}

int
tarout_entry(struct archive *a, const char *name, unsigned type,
    unsigned mode, int64_t size, time_t mtime, sdc_error_t *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, mode);
	archive_entry_set_size(e, type == AE_IFREG ? size : 0);
	archive_entry_set_mtime(e, mtime < 0 ? 0 : mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	rc = tarout_header(a, e, err);
	archive_entry_free(e);
	return rc;
}

int
tarout_data(struct archive *a, const void *data, size_t len, sdc_error_t *err)
{
	const char *p = data;

	while (len > 0) {
		la_ssize_t n = archive_write_data(a, p, len);
		if (n < 0)
			return tarout_fail(a, err);
		if (n == 0)
			return sdc_make_error(err, 0, "writing the archive: %zu "
			    "bytes more than the entry's size", len);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
tarout_file(struct archive *a, const char *name, const void *data,
    size_t len, time_t mtime, sdc_error_t *err)
{
	if (tarout_entry(a, name, AE_IFREG, 0644, (int64_t)len, mtime, err) < 0)
		return -1;
	return tarout_data(a, data, len, err);
}

int
tarout_close(struct archive *a, sdc_error_t *err)
{
	int rc = 0;

	if (a == NULL)
		return 0;
	if (archive_write_close(a) != ARCHIVE_OK)
		rc = tarout_fail(a, err);
	archive_write_free(a);
	return rc;
}
