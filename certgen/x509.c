/*
 * x509.c: the steps every certificate we make goes through.
 *
 * Serials are random, 16 bytes with the top bit clear: unique without
 * state, and positive, since Go (the docker CLI) rejects negative ones.
 * notBefore is set five minutes back so a client whose clock runs a
 * little behind the machine that made the certificate still accepts it.
 */
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "x509.h"

#define X509_BACKDATE 300

static int
x509_set_cn(X509_NAME *name, const char *cn, sdc_error_t *err)
{
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0))
		return certgen_ossl_error(err, "setting the name CN=%s", cn);
	return 0;
}

static int
x509_set_serial(X509 *cert, sdc_error_t *err)
{
	unsigned char raw[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(raw, sizeof raw) != 1)
		return certgen_ossl_error(err, "drawing a serial number");
	raw[0] &= 0x7f;
	raw[0] |= 0x40;		/* never zero, always 16 bytes */
	bn = BN_bin2bn(raw, sizeof raw, NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return ok ? 0 : certgen_ossl_error(err, "setting a serial number");
}

X509 *
certgen_x509_new(EVP_PKEY *subject_key, const char *subject_cn, const char *issuer_cn,
    int days, sdc_error_t *err)
{
	X509 *cert = X509_new();

	if (days <= 0)
		days = CERTGEN_DEFAULT_DAYS;
	if (cert == NULL || !X509_set_version(cert, X509_VERSION_3)) {
		certgen_ossl_error(err, "making a certificate");
		goto fail;
	}
	if (x509_set_serial(cert, err) < 0 ||
	    x509_set_cn(X509_get_subject_name(cert), subject_cn, err) < 0 ||
	    x509_set_cn(X509_get_issuer_name(cert), issuer_cn, err) < 0)
		goto fail;
	if (X509_gmtime_adj(X509_getm_notBefore(cert), -X509_BACKDATE) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) == NULL ||
	    !X509_set_pubkey(cert, subject_key)) {
		certgen_ossl_error(err, "filling in a certificate");
		goto fail;
	}
	return cert;
fail:
	X509_free(cert);
	return NULL;
}

int
certgen_x509_add_ext(X509 *cert, X509 *issuer, int nid, const char *value, sdc_error_t *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return certgen_ossl_error(err, "bad %s extension \"%s\"", OBJ_nid2sn(nid), value);
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok)
		return certgen_ossl_error(err, "adding the %s extension", OBJ_nid2sn(nid));
	return 0;
}

int
certgen_x509_sign(X509 *cert, EVP_PKEY *key, sdc_error_t *err)
{
	if (X509_sign(cert, key, certgen_key_digest(key)) <= 0)
		return certgen_ossl_error(err, "signing a certificate");
	return 0;
}
