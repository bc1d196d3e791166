/*
 * test_top.h: the tree's own files, for the tests that hold code and
 * pages to each other (the options table, the tunables): $SDC_TOP (set
 * by tests/run.sh) or the folder the test runs in.
 *
 * Header-only (static inline) because each test file is its own program.
 */
#ifndef TEST_TOP_H
#define TEST_TOP_H

#include <stdlib.h>

#include "buf.h"
#include "fsutil.h"
#include "xalloc.h"

/* rel under the top of the tree; free it. */
static inline char *
test_top_path(const char *rel)
{
	const char *top = getenv("SDC_TOP");
	char *p;

	xasprintf(&p, "%s/%s", top != NULL ? top : ".", rel);
	return p;
}

/* The whole of the file at path, NUL-terminated; a missing file fails
 * the test. */
static inline char *
test_slurp(const char *path)
{
	struct buf b = BUF_INIT;
	sdc_error_t err = NULL;

	if (file_read(path, &b, 1 << 24, &err) < 0)
		fail_msg("%s", sdc_error_msg(err));
	return buf_detach(&b, NULL);
}

#endif
