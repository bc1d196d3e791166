/*
 * containers-json.c: GET /containers/json (ps) and GET /containers/:id/json
 * (inspect), both from memory.
 *
 * ps is the call clients make most (compose and the CLI poll it), so it
 * reads nothing from disk unless the client asks for sizes: the states
 * are those the watchers keep, and the rows were loaded at start.  Its
 * answer is written as text: what never changes of an entry is kept as
 * JSON text on the container, and only state and status are added.
 * Filters (id, name, label, status, exited, ancestor, since, before)
 * take both of Docker's encodings, {"label": ["a=b"]} and the old
 * {"label": {"a=b": true}}.
 */
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "containers.h"
#include "size-walk.h"
#include "jsonutil.h"
#include "networks.h"
#include "nodes.h"
#include "xalloc.h"
#include "dockerapi/runtime/container-layout.h"

/* --- ps --- */

/* Docker's HumanDuration. */
static void
list_duration(char *out, size_t len, int64_t secs)
{
	int64_t m = secs / 60, h = m / 60;

	if (secs < 1)
		snprintf(out, len, "Less than a second");
	else if (secs == 1)
		snprintf(out, len, "1 second");
	else if (secs < 60)
		snprintf(out, len, "%lld seconds", (long long)secs);
	else if (m == 1)
		snprintf(out, len, "About a minute");
	else if (m < 60)
		snprintf(out, len, "%lld minutes", (long long)m);
	else if (h == 1)
		snprintf(out, len, "About an hour");
	else if (h < 48)
		snprintf(out, len, "%lld hours", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(out, len, "%lld days", (long long)(h / 24));
	else if (h < 24 * 30 * 2)
		snprintf(out, len, "%lld weeks", (long long)(h / 24 / 7));
	else if (h < 24 * 365 * 2)
		snprintf(out, len, "%lld months", (long long)(h / 24 / 30));
	else
		snprintf(out, len, "%lld years", (long long)(h / 24 / 365));
}

static void
list_status(const struct ctr *c, char *out, size_t len)
{
	time_t now = time(NULL);
	char d[64];

	switch (c->st.status) {
	case RT_CREATED:
		snprintf(out, len, "Created");
		break;
	case RT_RUNNING:
	case RT_PAUSED:
		list_duration(d, sizeof d, now - c->st.started_at.tv_sec);
		snprintf(out, len, "Up %s%s", d, c->st.status == RT_PAUSED ?
		    " (Paused)" : "");
		break;
	case RT_EXITED:
		list_duration(d, sizeof d, now - c->st.finished_at.tv_sec);
		snprintf(out, len, "%s (%d) %s ago", ctr_restarting(c) ?
		    "Restarting" : "Exited", c->st.exit_code, d);
		break;
	}
}

static char *
list_command(const struct ctr *c)
{
	struct buf b = BUF_INIT;
	const json_t *v;
	size_t i;

	buf_puts(&b, json_str(c->extra, "Path", ""));
	json_array_foreach(json_object_get(c->extra, "Args"), i, v)
		buf_printf(&b, " %s", json_string_value(v));
	return buf_detach(&b, NULL);
}

static int64_t list_du_total;

static int
list_du_cb(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	if (flag == FTW_F)
		list_du_total += st->st_blocks * 512;
	return 0;
}

int64_t
list_size_rw(const struct containers *cs, const struct ctr *c)
{
	char *upper;

	xasprintf(&upper, "%s/%s/rw/upper", cs->zones, c->uuid);
	list_du_total = 0;
	nftw(upper, list_du_cb, 16, FTW_PHYS | FTW_MOUNT);
	free(upper);
	return list_du_total;
}

/* What ps shows of a container that changes only with its name, as JSON
 * text without the closing brace; made once, kept on the container. */
static const char *
list_static(struct ctr *c)
{
	json_t *labels = ctr_labels(c), *mounts = json_object_get(c->extra, "Mounts");
	char *cmd, *text;
	json_t *e;

	if (c->ps_json != NULL && c->ps_name != NULL && strcmp(c->ps_name, c->name) == 0)
		return c->ps_json;
	cmd = list_command(c);
	e = json_pack("{s:s,s:[s+],s:s,s:s,s:s,s:I,s:o,s:{s:s},s:{s:{}},s:o}",
	    "Id", c->id, "Names", "/", c->name, "Image", c->image,
	    "ImageID", c->image_id, "Command", cmd,
	    "Created", (json_int_t)(c->created / 1000000000),
	    "Labels", labels != NULL ? json_incref(labels) : json_object(),
	    "HostConfig", "NetworkMode",
	    json_str(c->host_config, "NetworkMode", "default"),
	    "NetworkSettings", "Networks",
	    "Mounts", mounts != NULL ? json_incref(mounts) : json_array());
	text = json_dumps(e, JSON_COMPACT);
	text[strlen(text) - 1] = '\0';         /* the closing brace */
	json_decref(e);
	free(cmd);
	free(c->ps_json);
	free(c->ps_name);
	c->ps_json = text;
	c->ps_name = xstrdup(c->name);
	return text;
}

/* One entry of ps, as text: the cached part, then state and status. */
static void
list_entry(struct buf *out, struct containers *cs, struct ctr *c, bool size)
{
	char status[96];
	json_t *ports;

	list_status(c, status, sizeof status);
	buf_puts(out, list_static(c));
	buf_printf(out, ",\"State\":\"%s\",\"Status\":\"%s\",\"Ports\":",
	    ctr_status_word(c), status);
	ports = ctrnet_ps_ports(cs, c);
	json_append(out, ports);
	json_decref(ports);
	if (size)
		buf_printf(out, ",\"SizeRw\":%lld,\"SizeRootFs\":0",
		    (long long)list_size_rw(cs, c));
	buf_putc(out, '}');
}

/* An entry whose size is measured off the loop: its text without the
 * closing brace, its layer added to the walk (size-walk.c). */
void
list_entry_sized(struct list_sized *ls, struct containers *cs,
    struct ctr *c)
{
	struct buf b = BUF_INIT;

	list_entry(&b, cs, c, false);
	b.data[--b.len] = '\0';		/* the closing brace */
	strvec_push(&ls->entries, b.data);
	buf_free(&b);
	size_walk_add_rw_on(ls->walk, c->uuid, json_str(c->extra, "Node",
	    NULL));
}

/* The entries with their sizes, as a JSON array's text. */
void
list_sized_text(const struct list_sized *ls, const int64_t *sizes,
    struct buf *out)
{
	buf_putc(out, '[');
	for (size_t i = 0; i < ls->entries.n; i++)
		buf_printf(out, "%s%s,\"SizeRw\":%lld,\"SizeRootFs\":0}",
		    i > 0 ? "," : "", ls->entries.v[i], (long long)sizes[i]);
	buf_putc(out, ']');
}

static void
list_sized_done(void *arg, struct http_request *req, const int64_t *sizes)
{
	struct list_sized *ls = arg;
	struct buf out = BUF_INIT;

	if (req != NULL) {
		list_sized_text(ls, sizes, &out);
		buf_putc(&out, '\n');
		http_reply(req, 200, "application/json", out.data, out.len);
		buf_free(&out);
	}
	strvec_clear(&ls->entries);
	free(ls);
}

static bool
list_ancestor(const struct ctr *c, const char *want)
{
	size_t n = strlen(want);
	const char *hex = c->image_id + (strncmp(c->image_id, "sha256:", 7) == 0 ? 7 : 0);
	const char *colon = strrchr(c->image, ':');

	if (strcmp(c->image, want) == 0 || strcmp(c->image_id, want) == 0 ||
	    (n >= 4 && strncmp(hex, want, n) == 0))
		return true;
	/* "busybox" matches a container of "busybox:latest" and the reverse. */
	if (colon != NULL && strchr(colon, '/') == NULL &&
	    strncmp(c->image, want, (size_t)(colon - c->image)) == 0 &&
	    want[colon - c->image] == '\0')
		return strcmp(colon, ":latest") == 0;
	return strncmp(want, c->image, strlen(c->image)) == 0 &&
	    strcmp(want + strlen(c->image), ":latest") == 0;
}

/* One filter key: any of its values may match. */
static bool
list_match_one(const struct ctr *c, const char *key, const char *v)
{
	char code[16];

	if (strcmp(key, "id") == 0)
		return strncmp(c->id, v, strlen(v)) == 0;
	if (strcmp(key, "name") == 0)
		return strstr(c->name, v[0] == '/' ? v + 1 : v) != NULL;
	if (strcmp(key, "label") == 0)
		return labels_match(ctr_labels(c), v);
	if (strcmp(key, "status") == 0)
		return strcmp(ctr_status_word(c), v) == 0;
	if (strcmp(key, "exited") == 0) {
		snprintf(code, sizeof code, "%d", c->st.exit_code);
		return c->st.status == RT_EXITED && strcmp(code, v) == 0;
	}
	if (strcmp(key, "ancestor") == 0)
		return list_ancestor(c, v);
	return true;
}

static bool
list_match(const struct ctr *c, const json_t *filters)
{
	static const char *const keys[] = { "id", "name", "status", "exited",
	    "ancestor", NULL };
	json_t *vals;
	bool ok = true;
	size_t i, k;

	for (k = 0; ok && keys[k] != NULL; k++) {
		if ((vals = ctr_filter_values(filters, keys[k])) == NULL)
			continue;
		ok = json_array_size(vals) == 0;
		for (i = 0; !ok && i < json_array_size(vals); i++)
			ok = list_match_one(c, keys[k],
			    json_string_value(json_array_get(vals, i)) ?: "");
		json_decref(vals);
	}
	/* Every label filter must hold. */
	if (ok && (vals = ctr_filter_values(filters, "label")) != NULL) {
		for (i = 0; ok && i < json_array_size(vals); i++)
			ok = list_match_one(c, "label",
			    json_string_value(json_array_get(vals, i)) ?: "");
		json_decref(vals);
	}
	return ok;
}

/* filters since=X and before=X: created after or before container X. */
static bool
list_time_filter(struct containers *cs, const char *acct, const json_t *filters,
    const struct ctr *c)
{
	static const char *const keys[] = { "since", "before" };
	const struct ctr *ref;
	json_t *vals;
	size_t k;
	bool ok = true;

	for (k = 0; ok && k < 2; k++) {
		if ((vals = ctr_filter_values(filters, keys[k])) == NULL)
			continue;
		if (json_array_size(vals) > 0 &&
		    (ref = ctr_find(cs, acct, json_string_value(json_array_get(vals,
		    0)) ?: "", NULL)) != NULL)
			ok = k == 0 ? c->created > ref->created :
			    c->created < ref->created;
		json_decref(vals);
	}
	return ok;
}

int
ctr_list(struct http_request *req, void *arg)
{
	struct containers *cs = ctrs(arg);
	const char *acct = ctr_account(req), *f = http_query(req, "filters");
	const char *lim = http_query(req, "limit");
	bool all = http_query_bool(req, "all", false);
	bool size = http_query_bool(req, "size", false);
	struct list_sized *ls = NULL;
	sdc_error_t err = NULL;
	json_t *filters = NULL;
	struct buf out = BUF_INIT;
	int limit = lim != NULL ? atoi(lim) : -1, n = 0;
	struct ctr *c;

	if (lim == NULL && (lim = http_query(req, "last")) != NULL)
		limit = atoi(lim);
	if (limit > 0)
		all = true;
	if (f != NULL && *f != '\0' &&
	    (filters = json_loads(f, 0, NULL)) == NULL)
		return api_error(req, 400, "invalid filters: %s", f);
	if (size) {
		ls = xcalloc(1, sizeof *ls);
		ls->walk = size_walk_new(cs);
	}
	buf_putc(&out, '[');
	for (c = cs->list; c != NULL; c = c->next) {
		if (limit > 0 && n >= limit)
			break;
		if (strcmp(c->account, acct) != 0 ||
		    (!all && !ctr_running(c) && !ctr_restarting(c)) ||
		    (filters != NULL && (!list_match(c, filters) ||
		    !list_time_filter(cs, acct, filters, c))))
			continue;
		if (ls != NULL) {
			list_entry_sized(ls, cs, c);
			n++;
			continue;
		}
		if (n++ > 0)
			buf_putc(&out, ',');
		list_entry(&out, cs, c, false);
	}
	buf_puts(&out, "]\n");
	json_decref(filters);
	if (ls != NULL) {
		/* the layers' sizes: a walk off the loop, answered when done */
		buf_free(&out);
		if (size_walk_start(ls->walk, cs->d->base, req, list_sized_done,
		    ls, &err) < 0) {
			strvec_clear(&ls->entries);
			free(ls);
			return api_error_from(req, &err);
		}
		return HTTP_ASYNC;
	}
	http_reply(req, 200, "application/json", out.data, out.len);
	buf_free(&out);
	return HTTP_DONE;
}

void
list_account_sized(struct containers *cs, const char *acct,
    struct list_sized *ls)
{
	struct ctr *c;

	for (c = cs->list; c != NULL; c = c->next)
		if (strcmp(c->account, acct) == 0)
			list_entry_sized(ls, cs, c);
}

/* --- inspect --- */

static json_t *
inspect_state(const struct ctr *c)
{
	char started[48], finished[48];

	time_rfc3339(started, sizeof started, time_ts_ns(&c->st.started_at), 9);
	time_rfc3339(finished, sizeof finished, time_ts_ns(&c->st.finished_at), 9);
	return json_pack("{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s}",
	    "Status", ctr_status_word(c),
	    "Running", ctr_running(c) || ctr_restarting(c),
	    "Paused", c->st.status == RT_PAUSED, "Restarting", ctr_restarting(c),
	    "OOMKilled", c->st.oom_killed, "Dead", false,
	    "Pid", ctr_running(c) ? (int)c->st.pid : 0,
	    "ExitCode", c->st.exit_code, "Error", "",
	    "StartedAt", started, "FinishedAt", finished);
}

/* Keys dockerd always writes that a create request may leave out, with
 * dockerd's values, on a copy: the stored HostConfig stays as it came. */
static void
inspect_docker_defaults(json_t *j, const char *runtime)
{
	json_t *hc = json_copy(json_object_get(j, "HostConfig"));

	if (hc != NULL) {
		if (*json_str(hc, "Runtime", "") == '\0')
			json_object_set_new(hc, "Runtime", json_string(runtime));
		json_object_set_new(j, "HostConfig", hc);
	}
	if (json_object_get(json_object_get(j, "NetworkSettings"), "SandboxKey") == NULL)
		json_object_set_new(json_object_get(j, "NetworkSettings"),
		    "SandboxKey", json_string(""));
}

/* The folder of the container where its files are: under its node's
 * zones root when its node's agent runs it (as that agent told it, so
 * every head shows the same paths whatever its own --zones), else under
 * this head's.  NULL when the node's root is not known (its row gone, or
 * its agent has not registered since the root was recorded): the paths
 * are then shown empty, as dockerd shows a file it has not made, rather
 * than a folder of this head's that holds nothing of the container.
 * *node is the container's Node field (NULL for none). */
static char *
inspect_dir(struct containers *cs, const struct ctr *c, json_t **node)
{
	char *zones = NULL, *dir = NULL;

	*node = nodes_container_json(cs->d, json_str(c->extra, "Node", NULL),
	    &zones);
	if (*node == NULL || !nodes_have_agents(cs->d))
		xasprintf(&dir, "%s/%s", cs->zones, c->uuid);
	else if (zones != NULL)
		xasprintf(&dir, "%s/%s", zones, c->uuid);
	free(zones);
	return dir;
}

/* "DIR/name", or "" without a folder. */
static json_t *
inspect_path(const char *dir, const char *name)
{
	return dir != NULL ? json_sprintf("%s/%s", dir, name) : json_string("");
}

json_t *
ctr_inspect_json(struct containers *cs, const struct ctr *c, int minor)
{
	char created[48], *dir;
	json_t *j, *node;

	time_rfc3339(created, sizeof created, c->created, 9);
	dir = inspect_dir(cs, c, &node);
	j = json_pack("{s:s,s:s,s:O,s:O,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:i,"
	    "s:s,s:s,s:s,s:s,s:s,s:[],s:O,s:{s:s,s:{s:s}},s:O,s:O,"
	    "s:o}",
	    "Id", c->id, "Created", created,
	    "Path", json_object_get(c->extra, "Path") ?: json_null(),
	    "Args", json_object_get(c->extra, "Args") ?: json_null(),
	    "State", inspect_state(c), "Image", c->image_id,
	    "ResolvConfPath", "", "HostnamePath", "", "HostsPath", "",
	    "LogPath", "", "Name", "", "RestartCount", c->restart_count,
	    "Driver", "sdc", "Platform", "linux", "MountLabel", "",
	    "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs",
	    "HostConfig", c->host_config,
	    "GraphDriver", "Name", "overlay", "Data", "MergedDir",
	    dir != NULL ? dir : "",
	    "Mounts", json_object_get(c->extra, "Mounts") ?: json_null(),
	    "Config", c->config,
	    "NetworkSettings", ctrnet_settings(cs, c));
	if (json_object_get(c->extra, "Path") == NULL)
		json_decref(json_object_get(j, "Path"));
	if (json_object_get(c->extra, "Args") == NULL)
		json_decref(json_object_get(j, "Args"));
	if (json_object_get(c->extra, "Mounts") == NULL)
		json_object_set_new(j, "Mounts", json_array());
	json_object_set_new(j, "Name", json_sprintf("/%s", c->name));
	inspect_docker_defaults(j, c->cs->runtime_name);
	if (node != NULL)
		json_object_set_new(j, "Node", node);   /* Swarm's field */
	json_object_set_new(j, "LogPath", inspect_path(dir,
	    RT_LOG_DIR "/" RT_LOG_FILE));
	json_object_set_new(j, "HostnamePath", inspect_path(dir, "hostname"));
	json_object_set_new(j, "HostsPath", inspect_path(dir, "hosts"));
	json_object_set_new(j, "ResolvConfPath", inspect_path(dir,
	    "resolv.conf"));
	free(dir);
	(void)minor;
	return j;
}

int
ctr_inspect(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);

	if (c == NULL)
		return HTTP_DONE;
	return api_json(req, 200, ctr_inspect_json(ctrs(arg), c, api_minor(req)));
}

const struct api_endpoint containers_json_routes[] = {
	{ { "GET", "/containers/json", ctr_list, 0, NULL }, 0 },
	{ { "GET", "/containers/:id/json", ctr_inspect, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
