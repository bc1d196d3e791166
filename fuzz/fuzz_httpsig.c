/*
 * fuzz_httpsig.c: arbitrary bytes as an HTTP Signature Authorization
 * header (certgen/httpsig.c), which an unauthenticated client sends to
 * the config service; then, when it parses, the verification against a
 * fixed Ed25519 key, so the fingerprint, algorithm and signature checks
 * see hostile values too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certgen/certgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_key[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPHaiPkaZLWXDQmwt+7Nsdghyup4b6yQZpg26yPGNZ3g fuzz";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct certgen_pubkey key;
	static int have_key;
	struct certgen_httpsig hs;
	sdc_error_t err = NULL;
	char *header;

	if (!have_key) {
		have_key = certgen_pubkey_parse(fuzz_key, &key, &err) == 0 ? 1 : -1;
		sdc_error_release(&err);
	}
	header = malloc(size + 1);
	memcpy(header, data, size);
	header[size] = '\0';
	memset(&hs, 0, sizeof hs);
	if (certgen_httpsig_parse(header, &hs, &err) == 0 && have_key == 1)
		certgen_httpsig_verify(&hs, "Thu, 01 Jan 2026 00:00:00 GMT", &key, &err);
	sdc_error_release(&err);
	certgen_httpsig_clear(&hs);
	free(header);
	return 0;
}
