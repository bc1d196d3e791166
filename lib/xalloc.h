/*
 * xalloc.h: allocation that never returns NULL.
 *
 * Running out of memory is not an error a daemon can recover from in any
 * useful way, so these abort with a message instead of making every caller
 * check.  Everything else that can fail returns an error (error.h).
 */
#ifndef SDC_XALLOC_H
#define SDC_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
int xasprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int xvasprintf(char **out, const char *fmt, va_list ap);

#endif
