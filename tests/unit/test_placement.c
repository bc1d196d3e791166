/*
 * test_placement.c: the choice of a node (dockerapi/placement.c) and the
 * affinity expressions it takes (dockerapi/affinity.c): the policies,
 * room and overprovisioning, drained nodes, hard and soft rules, and
 * that a tie is always decided the same way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dockerapi/placement.h"

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

/* Three nodes of 8 GiB, 100 GiB, 4 CPUs: a has 6 GiB in use, b 2, c 4. */
static void
nodes3(struct placement_node n[3])
{
	const char *ids[] = { "a", "b", "c" };
	int64_t used[] = { 6144, 2048, 4096 };

	memset(n, 0, 3 * sizeof *n);
	for (int i = 0; i < 3; i++) {
		n[i].id = ids[i];
		n[i].memory_mib = 8192;
		n[i].disk_mib = 102400;
		n[i].cpus = 4;
		n[i].memory_used_mib = used[i];
	}
}

static struct placement_want
want(int64_t mib, enum placement_policy p)
{
	struct placement_want w = { .memory_mib = mib, .disk_mib = 1024,
		.cpus = 0.5, .overprovision = 1.0, .policy = p };
	return w;
}

static size_t
choose_ok(const struct placement_node *n, size_t nn,
    const struct placement_ctr *c, size_t nc, const struct affinity_set *aff,
    const struct placement_want *w)
{
	sdc_error_t err = NULL;
	size_t i = 99;

	if (placement_choose(n, nn, c, nc, aff, w, &i, &err) < 0)
		fail_msg("placement_choose: %s", sdc_error_msg(err));
	return i;
}

static sdc_error_t
choose_fails(const struct placement_node *n, size_t nn,
    const struct placement_ctr *c, size_t nc, const struct affinity_set *aff,
    const struct placement_want *w)
{
	sdc_error_t err = NULL;
	size_t i = 99;

	assert_int_equal(placement_choose(n, nn, c, nc, aff, w, &i, &err), -1);
	assert_non_null(err);
	assert_int_equal(i, 99);
	return err;
}

/* A set from expressions; the test owns it. */
static struct affinity_set
rules(int n, ...)
{
	struct affinity_set s = { calloc((size_t)n + 1, sizeof *s.v), 0 };
	sdc_error_t err = NULL;
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		if (affinity_parse(va_arg(ap, const char *), &s.v[i], &err) < 0)
			fail_msg("%s", sdc_error_msg(err));
		s.n++;
	}
	va_end(ap);
	return s;
}

/* --- policies and room --- */

static void
test_spread_takes_most_left(void **state)
{
	struct placement_node n[3];
	struct placement_want w = want(1024, PLACEMENT_SPREAD);

	(void)state;
	nodes3(n);
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 1);
}

static void
test_pack_takes_least_that_fits(void **state)
{
	struct placement_node n[3];
	struct placement_want w = want(1024, PLACEMENT_PACK);

	(void)state;
	nodes3(n);
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 0);
	/* a has 2 GiB left: 3 GiB goes to c, the next fullest */
	w.memory_mib = 3072;
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 2);
}

static void
test_policy_parse(void **state)
{
	enum placement_policy p = PLACEMENT_PACK;

	(void)state;
	assert_int_equal(placement_policy_parse(NULL, &p), 0);
	assert_int_equal(p, PLACEMENT_SPREAD);
	assert_int_equal(placement_policy_parse("pack", &p), 0);
	assert_int_equal(p, PLACEMENT_PACK);
	assert_int_equal(placement_policy_parse("spread", &p), 0);
	assert_int_equal(p, PLACEMENT_SPREAD);
	assert_int_equal(placement_policy_parse("random", &p), -1);
}

static void
test_no_room_is_tritons_error(void **state)
{
	struct placement_node n[3];
	struct placement_want w = want(7168, PLACEMENT_SPREAD);
	sdc_error_t err;

	(void)state;
	nodes3(n);
	err = choose_fails(n, 3, NULL, 0, NULL, &w);
	assert_int_equal(err->code, 409);
	assert_string_equal(err->msg, "No compute resources available.");
	sdc_error_release(&err);
	/* no node at all */
	err = choose_fails(n, 0, NULL, 0, NULL, &w);
	assert_string_equal(err->msg, "No compute resources available.");
	sdc_error_release(&err);
}

