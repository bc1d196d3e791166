/*
 * tls-mutual.h: the server side of mutual TLS between the operator's own
 * daemons (sapi on TCP, the node agent), under the operator's CA.
 *
 * The clients of these daemons are a few other daemons and the
 * operator's tools, each with a certificate the operator's CA signed
 * (sdc-docker-certgen(1) `operator`, `head`): OpenSSL asks for it, fails
 * the handshake when there is none, and verifies it against that CA for
 * a TLS client's use (OpenSSL checks the extended key usage, so a server
 * certificate of the same CA is no client).  A certificate of another
 * CA, self-signed, expired or not yet valid never gets to the router.
 *
 * Sessions are not resumed (no tickets, no cache): the clients keep
 * their connections long, and every connection then shows its
 * certificate again.
 */
#ifndef SDC_TLS_MUTUAL_H
#define SDC_TLS_MUTUAL_H

#include <openssl/ssl.h>

#include "error.h"

/* A server context presenting cert/key (PEM; cert may hold a chain) and
 * taking only clients whose certificate client_ca verifies; sid names
 * the daemon (the session id context).  Free it with SSL_CTX_free. */
SSL_CTX *tls_mutual_server(const char *cert, const char *key,
    const char *client_ca, const char *sid, sdc_error_t *err);

#endif
