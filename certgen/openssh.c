/*
 * openssh.c: the OpenSSH private key format ("openssh-key-v1").
 *
 * OpenSSL cannot read it.  Unencrypted keys we take apart ourselves: the
 * format is a handful of SSH wire strings.  Encrypted ones need bcrypt_pbkdf,
 * which OpenSSL lacks, so libssh decrypts them and hands the key back
 * unencrypted (PEM, or this format for Ed25519), which goes round again.
 * Before any passphrase is asked for we check the outer structure and the
 * key type, so a corrupt or DSA key is reported as such, and a libssh
 * failure on a sound file can then fairly be called a wrong passphrase.
 * Either way the private key must match the public key stored in the clear.
 */
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>
#include <openssl/crypto.h>

#include "sshwire.h"
#include "xalloc.h"

#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_END "-----END OPENSSH PRIVATE KEY-----"
#define OPENSSH_MAGIC "openssh-key-v1"

struct openssh_outer {
	char *cipher;
	char *kdf;
	const unsigned char *pub;	/* the public key blob */
	size_t publen;
	const unsigned char *priv;	/* the (maybe encrypted) private section */
	size_t privlen;
};

/* The base64 between the armour lines, decoded. */
static int
openssh_dearmour(const char *text, size_t len, struct buf *out, sdc_error_t *err)
{
	const char *b, *e;
	struct buf b64 = BUF_INIT;
	int rc;

	b = memmem(text, len, OPENSSH_BEGIN, strlen(OPENSSH_BEGIN));
	b += strlen(OPENSSH_BEGIN);
	e = memmem(b, len - (size_t)(b - text), OPENSSH_END, strlen(OPENSSH_END));
	if (e == NULL)
		return sdc_make_error(err, 0, "no END line");
	for (; b < e; b++)
		if (*b != '\n' && *b != '\r' && *b != ' ' && *b != '\t')
			buf_putc(&b64, *b);
	rc = certgen_unbase64(b64.data != NULL ? b64.data : "", b64.len, out, err);
	buf_free(&b64);
	return rc;
}

static int
openssh_read_outer(const struct buf *raw, struct openssh_outer *o, sdc_error_t *err)
{
	struct sshwire r;
	const unsigned char *kdfopts;
	size_t kdfoptslen;
	uint32_t nkeys;
	size_t mlen = sizeof OPENSSH_MAGIC;

	if (raw->len < mlen || memcmp(raw->data, OPENSSH_MAGIC, mlen) != 0)
		return sdc_make_error(err, 0, "bad magic");
	r.p = (const unsigned char *)raw->data + mlen;
	r.left = raw->len - mlen;
	if ((o->cipher = sshwire_cstring(&r, err)) == NULL ||
	    (o->kdf = sshwire_cstring(&r, err)) == NULL ||
	    sshwire_string(&r, &kdfopts, &kdfoptslen, err) < 0 ||
	    sshwire_u32(&r, &nkeys, err) < 0)
		return -1;
	if (nkeys != 1)
		return sdc_make_error(err, 0, "%u keys in one file; one expected", nkeys);
	if (sshwire_string(&r, &o->pub, &o->publen, err) < 0 ||
	    sshwire_string(&r, &o->priv, &o->privlen, err) < 0)
		return -1;
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
		return -1;
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

/* The unencrypted private section: check ints, then one key. */
static EVP_PKEY *
openssh_read_private(const struct openssh_outer *o, sdc_error_t *err)
{
	struct sshwire r = { o->priv, o->privlen };
	uint32_t check1, check2;
	char *type;
	EVP_PKEY *key = NULL;

	if (sshwire_u32(&r, &check1, err) < 0 || sshwire_u32(&r, &check2, err) < 0)
		return NULL;
	if (check1 != check2)
		return sdc_make_error(err, 0, "corrupt private section (check bytes differ)"), NULL;
	if ((type = sshwire_cstring(&r, err)) == NULL)
		return NULL;
	if (strcmp(type, "ssh-rsa") == 0)
		key = openssh_rsa(&r, err);
	else if (strcmp(type, "ssh-ed25519") == 0)
		key = openssh_ed25519(&r, err);
	else if (strncmp(type, "ecdsa-sha2-", 11) == 0)
		key = openssh_ecdsa(&r, type, err);
	else
		sdc_make_error(err, 0, "%s keys are not supported", type);
	free(type);
	return key;
}

/* Decrypt with libssh and read back what it exports. */
static EVP_PKEY *
openssh_decrypt(const char *text, size_t len, const char *name, struct certgen_pass *pass,
    sdc_error_t *err)
{
	const char *pw;
	char *copy, *plain = NULL;
	ssh_key sk = NULL;
	EVP_PKEY *key;
	int rc;

	if ((pw = certgen_pass_get(pass, name, err)) == NULL)
		return NULL;
	copy = xstrndup(text, len);
	rc = ssh_pki_import_privkey_base64(copy, pw, NULL, NULL, &sk);
	free(copy);
	if (rc != SSH_OK)
		return sdc_make_error(err, 0, "%s: wrong passphrase", name), NULL;
	rc = ssh_pki_export_privkey_base64(sk, NULL, NULL, NULL, &plain);
	ssh_key_free(sk);
	if (rc != SSH_OK || plain == NULL)
		return sdc_make_error(err, 0, "%s: the decrypted key could not be re-encoded",
		    name), NULL;
	key = certgen_key_parse(plain, strlen(plain), name, NULL, err);
	OPENSSL_cleanse(plain, strlen(plain));
	ssh_string_free_char(plain);
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
		key = openssh_read_private(&o, err);
		if (key == NULL)
			sdc_error_wrap(err, "%s: corrupt OpenSSH private key", name);
	} else if (strcmp(o.kdf, "bcrypt") != 0) {
		sdc_make_error(err, 0, "%s: unsupported key derivation %s", name, o.kdf);
	} else {
		key = openssh_decrypt(text, len, name, pass, err);
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
