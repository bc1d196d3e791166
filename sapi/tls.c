/*
 * tls.c: mutual TLS for sapi on TCP.
 *
 * Anyone who can write to sapi changes what every dockerapi does, so on
 * TCP a client must prove itself before a byte of HTTP, with a
 * certificate of the operator's CA (tls_client_ca: the CA the daemons
 * already have, see sdc-docker-certgen(1) `operator`).  There are no
 * accounts here: any client certificate of that CA is the operator.  The
 * context is lib/tls-mutual.c's, shared with the node agent.
 */
#include "sapi.h"
#include "tls-mutual.h"

SSL_CTX *
sapi_tls_context(const struct sapi_options *o, sdc_error_t *err)
{
	return tls_mutual_server(o->tls_cert, o->tls_key, o->tls_client_ca,
	    "sapi", err);
}
