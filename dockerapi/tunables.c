/*
 * tunables.c: the config service's metadata, live.
 *
 * Three sources, best first: SAPI itself, the cache of the last config
 * SAPI gave (<data>/sapi-cache.json), and the defaults built into the
 * binary, which are the docker service's metadata in the very bootstrap
 * file sapi starts from (etc/sapi-bootstrap.yaml, embedded at build time),
 * so the two can never disagree about a default.  Those defaults lie under
 * whatever SAPI says, so a key SAPI lacks has its documented default, not
 * one a caller spelled again; and a number outside the range the file's
 * metadata_schema gives (a negative DEFAULT_MAX_LOG_SIZE, in a cache
 * written before SAPI refused it) is logged and replaced by its default.
 *
 * libsapi's watch long-polls on its own thread; its fd becomes readable
 * when a new config is there, and an event on the loop takes it and swaps
 * it in.  A handler therefore always sees one whole config, and the next
 * request after a change sees the new one.  Modules that must react to a
 * change (running containers' log sizes) register a callback.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "dockerapi.h"
#include "jsonutil.h"
#include "log.h"
#include "sapi-client/sapi.h"
#include "xalloc.h"
#include "yamlconf.h"

/* etc/sapi-bootstrap.yaml, made into a C string by the Makefile. */
extern const char tunables_bootstrap_yaml[];

#define TUNABLES_MAX_HOOKS 8

struct tunables {
	json_t *current;        /* the merged metadata */
	json_t *defaults;       /* the bootstrap file's, for every key */
	json_t *schema;         /* its metadata_schema's properties */
	const char *source;     /* "sapi", "cache" or "defaults" */
	struct sapi_watch *watch;
	struct event *ev;
	char *cache_path;
	struct {
		tunables_change_fn fn;
		void *arg;
	} hooks[TUNABLES_MAX_HOOKS];
	int nhooks;
};

static json_t *
find_named(const json_t *list, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (strcmp(json_str(v, "name", ""), name) == 0)
			return v;
	return NULL;
}

/* The sdc application's metadata with the docker service's over it: what
 * SAPI would merge for our instance before anyone changed anything. */
json_t *
tunables_bootstrap(json_t **schema)
{
	sdc_error_t err = NULL;
	json_t *doc, *app, *svc, *out = json_object();

	*schema = json_object();

	doc = yaml_load_string(tunables_bootstrap_yaml, strlen(tunables_bootstrap_yaml), &err);
	if (doc == NULL) {
		/* The file is part of the build; a broken one is a build bug. */
		log_error("built-in defaults unreadable: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return out;
	}
	app = find_named(json_object_get(doc, "applications"), "sdc");
	svc = find_named(json_object_get(app, "services"), "docker");
	if (json_is_object(json_object_get(app, "metadata")))
		json_object_update(out, json_object_get(app, "metadata"));
	if (json_is_object(json_object_get(svc, "metadata")))
		json_object_update(out, json_object_get(svc, "metadata"));
	json_object_update(*schema, json_object_get(json_object_get(app,
	    "metadata_schema"), "properties"));
	json_decref(doc);
	return out;
}

/* v as tunable_int and capacity.c read it (a number, or a string of one). */
static bool
tunables_number(const json_t *v, double *n)
{
	const char *s = json_string_value(v);
	char *end;

	if (json_is_number(v)) {
		*n = json_number_value(v);
		return true;
	}
	if (s == NULL || *s == '\0')
		return false;
	*n = strtod(s, &end);
	return *end == '\0';
}

/* Replace each number outside its schema's minimum..maximum by the
 * default, with a line in the log naming both. */
static void
tunables_check_ranges(const struct tunables *t, json_t *md)
{
	const char *k;
	json_t *sch;
	double n;

	json_object_foreach(t->schema, k, sch) {
		const json_t *min = json_object_get(sch, "minimum");
		const json_t *max = json_object_get(sch, "maximum");
		json_t *v = json_object_get(md, k), *def;
		char *text;

		if ((min == NULL && max == NULL) || !tunables_number(v, &n) ||
		    ((min == NULL || n >= json_number_value(min)) &&
		    (max == NULL || n <= json_number_value(max))))
			continue;
		def = json_object_get(t->defaults, k);
		text = json_text(v);
		log_warn("tunable %s=%s is out of range (%s %g): using the "
		    "default", k, text, min != NULL && n < json_number_value(min)
		    ? "minimum" : "maximum", min != NULL &&
		    n < json_number_value(min) ? json_number_value(min) :
		    json_number_value(max));
		free(text);
		if (def != NULL)
			json_object_set(md, k, def);
		else
			json_object_del(md, k);
	}
}

const json_t *
tunables_get(const struct dockerapi *d)
{
	return d->tun->current;
}

const char *
tunables_source(const struct dockerapi *d)
{
	return d->tun->source;
}

const char *
tunable_str(const struct dockerapi *d, const char *key, const char *def)
{
	return json_str(d->tun->current, key, def);
}

/* Operators type values into sapiadm; accept "true" as well as true. */
bool
tunable_bool(const struct dockerapi *d, const char *key, bool def)
{
	json_t *v = json_object_get(d->tun->current, key);
	const char *s = json_string_value(v);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0))
		return true;
	if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "0") == 0))
		return false;
	return def;
}

