/*
 * config.c: `config show|get|set|unset` and `config packages`, the
 * tunables of sdc-docker(5), read and changed through the config service.
 *
 * A tunable lives on the sdc application (data-center-wide), the docker
 * service, or the dockerapi0 instance; what dockerapi sees is their merge,
 * instance last.  `set` writes where the key already lives (the service for
 * a new key), `unset` removes it from there.  Every write sends If-Match
 * with the version it read, so two operators changing the same object at
 * once cannot silently overwrite each other: the second one is told to
 * look again (412).  --if-match pins the version for scripts that read
 * first with `config show --json`.
 */
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "ids.h"
#include "jsonutil.h"
#include "sapi-client/sapi.h"
#include "xalloc.h"

#define CONFIG_APP "sdc"
#define CONFIG_SERVICE "docker"
#define CONFIG_INSTANCE "dockerapi0"

enum { OPT_JSON = 256, OPT_IF_MATCH, OPT_MEMORY, OPT_VCPUS, OPT_DISK, OPT_UUID,
	OPT_MESSAGE, OPT_ETA };

/* The three objects a tunable may live on, freshly read. */
struct config_chain {
	struct sapi_client *c;
	json_t *app, *svc, *inst;       /* inst may be NULL */
};

static const char *const config_levels[] = { "instance", "service", "application" };

static void
chain_free(struct config_chain *ch)
{
	json_decref(ch->app);
	json_decref(ch->svc);
	json_decref(ch->inst);
	sapi_client_free(ch->c);
}

static json_t *
find_one(struct sapi_client *c, enum sapi_object kind, const char *name,
    const char *parent_key, const char *parent, sdc_error_t *err)
{
	const char *filters[] = { "name", name, parent_key, parent, NULL };
	json_t *list, *one = NULL;

	if (parent_key == NULL)
		filters[2] = NULL;
	if ((list = sapi_client_list(c, kind, filters, err)) == NULL)
		return NULL;
	if (json_array_size(list) == 1)
		one = json_incref(json_array_get(list, 0));
	else
		sdc_make_error(err, 0, "SAPI has %zu %s named %s (expected one)",
		    json_array_size(list), sapi_object_path(kind), name);
	json_decref(list);
	return one;
}

static int
chain_read(const struct adm_ctx *ctx, struct config_chain *ch, sdc_error_t *err)
{
	memset(ch, 0, sizeof *ch);
	if ((ch->c = sapi_client_new_tls(ctx->sapi_url, ctx->sapi_cert_path,
	    err)) == NULL)
		return -1;
	ch->app = find_one(ch->c, SAPI_OBJ_APPLICATION, CONFIG_APP, NULL, NULL, err);
	if (ch->app != NULL)
		ch->svc = find_one(ch->c, SAPI_OBJ_SERVICE, CONFIG_SERVICE,
		    "application_uuid", json_str(ch->app, "uuid", ""), err);
	if (ch->svc == NULL) {
		sdc_error_wrap(err, "reading the config from SAPI at %s",
		    sapi_client_url(ch->c));
		chain_free(ch);
		return -1;
	}
	ch->inst = find_one(ch->c, SAPI_OBJ_INSTANCE, CONFIG_INSTANCE,
	    "service_uuid", json_str(ch->svc, "uuid", ""), err);
	sdc_error_release(err);         /* no instance: fine, nothing lives there */
	return 0;
}

/* The object (and its level name) that holds key, innermost first; the
 * service when none does. */
static json_t *
chain_holder(const struct config_chain *ch, const char *key, const char **level,
    enum sapi_object *kind)
{
	json_t *objs[] = { ch->inst, ch->svc, ch->app };
	enum sapi_object kinds[] = { SAPI_OBJ_INSTANCE, SAPI_OBJ_SERVICE, SAPI_OBJ_APPLICATION };

	for (int i = 0; i < 3; i++)
		if (objs[i] != NULL && json_object_get(json_object_get(objs[i],
		    "metadata"), key) != NULL) {
			*level = config_levels[i];
			*kind = kinds[i];
			return objs[i];
		}
	*level = "service";
	*kind = SAPI_OBJ_SERVICE;
	return ch->svc;
}

