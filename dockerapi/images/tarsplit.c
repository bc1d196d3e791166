/*
 * tarsplit.c: the bytes of a layer tar that are not file contents, so the
 * exact tar -- and so its digest, the diff id -- can be rebuilt from the
 * unpacked folder without keeping the blob.
 *
 * This is Docker's tar-split idea, done small.  While a layer is unpacked,
 * the uncompressed stream passes through tarsplit_feed(), a tokenizer over
 * 512-byte blocks that keeps headers (pax and GNU long-name records too),
 * padding and the trailer, and replaces each regular file's contents with a
 * size.  The unpacker supplies the file names in the same order.  The
 * result is written next to the layer's folder; the image layer trusts it
 * only after rebuilding the tar once and finding the diff id again
 * (layers.c), and keeps the blob instead whenever anything is unusual
 * (sparse files, duplicate names, contents on whiteouts).
 *
 * File format: "SDCTS1\n", then records -- 'R' u64 n, n raw bytes; 'F' u64
 * n, the contents of the next file -- then 'P' u32 count and count names
 * (u32 length, bytes), then 'E' u64 total tar size.  Integers little endian.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images-int.h"
#include "xalloc.h"

#define TS_MAGIC "SDCTS1\n"

enum { TS_HEADER, TS_KEEP, TS_SKIP };

static void
ts_u64(struct buf *b, uint64_t v)
{
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	buf_append(b, x, 8);
}

static void
ts_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	buf_append(b, x, 4);
}

void
tarsplit_init(struct tarsplit *ts)
{
	memset(ts, 0, sizeof *ts);
	ts->state = TS_HEADER;
	ts->pax_size = -1;
	ts->raw_at = (size_t)-1;
	buf_append(&ts->out, TS_MAGIC, strlen(TS_MAGIC));
}

void
tarsplit_free(struct tarsplit *ts)
{
	buf_free(&ts->out);
	buf_free(&ts->pax);
	strvec_clear(&ts->names);
}

/* Append raw bytes to the open 'R' record, opening one if needed. */
static void
ts_raw(struct tarsplit *ts, const void *p, size_t n)
{
	uint64_t len = 0;

	if (n == 0)
		return;
	if (ts->raw_at == (size_t)-1) {
		buf_putc(&ts->out, 'R');
		ts->raw_at = ts->out.len;
		ts_u64(&ts->out, 0);
	}
	buf_append(&ts->out, p, n);
	for (int i = 7; i >= 0; i--)
		len = (len << 8) | (unsigned char)ts->out.data[ts->raw_at + (size_t)i];
	len += n;
	for (int i = 0; i < 8; i++)
		ts->out.data[ts->raw_at + (size_t)i] = (char)(len >> (8 * i));
	ts->total += n;
}

static void
ts_content(struct tarsplit *ts, uint64_t n)
{
	ts->raw_at = (size_t)-1;
	buf_putc(&ts->out, 'F');
	ts_u64(&ts->out, n);
	ts->files++;
	ts->total += n;
}

static int64_t
ts_size_field(const unsigned char *f)
{
	int64_t v = 0;

	if (f[0] & 0x80) {	/* base-256 */
		if (f[0] & 0x40)
			return -1;
		v = f[0] & 0x3f;
		for (int i = 1; i < 12; i++) {
			if (v > (INT64_MAX >> 8))
				return -1;	/* no file is that large */
			v = (v << 8) | f[i];
		}
		return v;
	}
	for (int i = 0; i < 12 && f[i] != '\0' && f[i] != ' '; i++) {
		if (f[i] < '0' || f[i] > '7')
			return -1;
		v = v * 8 + (f[i] - '0');
	}
	return v;
}

/* "NN size=123\n" records of a pax header set the next entry's size. */
static void
ts_pax_parse(struct tarsplit *ts)
{
	const char *p = ts->pax.data, *end = p + ts->pax.len;

	while (p != NULL && p < end) {
		char *sp;
		long n = strtol(p, &sp, 10);
		if (n <= 0 || p + n > end || *sp != ' ')
			break;
		if (strncmp(sp + 1, "size=", 5) == 0)
			ts->pax_size = strtoll(sp + 6, NULL, 10);
		p += n;
	}
	buf_reset(&ts->pax);
}

