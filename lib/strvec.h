/*
 * strvec.h: a growable, NULL-terminated vector of strings, the one the
 * whole tree uses (argv for a child, a list of ids, allowed hosts...).
 *
 * Invariants: a zeroed struct strvec (STRVEC_INIT) is empty; once anything
 * was pushed, v[n] is NULL, so v can be passed as an argv.  The vector owns
 * its strings: push copies, clear frees them and returns the vector to the
 * empty state, detach hands the array to the caller, who frees it with
 * strvec_array_free().  Pushing never fails (see xalloc.h).
 */
#ifndef SDC_STRVEC_H
#define SDC_STRVEC_H

#include <stdbool.h>
#include <stddef.h>

struct strvec {
	char **v;
	size_t n;
	size_t cap;
};

#define STRVEC_INIT { NULL, 0, 0 }

/* Append a copy of s; returns the copy. */
const char *strvec_push(struct strvec *sv, const char *s);
const char *strvec_pushf(struct strvec *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append a copy of each string of a NULL-terminated array (NULL: none). */
void strvec_pushv(struct strvec *sv, const char *const *v);
/* Append a copy of every string of src to dst. */
void strvec_copy(struct strvec *dst, const struct strvec *src);
bool strvec_has(const struct strvec *sv, const char *s);
/* Remove one copy of s (the last string takes its place); false when
 * there is none. */
bool strvec_remove_one(struct strvec *sv, const char *s);
/* Sort in strcmp order and drop repeats. */
void strvec_sort_unique(struct strvec *sv);
void strvec_clear(struct strvec *sv);
/* The NULL-terminated array (never NULL) to the caller; sv is left empty. */
char **strvec_detach(struct strvec *sv);
/* Free a NULL-terminated array of malloc'd strings, and the array. */
void strvec_array_free(char **v);

#endif
