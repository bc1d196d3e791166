/*
 * cmd_operator.c: `operator`, a client certificate under the operator's
 * CA, for the tools and daemons that talk to sapi over mutual TLS.
 */
#include "cmd.h"

static int operator_exec(int argc, char **argv);

const struct cmd_entry cmd_operator_entry = {
	"operator",
	"write cert.pem, key.pem and ca.pem: a client certificate signed by the CA in --ca "
	"(dockerapi's DATA/tls), for SAPI_CERT_PATH",
	"--ca DIR --out DIR [--cn NAME] [--days N]",
	operator_exec,
};

int
cmd_operator_cert(const struct cmd_entry *entry, const char *cn, int argc,
    char **argv)
{
	static const struct option longopts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "cn", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ca = NULL, *out = NULL;
	sdc_error_t err = NULL;
	int c, days = 0, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "c:n:o:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': ca = optarg; break;
		case 'n': cn = optarg; break;
		case 'o': out = optarg; break;
		case 'd':
			if ((days = cmd_days(optarg)) < 0)
				rc = cmd_usage_error(entry, "bad --days \"%s\"", optarg);
			break;
		case 'h': cmd_help(entry); rc = CMD_DONE; break;
		default: rc = cmd_usage_error(entry, "bad option"); break;
		}
	}
	if (rc == 0 && optind != argc)
		rc = cmd_usage_error(entry, "unexpected \"%s\"", argv[optind]);
	if (rc == 0 && (ca == NULL || out == NULL || *cn == '\0'))
		rc = cmd_usage_error(entry, "--ca and --out are needed");
	if (rc == 0 && certgen_operator_write(ca, out, cn, days, &err) < 0)
		rc = cmd_fail(&err);
	return rc == CMD_DONE ? 0 : rc;
}

static int
operator_exec(int argc, char **argv)
{
	return cmd_operator_cert(&cmd_operator_entry, "operator", argc, argv);
}
