/*
 * test_certgen.c: libcertgen's key handling: authorized_keys parsing,
 * wire blobs and fingerprints (against values ssh-keygen printed for these
 * keys), the OpenSSH format with encryption, PEM round trips, and writing
 * file sets all or nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "certgen/certgen.h"
#include "certgen/sshwire.h"
#include "xalloc.h"

/* Made with ssh-keygen -t ed25519 -a 2 -N pw -C fixture. */
static const char ed_private[] =
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABDjcvwJoD\n"
    "a8tSVJftODHIv6AAAAAgAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAILD+enyhifBREiAY\n"
    "/hzgaOzzzXqaqHssCyjnrlfjP/uQAAAAkKPA4RYMtkQkD+cqk2WO7nAN39KxbMZ+5l1/fe\n"
    "jfYGj8jczzyt1UAWL07h+tN5SIiBmT6qqwlLYAcBOoZuVZ88B0YghnipQUIn1oWL3mT4uT\n"
    "c1GnMVkbWBGu2In1Hyh3kcJQW0cvirg/VzqBIwnPvUM3lvuzx3hZwyx5FHGkXeDb+ATZ6t\n"
    "5oy1KiNN3KhMG3tg==\n"
    "-----END OPENSSH PRIVATE KEY-----\n";
static const char ed_public[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILD+enyhifBREiAY/hzgaOzzzXqaqHssCyjnrlfjP/uQ fixture";
static const char ed_md5[] = "e1:1f:4f:74:eb:a8:a0:88:d3:f9:2d:e4:e6:99:86:02";
static const char ed_sha256[] = "r+kf+Z51THh2r+xYK4/HTLMzEy6ByCyv+eSUdO30fCU";

/* ssh-keygen -t ecdsa -b 256 -C fixture2 */
static const char ec_public[] =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAENGnTj8GCl"
    "lCsSQxIvpdw9R5H4UA0lWSaeEbf3QT3NLrzylzAWi+5Ni9kazjL50pdIy1IhyxxsdWM3Lcgfopc= fixture2";
static const char ec_md5[] = "a6:55:ce:90:0f:df:79:5f:1f:ea:16:59:4b:c0:cc:31";
static const char ec_sha256[] = "SCOGOqCGlqCjqnemvDLtrng2AtJnOG8I25TDA+0D2Jw";

static void
test_pubkey_parse(void **state)
{
	struct certgen_pubkey pk;
	sdc_error_t err = NULL;
	char *line;

	assert_int_equal(certgen_pubkey_parse(ed_public, &pk, &err), 0);
	assert_string_equal(pk.type, "ssh-ed25519");
	assert_string_equal(pk.md5, ed_md5);
	assert_string_equal(pk.sha256, ed_sha256);
	assert_string_equal(pk.comment, "fixture");
	/* The key writes itself back the same. */
	line = certgen_pubkey_format(pk.pkey, pk.comment, &err);
	assert_string_equal(line, ed_public);
	free(line);
	certgen_pubkey_clear(&pk);

	assert_int_equal(certgen_pubkey_parse(ec_public, &pk, &err), 0);
	assert_string_equal(pk.md5, ec_md5);
	assert_string_equal(pk.sha256, ec_sha256);
	assert_int_equal(certgen_key_kind(pk.pkey), CERTGEN_KEY_P256);
	certgen_pubkey_clear(&pk);

	/* authorized_keys options, quoted spaces included, come first. */
	assert_int_equal(certgen_pubkey_parse(
	    "no-pty,command=\"echo a b\" ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAILD+enyhifBREiAY/hzgaOzzzXqaqHssCyjnrlfjP/uQ\n",
	    &pk, &err), 0);
	assert_string_equal(pk.md5, ed_md5);
	assert_string_equal(pk.comment, "");
	certgen_pubkey_clear(&pk);
}

static void
expect_parse_error(const char *line, const char *want)
{
	struct certgen_pubkey pk;
	sdc_error_t err = NULL;

	assert_int_equal(certgen_pubkey_parse(line, &pk, &err), -1);
	if (strstr(sdc_error_msg(err), want) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", sdc_error_msg(err), want);
	sdc_error_release(&err);
}

static void
test_pubkey_errors(void **state)
{
	expect_parse_error("", "no SSH public key");
	expect_parse_error("# a comment", "no SSH public key");
	expect_parse_error("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "ssh-dss keys are not supported");
	expect_parse_error("ssh-ed25519", "has no data");
	expect_parse_error("ssh-ed25519 !!!!", "base64");
	/* Truncated: the length says 32 bytes, fewer follow. */
	expect_parse_error("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILD+enyhifBREiAY", "truncated");
	/* The blob holds another type than the line claims. */
	expect_parse_error("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAILD+enyhifBREiAY/hzgaOzzzXqaqHssCyjnrlfjP/uQ",
	    "holds ssh-ed25519");
	expect_parse_error("sk-ssh-ed25519@openssh.com AAAA", "not supported");
}

static void
test_openssh_encrypted(void **state)
{
	struct certgen_pass pass = { CERTGEN_PASS_STRING, "pw", NULL };
	struct certgen_pass wrong = { CERTGEN_PASS_STRING, "nope", NULL };
	sdc_error_t err = NULL;
	EVP_PKEY *key;
	char *fp;

	key = certgen_key_parse(ed_private, strlen(ed_private), "fx", &pass, &err);
	assert_non_null(key);
	fp = certgen_fingerprint_md5(key, &err);
	assert_string_equal(fp, ed_md5);
	free(fp);
	EVP_PKEY_free(key);
	certgen_pass_clear(&pass);

	assert_null(certgen_key_parse(ed_private, strlen(ed_private), "fx", &wrong, &err));
	assert_string_equal(sdc_error_msg(err), "fx: wrong passphrase");
	sdc_error_release(&err);
	certgen_pass_clear(&wrong);

	assert_null(certgen_key_parse(ed_private, strlen(ed_private), "fx", NULL, &err));
	assert_non_null(strstr(sdc_error_msg(err), "encrypted and no passphrase"));
	sdc_error_release(&err);
}

static void
test_pem_round_trip(void **state)
{
	struct buf pem = BUF_INIT;
	sdc_error_t err = NULL;
	EVP_PKEY *key, *back;
	char *a, *b;

	key = certgen_key_generate(&err);
	assert_non_null(key);
	assert_int_equal(certgen_key_pem(key, &pem, &err), 0);
	assert_non_null(strstr(buf_str(&pem), "BEGIN PRIVATE KEY"));
	back = certgen_key_parse(pem.data, pem.len, "mem", NULL, &err);
	assert_non_null(back);
	a = certgen_fingerprint_sha256(key, &err);
	b = certgen_fingerprint_sha256(back, &err);
	assert_string_equal(a, b);
	free(a);
	free(b);
	buf_free(&pem);
	EVP_PKEY_free(key);
	EVP_PKEY_free(back);

	assert_null(certgen_key_parse("hello", 5, "junk", NULL, &err));
	assert_string_equal(sdc_error_msg(err), "junk is not a private key in PEM or OpenSSH format");
	sdc_error_release(&err);
}

/* An RSA key whose d is off by two decodes but must not be used. */
static void
test_rsa_consistency(void **state)
{
	EVP_PKEY *good = EVP_RSA_gen(1024), *bad;
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *p = NULL, *q = NULL;
	sdc_error_t err = NULL;

	assert_non_null(good);
	assert_int_equal(certgen_key_check_consistency(good, "good", &err), 0);
	assert_true(EVP_PKEY_get_bn_param(good, "n", &n) && EVP_PKEY_get_bn_param(good, "e", &e) &&
	    EVP_PKEY_get_bn_param(good, "d", &d) && EVP_PKEY_get_bn_param(good, "rsa-factor1", &p) &&
	    EVP_PKEY_get_bn_param(good, "rsa-factor2", &q));
	assert_true(BN_add_word(d, 2));
	bad = certgen_build_rsa(n, e, d, p, q, &err);
	assert_non_null(bad);
	assert_int_equal(certgen_key_check_consistency(bad, "bad", &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "bad: corrupt private key"));
	sdc_error_release(&err);
	EVP_PKEY_free(good);
	EVP_PKEY_free(bad);
	BN_free(n);
	BN_free(e);
	BN_free(d);
	BN_free(p);
	BN_free(q);
}

static void
test_files_write(void **state)
{
	char dir[] = "/tmp/test_certgen.XXXXXX", *sub, *path;
	struct certgen_file files[2] = {
		{ "key.pem", "secret\n", 7, 0600 },
		{ "cert.pem", "public\n", 7, 0644 },
	};
	sdc_error_t err = NULL;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	xasprintf(&sub, "%s/a/b", dir);
	assert_int_equal(certgen_files_write(sub, files, 2, &err), 0);
	xasprintf(&path, "%s/key.pem", sub);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 7);
	free(path);

	/* cert.pem a directory: key.pem must not be replaced... nor added. */
	xasprintf(&path, "%s/c", dir);
	mkdir(path, 0700);
	free(path);
	xasprintf(&path, "%s/c/cert.pem", dir);
	mkdir(path, 0700);
	free(path);
	free(sub);
	xasprintf(&sub, "%s/c", dir);
	assert_int_equal(certgen_files_write(sub, files, 2, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "not a plain file"));
	sdc_error_release(&err);
	xasprintf(&path, "%s/c/key.pem", dir);
	assert_int_equal(stat(path, &st), -1);
	free(path);
	free(sub);

	xasprintf(&path, "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pubkey_parse),
		cmocka_unit_test(test_pubkey_errors),
		cmocka_unit_test(test_openssh_encrypted),
		cmocka_unit_test(test_pem_round_trip),
		cmocka_unit_test(test_rsa_consistency),
		cmocka_unit_test(test_files_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
