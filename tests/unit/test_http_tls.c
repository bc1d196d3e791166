/*
 * test_http_tls.c: the server over TLS, as the Docker daemon runs it:
 * SSL_VERIFY_PEER with a verify callback that takes any certificate (the
 * daemon checks self-signed client certificates itself), the peer hook
 * deciding per connection, clients without a certificate still reaching
 * /_ping, and a hijacked connection half-closed each way with close_notify.
 *
 * Keys and certificates are made here with the OpenSSL API (P-256, fast).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "test_http_util.h"

static struct ts *g_ts;

struct cred {
	EVP_PKEY *key;
	X509 *cert;
};

static struct cred server_cred, alice_cred, evil_cred;

static void
cred_make(struct cred *c, const char *cn)
{
	X509_NAME *name;

	c->key = EVP_EC_gen("P-256");
	c->cert = X509_new();
	X509_set_version(c->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c->cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(c->cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(c->cert), 3600);
	X509_set_pubkey(c->cert, c->key);
	name = X509_get_subject_name(c->cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c->cert, name);
	X509_sign(c->cert, c->key, EVP_sha256());
}

static void
cred_free(struct cred *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
}

static char *
cert_cn(X509 *cert)
{
	char cn[128];

	if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
	    cn, sizeof cn) < 0)
		return strdup("?");
	return strdup(cn);
}

/* Any certificate passes the handshake; the peer hook judges. */
static int
verify_any(int ok, X509_STORE_CTX *ctx)
{
	return 1;
}

static int
peer_hook(struct http_conn *conn, X509 *peer, void *arg)
{
	char *cn;

	if (peer == NULL)
		return 0;               /* anonymous: /_ping only */
	cn = cert_cn(peer);
	if (strcmp(cn, "evil") == 0) {
		free(cn);
		return -1;
	}
	http_conn_set_data(conn, cn, free);
	return 0;
}

static int
handler(struct http_request *req, void *arg)
{
	const char *who = http_conn_data(req->conn);
	char text[160];

	if (strcmp(req->path, "/_ping") == 0) {
		http_reply(req, 200, "text/plain", "OK", 2);
		return HTTP_DONE;
	}
	if (strcmp(req->path, "/hijack") == 0)
		return hj_handle(g_ts, req, false);
	if (strcmp(req->path, "/hijack-first") == 0)
		return hj_handle(g_ts, req, true);
	if (who == NULL) {
		http_reply(req, 401, "text/plain", "who?", 4);
		return HTTP_DONE;
	}
	snprintf(text, sizeof text, "%s%s", who,
	    http_peer_cert(req) != NULL ? " (cert)" : "");
	http_reply(req, 200, "text/plain", text, strlen(text));
	return HTTP_DONE;
}

static SSL_CTX *
server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	SSL_CTX_use_certificate(ctx, server_cred.cert);
	SSL_CTX_use_PrivateKey(ctx, server_cred.key);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_any);
	return ctx;
}

static int
setup(void **state)
{
	SSL_CTX *ctx;

	cred_make(&server_cred, "127.0.0.1");
	cred_make(&alice_cred, "alice");
	cred_make(&evil_cred, "evil");
	hj_reset();
	g_ts = ts_new(NULL, handler, NULL);
	http_server_set_tls_peer_hook(g_ts->srv, peer_hook, NULL);
	ctx = server_ctx();
	ts_listen(g_ts, ctx);
	SSL_CTX_free(ctx);              /* the listener keeps its reference */
	ts_start(g_ts);
	return 0;
}

static int
teardown(void **state)
{
	ts_call(g_ts, hj_drop_all, NULL);
	ts_free(g_ts);
	cred_free(&server_cred);
	cred_free(&alice_cred);
	cred_free(&evil_cred);
	return 0;
}

/* A TLS client, with a certificate when cred is not NULL; NULL when the
 * handshake fails. */
