/*
 * keycheck.c: does a private key hang together?
 *
 * Damage inside a key's numbers often still decodes, and a key whose
 * halves disagree makes certificates nothing verifies, so every key read
 * is checked.  OpenSSL's pairwise check of an RSA key tests p and q for
 * primality, some 40 ms for RSA-2048: more than everything else a
 * certificate costs.  For two-prime RSA we check the identities instead
 * (n = pq, ed = 1 mod p-1 and q-1, the CRT values), which is what damage
 * breaks; multi-prime RSA, EC and Ed25519 keys get OpenSSL's check.
 */
#include <stdbool.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "certgen.h"

enum { RSA_N, RSA_E, RSA_D, RSA_P, RSA_Q, RSA_DP, RSA_DQ, RSA_QINV, RSA_NPARTS };

static const char *const keycheck_rsa_names[RSA_NPARTS] = {
	OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
	OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

/* x = 1 (mod m) */
static int
keycheck_is_one_mod(const BIGNUM *x, const BIGNUM *m, BIGNUM *tmp, BN_CTX *ctx)
{
	return BN_mod(tmp, x, m, ctx) && BN_is_one(tmp);
}

/* d mod (x - 1) == want */
static int
keycheck_crt(const BIGNUM *d, const BIGNUM *x, const BIGNUM *want, BIGNUM *t1,
    BIGNUM *t2, BN_CTX *ctx)
{
	return BN_copy(t1, x) != NULL && BN_sub_word(t1, 1) && BN_mod(t2, d, t1, ctx) &&
	    BN_cmp(t2, want) == 0;
}

static int
keycheck_rsa(EVP_PKEY *key)
{
	BIGNUM *v[RSA_NPARTS] = { NULL };
	BIGNUM *t1 = BN_new(), *t2 = BN_new(), *pm1 = BN_new(), *qm1 = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	int i, ok = t1 != NULL && t2 != NULL && pm1 != NULL && qm1 != NULL && ctx != NULL;

	for (i = 0; ok && i < RSA_NPARTS; i++)
		ok = EVP_PKEY_get_bn_param(key, keycheck_rsa_names[i], &v[i]);
	ok = ok && BN_mul(t1, v[RSA_P], v[RSA_Q], ctx) && BN_cmp(t1, v[RSA_N]) == 0 &&
	    BN_copy(pm1, v[RSA_P]) != NULL && BN_sub_word(pm1, 1) &&
	    BN_copy(qm1, v[RSA_Q]) != NULL && BN_sub_word(qm1, 1) &&
	    BN_mul(t1, v[RSA_E], v[RSA_D], ctx) &&
	    keycheck_is_one_mod(t1, pm1, t2, ctx) && keycheck_is_one_mod(t1, qm1, t2, ctx) &&
	    keycheck_crt(v[RSA_D], v[RSA_P], v[RSA_DP], t1, t2, ctx) &&
	    keycheck_crt(v[RSA_D], v[RSA_Q], v[RSA_DQ], t1, t2, ctx) &&
	    BN_mod_mul(t1, v[RSA_Q], v[RSA_QINV], v[RSA_P], ctx) && BN_is_one(t1);
	for (i = 0; i < RSA_NPARTS; i++)
		BN_clear_free(v[i]);
	BN_clear_free(t1);
	BN_clear_free(t2);
	BN_clear_free(pm1);
	BN_clear_free(qm1);
	BN_CTX_free(ctx);
	return ok;
}

static bool
keycheck_multiprime(EVP_PKEY *key)
{
	BIGNUM *r = NULL;
	bool multi = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR3, &r) == 1;

	BN_clear_free(r);
	ERR_clear_error();
	return multi;
}

static int
keycheck_pairwise(EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int ok = ctx != NULL && EVP_PKEY_pairwise_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

int
certgen_key_check_consistency(EVP_PKEY *key, const char *name, sdc_error_t *err)
{
	int ok;

	if (certgen_key_kind(key) == CERTGEN_KEY_RSA && !keycheck_multiprime(key))
		ok = keycheck_rsa(key);
	else
		ok = keycheck_pairwise(key);
	if (!ok)
		return certgen_ossl_error(err,
		    "%s: corrupt private key (its public and private parts do not match)", name);
	ERR_clear_error();
	return 0;
}
