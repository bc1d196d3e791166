/*
 * strvec.c: the string vector of strvec.h.
 *
 * The array always keeps one slot past n for the NULL terminator, so the
 * vector is an argv at every moment and detach needs no copy.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strvec.h"
#include "xalloc.h"

static const char *
strvec_take(struct strvec *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? 2 * sv->cap : 8;
		sv->v = xrealloc(sv->v, sv->cap * sizeof *sv->v);
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return s;
}

const char *
strvec_push(struct strvec *sv, const char *s)
{
	return strvec_take(sv, xstrdup(s));
}

const char *
strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	return strvec_take(sv, s);
}

void
strvec_pushv(struct strvec *sv, const char *const *v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		strvec_push(sv, v[i]);
}

void
strvec_copy(struct strvec *dst, const struct strvec *src)
{
	for (size_t i = 0; i < src->n; i++)
		strvec_push(dst, src->v[i]);
}

bool
strvec_has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

bool
strvec_remove_one(struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0) {
			free(sv->v[i]);
			sv->v[i] = sv->v[--sv->n];
			sv->v[sv->n] = NULL;
			return true;
		}
	return false;
}

static int
strvec_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strvec_sort_unique(struct strvec *sv)
{
	size_t i, j;

	if (sv->n == 0)
		return;
	qsort(sv->v, sv->n, sizeof *sv->v, strvec_cmp);
	for (i = 1, j = 1; i < sv->n; i++) {
		if (strcmp(sv->v[i], sv->v[j - 1]) == 0)
			free(sv->v[i]);
		else
			sv->v[j++] = sv->v[i];
	}
	sv->n = j;
	sv->v[j] = NULL;
}

void
strvec_clear(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

char **
strvec_detach(struct strvec *sv)
{
	char **v = sv->v != NULL ? sv->v : xcalloc(1, sizeof *v);

	sv->v = NULL;
	sv->n = sv->cap = 0;
	return v;
}

void
strvec_array_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}
