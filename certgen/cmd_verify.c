/*
 * cmd_verify.c: `verify`, the server's side of `sign`: check an
 * Authorization header against a public key, as CloudAPI would.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static int verify_exec(int argc, char **argv);

const struct cmd_entry cmd_verify_entry = {
	"verify",
	"check an HTTP Signature Authorization header against an SSH public key",
	"--pubkey PATH --date DATE --authorization VALUE [--account LOGIN]",
	verify_exec,
};

static int
verify_check(const char *pubpath, const char *date, const char *auth, const char *login,
    sdc_error_t *err)
{
	struct certgen_pubkey pk;
	struct certgen_httpsig hs;
	struct buf text = BUF_INIT;
	int rc;

	memset(&pk, 0, sizeof pk);
	rc = certgen_file_read(pubpath, &text, err);
	if (rc == 0 && (rc = certgen_pubkey_parse(text.data, &pk, err)) < 0)
		sdc_error_wrap(err, "%s", pubpath);
	buf_free(&text);
	if (rc < 0)
		return -1;
	if ((rc = certgen_httpsig_parse(auth, &hs, err)) == 0) {
		if (login != NULL && strcmp(login, hs.login) != 0)
			rc = sdc_make_error(err, 0, "the Signature is for account %s, not %s",
			    hs.login, login);
		else
			rc = certgen_httpsig_verify(&hs, date, &pk, err);
		certgen_httpsig_clear(&hs);
	}
	certgen_pubkey_clear(&pk);
	return rc;
}

static int
verify_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pubkey", required_argument, NULL, 'p' },
		{ "date", required_argument, NULL, 'D' },
		{ "authorization", required_argument, NULL, 'A' },
		{ "account", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pub = NULL, *date = NULL, *auth = NULL, *login = NULL;
	sdc_error_t err = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "p:D:A:a:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': pub = optarg; break;
		case 'D': date = optarg; break;
		case 'A': auth = optarg; break;
		case 'a': login = optarg; break;
		case 'h': return cmd_help(&cmd_verify_entry);
		default: return cmd_usage_error(&cmd_verify_entry, "bad option");
		}
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_verify_entry, "unexpected \"%s\"", argv[optind]);
	if (pub == NULL || date == NULL || auth == NULL)
		return cmd_usage_error(&cmd_verify_entry,
		    "--pubkey, --date and --authorization are needed");
	if (verify_check(pub, date, auth, login, &err) < 0)
		return cmd_fail(&err);
	printf("OK\n");
	return 0;
}
