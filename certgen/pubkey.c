/*
 * pubkey.c: SSH public keys, in authorized_keys form and on the wire.
 *
 * The wire blob is the one true identity of an SSH key: fingerprints hash
 * it and authorized_keys carries it in base64.  We write it from the
 * EVP_PKEY's parameters (so private and public keys, from any file format,
 * give the same blob) and read it by building a key from its parts.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "sshwire.h"
#include "base64.h"
#include "xalloc.h"

const char *
certgen_pubkey_type(EVP_PKEY *key)
{
	switch (certgen_key_kind(key)) {
	case CERTGEN_KEY_RSA:
		return "ssh-rsa";
	case CERTGEN_KEY_P256:
		return "ecdsa-sha2-nistp256";
	case CERTGEN_KEY_P384:
		return "ecdsa-sha2-nistp384";
	case CERTGEN_KEY_P521:
		return "ecdsa-sha2-nistp521";
	case CERTGEN_KEY_ED25519:
		return "ssh-ed25519";
	default:
		return NULL;
	}
}

static int
pubkey_blob_rsa(EVP_PKEY *key, struct buf *out, sdc_error_t *err)
{
	BIGNUM *n = NULL, *e = NULL;
	int rc = 0;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
		rc = certgen_ossl_error(err, "reading an RSA public key");
	} else {
		sshwire_put_cstring(out, "ssh-rsa");
		sshwire_put_mpint(out, e);
		sshwire_put_mpint(out, n);
	}
	BN_free(n);
	BN_free(e);
	return rc;
}

/* The point, uncompressed (0x04 || X || Y), whatever form the key holds. */
static int
pubkey_blob_ec(EVP_PKEY *key, const char *type, struct buf *out, sdc_error_t *err)
{
	BIGNUM *x = NULL, *y = NULL;
	size_t flen = ((size_t)EVP_PKEY_get_bits(key) + 7) / 8;
	unsigned char *point = xmalloc(1 + 2 * flen);
	int rc = 0;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
	    BN_bn2binpad(x, point + 1, (int)flen) < 0 ||
	    BN_bn2binpad(y, point + 1 + flen, (int)flen) < 0) {
		rc = certgen_ossl_error(err, "reading an EC public key");
	} else {
		point[0] = 0x04;
		sshwire_put_cstring(out, type);
		sshwire_put_cstring(out, type + strlen("ecdsa-sha2-"));
		sshwire_put_string(out, point, 1 + 2 * flen);
	}
	BN_free(x);
	BN_free(y);
	free(point);
	return rc;
}

static int
pubkey_blob_ed25519(EVP_PKEY *key, struct buf *out, sdc_error_t *err)
{
	unsigned char pub[32];
	size_t len = sizeof pub;

	if (!EVP_PKEY_get_raw_public_key(key, pub, &len) || len != 32)
		return certgen_ossl_error(err, "reading an Ed25519 public key");
	sshwire_put_cstring(out, "ssh-ed25519");
	sshwire_put_string(out, pub, len);
	return 0;
}

int
certgen_pubkey_blob(EVP_PKEY *key, struct buf *out, sdc_error_t *err)
{
	const char *type = certgen_pubkey_type(key);

	if (type == NULL)
		return certgen_key_check_type(key, err);
	switch (certgen_key_kind(key)) {
	case CERTGEN_KEY_RSA:
		return pubkey_blob_rsa(key, out, err);
	case CERTGEN_KEY_ED25519:
		return pubkey_blob_ed25519(key, out, err);
	default:
		return pubkey_blob_ec(key, type, out, err);
	}
}

char *
certgen_pubkey_format(EVP_PKEY *key, const char *comment, sdc_error_t *err)
{
	struct buf blob = BUF_INIT;
	char *b64, *line;

	if (certgen_pubkey_blob(key, &blob, err) < 0) {
		buf_free(&blob);
		return NULL;
	}
	b64 = base64_encode((unsigned char *)blob.data, blob.len, true);
	xasprintf(&line, "%s %s%s%s", certgen_pubkey_type(key), b64,
	    comment != NULL && *comment != '\0' ? " " : "", comment != NULL ? comment : "");
	free(b64);
	buf_free(&blob);
	return line;
}