static void
test_overprovision(void **state)
{
	struct placement_node n[3];
	struct placement_want w = want(7168, PLACEMENT_SPREAD);
	sdc_error_t err;

	(void)state;
	nodes3(n);
	/* 1.5: b has 12 - 2 = 10 GiB to sell, c 8, a 6 */
	w.overprovision = 1.5;
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 1);
	w.memory_mib = 10240;
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 1);
	w.memory_mib = 10241;
	err = choose_fails(n, 3, NULL, 0, NULL, &w);
	sdc_error_release(&err);
	/* CPUs are sold over too; disk never */
	w.memory_mib = 128;
	n[0].cpus_used = n[1].cpus_used = n[2].cpus_used = 5.5;
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 1);
	w.overprovision = 1.0;
	err = choose_fails(n, 3, NULL, 0, NULL, &w);
	sdc_error_release(&err);
	n[0].cpus_used = n[1].cpus_used = n[2].cpus_used = 0;
	w.overprovision = 4;
	w.disk_mib = 102401;
	err = choose_fails(n, 3, NULL, 0, NULL, &w);
	sdc_error_release(&err);
}

static void
test_disk_and_cpu_count(void **state)
{
	struct placement_node n[3];
	struct placement_want w = want(512, PLACEMENT_SPREAD);

	(void)state;
	nodes3(n);
	n[1].disk_used_mib = 102000;	/* b: most memory, no disk */
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 2);
	n[2].cpus_used = 3.75;		/* c: no CPU */
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 0);
	/* unknown capacities are not checked */
	n[1].disk_mib = 0;
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 1);
}

static void
test_unavailable_never_chosen(void **state)
{
	struct placement_node n[3];
	struct placement_want w = want(1024, PLACEMENT_SPREAD);
	sdc_error_t err;

	(void)state;
	nodes3(n);
	n[1].unavailable = true;
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 2);
	n[0].unavailable = n[2].unavailable = true;
	err = choose_fails(n, 3, NULL, 0, NULL, &w);
	assert_string_equal(err->msg, "No compute resources available.");
	sdc_error_release(&err);
}

static void
test_ties_by_id(void **state)
{
	struct placement_node n[3];
	struct placement_want w = want(1024, PLACEMENT_SPREAD);

	(void)state;
	nodes3(n);
	n[0].memory_used_mib = n[1].memory_used_mib = n[2].memory_used_mib = 0;
	n[0].id = "node-2";
	n[1].id = "node-0";
	n[2].id = "node-1";
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 1);
	w.policy = PLACEMENT_PACK;
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 1);
	/* whatever the order */
	n[1].id = "node-3";
	assert_int_equal(choose_ok(n, 3, NULL, 0, NULL, &w), 2);
}

/* --- affinity --- */

/* web on a, db on b, cache (role=db) on c; ids made up. */
static const char ID_WEB[] = "1111aaaa00000000000000000000000000000000000000000000000000000000";
static const char ID_DB[] = "2222bbbb00000000000000000000000000000000000000000000000000000000";
static const char ID_CACHE[] = "2222cccc00000000000000000000000000000000000000000000000000000000";

static void
ctrs3(struct placement_ctr c[3], json_t **labels)
{
	*labels = json_pack("[{s:s},{s:s},{s:s}]", "role", "front", "role", "db",
	    "role", "db-cache");
	c[0] = (struct placement_ctr){ ID_WEB, "u-web", "web",
		json_array_get(*labels, 0), 0 };
	c[1] = (struct placement_ctr){ ID_DB, "u-db", "db",
		json_array_get(*labels, 1), 1 };
	c[2] = (struct placement_ctr){ ID_CACHE, "u-cache", "cache",
		json_array_get(*labels, 2), 2 };
}

static void
test_hard_with(void **state)
{
	struct placement_node n[3];
	struct placement_ctr c[3];
	struct placement_want w = want(1024, PLACEMENT_SPREAD);
	struct affinity_set s;
	json_t *l;

	(void)state;
	nodes3(n);
	ctrs3(c, &l);
	s = rules(1, "container==web");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 0);	/* not b */
	affinity_set_clear(&s);
	s = rules(1, "container==1111");			/* short id */
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 0);
	affinity_set_clear(&s);
	s = rules(1, "container==u-cache");			/* uuid */
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 2);
	affinity_set_clear(&s);
	s = rules(1, "container==ca*");				/* glob */
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 2);
	affinity_set_clear(&s);
	s = rules(1, "container==/^(web|cache)$/");		/* regex */
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 2);
	affinity_set_clear(&s);
	s = rules(1, "role==db");				/* label */
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 1);
	affinity_set_clear(&s);
	s = rules(1, "role==/^db/");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 1);
	affinity_set_clear(&s);
	json_decref(l);
}

