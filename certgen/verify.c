/*
 * verify.c: which of an account's SSH keys vouches for a client
 * certificate.
 *
 * The certificates are not chained to any CA we hold, so OpenSSL's chain
 * verification cannot judge them; the daemon accepts any certificate in
 * the handshake and asks here afterwards.  Keys are matched by MD5
 * fingerprint (how Triton names keys), but a match proves nothing until
 * the certificate's signature verifies with that key.  Both forms must be
 * within their validity period: Triton did not check it for self-signed
 * certificates, so a copy of one stayed good for ever, whatever the user
 * asked for with --days.
 */
#include <stdlib.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "certgen.h"

static int
verify_signature(X509 *peer, const struct certgen_pubkey *key, sdc_error_t *err)
{
	if (X509_verify(peer, key->pkey) != 1)
		return certgen_ossl_error(err,
		    "the certificate's signature does not verify with key %s", key->md5);
	return 0;
}

/* No extension may rule out TLS client use (none at all is fine). */
static int
verify_purpose(X509 *peer, sdc_error_t *err)
{
	if (X509_check_purpose(peer, X509_PURPOSE_SSL_CLIENT, 0) != 1) {
		ERR_clear_error();
		return sdc_make_error(err, 0, "the certificate is not for TLS clients");
	}
	return 0;
}

int
certgen_verify_validity(X509 *peer, time_t now, sdc_error_t *err)
{
	if (X509_cmp_time(X509_get0_notBefore(peer), &now) != -1)
		return sdc_make_error(err, 0, "the certificate is not valid yet");
	if (X509_cmp_time(X509_get0_notAfter(peer), &now) != 1)
		return sdc_make_error(err, 0, "the certificate has expired");
	return 0;
}

static int
verify_find(const struct certgen_pubkey *keys, size_t nkeys, const char *fp)
{
	for (size_t i = 0; fp != NULL && i < nkeys; i++)
		if (keys[i].md5 != NULL && strcasecmp(keys[i].md5, fp) == 0)
			return (int)i;
	return -1;
}

/* The MD5 fingerprint of the certificate's key, NULL if it has none we
 * could name (an issued certificate may well have an unusual key). */
static char *
verify_cert_fingerprint(X509 *peer)
{
	EVP_PKEY *pub = X509_get0_pubkey(peer);
	sdc_error_t ignored = NULL;
	char *fp;

	if (pub == NULL || certgen_key_kind(pub) == CERTGEN_KEY_UNSUPPORTED) {
		ERR_clear_error();
		return NULL;
	}
	fp = certgen_fingerprint_md5(pub, &ignored);
	sdc_error_release(&ignored);
	return fp;
}

int
certgen_verify_client(X509 *peer, const struct certgen_pubkey *keys, size_t nkeys,
    time_t now, enum certgen_form *form, sdc_error_t *err)
{
	sdc_error_t ignored = NULL;
	char *fp, *issuer;
	int i;

	if (peer == NULL)
		return sdc_make_error(err, 0, "no client certificate");
	if (verify_purpose(peer, err) < 0)
		return -1;
	fp = verify_cert_fingerprint(peer);
	i = verify_find(keys, nkeys, fp);
	free(fp);
	if (i >= 0) {
		if (verify_signature(peer, &keys[i], err) < 0 ||
		    certgen_verify_validity(peer, now, err) < 0)
			return -1;
		if (form != NULL)
			*form = CERTGEN_FORM_SELF_SIGNED;
		return i;
	}
	issuer = certgen_cert_issuer_cn(peer, &ignored);
	sdc_error_release(&ignored);
	i = verify_find(keys, nkeys, issuer);
	free(issuer);
	if (i < 0)
		return sdc_make_error(err, 0,
		    "neither the certificate's key nor its issuer is one of the account's keys");
	if (verify_signature(peer, &keys[i], err) < 0 || certgen_verify_validity(peer, now, err) < 0)
		return -1;
	if (form != NULL)
		*form = CERTGEN_FORM_ISSUED;
	return i;
}
