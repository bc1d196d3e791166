/*
 * cli.c: the monitor's command line.
 *
 * Long options only: the monitor is started by libsdcnode, not by people,
 * and a long name in `ps` output tells an operator what each value is.
 * Everything the monitor needs comes in here, so a restarted daemon never
 * has to tell a running monitor anything it did not know at start (the one
 * exception, log limits, arrives as an attach frame).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

enum {
	OPT_ID = 1, OPT_DIR, OPT_BUNDLE, OPT_PROCESS, OPT_RUNTIME, OPT_ROOT,
	OPT_OOM, OPT_TTY, OPT_STDIN, OPT_NOLOG, OPT_MAXSIZE, OPT_MAXFILE,
	OPT_BUDGET,
	OPT_SYNC, OPT_ATTACH,
	OPT_SHIP_DRIVER, OPT_SHIP_ADDRESS, OPT_SHIP_TAG, OPT_SHIP_HOST,
	OPT_SHIP_FORMAT, OPT_SHIP_FACILITY, OPT_SHIP_COMPRESS, OPT_SHIP_LEVEL,
	OPT_SHIP_FIELD, OPT_SHIP_ASYNC, OPT_SHIP_RETRY, OPT_SHIP_RETRIES,
	OPT_SHIP_BUFFER, OPT_RUNTIME_TIMEOUT,
};

static const struct option cli_options[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "process", required_argument, NULL, OPT_PROCESS },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "runtime-root", required_argument, NULL, OPT_ROOT },
	{ "runtime-timeout", required_argument, NULL, OPT_RUNTIME_TIMEOUT },
	{ "oom-file", required_argument, NULL, OPT_OOM },
	{ "tty", no_argument, NULL, OPT_TTY },
	{ "stdin", no_argument, NULL, OPT_STDIN },
	{ "no-log", no_argument, NULL, OPT_NOLOG },
	{ "log-max-size", required_argument, NULL, OPT_MAXSIZE },
	{ "log-max-file", required_argument, NULL, OPT_MAXFILE },
	{ "log-budget", required_argument, NULL, OPT_BUDGET },
	{ "sync-fd", required_argument, NULL, OPT_SYNC },
	{ "attach-fd", required_argument, NULL, OPT_ATTACH },
	{ "log-driver", required_argument, NULL, OPT_SHIP_DRIVER },
	{ "log-address", required_argument, NULL, OPT_SHIP_ADDRESS },
	{ "log-tag", required_argument, NULL, OPT_SHIP_TAG },
	{ "log-host", required_argument, NULL, OPT_SHIP_HOST },
	{ "log-format", required_argument, NULL, OPT_SHIP_FORMAT },
	{ "log-facility", required_argument, NULL, OPT_SHIP_FACILITY },
	{ "log-compress", required_argument, NULL, OPT_SHIP_COMPRESS },
	{ "log-compress-level", required_argument, NULL, OPT_SHIP_LEVEL },
	{ "log-field", required_argument, NULL, OPT_SHIP_FIELD },
	{ "log-async", no_argument, NULL, OPT_SHIP_ASYNC },
	{ "log-retry-ms", required_argument, NULL, OPT_SHIP_RETRY },
	{ "log-max-retries", required_argument, NULL, OPT_SHIP_RETRIES },
	{ "log-buffer-limit", required_argument, NULL, OPT_SHIP_BUFFER },
	{ NULL, 0, NULL, 0 },
};

static int
cli_number(const char *name, const char *s, long long min, long long *out,
    sdc_error_t *err)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || *out < min)
		return sdc_make_error(err, 0, "--%s: bad number '%s'", name, s);
	return 0;
}

static int
cli_option(int c, const char *arg, struct mon_opts *o, sdc_error_t *err)
{
	long long n;

	switch (c) {
	case OPT_ID: o->id = arg; return 0;
	case OPT_DIR: o->dir = arg; return 0;
	case OPT_BUNDLE: o->bundle = arg; return 0;
	case OPT_PROCESS: o->process = arg; return 0;
	case OPT_RUNTIME: o->runtime = arg; return 0;
	case OPT_ROOT: o->runtime_root = arg; return 0;
	case OPT_OOM: o->oom_file = arg; return 0;
	case OPT_TTY: o->tty = true; return 0;
	case OPT_STDIN: o->open_stdin = true; return 0;
	case OPT_NOLOG: o->log = false; return 0;
	case OPT_MAXSIZE:
		if (cli_number("log-max-size", arg, 0, &n, err) < 0)
			return -1;
		o->log_max_size = n;
		return 0;
	case OPT_MAXFILE:
		if (cli_number("log-max-file", arg, 0, &n, err) < 0)
			return -1;
		o->log_max_file = (int)n;
		return 0;
	case OPT_BUDGET:
		if (cli_number("log-budget", arg, 0, &n, err) < 0)
			return -1;
		o->log_budget = n;
		return 0;
	case OPT_RUNTIME_TIMEOUT:
		if (cli_number("runtime-timeout", arg, 0, &n, err) < 0)
			return -1;
		o->runtime_timeout_ms = n;
		return 0;
	case OPT_SHIP_DRIVER: o->ship_driver = arg; return 0;
	case OPT_SHIP_ADDRESS: o->ship_address = arg; return 0;
	case OPT_SHIP_TAG: o->ship_tag = arg; return 0;
	case OPT_SHIP_HOST: o->ship_host = arg; return 0;
	case OPT_SHIP_FORMAT: o->ship_format = arg; return 0;
	case OPT_SHIP_COMPRESS: o->ship_compress = arg; return 0;
	case OPT_SHIP_ASYNC: o->ship_async = true; return 0;
	case OPT_SHIP_FIELD:
		if (strchr(arg, '=') == NULL || o->ship_nfields ==
		    (int)(sizeof o->ship_fields / sizeof o->ship_fields[0]))
			return sdc_make_error(err, 0, "--log-field: '%s': "
			    "NAME=VALUE, at most 64", arg);
		o->ship_fields[o->ship_nfields++] = arg;
		return 0;
	case OPT_SHIP_FACILITY:
	case OPT_SHIP_LEVEL:
	case OPT_SHIP_RETRY:
	case OPT_SHIP_RETRIES:
	case OPT_SHIP_BUFFER:
		if (cli_number("log-...", arg, -1, &n, err) < 0)
			return -1;
		if (c == OPT_SHIP_FACILITY)
			o->ship_facility = (int)n;
		else if (c == OPT_SHIP_LEVEL)
			o->ship_level = (int)n;
		else if (c == OPT_SHIP_RETRY)
			o->ship_retry_ms = n;
		else if (c == OPT_SHIP_RETRIES)
			o->ship_max_retries = (int)n;
		else
			o->ship_buffer_limit = (long)n;
		return 0;
	case OPT_SYNC:
	case OPT_ATTACH:
		if (cli_number(c == OPT_SYNC ? "sync-fd" : "attach-fd", arg, 0,
		    &n, err) < 0)
			return -1;
		*(c == OPT_SYNC ? &o->sync_fd : &o->attach_fd) = (int)n;
		return 0;
	}
	return sdc_make_error(err, 0, "usage: sdc-docker-monitor --id ID "
	    "--dir DIR (--bundle DIR | --process FILE) --runtime PATH ...");
}

int
cli_parse(int argc, char **argv, struct mon_opts *o, sdc_error_t *err)
{
	int c;

	memset(o, 0, sizeof *o);
	o->log = true;
	o->sync_fd = o->attach_fd = -1;
	o->runtime = "/usr/sbin/runc";
	o->ship_tag = o->ship_host = "";
	o->ship_compress = "gzip";
	o->ship_level = 1;
	o->ship_facility = 3;		/* daemon */
	o->ship_retry_ms = 1000;
	while ((c = getopt_long(argc, argv, "", cli_options, NULL)) != -1)
		if (cli_option(c, optarg, o, err) < 0)
			return -1;
	if (optind != argc || o->id == NULL || o->dir == NULL ||
	    (o->bundle == NULL) == (o->process == NULL))
		return cli_option(0, NULL, o, err);
	if (o->process != NULL) {
		o->log = false;
		o->ship_driver = NULL;
	}
	if (o->ship_driver != NULL && o->ship_address == NULL)
		return sdc_make_error(err, 0, "--log-driver needs --log-address");
	return 0;
}