json_int_t
tunable_int(const struct dockerapi *d, const char *key, json_int_t def)
{
	json_t *v = json_object_get(d->tun->current, key);
	const char *s = json_string_value(v);
	char *end;
	long long n;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (json_int_t)json_real_value(v);
	if (s != NULL) {
		n = strtoll(s, &end, 10);
		if (*s != '\0' && *end == '\0')
			return n;
	}
	return def;
}

void
tunables_on_change(struct dockerapi *d, tunables_change_fn fn, void *arg)
{
	struct tunables *t = d->tun;

	if (t->nhooks < TUNABLES_MAX_HOOKS) {
		t->hooks[t->nhooks].fn = fn;
		t->hooks[t->nhooks].arg = arg;
		t->nhooks++;
	}
}

/* The names of the keys whose values differ, for the log. */
static json_t *
changed_keys(const json_t *old, const json_t *new)
{
	json_t *keys = json_array(), *v;
	const char *k;

	json_object_foreach((json_t *)new, k, v)
		if (!json_equal(v, json_object_get(old, k)))
			json_array_append_new(keys, json_string(k));
	json_object_foreach((json_t *)old, k, v)
		if (json_object_get(new, k) == NULL)
			json_array_append_new(keys, json_string(k));
	return keys;
}

void
tunables_apply(struct dockerapi *d, json_t *metadata, const char *source)
{
	struct tunables *t = d->tun;
	json_t *old = t->current, *fields;

	if (!json_is_object(metadata)) {
		json_decref(metadata);
		return;
	}
	if (t->defaults != NULL) {
		json_t *all = json_deep_copy(t->defaults);

		json_object_update(all, metadata);
		json_decref(metadata);
		metadata = all;
		tunables_check_ranges(t, metadata);
	}
	t->source = source;
	if (old != NULL && json_equal(old, metadata)) {
		json_decref(metadata);
		return;
	}
	t->current = metadata;
	if (old != NULL) {
		fields = json_pack("{s:o, s:s}", "changed", changed_keys(old, metadata),
		    "source", source);
		log_emit(LOG_INFO, NULL, fields, "tunables changed");
		json_decref(fields);
		for (int i = 0; i < t->nhooks; i++)
			t->hooks[i].fn(d, t->hooks[i].arg);
	}
	json_decref(old);
}

