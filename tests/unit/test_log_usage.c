/*
 * test_log_usage.c: the head's check of a node's answer to GET
 * /v1/log-usage (log_usage_answer, dockerapi/log-usage.c).  A node may
 * be compromised, so every answer that is not the agent's shape, or
 * holds a figure, name or count no node could have, is refused whole:
 * each case below starts from an answer the check accepts and changes
 * one thing of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dockerapi/log-usage.h"

#define NODE "5f7c1b3e-8a9d-4e2f-b6c4-1d2e3f405162"
#define OTHER_NODE "0b6e2c4a-1f3d-4a5b-9c8d-7e6f5a4b3c2d"
#define C1 "11111111-2222-4333-8444-555555555555"
#define C2 "aaaaaaaa-bbbb-4ccc-9ddd-eeeeeeeeeeee"

/* An answer the check takes: two containers, one with rotated files. */
static json_t *
good(void)
{
	json_t *a = json_pack("{s:s, s:b, s:{s:{s:I, s:I, s:I}, s:{s:I, s:I, "
	    "s:I}}}", "Node", NODE, "Complete", 1, "LogUsage",
	    C1, "Live", (json_int_t)120, "Rotated", (json_int_t)300,
	    "RotatedFiles", (json_int_t)2,
	    C2, "Live", (json_int_t)0, "Rotated", (json_int_t)0,
	    "RotatedFiles", (json_int_t)0);

	assert_non_null(a);
	assert_ptr_equal(log_usage_answer(a, NODE),
	    json_object_get(a, "LogUsage"));
	return a;
}

static json_t *
usage_of(json_t *a)
{
	return json_object_get(a, "LogUsage");
}

static json_t *
c1_of(json_t *a)
{
	return json_object_get(usage_of(a), C1);
}

static void
assert_refused(json_t *a)
{
	assert_null(log_usage_answer(a, NODE));
	json_decref(a);
}

static void
test_accepts_the_agents_shape(void **state)
{
	json_t *a = good(), *u = usage_of(a);

	(void)state;
	assert_int_equal(json_object_size(u), 2);
	assert_int_equal(json_integer_value(json_object_get(
	    json_object_get(u, C1), "Rotated")), 300);
	json_decref(a);
	/* a walk cut at its deadline, and a node with no containers */
	a = good();
	json_object_set_new(a, "Complete", json_false());
	assert_ptr_equal(log_usage_answer(a, NODE), usage_of(a));
	json_object_clear(usage_of(a));
	assert_ptr_equal(log_usage_answer(a, NODE), usage_of(a));
	json_decref(a);
	/* each figure at its bound */
	a = good();
	json_object_set_new(c1_of(a), "Live", json_integer(LOG_USAGE_MAX_BYTES));
	json_object_set_new(c1_of(a), "Rotated",
	    json_integer(LOG_USAGE_MAX_BYTES));
	json_object_set_new(c1_of(a), "RotatedFiles",
	    json_integer(LOG_USAGE_MAX_FILES));
	assert_ptr_equal(log_usage_answer(a, NODE), usage_of(a));
	json_decref(a);
}

static void
test_refuses_another_nodes_id(void **state)
{
	json_t *a;

	(void)state;
	a = good();
	json_object_set_new(a, "Node", json_string(OTHER_NODE));
	assert_refused(a);
	a = good();	/* the same id, another case: not the same string */
	json_object_set_new(a, "Node", json_string(
	    "5F7C1B3E-8A9D-4E2F-B6C4-1D2E3F405162"));
	assert_refused(a);
	a = good();
	json_object_del(a, "Node");
	assert_refused(a);
	/* no id is not the empty id */
	a = good();
	json_object_del(a, "Node");
	assert_null(log_usage_answer(a, ""));
	json_decref(a);
	a = good();
	json_object_set_new(a, "Node", json_integer(1));
	assert_refused(a);
}

