/*
 * httpsig.c: HTTP Signature authentication over the Date header, the way
 * Triton's CloudAPI and its clients sign requests.
 *
 * Only the Date header is signed, so the signing string is always
 * "date: <value>".  ECDSA signatures are DER, as node's crypto and
 * `openssl dgst -sign` produce.  Ed25519 is named "ed25519"; the
 * "ed25519-sha512" spelling of node-http-signature is accepted too.
 * Checking that the date is recent is the caller's business: only it
 * knows the clock skew it will allow.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>

#include "certgen.h"
#include "base64.h"
#include "xalloc.h"

const char *
certgen_httpsig_algorithm(EVP_PKEY *key)
{
	switch (certgen_key_kind(key)) {
	case CERTGEN_KEY_RSA:
		return "rsa-sha256";
	case CERTGEN_KEY_P256:
		return "ecdsa-sha256";
	case CERTGEN_KEY_P384:
		return "ecdsa-sha384";
	case CERTGEN_KEY_P521:
		return "ecdsa-sha512";
	case CERTGEN_KEY_ED25519:
		return "ed25519";
	default:
		return NULL;
	}
}

/* The digest an algorithm names, if it fits the key; *ok set when so. */
static const EVP_MD *
httpsig_digest(const char *alg, EVP_PKEY *key, bool *ok)
{
	enum certgen_keytype kind = certgen_key_kind(key);
	bool ec = kind == CERTGEN_KEY_P256 || kind == CERTGEN_KEY_P384 ||
	    kind == CERTGEN_KEY_P521;

	*ok = true;
	if (kind == CERTGEN_KEY_RSA && strcasecmp(alg, "rsa-sha256") == 0)
		return EVP_sha256();
	if (kind == CERTGEN_KEY_RSA && strcasecmp(alg, "rsa-sha512") == 0)
		return EVP_sha512();
	if (ec && strcasecmp(alg, "ecdsa-sha256") == 0)
		return EVP_sha256();
	if (ec && strcasecmp(alg, "ecdsa-sha384") == 0)
		return EVP_sha384();
	if (ec && strcasecmp(alg, "ecdsa-sha512") == 0)
		return EVP_sha512();
	if (kind == CERTGEN_KEY_ED25519 && (strcasecmp(alg, "ed25519") == 0 ||
	    strcasecmp(alg, "ed25519-sha512") == 0))
		return NULL;
	*ok = false;
	return NULL;
}

char *
certgen_httpsig_sign(EVP_PKEY *key, const char *login, const char *date, sdc_error_t *err)
{
	const char *alg = certgen_httpsig_algorithm(key);
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *tbs = NULL, *fp = NULL, *b64, *header = NULL;

	if (alg == NULL) {
		certgen_key_check_type(key, err);
		goto out;
	}
	if ((fp = certgen_fingerprint_md5(key, err)) == NULL)
		goto out;
	xasprintf(&tbs, "date: %s", date);
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, certgen_key_digest(key), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (unsigned char *)tbs, strlen(tbs)) != 1) {
		certgen_ossl_error(err, "signing the Date header");
		goto out;
	}
	sig = xmalloc(siglen);
	if (EVP_DigestSign(md, sig, &siglen, (unsigned char *)tbs, strlen(tbs)) != 1) {
		certgen_ossl_error(err, "signing the Date header");
		goto out;
	}
	b64 = base64_encode(sig, siglen, true);
	xasprintf(&header, "Signature keyId=\"/%s/keys/%s\",algorithm=\"%s\",signature=\"%s\"",
	    login, fp, alg, b64);
	free(b64);
out:
	EVP_MD_CTX_free(md);
	free(sig);
	free(tbs);
	free(fp);
	return header;
}

/* keyId is "/LOGIN/keys/FINGERPRINT". */
static int
httpsig_key_id(const char *id, struct certgen_httpsig *out, sdc_error_t *err)
{
	const char *keys;

	if (id[0] != '/' || (keys = strstr(id + 1, "/keys/")) == NULL || keys == id + 1 ||
	    memchr(id + 1, '/', (size_t)(keys - id - 1)) != NULL ||
	    keys[6] == '\0' || strchr(keys + 6, '/') != NULL)
		return sdc_make_error(err, 0,
		    "keyId \"%s\" is not of the form /LOGIN/keys/FINGERPRINT", id);
	out->login = xstrndup(id + 1, (size_t)(keys - id - 1));
	out->fingerprint = xstrdup(keys + 6);
	return 0;
}

