/*
 * test_http_server.c: the HTTP server over real loopback sockets —
 * pipelining, keep-alive, bodies, limits, timeouts, streaming, async
 * answers, hijack both ways, unix sockets and graceful shutdown.
 *
 * Each test starts its own server (options differ) in a thread, with one
 * handler that dispatches on the path; what the server saw is reported
 * back through the atomic fields of `seen`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "test_http_util.h"

static struct ts *g_ts;

static struct {
	atomic_int closed;              /* on_close ran */
	atomic_int done;                /* shutdown finished */
	atomic_int slow_started;        /* /slow reached its handler */
	atomic_int release;             /* /stream may go on after "one" */
	atomic_int pauses;              /* times /upload-slow paused its body */
	atomic_int owner_released;      /* /owned's connection owner let go */
	atomic_int finished;            /* /owned's requests were over */
} seen;

static void
later(int ms, void (*fn)(evutil_socket_t, short, void *), void *arg)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_once(g_ts->base, -1, EV_TIMEOUT, fn, arg, &tv);
}

static void
late_reply(evutil_socket_t fd, short what, void *arg)
{
	http_reply(arg, 200, "text/plain", "late", 4);
}

static void
stream_next(evutil_socket_t fd, short what, void *arg)
{
	struct http_request *req = arg;
	intptr_t step = (intptr_t)req->data + 1;

	if (step == 1 && !atomic_load(&seen.release)) {
		later(20, stream_next, req);    /* the client has not looked yet */
		return;
	}
	req->data = (void *)step;
	if (step == 1) {
		http_stream_write(req, "two", 3);
		later(100, stream_next, req);
	} else {
		http_stream_printf(req, "%s", "three");
		http_stream_end(req);
	}
}

static void
on_close(struct http_request *req, void *arg)
{
	atomic_store(&seen.closed, 1);
}

static void
owner_release(void *owner)
{
	atomic_fetch_add(&seen.owner_released, 1);
}

static void
on_finish(struct http_request *req, void *arg)
{
	atomic_fetch_add(&seen.finished, 1);
}

/* A streamed upload: count the bytes, answer at the end. */
static int
upload_sink(struct http_request *req, const char *data, size_t len, void *arg)
{
	char tmp[32];

	if (len > 0) {
		req->data = (void *)((uintptr_t)req->data + len);
		return 0;
	}
	snprintf(tmp, sizeof tmp, "%zu", (size_t)(uintptr_t)req->data);
	http_reply(req, 200, "text/plain", tmp, strlen(tmp));
	return 0;
}

/* The same, pausing the body after each piece for a moment.  The last
 * piece may come with the end of the body, in the same read: the answer
 * then waits for the resume, which must not find the request gone. */
static struct {
	int resumes;                    /* scheduled, not yet run */
	bool ended;                     /* the body ended meanwhile */
} slow;

static void
upload_resume(evutil_socket_t fd, short what, void *arg)
{
	if (--slow.resumes > 0)
		return;
	if (slow.ended) {
		slow.ended = false;
		upload_sink(arg, "", 0, NULL);
	} else
		http_pause_body(arg, false);
}

static int
upload_slow_sink(struct http_request *req, const char *data, size_t len,
    void *arg)
{
	if (len > 0) {
		atomic_fetch_add(&seen.pauses, 1);
		http_pause_body(req, true);
		slow.resumes++;
		later(5, upload_resume, req);
	} else if (slow.resumes > 0) {
		slow.ended = true;
		return 0;
	}
	return upload_sink(req, data, len, arg);
}

/* Refuses the body at its first bytes, from inside the parser. */
static int
upload_refuse_sink(struct http_request *req, const char *data, size_t len,
    void *arg)
{
	if (len > 0)
		http_reply(req, 400, NULL, NULL, 0);
	return 0;
}

static int
head_hook(struct http_request *req, void *arg)
{
	if (strcmp(req->path, "/forbidden") == 0) {
		http_reply(req, 403, NULL, NULL, 0);
		return -1;
	}
	if (strcmp(req->path, "/big") == 0)
		http_set_body_limit(req, 1 << 20);
	if (strcmp(req->path, "/upload") == 0) {
		req->data = NULL;
		http_stream_body(req, upload_sink, NULL);
	}
	if (strcmp(req->path, "/upload-refuse") == 0)
		http_stream_body(req, upload_refuse_sink, NULL);
	if (strcmp(req->path, "/upload-slow") == 0) {
		req->data = NULL;
		http_stream_body(req, upload_slow_sink, NULL);
	}
	return 0;
}

