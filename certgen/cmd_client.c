/*
 * cmd_client.c: `client`, a Docker client certificate from an SSH key.
 *
 * Writes key.pem and cert.pem (and issuer.pem for the issued form) into
 * the output directory together or not at all.  ca.pem is left alone:
 * in a Docker cert directory that name belongs to the server's CA.
 * --out may be given many times: the key is read (and its passphrase
 * asked) once, and each directory gets a certificate of its own, which
 * is how scripts make many of them without a process for each.
 */
#include <stdio.h>
#include <stdlib.h>


#include "cmd.h"
#include "xalloc.h"

struct client_opts {
	const char *login;
	const char *key;
	const char **outs;
	size_t nouts;
	int days;
	bool issued;
	struct certgen_pass pass;
};

static int client_exec(int argc, char **argv);

const struct cmd_entry cmd_client_entry = {
	"client",
	"write key.pem and cert.pem, a client certificate for LOGIN made from an SSH key",
	"--account LOGIN --key PATH --out DIR [--out DIR ...] [--days N] [--issued]\n"
	"\t[--passphrase-file FILE | --passphrase-env VAR]",
	client_exec,
};

static int
client_parse(int argc, char **argv, struct client_opts *o)
{
	static const struct option longopts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'k' },
		{ "out", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' },
		{ "issued", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		CMD_PASS_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "a:k:o:d:ih", longopts, NULL)) != -1) {
		if (cmd_pass_option(&o->pass, c, optarg))
			continue;
		switch (c) {
		case 'a': o->login = optarg; break;
		case 'k': o->key = optarg; break;
		case 'o':
			o->outs = xrealloc(o->outs, (o->nouts + 1) * sizeof *o->outs);
			o->outs[o->nouts++] = optarg;
			break;
		case 'i': o->issued = true; break;
		case 'd':
			if ((o->days = cmd_days(optarg)) < 0)
				return cmd_usage_error(&cmd_client_entry, "bad --days \"%s\"", optarg);
			break;
		case 'h': cmd_help(&cmd_client_entry); return CMD_DONE;
		default: return cmd_usage_error(&cmd_client_entry, "bad option");
		}
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_client_entry, "unexpected \"%s\"", argv[optind]);
	if (o->login == NULL || o->key == NULL || o->nouts == 0)
		return cmd_usage_error(&cmd_client_entry, "--account, --key and --out are needed");
	if (*o->login == '\0')
		return cmd_usage_error(&cmd_client_entry, "empty --account");
	return 0;
}

static int
client_exec(int argc, char **argv)
{
	struct client_opts o = { .pass = { CERTGEN_PASS_PROMPT, NULL, NULL } };
	sdc_error_t err = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	if ((rc = client_parse(argc, argv, &o)) == 0) {
		key = certgen_key_load(o.key, &o.pass, &err);
		certgen_pass_clear(&o.pass);
		rc = key == NULL ? cmd_fail(&err) : 0;
	}
	for (size_t i = 0; rc == 0 && i < o.nouts; i++)
		if (certgen_client_write(o.outs[i], key, o.login, o.days, o.issued, &err) < 0)
			rc = cmd_fail(&err);
	EVP_PKEY_free(key);
	free(o.outs);
	return rc == CMD_DONE ? 0 : rc;
}
