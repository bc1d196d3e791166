/*
 * openssh.c: the OpenSSH private key format ("openssh-key-v1").
 *
 * OpenSSL cannot read it, and libssh 0.10 can decrypt it but not hand an
 * RSA key back, so we take it apart ourselves: the format is a handful of
 * SSH wire strings, and encrypted keys are AES (CTR, CBC or GCM) under a
 * key from bcrypt_pbkdf (bcrypt_pbkdf.c).  Before any passphrase is asked
 * for we check the outer structure and the key type, so a corrupt or DSA
 * key is reported as such.  A wrong passphrase shows as the two check
 * words at the head of the decrypted section differing.  The private key
 * must match the public key stored in the clear.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sshwire.h"
#include "base64.h"
#include "xalloc.h"

#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_END "-----END OPENSSH PRIVATE KEY-----"
#define OPENSSH_MAGIC "openssh-key-v1"

struct openssh_outer {
	char *cipher;
	char *kdf;
	const unsigned char *kdfopts;
	size_t kdfoptslen;
	const unsigned char *pub;	/* the public key blob */
	size_t publen;
	const unsigned char *priv;	/* the (maybe encrypted) private section */
	size_t privlen;
	const unsigned char *tag;	/* what follows it: GCM's tag */
	size_t taglen;
};

/* The ciphers ssh-keygen may encrypt a key with, all but chacha20-poly1305. */
static const struct openssh_cipher {
	const char *name;
	const char *evp;
	size_t keylen, ivlen, taglen;
} openssh_ciphers[] = {
	{ "aes256-ctr", "AES-256-CTR", 32, 16, 0 },
	{ "aes192-ctr", "AES-192-CTR", 24, 16, 0 },
	{ "aes128-ctr", "AES-128-CTR", 16, 16, 0 },
	{ "aes256-cbc", "AES-256-CBC", 32, 16, 0 },
	{ "aes192-cbc", "AES-192-CBC", 24, 16, 0 },
	{ "aes128-cbc", "AES-128-CBC", 16, 16, 0 },
	{ "aes256-gcm@openssh.com", "AES-256-GCM", 32, 12, 16 },
	{ "aes128-gcm@openssh.com", "AES-128-GCM", 16, 12, 16 },
};

/* The base64 between the armour lines, decoded. */
static int
openssh_dearmour(const char *text, size_t len, struct buf *out, sdc_error_t *err)
{
	const char *b, *e;
	struct buf b64 = BUF_INIT;
	int rc;

	b = memmem(text, len, OPENSSH_BEGIN, strlen(OPENSSH_BEGIN));
	if (b == NULL)
		return sdc_make_error(err, 0, "no BEGIN line");
	b += strlen(OPENSSH_BEGIN);
	e = memmem(b, len - (size_t)(b - text), OPENSSH_END, strlen(OPENSSH_END));
	if (e == NULL)
		return sdc_make_error(err, 0, "no END line");
	for (; b < e; b++)
		if (*b != '\n' && *b != '\r' && *b != ' ' && *b != '\t')
			buf_putc(&b64, *b);
	rc = base64_decode(b64.data != NULL ? b64.data : "", b64.len, false, out, err);
	buf_free(&b64);
	return rc;
}

static int
openssh_read_outer(const struct buf *raw, struct openssh_outer *o, sdc_error_t *err)
{
	struct sshwire r;
	uint32_t nkeys;
	size_t mlen = sizeof OPENSSH_MAGIC;

	if (raw->len < mlen || memcmp(raw->data, OPENSSH_MAGIC, mlen) != 0)
		return sdc_make_error(err, 0, "bad magic");
	r.p = (const unsigned char *)raw->data + mlen;
	r.left = raw->len - mlen;
	if ((o->cipher = sshwire_cstring(&r, err)) == NULL ||
	    (o->kdf = sshwire_cstring(&r, err)) == NULL ||
	    sshwire_string(&r, &o->kdfopts, &o->kdfoptslen, err) < 0 ||
	    sshwire_u32(&r, &nkeys, err) < 0)
		return -1;
	if (nkeys != 1)
		return sdc_make_error(err, 0, "%u keys in one file; one expected", nkeys);
	if (sshwire_string(&r, &o->pub, &o->publen, err) < 0 ||
	    sshwire_string(&r, &o->priv, &o->privlen, err) < 0)
		return -1;
	o->tag = r.p;
	o->taglen = r.left;
	return 0;
}

static void
openssh_outer_free(struct openssh_outer *o)
{
	free(o->cipher);
	free(o->kdf);
}

