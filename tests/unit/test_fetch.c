/*
 * test_fetch.c: lib/fetch against real servers on loopback:
 * the project's own HTTP server (plain, TLS with a self-signed certificate,
 * and a unix socket) in a thread, plus two small raw servers for what it
 * would never do: a body that ends when the connection closes, a body cut
 * short, a server that never answers, and a forward proxy that tunnels
 * CONNECT.  A client's making touches no descriptor of the process but
 * its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include "test_http_util.h"
#include "fetch.h"

static struct ts *g_plain, *g_tls, *g_mtls;
static char g_dir[] = "/tmp/test_fetch.XXXXXX";
static char g_sock[300], g_ca[300], g_mtls_ca[300];

/* --- the servers' side --- */

static int
reply(struct http_request *req, int status, const char *text)
{
	http_reply(req, status, "text/plain", text, strlen(text));
	return HTTP_DONE;
}

static int
handler(struct http_request *req, void *arg)
{
	const char *p = req->path, *h;
	char tmp[512];

	if (strncmp(req->target, "http://", 7) == 0) {
		snprintf(tmp, sizeof tmp, "proxied %s", req->target);
		return reply(req, 200, tmp);
	}
	if (strcmp(p, "/hello") == 0)
		return reply(req, 200, "hello");
	if (strcmp(p, "/echo") == 0) {
		h = http_header(req, "X-Test");
		snprintf(tmp, sizeof tmp, "%s %s %s [%.*s]", req->method,
		    h != NULL ? h : "-", http_header(req, "Host"),
		    (int)req->body.len, buf_str(&req->body));
		return reply(req, 201, tmp);
	}
	if (strcmp(p, "/length") == 0) {
		snprintf(tmp, sizeof tmp, "%s %zu %zu", req->method, req->body.len,
		    strspn(buf_str(&req->body), "b"));
		return reply(req, 200, tmp);
	}
	if (strcmp(p, "/auth") == 0) {
		h = http_header(req, "Authorization");
		return reply(req, 200, h != NULL ? h : "none");
	}
	if (strcmp(p, "/conn") == 0) {
		snprintf(tmp, sizeof tmp, "%p", (void *)req->conn);
		return reply(req, 200, tmp);
	}
	if (strcmp(p, "/chunked") == 0) {
		http_stream_start(req, 200, "text/plain");
		http_stream_write(req, "one,", 4);
		http_stream_write(req, "two,", 4);
		http_stream_write(req, "three", 5);
		http_stream_end(req);
		return HTTP_DONE;
	}
	if (strcmp(p, "/big") == 0) {
		char *big = malloc(300000);

		memset(big, 'x', 300000);
		http_reply(req, 200, "application/octet-stream", big, 300000);
		free(big);
		return HTTP_DONE;
	}
	if (strcmp(p, "/redirect") == 0) {
		http_set_header(req, "Location", "/hello");
		return reply(req, 302, "moved");
	}
	if (strcmp(p, "/redirect-rel") == 0) {
		http_set_header(req, "Location", "auth");
		return reply(req, 307, "moved");
	}
	if (strcmp(p, "/redirect-away") == 0) {
		/* the same server under another name: another host */
		snprintf(tmp, sizeof tmp, "http://localhost:%d/auth",
		    g_plain->port);
		http_set_header(req, "Location", tmp);
		return reply(req, 302, "moved");
	}
	if (strcmp(p, "/loop") == 0) {
		http_set_header(req, "Location", "/loop");
		return reply(req, 302, "again");
	}
	if (strcmp(p, "/never") == 0)
		return HTTP_ASYNC;      /* freed when the client goes */
	return reply(req, 404, "no such thing");
}

/* A self-signed certificate for san, with its key. */
static X509 *
self_signed(const char *san, EVP_PKEY **keyp)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_EXTENSION *ext;
	X509_NAME *name;

	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(cert, key, EVP_sha256());
	*keyp = key;
	return cert;
}

