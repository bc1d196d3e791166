/*
 * test_runtime_seccomp.c: the OCI seccomp rules generated from
 * etc/seccomp.json (Docker's default rules) and the user namespace in
 * config.json, without runc or root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dockerapi/runtime/internal.h"

/* The rule allowing name without conditions, if any. */
static bool
allowed(const json_t *s, const char *name)
{
	const json_t *rules = json_object_get(s, "syscalls"), *r, *n;
	size_t i, j;

	json_array_foreach(rules, i, r) {
		if (json_object_get(r, "args") != NULL ||
		    strcmp(json_string_value(json_object_get(r, "action")),
		    "SCMP_ACT_ALLOW") != 0)
			continue;
		json_array_foreach(json_object_get(r, "names"), j, n)
			if (strcmp(json_string_value(n), name) == 0)
				return true;
	}
	return false;
}

/* The rules for name that have conditions or another action. */
static size_t
special(const json_t *s, const char *name, const json_t **last)
{
	const json_t *rules = json_object_get(s, "syscalls"), *r;
	size_t i, n = 0;

	json_array_foreach(rules, i, r) {
		const char *first = json_string_value(json_array_get(
		    json_object_get(r, "names"), 0));

		if (json_array_size(json_object_get(r, "names")) == 1 &&
		    strcmp(first, name) == 0) {
			n++;
			*last = r;
		}
	}
	return n;
}

static json_t *
caps(const char *extra)
{
	json_t *c = json_pack("[s,s,s]", "CAP_CHOWN", "CAP_SYS_CHROOT",
	    "CAP_KILL");

	if (extra != NULL)
		json_array_append_new(c, json_string(extra));
	return c;
}

static void
test_default_profile(void **state)
{
	json_t *c = caps(NULL), *s;
	const json_t *r = NULL;
	sdc_error_t err = NULL;

	(void)state;
	s = rt_seccomp_json(c, &err);
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(s,
	    "defaultAction")), "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(s,
	    "defaultErrnoRet")), 1);
#if defined(__x86_64__)
	assert_string_equal(json_string_value(json_array_get(json_object_get(s,
	    "architectures"), 0)), "SCMP_ARCH_X86_64");
	assert_string_equal(json_string_value(json_array_get(json_object_get(s,
	    "architectures"), 2)), "SCMP_ARCH_X32");
	assert_true(allowed(s, "arch_prctl"));		/* x86_64 only */
#endif
	assert_true(allowed(s, "read"));
	assert_true(allowed(s, "chroot"));		/* CAP_SYS_CHROOT held */
	assert_false(allowed(s, "keyctl"));
	assert_false(allowed(s, "add_key"));
	assert_false(allowed(s, "request_key"));
	assert_false(allowed(s, "unshare"));
	assert_false(allowed(s, "mount"));
	assert_false(allowed(s, "setns"));
	assert_false(allowed(s, "clone"));
	assert_false(allowed(s, "socket"));
	assert_false(allowed(s, "personality"));
	/* clone only without namespace flags */
	assert_int_equal(special(s, "clone", &r), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r, "args"), 0), "op")), "SCMP_CMP_MASKED_EQ");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(r, "args"), 0), "value")), 0x7E020000);
	/* clone3: ENOSYS, so libc falls back to clone */
	assert_int_equal(special(s, "clone3", &r), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "errnoRet")), 38);
	/* socket: every family but AF_ALG (38) and AF_VSOCK (40) */
	assert_int_equal(special(s, "socket", &r), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r, "args"), 0), "op")), "SCMP_CMP_GT");
	assert_int_equal(special(s, "personality", &r), 5);
	json_decref(s);
	json_decref(c);
}

static void
test_caps_decide(void **state)
{
	json_t *c = json_pack("[s]", "CAP_CHOWN"), *s;
	const json_t *r = NULL;
	sdc_error_t err = NULL;

	(void)state;
	s = rt_seccomp_json(c, &err);
	assert_non_null(s);
	assert_false(allowed(s, "chroot"));		/* CAP_SYS_CHROOT dropped */
	json_decref(s);
	json_decref(c);
	c = caps("CAP_SYS_ADMIN");
	s = rt_seccomp_json(c, &err);
	assert_non_null(s);
	assert_true(allowed(s, "mount"));
	assert_true(allowed(s, "clone"));
	assert_int_equal(special(s, "clone3", &r), 0);
	json_decref(s);
	json_decref(c);
}

static void
test_apply(void **state)
{
	struct rt_config cfg = { .zones = "/nonexistent" };
	struct rt_idmap m = { .uid = 1000000000, .gid = 1000000000,
	    .count = 65536 };
	json_t *config = json_pack("{s:{s:{s:[s]}},s:{s:[{s:s}]}}", "process",
	    "capabilities", "bounding", "CAP_KILL", "linux", "namespaces",
	    "type", "pid"), *l;
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(rt_seccomp_apply(&cfg, config, "/zones/x", &err), 0);
	assert_int_equal(rt_userns_apply(config, &m, &err), 0);
	l = json_object_get(config, "linux");
	assert_non_null(json_object_get(l, "seccomp"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(l, "namespaces"), 1), "type")), "user");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(l, "uidMappings"), 0), "hostID")), 1000000000);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(l, "gidMappings"), 0), "size")), 65536);
	json_decref(config);
	/* a mapping onto host root, or past 2^32, is refused */
	m.uid = 0;
	assert_int_equal(rt_userns_check(&m, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "above 0"));
	sdc_error_release(&err);
	m.uid = 4294967000u;
	assert_int_equal(rt_userns_check(&m, &err), -1);
	sdc_error_release(&err);
	/* and the measuring switch leaves seccomp out */
	cfg.no_seccomp = true;
	config = json_pack("{s:{},s:{}}", "process", "linux");
	assert_int_equal(rt_seccomp_apply(&cfg, config, "/zones/x", &err), 0);
	assert_null(json_object_get(json_object_get(config, "linux"), "seccomp"));
	json_decref(config);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_profile),
		cmocka_unit_test(test_caps_decide),
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