/* What an operator types becomes JSON when it is JSON, else a string,
 * as with sapiadm. */
static json_t *
parse_value(const char *s)
{
	json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);

	return v != NULL ? v : json_string(s);
}

/* Write `metadata` to obj with `action`, If-Match obj's version (or
 * if_match when given).  A lost race is said plainly. */
static int
chain_write(struct config_chain *ch, enum sapi_object kind, const json_t *obj,
    const char *action, json_t *metadata, json_int_t if_match, sdc_error_t *err)
{
	json_t *body = json_pack("{s:s, s:o}", "action", action, "metadata", metadata);
	json_int_t version = if_match > 0 ? if_match : json_int(obj, "version", 0);
	json_t *r = sapi_client_update(ch->c, kind, json_str(obj, "uuid", ""), body,
	    version, err);

	json_decref(body);
	if (r == NULL && *err != NULL && (*err)->code == 412) {
		sdc_error_release(err);
		return sdc_make_error_code(err, 412, "the %s %s changed since it was "
		    "read (version %lld is stale): look at `config show` again and retry",
		    kind == SAPI_OBJ_APPLICATION ? "application" : kind == SAPI_OBJ_SERVICE ?
		    "service" : "instance", json_str(obj, "name", ""), (long long)version);
	}
	json_decref(r);
	return r != NULL ? 0 : -1;
}

/* --- config show / get --- */

static json_t *
show_rows(const struct config_chain *ch)
{
	json_t *keys = json_object(), *rows = json_array(), *v;
	json_t *schema = json_object_get(json_object_get(ch->app, "metadata_schema"),
	    "properties");
	const char *k, *level;
	enum sapi_object kind;

	json_object_foreach(schema, k, v)
		json_object_set(keys, k, json_true());
	json_t *objs[] = { ch->app, ch->svc, ch->inst };
	for (int i = 0; i < 3; i++)
		json_object_foreach(json_object_get(objs[i], "metadata"), k, v)
			json_object_set(keys, k, json_true());
	json_object_foreach(keys, k, v) {
		json_t *holder = chain_holder(ch, k, &level, &kind);
		json_t *value = json_object_get(json_object_get(holder, "metadata"), k);

		if (value == NULL)
			level = "default";
		json_array_append_new(rows, json_pack("{s:s, s:O, s:s, s:I}", "key", k,
		    "value", value != NULL ? value : json_null(), "from", level,
		    "version", json_int(holder, "version", 0)));
	}
	json_decref(keys);
	return rows;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(json_str(*(json_t *const *)a, "key", ""),
	    json_str(*(json_t *const *)b, "key", ""));
}

static json_t *
sorted(json_t *rows)
{
	size_t n = json_array_size(rows);
	json_t **v = xcalloc(n + 1, sizeof *v), *out = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(rows, i);
	qsort(v, n, sizeof *v, key_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(rows);
	return out;
}

static const struct adm_column show_columns[] = {
	{ "key", "TUNABLE", 0 },
	{ "text", "VALUE", ADM_COL_SHRINK },
	{ "from", "FROM", 0 },
	{ NULL, NULL, 0 }
};

static int
config_parse_common(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv, json_int_t *if_match)
{
	struct adm_opt_state st;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_JSON) {
			ctx->json = true;
		} else if (c == OPT_IF_MATCH && if_match != NULL) {
			*if_match = strtoll(st.arg, NULL, 10);
			if (*if_match <= 0) {
				adm_cmd_usage_error(self, "--if-match takes a version "
				    "number, not '%s'", st.arg);
				return -1;
			}
		} else {
			return -1;
		}
	}
	return st.ind;
}

static int
config_show_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	sdc_error_t err = NULL;
	json_t *rows, *r;
	size_t i;
	int ind = config_parse_common(self, ctx, argc, argv, NULL);

	if (ind < 0)
		return ADM_EXIT_USAGE;
	if (ind != argc)
		return adm_cmd_usage_error(self, "unexpected argument '%s'", argv[ind]);
	if ((rows = adm_config_rows(ctx, &err)) == NULL)
		return adm_fail(self, &err);
	if (ctx->json) {
		adm_output_json(ctx, rows);
	} else {
		json_array_foreach(rows, i, r) {
			char *text = json_text(json_object_get(r, "value"));

			json_object_set_new(r, "text", json_string(text));
			free(text);
		}
		adm_output_list(ctx, show_columns, rows, NULL);
	}
	json_decref(rows);
	return ADM_EXIT_OK;
}

