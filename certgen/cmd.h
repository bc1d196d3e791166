/*
 * cmd.h: the subcommands of sdc-docker-certgen and what they share.
 *
 * Each subcommand is one file exporting a `struct cmd_entry`; main.c
 * holds the table.  A subcommand returns the exit status: 0 done, 1
 * failed (message printed), 2 bad usage.
 */
#ifndef SDC_CERTGEN_CMD_H
#define SDC_CERTGEN_CMD_H

#include <getopt.h>

#include "certgen.h"

#define CMD_NAME "sdc-docker-certgen"
/* What an option parser returns when it did all there was to do (--help). */
#define CMD_DONE (-1)

struct cmd_entry {
	const char *name;
	const char *summary;
	const char *usage;	/* the --help text after "usage: NAME " */
	int (*exec)(int argc, char **argv);
};

extern const struct cmd_entry cmd_client_entry;
extern const struct cmd_entry cmd_server_entry;
extern const struct cmd_entry cmd_operator_entry;
extern const struct cmd_entry cmd_node_entry;
extern const struct cmd_entry cmd_head_entry;
extern const struct cmd_entry cmd_fingerprint_entry;
extern const struct cmd_entry cmd_sign_entry;
extern const struct cmd_entry cmd_verify_entry;

/* Long options every key-reading subcommand takes. */
#define CMD_PASS_OPTIONS \
	{ "passphrase-file", required_argument, NULL, 'P' }, \
	{ "passphrase-env", required_argument, NULL, 'E' }

/* Print the error and release it; returns 1. */
int cmd_fail(sdc_error_t *err);
/* Print a usage complaint about entry; returns 2. */
int cmd_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print the --help text of entry; returns 0. */
int cmd_help(const struct cmd_entry *entry);
/* Handle -P/-E; false if opt is not one of them. */
bool cmd_pass_option(struct certgen_pass *pass, int opt, const char *arg);
/* Split "a,b,c" onto the list (which may already hold entries). */
void cmd_split_sans(const char *arg, char ***sans, size_t *n);
/* `operator` and `head`: a client certificate under the CA in --ca,
 * CN cn unless --cn says otherwise. */
int cmd_operator_cert(const struct cmd_entry *entry, const char *cn,
    int argc, char **argv);
/* A positive day count, or -1. */
int cmd_days(const char *arg);

#endif
