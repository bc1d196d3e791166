/*
 * options.c: the daemon's settings: embedded defaults, then a YAML file.
 *
 * With no file the daemon must still start somewhere sensible.  Run from a
 * source tree (the binary is <top>/<build>/bin/sapi), it keeps its data in
 * <top>/var/sapi and bootstraps from <top>/etc, so a developer's runs never
 * touch their home; installed, it follows XDG ($XDG_STATE_HOME, else
 * ~/.local/state) and the installed etc folder.  Unknown keys in the file
 * are refused, so a typo does not pass silently for a default.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonutil.h"
#include "log.h"
#include "sapi.h"
#include "xalloc.h"
#include "yamlconf.h"

#ifndef SAPI_ETCDIR
#define SAPI_ETCDIR "/usr/local/etc/sdc-docker"
#endif

#define SAPI_DEFAULT_LISTEN "127.0.0.1:9080"

/* The source tree this binary was built in, or NULL. */
static char *
sapi_options_tree(void)
{
	char exe[PATH_MAX], *top, *p, *probe;
	ssize_t n;
	struct stat sb;
	int i;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	top = xstrdup(exe);
	for (i = 0; i < 3; i++) {               /* bin/sapi, build dir */
		if ((p = strrchr(top, '/')) == NULL || p == top)
			goto no;
		*p = '\0';
	}
	xasprintf(&probe, "%s/sapi/module.mk", top);
	i = stat(probe, &sb);
	free(probe);
	if (i == 0)
		return top;
no:
	free(top);
	return NULL;
}

static void
sapi_options_defaults(struct sapi_options *o)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *top = sapi_options_tree();

	memset(o, 0, sizeof *o);
	o->listen = xstrdup(SAPI_DEFAULT_LISTEN);
	o->log_level = LOG_INFO;
	o->max_wait = 300;
	o->max_body = 1024 * 1024;
	if (top != NULL) {
		xasprintf(&o->data_dir, "%s/var/sapi", top);
		xasprintf(&o->bootstrap, "%s/etc/sapi-bootstrap.yaml", top);
		free(top);
		return;
	}
	if (state != NULL && *state == '/')
		xasprintf(&o->data_dir, "%s/sdc-docker/sapi", state);
	else
		xasprintf(&o->data_dir, "%s/.local/state/sdc-docker/sapi",
		    home != NULL ? home : "");
	o->bootstrap = xstrdup(SAPI_ETCDIR "/sapi-bootstrap.yaml");
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
	if (strcmp(key, "data_dir") == 0)
		return sapi_options_string(v, key, &o->data_dir, err);
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

int
sapi_options_load(struct sapi_options *o, const char *path, sdc_error_t *err)
{
	json_t *doc, *v;
	const char *k;

	sapi_options_defaults(o);
	if (path == NULL)
		return 0;
	if ((doc = yaml_load_file(path, err)) == NULL)
		return -1;
	if (json_is_null(doc)) {                /* an empty file */
		json_decref(doc);
		return 0;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return sdc_make_error(err, 0, "%s: expected a mapping of "
		    "settings", path);
	}
	json_object_foreach(doc, k, v) {
		if (sapi_options_set(o, k, v, err) < 0) {
			json_decref(doc);
			return sdc_error_wrap(err, "%s", path);
		}
	}
	json_decref(doc);
	return 0;
}

void
sapi_options_free(struct sapi_options *o)
{
	free(o->listen);
	free(o->data_dir);
	free(o->bootstrap);
	memset(o, 0, sizeof *o);
}