static void
test_refuses_wrong_types(void **state)
{
	json_t *a;

	(void)state;
	assert_refused(json_array());
	assert_refused(json_string(NODE));
	assert_null(log_usage_answer(NULL, NODE));
	a = good();
	json_object_set_new(a, "LogUsage", json_array());
	assert_refused(a);
	a = good();
	json_object_set_new(a, "LogUsage", json_null());
	assert_refused(a);
	a = good();
	json_object_set_new(a, "Complete", json_string("true"));
	assert_refused(a);
	a = good();
	json_object_set_new(a, "Complete", json_integer(1));
	assert_refused(a);
	a = good();
	json_object_set_new(usage_of(a), C1, json_array());
	assert_refused(a);
	a = good();
	json_object_set_new(usage_of(a), C1, json_integer(420));
	assert_refused(a);
	a = good();
	json_object_set_new(c1_of(a), "Live", json_string("120"));
	assert_refused(a);
	a = good();
	json_object_set_new(c1_of(a), "Live", json_real(120.0));
	assert_refused(a);
	a = good();
	json_object_set_new(c1_of(a), "Rotated", json_true());
	assert_refused(a);
	a = good();
	json_object_set_new(c1_of(a), "RotatedFiles", json_null());
	assert_refused(a);
}

static void
test_refuses_missing_and_extra_fields(void **state)
{
	static const char *const keys[] = { "Live", "Rotated", "RotatedFiles" };
	json_t *a;

	(void)state;
	a = good();
	json_object_del(a, "LogUsage");
	assert_refused(a);
	a = good();
	json_object_del(a, "Complete");
	assert_refused(a);
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		a = good();
		json_object_del(c1_of(a), keys[i]);
		assert_refused(a);
	}
	/* three fields, one of them not a figure's */
	a = good();
	json_object_del(c1_of(a), "Rotated");
	json_object_set_new(c1_of(a), "Path", json_string("/etc/shadow"));
	assert_refused(a);
	a = good();
	json_object_set_new(c1_of(a), "Owner", json_string("bob"));
	assert_refused(a);
}

static void
test_refuses_absurd_figures(void **state)
{
	static const struct {
		const char *key;
		json_int_t value;
	} bad[] = {
		{ "Live", -1 },
		{ "Rotated", -1 },
		{ "RotatedFiles", -1 },
		{ "Live", LOG_USAGE_MAX_BYTES + 1 },
		{ "Rotated", LOG_USAGE_MAX_BYTES + 1 },
		{ "RotatedFiles", LOG_USAGE_MAX_FILES + 1 },
		{ "Live", INT64_MAX },
		{ "Rotated", INT64_MIN },
	};
	json_t *a;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		a = good();
		json_object_set_new(c1_of(a), bad[i].key,
		    json_integer(bad[i].value));
		assert_refused(a);
	}
}

static void
test_refuses_names_not_ids(void **state)
{
	char longname[4097];
	json_t *a;
	const char *bad[] = { "c1", "", "../../etc", C1 "0", "1111111-2222-"
	    "4333-8444-5555555555555", "11111111-2222-4333-8444-55555555555g",
	    longname };

	(void)state;
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		a = good();
		json_object_set(usage_of(a), bad[i], c1_of(a));
		assert_refused(a);
	}
	/* not UTF-8 (jansson's parser takes no such name; a node's bytes
	 * reach the check as an object all the same in a fuzzed build) */
	a = good();
	json_object_set_nocheck(usage_of(a),
	    "\xff\xfe\x11\x11\x11\x11\x11\x11-2222-4333-8444-555555555555",
	    c1_of(a));
	assert_refused(a);
}

static void
test_refuses_too_many_containers(void **state)
{
	char id[37];
	json_t *a = good(), *row = json_incref(c1_of(a));

	(void)state;
	json_object_clear(usage_of(a));
	for (unsigned i = 0; i < LOG_USAGE_MAX_CONTAINERS; i++) {
		snprintf(id, sizeof id, "%08x-2222-4333-8444-555555555555", i);
		json_object_set(usage_of(a), id, row);
	}
	assert_ptr_equal(log_usage_answer(a, NODE), usage_of(a));
	json_object_set(usage_of(a), C2, row);
	json_decref(row);
	assert_refused(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_the_agents_shape),
		cmocka_unit_test(test_refuses_another_nodes_id),
		cmocka_unit_test(test_refuses_wrong_types),
		cmocka_unit_test(test_refuses_missing_and_extra_fields),
		cmocka_unit_test(test_refuses_absurd_figures),
		cmocka_unit_test(test_refuses_names_not_ids),
		cmocka_unit_test(test_refuses_too_many_containers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
