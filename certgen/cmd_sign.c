/*
 * cmd_sign.c: `sign`, the headers of an HTTP Signature request.
 *
 * Prints the Date header it signed and the Authorization header, one per
 * line, so a script can pass the output straight to `curl -H @FILE`
 * without having to agree with us on the date.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd.h"
#include "timeutil.h"

static int sign_exec(int argc, char **argv);

const struct cmd_entry cmd_sign_entry = {
	"sign",
	"print Date and Authorization headers signing a request to CloudAPI with an SSH key",
	"--key PATH --account LOGIN [--date DATE]\n"
	"\t[--passphrase-file FILE | --passphrase-env VAR]",
	sign_exec,
};

static int
sign_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "account", required_argument, NULL, 'a' },
		{ "date", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		CMD_PASS_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct certgen_pass pass = { CERTGEN_PASS_PROMPT, NULL, NULL };
	const char *keypath = NULL, *login = NULL, *date = NULL;
	char now[64], *header;
	sdc_error_t err = NULL;
	EVP_PKEY *key;
	int c;

	while ((c = getopt_long(argc, argv, "k:a:D:h", longopts, NULL)) != -1) {
		if (cmd_pass_option(&pass, c, optarg))
			continue;
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'a': login = optarg; break;
		case 'D': date = optarg; break;
		case 'h': return cmd_help(&cmd_sign_entry);
		default: return cmd_usage_error(&cmd_sign_entry, "bad option");
		}
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_sign_entry, "unexpected \"%s\"", argv[optind]);
	if (keypath == NULL || login == NULL || *login == '\0')
		return cmd_usage_error(&cmd_sign_entry, "--key and --account are needed");
	if (date == NULL) {
		time_http_date(now, sizeof now, time(NULL));
		date = now;
	}
	key = certgen_key_load(keypath, &pass, &err);
	certgen_pass_clear(&pass);
	if (key == NULL)
		return cmd_fail(&err);
	header = certgen_httpsig_sign(key, login, date, &err);
	EVP_PKEY_free(key);
	if (header == NULL)
		return cmd_fail(&err);
	printf("Date: %s\nAuthorization: %s\n", date, header);
	free(header);
	return 0;
}
