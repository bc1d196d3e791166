/*
 * test_strvec.c: the string vector of lib/strvec.h: it is an argv at
 * every moment, owns its strings, and detach/clear leave it empty.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strvec.h"

static void
test_push_keeps_null_terminator(void **state)
{
	struct strvec sv = STRVEC_INIT;
	char name[] = "runc";

	(void)state;
	assert_int_equal(sv.n, 0);
	for (int i = 0; i < 100; i++) {
		strvec_pushf(&sv, "arg%d", i);
		assert_null(sv.v[sv.n]);
	}
	assert_int_equal(sv.n, 100);
	assert_string_equal(sv.v[0], "arg0");
	assert_string_equal(sv.v[99], "arg99");
	strvec_push(&sv, name);
	name[0] = 'X';		/* push copied it */
	assert_string_equal(sv.v[100], "runc");
	strvec_clear(&sv);
	assert_null(sv.v);
	assert_int_equal(sv.n, 0);
	assert_int_equal(sv.cap, 0);
	strvec_clear(&sv);	/* twice is fine */
}

static void
test_pushv_copy_has(void **state)
{
	const char *argv[] = { "a", "b", "c", NULL };
	struct strvec a = STRVEC_INIT, b = STRVEC_INIT;

	(void)state;
	strvec_pushv(&a, argv);
	strvec_pushv(&a, NULL);
	assert_int_equal(a.n, 3);
	strvec_copy(&b, &a);
	strvec_copy(&b, &a);
	assert_int_equal(b.n, 6);
	assert_true(strvec_has(&b, "c"));
	assert_false(strvec_has(&b, "d"));
	assert_false(strvec_has(&(struct strvec)STRVEC_INIT, "a"));
	strvec_sort_unique(&b);
	assert_int_equal(b.n, 3);
	assert_string_equal(b.v[0], "a");
	assert_string_equal(b.v[2], "c");
	assert_null(b.v[3]);
	strvec_clear(&a);
	strvec_clear(&b);
}

static void
test_sort_unique(void **state)
{
	struct strvec sv = STRVEC_INIT;

	(void)state;
	strvec_sort_unique(&sv);
	assert_int_equal(sv.n, 0);
	strvec_push(&sv, "pull");
	strvec_push(&sv, "ps");
	strvec_push(&sv, "pull");
	strvec_push(&sv, "images");
	strvec_push(&sv, "ps");
	strvec_sort_unique(&sv);
	assert_int_equal(sv.n, 3);
	assert_string_equal(sv.v[0], "images");
	assert_string_equal(sv.v[1], "ps");
	assert_string_equal(sv.v[2], "pull");
	assert_null(sv.v[3]);
	strvec_clear(&sv);
}

static void
test_detach(void **state)
{
	struct strvec sv = STRVEC_INIT;
	char **v;

	(void)state;
	v = strvec_detach(&sv);		/* empty: an empty argv, not NULL */
	assert_non_null(v);
	assert_null(v[0]);
	strvec_array_free(v);
	strvec_push(&sv, "x");
	v = strvec_detach(&sv);
	assert_null(sv.v);
	assert_int_equal(sv.n, 0);
	assert_string_equal(v[0], "x");
	assert_null(v[1]);
	strvec_array_free(v);
	strvec_array_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_keeps_null_terminator),
		cmocka_unit_test(test_pushv_copy_has),
		cmocka_unit_test(test_sort_unique),
		cmocka_unit_test(test_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
