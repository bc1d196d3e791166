/*
 * dockerignore.h: a .dockerignore file's patterns and the test of a
 * context path against them, as Docker's client applies them.
 */
#ifndef SDC_DOCKERIGNORE_H
#define SDC_DOCKERIGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct di_pattern {
	char *pat;		/* cleaned, no leading '/' */
	bool exclusion;		/* a "!pattern": takes a path back */
};

struct dockerignore {
	struct di_pattern *pats;
	size_t n;
};

/* Read the file's text; a malformed pattern is an error naming its line. */
int dockerignore_parse(const char *text, size_t len, struct dockerignore *di,
		       sdc_error_t *err);
void dockerignore_free(struct dockerignore *di);

/* Whether `path` (relative to the context, '/'-separated) is left out:
 * the last pattern matching it or one of its parent folders decides. */
bool dockerignore_excluded(const struct dockerignore *di, const char *path);

/* Go's filepath.Match, plus "**" for any number of folders: 1 match,
 * 0 no match, -1 a malformed pattern. */
int dockerignore_match(const char *pattern, const char *path);

/* Go's path.Clean of `path` into a new string ("." for an empty one). */
char *dockerignore_clean(const char *path);

#endif
