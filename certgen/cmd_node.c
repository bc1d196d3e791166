/*
 * cmd_node.c: `node` and `head`, the certificates of a data center's
 * compute nodes and API heads, under the operator's CA.
 *
 * A node's agent presents a server certificate (`node`: serverAuth only,
 * so one node's certificate opens no other node's API) and takes clients
 * whose certificate the same CA signed for a client's use; a head holds
 * such a client certificate (`head`, what `operator` makes, under the
 * head's name).  The CA is the one dockerapi made at its first start
 * (--ca DIR: its DATA/tls), never copied beside the node's key.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "xalloc.h"

static int node_exec(int argc, char **argv);
static int head_exec(int argc, char **argv);

const struct cmd_entry cmd_node_entry = {
	"node",
	"write node-cert.pem, node-key.pem and ca.pem: a compute node's certificate for "
	"sdc-docker-agent, signed by the CA in --ca; SANs default to DNS:CN, "
	"DNS:localhost and IP:127.0.0.1",
	"--ca DIR --out DIR [--cn NAME] [--san IP:ADDR,DNS:NAME,...] [--days N]",
	node_exec,
};

const struct cmd_entry cmd_head_entry = {
	"head",
	"write cert.pem, key.pem and ca.pem: an API head's client certificate for the "
	"node agents, signed by the CA in --ca",
	"--ca DIR --out DIR [--cn NAME] [--days N]",
	head_exec,
};

static int
node_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "cn", required_argument, NULL, 'n' },
		{ "san", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ca = NULL, *cn = NULL, *out = NULL;
	char host[256], **sans = NULL, *dns;
	size_t nsans = 0;
	sdc_error_t err = NULL;
	int c, days = 0, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "c:n:s:o:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': ca = optarg; break;
		case 'n': cn = optarg; break;
		case 'o': out = optarg; break;
		case 's': cmd_split_sans(optarg, &sans, &nsans); break;
		case 'd':
			if ((days = cmd_days(optarg)) < 0)
				rc = cmd_usage_error(&cmd_node_entry, "bad --days \"%s\"", optarg);
			break;
		case 'h': cmd_help(&cmd_node_entry); rc = CMD_DONE; break;
		default: rc = cmd_usage_error(&cmd_node_entry, "bad option"); break;
		}
	}
	if (rc == 0 && optind != argc)
		rc = cmd_usage_error(&cmd_node_entry, "unexpected \"%s\"", argv[optind]);
	if (rc == 0 && (ca == NULL || out == NULL || (cn != NULL && *cn == '\0')))
		rc = cmd_usage_error(&cmd_node_entry, "--ca and --out are needed");
	if (rc == 0 && cn == NULL) {
		if (gethostname(host, sizeof host) != 0)
			strcpy(host, "localhost");
		host[sizeof host - 1] = '\0';
		cn = host;
	}
	if (rc == 0 && nsans == 0) {
		xasprintf(&dns, "DNS:%s", cn);
		cmd_split_sans(dns, &sans, &nsans);
		cmd_split_sans("DNS:localhost,IP:127.0.0.1", &sans, &nsans);
		free(dns);
	}
	if (rc == 0 && certgen_node_write(ca, out, cn, (const char *const *)sans,
	    nsans, days, &err) < 0)
		rc = cmd_fail(&err);
	for (size_t i = 0; i < nsans; i++)
		free(sans[i]);
	free(sans);
	return rc == CMD_DONE ? 0 : rc;
}

static int
head_exec(int argc, char **argv)
{
	return cmd_operator_cert(&cmd_head_entry, "head", argc, argv);
}
