/*
 * tls.c: mutual TLS for sapi on TCP.
 *
 * Anyone who can write to sapi changes what every dockerapi does, so on
 * TCP a client must prove itself before a byte of HTTP: OpenSSL asks for
 * its certificate, fails the handshake when there is none, and verifies
 * it against the operator's CA (tls_client_ca: the CA the daemons already
 * have, see sdc-docker-certgen(1) `operator`).  A certificate of another
 * CA, self-signed, expired or not yet valid never gets to the router.
 * There are no accounts here: any certificate of that CA is the operator.
 *
 * Sessions are not resumed (no tickets, no cache): sapi's clients are a
 * few daemons with long-lived connections, and every connection then
 * shows its certificate again.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sapi.h"

static const char *
sapi_tls_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : "unknown error";
}

SSL_CTX *
sapi_tls_context(const struct sapi_options *o, sdc_error_t *err)
{
	STACK_OF(X509_NAME) *names;
	SSL_CTX *ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		sdc_make_error(err, 0, "TLS: %s", sapi_tls_reason());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, o->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, o->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		sdc_make_error(err, 0, "tls_cert %s, tls_key %s: %s",
		    o->tls_cert, o->tls_key, sapi_tls_reason());
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, o->tls_client_ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(o->tls_client_ca)) == NULL) {
		sdc_make_error(err, 0, "tls_client_ca %s: %s", o->tls_client_ca,
		    sapi_tls_reason());
		goto fail;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"sapi", 4);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
