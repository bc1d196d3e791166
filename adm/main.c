/*
 * main.c: sdcadm-docker's entry point, kept thin on purpose.
 *
 * It reads the global options (the environment gives their defaults), then
 * hands the remaining words to adm_cmd_run(), the path the shell uses too.
 * Parsing stops at the first word that is not an option ("+"), so options
 * after the subcommand's name belong to the subcommand.  With no words at
 * all, a terminal on stdin gets the shell and anything else gets the usage
 * and status 2, so a cron line missing its command fails loudly.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adm.h"

enum { OPT_ADMIN = 256, OPT_SAPI_URL, OPT_ZONES, OPT_VERSION, OPT_SAPI_CERTS };

static const struct option main_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "admin", required_argument, NULL, OPT_ADMIN },
	{ "sapi-url", required_argument, NULL, OPT_SAPI_URL },
	{ "sapi-cert-path", required_argument, NULL, OPT_SAPI_CERTS },
	{ "zones", required_argument, NULL, OPT_ZONES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
main_defaults(struct adm_ctx *ctx)
{
	const char *s;

	memset(ctx, 0, sizeof *ctx);
	ctx->out = stdout;
	if ((s = getenv("DOCKERAPI_ADMIN")) != NULL && *s != '\0')
		ctx->admin = s;
	if ((s = getenv("SAPI_URL")) != NULL && *s != '\0')
		ctx->sapi_url = s;
}

int
main(int argc, char **argv)
{
	struct adm_ctx ctx;
	int c;

	main_defaults(&ctx);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hj", main_options, NULL)) != -1) {
		switch (c) {
		case 'j': ctx.json = true; break;
		case OPT_ADMIN: ctx.admin = optarg; break;
		case OPT_SAPI_URL: ctx.sapi_url = optarg; break;
		case OPT_SAPI_CERTS: ctx.sapi_cert_path = optarg; break;
		case OPT_ZONES: ctx.zones = optarg; break;
		case 'h':
			adm_cmd_help_all(stdout);
			return ADM_EXIT_OK;
		case OPT_VERSION:
			printf("%s %s\n", ADM_PROGRAM, SDC_VERSION);
			return ADM_EXIT_OK;
		case ':':
			fprintf(stderr, "%s: option '%s' needs a value\n",
			    ADM_PROGRAM, argv[optind - 1]);
			return ADM_EXIT_USAGE;
		default:
			fprintf(stderr, "%s: unknown option '%s'\n", ADM_PROGRAM,
			    argv[optind - 1]);
			return ADM_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return adm_cmd_run(&ctx, argc - optind, argv + optind);
	if (isatty(STDIN_FILENO))
		return adm_shell_run(&ctx);
	adm_cmd_help_all(stderr);
	return ADM_EXIT_USAGE;
}