static struct tc *
tls_connect(const struct cred *cred)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct tc *tc = tc_connect(g_ts->port);

	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (cred != NULL) {
		SSL_CTX_use_certificate(ctx, cred->cert);
		SSL_CTX_use_PrivateKey(ctx, cred->key);
	}
	tc->ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);
	SSL_set_fd(tc->ssl, tc->fd);
	if (SSL_connect(tc->ssl) != 1) {
		ERR_clear_error();
		tc_close(tc);
		return NULL;
	}
	return tc;
}

static void
test_without_certificate(void **state)
{
	struct tc *tc = tls_connect(NULL);
	struct tresp r;

	assert_non_null(tc);
	assert_int_equal(tc_request(tc, "GET /_ping HTTP/1.1\r\n\r\n", &r), 200);
	assert_string_equal(buf_str(&r.body), "OK");
	tresp_free(&r);
	assert_int_equal(tc_request(tc, "GET /v1.40/info HTTP/1.1\r\n\r\n", &r), 401);
	tresp_free(&r);
	tc_close(tc);
}

static void
test_with_certificate(void **state)
{
	struct tc *tc = tls_connect(&alice_cred);
	struct tresp r;

	assert_non_null(tc);
	assert_int_equal(tc_request(tc, "GET /info HTTP/1.1\r\n\r\n", &r), 200);
	assert_string_equal(buf_str(&r.body), "alice (cert)");
	tresp_free(&r);
	/* keep-alive over TLS */
	assert_int_equal(tc_request(tc, "GET /_ping HTTP/1.1\r\n\r\n", &r), 200);
	tresp_free(&r);
	tc_close(tc);
}

static void
test_peer_refused(void **state)
{
	struct tc *tc = tls_connect(&evil_cred);
	struct tresp r;

	/* TLS 1.3 finishes the client's side of the handshake before the
	 * server has judged; the refusal shows as the connection closing. */
	if (tc != NULL) {
		assert_int_equal(tc_request(tc, "GET /_ping HTTP/1.1\r\n\r\n", &r), -1);
		tresp_free(&r);
		tc_close(tc);
	}
}

static void
test_hijack_half_close(void **state)
{
	struct tc *tc = tls_connect(&alice_cred);
	char *head, got[8];

	tc_send(tc, "POST /hijack HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: tcp\r\n\r\n");
	head = tc_raw_head(tc);
	assert_non_null(head);
	assert_non_null(strstr(head, "HTTP/1.1 101 UPGRADED\r\n"));
	free(head);
	tc_send(tc, "ping");
	assert_int_equal(tc_read_exact(tc, got, 4), 0);
	assert_memory_equal(got, "ping", 4);
	/* our close_notify; the server still writes, then sends its own */
	SSL_shutdown(tc->ssl);
	assert_int_equal(tc_read_exact(tc, got, 3), 0);
	assert_memory_equal(got, "bye", 3);
	assert_int_equal(tc_read_raw(tc, got, sizeof got), 0);
	assert_int_equal(atomic_load(&hj_seen.eof), 1);
	tc_close(tc);

	/* the server half-closes first; we still write to it */
	tc = tls_connect(&alice_cred);
	tc_send(tc, "POST /hijack-first HTTP/1.1\r\n\r\n");
	head = tc_raw_head(tc);
	assert_non_null(strstr(head, "HTTP/1.1 200 OK\r\n"));
	free(head);
	assert_int_equal(tc_read_exact(tc, got, 5), 0);
	assert_memory_equal(got, "hello", 5);
	assert_int_equal(tc_read_raw(tc, got, sizeof got), 0);
	assert_int_equal(tc_send(tc, "after"), 0);
	assert_true(tc_wait_flag(&hj_seen.got_len, 5, 3));
	assert_memory_equal(hj_seen.got, "after", 5);
	tc_close(tc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_without_certificate),
		cmocka_unit_test(test_with_certificate),
		cmocka_unit_test(test_peer_refused),
		cmocka_unit_test(test_hijack_half_close),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
