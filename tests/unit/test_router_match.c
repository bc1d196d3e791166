/*
 * test_router_match.c: patterns, parameters, the rest parameter, the /vX.Y
 * prefix, HEAD falling back to GET, and 404 against 405 against 400.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "router.h"

static int
h(struct http_request *req, void *arg)
{
	return HTTP_DONE;
}

static const struct route table[] = {
	{ "GET", "/_ping", h, 0, NULL },
	{ "HEAD", "/_ping", h, 0, NULL },
	{ "GET", "/version", h, 0, NULL },
	{ "GET", "/volumes", h, 0, NULL },
	{ "GET", "/containers/json", h, 0, NULL },
	{ "POST", "/containers/create", h, 0, NULL },
	{ "GET", "/containers/:id/json", h, 0, NULL },
	{ "POST", "/containers/:id/attach", h, 0, NULL },
	{ "DELETE", "/containers/:id", h, 0, NULL },
	{ "GET", "/images/:name/json", h, 0, NULL },
	{ "DELETE", "/images/*name", h, 0, NULL },
	{ "GET", "/a/:x/b/:y", h, 0, NULL },
	{ NULL, "/any", h, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};

struct m {
	struct http_request req;
	char path[256];
	const struct route *rt;
	int status;
};

static const struct route *
match(struct router *r, const char *method, const char *path, struct m *m)
{
	free(m->req.params);
	memset(m, 0, sizeof *m);
	strcpy(m->path, path);
	m->req.method = method;
	m->req.path = m->path;
	m->rt = router_match(r, &m->req, &m->status);
	return m->rt;
}

static void
test_params(void **state)
{
	struct router *r = router_new(0);
	struct m m = { 0 };

	router_add_table(r, table);
	assert_ptr_equal(match(r, "GET", "/containers/abc/json", &m), &table[6]);
	assert_ptr_equal(m.req.route, &table[6]);
	assert_string_equal(http_param(&m.req, "id"), "abc");
	assert_int_equal(m.req.nparams, 1);
	assert_ptr_equal(match(r, "GET", "/a/1/b/2", &m), &table[11]);
	assert_string_equal(http_param(&m.req, "x"), "1");
	assert_string_equal(http_param(&m.req, "y"), "2");
	assert_null(http_param(&m.req, "z"));
	assert_ptr_equal(match(r, "GET", "/containers/json", &m), &table[4]);
	assert_int_equal(m.req.nparams, 0);
	/* a parameter is one non-empty segment */
	assert_null(match(r, "GET", "/containers//json", &m));
	assert_int_equal(m.status, 404);
	assert_null(match(r, "GET", "/containers/a/b/json", &m));
	assert_null(match(r, "GET", "/containers/json/", &m));
	/* the rest parameter takes the slashes too */
	assert_ptr_equal(match(r, "DELETE", "/images/library/busybox:latest", &m),
	    &table[10]);
	assert_string_equal(http_param(&m.req, "name"), "library/busybox:latest");
	assert_null(match(r, "DELETE", "/images", &m));
	assert_null(match(r, "DELETE", "/images/", &m));
	/* any method */
	assert_ptr_equal(match(r, "PATCH", "/any", &m), &table[12]);
	match(r, "GET", "/", &m);
	router_free(r);
}

static void
test_404_405_head(void **state)
{
	struct router *r = router_new(0);
	struct m m = { 0 };

	router_add_table(r, table);
	assert_null(match(r, "GET", "/nope", &m));
	assert_int_equal(m.status, 404);
	assert_null(match(r, "POST", "/containers/json", &m));
	assert_int_equal(m.status, 405);
	assert_null(match(r, "GET", "/containers/abc", &m));
	assert_int_equal(m.status, 405);
	/* HEAD: its own route first, else the GET one */
	assert_ptr_equal(match(r, "HEAD", "/_ping", &m), &table[1]);
	assert_ptr_equal(match(r, "HEAD", "/containers/x/json", &m), &table[6]);
	assert_string_equal(http_param(&m.req, "id"), "x");
	assert_null(match(r, "HEAD", "/containers/create", &m));
	assert_int_equal(m.status, 405);
	match(r, "GET", "/", &m);
	router_free(r);
}

static void
test_version_prefix(void **state)
{
	struct router *r = router_new(ROUTER_VERSION_PREFIX);
	struct m m = { 0 };

	router_add_table(r, table);
	assert_ptr_equal(match(r, "GET", "/v1.24/containers/json", &m), &table[4]);
	assert_int_equal(m.req.api_major, 1);
	assert_int_equal(m.req.api_minor, 24);
	assert_string_equal(m.req.path, "/containers/json");
	assert_ptr_equal(match(r, "POST", "/v1.41/containers/abc/attach", &m),
	    &table[7]);
	assert_string_equal(http_param(&m.req, "id"), "abc");
	/* no prefix: 0.0 */
	assert_ptr_equal(match(r, "GET", "/containers/json", &m), &table[4]);
	assert_int_equal(m.req.api_major, 0);
	assert_int_equal(m.req.api_minor, 0);
	/* plain paths that start with v */
	assert_ptr_equal(match(r, "GET", "/version", &m), &table[2]);
	assert_int_equal(m.req.api_major, 0);
	assert_ptr_equal(match(r, "GET", "/v1.30/version", &m), &table[2]);
	assert_int_equal(m.req.api_minor, 30);
	assert_ptr_equal(match(r, "GET", "/volumes", &m), &table[3]);
	/* malformed versions */
	assert_null(match(r, "GET", "/vfoo/containers/json", &m));
	assert_int_equal(m.status, 400);
	assert_null(match(r, "GET", "/v1/containers/json", &m));
	assert_int_equal(m.status, 400);
	assert_null(match(r, "GET", "/v1.x/containers/json", &m));
	assert_int_equal(m.status, 400);
	assert_null(match(r, "GET", "/v1.2.3/_ping", &m));
	assert_int_equal(m.status, 400);
	/* an unknown path under a good version is a 404 */
	assert_null(match(r, "GET", "/v1.24/nope", &m));
	assert_int_equal(m.status, 404);
	assert_null(match(r, "GET", "/vfoo", &m));
	assert_int_equal(m.status, 404);
	/* without the flag the prefix is just a path */
	match(r, "GET", "/", &m);
	router_free(r);
	r = router_new(0);
	router_add_table(r, table);
	assert_null(match(r, "GET", "/v1.24/containers/json", &m));
	assert_int_equal(m.status, 404);
	match(r, "GET", "/", &m);
	router_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_404_405_head),
		cmocka_unit_test(test_version_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
