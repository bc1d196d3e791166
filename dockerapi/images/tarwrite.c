/*
 * tarwrite.c: the tar writer behind `docker save`.
 *
 * A docker-archive holds a handful of folders and files with names we
 * make ourselves, so the writer is small: a ustar header per entry, and a
 * pax extended header before it only for what ustar cannot hold (a name
 * longer than 100 bytes, a size of 8 GiB or more), as Go's archive/tar
 * does.  Owners are root, with no user or group names; the trailer is two
 * zero blocks with no padding to a record size, so the stream ends where
 * Docker's own does.
 *
 * Output is gathered into TARW_BLOCK bytes before each write, so a layer
 * copied in small pieces still reaches the reader in large ones.
 */
#include <stdio.h>
#include <string.h>

#include "images-int.h"
#include "xalloc.h"

#define TARW_BLOCK (64 * 1024)
#define TAR_NAME_MAX 100
#define TAR_SIZE_MAX 077777777777ULL    /* 11 octal digits */

void
tarw_init(struct tarw *w, images_write_fn *write, void *arg)
{
	memset(w, 0, sizeof *w);
	w->write = write;
	w->arg = arg;
}

void
tarw_free(struct tarw *w)
{
	buf_free(&w->out);
}

static int
tarw_flush(struct tarw *w, sdc_error_t *err)
{
	if (!w->failed && w->out.len > 0 &&
	    w->write(w->arg, w->out.data, w->out.len) < 0)
		w->failed = true;
	buf_reset(&w->out);
	if (w->failed)
		return sdc_make_error(err, 0, "writing the archive: the reader "
		    "went away");
	return 0;
}

static int
tarw_put(struct tarw *w, const void *data, size_t len, sdc_error_t *err)
{
	if (w->failed)
		return tarw_flush(w, err);
	if (w->out.len + len > TARW_BLOCK && tarw_flush(w, err) < 0)
		return -1;
	if (len >= TARW_BLOCK) {
		if (w->write(w->arg, data, len) < 0)
			w->failed = true;
		return w->failed ? tarw_flush(w, err) : 0;
	}
	buf_append(&w->out, data, len);
	return 0;
}

static int
tarw_zeros(struct tarw *w, size_t n, sdc_error_t *err)
{
	static const char zero[512];

	while (n > 0) {
		size_t k = n < sizeof zero ? n : sizeof zero;
		if (tarw_put(w, zero, k, err) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* A ustar numeric field: octal, NUL terminated, zero padded. */
static void
tarw_octal(char *field, size_t width, unsigned long long v)
{
	char tmp[32];

	snprintf(tmp, sizeof tmp, "%0*llo", (int)width - 1, v);
	memcpy(field, tmp, width);
}

static int
tarw_block(struct tarw *w, const char *name, char type, unsigned mode,
    unsigned long long size, time_t mtime, sdc_error_t *err)
{
	char h[512] = { 0 };
	unsigned sum = 0;

	memcpy(h, name, strnlen(name, TAR_NAME_MAX));
	tarw_octal(h + 100, 8, mode);
	tarw_octal(h + 108, 8, 0);
	tarw_octal(h + 116, 8, 0);
	tarw_octal(h + 124, 12, size);
	tarw_octal(h + 136, 12, mtime < 0 ? 0 : (unsigned long long)mtime);
	memset(h + 148, ' ', 8);
	h[156] = type;
	memcpy(h + 257, "ustar\0" "00", 8);
	for (size_t i = 0; i < sizeof h; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	return tarw_put(w, h, sizeof h, err);
}

/* One pax record: "LEN key=value\n", where LEN counts itself. */
static void
tarw_pax_record(struct buf *b, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, len = body + 1;

	while (len != body + (size_t)snprintf(NULL, 0, "%zu", len))
		len++;
	buf_printf(b, "%zu %s=%s\n", len, key, value);
}

static int
tarw_pax(struct tarw *w, const char *name, unsigned long long size,
    time_t mtime, sdc_error_t *err)
{
	struct buf rec = BUF_INIT;
	char num[32];
	int rc;

	if (strlen(name) > TAR_NAME_MAX)
		tarw_pax_record(&rec, "path", name);
	if (size > TAR_SIZE_MAX) {
		snprintf(num, sizeof num, "%llu", size);
		tarw_pax_record(&rec, "size", num);
	}
	if (rec.len == 0)
		return 0;
	rc = tarw_block(w, "PaxHeaders/entry", 'x', 0644, rec.len, mtime, err);
	if (rc == 0)
		rc = tarw_put(w, rec.data, rec.len, err);
	if (rc == 0)
		rc = tarw_zeros(w, (512 - rec.len % 512) % 512, err);
	buf_free(&rec);
	return rc;
}

int
tarw_header(struct tarw *w, const char *name, char type, unsigned mode,
    unsigned long long size, time_t mtime, sdc_error_t *err)
{
	if (w->left > 0)
		return sdc_make_error(err, 0, "writing the archive: %llu bytes "
		    "of the previous entry missing", w->left);
	if (tarw_pax(w, name, size, mtime, err) < 0 ||
	    tarw_block(w, name, type, mode, size > TAR_SIZE_MAX ? 0 : size,
	    mtime, err) < 0)
		return -1;
	w->left = size;
	w->pad = (512 - size % 512) % 512;
	return 0;
}

int
tarw_data(struct tarw *w, const void *data, size_t len, sdc_error_t *err)
{
	if (len > w->left)
		return sdc_make_error(err, 0, "writing the archive: %zu bytes "
		    "more than the entry's size", len - (size_t)w->left);
	if (tarw_put(w, data, len, err) < 0)
		return -1;
	w->left -= len;
	if (w->left == 0 && w->pad > 0) {
		if (tarw_zeros(w, w->pad, err) < 0)
			return -1;
		w->pad = 0;
	}
	return 0;
}

int
tarw_close(struct tarw *w, sdc_error_t *err)
{
	if (w->left > 0)
		return sdc_make_error(err, 0, "writing the archive: %llu bytes "
		    "of the last entry missing", w->left);
	if (tarw_zeros(w, 1024, err) < 0)
		return -1;
	return tarw_flush(w, err);
}