/* A large answer in one piece, more than the socket buffers hold. */
#define BIGBODY_LEN (8 << 20)

static char *
bigbody(void)
{
	static char *body;

	if (body == NULL) {
		body = malloc(BIGBODY_LEN);
		for (size_t i = 0; i < BIGBODY_LEN; i++)
			body[i] = (char)('a' + i / 4096 % 26);
	}
	return body;
}

/* A large stream written as the client drains it. */
#define BIGSTREAM_TOTAL (4 << 20)

static void
bigstream_more(struct http_request *req, void *arg)
{
	static char block[65536];
	uintptr_t sent = (uintptr_t)req->data;

	while (sent < BIGSTREAM_TOTAL && http_stream_pending(req) < 256 * 1024) {
		memset(block, 'a' + (int)(sent / sizeof block % 26), sizeof block);
		if (http_stream_write(req, block, sizeof block) < 0)
			return;
		sent += sizeof block;
	}
	req->data = (void *)sent;
	if (sent >= BIGSTREAM_TOTAL)
		http_stream_end(req);
	else
		http_stream_on_drain(req, bigstream_more, NULL);
}

static int
reply_text(struct http_request *req, const char *text)
{
	http_reply(req, 200, "text/plain", text, strlen(text));
	return HTTP_DONE;
}

static int
handler(struct http_request *req, void *arg)
{
	const char *p = req->path;
	char tmp[64];

	if (strcmp(p, "/hello") == 0)
		return reply_text(req, "hello");
	if (strcmp(p, "/query") == 0)
		return reply_text(req, http_query(req, "n") ? http_query(req, "n") : "-");
	if (strcmp(p, "/id") == 0)
		return reply_text(req, req->req_id);
	if (strcmp(p, "/owned") == 0) {
		/* an owner once per connection, a finish hook per request;
		 * ?close=1 ends the connection with the answer */
		if (http_conn_owner(req->conn) == NULL)
			http_conn_set_owner(req->conn, (void *)1, owner_release);
		http_on_finish(req, on_finish, NULL);
		if (http_query(req, "close") != NULL)
			http_close_after(req);
		return reply_text(req, "owned");
	}
	if (strcmp(p, "/echo") == 0) {
		http_reply(req, 200, "application/octet-stream", req->body.data,
		    req->body.len);
		return HTTP_DONE;
	}
	if (strcmp(p, "/json") == 0) {
		sdc_error_t err = NULL;
		json_t *v = http_body_json(req, &err);

		if (v == NULL) {
			sdc_error_release(&err);
			http_reply_json(req, 400, json_pack("{s:s}", "message", "bad"));
		} else
			http_reply_json(req, 200, v);
		return HTTP_DONE;
	}
	if (strcmp(p, "/uid") == 0) {
		snprintf(tmp, sizeof tmp, "%ld", http_peer_uid(req));
		return reply_text(req, tmp);
	}
	if (strcmp(p, "/async") == 0) {
		later(100, late_reply, req);
		return HTTP_ASYNC;
	}
	if (strcmp(p, "/slow") == 0) {
		atomic_store(&seen.slow_started, 1);
		later(300, late_reply, req);
		return HTTP_ASYNC;
	}
	if (strcmp(p, "/wait") == 0) {
		http_on_close(req, on_close, NULL);
		return HTTP_ASYNC;
	}
	if (strcmp(p, "/stream") == 0) {
		http_stream_start(req, 200, "text/plain");
		http_stream_write(req, "one", 3);
		req->data = NULL;
		later(20, stream_next, req);
		return HTTP_ASYNC;
	}
	if (strcmp(p, "/upload") == 0 || strcmp(p, "/upload-slow") == 0 ||
	    strcmp(p, "/upload-refuse") == 0)
		return HTTP_ASYNC;      /* the sink answers */
	if (strcmp(p, "/big") == 0 || strcmp(p, "/small") == 0) {
		snprintf(tmp, sizeof tmp, "%zu", req->body.len);
		return reply_text(req, tmp);
	}
	if (strcmp(p, "/bigstream") == 0) {
		http_stream_start(req, 200, "application/octet-stream");
		req->data = NULL;
		bigstream_more(req, NULL);
		return HTTP_ASYNC;
	}
	if (strcmp(p, "/bigbody") == 0) {
		http_reply(req, 200, "application/octet-stream", bigbody(),
		    BIGBODY_LEN);
		return HTTP_DONE;
	}
	if (strcmp(p, "/hijack") == 0)
		return hj_handle(g_ts, req, false);
	if (strcmp(p, "/hijack-first") == 0)
		return hj_handle(g_ts, req, true);
	if (strcmp(p, "/silent") == 0)
		return HTTP_DONE;       /* a bug: the server answers 500 */
	http_reply(req, 404, NULL, NULL, 0);
	return HTTP_DONE;
}

