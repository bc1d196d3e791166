/*
 * test_api_routes.c: the Docker API's route tables, as api_init() reads
 * them (api_tables, one table a file of dockerapi/api/).
 *
 * The router takes the first route that matches, so with the routes
 * spread over files the order of the tables could decide which handler
 * answers.  It never does when no request can match two routes: that is
 * checked here, over every pair of routes with the same method, by
 * intersecting their patterns (a ":name" is one non-empty segment, a
 * "*name" one or more), and then against the router itself, which must
 * hand each route a request made for it, with and without a /v1.x
 * prefix.  Each table is listed once and each route declared once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "router.h"
#include "dockerapi/dockerapi.h"

#define MAX_SEGS 16

enum seg_kind { SEG_LIT, SEG_ONE, SEG_ANY };

/* One segment of a pattern: a literal, one non-empty segment (":name",
 * and the first of "*name"), or zero or more segments (the rest of a
 * "*name"). */
struct seg {
	enum seg_kind kind;
	const char *lit;
	size_t len;
};

static size_t
segs_parse(const char *pat, struct seg *out)
{
	size_t n = 0;

	assert_true(pat[0] == '/');
	while (*pat == '/') {
		const char *s = pat + 1, *e = strchr(s, '/');
		size_t len = e != NULL ? (size_t)(e - s) : strlen(s);

		assert_true(n + 2 <= MAX_SEGS);
		if (len > 0 && (*s == ':' || *s == '*'))
			out[n++] = (struct seg){ SEG_ONE, NULL, 0 };
		else
			out[n++] = (struct seg){ SEG_LIT, s, len };
		if (len > 0 && *s == '*')
			out[n++] = (struct seg){ SEG_ANY, NULL, 0 };
		pat = s + len;
	}
	return n;
}

/* Whether some path matches both a[i..na) and b[j..nb). */
static bool
segs_meet(const struct seg *a, size_t i, size_t na, const struct seg *b,
    size_t j, size_t nb)
{
	if (i == na && j == nb)
		return true;
	if (i < na && a[i].kind == SEG_ANY)
		return segs_meet(a, i + 1, na, b, j, nb) ||
		    (j < nb && segs_meet(a, i, na, b, j + 1, nb));
	if (j < nb && b[j].kind == SEG_ANY)
		return segs_meet(a, i, na, b, j + 1, nb) ||
		    (i < na && segs_meet(a, i + 1, na, b, j, nb));
	if (i == na || j == nb)
		return false;
	if (a[i].kind == SEG_LIT && b[j].kind == SEG_LIT &&
	    (a[i].len != b[j].len || memcmp(a[i].lit, b[j].lit, a[i].len) != 0))
		return false;
	return segs_meet(a, i + 1, na, b, j + 1, nb);
}

static bool
patterns_meet(const char *p, const char *q)
{
	struct seg a[MAX_SEGS], b[MAX_SEGS];
	size_t na = segs_parse(p, a), nb = segs_parse(q, b);

	return segs_meet(a, 0, na, b, 0, nb);
}

static bool
methods_meet(const char *m, const char *n)
{
	return m == NULL || n == NULL || strcmp(m, n) == 0;
}

/* Every route of every table, in the order api_init() adds them. */
static const struct api_endpoint *routes[256];
static size_t nroutes;

static int
collect(void **state)
{
	nroutes = 0;
	for (size_t t = 0; api_tables[t] != NULL; t++)
		for (const struct api_endpoint *ep = api_tables[t];
		    ep->route.pattern != NULL; ep++) {
			assert_true(nroutes < sizeof routes / sizeof routes[0]);
			routes[nroutes++] = ep;
		}
	return 0;
}

static void
test_checker(void **state)
{
	assert_true(patterns_meet("/containers/:id", "/containers/json"));
	assert_true(patterns_meet("/images/*name/json", "/images/:id/json"));
	assert_true(patterns_meet("/images/*name", "/images/*name/push"));
	assert_true(patterns_meet("/images/*name/json", "/images/a/*name"));
	assert_false(patterns_meet("/images/json", "/images/*name/json"));
	assert_false(patterns_meet("/images/*name/json", "/images/*name/get"));
	assert_false(patterns_meet("/containers/json", "/containers/:id/json"));
	assert_false(patterns_meet("/networks", "/networks/:id"));
	assert_true(methods_meet("GET", NULL));
	assert_false(methods_meet("GET", "HEAD"));
}