static void
test_hard_with_no_match_refused(void **state)
{
	struct placement_node n[3];
	struct placement_ctr c[3];
	struct placement_want w = want(1024, PLACEMENT_SPREAD);
	struct affinity_set s;
	sdc_error_t err;
	json_t *l;

	(void)state;
	nodes3(n);
	ctrs3(c, &l);
	s = rules(1, "container==nosuch");
	err = choose_fails(n, 3, c, 3, &s, &w);
	assert_int_equal(err->code, 409);
	assert_string_equal(err->msg, "no active containers found matching "
	    "\"nosuch\" for affinity \"container==nosuch\"");
	sdc_error_release(&err);
	affinity_set_clear(&s);
	s = rules(1, "role==nosuch");
	err = choose_fails(n, 3, c, 3, &s, &w);
	assert_non_null(strstr(err->msg, "tag \"role=nosuch\""));
	sdc_error_release(&err);
	affinity_set_clear(&s);
	/* another account's containers are not passed: same answer */
	s = rules(1, "container==web");
	err = choose_fails(n, 3, NULL, 0, &s, &w);
	assert_int_equal(err->code, 409);
	sdc_error_release(&err);
	affinity_set_clear(&s);
	/* an ambiguous id prefix */
	s = rules(1, "container==2222");
	err = choose_fails(n, 3, c, 3, &s, &w);
	assert_int_equal(err->code, 400);
	assert_non_null(strstr(err->msg, "Multiple IDs found"));
	sdc_error_release(&err);
	affinity_set_clear(&s);
	json_decref(l);
}

static void
test_hard_without(void **state)
{
	struct placement_node n[3];
	struct placement_ctr c[3];
	struct placement_want w = want(1024, PLACEMENT_SPREAD);
	struct affinity_set s;
	sdc_error_t err;
	json_t *l;

	(void)state;
	nodes3(n);
	ctrs3(c, &l);
	s = rules(1, "container!=db");		/* b had the most room */
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 2);
	affinity_set_clear(&s);
	s = rules(2, "container!=db", "role!=db*");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 0);
	affinity_set_clear(&s);
	/* naming nobody: met everywhere */
	s = rules(1, "container!=nosuch");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 1);
	affinity_set_clear(&s);
	/* every node excluded: Triton's error, naming the rule */
	s = rules(1, "container!=*");
	err = choose_fails(n, 3, c, 3, &s, &w);
	assert_int_equal(err->code, 409);
	assert_non_null(strstr(err->msg, "No compute resources available"));
	assert_non_null(strstr(err->msg, "container!=*"));
	sdc_error_release(&err);
	affinity_set_clear(&s);
	/* the one node allowed is full */
	s = rules(1, "container==web");
	w.memory_mib = 4096;
	err = choose_fails(n, 3, c, 3, &s, &w);
	assert_non_null(strstr(err->msg, "No compute resources available"));
	sdc_error_release(&err);
	affinity_set_clear(&s);
	json_decref(l);
}

static void
test_soft(void **state)
{
	struct placement_node n[3];
	struct placement_ctr c[3];
	struct placement_want w = want(1024, PLACEMENT_SPREAD);
	struct affinity_set s;
	json_t *l;

	(void)state;
	nodes3(n);
	ctrs3(c, &l);
	s = rules(1, "container==~web");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 0);
	affinity_set_clear(&s);
	s = rules(1, "container~=web");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 0);
	affinity_set_clear(&s);
	/* a soft rule that cannot be met is dropped */
	s = rules(1, "container==~nosuch");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 1);
	affinity_set_clear(&s);
	w.memory_mib = 4096;	/* web's node is full: next best */
	s = rules(1, "container==~web");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 1);
	affinity_set_clear(&s);
	w.memory_mib = 1024;
	s = rules(1, "container!=~db");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 2);
	affinity_set_clear(&s);
	/* mixed: the hard ones filter, the soft ones rank */
	s = rules(2, "container!=web", "container==~cache");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 2);
	affinity_set_clear(&s);
	/* more soft rules met wins over the policy */
	s = rules(2, "role==~front", "container!=~db");
	assert_int_equal(choose_ok(n, 3, c, 3, &s, &w), 0);
	affinity_set_clear(&s);
	json_decref(l);
}

