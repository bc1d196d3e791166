/*
 * test_certgen_auth.c: what the Docker daemon asks of libcertgen: client
 * certificates in both forms checked against an account's keys, the memo
 * of certificates already verified, the server CA and certificate, and
 * HTTP Signatures, with keys of each type made on the spot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/x509v3.h>

#include "certgen/certgen.h"
#include "xalloc.h"

#define DAY (24 * 60 * 60)

static EVP_PKEY *
make_key(const char *type)
{
	EVP_PKEY *key;

	if (strcmp(type, "RSA") == 0)
		key = EVP_RSA_gen(2048);
	else if (strcmp(type, "ED25519") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		key = EVP_EC_gen(type);
	assert_non_null(key);
	return key;
}

/* An account's key list as the daemon would hold it. */
static void
account_key(EVP_PKEY *key, struct certgen_pubkey *out)
{
	sdc_error_t err = NULL;

	assert_int_equal(certgen_pubkey_from_pkey(key, out, &err), 0);
}

static void
check_forms(const char *type)
{
	struct certgen_pubkey keys[2];
	struct certgen_pair pair;
	enum certgen_form form;
	EVP_PKEY *mine = make_key(type), *other = make_key("P-256");
	sdc_error_t err = NULL;
	time_t now = time(NULL);
	X509 *issuer;
	char *cn;

	account_key(other, &keys[0]);
	account_key(mine, &keys[1]);

	/* Self-signed: found by the key's fingerprint; validity checked. */
	assert_int_equal(certgen_client_self_signed(mine, "jill", 10, &pair, &err), 0);
	assert_ptr_equal(pair.key, mine);
	cn = certgen_cert_subject_cn(pair.cert, &err);
	assert_string_equal(cn, "jill");
	free(cn);
	assert_int_equal(certgen_verify_client(pair.cert, keys, 2, now, &form, &err), 1);
	assert_int_equal(form, CERTGEN_FORM_SELF_SIGNED);
	assert_int_equal(certgen_verify_client(pair.cert, keys, 2, now + 11 * DAY, NULL, &err), -1);
	assert_string_equal(sdc_error_msg(err), "the certificate has expired");
	assert_int_equal(certgen_verify_client(pair.cert, keys, 2, now - DAY, NULL, &err), -1);
	assert_string_equal(sdc_error_msg(err), "the certificate is not valid yet");
	assert_int_equal(certgen_verify_client(pair.cert, keys, 1, now, NULL, &err), -1);
	sdc_error_release(&err);
	certgen_pair_clear(&pair);

	/* Issued: found by the issuer CN, and expiry enforced. */
	assert_int_equal(certgen_client_issued(mine, "jill", 10, &pair, &issuer, &err), 0);
	cn = certgen_cert_issuer_cn(pair.cert, &err);
	assert_string_equal(cn, keys[1].md5);
	free(cn);
	assert_int_equal(X509_check_issued(issuer, pair.cert), X509_V_OK);
	assert_int_equal(certgen_verify_client(pair.cert, keys, 2, now, &form, &err), 1);
	assert_int_equal(form, CERTGEN_FORM_ISSUED);
	assert_int_equal(certgen_verify_client(pair.cert, keys, 2, now + 11 * DAY, NULL, &err), -1);
	assert_string_equal(sdc_error_msg(err), "the certificate has expired");
	sdc_error_release(&err);
	assert_int_equal(certgen_verify_client(pair.cert, keys, 2, now - DAY, NULL, &err), -1);
	assert_string_equal(sdc_error_msg(err), "the certificate is not valid yet");
	sdc_error_release(&err);
	assert_int_equal(certgen_verify_client(pair.cert, keys, 1, now, NULL, &err), -1);
	sdc_error_release(&err);
	X509_free(issuer);
	certgen_pair_clear(&pair);

	certgen_pubkey_clear(&keys[0]);
	certgen_pubkey_clear(&keys[1]);
	EVP_PKEY_free(mine);
	EVP_PKEY_free(other);
}

static void
test_client_forms(void **state)
{
	check_forms("RSA");
	check_forms("P-256");
	check_forms("P-384");
	check_forms("P-521");
	check_forms("ED25519");
}

