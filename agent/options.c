/*
 * options.c: the agent's settings: embedded defaults, then a YAML file
 * (yamlconf), then flags (main.c).
 *
 * With no file the agent starts beside a head on one machine: its data
 * in <top>/var/agent run from a source tree (else XDG's state folder),
 * the head's own SQLite file as its store (<top>/var/dockerapi/
 * dockerapi.db), its certificates in DATA/tls (sdc-docker-certgen
 * `node`), the head's networking state beside its store (<top>/var/
 * dockerapi/net), where the node's networks across nodes are made
 * (netsync.c).  The API is on TCP and always mutual TLS: whoever reaches it
 * runs containers on the node, so there is no plain listener to fall
 * back to.  Unknown keys are refused, so a typo does not pass silently
 * for a default.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"
#include "yamlconf.h"

static void
agent_options_defaults(struct agent_options *o)
{
	char *head = fs_state_dir("dockerapi");

	memset(o, 0, sizeof *o);
	o->log_level = LOG_INFO;
	o->heartbeat_ms = 5000;
	o->listen = xstrdup("127.0.0.1:2380");
	o->data_dir = fs_state_dir("agent");
	xasprintf(&o->store, "%s/dockerapi.db", head);
	o->zones = xstrdup("/zones");
	/* on one machine, the head's own layer store, volumes and network */
	xasprintf(&o->images, "%s/images/layers", head);
	xasprintf(&o->volumes, "%s/volumes", head);
	xasprintf(&o->net_dir, "%s/net", head);
	o->runtime = xstrdup("runc");
	o->netsync_ms = 5000;
	o->layer_idle_ms = 24 * 3600 * 1000LL;
	o->orphan_grace_ms = 60 * 1000;
	o->exec_keep_ms = 3600 * 1000;
	free(head);
}

/* The settings that are strings, and where each goes. */
static char **
agent_options_field(struct agent_options *o, const char *key)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "listen", offsetof(struct agent_options, listen) },
		{ "address", offsetof(struct agent_options, address) },
		{ "tls_cert", offsetof(struct agent_options, tls_cert) },
		{ "tls_key", offsetof(struct agent_options, tls_key) },
		{ "tls_client_ca", offsetof(struct agent_options, tls_client_ca) },
		{ "data_dir", offsetof(struct agent_options, data_dir) },
		{ "store", offsetof(struct agent_options, store) },
		{ "zones", offsetof(struct agent_options, zones) },
		{ "images", offsetof(struct agent_options, images) },
		{ "volumes", offsetof(struct agent_options, volumes) },
		{ "net_dir", offsetof(struct agent_options, net_dir) },
		{ "runtime", offsetof(struct agent_options, runtime) },
		{ "hostname", offsetof(struct agent_options, hostname) },
		{ "vtep", offsetof(struct agent_options, vtep) },
	};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].key, key) == 0)
			return (char **)((char *)o + keys[i].off);
	return NULL;
}

/* An interval setting: seconds, a fraction allowed (tests beat fast). */
static int
agent_options_seconds(const char *key, const char *text, int64_t *ms,
    sdc_error_t *err)
{
	char *end;
	double v = strtod(text, &end);

	if (*text == '\0' || *end != '\0' || !(v >= 0.05 && v <= 3600))
		return sdc_make_error(err, 0, "%s \"%s\": seconds between "
		    "0.05 and 3600", key, text);
	*ms = (int64_t)(v * 1000 + 0.5);
	return 0;
}

int
agent_options_interval(struct agent_options *o, const char *text,
    sdc_error_t *err)
{
	return agent_options_seconds("heartbeat_interval", text,
	    &o->heartbeat_ms, err);
}

int
agent_options_netsync_interval(struct agent_options *o, const char *text,
    sdc_error_t *err)
{
	return agent_options_seconds("netsync_interval", text, &o->netsync_ms,
	    err);
}

int
agent_options_layer_idle(struct agent_options *o, const char *text,
    sdc_error_t *err)
{
	char *end;
	double v = strtod(text, &end);

	if (*text == '\0' || *end != '\0' || !(v == 0 || (v >= 0.05 &&
	    v <= 30 * 24 * 3600)))
		return sdc_make_error(err, 0, "layer_idle \"%s\": seconds a "
		    "layer no container uses is kept, 0.05 to 30 days (0: "
		    "for ever)", text);
	o->layer_idle_ms = (int64_t)(v * 1000 + 0.5);
	return 0;
}

int
agent_options_orphan_grace(struct agent_options *o, const char *text,
    sdc_error_t *err)
{
	return agent_options_seconds("orphan_grace", text,
	    &o->orphan_grace_ms, err);
}