static void
test_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"container", "container=web", "==web", "c==web", "9x==web",
		"container==", "container==~", "container==a b\"", "con tainer==x",
		"container==/(/", "image==redis", "container==web;rm",
		"container==/^(a*)*\\1\\1b$/", "role==/(x)\\9/",
	};
	struct affinity a;
	sdc_error_t err = NULL;

	(void)state;
	for (size_t i = 0; i < NELEM(bad); i++) {
		if (affinity_parse(bad[i], &a, &err) == 0)
			fail_msg("\"%s\" was taken", bad[i]);
		assert_int_equal(err->code, 400);
		assert_non_null(strstr(err->msg, "invalid affinity"));
		sdc_error_release(&err);
	}
	assert_int_equal(affinity_parse("com.example_role-x!=~a.b:c", &a,
	    &err), 0);
	assert_string_equal(a.key, "com.example_role-x");
	assert_string_equal(a.value, "a.b:c");
	assert_true(a.negate);
	assert_true(a.soft);
	assert_int_equal(a.kind, AFFINITY_EXACT);
	affinity_clear(&a);
	/* an escaped backslash before a digit is no back-reference */
	assert_int_equal(affinity_parse("container==/^a\\\\1$/", &a, &err), 0);
	assert_int_equal(a.kind, AFFINITY_REGEX);
	affinity_clear(&a);
}

static void
test_glob(void **state)
{
	(void)state;
	assert_true(affinity_glob("web*", "web-1"));
	assert_true(affinity_glob("*", ""));
	assert_true(affinity_glob("*b*d", "abcbd"));
	assert_false(affinity_glob("web*", "aweb"));
	assert_false(affinity_glob("w?b", "wab"));	/* '*' only */
}

static void
test_from_config(void **state)
{
	json_t *cfg = json_pack("{s:[s,s,s],s:{s:s,s:s}}", "Env", "A=1",
	    "affinity:container==web", "affinity:role!=~db",
	    "Labels", "x", "y", AFFINITY_LABEL, "[\"container!=db\"]");
	struct affinity_set s;
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(affinity_from_config(cfg, &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[0].text, "container!=db");
	assert_string_equal(s.v[1].text, "container==web");
	assert_string_equal(s.v[2].text, "role!=~db");
	/* Env keeps the rest; the label has them all */
	assert_int_equal(json_array_size(json_object_get(cfg, "Env")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    cfg, "Labels"), AFFINITY_LABEL)),
	    "[\"container!=db\",\"container==web\",\"role!=~db\"]");
	affinity_set_clear(&s);
	json_decref(cfg);

	/* no affinities: nothing changes */
	cfg = json_pack("{s:[s]}", "Env", "A=1");
	assert_int_equal(affinity_from_config(cfg, &s, &err), 0);
	assert_int_equal(s.n, 0);
	assert_null(json_object_get(cfg, "Labels"));
	json_decref(cfg);

	/* a malformed label or entry is named */
	cfg = json_pack("{s:{s:s}}", "Labels", AFFINITY_LABEL, "container==web");
	assert_int_equal(affinity_from_config(cfg, &s, &err), -1);
	assert_int_equal(err->code, 400);
	assert_non_null(strstr(err->msg, AFFINITY_LABEL));
	sdc_error_release(&err);
	json_decref(cfg);
	cfg = json_pack("{s:[s]}", "Env", "affinity:container=web");
	assert_int_equal(affinity_from_config(cfg, &s, &err), -1);
	assert_non_null(strstr(err->msg, "container=web"));
	sdc_error_release(&err);
	json_decref(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread_takes_most_left),
		cmocka_unit_test(test_pack_takes_least_that_fits),
		cmocka_unit_test(test_policy_parse),
		cmocka_unit_test(test_no_room_is_tritons_error),
		cmocka_unit_test(test_overprovision),
		cmocka_unit_test(test_disk_and_cpu_count),
		cmocka_unit_test(test_unavailable_never_chosen),
		cmocka_unit_test(test_ties_by_id),
		cmocka_unit_test(test_hard_with),
		cmocka_unit_test(test_hard_with_no_match_refused),
		cmocka_unit_test(test_hard_without),
		cmocka_unit_test(test_soft),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_from_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