/* The key type named at the head of the public blob, refusing DSA. */
static int
openssh_check_type(const struct openssh_outer *o, sdc_error_t *err)
{
	struct sshwire r = { o->pub, o->publen };
	char *type = sshwire_cstring(&r, err);
	int rc = 0;

	if (type == NULL)
		return sdc_error_wrap(err, "corrupt OpenSSH private key");
	if (strcmp(type, "ssh-dss") == 0)
		rc = sdc_make_error(err, 0,
		    "DSA keys are not supported; use an RSA, ECDSA or Ed25519 key");
	else if (strcmp(type, "ssh-rsa") != 0 && strcmp(type, "ssh-ed25519") != 0 &&
	    strncmp(type, "ecdsa-sha2-nistp", 16) != 0)
		rc = sdc_make_error(err, 0, "%s keys are not supported; "
		    "use an RSA, ECDSA or Ed25519 key", type);
	free(type);
	return rc;
}

static EVP_PKEY *
openssh_rsa(struct sshwire *r, sdc_error_t *err)
{
	BIGNUM *bn[6] = { NULL };	/* n e d iqmp p q */
	EVP_PKEY *key = NULL;
	int i;

	for (i = 0; i < 6; i++)
		if ((bn[i] = sshwire_mpint(r, err)) == NULL)
			break;
	if (i == 6)
		key = certgen_build_rsa(bn[0], bn[1], bn[2], bn[4], bn[5], err);
	for (i = 0; i < 6; i++)
		BN_clear_free(bn[i]);
	return key;
}

static EVP_PKEY *
openssh_ecdsa(struct sshwire *r, const char *type, sdc_error_t *err)
{
	const unsigned char *q;
	size_t qlen;
	char *curve;
	BIGNUM *d = NULL;
	EVP_PKEY *key = NULL;

	if ((curve = sshwire_cstring(r, err)) == NULL)
		return NULL;
	if (strcmp(curve, type + strlen("ecdsa-sha2-")) != 0 ||
	    sshwire_curve_group(curve) == NULL)
		sdc_make_error(err, 0, "unsupported curve %s", curve);
	else if (sshwire_string(r, &q, &qlen, err) == 0 && (d = sshwire_mpint(r, err)) != NULL)
		key = certgen_build_ec(sshwire_curve_group(curve), q, qlen, d, err);
	BN_clear_free(d);
	free(curve);
	return key;
}

static EVP_PKEY *
openssh_ed25519(struct sshwire *r, sdc_error_t *err)
{
	const unsigned char *pub, *priv;
	size_t publen, privlen;

	if (sshwire_string(r, &pub, &publen, err) < 0 ||
	    sshwire_string(r, &priv, &privlen, err) < 0)
		return NULL;
	/* The private string is the 32-byte seed followed by the public key. */
	if (privlen != 64 || publen != 32 || memcmp(priv + 32, pub, 32) != 0)
		return sdc_make_error(err, 0, "malformed Ed25519 private key"), NULL;
	return certgen_build_ed25519(pub, publen, priv, err);
}

/* The unencrypted private section: two equal check words, then one key.
 * Check words that differ after decryption mean a wrong passphrase. */
static EVP_PKEY *
openssh_read_private(const unsigned char *priv, size_t len, bool decrypted, sdc_error_t *err)
{
	struct sshwire r = { priv, len };
	uint32_t check1, check2;
	char *type;
	EVP_PKEY *key = NULL;

	if (sshwire_u32(&r, &check1, err) < 0 || sshwire_u32(&r, &check2, err) < 0)
		return sdc_error_wrap(err, "corrupt OpenSSH private key"), NULL;
	if (check1 != check2)
		return sdc_make_error(err, 0, decrypted ? "wrong passphrase" :
		    "corrupt OpenSSH private key: the check words differ"), NULL;
	if ((type = sshwire_cstring(&r, err)) == NULL)
		return sdc_error_wrap(err, "corrupt OpenSSH private key"), NULL;
	if (strcmp(type, "ssh-rsa") == 0)
		key = openssh_rsa(&r, err);
	else if (strcmp(type, "ssh-ed25519") == 0)
		key = openssh_ed25519(&r, err);
	else if (strncmp(type, "ecdsa-sha2-", 11) == 0)
		key = openssh_ecdsa(&r, type, err);
	else
		sdc_make_error(err, 0, "%s keys are not supported", type);
	free(type);
	if (key == NULL)
		sdc_error_wrap(err, "corrupt OpenSSH private key");
	return key;
}

static const struct openssh_cipher *
openssh_find_cipher(const char *name, sdc_error_t *err)
{
	for (size_t i = 0; i < sizeof openssh_ciphers / sizeof openssh_ciphers[0]; i++)
		if (strcmp(openssh_ciphers[i].name, name) == 0)
			return &openssh_ciphers[i];
	return sdc_make_error(err, 0, "unsupported cipher %s", name), NULL;
}

