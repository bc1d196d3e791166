/*
 * test_http_parse.c: the request parser alone, no sockets: heads, query
 * and path decoding, pipelining, chunked bodies, limits, upgrades, and
 * the same bytes fed one at a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http-internal.h"

struct run {
	struct http_req *reqs[8];
	int n;
	int status;             /* an error's, else 0 */
	size_t used;            /* bytes taken in all */
};

/* Feed text in pieces of `step` bytes (0: all at once) until it is used
 * up or the parser stops with an error; collect the finished requests. */
static void
run_parse(const char *text, size_t len, size_t step, size_t max_header,
    size_t max_body, struct run *out)
{
	struct http_parse ps;
	size_t off = 0;

	memset(out, 0, sizeof *out);
	http_parse_init(&ps, max_header, max_body);
	while (off < len) {
		size_t n = step && len - off > step ? step : len - off, used;
		enum http_parse_event ev = http_parse_feed(&ps, text + off, n, &used);

		off += used;
		if (ev == HTTP_PARSE_ERROR) {
			out->status = ps.status;
			break;
		}
		if (ev == HTTP_PARSE_HEAD)
			out->reqs[out->n] = ps.req;     /* ours from now on */
		if (ev == HTTP_PARSE_DONE && ++out->n == 7)
			break;
		if (ev == HTTP_PARSE_DONE && http_parse_upgraded(&ps))
			break;
	}
	/* the parser first: it looks at its request to see whose it is */
	http_parse_free(&ps);
	/* a request whose body never finished */
	http_req_free(out->reqs[out->n]);
	out->reqs[out->n] = NULL;
	out->used = off;
}

static void
run_free(struct run *r)
{
	for (int i = 0; i < r->n; i++)
		http_req_free(r->reqs[i]);
	memset(r, 0, sizeof *r);
}

static void
test_head_fields(void **state)
{
	const char *t = "GET /containers/a%20b/json?all=1&filters=%7B%22a%22%7D"
	    "&x+y=p+q&flag&=skip&e= HTTP/1.1\r\nHost: example\r\n"
	    "X-Empty:\r\nX-Multi: one\r\nx-multi: two\r\n\r\n";
	struct run r;
	struct http_request *q;

	for (size_t step = 0; step < 4; step++) {
		run_parse(t, strlen(t), step, 65536, 1024, &r);
		assert_int_equal(r.status, 0);
		assert_int_equal(r.n, 1);
		q = &r.reqs[0]->pub;
		assert_string_equal(q->method, "GET");
		assert_int_equal(q->http_minor, 1);
		assert_string_equal(q->path, "/containers/a b/json");
		assert_string_equal(http_query(q, "all"), "1");
		assert_string_equal(http_query(q, "filters"), "{\"a\"}");
		assert_string_equal(http_query(q, "x y"), "p q");
		assert_string_equal(http_query(q, "flag"), "");
		assert_string_equal(http_query(q, "e"), "");
		assert_null(http_query(q, "nope"));
		assert_true(http_query_bool(q, "all", false));
		assert_true(http_query_bool(q, "flag", true));  /* empty: def */
		assert_false(http_query_bool(q, "flag", false));
		assert_true(http_query_bool(q, "absent", true));
		assert_string_equal(http_header(q, "host"), "example");
		assert_string_equal(http_header(q, "x-empty"), "");
		assert_string_equal(http_header(q, "X-MULTI"), "one");
		assert_int_equal(q->nheaders, 4);
		assert_string_equal(q->headers[3].name, "x-multi");
		assert_int_equal(strlen(q->req_id), 36);
		run_free(&r);
	}
}

static void
test_query_bool(void **state)
{
	const char *t = "GET /?a=1&b=true&c=True&d=yes&e=0&f=false&g=False"
	    "&h=no&i=maybe HTTP/1.1\r\nX-Request-Id: my-id\r\n\r\n";
	struct run r;
	struct http_request *q;

	run_parse(t, strlen(t), 0, 65536, 1024, &r);
	q = &r.reqs[0]->pub;
	assert_true(http_query_bool(q, "a", false));
	assert_true(http_query_bool(q, "b", false));
	assert_true(http_query_bool(q, "c", false));
	assert_true(http_query_bool(q, "d", false));
	assert_false(http_query_bool(q, "e", true));
	assert_false(http_query_bool(q, "f", true));
	assert_false(http_query_bool(q, "g", true));
	assert_false(http_query_bool(q, "h", true));
	assert_true(http_query_bool(q, "i", true));
	assert_string_equal(q->req_id, "my-id");
	run_free(&r);
}