static void
test_tables_once(void **state)
{
	size_t n = 0;

	for (size_t t = 0; api_tables[t] != NULL; t++, n++) {
		assert_non_null(api_tables[t][0].route.pattern);
		for (size_t u = 0; u < t; u++)
			assert_ptr_not_equal(api_tables[t], api_tables[u]);
	}
	assert_true(n > 0);
}

static void
test_well_formed(void **state)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT",
		"DELETE", NULL };
	const unsigned flags = API_NO_AUTH | API_PROVISION | API_BODY_STREAM |
	    API_LONG;

	assert_true(nroutes > 0);
	for (size_t i = 0; i < nroutes; i++) {
		const struct api_endpoint *ep = routes[i];
		const char *star = strstr(ep->route.pattern, "/*");
		size_t m = 0;

		while (methods[m] != NULL && (ep->route.method == NULL ||
		    strcmp(methods[m], ep->route.method) != 0))
			m++;
		if (methods[m] == NULL)
			fail_msg("%s: method %s", ep->route.pattern,
			    ep->route.method ? ep->route.method : "(any)");
		assert_true(ep->route.pattern[0] == '/');
		assert_non_null(ep->route.handler);
		assert_int_equal(ep->route.flags & ~flags, 0);
		assert_null(ep->route.data);
		if (ep->min_minor != 0 && (ep->min_minor <= API_MIN_MINOR ||
		    ep->min_minor > API_MAX_MINOR))
			fail_msg("%s %s: min version 1.%d", ep->route.method,
			    ep->route.pattern, ep->min_minor);
		/* one rest parameter at most */
		assert_true(star == NULL || strstr(star + 1, "/*") == NULL);
	}
}

static void
test_declared_once(void **state)
{
	for (size_t i = 0; i < nroutes; i++)
		for (size_t j = 0; j < i; j++)
			if (methods_meet(routes[i]->route.method,
			    routes[j]->route.method) &&
			    strcmp(routes[i]->route.pattern,
			    routes[j]->route.pattern) == 0)
				fail_msg("%s %s declared twice",
				    routes[i]->route.method,
				    routes[i]->route.pattern);
}

static void
test_no_collision(void **state)
{
	for (size_t i = 0; i < nroutes; i++)
		for (size_t j = 0; j < i; j++)
			if (methods_meet(routes[i]->route.method,
			    routes[j]->route.method) &&
			    patterns_meet(routes[i]->route.pattern,
			    routes[j]->route.pattern))
				fail_msg("%s %s and %s %s match the same paths",
				    routes[i]->route.method,
				    routes[i]->route.pattern,
				    routes[j]->route.method,
				    routes[j]->route.pattern);
}

/* A path the pattern matches: "x1" for a ":name", "lib/x2" for a
 * "*name", behind `prefix`. */
static void
witness(const char *prefix, const char *pat, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "%s", prefix);

	while (*pat == '/') {
		const char *s = pat + 1, *e = strchr(s, '/');
		size_t len = e != NULL ? (size_t)(e - s) : strlen(s);

		if (len > 0 && *s == ':')
			n += (size_t)snprintf(out + n, size - n, "/x1");
		else if (len > 0 && *s == '*')
			n += (size_t)snprintf(out + n, size - n, "/lib/x2");
		else
			n += (size_t)snprintf(out + n, size - n, "/%.*s",
			    (int)len, s);
		assert_true(n < size);
		pat = s + len;
	}
}

static void
test_router_agrees(void **state)
{
	static const char *const prefixes[] = { "", "/v1.41", "/v1.24" };
	struct router *r = router_new(ROUTER_VERSION_PREFIX);

	for (size_t i = 0; i < nroutes; i++)
		router_add(r, &routes[i]->route);
	for (size_t i = 0; i < nroutes; i++)
		for (size_t p = 0; p < 3; p++) {
			struct http_request req = { 0 };
			char path[512];
			int status;
			const struct route *rt;

			witness(prefixes[p], routes[i]->route.pattern, path,
			    sizeof path);
			req.method = routes[i]->route.method;
			req.path = path;
			rt = router_match(r, &req, &status);
			if (rt != &routes[i]->route)
				fail_msg("%s %s: the router gave %s (%d)",
				    req.method, path,
				    rt ? rt->pattern : "nothing", status);
			free(req.params);
		}
	router_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker),
		cmocka_unit_test(test_tables_once),
		cmocka_unit_test_setup(test_well_formed, collect),
		cmocka_unit_test_setup(test_declared_once, collect),
		cmocka_unit_test_setup(test_no_collision, collect),
		cmocka_unit_test_setup(test_router_agrees, collect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
