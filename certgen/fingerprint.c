/*
 * fingerprint.c: key fingerprints as ssh-keygen -l prints them.
 *
 * Both hash the SSH wire blob (pubkey.c), never a DER encoding: Triton
 * stores keys by their MD5 fingerprint, so ours must match ssh-keygen's
 * byte for byte: lower-case colon-separated hex for MD5, unpadded
 * standard base64 for SHA-256.
 */
#include <stdlib.h>

#include "certgen.h"
#include "base64.h"
#include "xalloc.h"

static int
fingerprint_digest(EVP_PKEY *key, const EVP_MD *md, unsigned char *out,
    unsigned int *outlen, sdc_error_t *err)
{
	struct buf blob = BUF_INIT;
	int rc = 0;

	if (certgen_pubkey_blob(key, &blob, err) < 0)
		rc = -1;
	else if (!EVP_Digest(blob.data, blob.len, out, outlen, md, NULL))
		rc = certgen_ossl_error(err, "hashing a public key");
	buf_free(&blob);
	return rc;
}

char *
certgen_fingerprint_md5(EVP_PKEY *key, sdc_error_t *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n;
	char *s, *p;

	if (fingerprint_digest(key, EVP_md5(), d, &n, err) < 0)
		return NULL;
	p = s = xmalloc(3 * n);
	for (unsigned int i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = hex[d[i] >> 4];
		*p++ = hex[d[i] & 0xf];
	}
	*p = '\0';
	return s;
}

char *
certgen_fingerprint_sha256(EVP_PKEY *key, sdc_error_t *err)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n;

	if (fingerprint_digest(key, EVP_sha256(), d, &n, err) < 0)
		return NULL;
	return base64_encode(d, n, false);
}
