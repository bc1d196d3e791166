/*
 * http-client-tls.c: HTTPS for http-client: the contexts, the handshake
 * with its certificate and name checks, and SIGPIPE kept away.
 *
 * The contexts are the process's, two of them (verifying against the
 * system's store, and not verifying at all), made on first use and freed
 * when the last client that used one goes: loading the CA store costs time
 * and memory that a daemon should not keep after its one pull.  A client
 * given its own CA file or a client certificate (libsapi on mutual TLS) has
 * a context of its own instead, made at its first handshake and freed with
 * it: those files are that client's, not the process's.  The name
 * checked is the URL's host, as a DNS name (SSL_set1_host, sent as SNI
 * too) or an IP address.
 *
 * A write to a peer that has gone raises SIGPIPE inside OpenSSL, which
 * writes with write(2); a tool using the client may not ignore SIGPIPE, so
 * it is blocked on this thread for the call and a pending one taken away.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "http-client-int.h"

/* --- SIGPIPE around OpenSSL's writes --- */

void
hc_sigpipe_block(struct hc_sigpipe *s)
{
	sigset_t pipe_only, pending;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigpending(&pending);
	s->was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &s->old);
}

void
hc_sigpipe_restore(struct hc_sigpipe *s)
{
	sigset_t pipe_only, pending;
	struct timespec zero = { 0, 0 };

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigpending(&pending);
	if (!s->was_pending && sigismember(&pending, SIGPIPE))
		while (sigtimedwait(&pipe_only, NULL, &zero) < 0 &&
		    errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &s->old, NULL);
}

/* --- TLS contexts --- */

static struct {
	pthread_mutex_t lock;
	SSL_CTX *ctx[2];                /* [1]: verifying */
	int refs;
} hc_tls = { PTHREAD_MUTEX_INITIALIZER, { NULL, NULL }, 0 };

static SSL_CTX *
hc_tls_new(bool verify)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (verify) {
		SSL_CTX_set_default_verify_paths(ctx);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

/* The client's own context: its CA file, its certificate and key. */
static SSL_CTX *
hc_tls_own(struct http_client *c, bool verify, sdc_error_t *err)
{
	const char *key = c->key_file != NULL ? c->key_file : c->cert_file;
	SSL_CTX *ctx;

	if (c->own_tls != NULL)
		return c->own_tls;
	ERR_clear_error();
	if ((ctx = hc_tls_new(false)) == NULL) {
		sdc_make_error_code(err, HTTP_CLIENT_E_TLS, "TLS: cannot set "
		    "up: %s", hc_tls_reason());
		return NULL;
	}
	if (verify) {
		if (c->ca_file == NULL)
			SSL_CTX_set_default_verify_paths(ctx);
		else if (SSL_CTX_load_verify_locations(ctx, c->ca_file,
		    NULL) != 1) {
			sdc_make_error_code(err, HTTP_CLIENT_E_TLS, "TLS: CA "
			    "file %s: %s", c->ca_file, hc_tls_reason());
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	if (c->cert_file == NULL && c->key_file != NULL) {
		sdc_make_error_code(err, HTTP_CLIENT_E_TLS, "TLS: a client key "
		    "(%s) without its certificate", c->key_file);
		goto fail;
	}
	if (c->cert_file != NULL &&
	    (SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)) {
		sdc_make_error_code(err, HTTP_CLIENT_E_TLS, "TLS: client "
		    "certificate %s (key %s): %s", c->cert_file, key,
		    hc_tls_reason());
		goto fail;
	}
	c->own_tls = ctx;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static SSL_CTX *
hc_tls_ctx(struct http_client *c, bool verify)
{
	SSL_CTX *ctx;

	pthread_mutex_lock(&hc_tls.lock);
	if (!c->tls_ref) {
		c->tls_ref = true;
		hc_tls.refs++;
	}
	if (hc_tls.ctx[verify] == NULL)
		hc_tls.ctx[verify] = hc_tls_new(verify);
	ctx = hc_tls.ctx[verify];
	pthread_mutex_unlock(&hc_tls.lock);
	return ctx;
}

void
hc_tls_release(struct http_client *c)
{
	SSL_CTX_free(c->own_tls);
	c->own_tls = NULL;
	if (!c->tls_ref)
		return;
	c->tls_ref = false;
	pthread_mutex_lock(&hc_tls.lock);
	if (--hc_tls.refs == 0) {
		SSL_CTX_free(hc_tls.ctx[0]);
		SSL_CTX_free(hc_tls.ctx[1]);
		hc_tls.ctx[0] = hc_tls.ctx[1] = NULL;
	}
	pthread_mutex_unlock(&hc_tls.lock);
}

static bool
hc_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

const char *
hc_tls_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : "connection closed";
}

int
hc_tls_handshake(struct http_client *c, struct hc_conn *conn,
    const char *host, struct hc_wait *w, sdc_error_t *err)
{
	bool verify = !c->o.insecure;
	SSL_CTX *ctx;
	struct hc_sigpipe sp;
	long vr;
	int r, e;

	if (c->ca_file != NULL || c->cert_file != NULL || c->key_file != NULL) {
		if ((ctx = hc_tls_own(c, verify, err)) == NULL)
			return -1;
	} else
		ctx = hc_tls_ctx(c, verify);
	if (ctx == NULL || (conn->ssl = SSL_new(ctx)) == NULL)
		return sdc_make_error_code(err, HTTP_CLIENT_E_TLS,
		    "TLS: cannot set up: %s", hc_tls_reason());
	SSL_set_fd(conn->ssl, conn->fd);
	if (!hc_is_ip(host))
		SSL_set_tlsext_host_name(conn->ssl, host);
	if (verify && hc_is_ip(host))
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(conn->ssl), host);
	else if (verify)
		SSL_set1_host(conn->ssl, host);
	for (;;) {
		ERR_clear_error();
		hc_sigpipe_block(&sp);
		r = SSL_connect(conn->ssl);
		hc_sigpipe_restore(&sp);
		if (r == 1)
			return 0;
		e = SSL_get_error(conn->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			break;
		if (hc_wait(conn->fd, e == SSL_ERROR_WANT_READ ? POLLIN :
		    POLLOUT, w, err) < 0)
			return sdc_error_wrap(err, "TLS handshake with %s", host);
	}
	vr = SSL_get_verify_result(conn->ssl);
	if (verify && vr != X509_V_OK)
		return sdc_make_error_code(err, HTTP_CLIENT_E_VERIFY,
		    "TLS: certificate verify failed for %s: %s", host,
		    X509_verify_cert_error_string(vr));
	return sdc_make_error_code(err, HTTP_CLIENT_E_TLS,
	    "TLS handshake with %s: %s", host, hc_tls_reason());
}
