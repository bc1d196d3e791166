/*
 * buf.h: a growable byte buffer.
 *
 * Invariants: `data` is NULL only while `cap` is 0; otherwise data[len] is
 * always a NUL byte, so a buffer of text can be passed as a C string.  A
 * zeroed struct buf (BUF_INIT) is an empty buffer; buf_free() returns it to
 * that state.  Appending never fails (see xalloc.h).
 */
#ifndef SDC_BUF_H
#define SDC_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_grow(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hand the bytes to the caller (never NULL) and leave b empty. */
char *buf_detach(struct buf *b, size_t *len);
/* The text so far: "" for an empty buffer, never NULL. */
const char *buf_str(const struct buf *b);

#endif