static void
ts_header(struct tarsplit *ts)
{
	const unsigned char *h = ts->hdr;
	char type = (char)h[156];
	int64_t size;
	bool zero = true;

	for (int i = 0; i < 512 && zero; i++)
		zero = h[i] == 0;
	ts_raw(ts, h, 512);
	if (zero)
		return;
	size = ts_size_field(h + 124);
	if (ts->pax_size >= 0 && type != 'x' && type != 'g') {
		size = ts->pax_size;
		ts->pax_size = -1;
	}
	if (size < 0) {
		ts->invalid = true;
		size = 0;
	}
	ts->pad = (uint64_t)((512 - size % 512) % 512);
	if (type == 'S')
		ts->invalid = true;
	ts->in_pax = type == 'x';
	if ((type == '0' || type == '\0' || type == '7') && size > 0) {
		ts->state = TS_SKIP;
		ts->remain = (uint64_t)size;
		ts_content(ts, (uint64_t)size);
	} else if (size > 0) {
		ts->state = TS_KEEP;
		ts->remain = (uint64_t)size + ts->pad;
		ts->pad = 0;
	}
}

void
tarsplit_feed(struct tarsplit *ts, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t n;
		switch (ts->state) {
		case TS_HEADER:
			n = 512 - ts->hlen < len ? 512 - ts->hlen : len;
			memcpy(ts->hdr + ts->hlen, p, n);
			ts->hlen += n;
			if (ts->hlen == 512) {
				ts->hlen = 0;
				ts_header(ts);
			}
			break;
		case TS_KEEP:
			n = ts->remain < len ? (size_t)ts->remain : len;
			ts_raw(ts, p, n);
			if (ts->in_pax)
				buf_append(&ts->pax, p, n);
			ts->remain -= n;
			if (ts->remain == 0) {
				if (ts->in_pax)
					ts_pax_parse(ts);
				ts->in_pax = false;
				ts->state = TS_HEADER;
			}
			break;
		default:	/* TS_SKIP: file contents, then padding kept */
			n = ts->remain < len ? (size_t)ts->remain : len;
			ts->remain -= n;
			if (ts->remain == 0) {
				ts->state = ts->pad ? TS_KEEP : TS_HEADER;
				ts->remain = ts->pad;
				ts->pad = 0;
			}
			break;
		}
		p += n;
		len -= n;
	}
}

void
tarsplit_name(struct tarsplit *ts, const char *rel)
{
	strvec_push(&ts->names, rel);
}

int
tarsplit_write(struct tarsplit *ts, const char *path, sdc_error_t *err)
{
	if (ts->hlen > 0)
		ts_raw(ts, ts->hdr, ts->hlen);	/* a stream not ending on a block */
	ts->hlen = 0;
	if (ts->invalid || ts->state != TS_HEADER || ts->names.n != ts->files)
		return sdc_make_error(err, 0, "tar-split: layer not reproducible");
	buf_putc(&ts->out, 'P');
	ts_u32(&ts->out, (uint32_t)ts->names.n);
	for (size_t i = 0; i < ts->names.n; i++) {
		ts_u32(&ts->out, (uint32_t)strlen(ts->names.v[i]));
		buf_puts(&ts->out, ts->names.v[i]);
	}
	buf_putc(&ts->out, 'E');
	ts_u64(&ts->out, ts->total);
	return file_write_atomic(path, ts->out.data, ts->out.len, 0644, err);
}

/* ---- reading back ---- */

