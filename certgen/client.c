/*
 * client.c: client certificates vouched for by an SSH key.
 *
 * The self-signed form is what Triton's setup script made with openssl:
 * the SSH key is the certificate key, so the private key on disk is the
 * SSH key itself.  The issued form keeps the SSH key out of the Docker
 * cert directory: a throwaway P-256 key (fast to make, supported by every
 * TLS stack) is certified by the SSH key, named by its fingerprint.  For
 * the issued form we also make the matching issuer certificate (the SSH
 * key, self-signed, CN = fingerprint, a CA) so that stock X.509 tools can
 * check the chain; the daemon itself needs only the public key.
 */
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "x509.h"

int
certgen_client_self_signed(EVP_PKEY *ssh_key, const char *login, int days,
    struct certgen_pair *out, sdc_error_t *err)
{
	X509 *cert;

	out->cert = NULL;
	out->key = NULL;
	if (certgen_key_check_type(ssh_key, err) < 0)
		return -1;
	cert = certgen_x509_new(ssh_key, login, login, days, err);
	if (cert == NULL ||
	    certgen_x509_add_ext(cert, NULL, NID_subject_key_identifier, "hash", err) < 0 ||
	    certgen_x509_add_ext(cert, NULL, NID_ext_key_usage, "clientAuth", err) < 0 ||
	    certgen_x509_sign(cert, ssh_key, err) < 0) {
		X509_free(cert);
		return sdc_error_wrap(err, "making a certificate for %s", login);
	}
	EVP_PKEY_up_ref(ssh_key);
	out->cert = cert;
	out->key = ssh_key;
	return 0;
}

/* The SSH key as a CA named by its fingerprint. */
static X509 *
client_issuer(EVP_PKEY *ssh_key, const char *fp, int days, sdc_error_t *err)
{
	X509 *ca = certgen_x509_new(ssh_key, fp, fp, days, err);

	if (ca == NULL ||
	    certgen_x509_add_ext(ca, NULL, NID_basic_constraints, "critical,CA:TRUE", err) < 0 ||
	    certgen_x509_add_ext(ca, NULL, NID_key_usage, "critical,keyCertSign,cRLSign", err) < 0 ||
	    certgen_x509_add_ext(ca, NULL, NID_subject_key_identifier, "hash", err) < 0 ||
	    certgen_x509_sign(ca, ssh_key, err) < 0) {
		X509_free(ca);
		return NULL;
	}
	return ca;
}

static X509 *
client_issued_leaf(EVP_PKEY *ssh_key, X509 *ca, EVP_PKEY *key, const char *login,
    const char *fp, int days, sdc_error_t *err)
{
	X509 *cert = certgen_x509_new(key, login, fp, days, err);

	if (cert == NULL ||
	    certgen_x509_add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE", err) < 0 ||
	    certgen_x509_add_ext(cert, ca, NID_key_usage, "critical,digitalSignature", err) < 0 ||
	    certgen_x509_add_ext(cert, ca, NID_ext_key_usage,
	    "clientAuth," CERTGEN_DOCKER_PURPOSE_OID, err) < 0 ||
	    certgen_x509_add_ext(cert, ca, NID_subject_key_identifier, "hash", err) < 0 ||
	    certgen_x509_add_ext(cert, ca, NID_authority_key_identifier, "keyid:always", err) < 0 ||
	    certgen_x509_sign(cert, ssh_key, err) < 0) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

int
certgen_client_issued(EVP_PKEY *ssh_key, const char *login, int days,
    struct certgen_pair *out, X509 **issuer, sdc_error_t *err)
{
	EVP_PKEY *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	char *fp;

	out->cert = NULL;
	out->key = NULL;
	if (issuer != NULL)
		*issuer = NULL;
	if ((fp = certgen_fingerprint_md5(ssh_key, err)) == NULL)
		return sdc_error_wrap(err, "making a certificate for %s", login);
	if ((ca = client_issuer(ssh_key, fp, days, err)) != NULL &&
	    (key = certgen_key_generate(err)) != NULL)
		cert = client_issued_leaf(ssh_key, ca, key, login, fp, days, err);
	free(fp);
	if (cert == NULL) {
		X509_free(ca);
		EVP_PKEY_free(key);
		return sdc_error_wrap(err, "making a certificate for %s", login);
	}
	out->cert = cert;
	out->key = key;
	if (issuer != NULL)
		*issuer = ca;
	else
		X509_free(ca);
	return 0;
}

/* PEM everything, then write it all at once. */
static int
client_files_write(const char *dir, const struct certgen_pair *pair, X509 *issuer,
    sdc_error_t *err)
{
	struct buf key = BUF_INIT, cert = BUF_INIT, ca = BUF_INIT;
	struct certgen_file files[3];
	int rc;

	rc = certgen_key_pem(pair->key, &key, err) < 0 ||
	    certgen_cert_pem(pair->cert, &cert, err) < 0 ||
	    (issuer != NULL && certgen_cert_pem(issuer, &ca, err) < 0) ? -1 : 0;
	if (rc == 0) {
		files[0] = (struct certgen_file){ "key.pem", key.data, key.len, 0600 };
		files[1] = (struct certgen_file){ "cert.pem", cert.data, cert.len, 0644 };
		files[2] = (struct certgen_file){ "issuer.pem", ca.data, ca.len, 0644 };
		rc = certgen_files_write(dir, files, issuer != NULL ? 3 : 2, err);
	}
	OPENSSL_cleanse(key.data, key.len);
	buf_free(&key);
	buf_free(&cert);
	buf_free(&ca);
	return rc;
}

int
certgen_client_write(const char *dir, EVP_PKEY *ssh_key, const char *login, int days,
    bool issued, sdc_error_t *err)
{
	struct certgen_pair pair = { NULL, NULL };
	X509 *issuer = NULL;
	int rc;

	if (issued)
		rc = certgen_client_issued(ssh_key, login, days, &pair, &issuer, err);
	else
		rc = certgen_client_self_signed(ssh_key, login, days, &pair, err);
	if (rc == 0)
		rc = client_files_write(dir, &pair, issuer, err);
	X509_free(issuer);
	certgen_pair_clear(&pair);
	return rc;
}
