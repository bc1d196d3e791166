/*
 * config.c: what dockerapi starts with.
 *
 * Three layers, later wins: built-in defaults (so the daemon starts with
 * no arguments at all), the YAML file given with -f, then command-line
 * flags (main.c).  Only start-up settings live here; what an operator
 * changes while the daemon runs is a tunable and comes from SAPI.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dockerapi.h"
#include "jsonutil.h"
#include "log.h"
#include "sapi-client/sapi.h"
#include "xalloc.h"
#include "yamlconf.h"

static char *
default_data_dir(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	char *dir;

	if (state != NULL && *state == '/') {
		xasprintf(&dir, "%s/sdc-docker/dockerapi", state);
		return dir;
	}
	return xstrdup("var/dockerapi");
}

static char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return xstrdup(v != NULL && *v != '\0' ? v : def);
}

void
config_defaults(struct dockerapi_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->data_dir = default_data_dir();
	cfg->store = xstrdup("");
	cfg->listen = xstrdup("");
	cfg->cloudapi_listen = xstrdup("127.0.0.1:8443");
	cfg->admin_socket = xstrdup("");
	cfg->sapi_url = env_or("SAPI_URL", "");
	if (*cfg->sapi_url == '\0') {          /* sapi's own default socket */
		free(cfg->sapi_url);
		cfg->sapi_url = sapi_default_url();
	}
	cfg->sapi_cert_path = getenv("SAPI_CERT_PATH") != NULL ?
	    xstrdup(getenv("SAPI_CERT_PATH")) : NULL;
	cfg->sapi_instance = xstrdup("dockerapi0");
	cfg->zones = xstrdup("/zones");
	cfg->server_name = xstrdup("localhost");
	cfg->plain_account = NULL;
	cfg->log_level = LOG_INFO;
}

static void
replace(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

/* Each key the file may hold, and where it goes. */
static const struct {
	const char *key;
	size_t offset;
} config_keys[] = {
	{ "data_dir", offsetof(struct dockerapi_config, data_dir) },
	{ "store", offsetof(struct dockerapi_config, store) },
	{ "listen", offsetof(struct dockerapi_config, listen) },
	{ "cloudapi_listen", offsetof(struct dockerapi_config, cloudapi_listen) },
	{ "admin_socket", offsetof(struct dockerapi_config, admin_socket) },
	{ "sapi_url", offsetof(struct dockerapi_config, sapi_url) },
	{ "sapi_cert_path", offsetof(struct dockerapi_config, sapi_cert_path) },
	{ "sapi_instance", offsetof(struct dockerapi_config, sapi_instance) },
	{ "zones", offsetof(struct dockerapi_config, zones) },
	{ "server_name", offsetof(struct dockerapi_config, server_name) },
	{ "plain_account", offsetof(struct dockerapi_config, plain_account) },
	{ "agent_url", offsetof(struct dockerapi_config, agent_url) },
	{ "agent_cert_path", offsetof(struct dockerapi_config, agent_cert_path) },
};

static int
config_apply_key(struct dockerapi_config *cfg, const char *path, const char *key,
    json_t *value, sdc_error_t *err)
{
	int level;

	if (strcmp(key, "log_level") == 0) {
		if (!json_is_string(value) ||
		    (level = log_level_parse(json_string_value(value))) < 0)
			return sdc_make_error(err, 0, "%s: log_level must be one of "
			    "trace, debug, info, warn, error, fatal", path);
		cfg->log_level = level;
		return 0;
	}
	for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
		if (strcmp(key, config_keys[i].key) != 0)
			continue;
		if (!json_is_string(value) && !json_is_null(value))
			return sdc_make_error(err, 0, "%s: %s must be a string, not %s",
			    path, key, json_type_name(value));
		replace((char **)((char *)cfg + config_keys[i].offset),
		    json_string_value(value));
		return 0;
	}
	return sdc_make_error(err, 0, "%s: unknown setting \"%s\"", path, key);
}

int
config_load(struct dockerapi_config *cfg, const char *path, sdc_error_t *err)
{
	json_t *doc, *value;
	const char *key;

	doc = yaml_load_file(path, err);
	if (doc == NULL)
		return -1;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return sdc_make_error(err, 0, "%s: the top level must be a mapping", path);
	}
	json_object_foreach(doc, key, value) {
		if (config_apply_key(cfg, path, key, value, err) < 0) {
			json_decref(doc);
			return -1;
		}
	}
	json_decref(doc);
	return 0;
}

void
config_free(struct dockerapi_config *cfg)
{
	for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
		char **field = (char **)((char *)cfg + config_keys[i].offset);

		free(*field);
		*field = NULL;
	}
}
