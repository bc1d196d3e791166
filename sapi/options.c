/*
 * options.c: the daemon's settings: embedded defaults, then a YAML file.
 *
 * With no file the daemon must still start somewhere sensible.  Run from a
 * source tree (the binary is <top>/<build>/bin/sapi), it keeps its data in
 * <top>/var/sapi and bootstraps from <top>/etc, so a developer's runs never
 * touch their home; installed, it follows XDG ($XDG_STATE_HOME, else
 * ~/.local/state) and the installed etc folder.  Unknown keys in the file
 * are refused, so a typo does not pass silently for a default.
 *
 * Whoever can write to sapi steers every daemon it configures (a registry
 * mirror for every tenant, say), so the default is a unix socket in the
 * data dir, 0600: only sapi's own user (root, installed) may connect, as
 * with dockerapi's admin socket.  A TCP address is taken only with mutual
 * TLS (tls_cert, tls_key and tls_client_ca, the operator's CA), never as
 * plain HTTP that any local user could reach.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "sapi.h"
#include "xalloc.h"
#include "yamlconf.h"

#ifndef SAPI_ETCDIR
#define SAPI_ETCDIR "/usr/local/etc/sdc-docker"
#endif

static void
sapi_options_defaults(struct sapi_options *o)
{
	char *top = fs_source_tree();

	memset(o, 0, sizeof *o);
	o->log_level = LOG_INFO;
	o->max_wait = 300;
	o->max_body = 1024 * 1024;
	o->data_dir = fs_state_dir("sapi");
	if (top != NULL)
		xasprintf(&o->bootstrap, "%s/etc/sapi-bootstrap.yaml", top);
	else
		o->bootstrap = xstrdup(SAPI_ETCDIR "/sapi-bootstrap.yaml");
	free(top);
}

static int
sapi_options_string(const json_t *v, const char *key, char **out,
    sdc_error_t *err)
{
	if (!json_is_string(v) || json_string_length(v) == 0)
		return sdc_make_error(err, 0, "%s must be a non-empty string", key);
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int
sapi_options_set(struct sapi_options *o, const char *key, const json_t *v,
    sdc_error_t *err)
{
	if (strcmp(key, "listen") == 0)
		return sapi_options_string(v, key, &o->listen, err);
	if (strcmp(key, "tls_cert") == 0)
		return sapi_options_string(v, key, &o->tls_cert, err);
	if (strcmp(key, "tls_key") == 0)
		return sapi_options_string(v, key, &o->tls_key, err);
	if (strcmp(key, "tls_client_ca") == 0)
		return sapi_options_string(v, key, &o->tls_client_ca, err);
	if (strcmp(key, "data_dir") == 0)
		return sapi_options_string(v, key, &o->data_dir, err);
	if (strcmp(key, "store") == 0)
		return sapi_options_string(v, key, &o->store, err);
	if (strcmp(key, "bootstrap") == 0) {
		o->bootstrap_given = true;
		return sapi_options_string(v, key, &o->bootstrap, err);
	}
	if (strcmp(key, "log_level") == 0) {
		if (!json_is_string(v) ||
		    (o->log_level = log_level_parse(json_string_value(v))) < 0)
			return sdc_make_error(err, 0, "log_level must be one of "
			    "trace, debug, info, warn, error, fatal");
		return 0;
	}
	if (strcmp(key, "max_wait") == 0) {
		if (!json_is_number(v) || json_number_value(v) < 0)
			return sdc_make_error(err, 0,
			    "max_wait must be a number of seconds");
		o->max_wait = json_number_value(v);
		return 0;
	}
	if (strcmp(key, "max_body") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 1024)
			return sdc_make_error(err, 0,
			    "max_body must be a number of bytes (>= 1024)");
		o->max_body = (size_t)json_integer_value(v);
		return 0;
	}
	return sdc_make_error(err, 0, "unknown setting \"%s\"", key);
}

/* yaml_load_settings' callback. */
static int
sapi_options_setting(void *arg, const char *key, const json_t *v,
    sdc_error_t *err)
{
	return sapi_options_set(arg, key, v, err);
}

int
sapi_options_load(struct sapi_options *o, const char *path, sdc_error_t *err)
{
	sapi_options_defaults(o);
	if (path == NULL)
		return 0;
	return yaml_load_settings(path, sapi_options_setting, o, err);
}

int
sapi_options_finish(struct sapi_options *o, sdc_error_t *err)
{
	bool tcp, some = o->tls_cert != NULL || o->tls_key != NULL ||
	    o->tls_client_ca != NULL;

	if (o->listen == NULL)
		xasprintf(&o->listen, "unix:%s/sapi.sock", o->data_dir);
	tcp = strncmp(o->listen, "unix:", 5) != 0;
	if (!tcp && some)
		return sdc_make_error(err, 0, "tls_cert, tls_key and "
		    "tls_client_ca are for a TCP listen address; %s is a unix "
		    "socket", o->listen);
	if (tcp && (o->tls_cert == NULL || o->tls_key == NULL ||
	    o->tls_client_ca == NULL))
		return sdc_make_error(err, 0, "listening on TCP (%s) needs "
		    "mutual TLS: set tls_cert, tls_key and tls_client_ca (the "
		    "operator's CA), or listen on unix:PATH", o->listen);
	return 0;
}

void
sapi_options_free(struct sapi_options *o)
{
	free(o->tls_cert);
	free(o->tls_key);
	free(o->tls_client_ca);
	free(o->listen);
	free(o->data_dir);
	free(o->store);
	free(o->bootstrap);
	memset(o, 0, sizeof *o);
}