struct ts_reader {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t
ts_get(struct ts_reader *r, int bytes)
{
	uint64_t v = 0;

	if (r->end - r->p < bytes) {
		r->bad = true;
		return 0;
	}
	for (int i = bytes - 1; i >= 0; i--)
		v = (v << 8) | r->p[i];
	r->p += bytes;
	return v;
}

/* The names table sits after the records; find it first. */
static int
ts_names(const struct buf *b, struct strvec *names, uint64_t *total)
{
	struct ts_reader r = { NULL, NULL, false };

	if (b->len < strlen(TS_MAGIC) ||
	    memcmp(b->data, TS_MAGIC, strlen(TS_MAGIC)) != 0)
		return -1;
	r.p = (const unsigned char *)b->data + strlen(TS_MAGIC);
	r.end = (const unsigned char *)b->data + b->len;
	r.bad = false;
	while (!r.bad && r.p < r.end && *r.p != 'P') {
		char kind = (char)*r.p++;
		uint64_t n = ts_get(&r, 8);
		if (kind == 'R') {
			if ((uint64_t)(r.end - r.p) < n)
				return -1;
			r.p += n;
		} else if (kind != 'F')
			return -1;
	}
	if (r.bad || r.p >= r.end)
		return -1;
	r.p++;
	for (uint64_t i = 0, n = ts_get(&r, 4); !r.bad && i < n; i++) {
		uint64_t len = ts_get(&r, 4);
		if (r.bad || (uint64_t)(r.end - r.p) < len)
			return -1;
		char *s = xstrndup((const char *)r.p, (size_t)len);
		strvec_push(names, s);
		free(s);
		r.p += len;
	}
	if (r.bad || r.p >= r.end || *r.p++ != 'E')
		return -1;
	*total = ts_get(&r, 8);
	return r.bad ? -1 : 0;
}

static int
ts_copy_file(const char *dir, const char *name, uint64_t n, images_write_fn *write,
    void *arg, char *chunk, sdc_error_t *err)
{
	char *path;
	int fd;

	xasprintf(&path, "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return sdc_make_error(err, errno, "tar-split: %s", name);
	while (n > 0) {
		ssize_t got = read(fd, chunk, n < 131072 ? (size_t)n : 131072);
		if (got <= 0) {
			close(fd);
			return sdc_make_error(err, got < 0 ? errno : 0,
			    "tar-split: %s is shorter than recorded", name);
		}
		if (write(arg, chunk, (size_t)got) < 0) {
			close(fd);
			return sdc_make_error(err, 0, "writing the layer");
		}
		n -= (uint64_t)got;
	}
	close(fd);
	return 0;
}

int
tarsplit_size(const char *split, int64_t *size, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	struct strvec names = { 0 };
	uint64_t total = 0;
	int rc = file_read(split, &b, 1u << 30, err);

	if (rc == 0 && ts_names(&b, &names, &total) < 0)
		rc = sdc_make_error(err, 0, "%s: damaged tar-split", split);
	*size = (int64_t)total;
	strvec_clear(&names);
	buf_free(&b);
	return rc;
}

int
tarsplit_rebuild(const char *split, const char *dir, images_write_fn *write,
    void *arg, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	struct strvec names = { 0 };
	struct ts_reader r = { NULL, NULL, false };
	uint64_t total;
	size_t k = 0;
	char *chunk = NULL;
	int rc = file_read(split, &b, 1u << 30, err);

	if (rc == 0 && ts_names(&b, &names, &total) < 0)
		rc = sdc_make_error(err, 0, "%s: damaged tar-split", split);
	if (rc == 0) {	/* ts_names found the magic */
		r.p = (const unsigned char *)b.data + strlen(TS_MAGIC);
		r.end = (const unsigned char *)b.data + b.len;
		r.bad = false;
	}
	chunk = xmalloc(131072);
	while (rc == 0 && r.p < r.end && *r.p != 'P') {
		char kind = (char)*r.p++;
		uint64_t n = ts_get(&r, 8);
		if (kind == 'R') {
			if (write(arg, r.p, (size_t)n) < 0)
				rc = sdc_make_error(err, 0, "writing the layer");
			r.p += n;
		} else if (k >= names.n)
			rc = sdc_make_error(err, 0, "%s: damaged tar-split", split);
		else
			rc = ts_copy_file(dir, names.v[k++], n, write, arg, chunk, err);
	}
	free(chunk);
	strvec_clear(&names);
	buf_free(&b);
	return rc;
}