static struct ts *
server(const struct http_server_options *opts)
{
	struct http_server_options o = { 0 };

	if (opts != NULL)
		o = *opts;
	memset(&seen, 0, sizeof seen);
	hj_reset();
	g_ts = ts_new(&o, handler, NULL);
	http_server_set_head_hook(g_ts->srv, head_hook, NULL);
	ts_listen(g_ts, NULL);
	ts_start(g_ts);
	return g_ts;
}

static void
done(struct ts *ts)
{
	ts_call(ts, hj_drop_all, NULL);
	ts_free(ts);
}

static void
test_pipelining_keepalive(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	struct tresp r;

	assert_non_null(tc);
	assert_int_equal(tc_send(tc,
	    "GET /query?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /async HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /query?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
	assert_int_equal(tc_response(tc, &r), 200);
	assert_string_equal(buf_str(&r.body), "1");
	tresp_free(&r);
	assert_int_equal(tc_response(tc, &r), 200);
	assert_string_equal(buf_str(&r.body), "late");
	tresp_free(&r);
	assert_int_equal(tc_response(tc, &r), 200);
	assert_string_equal(buf_str(&r.body), "3");
	assert_true(r.keep_alive);
	tresp_free(&r);
	/* the same connection, once more */
	assert_int_equal(tc_request(tc, "GET /query?n=4 HTTP/1.1\r\n\r\n", &r), 200);
	assert_string_equal(buf_str(&r.body), "4");
	assert_true(tresp_has(&r, "date: "));
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "GET /nowhere HTTP/1.1\r\n\r\n", &r), 404);
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "GET /silent HTTP/1.1\r\n\r\n", &r), 500);
	tresp_free(&r);
	tc_close(tc);
	done(ts);
}

/* More pipelined requests than the server buffers (256 KiB) while the
 * first one waits for its answer: reading stops, then goes on as the
 * parser drains the input, and every answer comes, in order. */
static void
test_pipelined_flood(void **state)
{
	enum { N = 12000 };
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	struct buf reqs = BUF_INIT;
	struct tresp r;
	char want[16];

	assert_non_null(tc);
	buf_puts(&reqs, "GET /async HTTP/1.1\r\nHost: x\r\n\r\n");
	for (int i = 1; i <= N; i++)
		buf_printf(&reqs, "GET /query?n=%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
	assert_true(reqs.len > 400 * 1024);
	assert_int_equal(tc_write(tc, reqs.data, reqs.len), 0);
	buf_free(&reqs);
	assert_int_equal(tc_response(tc, &r), 200);
	assert_string_equal(buf_str(&r.body), "late");
	tresp_free(&r);
	for (int i = 1; i <= N; i++) {
		assert_int_equal(tc_response(tc, &r), 200);
		snprintf(want, sizeof want, "%d", i);
		assert_string_equal(buf_str(&r.body), want);
		tresp_free(&r);
	}
	tc_close(tc);
	done(ts);
}

static void
test_bodies(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	struct tresp r;

	assert_int_equal(tc_send(tc, "POST /echo HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"), 0);
	usleep(50000);
	assert_int_equal(tc_request(tc, "6\r\n world\r\n0\r\n\r\n", &r), 200);
	assert_string_equal(buf_str(&r.body), "hello world");
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "POST /echo HTTP/1.1\r\n"
	    "Content-Length: 3\r\n\r\nabc", &r), 200);
	assert_string_equal(buf_str(&r.body), "abc");
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "POST /json HTTP/1.1\r\n"
	    "Content-Length: 8\r\n\r\n{\"a\": 1}", &r), 200);
	assert_string_equal(buf_str(&r.body), "{\"a\":1}");
	assert_true(tresp_has(&r, "content-type: application/json"));
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "POST /json HTTP/1.1\r\n"
	    "Content-Length: 0\r\n\r\n", &r), 200);
	assert_string_equal(buf_str(&r.body), "{}");
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "POST /json HTTP/1.1\r\n"
	    "Content-Length: 3\r\n\r\n{x}", &r), 400);
	tresp_free(&r);
	/* Expect: 100-continue gets its interim answer first */
	assert_int_equal(tc_request(tc, "POST /echo HTTP/1.1\r\n"
	    "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n", &r), 100);
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "ok", &r), 200);
	assert_string_equal(buf_str(&r.body), "ok");
	tresp_free(&r);
	tc_close(tc);
	done(ts);
}

