/*
 * key.c: reading private keys, whatever file format ssh-keygen wrote.
 *
 * PEM (PKCS#1, SEC1, PKCS#8, encrypted or not) goes to OpenSSL's decoder;
 * the OpenSSH format, which OpenSSL cannot read, goes to openssh.c.  We
 * look at the text first to say something useful about the common
 * mistakes (a public key, a DSA key) before any passphrase is asked for.
 * A passphrase is asked for only when OpenSSL finds the key encrypted, and
 * a decoding failure after one was given is reported as a wrong
 * passphrase, which is what it nearly always is.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "sshwire.h"
#include "xalloc.h"

#define DSA_REFUSED "DSA keys are not supported; use an RSA, ECDSA or Ed25519 key"

struct key_pem_ctx {
	struct certgen_pass *pass;
	const char *name;
	sdc_error_t passerr;	/* why no passphrase could be had */
	bool asked;
};

static int
key_pem_password(char *out, int size, int rwflag, void *u)
{
	struct key_pem_ctx *ctx = u;
	const char *pw;
	size_t len;

	ctx->asked = true;
	pw = certgen_pass_get(ctx->pass, ctx->name, &ctx->passerr);
	if (pw == NULL)
		return -1;
	len = strlen(pw);
	if (len > (size_t)size)
		len = (size_t)size;
	memcpy(out, pw, len);
	return (int)len;
}

int
certgen_key_check_type(EVP_PKEY *key, sdc_error_t *err)
{
	char group[64];

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_DSA)
		return sdc_make_error(err, 0, DSA_REFUSED);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	    certgen_key_kind(key) == CERTGEN_KEY_UNSUPPORTED &&
	    EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, NULL))
		return sdc_make_error(err, 0, "ECDSA keys on curve %s are not supported; "
		    "use P-256, P-384 or P-521", group);
	if (certgen_key_kind(key) == CERTGEN_KEY_UNSUPPORTED)
		return sdc_make_error(err, 0, "%s keys are not supported; "
		    "use an RSA, ECDSA (P-256, P-384, P-521) or Ed25519 key",
		    EVP_PKEY_get0_type_name(key) != NULL ? EVP_PKEY_get0_type_name(key) : "these");
	return 0;
}

static EVP_PKEY *
key_parse_pem(const char *data, size_t len, const char *name, struct certgen_pass *pass,
    sdc_error_t *err)
{
	struct key_pem_ctx ctx = { pass, name, NULL, false };
	EVP_PKEY *key;
	BIO *bio;

	bio = BIO_new_mem_buf(data, (int)len);
	if (bio == NULL)
		return certgen_ossl_error(err, "reading %s", name), NULL;
	ERR_clear_error();
	key = PEM_read_bio_PrivateKey(bio, NULL, key_pem_password, &ctx);
	BIO_free(bio);
	if (key != NULL) {
		ERR_clear_error();
		return key;
	}
	if (ctx.passerr != NULL) {
		ERR_clear_error();
		sdc_make_error(err, 0, "%s: %s", name, sdc_error_msg(ctx.passerr));
		sdc_error_release(&ctx.passerr);
		return NULL;
	}
	if (ctx.asked)
		return certgen_ossl_error(err, "%s: wrong passphrase", name), NULL;
	return certgen_ossl_error(err, "%s: not a valid private key", name), NULL;
}

EVP_PKEY *
certgen_key_parse(const char *data, size_t len, const char *name,
    struct certgen_pass *pass, sdc_error_t *err)
{
	EVP_PKEY *key;

	if (memmem(data, len, "-----BEGIN OPENSSH PRIVATE KEY-----", 35) != NULL)
		key = certgen_openssh_parse(data, len, name, pass, err);
	else if (memmem(data, len, "-----BEGIN DSA PRIVATE KEY-----", 31) != NULL)
		return sdc_make_error(err, 0, "%s: " DSA_REFUSED, name), NULL;
	else if (memmem(data, len, "-----BEGIN ", 11) != NULL)
		key = key_parse_pem(data, len, name, pass, err);
	else if (len > 4 && (memcmp(data, "ssh-", 4) == 0 || memcmp(data, "ecdsa-", 6) == 0))
		return sdc_make_error(err, 0, "%s is a public key; a private key is needed",
		    name), NULL;
	else
		return sdc_make_error(err, 0,
		    "%s is not a private key in PEM or OpenSSH format", name), NULL;
	if (key == NULL)
		return NULL;
	if (certgen_key_check_type(key, err) < 0) {
		EVP_PKEY_free(key);
		return sdc_error_wrap(err, "%s", name), NULL;
	}
	if (certgen_key_check_consistency(key, name, err) < 0) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

EVP_PKEY *
certgen_key_load(const char *path, struct certgen_pass *pass, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	EVP_PKEY *key;

	if (certgen_file_read(path, &b, err) < 0)
		return NULL;
	key = certgen_key_parse(b.data, b.len, path, pass, err);
	OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
	return key;
}

EVP_PKEY *
certgen_key_generate(sdc_error_t *err)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");

	if (key == NULL)
		return certgen_ossl_error(err, "generating a P-256 key"), NULL;
	return key;
}

static void
key_bio_to_buf(BIO *bio, struct buf *out)
{
	char *p;
	long n = BIO_get_mem_data(bio, &p);

	buf_append(out, p, (size_t)n);
}

int
certgen_key_pem(EVP_PKEY *key, struct buf *out, sdc_error_t *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	int rc = 0;

	if (bio == NULL || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
		rc = certgen_ossl_error(err, "encoding a private key");
	else
		key_bio_to_buf(bio, out);
	BIO_free(bio);
	return rc;
}

int
certgen_pubkey_pem(EVP_PKEY *key, struct buf *out, sdc_error_t *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = 0;

	if (bio == NULL || !PEM_write_bio_PUBKEY(bio, key))
		rc = certgen_ossl_error(err, "encoding a public key");
	else
		key_bio_to_buf(bio, out);
	BIO_free(bio);
	return rc;
}
