/*
 * main.c: sdc-docker-certgen, the command over libcertgen.
 *
 * A thin dispatcher: one table entry per subcommand, each in its own
 * cmd_*.c file, with the shared helpers for errors, help and the
 * passphrase options here.  Nothing else in the command exits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xalloc.h"

static const struct cmd_entry *const cmd_table[] = {
	&cmd_client_entry,
	&cmd_server_entry,
	&cmd_operator_entry,
	&cmd_node_entry,
	&cmd_head_entry,
	&cmd_fingerprint_entry,
	&cmd_sign_entry,
	&cmd_verify_entry,
	NULL,
};

int
cmd_fail(sdc_error_t *err)
{
	fprintf(stderr, "%s: %s\n", CMD_NAME, sdc_error_msg(*err));
	sdc_error_release(err);
	return 1;
}

int
cmd_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", CMD_NAME, entry->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s %s %s\n", CMD_NAME, entry->name, entry->usage);
	return 2;
}

int
cmd_help(const struct cmd_entry *entry)
{
	printf("usage: %s %s %s\n\n%s.\n", CMD_NAME, entry->name, entry->usage,
	    entry->summary);
	return 0;
}

bool
cmd_pass_option(struct certgen_pass *pass, int opt, const char *arg)
{
	if (opt == 'P')
		pass->kind = CERTGEN_PASS_FILE;
	else if (opt == 'E')
		pass->kind = CERTGEN_PASS_ENV;
	else
		return false;
	pass->value = arg;
	return true;
}

int
cmd_days(const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v <= 0 || v > 36500)
		return -1;
	return (int)v;
}

void
cmd_split_sans(const char *arg, char ***sans, size_t *n)
{
	const char *p = arg;
	size_t len;

	while (*p != '\0') {
		len = strcspn(p, ",");
		if (len > 0) {
			*sans = xrealloc(*sans, (*n + 1) * sizeof **sans);
			(*sans)[(*n)++] = xstrndup(p, len);
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

static void
main_usage(FILE *f)
{
	fprintf(f, "usage: %s COMMAND [OPTIONS]\n\n"
	    "TLS certificates for Docker from SSH keys.\n\ncommands:\n", CMD_NAME);
	for (size_t i = 0; cmd_table[i] != NULL; i++)
		fprintf(f, "  %-12s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	fprintf(f, "\n'%s COMMAND --help' tells more; see also %s(1).\n", CMD_NAME, CMD_NAME);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		main_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		main_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", CMD_NAME, SDC_VERSION);
		return 0;
	}
	for (size_t i = 0; cmd_table[i] != NULL; i++)
		if (strcmp(argv[1], cmd_table[i]->name) == 0)
			return cmd_table[i]->exec(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command \"%s\"\n", CMD_NAME, argv[1]);
	main_usage(stderr);
	return 2;
}