static void
test_head_hook(void **state)
{
	struct http_server_options o = { .max_body_bytes = 1024 };
	struct ts *ts = server(&o);
	struct tc *tc = tc_connect(ts->port);
	static char body[300000];
	char head[128];
	struct tresp r;

	/* answered from the hook: the body is dropped, the connection lives */
	assert_int_equal(tc_request(tc, "POST /forbidden HTTP/1.1\r\n"
	    "Content-Length: 5000\r\n\r\n", &r), 403);
	tresp_free(&r);
	memset(body, 'x', sizeof body);
	assert_int_equal(tc_write(tc, body, 5000), 0);
	/* a limit raised by the hook */
	snprintf(head, sizeof head, "POST /big HTTP/1.1\r\n"
	    "Content-Length: %d\r\n\r\n", 4000);
	tc_send(tc, head);
	tc_write(tc, body, 4000);
	assert_int_equal(tc_response(tc, &r), 200);
	assert_string_equal(buf_str(&r.body), "4000");
	tresp_free(&r);
	/* a body streamed to a sink, past the buffered limit */
	snprintf(head, sizeof head, "POST /upload HTTP/1.1\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof body);
	tc_send(tc, head);
	tc_write(tc, body, sizeof body);
	assert_int_equal(tc_response(tc, &r), 200);
	assert_string_equal(buf_str(&r.body), "300000");
	tresp_free(&r);
	/* the same, paused after each piece: all of it arrives, in order */
	snprintf(head, sizeof head, "POST /upload-slow HTTP/1.1\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof body);
	tc_send(tc, head);
	tc_write(tc, body, sizeof body);
	assert_int_equal(tc_response(tc, &r), 200);
	assert_string_equal(buf_str(&r.body), "300000");
	assert_true(atomic_load(&seen.pauses) > 1);
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	tc_close(tc);
	/* a sink that answers early, on a connection that ends with it */
	tc = tc_connect(ts->port);
	snprintf(head, sizeof head, "POST /upload-refuse HTTP/1.0\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof body);
	tc_send(tc, head);
	tc_write(tc, body, sizeof body);
	assert_int_equal(tc_response(tc, &r), 400);
	tresp_free(&r);
	assert_true(tc_wait_eof(tc, 3));
	tc_close(tc);
	tc = tc_connect(ts->port);
	/* refused before a body the client only sends when asked: the body
	 * may never come, so the connection ends */
	assert_int_equal(tc_request(tc, "POST /forbidden HTTP/1.1\r\n"
	    "Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n", &r), 403);
	assert_true(tresp_has(&r, "connection: close"));
	tresp_free(&r);
	assert_true(tc_wait_eof(tc, 3));
	tc_close(tc);
	done(ts);
}

static void
test_stream_drain(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	struct tresp r;
	bool ok = true;

	assert_int_equal(tc_request(tc, "GET /bigstream HTTP/1.1\r\n\r\n", &r), 200);
	assert_int_equal(r.body.len, BIGSTREAM_TOTAL);
	for (size_t i = 0; i < r.body.len; i += 65536)
		ok = ok && r.body.data[i] == 'a' + (int)(i / 65536 % 26);
	assert_true(ok);
	tresp_free(&r);
	tc_close(tc);
	done(ts);
}

static void
expect_error_then_close(int port, const char *req, int status)
{
	struct tc *tc = tc_connect(port);
	struct tresp r;

	assert_int_equal(tc_request(tc, req, &r), status);
	assert_true(tresp_has(&r, "connection: close"));
	tresp_free(&r);
	assert_true(tc_wait_eof(tc, 3));
	tc_close(tc);
}

static void
test_errors_and_limits(void **state)
{
	struct http_server_options o = { .max_body_bytes = 1024,
		.max_header_bytes = 1024 };
	struct ts *ts = server(&o);
	char big[2048];

	expect_error_then_close(ts->port, "BL\001H / HTTP/1.1\r\n\r\n", 400);
	expect_error_then_close(ts->port, "GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400);
	expect_error_then_close(ts->port, "GET /%00 HTTP/1.1\r\n\r\n", 400);
	expect_error_then_close(ts->port, "POST /echo HTTP/1.1\r\n"
	    "Content-Length: 5000\r\n\r\n", 413);
	memset(big, 'a', sizeof big);
	memcpy(big, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "400\r\n", 56);
	memcpy(big + 56 + 0x400, "\r\n400\r\n", 7);
	big[56 + 0x400 + 7 + 100] = '\0';     /* over by 100 */
	expect_error_then_close(ts->port, big, 413);
	memset(big, 'b', sizeof big);
	memcpy(big, "GET / HTTP/1.1\r\nX-Big: ", 23);
	strcpy(big + sizeof big - 5, "\r\n\r\n");
	expect_error_then_close(ts->port, big, 431);
	done(ts);
}

static void
test_slowloris(void **state)
{
	struct http_server_options o = { .request_timeout_sec = 1 };
	struct ts *ts = server(&o);
	struct tc *tc = tc_connect(ts->port);
	double start = tc_now(), took;
	char tmp[256];
	ssize_t n = -1;

	tc_send(tc, "GET /hello HTTP/1.1\r\n");
	tc_timeout(tc->fd, 300);
	while (tc_now() - start < 5) {
		if (tc_send(tc, "X") < 0)
			break;
		n = recv(tc->fd, tmp, sizeof tmp, 0);
		if (n >= 0)
			break;
	}
	took = tc_now() - start;
	assert_true(n >= 0 || took < 5);
	assert_true(took >= 0.9 && took < 4);
	tc_close(tc);
	done(ts);
}

static void
test_idle_timeout(void **state)
{
	struct http_server_options o = { .idle_timeout_sec = 1 };
	struct ts *ts = server(&o);
	struct tc *tc = tc_connect(ts->port);
	struct tresp r;
	double start;

	assert_int_equal(tc_request(tc, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	start = tc_now();
	assert_true(tc_wait_eof(tc, 4));
	assert_true(tc_now() - start > 0.8);
	tc_close(tc);
	done(ts);
}

static void
test_streaming(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	struct tresp r;
	double start = tc_now();

	/* "one" arrives on its own: the rest waits until we have seen it */
	memset(&r, 0, sizeof r);
	tc_send(tc, "GET /stream HTTP/1.1\r\n\r\n");
	assert_int_equal(tc_until(tc, &r, 1), 200);
	assert_false(r.complete);
	assert_string_equal(buf_str(&r.body), "one");
	assert_true(tresp_has(&r, "transfer-encoding: chunked"));
	atomic_store(&seen.release, 1);
	assert_int_equal(tc_until(tc, &r, 0), 200);
	assert_string_equal(buf_str(&r.body), "onetwothree");
	assert_true(tc_now() - start >= 0.1);
	tresp_free(&r);
	/* the connection is still good */
	assert_int_equal(tc_request(tc, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	tc_close(tc);

	/* HTTP/1.0: no chunks; the end of the body is the close */
	tc = tc_connect(ts->port);
	assert_int_equal(tc_request(tc, "GET /stream HTTP/1.0\r\n\r\n", &r), 200);
	assert_string_equal(buf_str(&r.body), "onetwothree");
	assert_false(tresp_has(&r, "chunked"));
	tresp_free(&r);
	tc_close(tc);
	done(ts);
}

static void
test_on_close(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);

	tc_send(tc, "GET /wait HTTP/1.1\r\n\r\n");
	usleep(100000);
	assert_int_equal(atomic_load(&seen.closed), 0);
	tc_close(tc);
	assert_true(tc_wait_flag(&seen.closed, 1, 3));
	done(ts);
}

static void
test_head_and_request_id(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	struct tresp r;

	tc->head_request = true;
	assert_int_equal(tc_request(tc, "HEAD /hello HTTP/1.1\r\n\r\n", &r), 200);
	assert_true(tresp_has(&r, "content-length: 5"));
	assert_int_equal(r.body.len, 0);
	tresp_free(&r);
	/* had a body been sent, this would read it as a response */
	assert_int_equal(tc_request(tc, "GET /id HTTP/1.1\r\n"
	    "X-Request-Id: abc-123\r\n\r\n", &r), 200);
	assert_string_equal(buf_str(&r.body), "abc-123");
	assert_true(tresp_has(&r, "x-request-id: abc-123"));
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "GET /id HTTP/1.1\r\n\r\n", &r), 200);
	assert_int_equal(r.body.len, 36);
	tresp_free(&r);
	/* HTTP/1.0 without keep-alive: answered, then closed */
	assert_int_equal(tc_request(tc, "GET /hello HTTP/1.0\r\n\r\n", &r), 200);
	assert_true(tresp_has(&r, "connection: close"));
	tresp_free(&r);
	assert_true(tc_wait_eof(tc, 3));
	tc_close(tc);
	done(ts);
}

static void
test_hijack_upgrade(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	char *head, got[8];

	/* "early" arrives with the request: it must reach the new owner */
	tc_send(tc, "POST /hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
	    "Upgrade: tcp\r\nContent-Length: 0\r\n\r\nearly");
	head = tc_raw_head(tc);
	assert_non_null(head);
	assert_non_null(strstr(head, "HTTP/1.1 101 UPGRADED\r\n"));
	assert_non_null(strstr(head, "Upgrade: tcp\r\n"));
	assert_non_null(strstr(head,
	    "Content-Type: application/vnd.docker.raw-stream\r\n"));
	free(head);
	assert_int_equal(tc_read_exact(tc, got, 5), 0);
	assert_memory_equal(got, "early", 5);
	tc_send(tc, "ping");
	assert_int_equal(tc_read_exact(tc, got, 4), 0);
	assert_memory_equal(got, "ping", 4);
	/* we half-close; the server still writes, then half-closes */
	shutdown(tc->fd, SHUT_WR);
	assert_int_equal(tc_read_exact(tc, got, 3), 0);
	assert_memory_equal(got, "bye", 3);
	assert_true(tc_wait_eof(tc, 3));
	assert_int_equal(atomic_load(&hj_seen.eof), 1);
	tc_close(tc);
	done(ts);
}

static void
test_hijack_raw(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	char *head, got[8];

	/* no Upgrade asked: 200 OK and a raw stream */
	tc_send(tc, "POST /hijack-first HTTP/1.1\r\nHost: x\r\n\r\n");
	head = tc_raw_head(tc);
	assert_non_null(head);
	assert_non_null(strstr(head, "HTTP/1.1 200 OK\r\n"));
	assert_null(strstr(head, "Upgrade"));
	free(head);
	assert_int_equal(tc_read_exact(tc, got, 5), 0);
	assert_memory_equal(got, "hello", 5);
	/* the server half-closed; we can still write to it */
	assert_true(tc_wait_eof(tc, 3));
	assert_int_equal(tc_send(tc, "after"), 0);
	assert_true(tc_wait_flag(&hj_seen.got_len, 5, 3));
	assert_memory_equal(hj_seen.got, "after", 5);
	tc_close(tc);
	done(ts);
}

static void
test_unix_socket(void **state)
{
	char dir[] = "/tmp/sdc-http-test-XXXXXX", path[128], addr[140], tmp[32];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	sdc_error_t err = NULL;
	struct stat st;
	struct tresp r;
	struct tc *tc;
	struct ts *ts;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s.sock", dir);
	snprintf(addr, sizeof addr, "unix:%s", path);
	/* a stale socket file, as a crashed daemon leaves */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);

	memset(&seen, 0, sizeof seen);
	hj_reset();
	g_ts = ts = ts_new(NULL, handler, NULL);
	assert_int_equal(http_server_listen(ts->srv, addr, NULL, 0660, &err), 0);
	assert_int_equal(http_server_port(ts->srv, 0), -1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	/* a live one is refused */
	assert_int_equal(http_server_listen(ts->srv, addr, NULL, 0, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "in use"));
	sdc_error_release(&err);
	ts_start(ts);

	tc = tc_connect_unix(path);
	assert_non_null(tc);
	assert_int_equal(tc_request(tc, "GET /uid HTTP/1.1\r\n\r\n", &r), 200);
	snprintf(tmp, sizeof tmp, "%ld", (long)getuid());
	assert_string_equal(buf_str(&r.body), tmp);
	tresp_free(&r);
	tc_close(tc);
	done(ts);
	assert_int_not_equal(access(path, F_OK), 0);   /* removed at close */
	rmdir(dir);
}

static void
test_listen_addresses(void **state)
{
	struct event_base *base = event_base_new();
	struct http_server *srv = http_server_new(base, NULL);
	sdc_error_t err = NULL;
	int l;

	l = http_server_listen(srv, "localhost:0", NULL, 0, &err);
	assert_true(l >= 0);
	assert_true(http_server_port(srv, l) > 0);
	l = http_server_listen(srv, "[::1]:0", NULL, 0, &err);
	if (l < 0)      /* no IPv6 loopback here */
		sdc_error_release(&err);
	else
		assert_true(http_server_port(srv, l) > 0);
	assert_int_equal(http_server_listen(srv, "nope", NULL, 0, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "nope"));
	sdc_error_release(&err);
	assert_int_equal(http_server_listen(srv, "127.0.0.1:99999", NULL, 0, &err), -1);
	sdc_error_release(&err);
	assert_int_equal(http_server_listen(srv, "[::1:80", NULL, 0, &err), -1);
	sdc_error_release(&err);
	assert_int_equal(http_server_port(srv, 42), -1);
	http_server_free(srv);
	event_base_free(base);
}

/* A new connection from `from` is served (200) within a few seconds: the
 * server may not yet have seen an earlier one close. */
static bool
served_soon(int port, const char *from)
{
	struct tresp r;
	double end = tc_now() + 5;

	while (tc_now() < end) {
		struct tc *c = tc_connect_from(port, from);
		int status = c == NULL ? -1 :
		    tc_request(c, "GET /hello HTTP/1.1\r\n\r\n", &r);

		if (c != NULL)
			tc_close(c);
		if (status == 200) {
			tresp_free(&r);
			return true;
		}
		usleep(50 * 1000);
	}
	return false;
}

/* At the cap a new connection is closed at once (not left in the queue),
 * and the connections already open are still served. */
static void
test_max_connections(void **state)
{
	struct http_server_options o = { .max_connections = 1 };
	struct ts *ts = server(&o);
	struct tc *a = tc_connect(ts->port), *b;
	struct tresp r;
	double start;

	assert_int_equal(tc_request(a, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	b = tc_connect(ts->port);
	start = tc_now();
	if (b != NULL) {
		tc_send(b, "GET /hello HTTP/1.1\r\n\r\n");
		assert_true(tc_wait_eof(b, 3));
		assert_true(tc_now() - start < 2);
		tc_close(b);
	}
	assert_int_equal(tc_request(a, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	tc_close(a);
	assert_true(served_soon(ts->port, "127.0.0.1"));
	done(ts);
}

/* Limits per client address: connections that have not sent a first
 * request, and all of them.  Another address is served meanwhile. */
static void
test_peer_limits(void **state)
{
	struct http_server_options o = { .peer_max_pending = 2,
		.peer_max_connections = 3 };
	struct ts *ts = server(&o);
	struct tc *p1 = tc_connect_from(ts->port, "127.0.0.2");
	struct tc *p2 = tc_connect_from(ts->port, "127.0.0.2"), *p3, *p4, *p5;
	struct tresp r;

	assert_non_null(p1);
	assert_non_null(p2);
	/* a third silent one from the same address: closed at once */
	p3 = tc_connect_from(ts->port, "127.0.0.2");
	if (p3 != NULL) {
		assert_true(tc_wait_eof(p3, 2));
		tc_close(p3);
	}
	/* another address is not held back */
	assert_true(served_soon(ts->port, "127.0.0.1"));
	/* once p1 has sent a request it is no longer pending ... */
	assert_int_equal(tc_request(p1, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	p4 = tc_connect_from(ts->port, "127.0.0.2");
	assert_non_null(p4);
	assert_int_equal(tc_request(p4, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	/* ... but three connections are all the address may hold */
	p5 = tc_connect_from(ts->port, "127.0.0.2");
	if (p5 != NULL) {
		tc_send(p5, "GET /hello HTTP/1.1\r\n\r\n");
		assert_true(tc_wait_eof(p5, 2));
		tc_close(p5);
	}
	assert_int_equal(tc_request(p1, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	tc_close(p1);
	tc_close(p2);
	tc_close(p4);
	/* the counts go down as connections close */
	assert_true(served_soon(ts->port, "127.0.0.2"));
	done(ts);
}

/* The daemon's accounting hooks: a request's finish runs once it is over,
 * the connection's owner is released once when it closes, and
 * http_close_after() ends the connection with the answer. */
static void
test_owner_and_finish(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	struct tresp r;

	assert_int_equal(tc_request(tc, "GET /owned HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "GET /owned HTTP/1.1\r\n\r\n", &r), 200);
	assert_false(tresp_has(&r, "connection: close"));
	tresp_free(&r);
	assert_true(tc_wait_flag(&seen.finished, 2, 5));
	assert_int_equal(atomic_load(&seen.owner_released), 0);
	assert_int_equal(tc_request(tc, "GET /owned?close=1 HTTP/1.1\r\n\r\n", &r), 200);
	assert_true(tresp_has(&r, "connection: close"));
	tresp_free(&r);
	assert_true(tc_wait_eof(tc, 5));
	assert_true(tc_wait_flag(&seen.owner_released, 1, 5));
	assert_true(tc_wait_flag(&seen.finished, 3, 5));
	tc_close(tc);
	done(ts);
}

/* A connection that says nothing is closed at the handshake timeout. */
static void
test_handshake_timeout(void **state)
{
	struct http_server_options o = { .handshake_timeout_sec = 1 };
	struct ts *ts = server(&o);
	struct tc *tc = tc_connect(ts->port);
	double start = tc_now();

	assert_true(tc_wait_eof(tc, 5));
	assert_true(tc_now() - start > 0.8 && tc_now() - start < 4);
	tc_close(tc);
	done(ts);
}

static void
on_done(void *arg)
{
	atomic_store(&seen.done, 1);
}

static void
cmd_shutdown(struct ts *ts, void *arg)
{
	http_server_shutdown(ts->srv, 5, on_done, NULL);
}

static void
test_graceful_shutdown(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *busy = tc_connect(ts->port), *idle = tc_connect(ts->port);
	struct tresp r;

	tc_send(busy, "GET /slow HTTP/1.1\r\n\r\n");
	assert_true(tc_wait_flag(&seen.slow_started, 1, 5));
	ts_call(ts, cmd_shutdown, NULL);
	assert_true(tc_wait_eof(idle, 2));      /* idle: closed at once */
	usleep(50000);
	assert_null(tc_connect(ts->port));      /* no longer accepting */
	assert_int_equal(atomic_load(&seen.done), 0);
	assert_int_equal(tc_response(busy, &r), 200);   /* finished */
	assert_string_equal(buf_str(&r.body), "late");
	assert_true(tresp_has(&r, "connection: close"));
	tresp_free(&r);
	tc_close(busy);
	assert_true(tc_wait_flag(&seen.done, 1, 3));
	tc_close(idle);
	done(ts);
}

static void
expect_bigbody(struct tc *tc)
{
	struct tresp r;

	assert_int_equal(tc_response(tc, &r), 200);
	assert_int_equal(r.body.len, BIGBODY_LEN);
	assert_memory_equal(r.body.data, bigbody(), BIGBODY_LEN);
	tresp_free(&r);
}

/* A hijack while the answer before it still waits for the client to read:
 * the new owner's bytes must come after all of that answer. */
static void
test_hijack_after_stuck_answer(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);
	char *head, got[8];

	tc_send(tc, "GET /bigbody HTTP/1.1\r\n\r\n");
	usleep(200000);                 /* the server's send now waits */
	tc_send(tc, "POST /hijack-first HTTP/1.1\r\nHost: x\r\n\r\n");
	usleep(200000);
	expect_bigbody(tc);
	head = tc_raw_head(tc);
	assert_non_null(head);
	assert_non_null(strstr(head, "HTTP/1.1 200 OK\r\n"));
	free(head);
	assert_int_equal(tc_read_exact(tc, got, 5), 0);
	assert_memory_equal(got, "hello", 5);
	assert_true(tc_wait_eof(tc, 3));
	tc_close(tc);
	done(ts);
}

/* The client resets the connection while a large answer is being sent:
 * the server closes it (the request waiting behind learns it) and goes on
 * serving others. */
static void
test_reset_while_sending(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port), *other;
	struct linger lg = { 1, 0 };
	struct tresp r;
	char some[65536];

	tc_send(tc, "GET /bigbody HTTP/1.1\r\n\r\nGET /wait HTTP/1.1\r\n\r\n");
	assert_true(recv(tc->fd, some, sizeof some, MSG_WAITALL) > 0);
	usleep(100000);
	setsockopt(tc->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	tc_close(tc);
	assert_true(tc_wait_flag(&seen.closed, 1, 3));
	other = tc_connect(ts->port);
	assert_int_equal(tc_request(other, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	tc_close(other);
	done(ts);
}

/* The server is freed while a send of its waits in the kernel: the
 * connection goes with it, nothing is left behind (see make check). */
static void
test_free_while_sending(void **state)
{
	struct ts *ts = server(NULL);
	struct tc *tc = tc_connect(ts->port);

	tc_send(tc, "GET /bigbody HTTP/1.1\r\n\r\n");
	usleep(200000);
	done(ts);
	tc_close(tc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelining_keepalive),
		cmocka_unit_test(test_pipelined_flood),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_head_hook),
		cmocka_unit_test(test_stream_drain),
		cmocka_unit_test(test_errors_and_limits),
		cmocka_unit_test(test_slowloris),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_on_close),
		cmocka_unit_test(test_head_and_request_id),
		cmocka_unit_test(test_hijack_upgrade),
		cmocka_unit_test(test_hijack_raw),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_graceful_shutdown),
		cmocka_unit_test(test_listen_addresses),
		cmocka_unit_test(test_max_connections),
		cmocka_unit_test(test_peer_limits),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_owner_and_finish),
		cmocka_unit_test(test_hijack_after_stuck_answer),
		cmocka_unit_test(test_reset_while_sending),
		cmocka_unit_test(test_free_while_sending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
