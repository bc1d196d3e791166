/*
 * cmd_server.c: `server`, the daemon's CA and TLS certificate.
 *
 * A CA already in the directory is kept and signs the new server
 * certificate, so clients that trust it need nothing new.  With --ca, the
 * CA kept in that other directory signs instead (sapi's certificate under
 * dockerapi's CA), and --out gets a copy of its ca.pem, never its key.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

static int server_exec(int argc, char **argv);

const struct cmd_entry cmd_server_entry = {
	"server",
	"write ca.pem, ca-key.pem, server-cert.pem and server-key.pem for the Docker endpoint",
	"--cn NAME [--san IP:ADDR,DNS:NAME,...] --out DIR [--ca DIR] [--days N]",
	server_exec,
};

static int
server_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cn", required_argument, NULL, 'n' },
		{ "san", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "ca", required_argument, NULL, 'c' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cn = NULL, *out = NULL, *ca = NULL;
	char **sans = NULL;
	size_t nsans = 0;
	sdc_error_t err = NULL;
	int c, days = 0, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "n:s:o:c:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': cn = optarg; break;
		case 'o': out = optarg; break;
		case 'c': ca = optarg; break;
		case 's': cmd_split_sans(optarg, &sans, &nsans); break;
		case 'd':
			if ((days = cmd_days(optarg)) < 0)
				rc = cmd_usage_error(&cmd_server_entry, "bad --days \"%s\"", optarg);
			break;
		case 'h': cmd_help(&cmd_server_entry); rc = CMD_DONE; break;
		default: rc = cmd_usage_error(&cmd_server_entry, "bad option"); break;
		}
	}
	if (rc == 0 && optind != argc)
		rc = cmd_usage_error(&cmd_server_entry, "unexpected \"%s\"", argv[optind]);
	if (rc == 0 && (cn == NULL || out == NULL || *cn == '\0'))
		rc = cmd_usage_error(&cmd_server_entry, "--cn and --out are needed");
	if (rc == 0 && ca != NULL && certgen_server_write_under(ca, out, cn,
	    (const char *const *)sans, nsans, days, &err) < 0)
		rc = cmd_fail(&err);
	else if (rc == 0 && ca == NULL && certgen_server_write(out, cn,
	    (const char *const *)sans, nsans, days, &err) < 0)
		rc = cmd_fail(&err);
	for (size_t i = 0; i < nsans; i++)
		free(sans[i]);
	free(sans);
	return rc == CMD_DONE ? 0 : rc;
}