/* A certificate claiming a key's fingerprint but signed by another key. */
static void
test_client_forged(void **state)
{
	struct certgen_pubkey key;
	struct certgen_pair real, forged;
	EVP_PKEY *victim = make_key("P-256"), *attacker = make_key("P-256");
	sdc_error_t err = NULL;

	account_key(victim, &key);
	/* Self-signed form: the victim's public key, the attacker's signature. */
	assert_int_equal(certgen_client_self_signed(victim, "jill", 0, &real, &err), 0);
	assert_true(X509_sign(real.cert, attacker, EVP_sha256()) > 0);
	assert_int_equal(certgen_verify_client(real.cert, &key, 1, time(NULL), NULL, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "does not verify"));
	sdc_error_release(&err);
	/* Issued form: issuer CN names the victim, the attacker signs. */
	assert_int_equal(certgen_client_issued(victim, "jill", 0, &forged, NULL, &err), 0);
	assert_true(X509_sign(forged.cert, attacker, EVP_sha256()) > 0);
	assert_int_equal(certgen_verify_client(forged.cert, &key, 1, time(NULL), NULL, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "does not verify"));
	sdc_error_release(&err);
	assert_int_equal(certgen_verify_client(NULL, &key, 1, time(NULL), NULL, &err), -1);
	sdc_error_release(&err);
	certgen_pair_clear(&real);
	certgen_pair_clear(&forged);
	certgen_pubkey_clear(&key);
	EVP_PKEY_free(victim);
	EVP_PKEY_free(attacker);
}

/* Signed by the right key, but for servers only. */
static void
test_client_wrong_purpose(void **state)
{
	struct certgen_pubkey key;
	struct certgen_pair pair;
	EVP_PKEY *pkey = make_key("P-256");
	X509_EXTENSION *ext;
	sdc_error_t err = NULL;
	int i;

	account_key(pkey, &key);
	assert_int_equal(certgen_client_self_signed(pkey, "jill", 0, &pair, &err), 0);
	i = X509_get_ext_by_NID(pair.cert, NID_ext_key_usage, -1);
	assert_true(i >= 0);
	X509_EXTENSION_free(X509_delete_ext(pair.cert, i));
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, "serverAuth");
	assert_non_null(ext);
	X509_add_ext(pair.cert, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(pair.cert, pkey, EVP_sha256()) > 0);
	assert_int_equal(certgen_verify_client(pair.cert, &key, 1, time(NULL), NULL, &err), -1);
	assert_string_equal(sdc_error_msg(err), "the certificate is not for TLS clients");
	sdc_error_release(&err);
	certgen_pair_clear(&pair);
	certgen_pubkey_clear(&key);
	EVP_PKEY_free(pkey);
}

/* The same certificate as the TLS stack would hand over: parsed afresh
 * from its encoding. */
static X509 *
reparse(X509 *cert)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_X509(cert, &der);
	X509 *copy;

	assert_true(len > 0);
	p = der;
	copy = d2i_X509(NULL, &p, len);
	assert_non_null(copy);
	OPENSSL_free(der);
	return copy;
}

/* What the memo keeps: a self-signed certificate that verified, with the
 * key that vouched; never a failure, never the issued form. */
static void
test_memo_remembers_verified(void **state)
{
	struct certgen_memo *memo = certgen_memo_new(64);
	struct certgen_pubkey keys[2];
	struct certgen_pair pair, again, issued, forged;
	const struct certgen_memo_key *k;
	EVP_PKEY *mine = make_key("ED25519"), *other = make_key("P-256");
	enum certgen_form form;
	sdc_error_t err = NULL;
	time_t now = time(NULL);
	X509 *copy;

	assert_non_null(memo);
	account_key(other, &keys[0]);
	account_key(mine, &keys[1]);
	assert_int_equal(certgen_client_self_signed(mine, "jill", 0, &pair, &err), 0);
	assert_null(certgen_memo_find(memo, pair.cert, time(NULL)));

	/* Refused: nothing remembered. */
	assert_int_equal(certgen_memo_verify(memo, pair.cert, keys, 1, now, NULL, &err), -1);
	sdc_error_release(&err);
	assert_null(certgen_memo_find(memo, pair.cert, time(NULL)));

	/* Accepted: found again, also as a fresh parse of the same bytes. */
	assert_int_equal(certgen_memo_verify(memo, pair.cert, keys, 2, now, &form, &err), 1);
	assert_int_equal(form, CERTGEN_FORM_SELF_SIGNED);
	copy = reparse(pair.cert);
	k = certgen_memo_find(memo, copy, time(NULL));
	assert_non_null(k);
	assert_string_equal(k->md5, keys[1].md5);
	assert_string_equal(k->sha256, keys[1].sha256);
	/* ... but not once it has expired */
	assert_null(certgen_memo_find(memo, copy, now + 400 * DAY));
	X509_free(copy);

	/* Another certificate of the same key and login is another entry. */
	assert_int_equal(certgen_client_self_signed(mine, "jill", 0, &again, &err), 0);
	assert_null(certgen_memo_find(memo, again.cert, time(NULL)));

	/* The victim's key, another key's signature: refused, not kept. */
	assert_int_equal(certgen_client_self_signed(mine, "jill", 0, &forged, &err), 0);
	assert_true(X509_sign(forged.cert, other, EVP_sha256()) > 0);
	assert_int_equal(certgen_memo_verify(memo, forged.cert, keys, 2, now, NULL, &err), -1);
	sdc_error_release(&err);
	assert_null(certgen_memo_find(memo, forged.cert, time(NULL)));

	/* The issued form passes but is never kept: its verdict has a clock. */
	assert_int_equal(certgen_client_issued(mine, "jill", 0, &issued, NULL, &err), 0);
	assert_int_equal(certgen_memo_verify(memo, issued.cert, keys, 2, now, &form, &err), 1);
	assert_int_equal(form, CERTGEN_FORM_ISSUED);
	assert_null(certgen_memo_find(memo, issued.cert, time(NULL)));

	certgen_pair_clear(&pair);
	certgen_pair_clear(&again);
	certgen_pair_clear(&issued);
	certgen_pair_clear(&forged);
	certgen_pubkey_clear(&keys[0]);
	certgen_pubkey_clear(&keys[1]);
	EVP_PKEY_free(mine);
	EVP_PKEY_free(other);
	certgen_memo_free(memo);
}

