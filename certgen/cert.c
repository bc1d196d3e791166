/*
 * cert.c: small things done with any certificate: free a pair, PEM,
 * read back a CN.
 */
#include <string.h>

#include <openssl/pem.h>

#include "certgen.h"
#include "xalloc.h"

void
certgen_pair_clear(struct certgen_pair *p)
{
	if (p == NULL)
		return;
	X509_free(p->cert);
	EVP_PKEY_free(p->key);
	p->cert = NULL;
	p->key = NULL;
}

int
certgen_cert_pem(X509 *cert, struct buf *out, sdc_error_t *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = 0;

	if (bio == NULL || !PEM_write_bio_X509(bio, cert)) {
		rc = certgen_ossl_error(err, "encoding a certificate");
	} else {
		n = BIO_get_mem_data(bio, &p);
		buf_append(out, p, (size_t)n);
	}
	BIO_free(bio);
	return rc;
}

static char *
cert_name_cn(const X509_NAME *name, const char *which, sdc_error_t *err)
{
	const ASN1_STRING *data;
	unsigned char *utf8;
	char *cn;
	int i, len;

	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0)
		return sdc_make_error(err, 0, "the certificate's %s has no CN", which), NULL;
	data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	len = ASN1_STRING_to_UTF8(&utf8, data);
	if (len < 0)
		return certgen_ossl_error(err, "reading the %s CN", which), NULL;
	if (memchr(utf8, '\0', (size_t)len) != NULL) {
		OPENSSL_free(utf8);
		return sdc_make_error(err, 0, "the %s CN holds a NUL byte", which), NULL;
	}
	cn = xstrndup((char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
	return cn;
}

char *
certgen_cert_subject_cn(X509 *cert, sdc_error_t *err)
{
	return cert_name_cn(X509_get_subject_name(cert), "subject", err);
}

char *
certgen_cert_issuer_cn(X509 *cert, sdc_error_t *err)
{
	return cert_name_cn(X509_get_issuer_name(cert), "issuer", err);
}