int
agent_options_exec_keep(struct agent_options *o, const char *text,
    sdc_error_t *err)
{
	char *end;
	double v = strtod(text, &end);

	if (*text == '\0' || *end != '\0' || !(v >= 0.05 &&
	    v <= 30 * 24 * 3600))
		return sdc_make_error(err, 0, "exec_keep \"%s\": seconds a "
		    "finished exec's folder is kept, 0.05 to 30 days", text);
	o->exec_keep_ms = (int64_t)(v * 1000 + 0.5);
	return 0;
}

/* One setting of the file (yaml_load_settings' callback). */
static int
agent_options_set(void *arg, const char *key, const json_t *v,
    sdc_error_t *err)
{
	struct agent_options *o = arg;
	char **field = agent_options_field(o, key), num[64];

	if (field != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return sdc_make_error(err, 0, "%s must be a non-empty "
			    "string", key);
		free(*field);
		*field = xstrdup(json_string_value(v));
		return 0;
	}
	if (strcmp(key, "heartbeat_interval") == 0 ||
	    strcmp(key, "netsync_interval") == 0 ||
	    strcmp(key, "orphan_grace") == 0) {
		if (!json_is_number(v))
			return sdc_make_error(err, 0, "%s must be a number of "
			    "seconds", key);
		snprintf(num, sizeof num, "%g", json_number_value(v));
		return key[0] == 'h' ? agent_options_interval(o, num, err) :
		    key[0] == 'o' ? agent_options_orphan_grace(o, num, err) :
		    agent_options_netsync_interval(o, num, err);
	}
	if (strcmp(key, "layer_idle") == 0 || strcmp(key, "exec_keep") == 0) {
		if (!json_is_number(v))
			return sdc_make_error(err, 0, "%s must be a number of "
			    "seconds", key);
		snprintf(num, sizeof num, "%g", json_number_value(v));
		return key[0] == 'l' ? agent_options_layer_idle(o, num, err) :
		    agent_options_exec_keep(o, num, err);
	}
	if (strcmp(key, "log_level") == 0) {
		if (!json_is_string(v) ||
		    (o->log_level = log_level_parse(json_string_value(v))) < 0)
			return sdc_make_error(err, 0, "log_level must be one of "
			    "trace, debug, info, warn, error, fatal");
		return 0;
	}
	return sdc_make_error(err, 0, "unknown setting \"%s\"", key);
}

int
agent_options_load(struct agent_options *o, const char *path, sdc_error_t *err)
{
	agent_options_defaults(o);
	if (path == NULL)
		return 0;
	return yaml_load_settings(path, agent_options_set, o, err);
}

/* Set a string setting from a flag. */
void
agent_options_flag(struct agent_options *o, const char *key, const char *value)
{
	char **field = agent_options_field(o, key);

	free(*field);
	*field = xstrdup(value);
}

int
agent_options_finish(struct agent_options *o, sdc_error_t *err)
{
	char host[256];
	struct in_addr a;

	if (strncmp(o->listen, "unix:", 5) == 0)
		return sdc_make_error(err, 0, "listen %s: the agent's API is for "
		    "heads on other machines: HOST:PORT, with mutual TLS",
		    o->listen);
	if (o->tls_cert == NULL)
		xasprintf(&o->tls_cert, "%s/tls/node-cert.pem", o->data_dir);
	if (o->tls_key == NULL)
		xasprintf(&o->tls_key, "%s/tls/node-key.pem", o->data_dir);
	if (o->tls_client_ca == NULL)
		xasprintf(&o->tls_client_ca, "%s/tls/ca.pem", o->data_dir);
	if (o->vtep != NULL && (inet_pton(AF_INET, o->vtep, &a) != 1 ||
	    a.s_addr == htonl(INADDR_ANY)))
		return sdc_make_error(err, 0, "vtep \"%s\": the node's IPv4 "
		    "address on the data center's network", o->vtep);
	if (o->hostname == NULL) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		o->hostname = xstrdup(host);
	}
	return 0;
}

const char *
agent_options_vtep(struct agent_options *o)
{
	struct in_addr a;
	const char *colon;
	char host[INET_ADDRSTRLEN];

	if (o->vtep != NULL || o->address == NULL)
		return o->vtep;
	if ((colon = strrchr(o->address, ':')) == NULL ||
	    (size_t)(colon - o->address) >= sizeof host)
		return NULL;
	memcpy(host, o->address, (size_t)(colon - o->address));
	host[colon - o->address] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1 || a.s_addr == htonl(INADDR_ANY))
		return NULL;
	o->vtep = xstrdup(host);
	return o->vtep;
}

void
agent_options_free(struct agent_options *o)
{
	static const char *const keys[] = { "listen", "address", "tls_cert",
		"tls_key", "tls_client_ca", "data_dir", "store", "zones",
		"images", "volumes", "net_dir",
		"runtime", "hostname", "vtep" };

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char **f = agent_options_field(o, keys[i]);

		free(*f);
		*f = NULL;
	}
}