/* Bounded: with one slot, the newest certificate pushes out the last.  A
 * missing memo is an empty one. */
static void
test_memo_bounded(void **state)
{
	struct certgen_memo *memo = certgen_memo_new(1);
	struct certgen_pubkey key;
	struct certgen_pair a, b;
	EVP_PKEY *pkey = make_key("P-256");
	sdc_error_t err = NULL;
	time_t now = time(NULL);

	account_key(pkey, &key);
	assert_int_equal(certgen_client_self_signed(pkey, "jill", 0, &a, &err), 0);
	assert_int_equal(certgen_client_self_signed(pkey, "jill", 0, &b, &err), 0);
	assert_int_equal(certgen_memo_verify(memo, a.cert, &key, 1, now, NULL, &err), 0);
	assert_non_null(certgen_memo_find(memo, a.cert, time(NULL)));
	assert_int_equal(certgen_memo_verify(memo, b.cert, &key, 1, now, NULL, &err), 0);
	assert_non_null(certgen_memo_find(memo, b.cert, time(NULL)));
	assert_null(certgen_memo_find(memo, a.cert, time(NULL)));

	assert_int_equal(certgen_memo_verify(NULL, a.cert, &key, 1, now, NULL, &err), 0);
	assert_null(certgen_memo_find(NULL, a.cert, time(NULL)));
	assert_null(certgen_memo_find(memo, NULL, time(NULL)));
	certgen_memo_free(NULL);

	certgen_pair_clear(&a);
	certgen_pair_clear(&b);
	certgen_pubkey_clear(&key);
	EVP_PKEY_free(pkey);
	certgen_memo_free(memo);
}

