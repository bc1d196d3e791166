/*
 * ossl.c: small OpenSSL helpers every other certgen file leans on.
 *
 * OpenSSL reports failures on a thread-local queue; the text there ("bad
 * decrypt", "unsupported algorithm") is often the only clue a user gets,
 * so errors carry the queue's text and the queue is emptied each time, so
 * a stale entry never lands in a later, unrelated message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "certgen.h"
#include "xalloc.h"

int
certgen_ossl_error(sdc_error_t *err, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	unsigned long e, first;
	char text[256];
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	buf_puts(&b, msg);
	free(msg);
	first = ERR_peek_last_error();
	if (first != 0) {
		/* The last error is the most specific; the rest is noise. */
		ERR_error_string_n(first, text, sizeof text);
		buf_printf(&b, " (%s)", text);
	}
	while ((e = ERR_get_error()) != 0)
		;
	sdc_make_error_code(err, (int)(first & 0x7fffffff), "%s", buf_str(&b));
	buf_free(&b);
	return -1;
}

enum certgen_keytype
certgen_key_kind(EVP_PKEY *key)
{
	char group[64];
	int nid;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		return CERTGEN_KEY_RSA;
	case EVP_PKEY_ED25519:
		return CERTGEN_KEY_ED25519;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
		    group, sizeof group, NULL)) {
			ERR_clear_error();
			return CERTGEN_KEY_UNSUPPORTED;
		}
		nid = OBJ_sn2nid(group);
		if (nid == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid == NID_X9_62_prime256v1)
			return CERTGEN_KEY_P256;
		if (nid == NID_secp384r1)
			return CERTGEN_KEY_P384;
		if (nid == NID_secp521r1)
			return CERTGEN_KEY_P521;
		return CERTGEN_KEY_UNSUPPORTED;
	default:
		return CERTGEN_KEY_UNSUPPORTED;
	}
}

const EVP_MD *
certgen_key_digest(EVP_PKEY *key)
{
	switch (certgen_key_kind(key)) {
	case CERTGEN_KEY_P384:
		return EVP_sha384();
	case CERTGEN_KEY_P521:
		return EVP_sha512();
	case CERTGEN_KEY_ED25519:
		return NULL;
	default:
		return EVP_sha256();
	}
}