static void
test_pipelined(void **state)
{
	const char *t = "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\n"
	    "Content-Length: 3\r\n\r\nxyzGET /c HTTP/1.0\r\n\r\n";
	struct http_parse ps;
	enum http_parse_event ev;
	size_t used;

	/* the parser stops after each head and each message */
	http_parse_init(&ps, 65536, 1024);
	ev = http_parse_feed(&ps, t, strlen(t), &used);
	assert_int_equal(ev, HTTP_PARSE_HEAD);
	assert_int_equal(used, strlen("GET /a HTTP/1.1\r\n\r") );
	struct http_req *a = ps.req;
	ev = http_parse_feed(&ps, t + used, strlen(t) - used, &used);
	assert_int_equal(ev, HTTP_PARSE_DONE);
	assert_int_equal(used, 1);
	assert_null(ps.req);
	http_req_free(a);
	http_parse_free(&ps);

	for (size_t step = 0; step < 3; step++) {
		struct run r;

		run_parse(t, strlen(t), step, 65536, 1024, &r);
		assert_int_equal(r.n, 3);
		assert_string_equal(r.reqs[0]->pub.path, "/a");
		assert_string_equal(r.reqs[1]->pub.method, "POST");
		assert_string_equal(buf_str(&r.reqs[1]->pub.body), "xyz");
		assert_string_equal(r.reqs[2]->pub.path, "/c");
		assert_int_equal(r.reqs[2]->pub.http_minor, 0);
		assert_false(r.reqs[2]->keep_alive);
		assert_true(r.reqs[0]->keep_alive);
		run_free(&r);
	}
}

static void
test_chunked(void **state)
{
	const char *t = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: yes\r\n\r\n";
	struct run r;

	for (size_t step = 0; step < 3; step++) {
		run_parse(t, strlen(t), step, 65536, 1024, &r);
		assert_int_equal(r.status, 0);
		assert_int_equal(r.n, 1);
		assert_string_equal(buf_str(&r.reqs[0]->pub.body), "Wikipedia");
		assert_null(http_header(&r.reqs[0]->pub, "Trailer"));
		run_free(&r);
	}
	/* over the limit, in a chunked body */
	run_parse(t, strlen(t), 0, 65536, 8, &r);
	assert_int_equal(r.status, 413);
	run_free(&r);
}

static void
test_errors(void **state)
{
	static const struct { const char *text; int status; } cases[] = {
		{ "GARBAGE\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nNo Colon\r\n\r\n", 400 },
		{ "GET /%00x HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400 },
		{ "GET / HTTP/9.9\r\n\r\n", 0 },
	};
	struct run r;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		run_parse(cases[i].text, strlen(cases[i].text), 0, 65536, 1024, &r);
		if (cases[i].status == 0) {
			run_free(&r);
			continue;
		}
		assert_int_equal(r.status, cases[i].status);
		run_free(&r);
	}
}

static void
test_head_limit(void **state)
{
	char big[4096];
	struct run r;

	memset(big, 'a', sizeof big);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	memcpy(big + sizeof big - 4, "\r\n\r\n", 4);
	for (size_t step = 0; step < 2; step++) {
		run_parse(big, sizeof big, step ? 1000 : 0, 1024, 1024, &r);
		assert_int_equal(r.status, 431);
		assert_true(r.used <= 1024);
		run_free(&r);
	}
	/* the same head fits a larger limit */
	run_parse(big, sizeof big, 0, 8192, 1024, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.n, 1);
	run_free(&r);
}

static void
test_upgrade(void **state)
{
	const char *t = "POST /attach HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: tcp\r\n\r\nRAW BYTES";
	struct run r;

	run_parse(t, strlen(t), 0, 65536, 1024, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.used, strlen(t) - strlen("RAW BYTES"));
	run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_fields),
		cmocka_unit_test(test_query_bool),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_head_limit),
		cmocka_unit_test(test_upgrade),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
