/*
 * tls.c: the server side of TLS for the docker and cloudapi listeners.
 *
 * On first start the daemon makes its own CA and server certificate with
 * libcertgen under <data>/tls/, as Triton's headnode setup did, and serves
 * the CA at /ca.pem so the setup script can pin it.  Client certificates
 * are asked for but not checked by OpenSSL: they are self-signed by users'
 * SSH keys, so no CA could vouch for them.  auth.c decides instead, and a
 * client without one still reaches /_ping and /ca.pem.  OpenSSL is not even
 * asked to build a chain it would fail to build: the cert verify callback
 * takes the place of X509_verify_cert().
 *
 * Sessions are never resumed, so tickets are not sent and no session is
 * cached.  Docker clients (the Go CLI, docker-py) do not resume anyway,
 * and OpenSSL 3.0 pays dearly for each ticket: it copies the session by
 * encoding and decoding it, parsing the client certificate again, two
 * tickets per handshake by default.  Every connection then proves its key
 * with a full handshake.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>

#include "certgen/certgen.h"
#include "dockerapi.h"
#include "fsutil.h"
#include "log.h"
#include "xalloc.h"

/* Client certificates auth.c remembers having verified: clients in use at
 * once, with room to spare. */
#define TLS_CERT_MEMO_SLOTS 1024

static int
accept_any_client_cert(X509_STORE_CTX *ctx, void *arg)
{
	return 1;
}

/* What each handshake does, and what it leaves out (see the top). */
static void
tls_handshake_policy(SSL_CTX *ctx)
{
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, accept_any_client_cert, NULL);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"dockerapi", 9);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	/* The chain is what server-cert.pem holds: no store to search for
	 * more of it on every handshake. */
	SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
}

static int
tls_ensure_certs(struct dockerapi *d, const char *dir, sdc_error_t *err)
{
	char *sans[4];
	size_t n = 0;
	int rc;

	sans[n++] = xstrdup("IP:127.0.0.1");
	sans[n++] = xstrdup("IP:::1");
	sans[n++] = xstrdup("DNS:localhost");
	if (strcmp(d->cfg.server_name, "localhost") != 0)
		xasprintf(&sans[n++], "%s:%s", strspn(d->cfg.server_name,
		    "0123456789.") == strlen(d->cfg.server_name) ? "IP" : "DNS",
		    d->cfg.server_name);
	rc = certgen_server_ensure(dir, d->cfg.server_name,
	    (const char *const *)sans, n, err);
	for (size_t i = 0; i < n; i++)
		free(sans[i]);
	if (rc == 1)
		log_info("made a server CA and certificate in %s", dir);
	return rc < 0 ? -1 : 0;
}

int
tls_setup(struct dockerapi *d, sdc_error_t *err)
{
	char *dir, *cert, *key, *ca;
	struct buf pem = BUF_INIT;
	SSL_CTX *ctx = NULL;
	int rc = -1;

	xasprintf(&dir, "%s/tls", d->cfg.data_dir);
	xasprintf(&cert, "%s/server-cert.pem", dir);
	xasprintf(&key, "%s/server-key.pem", dir);
	xasprintf(&ca, "%s/ca.pem", dir);
	if (tls_ensure_certs(d, dir, err) < 0)
		goto out;
	if (file_read(ca, &pem, 1 << 20, err) < 0)
		goto out;
	d->ca_pem = buf_detach(&pem, NULL);
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		sdc_make_error(err, 0, "loading the server certificate from %s: %s",
		    dir, ERR_error_string(ERR_get_error(), NULL));
		SSL_CTX_free(ctx);
		goto out;
	}
	tls_handshake_policy(ctx);
	d->tls = ctx;
	d->cert_memo = certgen_memo_new(TLS_CERT_MEMO_SLOTS);
	rc = 0;
out:
	buf_free(&pem);
	free(dir);
	free(cert);
	free(key);
	free(ca);
	return rc;
}
