/*
 * fuzz_openssh_key.c: arbitrary bytes through the OpenSSH private key
 * reader (certgen/openssh.c), the parser a user's key file reaches.
 *
 * Random text seldom survives the armor and the base64, so the first byte
 * chooses: odd, the rest is the file's text as is; even, the rest is the
 * decoded blob, armored here, so the mutations land on the wire format
 * (cipher and KDF names, lengths, the key records).  No passphrase is
 * given: an encrypted key stops before the key derivation, whose rounds
 * come from the file and would only measure time; the records inside are
 * the same as an unencrypted key's, which cipher "none" reaches.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "buf.h"
#include "certgen/certgen.h"
#include "certgen/sshwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf text = BUF_INIT;
	sdc_error_t err = NULL;
	EVP_PKEY *key;
	char *b64;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		buf_append(&text, data + 1, size - 1);
	} else {
		b64 = base64_encode(data + 1, size - 1, true);
		buf_puts(&text, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
		for (size_t i = 0, n = strlen(b64); i < n; i += 70) {
			buf_append(&text, b64 + i, n - i < 70 ? n - i : 70);
			buf_putc(&text, '\n');
		}
		buf_puts(&text, "-----END OPENSSH PRIVATE KEY-----\n");
		free(b64);
	}
	key = certgen_openssh_parse(text.data != NULL ? text.data : "", text.len, "fuzz",
	    NULL, &err);
	EVP_PKEY_free(key);
	sdc_error_release(&err);
	buf_free(&text);
	return 0;
}
