/*
 * test_certgen_bcrypt.c: the key derivation of encrypted OpenSSH keys
 * against known answers.  The vectors are OpenBSD's for bcrypt_pbkdf
 * (the same ones the Go and Rust implementations test with); Blowfish's
 * table is checked at the words where its arrays meet, whose values every
 * published copy of the cipher shows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "certgen/sshwire.h"

static void
test_blowfish_table_seams(void **state)
{
	(void)state;
	assert_int_equal(blowfish_pi[0], 0x243f6a88);	/* P[0] */
	assert_int_equal(blowfish_pi[17], 0x8979fb1b);	/* P[17] */
	assert_int_equal(blowfish_pi[18], 0xd1310ba6);	/* S0[0] */
	assert_int_equal(blowfish_pi[18 + 255], 0x6e85076a);	/* S0[255] */
	assert_int_equal(blowfish_pi[18 + 256], 0x4b7a70e9);	/* S1[0] */
	assert_int_equal(blowfish_pi[18 + 512], 0xe93d5a68);	/* S2[0] */
	assert_int_equal(blowfish_pi[18 + 768], 0x3a39ce37);	/* S3[0] */
	assert_int_equal(blowfish_pi[BLOWFISH_PI_WORDS - 1], 0x3ac372e6);
}

struct kat {
	const char *pass;
	size_t passlen;
	const char *salt;
	size_t saltlen;
	unsigned int rounds;
	const char *hex;
};

static const struct kat kats[] = {
	{ "password", 8, "salt", 4, 4,
	  "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9" },
	{ "password", 8, "\0", 1, 4, "c12b566235eee04c212598970a579a67" },
	{ "\0", 1, "salt", 4, 4, "6051be18c2f4f82cbf0efee5471b4bb9" },
	{ "password\0", 9, "salt\0", 5, 4,
	  "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050" },
	{ "pass\0wor", 8, "sa\0l", 4, 4, "c2bffd9db38f6569efef4372f4de83c0" },
	{ "pass\0word", 9, "sa\0lt", 5, 4, "4ba4ac3925c0e8d7f0cdb6bb1684a56f" },
	{ "password", 8, "salt", 4, 8,
	  "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec7"
	  "6227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d" },
};

static void
test_bcrypt_pbkdf_known_answers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof kats / sizeof kats[0]; i++) {
		const struct kat *k = &kats[i];
		unsigned char key[64];
		char hex[129];
		size_t keylen = strlen(k->hex) / 2;
		sdc_error_t err = NULL;

		assert_int_equal(certgen_bcrypt_pbkdf(k->pass, k->passlen,
		    (const unsigned char *)k->salt, k->saltlen, key, keylen, k->rounds,
		    &err), 0);
		for (size_t j = 0; j < keylen; j++)
			snprintf(hex + 2 * j, 3, "%02x", key[j]);
		assert_string_equal(hex, k->hex);
	}
}

static void
test_bcrypt_pbkdf_refuses_bad_parameters(void **state)
{
	unsigned char key[32];
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(certgen_bcrypt_pbkdf("pw", 2, (const unsigned char *)"s", 1,
	    key, sizeof key, 0, &err), -1);
	assert_non_null(err);
	sdc_error_release(&err);
	assert_int_equal(certgen_bcrypt_pbkdf("pw", 2, (const unsigned char *)"s", 0,
	    key, sizeof key, 4, &err), -1);
	sdc_error_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blowfish_table_seams),
		cmocka_unit_test(test_bcrypt_pbkdf_known_answers),
		cmocka_unit_test(test_bcrypt_pbkdf_refuses_bad_parameters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