/* A client certificate (its own CA) in cert_path and key_path. */
static void
client_cert(const char *cert_path, const char *key_path)
{
	EVP_PKEY *key;
	X509 *cert = self_signed("DNS:client", &key);
	FILE *f;

	if ((f = fopen(cert_path, "w")) != NULL) {
		PEM_write_X509(f, cert);
		fclose(f);
	}
	if ((f = fopen(key_path, "w")) != NULL) {
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* A self-signed certificate for 127.0.0.1, written to pem_out too. */
static SSL_CTX *
tls_ctx(const char *san, const char *pem_out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key;
	X509 *cert = self_signed(san, &key);
	FILE *f;

	SSL_CTX_use_certificate(ctx, cert);
	SSL_CTX_use_PrivateKey(ctx, key);
	if (pem_out != NULL && (f = fopen(pem_out, "w")) != NULL) {
		PEM_write_X509(f, cert);
		fclose(f);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return ctx;
}

/* --- a raw server: canned answers by path, one connection at a time --- */

struct raw {
	int lfd, port;
	atomic_int stop;
	pthread_t thread;
	bool proxy;                     /* a forward proxy instead */
	atomic_int connects;            /* CONNECTs tunnelled (proxy) */
};

static struct raw g_raw, g_proxy;

static int
raw_listen(struct raw *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;

	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(r->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(r->lfd, 8) < 0)
		abort();
	getsockname(r->lfd, (struct sockaddr *)&sa, &len);
	return ntohs(sa.sin_port);
}

/* Read up to the blank line; the head's text in head. */
static int
raw_head(int fd, char *head, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		ssize_t n = recv(fd, head + len, 1, 0);

		if (n <= 0)
			return -1;
		head[++len] = '\0';
		if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0)
			return 0;
	}
	return -1;
}

static void
raw_send(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0)
		return;
}

/* Until the peer closes or the server stops. */
static void
raw_hold(struct raw *r, int fd)
{
	char tmp[256];

	tc_timeout(fd, 100);
	while (!atomic_load(&r->stop) && recv(fd, tmp, sizeof tmp, 0) != 0)
		;
}

static void
raw_answer(struct raw *r, int fd, const char *head)
{
	if (strncmp(head, "GET /close ", 11) == 0)
		raw_send(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
		    "until the end");
	else if (strncmp(head, "GET /truncated ", 15) == 0)
		raw_send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
		    "only ten..");
	else if (strncmp(head, "GET /garbage ", 13) == 0)
		raw_send(fd, "SMTP ready\r\n\r\n");
	else
		raw_hold(r, fd);        /* /silent */
}

/* Relay both ways until either side closes. */
static void
raw_relay(int a, int b)
{
	struct pollfd p[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
	char tmp[16384];

	while (poll(p, 2, 5000) > 0) {
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].revents == 0)
				continue;
			n = recv(p[i].fd, tmp, sizeof tmp, 0);
			if (n <= 0 || send(p[1 - i].fd, tmp, (size_t)n,
			    MSG_NOSIGNAL) != n)
				return;
		}
	}
}