static int
config_get_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct config_chain ch;
	sdc_error_t err = NULL;
	const char *level;
	enum sapi_object kind;
	json_t *holder, *value;
	char *text;
	int ind = config_parse_common(self, ctx, argc, argv, NULL);

	if (ind < 0)
		return ADM_EXIT_USAGE;
	if (ind != argc - 1)
		return adm_cmd_usage_error(self, "expected one KEY");
	if (chain_read(ctx, &ch, &err) < 0)
		return adm_fail(self, &err);
	holder = chain_holder(&ch, argv[ind], &level, &kind);
	value = json_object_get(json_object_get(holder, "metadata"), argv[ind]);
	if (value == NULL) {
		chain_free(&ch);
		adm_cmd_warn(self, "%s is not set", argv[ind]);
		return ADM_EXIT_FAIL;
	}
	/* A string prints bare, so `$(sdcadm-docker config get X)` is usable. */
	if (json_is_string(value) && !ctx->json)
		fprintf(ctx->out, "%s\n", json_string_value(value));
	else {
		text = json_dumps(value, JSON_ENCODE_ANY | JSON_INDENT(2));
		fprintf(ctx->out, "%s\n", text);
		free(text);
	}
	chain_free(&ch);
	return ADM_EXIT_OK;
}

/* The rows of `config show`, sorted by key; for the TUI too. */
json_t *
adm_config_rows(const struct adm_ctx *ctx, sdc_error_t *err)
{
	struct config_chain ch;
	json_t *rows;

	if (chain_read(ctx, &ch, err) < 0)
		return NULL;
	rows = sorted(show_rows(&ch));
	chain_free(&ch);
	return rows;
}

/* --- config set / unset --- */

/* Set KEY=VALUE pairs: grouped by the object that holds each key, each
 * object written once.  For `config set` and the TUI's edit. */
int
adm_config_set(const struct adm_ctx *ctx, char *const *pairs, int n,
    json_int_t if_match, sdc_error_t *err)
{
	struct config_chain ch;
	json_t *per[3] = { NULL, NULL, NULL };
	enum sapi_object kinds[3] = { SAPI_OBJ_INSTANCE, SAPI_OBJ_SERVICE, SAPI_OBJ_APPLICATION };
	int rc = 0;

	if (chain_read(ctx, &ch, err) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(pairs[i], '=');
		char *key = xstrndup(pairs[i], (size_t)(eq - pairs[i]));
		const char *level;
		enum sapi_object kind;
		int slot;

		chain_holder(&ch, key, &level, &kind);
		slot = kind == SAPI_OBJ_INSTANCE ? 0 : kind == SAPI_OBJ_SERVICE ? 1 : 2;
		if (per[slot] == NULL)
			per[slot] = json_object();
		json_object_set_new(per[slot], key, parse_value(eq + 1));
		free(key);
	}
	json_t *objs[3] = { ch.inst, ch.svc, ch.app };
	for (int s = 0; s < 3 && rc == 0; s++)
		if (per[s] != NULL && chain_write(&ch, kinds[s], objs[s], "update",
		    json_incref(per[s]), if_match, err) < 0)
			rc = -1;
	for (int s = 0; s < 3; s++)
		json_decref(per[s]);
	chain_free(&ch);
	return rc;
}

static int
config_set_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	sdc_error_t err = NULL;
	json_int_t if_match = 0;
	int ind = config_parse_common(self, ctx, argc, argv, &if_match);

	if (ind < 0)
		return ADM_EXIT_USAGE;
	if (ind >= argc)
		return adm_cmd_usage_error(self, "expected KEY=VALUE");
	for (int i = ind; i < argc; i++)
		if (strchr(argv[i], '=') == NULL || argv[i][0] == '=')
			return adm_cmd_usage_error(self, "'%s' is not KEY=VALUE", argv[i]);
	if (adm_config_set(ctx, argv + ind, argc - ind, if_match, &err) < 0)
		return adm_fail(self, &err);
	return ADM_EXIT_OK;
}