/* The cipher key and IV, from the passphrase and the KDF options. */
static int
openssh_derive(const struct openssh_outer *o, const struct openssh_cipher *c,
    const char *pw, unsigned char *keyiv, sdc_error_t *err)
{
	struct sshwire r = { o->kdfopts, o->kdfoptslen };
	const unsigned char *salt;
	size_t saltlen;
	uint32_t rounds;

	if (strcmp(o->kdf, "bcrypt") != 0)
		return sdc_make_error(err, 0, "unsupported key derivation %s", o->kdf);
	if (sshwire_string(&r, &salt, &saltlen, err) < 0 || sshwire_u32(&r, &rounds, err) < 0)
		return -1;
	if (rounds > 1000000)
		return sdc_make_error(err, 0, "absurd bcrypt rounds %u", rounds);
	if (*pw == '\0')
		return sdc_make_error(err, 0, "wrong passphrase (an empty one)");
	return certgen_bcrypt_pbkdf(pw, strlen(pw), salt, saltlen, keyiv,
	    c->keylen + c->ivlen, rounds, err);
}

static int
openssh_decipher(const struct openssh_outer *o, const struct openssh_cipher *c,
    const unsigned char *keyiv, unsigned char *plain, sdc_error_t *err)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, c->evp, NULL);
	int n = 0, fin = 0, ok;

	if (o->privlen % 16 != 0 || o->taglen != c->taglen) {
		EVP_CIPHER_CTX_free(ctx);
		EVP_CIPHER_free(cipher);
		return sdc_make_error(err, 0, "encrypted section of a bad length");
	}
	ok = ctx != NULL && cipher != NULL &&
	    EVP_DecryptInit_ex2(ctx, cipher, NULL, NULL, NULL) &&
	    (c->taglen == 0 || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN,
	    (int)c->ivlen, NULL)) &&
	    EVP_DecryptInit_ex2(ctx, NULL, keyiv, keyiv + c->keylen, NULL) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	    EVP_DecryptUpdate(ctx, plain, &n, o->priv, (int)o->privlen) &&
	    (c->taglen == 0 || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
	    (int)c->taglen, (void *)o->tag));
	if (ok && !EVP_DecryptFinal_ex(ctx, plain + n, &fin)) {
		sdc_make_error(err, 0, "wrong passphrase");
		ok = 0;
	} else if (!ok) {
		certgen_ossl_error(err, "decrypting with %s", c->name);
	}
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	return ok ? 0 : -1;
}

static EVP_PKEY *
openssh_decrypt(const struct openssh_outer *o, const char *name, struct certgen_pass *pass,
    sdc_error_t *err)
{
	const struct openssh_cipher *c;
	unsigned char keyiv[64], *plain;
	const char *pw;
	EVP_PKEY *key = NULL;

	if ((c = openssh_find_cipher(o->cipher, err)) == NULL)
		return NULL;
	if ((pw = certgen_pass_get(pass, name, err)) == NULL)
		return NULL;
	if (openssh_derive(o, c, pw, keyiv, err) < 0)
		return NULL;
	plain = xmalloc(o->privlen + 16);
	if (openssh_decipher(o, c, keyiv, plain, err) == 0)
		key = openssh_read_private(plain, o->privlen, true, err);
	OPENSSL_cleanse(keyiv, sizeof keyiv);
	OPENSSL_cleanse(plain, o->privlen + 16);
	free(plain);
	return key;
}

/* The key must be the one whose public half is stored in the clear. */
static int
openssh_check_match(EVP_PKEY *key, const struct openssh_outer *o, sdc_error_t *err)
{
	struct buf blob = BUF_INIT;
	int rc = 0;

	if (certgen_pubkey_blob(key, &blob, err) < 0)
		rc = -1;
	else if (blob.len != o->publen || memcmp(blob.data, o->pub, blob.len) != 0)
		rc = sdc_make_error(err, 0, "the private key does not match its public key");
	buf_free(&blob);
	return rc;
}

EVP_PKEY *
certgen_openssh_parse(const char *text, size_t len, const char *name,
    struct certgen_pass *pass, sdc_error_t *err)
{
	struct openssh_outer o;
	struct buf raw = BUF_INIT;
	EVP_PKEY *key = NULL;

	memset(&o, 0, sizeof o);
	if (openssh_dearmour(text, len, &raw, err) < 0 ||
	    openssh_read_outer(&raw, &o, err) < 0) {
		sdc_error_wrap(err, "%s: corrupt OpenSSH private key", name);
		goto out;
	}
	if (openssh_check_type(&o, err) < 0) {
		sdc_error_wrap(err, "%s", name);
		goto out;
	}
	if (strcmp(o.cipher, "none") == 0) {
		key = openssh_read_private(o.priv, o.privlen, false, err);
		if (key == NULL)
			sdc_error_wrap(err, "%s", name);
	} else {
		key = openssh_decrypt(&o, name, pass, err);
		if (key == NULL)
			sdc_error_wrap(err, "%s", name);
	}
	if (key != NULL && openssh_check_match(key, &o, err) < 0) {
		EVP_PKEY_free(key);
		key = NULL;
		sdc_error_wrap(err, "%s: corrupt OpenSSH private key", name);
	}
out:
	openssh_outer_free(&o);
	OPENSSL_cleanse(raw.data, raw.len);
	buf_free(&raw);
	return key;
}