static void
proxy_answer(struct raw *r, int fd, const char *head)
{
	char body[600], out[800];
	const char *authz = strstr(head, "\r\nProxy-Authorization: ");
	int port = 0;
	struct tc *up;

	if (sscanf(head, "CONNECT 127.0.0.1:%d ", &port) == 1 &&
	    (up = tc_connect(port)) != NULL) {
		atomic_fetch_add(&r->connects, 1);
		raw_send(fd, "HTTP/1.1 200 Connection established\r\n\r\n");
		raw_relay(fd, up->fd);
		tc_close(up);
		return;
	}
	if (strstr(head, "auth.invalid") != NULL && authz == NULL) {
		/* this one wants credentials: it asks for them */
		raw_send(fd, "HTTP/1.1 407 Proxy Authentication Required\r\n"
		    "Proxy-Authenticate: Basic realm=\"test\"\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		return;
	}
	if (strncmp(head, "CONNECT ", 8) == 0) {
		raw_send(fd, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
		return;
	}
	snprintf(body, sizeof body, "via proxy: %.*s", (int)strcspn(head,
	    "\r\n"), head);
	if (authz != NULL)
		snprintf(body + strlen(body), sizeof body - strlen(body),
		    " (%.*s)", (int)strcspn(authz + 2, "\r\n"), authz + 2);
	snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", strlen(body), body);
	raw_send(fd, out);
}

static void *
raw_main(void *arg)
{
	struct raw *r = arg;
	struct pollfd p = { r->lfd, POLLIN, 0 };
	char head[4096];
	int fd;

	while (!atomic_load(&r->stop)) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((fd = accept(r->lfd, NULL, NULL)) < 0)
			continue;
		tc_timeout(fd, 5000);
		if (raw_head(fd, head, sizeof head) == 0) {
			if (r->proxy)
				proxy_answer(r, fd, head);
			else
				raw_answer(r, fd, head);
		}
		close(fd);
	}
	return NULL;
}

static void
raw_start(struct raw *r, bool proxy)
{
	r->proxy = proxy;
	r->port = raw_listen(r);
	pthread_create(&r->thread, NULL, raw_main, r);
}

static void
raw_stop(struct raw *r)
{
	atomic_store(&r->stop, 1);
	pthread_join(r->thread, NULL);
	close(r->lfd);
}

static int
setup(void **state)
{
	sdc_error_t err = NULL;
	char addr[320], keyp[320];
	SSL_CTX *ctx;

	if (mkdtemp(g_dir) == NULL)
		return -1;
	snprintf(g_sock, sizeof g_sock, "%s/s.sock", g_dir);
	snprintf(g_ca, sizeof g_ca, "%s/ca.pem", g_dir);
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	g_plain = ts_new(NULL, handler, NULL);
	ts_listen(g_plain, NULL);
	snprintf(addr, sizeof addr, "unix:%s", g_sock);
	if (http_server_listen(g_plain->srv, addr, NULL, 0, &err) < 0)
		return -1;
	ts_start(g_plain);
	g_tls = ts_new(NULL, handler, NULL);
	ctx = tls_ctx("IP:127.0.0.1", g_ca);
	ts_listen(g_tls, ctx);
	SSL_CTX_free(ctx);
	ts_start(g_tls);
	/* mutual TLS: clients must show the certificate in client.pem */
	snprintf(g_mtls_ca, sizeof g_mtls_ca, "%s/mtls-ca.pem", g_dir);
	snprintf(addr, sizeof addr, "%s/client.pem", g_dir);
	snprintf(keyp, sizeof keyp, "%s/client-key.pem", g_dir);
	client_cert(addr, keyp);
	g_mtls = ts_new(NULL, handler, NULL);
	ctx = tls_ctx("IP:127.0.0.1", g_mtls_ca);
	SSL_CTX_load_verify_locations(ctx, addr, NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	ts_listen(g_mtls, ctx);
	SSL_CTX_free(ctx);
	ts_start(g_mtls);
	raw_start(&g_raw, false);
	raw_start(&g_proxy, true);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	raw_stop(&g_raw);
	raw_stop(&g_proxy);
	ts_free(g_plain);
	ts_free(g_tls);
	ts_free(g_mtls);
	snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
	return system(cmd);
}

/* --- the tests --- */

static char *
url(struct ts *ts, bool tls, const char *path)
{
	static char u[300];

	snprintf(u, sizeof u, "%s://127.0.0.1:%d%s", tls ? "https" : "http",
	    ts->port, path);
	return u;
}

static char *
raw_url(struct raw *r, const char *path)
{
	static char u[300];

	snprintf(u, sizeof u, "http://127.0.0.1:%d%s", r->port, path);
	return u;
}

/* GET url with c; the status, or -1 with *err. */
static int
get(struct fetch *c, const char *u, struct fetch_response *r,
    sdc_error_t *err)
{
	struct fetch_request rq = { .url = u };

	if (fetch_request(c, &rq, r, err) < 0)
		return -1;
	return r->status;
}

static void
expect_error(struct fetch *c, const char *u, int code, const char *text)
{
	struct fetch_response r;
	sdc_error_t err = NULL;

	assert_int_equal(get(c, u, &r, &err), -1);
	assert_non_null(err);
	if (err->code != code || strstr(err->msg, text) == NULL)
		fail_msg("%s: code %d, \"%s\"; wanted %d, \"%s\"", u, err->code,
		    err->msg, code, text);
	assert_non_null(strstr(err->msg, u));   /* the URL is named */
	assert_int_equal(r.nheaders, 0);
	sdc_error_release(&err);
}

static void
test_plain(void **state)
{
	struct fetch *c = fetch_new(NULL);
	struct fetch_response r;
	sdc_error_t err = NULL;

	assert_int_equal(get(c, url(g_plain, false, "/hello"), &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "hello");
	assert_int_equal(r.content_length, 5);
	assert_string_equal(fetch_header(&r, "CONTENT-type"), "text/plain");
	assert_null(fetch_header(&r, "X-Nothing"));
	assert_string_equal(r.url, url(g_plain, false, "/hello"));
	fetch_response_free(&r);
	assert_int_equal(get(c, url(g_plain, false, "/nothing"), &r, &err), 404);
	fetch_response_free(&r);
	fetch_free(c);
}

static void
test_method_headers_body(void **state)
{
	struct fetch_options o = { .user_agent = "t/1" };
	struct fetch *c = fetch_new(&o);
	const char *const headers[] = { "X-Test: yes", NULL };
	struct fetch_request rq = { .method = "POST",
		.url = url(g_plain, false, "/echo"), .headers = headers,
		.body = "data", .body_len = 4 };
	struct fetch_response r;
	sdc_error_t err = NULL;
	char want[100];

	assert_int_equal(fetch_request(c, &rq, &r, &err), 0);
	assert_int_equal(r.status, 201);
	snprintf(want, sizeof want, "POST yes 127.0.0.1:%d [data]",
	    g_plain->port);
	assert_string_equal(buf_str(&r.body), want);
	fetch_response_free(&r);
	fetch_free(c);
}

/* A body read as it goes (body_read): 200,000 bytes in small reads, its
 * Content-Length given, sent with PUT; a read that fails aborts. */
struct reader {
	size_t left, calls;
	bool fail;
};

static ssize_t
read_body(void *arg, void *buf, size_t len)
{
	struct reader *rd = arg;

	rd->calls++;
	if (rd->fail)
		return -1;
	if (len > 1000)
		len = 1000;
	if (len > rd->left)
		len = rd->left;
	memset(buf, 'b', len);
	rd->left -= len;
	return (ssize_t)len;
}

static void
test_body_read(void **state)
{
	struct fetch *c = fetch_new(NULL);
	struct reader rd = { .left = 200000 };
	struct fetch_request rq = { .method = "PUT",
		.url = url(g_plain, false, "/length"), .body_len = 200000,
		.body_read = read_body, .body_read_arg = &rd };
	struct fetch_response r;
	sdc_error_t err = NULL;

	assert_int_equal(fetch_request(c, &rq, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(rd.left, 0);
	assert_true(rd.calls >= 200);
	assert_string_equal(buf_str(&r.body), "PUT 200000 200000");
	fetch_response_free(&r);
	rd = (struct reader){ .left = 200000, .fail = true };
	assert_int_equal(fetch_request(c, &rq, &r, &err), -1);
	assert_int_equal(err->code, FETCH_E_ABORTED);
	sdc_error_release(&err);
	fetch_free(c);
}

/* A body of a length not known (FETCH_BODY_CHUNKED), read from a
 * descriptor to its end by fetch_read_fd: sent chunked, all of it. */
static void
test_body_read_chunked(void **state)
{
	struct fetch *c = fetch_new(NULL);
	FILE *f = tmpfile();
	int fd = fileno(f);
	struct fetch_request rq = { .method = "PUT",
		.url = url(g_plain, false, "/length"),
		.body_len = FETCH_BODY_CHUNKED, .body_read = fetch_read_fd,
		.body_read_arg = &fd };
	struct fetch_response r;
	sdc_error_t err = NULL;
	char b[1000];

	memset(b, 'b', sizeof b);
	for (int i = 0; i < 150; i++)
		assert_int_equal(write(fd, b, sizeof b), (ssize_t)sizeof b);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fetch_request(c, &rq, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_str(&r.body), "PUT 150000 150000");
	fetch_response_free(&r);
	fclose(f);
	fetch_free(c);
}

static void
test_body_framings(void **state)
{
	struct fetch *c = fetch_new(NULL);
	struct fetch_response r;
	sdc_error_t err = NULL;

	assert_int_equal(get(c, url(g_plain, false, "/chunked"), &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "one,two,three");
	assert_int_equal(r.content_length, -1);
	fetch_response_free(&r);
	assert_int_equal(get(c, raw_url(&g_raw, "/close"), &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "until the end");
	fetch_response_free(&r);
	expect_error(c, raw_url(&g_raw, "/truncated"), FETCH_E_PARTIAL,
	    "closed before the answer was complete (10 body bytes");
	expect_error(c, raw_url(&g_raw, "/garbage"), FETCH_E_PROTOCOL,
	    "malformed answer");
	fetch_free(c);
}

struct sunk {
	size_t bytes;
	int calls;
	size_t refuse_after;
};

static int
sink(void *arg, const struct fetch_response *r, const void *data,
    size_t len, sdc_error_t *err)
{
	struct sunk *s = arg;

	assert_int_equal(r->status, 200);
	s->bytes += len;
	s->calls++;
	if (s->refuse_after > 0 && s->bytes > s->refuse_after)
		return sdc_make_error_code(err, 507, "disk full");
	return 0;
}

static void
test_cap_and_sink(void **state)
{
	struct fetch *c = fetch_new(NULL);
	struct fetch_request rq = { .url = url(g_plain, false, "/big"),
		.body_max = 1000 };
	struct fetch_response r;
	struct sunk s = { 0 };
	sdc_error_t err = NULL;

	assert_int_equal(fetch_request(c, &rq, &r, &err), -1);
	assert_int_equal(err->code, FETCH_E_TOO_LARGE);
	sdc_error_release(&err);
	rq.body_max = 0;
	rq.sink = sink;
	rq.sink_arg = &s;
	assert_int_equal(fetch_request(c, &rq, &r, &err), 0);
	assert_int_equal(s.bytes, 300000);
	assert_true(s.calls > 1);
	assert_int_equal(r.body.len, 0);
	fetch_response_free(&r);
	memset(&s, 0, sizeof s);
	s.refuse_after = 100000;
	assert_int_equal(fetch_request(c, &rq, &r, &err), -1);
	assert_int_equal(err->code, 507);               /* the sink's own */
	assert_non_null(strstr(err->msg, "disk full"));
	sdc_error_release(&err);
	fetch_free(c);
}

static void
test_keep_alive(void **state)
{
	struct fetch *c = fetch_new(NULL);
	struct fetch_response r;
	sdc_error_t err = NULL;
	char first[64];

	assert_int_equal(get(c, url(g_plain, false, "/conn"), &r, &err), 200);
	snprintf(first, sizeof first, "%s", buf_str(&r.body));
	fetch_response_free(&r);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(get(c, url(g_plain, false, "/conn"), &r, &err),
		    200);
		assert_string_equal(buf_str(&r.body), first);
		fetch_response_free(&r);
	}
	fetch_free(c);
}

static void
test_unix_socket(void **state)
{
	struct fetch_options o = { .unix_path = g_sock };
	struct fetch *c = fetch_new(&o);
	struct fetch_response r;
	sdc_error_t err = NULL;

	assert_int_equal(get(c, "http://localhost/echo", &r, &err), 201);
	assert_string_equal(buf_str(&r.body), "GET - localhost []");
	fetch_response_free(&r);
	fetch_free(c);
	o.unix_path = "/nonexistent/s.sock";
	c = fetch_new(&o);
	expect_error(c, "http://localhost/echo", FETCH_E_CONNECT,
	    "connect to /nonexistent/s.sock: No such file or directory");
	fetch_free(c);
}

static void
test_redirects(void **state)
{
	struct fetch_options o = { .follow_redirects = true };
	struct fetch *c = fetch_new(NULL), *f = fetch_new(&o);
	const char *const auth[] = { "Authorization: Bearer t0k", NULL };
	struct fetch_request rq = { .headers = auth };
	struct fetch_response r;
	sdc_error_t err = NULL;

	assert_int_equal(get(c, url(g_plain, false, "/redirect"), &r, &err), 302);
	assert_string_equal(fetch_header(&r, "location"), "/hello");
	fetch_response_free(&r);
	assert_int_equal(get(f, url(g_plain, false, "/redirect"), &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "hello");
	assert_string_equal(r.url, url(g_plain, false, "/hello"));
	fetch_response_free(&r);
	/* the same host keeps the Authorization header, another drops it */
	rq.url = url(g_plain, false, "/redirect-rel");
	assert_int_equal(fetch_request(f, &rq, &r, &err), 0);
	assert_string_equal(buf_str(&r.body), "Bearer t0k");
	fetch_response_free(&r);
	rq.url = url(g_plain, false, "/redirect-away");
	assert_int_equal(fetch_request(f, &rq, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_str(&r.body), "none");
	assert_non_null(strstr(r.url, "http://localhost:"));
	fetch_response_free(&r);
	expect_error(f, url(g_plain, false, "/loop"), FETCH_E_REDIRECTS,
	    "more than 5 redirects");
	fetch_free(c);
	fetch_free(f);
}

static void
test_refused_and_bad_urls(void **state)
{
	struct fetch *c = fetch_new(NULL);

	expect_error(c, "http://127.0.0.1:1/x", FETCH_E_CONNECT,
	    "http://127.0.0.1:1/x: connect to 127.0.0.1:1: Connection refused");
	expect_error(c, "ftp://127.0.0.1/x", FETCH_E_URL, "not an");
	expect_error(c, "http://127.0.0.1:99999/x", FETCH_E_URL,
	    "malformed");
	expect_error(c, "http://no-such-host.invalid/x", FETCH_E_RESOLVE,
	    "Could not resolve host: no-such-host.invalid");
	fetch_free(c);
}

static void
test_timeouts(void **state)
{
	struct fetch_options o = { .timeout_ms = 300 };
	struct fetch *c = fetch_new(&o);
	double t0 = tc_now();

	expect_error(c, url(g_plain, false, "/never"), FETCH_E_TIMEOUT,
	    "timed out after 0.3 s");
	assert_true(tc_now() - t0 < 2);
	fetch_free(c);
	o.timeout_ms = 0;
	o.idle_timeout_ms = 200;
	c = fetch_new(&o);
	t0 = tc_now();
	expect_error(c, raw_url(&g_raw, "/silent"), FETCH_E_TIMEOUT,
	    "nothing received for 0.2 s");
	assert_true(tc_now() - t0 < 2);
	fetch_free(c);
}

static void *
interrupter(void *arg)
{
	usleep(200000);
	fetch_interrupt(arg);
	return NULL;
}

static int
cancel_soon(void *arg, int64_t got, int64_t total)
{
	int *ticks = arg;

	return ++*ticks >= 2 ? -1 : 0;
}

static void
test_interrupt_and_cancel(void **state)
{
	struct fetch *c = fetch_new(NULL);
	struct fetch_request rq = { 0 };
	struct fetch_response r;
	sdc_error_t err = NULL;
	pthread_t t;
	double t0 = tc_now();
	int ticks = 0;

	pthread_create(&t, NULL, interrupter, c);
	expect_error(c, url(g_plain, false, "/never"), FETCH_E_ABORTED,
	    "interrupted");
	pthread_join(t, NULL);
	assert_true(tc_now() - t0 < 2);
	/* and every request after it, at once */
	expect_error(c, url(g_plain, false, "/hello"), FETCH_E_ABORTED,
	    "interrupted");
	fetch_free(c);

	c = fetch_new(NULL);
	rq.url = url(g_plain, false, "/never");
	rq.progress = cancel_soon;
	rq.progress_arg = &ticks;
	t0 = tc_now();
	assert_int_equal(fetch_request(c, &rq, &r, &err), -1);
	assert_int_equal(err->code, FETCH_E_ABORTED);
	assert_non_null(strstr(err->msg, "cancelled"));
	assert_true(tc_now() - t0 < 2);
	sdc_error_release(&err);
	fetch_free(c);
}

static void
test_tls(void **state)
{
	struct fetch_options o = { .insecure = true };
	struct fetch *c = fetch_new(NULL);
	struct fetch_response r;
	sdc_error_t err = NULL;
	char u[100];

	expect_error(c, url(g_tls, true, "/hello"), FETCH_E_VERIFY,
	    "SSL certificate problem: self-signed certificate");
	fetch_free(c);
	c = fetch_new(&o);
	assert_int_equal(get(c, url(g_tls, true, "/hello"), &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "hello");
	fetch_response_free(&r);
	assert_int_equal(get(c, url(g_tls, true, "/chunked"), &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "one,two,three");
	fetch_response_free(&r);
	fetch_free(c);

	/* trusted: verified, and then the name must match too */
	setenv("SSL_CERT_FILE", g_ca, 1);
	c = fetch_new(NULL);
	assert_int_equal(get(c, url(g_tls, true, "/hello"), &r, &err), 200);
	fetch_response_free(&r);
	snprintf(u, sizeof u, "https://localhost:%d/hello", g_tls->port);
	expect_error(c, u, FETCH_E_VERIFY,
	    "no alternative certificate subject name matches target host name 'localhost'");
	fetch_free(c);
	unsetenv("SSL_CERT_FILE");
}

/* A client certificate and a CA file of the client's own (libsapi to sapi
 * on TCP). */
static void
test_tls_client_cert(void **state)
{
	char cert[320], key[320], bad[320];
	struct fetch_options o = { .ca_file = g_mtls_ca };
	struct fetch *c;
	struct fetch_response r;
	sdc_error_t err = NULL;

	snprintf(cert, sizeof cert, "%s/client.pem", g_dir);
	snprintf(key, sizeof key, "%s/client-key.pem", g_dir);
	snprintf(bad, sizeof bad, "%s/nothing.pem", g_dir);
	o.cert_file = cert;
	o.key_file = key;
	c = fetch_new(&o);
	assert_int_equal(get(c, url(g_mtls, true, "/hello"), &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "hello");
	fetch_response_free(&r);
	fetch_free(c);

	/* no certificate: the server refuses the handshake */
	o.cert_file = o.key_file = NULL;
	c = fetch_new(&o);
	assert_int_equal(get(c, url(g_mtls, true, "/hello"), &r, &err), -1);
	assert_non_null(err);
	sdc_error_release(&err);
	fetch_free(c);

	/* the CA file is the only trust: another server's does not verify */
	o.ca_file = g_ca;
	o.cert_file = cert;
	o.key_file = key;
	c = fetch_new(&o);
	expect_error(c, url(g_mtls, true, "/hello"), FETCH_E_VERIFY,
	    "SSL certificate problem");
	fetch_free(c);

	/* files that cannot be used are named */
	o.ca_file = bad;
	c = fetch_new(&o);
	expect_error(c, url(g_mtls, true, "/hello"), FETCH_E_TLS, bad);
	fetch_free(c);
	o.ca_file = g_mtls_ca;
	o.cert_file = bad;
	c = fetch_new(&o);
	expect_error(c, url(g_mtls, true, "/hello"), FETCH_E_TLS, bad);
	fetch_free(c);
}

static void
test_proxy(void **state)
{
	struct fetch_options o = { .use_proxy_env = true,
		.insecure = true };
	struct fetch *c = fetch_new(&o), *direct;
	struct fetch_response r;
	sdc_error_t err = NULL;
	char proxy[100];

	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", g_proxy.port);
	setenv("http_proxy", proxy, 1);
	setenv("HTTPS_PROXY", proxy + 7, 1);    /* no scheme: http */
	assert_int_equal(get(c, "http://example.invalid:8080/x?y=1", &r, &err),
	    200);
	assert_string_equal(buf_str(&r.body),
	    "via proxy: GET http://example.invalid:8080/x?y=1 HTTP/1.1");
	fetch_response_free(&r);
	assert_int_equal(get(c, url(g_tls, true, "/hello"), &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "hello");
	assert_int_equal(atomic_load(&g_proxy.connects), 1);
	fetch_response_free(&r);
	/* the proxy serves one connection at a time: end the tunnel */
	fetch_free(c);
	c = fetch_new(&o);
	/* a client that was not asked to ignores the environment */
	direct = fetch_new(NULL);
	assert_int_equal(get(direct, url(g_plain, false, "/hello"), &r, &err),
	    200);
	fetch_response_free(&r);
	fetch_free(direct);
	setenv("no_proxy", "example.com, 127.0.0.1", 1);
	assert_int_equal(get(c, url(g_plain, false, "/hello"), &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "hello");
	fetch_response_free(&r);
	unsetenv("no_proxy");
	/* credentials in the proxy's URL go to the proxy, user:pass, in the
	 * scheme it asks for */
	snprintf(proxy, sizeof proxy, "http://jill:secret@127.0.0.1:%d",
	    g_proxy.port);
	setenv("http_proxy", proxy, 1);
	assert_int_equal(get(c, "http://auth.invalid/x", &r, &err), 200);
	assert_string_equal(buf_str(&r.body), "via proxy: GET "
	    "http://auth.invalid/x HTTP/1.1 (Proxy-Authorization: Basic "
	    "amlsbDpzZWNyZXQ=)");
	fetch_response_free(&r);
	/* a proxy that cannot be reached is an error, not a direct request
	 * (a socks5 one included: libcurl speaks it) */
	setenv("http_proxy", "socks5://127.0.0.1:1", 1);
	expect_error(c, "http://example.invalid/x", FETCH_E_CONNECT,
	    "through the proxy: Failed to connect to 127.0.0.1 port 1");
	setenv("http_proxy", "http://127.0.0.1:99999", 1);
	expect_error(c, "http://example.invalid/x", FETCH_E_PROXY_RESOLVE,
	    "Unsupported proxy syntax");
	setenv("http_proxy", proxy, 1);
	expect_error(c, "https://localhost:1/", FETCH_E_PROXY,
	    "the proxy refused the tunnel: CONNECT tunnel failed, response 403");
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
	fetch_free(c);
}

/* addr_check: refuses the host names and addresses listed in arg
 * ("a,b"), counts its calls. */
static int g_checks;

static bool
listed(const char *list, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = list; (p = strstr(p, s)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static int
refuse_hosts(void *arg, const char *host, int port, const struct sockaddr *sa)
{
	char addr[INET6_ADDRSTRLEN] = "";

	(void)port;
	g_checks++;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, addr, sizeof addr);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, addr, sizeof addr);
	return listed(arg, host) || listed(arg, addr) ? -1 : 0;
}

static void
test_addr_check(void **state)
{
	struct fetch_options o = { .follow_redirects = true,
		.addr_check = refuse_hosts, .addr_check_arg = "127.0.0.1" };
	struct fetch *c = fetch_new(&o);
	struct fetch_response r;
	struct raw trap = { 0 };
	sdc_error_t err = NULL;
	char u[100], proxy[100];
	int fd;

	/* refused before any connection: the trap never sees an accept */
	trap.port = raw_listen(&trap);
	snprintf(u, sizeof u, "http://127.0.0.1:%d/x", trap.port);
	expect_error(c, u, FETCH_E_REFUSED, "the address is not allowed");
	fcntl(trap.lfd, F_SETFL, O_NONBLOCK);
	fd = accept(trap.lfd, NULL, NULL);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, EAGAIN);
	/* by name too, after resolution, and every address of it */
	snprintf(u, sizeof u, "http://localhost:%d/x", trap.port);
	o.addr_check_arg = "127.0.0.1,::1";
	fetch_free(c);
	c = fetch_new(&o);
	expect_error(c, u, FETCH_E_REFUSED, "the address is not allowed");
	assert_int_equal(accept(trap.lfd, NULL, NULL), -1);
	/* allowed hosts go through; a redirect is judged again */
	o.addr_check_arg = "localhost";
	fetch_free(c);
	c = fetch_new(&o);
	g_checks = 0;
	assert_int_equal(get(c, url(g_plain, false, "/hello"), &r, &err), 200);
	fetch_response_free(&r);
	assert_true(g_checks > 0);
	assert_int_equal(get(c, url(g_plain, false, "/redirect-away"), &r,
	    &err), -1);
	assert_int_equal(err->code, FETCH_E_REFUSED);
	sdc_error_release(&err);
	/* through a proxy the target is judged; a name only the proxy
	 * resolves is left to it */
	o.use_proxy_env = true;
	o.addr_check_arg = "127.0.0.1";
	fetch_free(c);
	c = fetch_new(&o);
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", g_proxy.port);
	setenv("http_proxy", proxy, 1);
	snprintf(u, sizeof u, "http://127.0.0.1:%d/x", trap.port);
	expect_error(c, u, FETCH_E_REFUSED, "the address is not allowed");
	assert_int_equal(get(c, "http://example.invalid/x", &r, &err), 200);
	fetch_response_free(&r);
	unsetenv("http_proxy");
	assert_int_equal(accept(trap.lfd, NULL, NULL), -1);
	close(trap.lfd);
	fetch_free(c);
}

static void
test_basic_auth(void **state)
{
	char *a = fetch_basic_auth("jill", "secret");
	char *b = fetch_basic_auth("jill", NULL);

	assert_string_equal(a, "Basic amlsbDpzZWNyZXQ=");
	assert_string_equal(b, "Basic amlsbDo=");       /* "jill:" */
	free(a);
	free(b);
}

/* A client made on one thread (the loop) touches no descriptor but its
 * own: another thread's socket, made without close-on-exec as libcurl
 * makes its own, keeps its flags. */
static void
test_new_leaves_other_descriptors(void **state)
{
	struct fetch *c;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = fetch_new(NULL);
	assert_false(fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
	assert_false(fcntl(sv[1], F_GETFD) & FD_CLOEXEC);
	fetch_free(c);
	close(sv[0]);
	close(sv[1]);
}

static void
test_escape(void **state)
{
	char *e = fetch_escape("a b/c?d=é~_.-");

	assert_string_equal(e, "a%20b%2Fc%3Fd%3D%C3%A9~_.-");
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_method_headers_body),
		cmocka_unit_test(test_body_read),
		cmocka_unit_test(test_body_read_chunked),
		cmocka_unit_test(test_body_framings),
		cmocka_unit_test(test_cap_and_sink),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_refused_and_bad_urls),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_interrupt_and_cancel),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_client_cert),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_addr_check),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_new_leaves_other_descriptors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
