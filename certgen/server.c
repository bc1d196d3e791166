/*
 * server.c: the daemon's own CA and TLS certificate.
 *
 * Users fetch the CA (GET /ca.pem) and trust it, so it is made once and
 * kept; server certificates can be remade under it when the names change.
 * Go checks host names against the subject alternative names only, never
 * the CN, so a certificate always gets at least one SAN: the CN itself
 * when none is given.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "x509.h"
#include "xalloc.h"

int
certgen_server_ca(const char *cn, int days, struct certgen_pair *ca, sdc_error_t *err)
{
	char *name;

	if (days <= 0)
		days = CERTGEN_SERVER_DAYS;
	ca->cert = NULL;
	if ((ca->key = certgen_key_generate(err)) == NULL)
		return sdc_error_wrap(err, "making the server CA");
	xasprintf(&name, "%s CA", cn);
	ca->cert = certgen_x509_new(ca->key, name, name, days, err);
	free(name);
	if (ca->cert == NULL ||
	    certgen_x509_add_ext(ca->cert, NULL, NID_basic_constraints, "critical,CA:TRUE", err) < 0 ||
	    certgen_x509_add_ext(ca->cert, NULL, NID_key_usage, "critical,keyCertSign,cRLSign", err) < 0 ||
	    certgen_x509_add_ext(ca->cert, NULL, NID_subject_key_identifier, "hash", err) < 0 ||
	    certgen_x509_sign(ca->cert, ca->key, err) < 0) {
		certgen_pair_clear(ca);
		return sdc_error_wrap(err, "making the server CA");
	}
	return 0;
}

/* "DNS:a,IP:b" from the list, checking each entry's kind. */
static int
server_san_value(const char *cn, const char *const *sans, size_t n, struct buf *out,
    sdc_error_t *err)
{
	unsigned char addr[16];

	if (n == 0) {
		bool ip = inet_pton(AF_INET, cn, addr) == 1 || inet_pton(AF_INET6, cn, addr) == 1;
		buf_printf(out, "%s:%s", ip ? "IP" : "DNS", cn);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (strncasecmp(sans[i], "DNS:", 4) != 0 && strncasecmp(sans[i], "IP:", 3) != 0)
			return sdc_make_error(err, 0,
			    "subject alternative name \"%s\" is neither DNS:name nor IP:address",
			    sans[i]);
		if (strchr(sans[i], ',') != NULL)
			return sdc_make_error(err, 0, "bad subject alternative name \"%s\"", sans[i]);
		buf_printf(out, "%s%s", i > 0 ? "," : "", sans[i]);
	}
	return 0;
}

int
certgen_server_cert(const struct certgen_pair *ca, const char *cn,
    const char *const *sans, size_t nsans, int days, struct certgen_pair *out,
    sdc_error_t *err)
{
	struct buf san = BUF_INIT;
	char *issuer = NULL;

	if (days <= 0)
		days = CERTGEN_SERVER_DAYS;
	out->cert = NULL;
	out->key = NULL;
	if (server_san_value(cn, sans, nsans, &san, err) < 0 ||
	    (issuer = certgen_cert_subject_cn(ca->cert, err)) == NULL ||
	    (out->key = certgen_key_generate(err)) == NULL ||
	    (out->cert = certgen_x509_new(out->key, cn, issuer, days, err)) == NULL ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_basic_constraints, "critical,CA:FALSE", err) < 0 ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_key_usage, "critical,digitalSignature", err) < 0 ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_ext_key_usage, "serverAuth", err) < 0 ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_subject_alt_name, buf_str(&san), err) < 0 ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_subject_key_identifier, "hash", err) < 0 ||
	    certgen_x509_add_ext(out->cert, ca->cert, NID_authority_key_identifier, "keyid:always", err) < 0 ||
	    certgen_x509_sign(out->cert, ca->key, err) < 0) {
		certgen_pair_clear(out);
		free(issuer);
		buf_free(&san);
		return sdc_error_wrap(err, "making the server certificate for %s", cn);
	}
	free(issuer);
	buf_free(&san);
	return 0;
}

