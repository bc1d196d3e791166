/*
 * operator.c: certificates under the operator's CA for the links between
 * the operator's own daemons and tools.
 *
 * dockerapi makes a CA at its first start (<data>/tls/ca.pem and
 * ca-key.pem) and already signs its server certificate with it.  When sapi
 * must listen on TCP it takes only clients whose certificate that CA
 * signed, so the same CA signs the operator's client certificate (for
 * sapiadm, sdcadm-docker and dockerapi) and sapi's server certificate
 * here, each written where its user reads it, never beside the CA's key.
 * A compute node's agent is such a daemon too: its certificate (`node`)
 * is a server's, and the heads that call it hold client certificates of
 * the same CA (`head`, the operator's kind).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "x509.h"
#include "xalloc.h"

/* CN = cn, EKU clientAuth, signed by ca. */
static int
operator_cert(const struct certgen_pair *ca, const char *cn, int days,
    struct certgen_pair *out, sdc_error_t *err)
{
	char *issuer = NULL;

	if (days <= 0)
		days = CERTGEN_SERVER_DAYS;
	out->cert = NULL;
	if ((issuer = certgen_cert_subject_cn(ca->cert, err)) == NULL ||
	    (out->key = certgen_key_generate(err)) == NULL ||
	    (out->cert = certgen_x509_new(out->key, cn, issuer, days, err)) == NULL ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_basic_constraints, "critical,CA:FALSE", err) < 0 ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_key_usage, "critical,digitalSignature", err) < 0 ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_ext_key_usage, "clientAuth", err) < 0 ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_subject_key_identifier, "hash", err) < 0 ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_authority_key_identifier, "keyid:always", err) < 0 ||
	    certgen_x509_sign(out->cert, ca->key, err) < 0) {
		free(issuer);
		certgen_pair_clear(out);
		return sdc_error_wrap(err, "making the operator's certificate %s", cn);
	}
	free(issuer);
	return 0;
}

/* The pair and the CA's certificate, as PEM files named names[0..2]. */
static int
operator_files(const char *out, const struct certgen_pair *ca,
    const struct certgen_pair *pair, const char *const names[3],
    sdc_error_t *err)
{
	struct buf pem[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
	struct certgen_file files[3];
	const int modes[3] = { 0644, 0600, 0644 };
	int rc;

	rc = certgen_cert_pem(pair->cert, &pem[0], err) < 0 ||
	    certgen_key_pem(pair->key, &pem[1], err) < 0 ||
	    certgen_cert_pem(ca->cert, &pem[2], err) < 0 ? -1 : 0;
	for (size_t i = 0; i < 3 && rc == 0; i++)
		files[i] = (struct certgen_file){ names[i], pem[i].data,
		    pem[i].len, modes[i] };
	if (rc == 0)
		rc = certgen_files_write(out, files, 3, err);
	for (size_t i = 0; i < 3; i++) {
		OPENSSL_cleanse(pem[i].data, pem[i].len);
		buf_free(&pem[i]);
	}
	return rc;
}

int
certgen_operator_write(const char *ca_dir, const char *out, const char *cn,
    int days, sdc_error_t *err)
{
	static const char *const names[3] = { "cert.pem", "key.pem", "ca.pem" };
	struct certgen_pair ca = { NULL, NULL }, pair = { NULL, NULL };
	int rc;

	rc = certgen_ca_load(ca_dir, &ca, err);
	if (rc == 0)
		rc = operator_cert(&ca, cn, days, &pair, err);
	if (rc == 0)
		rc = operator_files(out, &ca, &pair, names, err);
	certgen_pair_clear(&ca);
	certgen_pair_clear(&pair);
	return rc;
}

/* A server certificate under the CA in ca_dir, written as names[0..2]. */
static int
operator_server_files(const char *ca_dir, const char *out, const char *cn,
    const char *const *sans, size_t nsans, int days,
    const char *const names[3], sdc_error_t *err)
{
	struct certgen_pair ca = { NULL, NULL }, pair = { NULL, NULL };
	int rc;

	rc = certgen_ca_load(ca_dir, &ca, err);
	if (rc == 0)
		rc = certgen_server_cert(&ca, cn, sans, nsans, days, &pair, err);
	if (rc == 0)
		rc = operator_files(out, &ca, &pair, names, err);
	certgen_pair_clear(&ca);
	certgen_pair_clear(&pair);
	return rc;
}

int
certgen_server_write_under(const char *ca_dir, const char *out,
    const char *cn, const char *const *sans, size_t nsans, int days,
    sdc_error_t *err)
{
	static const char *const names[3] = { "server-cert.pem",
		"server-key.pem", "ca.pem" };

	return operator_server_files(ca_dir, out, cn, sans, nsans, days, names,
	    err);
}

int
certgen_node_write(const char *ca_dir, const char *out, const char *cn,
    const char *const *sans, size_t nsans, int days, sdc_error_t *err)
{
	static const char *const names[3] = { "node-cert.pem", "node-key.pem",
		"ca.pem" };

	return operator_server_files(ca_dir, out, cn, sans, nsans, days, names,
	    err);
}