/* The key inside a wire blob; the blob's own type must be `type`. */
static EVP_PKEY *
pubkey_from_blob(const char *type, const unsigned char *data, size_t len, sdc_error_t *err)
{
	struct sshwire r = { data, len };
	const unsigned char *s;
	size_t slen;
	char *inner = NULL, *curve = NULL;
	BIGNUM *e = NULL, *n = NULL;
	EVP_PKEY *key = NULL;

	if ((inner = sshwire_cstring(&r, err)) == NULL)
		goto out;
	if (strcmp(inner, type) != 0) {
		sdc_make_error(err, 0, "the key says %s but its data holds %s", type, inner);
		goto out;
	}
	if (strcmp(type, "ssh-rsa") == 0) {
		if ((e = sshwire_mpint(&r, err)) != NULL && (n = sshwire_mpint(&r, err)) != NULL)
			key = certgen_build_rsa(n, e, NULL, NULL, NULL, err);
	} else if (strcmp(type, "ssh-ed25519") == 0) {
		if (sshwire_string(&r, &s, &slen, err) == 0)
			key = certgen_build_ed25519(s, slen, NULL, err);
	} else if (strncmp(type, "ecdsa-sha2-", 11) == 0) {
		if ((curve = sshwire_cstring(&r, err)) == NULL ||
		    sshwire_string(&r, &s, &slen, err) < 0)
			goto out;
		if (strcmp(curve, type + 11) != 0 || sshwire_curve_group(curve) == NULL)
			sdc_make_error(err, 0, "unsupported curve %s", curve);
		else
			key = certgen_build_ec(sshwire_curve_group(curve), s, slen, NULL, err);
	}
	if (key != NULL && r.left != 0) {
		EVP_PKEY_free(key);
		key = NULL;
		sdc_make_error(err, 0, "%zu bytes of junk after the %s key", r.left, type);
	}
out:
	free(inner);
	free(curve);
	BN_free(e);
	BN_free(n);
	return key;
}

static bool
pubkey_type_known(const char *t, size_t len)
{
	static const char *const types[] = {
		"ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256",
		"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	};

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strlen(types[i]) == len && memcmp(types[i], t, len) == 0)
			return true;
	return false;
}

/* Key types we recognise only to refuse them by name. */
static bool
pubkey_type_refused(const char *t, size_t len)
{
	return (len == 7 && memcmp(t, "ssh-dss", 7) == 0) ||
	    (len > 3 && memcmp(t, "sk-", 3) == 0) ||
	    memmem(t, len, "-cert-v01@openssh.com", 21) != NULL;
}

static size_t
pubkey_token_len(const char *p)
{
	size_t n = 0;
	bool quoted = false;

	for (; p[n] != '\0'; n++) {
		if (p[n] == '"')
			quoted = !quoted;
		else if (p[n] == '\\' && quoted && p[n + 1] != '\0')
			n++;
		else if (!quoted && (p[n] == ' ' || p[n] == '\t'))
			break;
	}
	return n;
}

int
certgen_pubkey_parse(const char *line, struct certgen_pubkey *out, sdc_error_t *err)
{
	struct buf blob = BUF_INIT;
	const char *p = line, *type;
	size_t tlen, blen, clen;
	char *tname;
	EVP_PKEY *key;
	int rc;

	memset(out, 0, sizeof *out);
	/* Skip authorized_keys options until a key type comes up. */
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#' || *p == '\n')
			return sdc_make_error(err, 0, "no SSH public key found");
		tlen = pubkey_token_len(p);
		if (pubkey_type_known(p, tlen))
			break;
		if (pubkey_type_refused(p, tlen))
			return sdc_make_error(err, 0, "%.*s keys are not supported; "
			    "use an RSA, ECDSA or Ed25519 key", (int)tlen, p);
		p += tlen;
	}
	type = p;
	p += tlen;
	while (*p == ' ' || *p == '\t')
		p++;
	blen = strcspn(p, " \t\r\n");
	if (blen == 0)
		return sdc_make_error(err, 0, "the %.*s key has no data", (int)tlen, type);
	tname = xstrndup(type, tlen);
	if (base64_decode(p, blen, false, &blob, err) < 0 ||
	    (key = pubkey_from_blob(tname, (unsigned char *)blob.data, blob.len, err)) == NULL) {
		buf_free(&blob);
		free(tname);
		return sdc_error_wrap(err, "reading an SSH public key");
	}
	buf_free(&blob);
	free(tname);
	p += blen;
	while (*p == ' ' || *p == '\t')
		p++;
	clen = strcspn(p, "\r\n");
	while (clen > 0 && isspace((unsigned char)p[clen - 1]))
		clen--;
	rc = certgen_pubkey_from_pkey(key, out, err);
	EVP_PKEY_free(key);
	if (rc < 0)
		return -1;
	free(out->comment);
	out->comment = xstrndup(p, clen);
	return 0;
}

int
certgen_pubkey_from_pkey(EVP_PKEY *key, struct certgen_pubkey *out, sdc_error_t *err)
{
	memset(out, 0, sizeof *out);
	if (certgen_key_check_type(key, err) < 0)
		return -1;
	out->md5 = certgen_fingerprint_md5(key, err);
	out->sha256 = out->md5 != NULL ? certgen_fingerprint_sha256(key, err) : NULL;
	if (out->sha256 == NULL) {
		certgen_pubkey_clear(out);
		return -1;
	}
	EVP_PKEY_up_ref(key);
	out->pkey = key;
	out->type = xstrdup(certgen_pubkey_type(key));
	out->comment = xstrdup("");
	return 0;
}

void
certgen_pubkey_clear(struct certgen_pubkey *pk)
{
	if (pk == NULL)
		return;
	EVP_PKEY_free(pk->pkey);
	free(pk->type);
	free(pk->md5);
	free(pk->sha256);
	free(pk->comment);
	memset(pk, 0, sizeof *pk);
}