static int
config_unset_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct config_chain ch;
	sdc_error_t err = NULL;
	json_int_t if_match = 0;
	const char *level;
	enum sapi_object kind;
	json_t *holder;
	int ind = config_parse_common(self, ctx, argc, argv, &if_match), rc = ADM_EXIT_OK;

	if (ind < 0)
		return ADM_EXIT_USAGE;
	if (ind != argc - 1)
		return adm_cmd_usage_error(self, "expected one KEY");
	if (chain_read(ctx, &ch, &err) < 0)
		return adm_fail(self, &err);
	holder = chain_holder(&ch, argv[ind], &level, &kind);
	if (json_object_get(json_object_get(holder, "metadata"), argv[ind]) == NULL) {
		adm_cmd_warn(self, "%s is not set", argv[ind]);
		rc = ADM_EXIT_FAIL;
	} else if (chain_write(&ch, kind, holder, "delete",
	    json_pack("{s:n}", argv[ind]), if_match, &err) < 0)
		rc = adm_fail(self, &err);
	chain_free(&ch);
	return rc;
}

/* --- config packages --- */

static const struct adm_column package_columns[] = {
	{ "name", "NAME", 0 },
	{ "memory", "MEMORY_MIB", ADM_COL_RIGHT },
	{ "vcpus", "VCPUS", ADM_COL_RIGHT },
	{ "disk", "DISK_MIB", ADM_COL_RIGHT },
	{ "uuid", "UUID", ADM_COL_SHRINK },
	{ NULL, NULL, 0 }
};

static int
packages_list_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct config_chain ch;
	sdc_error_t err = NULL;
	const char *level;
	enum sapi_object kind;
	json_t *pkgs, *rows, *p;
	size_t i;
	int ind = config_parse_common(self, ctx, argc, argv, NULL);

	if (ind < 0)
		return ADM_EXIT_USAGE;
	if (ind != argc)
		return adm_cmd_usage_error(self, "unexpected argument '%s'", argv[ind]);
	if (chain_read(ctx, &ch, &err) < 0)
		return adm_fail(self, &err);
	pkgs = json_object_get(json_object_get(chain_holder(&ch, "PACKAGES", &level,
	    &kind), "metadata"), "PACKAGES");
	if (ctx->json) {
		adm_output_json(ctx, pkgs != NULL ? pkgs : json_array());
	} else {
		rows = json_array();
		json_array_foreach(pkgs, i, p) {
			json_t *r = json_deep_copy(p);
			char vc[32];

			snprintf(vc, sizeof vc, "%g", json_number_value(json_object_get(p, "vcpus")));
			json_object_set_new(r, "vcpus", json_string(vc));
			json_array_append_new(rows, r);
		}
		adm_output_list(ctx, package_columns, rows, NULL);
		json_decref(rows);
	}
	chain_free(&ch);
	return ADM_EXIT_OK;
}

/* Read PACKAGES, let fn change the copy, write it back If-Match. */
static int
packages_change(const struct adm_cmd_entry *self, const struct adm_ctx *ctx,
    int (*fn)(json_t *pkgs, void *arg, sdc_error_t *err), void *arg)
{
	struct config_chain ch;
	sdc_error_t err = NULL;
	const char *level;
	enum sapi_object kind;
	json_t *holder, *pkgs;
	int rc = ADM_EXIT_OK;

	if (chain_read(ctx, &ch, &err) < 0)
		return adm_fail(self, &err);
	holder = chain_holder(&ch, "PACKAGES", &level, &kind);
	pkgs = json_deep_copy(json_object_get(json_object_get(holder, "metadata"), "PACKAGES"));
	if (pkgs == NULL)
		pkgs = json_array();
	if (fn(pkgs, arg, &err) < 0 || chain_write(&ch, kind, holder, "update",
	    json_pack("{s:o}", "PACKAGES", pkgs), 0, &err) < 0)
		rc = adm_fail(self, &err);
	else
		pkgs = NULL;
	json_decref(pkgs);
	chain_free(&ch);
	return rc;
}