static void
test_server_ensure(void **state)
{
	char dir[] = "/tmp/test_certgen_auth.XXXXXX", *path;
	const char *sans[] = { "IP:127.0.0.1" };
	sdc_error_t err = NULL;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(certgen_server_ensure(dir, "h", sans, 1, &err), 1);
	assert_int_equal(certgen_server_ensure(dir, "h", sans, 1, &err), 0);
	/* A CA without its key is neither used nor replaced. */
	xasprintf(&path, "%s/ca-key.pem", dir);
	unlink(path);
	free(path);
	xasprintf(&path, "%s/server-cert.pem", dir);
	unlink(path);
	free(path);
	assert_int_equal(certgen_server_ensure(dir, "h", sans, 1, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "not ca-key.pem"));
	sdc_error_release(&err);
	xasprintf(&path, "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(path);
}

static void
test_server(void **state)
{
	const char *sans[] = { "IP:127.0.0.1", "DNS:docker.test" };
	struct certgen_pair ca, srv;
	sdc_error_t err = NULL;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();

	assert_int_equal(certgen_server_ca("docker.test", 0, &ca, &err), 0);
	assert_int_equal(certgen_server_cert(&ca, "docker.test", sans, 2, 0, &srv, &err), 0);
	X509_STORE_add_cert(store, ca.cert);
	X509_STORE_CTX_init(ctx, store, srv.cert, NULL);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	assert_int_equal(X509_verify_cert(ctx), 1);
	assert_int_equal(X509_check_host(srv.cert, "docker.test", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(srv.cert, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(srv.cert, "other.test", 0, 0, NULL), 0);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	certgen_pair_clear(&srv);

	/* No SANs given: the CN is one. */
	assert_int_equal(certgen_server_cert(&ca, "10.0.0.1", NULL, 0, 0, &srv, &err), 0);
	assert_int_equal(X509_check_ip_asc(srv.cert, "10.0.0.1", 0), 1);
	certgen_pair_clear(&srv);
	sans[0] = "email:x@y";
	assert_int_equal(certgen_server_cert(&ca, "x", sans, 1, 0, &srv, &err), -1);
	sdc_error_release(&err);
	certgen_pair_clear(&ca);
}

static void
check_httpsig(const char *type, const char *alg)
{
	static const char date[] = "Mon, 23 Nov 2026 18:00:00 GMT";
	struct certgen_httpsig hs;
	struct certgen_pubkey key, other;
	EVP_PKEY *pkey = make_key(type), *opkey = make_key("ED25519");
	sdc_error_t err = NULL;
	char *header, *want, *bad;

	account_key(pkey, &key);
	account_key(opkey, &other);
	header = certgen_httpsig_sign(pkey, "jill", date, &err);
	assert_non_null(header);
	xasprintf(&want, "Signature keyId=\"/jill/keys/%s\",algorithm=\"%s\",signature=\"",
	    key.md5, alg);
	assert_memory_equal(header, want, strlen(want));
	free(want);

	assert_int_equal(certgen_httpsig_parse(header, &hs, &err), 0);
	assert_string_equal(hs.login, "jill");
	assert_string_equal(hs.fingerprint, key.md5);
	assert_string_equal(hs.headers, "date");
	assert_int_equal(certgen_httpsig_verify(&hs, date, &key, &err), 0);
	assert_int_equal(certgen_httpsig_verify(&hs, "Tue, 24 Nov 2026 18:00:00 GMT", &key, &err), -1);
	sdc_error_release(&err);
	assert_int_equal(certgen_httpsig_verify(&hs, date, &other, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "names key"));
	sdc_error_release(&err);
	/* A flipped bit in the signature. */
	hs.sig[hs.siglen / 2] ^= 1;
	assert_int_equal(certgen_httpsig_verify(&hs, date, &key, &err), -1);
	sdc_error_release(&err);
	certgen_httpsig_clear(&hs);

	/* Another algorithm named: refused before any verifying. */
	bad = strdup(header);
	memcpy(strstr(bad, "algorithm=\"") + 11, "xx", 2);
	assert_int_equal(certgen_httpsig_parse(bad, &hs, &err), 0);
	assert_int_equal(certgen_httpsig_verify(&hs, date, &key, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "does not fit"));
	sdc_error_release(&err);
	certgen_httpsig_clear(&hs);
	free(bad);

	free(header);
	certgen_pubkey_clear(&key);
	certgen_pubkey_clear(&other);
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(opkey);
}

static void
test_httpsig(void **state)
{
	check_httpsig("RSA", "rsa-sha256");
	check_httpsig("P-256", "ecdsa-sha256");
	check_httpsig("P-384", "ecdsa-sha384");
	check_httpsig("P-521", "ecdsa-sha512");
	check_httpsig("ED25519", "ed25519");
}

static void
expect_header_error(const char *header, const char *want)
{
	struct certgen_httpsig hs;
	sdc_error_t err = NULL;

	assert_int_equal(certgen_httpsig_parse(header, &hs, &err), -1);
	if (strstr(sdc_error_msg(err), want) == NULL)
		fail_msg("\"%s\": \"%s\" lacks \"%s\"", header, sdc_error_msg(err), want);
	sdc_error_release(&err);
}

static void
test_httpsig_parse(void **state)
{
	struct certgen_httpsig hs;
	sdc_error_t err = NULL;

	assert_int_equal(certgen_httpsig_parse("signature keyId=\"/a/keys/f\", algorithm=\"rsa-sha256\","
	    " headers=\"date\", extra=\"x\", signature=\"YWI=\"", &hs, &err), 0);
	assert_string_equal(hs.login, "a");
	assert_int_equal(hs.siglen, 2);
	certgen_httpsig_clear(&hs);

	expect_header_error("Basic YWI=", "not a Signature");
	expect_header_error("Signature keyId=\"/a/keys/f\",algorithm=\"rsa-sha256\"", "lacks a signature");
	expect_header_error("Signature keyId=\"a/keys/f\",algorithm=\"x\",signature=\"YWI=\"", "keyId");
	expect_header_error("Signature keyId=\"/a/b/keys/f\",algorithm=\"x\",signature=\"YWI=\"", "keyId");
	expect_header_error("Signature keyId=\"/a/keys/\",algorithm=\"x\",signature=\"YWI=\"", "keyId");
	expect_header_error("Signature keyId=/a/keys/f", "malformed");
	expect_header_error("Signature keyId=\"/a/keys/f\",keyId=\"/b/keys/f\"", "twice");
	expect_header_error("Signature keyId=\"/a/keys/f\",algorithm=\"x\",signature=\"*\"", "base64");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_forms),
		cmocka_unit_test(test_client_forged),
		cmocka_unit_test(test_client_wrong_purpose),
		cmocka_unit_test(test_memo_remembers_verified),
		cmocka_unit_test(test_memo_bounded),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_server_ensure),
		cmocka_unit_test(test_httpsig),
		cmocka_unit_test(test_httpsig_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
