/*
 * test_router.c: the router's patterns -- literal segments, ":name"
 * parameters, the "*name" rest parameter with literal segments after it
 * (Docker's image names carry slashes, a registry port and a tag), the
 * /vX.Y prefix, and 404 against 405.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "router.h"

static int h(struct http_request *req, void *arg) { return HTTP_DONE; }

static const struct route table[] = {
	{ "GET", "/images/json", h, 0, "list" },
	{ "GET", "/images/*name/json", h, 0, "inspect" },
	{ "GET", "/images/*name/history", h, 0, "history" },
	{ "POST", "/images/*name/tag", h, 0, "tag" },
	{ "DELETE", "/images/*name", h, 0, "delete" },
	{ "GET", "/containers/:id/json", h, 0, "ctr" },
	{ "GET", "/a/*rest/b/:x", h, 0, "mixed" },
	{ NULL, NULL, NULL, 0, NULL },
};

struct match {
	const char *route;      /* the matched route's data, or NULL */
	int status;
	char *path;
	struct http_request req;
};

static void
match(struct match *m, const char *method, const char *path)
{
	struct router *r = router_new(ROUTER_VERSION_PREFIX);
	const struct route *rt;

	router_add_table(r, table);
	memset(m, 0, sizeof *m);
	m->path = strdup(path);
	m->req.method = method;
	m->req.path = m->path;
	rt = router_match(r, &m->req, &m->status);
	m->route = rt != NULL ? rt->data : NULL;
	router_free(r);
}

static void
match_free(struct match *m)
{
	free(m->req.params);
	free(m->path);
}

static const char *
param(struct match *m, const char *name)
{
	return http_param(&m->req, name);
}

static void
test_rest_then_literal(void **state)
{
	struct match m;

	match(&m, "GET", "/images/127.0.0.1:5000/busybox:latest/json");
	assert_string_equal(m.route, "inspect");
	assert_string_equal(param(&m, "name"), "127.0.0.1:5000/busybox:latest");
	match_free(&m);

	match(&m, "GET", "/v1.41/images/busybox/json");
	assert_string_equal(m.route, "inspect");
	assert_string_equal(param(&m, "name"), "busybox");
	assert_int_equal(m.req.api_minor, 41);
	match_free(&m);

	match(&m, "GET", "/images/library/busybox@sha256:abc/history");
	assert_string_equal(m.route, "history");
	assert_string_equal(param(&m, "name"), "library/busybox@sha256:abc");
	match_free(&m);

	match(&m, "POST", "/images/a/b/c/tag");
	assert_string_equal(m.route, "tag");
	assert_string_equal(param(&m, "name"), "a/b/c");
	match_free(&m);
}

static void
test_rest_at_end(void **state)
{
	struct match m;

	match(&m, "DELETE", "/images/127.0.0.1:5000/busybox:v1");
	assert_string_equal(m.route, "delete");
	assert_string_equal(param(&m, "name"), "127.0.0.1:5000/busybox:v1");
	match_free(&m);

	/* a name that ends like a route's literal is still a name */
	match(&m, "DELETE", "/images/x/json");
	assert_string_equal(m.route, "delete");
	assert_string_equal(param(&m, "name"), "x/json");
	match_free(&m);
}

static void
test_rest_needs_a_segment(void **state)
{
	struct match m;

	/* the literal route wins; the rest route needs a name before /json */
	match(&m, "GET", "/images/json");
	assert_string_equal(m.route, "list");
	match_free(&m);

	match(&m, "GET", "/images//json");
	assert_null(m.route);
	assert_int_equal(m.status, 404);
	match_free(&m);

	match(&m, "DELETE", "/images/");
	assert_null(m.route);
	match_free(&m);

	/* the rest route takes it as a name, for another method */
	match(&m, "GET", "/images/busybox/nope");
	assert_null(m.route);
	assert_int_equal(m.status, 405);
	match_free(&m);
}

static void
test_rest_with_params_after(void **state)
{
	struct match m;

	match(&m, "GET", "/a/1/2/b/3");
	assert_string_equal(m.route, "mixed");
	assert_string_equal(param(&m, "rest"), "1/2");
	assert_string_equal(param(&m, "x"), "3");
	match_free(&m);

	match(&m, "GET", "/a/b/3");
	assert_null(m.route);
	match_free(&m);
}

static void
test_params_and_methods(void **state)
{
	struct match m;

	match(&m, "GET", "/containers/abc/json");
	assert_string_equal(m.route, "ctr");
	assert_string_equal(param(&m, "id"), "abc");
	match_free(&m);

	match(&m, "POST", "/images/busybox/json");
	assert_null(m.route);
	assert_int_equal(m.status, 405);
	match_free(&m);

	match(&m, "HEAD", "/images/busybox/json");
	assert_string_equal(m.route, "inspect");
	match_free(&m);

	match(&m, "GET", "/v1.x/images/json");
	assert_null(m.route);
	assert_int_equal(m.status, 400);
	match_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rest_then_literal),
		cmocka_unit_test(test_rest_at_end),
		cmocka_unit_test(test_rest_needs_a_segment),
		cmocka_unit_test(test_rest_with_params_after),
		cmocka_unit_test(test_params_and_methods),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