static int
package_insert(json_t *pkgs, void *arg, sdc_error_t *err)
{
	json_t *pkg = arg, *p;
	size_t i, at = json_array_size(pkgs);

	json_array_foreach(pkgs, i, p) {
		if (strcmp(json_str(p, "name", ""), json_str(pkg, "name", "")) == 0)
			return sdc_make_error(err, 0, "a package named %s exists already",
			    json_str(pkg, "name", ""));
		if (at == json_array_size(pkgs) &&
		    json_int(p, "memory", 0) > json_int(pkg, "memory", 0))
			at = i;
	}
	/* Kept smallest first: the order packages are chosen in. */
	json_array_insert(pkgs, at, pkg);
	return 0;
}

static int
package_delete(json_t *pkgs, void *arg, sdc_error_t *err)
{
	const char *name = arg;
	json_t *p;
	size_t i;

	json_array_foreach(pkgs, i, p)
		if (strcmp(json_str(p, "name", ""), name) == 0 ||
		    strcmp(json_str(p, "uuid", ""), name) == 0) {
			json_array_remove(pkgs, i);
			return 0;
		}
	return sdc_make_error(err, 0, "no package named %s", name);
}

static int
positive(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return *s != '\0' && *end == '\0' && *out > 0 ? 0 : -1;
}

static int
packages_add_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct adm_opt_state st;
	double memory = 0, vcpus = 0, disk = 0;
	char uuid[37] = "";
	json_t *pkg;
	int c, rc;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		double *target = c == OPT_MEMORY ? &memory : c == OPT_VCPUS ? &vcpus :
		    c == OPT_DISK ? &disk : NULL;

		if (c == OPT_UUID)
			snprintf(uuid, sizeof uuid, "%s", st.arg);
		else if (target == NULL)
			return ADM_EXIT_USAGE;
		else if (positive(st.arg, target) < 0)
			return adm_cmd_usage_error(self, "--%s takes a positive number, not '%s'",
			    c == OPT_MEMORY ? "memory" : c == OPT_VCPUS ? "vcpus" : "disk", st.arg);
	}
	if (st.ind != argc - 1)
		return adm_cmd_usage_error(self, "expected one NAME");
	if (memory == 0 || vcpus == 0 || disk == 0)
		return adm_cmd_usage_error(self, "--memory, --vcpus and --disk are required");
	if (*uuid == '\0')
		uuid_make(uuid);
	pkg = json_pack("{s:s, s:s, s:I, s:f, s:I}", "name", argv[st.ind], "uuid", uuid,
	    "memory", (json_int_t)memory, "vcpus", vcpus, "disk", (json_int_t)disk);
	rc = packages_change(self, ctx, package_insert, pkg);
	json_decref(pkg);
	return rc;
}

static int
packages_remove_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-')
		return adm_cmd_usage_error(self, "expected one NAME");
	return packages_change(self, ctx, package_delete, argv[1]);
}

/* --- maint --- */

static int
maint_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv, bool on)
{
	struct adm_opt_state st;
	struct config_chain ch;
	sdc_error_t err = NULL;
	const char *msg = NULL, *eta = NULL;
	json_t *md;
	int c, rc = ADM_EXIT_OK;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_MESSAGE)
			msg = st.arg;
		else if (c == OPT_ETA)
			eta = st.arg;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc)
		return adm_cmd_usage_error(self, "unexpected argument '%s'", argv[st.ind]);
	if (chain_read(ctx, &ch, &err) < 0)
		return adm_fail(self, &err);
	md = json_pack("{s:b}", "DOCKER_READONLY", on);
	if (msg != NULL)
		json_object_set_new(md, "DC_MAINT_MESSAGE", json_string(msg));
	if (on || eta != NULL)
		json_object_set_new(md, "DC_MAINT_ETA", json_string(eta != NULL ? eta : ""));
	if (chain_write(&ch, SAPI_OBJ_SERVICE, ch.svc, "update", md, 0, &err) < 0)
		rc = adm_fail(self, &err);
	else
		fprintf(ctx->out, "maintenance %s\n", on ? "on: writes are refused (503)" :
		    "off: writes are accepted");
	chain_free(&ch);
	return rc;
}

