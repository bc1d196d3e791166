/*
 * tls-mutual.c: a mutual TLS server context under the operator's CA (see
 * tls-mutual.h), one copy for every daemon that takes only the
 * operator's daemons and tools as clients.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls-mutual.h"

static const char *
tls_mutual_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : "unknown error";
}

SSL_CTX *
tls_mutual_server(const char *cert, const char *key, const char *client_ca,
    const char *sid, sdc_error_t *err)
{
	STACK_OF(X509_NAME) *names;
	SSL_CTX *ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		sdc_make_error(err, 0, "TLS: %s", tls_mutual_reason());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		sdc_make_error(err, 0, "tls_cert %s, tls_key %s: %s", cert, key,
		    tls_mutual_reason());
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(client_ca)) == NULL) {
		sdc_make_error(err, 0, "tls_client_ca %s: %s", client_ca,
		    tls_mutual_reason());
		goto fail;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)sid,
	    (unsigned int)strlen(sid));
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
