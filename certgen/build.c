/*
 * build.c: OpenSSL keys from the parts an SSH encoding carries.
 *
 * SSH stores keys as bare numbers and points; OpenSSL 3 assembles keys
 * from named parameters (EVP_PKEY_fromdata), which keeps us off the
 * deprecated RSA_* and EC_KEY_* interfaces.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>

#include "sshwire.h"

static EVP_PKEY *
build_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection, sdc_error_t *err)
{
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *key = NULL;

	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, selection, params) <= 0) {
		certgen_ossl_error(err, "assembling an %s key", type);
		key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

/* d mod (x - 1) */
static BIGNUM *
build_crt_exponent(const BIGNUM *d, const BIGNUM *x, BN_CTX *bnctx)
{
	BIGNUM *xm1 = BN_dup(x), *r = BN_new();

	if (xm1 == NULL || r == NULL || !BN_sub_word(xm1, 1) ||
	    !BN_mod(r, d, xm1, bnctx)) {
		BN_free(r);
		r = NULL;
	}
	BN_free(xm1);
	return r;
}

EVP_PKEY *
certgen_build_rsa(const BIGNUM *n, const BIGNUM *e, const BIGNUM *d,
    const BIGNUM *p, const BIGNUM *q, sdc_error_t *err)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BN_CTX *bnctx = BN_CTX_new();
	BIGNUM *dp = NULL, *dq = NULL, *qinv = NULL;
	EVP_PKEY *key = NULL;
	int ok;

	ok = bld != NULL && bnctx != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	if (ok && d != NULL) {
		dp = build_crt_exponent(d, p, bnctx);
		dq = build_crt_exponent(d, q, bnctx);
		qinv = BN_mod_inverse(NULL, q, p, bnctx);
		ok = dp != NULL && dq != NULL && qinv != NULL &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv);
	}
	if (ok)
		key = build_fromdata("RSA", bld,
		    d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, err);
	else
		certgen_ossl_error(err, "assembling an RSA key (inconsistent numbers)");
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qinv);
	BN_CTX_free(bnctx);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

EVP_PKEY *
certgen_build_ec(const char *group, const unsigned char *point, size_t pointlen,
    const BIGNUM *priv, sdc_error_t *err)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *key = NULL;

	if (bld != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, pointlen) &&
	    (priv == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
		key = build_fromdata("EC", bld,
		    priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, err);
	else
		certgen_ossl_error(err, "assembling an EC key");
	OSSL_PARAM_BLD_free(bld);
	if (key != NULL && certgen_key_kind(key) == CERTGEN_KEY_UNSUPPORTED) {
		EVP_PKEY_free(key);
		return sdc_make_error(err, 0, "unsupported curve %s", group), NULL;
	}
	return key;
}

EVP_PKEY *
certgen_build_ed25519(const unsigned char *pub, size_t publen,
    const unsigned char *seed, sdc_error_t *err)
{
	unsigned char derived[32];
	size_t dlen = sizeof derived;
	EVP_PKEY *key;

	if (publen != 32)
		return sdc_make_error(err, 0, "an Ed25519 public key is %zu bytes, not 32",
		    publen), NULL;
	if (seed == NULL) {
		key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, publen);
		if (key == NULL)
			certgen_ossl_error(err, "assembling an Ed25519 key");
		return key;
	}
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (key == NULL)
		return certgen_ossl_error(err, "assembling an Ed25519 key"), NULL;
	if (!EVP_PKEY_get_raw_public_key(key, derived, &dlen) || dlen != 32 ||
	    CRYPTO_memcmp(derived, pub, 32) != 0) {
		EVP_PKEY_free(key);
		return sdc_make_error(err, 0,
		    "the Ed25519 private key does not match its public key"), NULL;
	}
	return key;
}