static int
maint_on_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	return maint_exec(self, ctx, argc, argv, true);
}

static int
maint_off_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	return maint_exec(self, ctx, argc, argv, false);
}

static const struct option show_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static const struct option set_options[] = {
	{ "if-match", required_argument, NULL, OPT_IF_MATCH },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static const struct option package_options[] = {
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "uuid", required_argument, NULL, OPT_UUID },
	{ NULL, 0, NULL, 0 }
};

static const struct option maint_options[] = {
	{ "message", required_argument, NULL, OPT_MESSAGE },
	{ "eta", required_argument, NULL, OPT_ETA },
	{ NULL, 0, NULL, 0 }
};

const struct adm_cmd_entry adm_cmd_config_show_entry = {
	.name = "config show", .usage = "[--json]",
	.help = "Shows every tunable, its value, and where it comes from (instance,\n"
	    "service, application, or default when unset).  See sdc-docker-config(5).\n",
	.flags = ADM_CMD_NEEDS_SAPI, .opts = show_options, .exec = config_show_exec,
};

const struct adm_cmd_entry adm_cmd_config_get_entry = {
	.name = "config get", .usage = "KEY [--json]",
	.help = "Prints one tunable's value (strings bare, anything else as JSON).\n",
	.flags = ADM_CMD_NEEDS_SAPI, .opts = show_options, .exec = config_get_exec,
};

const struct adm_cmd_entry adm_cmd_config_set_entry = {
	.name = "config set", .usage = "KEY=VALUE... [--if-match VERSION]",
	.help = "Sets tunables where they live (the service for new ones).  VALUE is\n"
	    "JSON when it parses as JSON (true, 42, [\"a\"]), else a string.  The\n"
	    "write carries If-Match: if someone changed the object since it was\n"
	    "read (or since VERSION), nothing is written and the exit status is 1.\n"
	    "dockerapi applies the change within a second, without a restart.\n",
	.flags = ADM_CMD_NEEDS_SAPI, .opts = set_options, .exec = config_set_exec,
};

const struct adm_cmd_entry adm_cmd_config_unset_entry = {
	.name = "config unset", .usage = "KEY [--if-match VERSION]",
	.help = "Removes a tunable from the object that sets it.\n",
	.flags = ADM_CMD_NEEDS_SAPI, .opts = set_options, .exec = config_unset_exec,
};

const struct adm_cmd_entry adm_cmd_config_packages_list_entry = {
	.name = "config packages list", .usage = "[--json]",
	.help = "Lists the packages (PACKAGES), smallest first.\n",
	.flags = ADM_CMD_NEEDS_SAPI, .opts = show_options, .exec = packages_list_exec,
};

const struct adm_cmd_entry adm_cmd_config_packages_add_entry = {
	.name = "config packages add",
	.usage = "NAME --memory MIB --vcpus N --disk MIB [--uuid UUID]",
	.help = "Adds a package, kept in memory order.  vcpus may be a fraction.\n",
	.flags = ADM_CMD_NEEDS_SAPI, .opts = package_options, .exec = packages_add_exec,
};

const struct adm_cmd_entry adm_cmd_config_packages_remove_entry = {
	.name = "config packages remove", .usage = "NAME|UUID",
	.help = "Removes a package.  Running containers keep their limits.\n",
	.flags = ADM_CMD_NEEDS_SAPI, .exec = packages_remove_exec,
};

const struct adm_cmd_entry adm_cmd_maint_on_entry = {
	.name = "maint on", .usage = "[--message M] [--eta ISO-8601-TIME]",
	.help = "Maintenance mode: dockerapi answers every write 503 with the message\n"
	    "and a Retry-After (DOCKER_READONLY, DC_MAINT_MESSAGE, DC_MAINT_ETA).\n",
	.flags = ADM_CMD_NEEDS_SAPI, .opts = maint_options, .exec = maint_on_exec,
};

const struct adm_cmd_entry adm_cmd_maint_off_entry = {
	.name = "maint off", .usage = "",
	.help = "Ends maintenance mode.\n",
	.flags = ADM_CMD_NEEDS_SAPI, .exec = maint_off_exec,
};