/* One name="value" parameter; *p is moved past it and its comma. */
static int
httpsig_param(const char **p, char **name, char **value, sdc_error_t *err)
{
	const char *s = *p, *eq, *end;

	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	eq = strchr(s, '=');
	if (eq == NULL || eq == s || eq[1] != '"' || (end = strchr(eq + 2, '"')) == NULL)
		return sdc_make_error(err, 0, "malformed Signature parameters at \"%.20s\"", s);
	*name = xstrndup(s, (size_t)(eq - s));
	*value = xstrndup(eq + 2, (size_t)(end - eq - 2));
	s = end + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != ',' && *s != '\0') {
		free(*name);
		free(*value);
		return sdc_make_error(err, 0, "malformed Signature parameters at \"%.20s\"", s);
	}
	*p = s;
	return 0;
}

/* Store a parameter; 1 when it was one we keep. */
static int
httpsig_store(struct certgen_httpsig *out, const char *name, char *value, sdc_error_t *err)
{
	struct buf sig = BUF_INIT;
	int rc = 0;

	if (strcmp(name, "keyId") == 0 && out->login == NULL) {
		rc = httpsig_key_id(value, out, err);
	} else if (strcmp(name, "algorithm") == 0 && out->algorithm == NULL) {
		out->algorithm = value;
		return 1;
	} else if (strcmp(name, "headers") == 0 && out->headers == NULL) {
		out->headers = value;
		return 1;
	} else if (strcmp(name, "signature") == 0 && out->sig == NULL) {
		if ((rc = base64_decode(value, strlen(value), false, &sig, err)) == 0)
			out->sig = (unsigned char *)buf_detach(&sig, &out->siglen);
		else
			sdc_error_wrap(err, "the signature");
		buf_free(&sig);
	} else if (strcmp(name, "keyId") == 0 || strcmp(name, "algorithm") == 0 ||
	    strcmp(name, "headers") == 0 || strcmp(name, "signature") == 0) {
		rc = sdc_make_error(err, 0, "Signature parameter %s given twice", name);
	}
	free(value);
	return rc;
}

int
certgen_httpsig_parse(const char *authorization, struct certgen_httpsig *out, sdc_error_t *err)
{
	const char *p = authorization;
	char *name = NULL, *value = NULL;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (strncasecmp(p, "Signature ", 10) != 0)
		return sdc_make_error(err, 0, "the Authorization header is not a Signature");
	p += 10;
	while (rc >= 0 && *p != '\0') {
		if (httpsig_param(&p, &name, &value, err) < 0)
			rc = -1;
		else {
			rc = httpsig_store(out, name, value, err);
			free(name);
		}
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
	}
	if (rc >= 0 && (out->login == NULL || out->algorithm == NULL || out->sig == NULL))
		rc = sdc_make_error(err, 0, "the Signature lacks %s",
		    out->login == NULL ? "a keyId" : out->algorithm == NULL ? "an algorithm" :
		    "a signature");
	if (rc < 0) {
		certgen_httpsig_clear(out);
		return -1;
	}
	if (out->headers == NULL)
		out->headers = xstrdup("date");
	return 0;
}

void
certgen_httpsig_clear(struct certgen_httpsig *hs)
{
	free(hs->login);
	free(hs->fingerprint);
	free(hs->algorithm);
	free(hs->headers);
	free(hs->sig);
	memset(hs, 0, sizeof *hs);
}

int
certgen_httpsig_verify(const struct certgen_httpsig *hs, const char *date,
    const struct certgen_pubkey *key, sdc_error_t *err)
{
	const EVP_MD *mdtype;
	EVP_MD_CTX *md;
	char *tbs;
	bool fits;
	int ok;

	if (strcasecmp(hs->fingerprint, key->md5) != 0)
		return sdc_make_error(err, 0, "the Signature names key %s, not %s",
		    hs->fingerprint, key->md5);
	if (strcasecmp(hs->headers, "date") != 0)
		return sdc_make_error(err, 0, "the Signature must cover the date header only, "
		    "not \"%s\"", hs->headers);
	mdtype = httpsig_digest(hs->algorithm, key->pkey, &fits);
	if (!fits)
		return sdc_make_error(err, 0, "algorithm %s does not fit a %s key",
		    hs->algorithm, key->type);
	xasprintf(&tbs, "date: %s", date);
	md = EVP_MD_CTX_new();
	ok = md != NULL && EVP_DigestVerifyInit(md, NULL, mdtype, NULL, key->pkey) == 1 &&
	    EVP_DigestVerify(md, hs->sig, hs->siglen, (unsigned char *)tbs, strlen(tbs)) == 1;
	EVP_MD_CTX_free(md);
	free(tbs);
	if (!ok)
		return certgen_ossl_error(err, "the Signature does not verify with key %s",
		    key->md5);
	ERR_clear_error();
	return 0;
}