static void
take_config(struct dockerapi *d)
{
	bool from_cache = false;
	char *etag = NULL;
	json_t *config = sapi_watch_take(d->tun->watch, &etag, &from_cache);

	free(etag);
	if (config == NULL)
		return;
	if (from_cache && strcmp(d->tun->source, "sapi") == 0) {
		/* We already have what SAPI said; the cache is older or equal. */
		json_decref(config);
		return;
	}
	if (from_cache)
		log_warn("SAPI is not answering yet: serving on the cached config");
	tunables_apply(d, json_incref(json_object_get(config, "metadata")),
	    from_cache ? "cache" : "sapi");
	json_decref(config);
}

static void
on_watch_ready(evutil_socket_t fd, short what, void *arg)
{
	take_config(arg);
}

static void
on_watch_error(const struct sdc_error *err, void *arg)
{
	/* Runs on the watch thread: only log, which is one write(2). */
	log_emit(LOG_WARN, NULL, NULL, "SAPI watch: %s", err->msg);
}

/* Ask SAPI once, briefly, so that start-up settings (USE_TLS) come from
 * it when it is up; the watch takes over from there. */
static void
tunables_first_fetch(struct dockerapi *d)
{
	struct sapi_client *c;
	sdc_error_t err = NULL;
	char uuid[37], *etag = NULL;
	json_t *config = NULL;

	c = sapi_client_new_tls(d->cfg.sapi_url, d->cfg.sapi_cert_path, &err);
	if (c != NULL) {
		sapi_client_set_timeout(c, 2000);
		if (sapi_client_find_instance(c, d->cfg.sapi_instance, uuid, &err) == 0 &&
		    sapi_client_config(c, uuid, NULL, 0, &config, &etag, &err) == 1) {
			tunables_apply(d, json_incref(json_object_get(config, "metadata")), "sapi");
			if (sapi_cache_write(d->tun->cache_path, config, etag, uuid, &err) < 0)
				log_warn("%s", sdc_error_msg(err));
		}
		sapi_client_free(c);
	}
	if (err != NULL)
		log_warn("SAPI at %s: %s", d->cfg.sapi_url, sdc_error_msg(err));
	sdc_error_release(&err);
	json_decref(config);
	free(etag);
}

void
tunables_init(struct dockerapi *d)
{
	struct tunables *t = xcalloc(1, sizeof *t);

	d->tun = t;
	xasprintf(&t->cache_path, "%s/sapi-cache.json", d->cfg.data_dir);
	t->defaults = tunables_bootstrap(&t->schema);
	tunables_apply(d, json_deep_copy(t->defaults), "defaults");
}

int
tunables_start(struct dockerapi *d, sdc_error_t *err)
{
	struct tunables *t;
	struct sapi_watch_options o = { 0 };

	tunables_init(d);
	t = d->tun;
	tunables_first_fetch(d);

	o.url = d->cfg.sapi_url;
	o.cert_path = d->cfg.sapi_cert_path;
	o.instance_name = d->cfg.sapi_instance;
	o.cache_path = t->cache_path;
	o.on_error = on_watch_error;
	o.arg = d;
	t->watch = sapi_watch_start(&o, err);
	if (t->watch == NULL)
		return sdc_error_wrap(err, "watching SAPI");
	/* The cache, if SAPI did not answer just now. */
	if (strcmp(t->source, "sapi") != 0)
		take_config(d);
	t->ev = event_new(d->base, sapi_watch_fd(t->watch), EV_READ | EV_PERSIST,
	    on_watch_ready, d);
	event_add(t->ev, NULL);
	if (strcmp(t->source, "defaults") == 0)
		log_warn("no SAPI and no cached config: serving on built-in defaults");
	return 0;
}

void
tunables_stop(struct dockerapi *d)
{
	struct tunables *t = d->tun;

	if (t == NULL)
		return;
	if (t->ev != NULL)
		event_free(t->ev);
	if (t->watch != NULL)
		sapi_watch_stop(t->watch);
	json_decref(t->current);
	json_decref(t->defaults);
	json_decref(t->schema);
	free(t->cache_path);
	free(t);
	d->tun = NULL;
}