static bool
server_exists(const char *dir, const char *name)
{
	struct stat st;
	char *path;
	bool ok;

	xasprintf(&path, "%s/%s", dir, name);
	ok = stat(path, &st) == 0;
	free(path);
	return ok;
}

int
certgen_ca_load(const char *dir, struct certgen_pair *ca, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	char *path;
	BIO *bio;

	xasprintf(&path, "%s/ca-key.pem", dir);
	ca->key = certgen_key_load(path, NULL, err);
	free(path);
	if (ca->key == NULL)
		return -1;
	xasprintf(&path, "%s/ca.pem", dir);
	if (certgen_file_read(path, &b, err) == 0) {
		bio = BIO_new_mem_buf(b.data, (int)b.len);
		ca->cert = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		if (ca->cert == NULL)
			certgen_ossl_error(err, "reading %s", path);
	}
	free(path);
	buf_free(&b);
	if (ca->cert == NULL) {
		certgen_pair_clear(ca);
		return -1;
	}
	return 0;
}

/* PEM of every part, then all files at once. */
static int
server_write(const char *dir, const struct certgen_pair *ca, bool with_ca,
    const struct certgen_pair *srv, sdc_error_t *err)
{
	struct buf pem[4] = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
	struct certgen_file files[4];
	const char *names[4] = { "server-cert.pem", "server-key.pem", "ca.pem", "ca-key.pem" };
	int modes[4] = { 0644, 0600, 0644, 0600 };
	size_t n = with_ca ? 4 : 2;
	int rc;

	rc = certgen_cert_pem(srv->cert, &pem[0], err) < 0 ||
	    certgen_key_pem(srv->key, &pem[1], err) < 0 ||
	    (with_ca && (certgen_cert_pem(ca->cert, &pem[2], err) < 0 ||
	    certgen_key_pem(ca->key, &pem[3], err) < 0)) ? -1 : 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		files[i] = (struct certgen_file){ names[i], pem[i].data, pem[i].len, modes[i] };
	if (rc == 0)
		rc = certgen_files_write(dir, files, n, err);
	for (size_t i = 0; i < 4; i++) {
		OPENSSL_cleanse(pem[i].data, pem[i].len);
		buf_free(&pem[i]);
	}
	return rc;
}

int
certgen_server_write(const char *dir, const char *cn, const char *const *sans,
    size_t nsans, int days, sdc_error_t *err)
{
	struct certgen_pair ca = { NULL, NULL }, srv = { NULL, NULL };
	bool have_ca = server_exists(dir, "ca.pem") && server_exists(dir, "ca-key.pem");
	int rc;

	if (!have_ca && server_exists(dir, "ca.pem"))
		return sdc_make_error(err, 0, "%s/ca.pem is there but not ca-key.pem: "
		    "cannot sign with that CA, and will not replace it", dir);
	if (have_ca)
		rc = certgen_ca_load(dir, &ca, err);
	else
		rc = certgen_server_ca(cn, days, &ca, err);
	if (rc == 0)
		rc = certgen_server_cert(&ca, cn, sans, nsans, days, &srv, err);
	if (rc == 0)
		rc = server_write(dir, &ca, !have_ca, &srv, err);
	certgen_pair_clear(&ca);
	certgen_pair_clear(&srv);
	if (rc < 0)
		return sdc_error_wrap(err, "setting up TLS in %s", dir);
	return 0;
}

int
certgen_server_ensure(const char *dir, const char *cn, const char *const *sans,
    size_t nsans, sdc_error_t *err)
{
	if (server_exists(dir, "ca.pem") && server_exists(dir, "ca-key.pem") &&
	    server_exists(dir, "server-cert.pem") && server_exists(dir, "server-key.pem"))
		return 0;
	if (certgen_server_write(dir, cn, sans, nsans, 0, err) < 0)
		return -1;
	return 1;
}
