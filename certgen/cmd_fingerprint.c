/*
 * cmd_fingerprint.c: `fingerprint`, a key's fingerprint as ssh-keygen -l
 * shows it.
 *
 * Takes a public key (authorized_keys form, as in KEY.pub) or a private
 * key.  For a private key the KEY.pub beside it is read when there is one,
 * as ssh-keygen does, so an encrypted key needs no passphrase.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "xalloc.h"

static int fingerprint_exec(int argc, char **argv);

const struct cmd_entry cmd_fingerprint_entry = {
	"fingerprint",
	"print the MD5 or SHA256 fingerprint of an SSH key, as ssh-keygen -l -E does",
	"[--md5 | --sha256] [--bare] [--passphrase-file FILE | --passphrase-env VAR] PATH",
	fingerprint_exec,
};

/* The first line of the file that is not blank or a comment. */
static int
fingerprint_public_line(const char *text, struct certgen_pubkey *pk, sdc_error_t *err)
{
	const char *p = text;

	while (*p == '#' || *p == '\n' || *p == '\r' || *p == ' ')
		p = *p == '#' ? p + strcspn(p, "\n") : p + 1;
	return certgen_pubkey_parse(p, pk, err);
}

static int
fingerprint_load(const char *path, struct certgen_pass *pass, struct certgen_pubkey *pk,
    sdc_error_t *err)
{
	struct buf text = BUF_INIT;
	EVP_PKEY *key;
	char *pub;
	int rc;

	if (certgen_file_read(path, &text, err) < 0)
		return -1;
	if (strstr(text.data, "PRIVATE KEY-----") == NULL) {
		rc = fingerprint_public_line(text.data, pk, err);
		buf_free(&text);
		return rc < 0 ? sdc_error_wrap(err, "%s", path) : 0;
	}
	xasprintf(&pub, "%s.pub", path);
	buf_reset(&text);
	rc = access(pub, R_OK) == 0 && certgen_file_read(pub, &text, err) == 0 &&
	    fingerprint_public_line(text.data, pk, err) == 0 ? 0 : -1;
	free(pub);
	buf_free(&text);
	if (rc == 0)
		return 0;
	sdc_error_release(err);
	if ((key = certgen_key_load(path, pass, err)) == NULL)
		return -1;
	rc = certgen_pubkey_from_pkey(key, pk, err);
	EVP_PKEY_free(key);
	return rc;
}

static int
fingerprint_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "md5", no_argument, NULL, 'm' },
		{ "sha256", no_argument, NULL, 's' },
		{ "bare", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		CMD_PASS_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct certgen_pass pass = { CERTGEN_PASS_PROMPT, NULL, NULL };
	struct certgen_pubkey pk;
	sdc_error_t err = NULL;
	bool md5 = false, bare = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "msbh", longopts, NULL)) != -1) {
		if (cmd_pass_option(&pass, c, optarg))
			continue;
		switch (c) {
		case 'm': md5 = true; break;
		case 's': md5 = false; break;
		case 'b': bare = true; break;
		case 'h': return cmd_help(&cmd_fingerprint_entry);
		default: return cmd_usage_error(&cmd_fingerprint_entry, "bad option");
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error(&cmd_fingerprint_entry, "one key file is needed");
	rc = fingerprint_load(argv[optind], &pass, &pk, &err);
	certgen_pass_clear(&pass);
	if (rc < 0)
		return cmd_fail(&err);
	printf("%s%s\n", bare ? "" : md5 ? "MD5:" : "SHA256:", md5 ? pk.md5 : pk.sha256);
	certgen_pubkey_clear(&pk);
	return 0;
}
