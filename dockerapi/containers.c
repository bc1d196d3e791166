/*
 * containers.c: the container module: its table in the store, the
 * containers in memory, finding one the way Docker does, and recovery at
 * start.  The container routes are api/containers-*.c's.
 *
 * Every container of every account is in one list in memory, loaded from
 * the store at start: ps and inspect then never touch the disk, and a
 * lookup by name or id prefix is a scan of a few hundred entries, cheaper
 * than a query.  The store is written only at create, rename and remove.
 * Recovery reads each container's folder (rt_state_read) and, for the
 * running ones, opens a watcher again; monitors never stopped, so a
 * container that exited while the daemon was away simply reads as exited.
 * A remove marks the row first (`removing`) and deletes it last, so a
 * daemon killed in between finishes the removal at its next start instead
 * of showing what is left of the container as "created".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "containers.h"
#include "heads.h"
#include "jsonutil.h"
#include "log.h"
#include "node-request.h"
#include "node-states.h"
#include "nodes.h"
#include "rtcall.h"
#include "volumes.h"
#include "networks.h"
#include "xalloc.h"

static const char *const ctr_migrations[] = {
	"CREATE TABLE containers ("
	" id TEXT PRIMARY KEY,"
	" uuid TEXT NOT NULL UNIQUE,"
	" account TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" image TEXT NOT NULL,"
	" image_id TEXT NOT NULL,"
	" created BIGINT NOT NULL,"
	" package TEXT NOT NULL,"
	" config TEXT NOT NULL,"
	" host_config TEXT NOT NULL,"
	" extra TEXT NOT NULL,"
	" UNIQUE (account, name));"
	"CREATE INDEX containers_account ON containers (account);",
	"ALTER TABLE containers ADD COLUMN stopped_by_user INTEGER NOT NULL "
	"DEFAULT 0;",
	/* rm in progress: set before anything of the container goes, so a
	 * daemon killed midway finishes the removal at its next start */
	"ALTER TABLE containers ADD COLUMN removing INTEGER NOT NULL DEFAULT 0;",
	NULL,
};

struct containers *
ctrs(struct dockerapi *d)
{
	return d->containers;
}

const char *
ctr_account(struct http_request *req)
{
	return api_account(req)->uuid;
}

bool
ctr_running(const struct ctr *c)
{
	return c->st.status == RT_RUNNING || c->st.status == RT_PAUSED;
}

const char *
ctr_status_word(const struct ctr *c)
{
	if (c->removing && !ctr_running(c))
		return "removing";
	if (ctr_restarting(c))
		return "restarting";
	return rt_status_name(c->st.status);
}

json_t *
ctr_labels(const struct ctr *c)
{
	json_t *l = json_object_get(c->config, "Labels");

	return json_is_object(l) ? l : NULL;
}

json_t *
ctr_filter_values(const json_t *filters, const char *key)
{
	json_t *v = json_object_get(filters, key), *a, *x;
	const char *k;

	if (v == NULL || json_is_array(v))
		return json_incref(v);
	a = json_array();
	json_object_foreach(v, k, x)
		json_array_append_new(a, json_string(k));
	return a;
}

int
ctr_rt_error(struct containers *cs, const struct ctr *c, sdc_error_t *err)
{
	char *text;

	if (*err == NULL || (*err)->msg == NULL)
		return -1;
	text = rt_error_text(&cs->rt, c->uuid, (*err)->msg);
	if (strcmp(text, (*err)->msg) == 0) {
		free(text);
		return -1;
	}
	log_info("container %s: the runtime said: %s", c->id, (*err)->msg);
	free((*err)->msg);
	(*err)->msg = text;
	return -1;
}

void
ctr_free(struct ctr *c)
{
	if (c == NULL)
		return;
	if (c->busy != NULL) {
		/* its runtime call frees it when it ends */
		c->gone = true;
		return;
	}
	free(c->account);
	free(c->name);
	free(c->image);
	free(c->image_id);
	free(c->package);
	free(c->ps_json);
	free(c->ps_name);
	json_decref(c->config);
	json_decref(c->host_config);
	json_decref(c->extra);
	free(c);
}

/* --- lookup --- */

struct ctr *
ctr_by_name(struct containers *cs, const char *account, const char *name)
{
	struct ctr *c;

	if (name[0] == '/')
		name++;
	for (c = cs->list; c != NULL; c = c->next)
		if (strcmp(c->account, account) == 0 && strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Docker's order: the full id, then the name, then an id prefix. */
struct ctr *
ctr_find(struct containers *cs, const char *account, const char *ref,
    sdc_error_t *err)
{
	struct ctr *c, *hit = NULL;
	size_t n = strlen(ref);
	int hits = 0;

	for (c = cs->list; c != NULL; c = c->next)
		if (strcmp(c->account, account) == 0 && strcmp(c->id, ref) == 0)
			return c;
	if ((c = ctr_by_name(cs, account, ref)) != NULL)
		return c;
	for (c = cs->list; n > 0 && c != NULL; c = c->next)
		if (strcmp(c->account, account) == 0 &&
		    strncmp(c->id, ref, n) == 0) {
			hit = c;
			hits++;
		}
	if (hits == 1)
		return hit;
	if (hits > 1)
		sdc_make_error_code(err, 400, "multiple containers found with "
		    "provided prefix: %s", ref);
	else
		sdc_make_error_code(err, 404, "No such container: %s", ref);
	return NULL;
}

int
ctr_node_unavailable(struct http_request *req, const struct ctr *c)
{
	return api_error(req, 503, "node unavailable: the node of container "
	    "%s is not heard from; try again when it is back", c->id);
}

struct ctr *
ctr_lookup(struct http_request *req, struct dockerapi *d)
{
	sdc_error_t err = NULL;
	struct ctr *c = ctr_find(ctrs(d), ctr_account(req),
	    http_param(req, "id"), &err);

	if (c == NULL)
		api_error_from(req, &err);
	else if (strcmp(req->method, "GET") != 0 && node_states_unknown(c)) {
		ctr_node_unavailable(req, c);
		return NULL;
	}
	return c;
}

/* --- the store --- */

static int
ctr_stmt(struct containers *cs, const char *sql, struct store_stmt **st,
    sdc_error_t *err)
{
	return store_prepare(cs->d->store, st, sql, err);
}

int
ctr_insert(struct containers *cs, struct ctr *c, sdc_error_t *err)
{
	struct store_stmt *st;
	char *config = json_text(c->config), *hc = json_text(c->host_config);
	char *extra = json_text(c->extra);
	int rc = -1;

	if (ctr_stmt(cs, "INSERT INTO containers (id, uuid, account, name, "
	    "image, image_id, created, package, config, host_config, extra) "
	    "VALUES (?,?,?,?,?,?,?,?,?,?,?)", &st, err) < 0)
		goto out;
	if (store_bind_text(st, 1, c->id, err) == 0 &&
	    store_bind_text(st, 2, c->uuid, err) == 0 &&
	    store_bind_text(st, 3, c->account, err) == 0 &&
	    store_bind_text(st, 4, c->name, err) == 0 &&
	    store_bind_text(st, 5, c->image, err) == 0 &&
	    store_bind_text(st, 6, c->image_id, err) == 0 &&
	    store_bind_int64(st, 7, c->created, err) == 0 &&
	    store_bind_text(st, 8, c->package, err) == 0 &&
	    store_bind_text(st, 9, config, err) == 0 &&
	    store_bind_text(st, 10, hc, err) == 0 &&
	    store_bind_text(st, 11, extra, err) == 0 &&
	    store_step(st, err) >= 0)
		rc = 0;
	else if (*err != NULL && (*err)->code == STORE_CONSTRAINT)
		sdc_make_error_code(err, 409, "Conflict. The container name "
		    "\"/%s\" is already in use.", c->name);
	store_finalize(st);
out:
	free(config);
	free(hc);
	free(extra);
	if (rc == 0) {
		c->next = cs->list;
		cs->list = c;
	}
	return rc;
}

int
ctr_rename_row(struct containers *cs, struct ctr *c, const char *name,
    sdc_error_t *err)
{
	struct store_stmt *st;
	int rc = -1;

	if (ctr_stmt(cs, "UPDATE containers SET name = ? WHERE id = ?", &st,
	    err) < 0)
		return -1;
	if (store_bind_text(st, 1, name, err) == 0 &&
	    store_bind_text(st, 2, c->id, err) == 0 &&
	    store_step(st, err) >= 0)
		rc = 0;
	store_finalize(st);
	if (rc == 0) {
		free(c->name);
		c->name = xstrdup(name);
	}
	return rc;
}

int
ctr_host_config_row(struct containers *cs, struct ctr *c, sdc_error_t *err)
{
	struct store_stmt *st;
	char *hc = json_text(c->host_config);
	int rc = -1;

	if (ctr_stmt(cs, "UPDATE containers SET host_config = ? WHERE id = ?",
	    &st, err) == 0) {
		if (store_bind_text(st, 1, hc, err) == 0 &&
		    store_bind_text(st, 2, c->id, err) == 0 &&
		    store_step(st, err) >= 0)
			rc = 0;
		store_finalize(st);
	}
	free(hc);
	return rc;
}

int
ctr_stopped_row(struct containers *cs, struct ctr *c, bool stopped,
    sdc_error_t *err)
{
	struct store_stmt *st;
	int rc = -1;

	if (ctr_stmt(cs, "UPDATE containers SET stopped_by_user = ? WHERE "
	    "id = ?", &st, err) < 0)
		return -1;
	if (store_bind_int64(st, 1, stopped, err) == 0 &&
	    store_bind_text(st, 2, c->id, err) == 0 &&
	    store_step(st, err) >= 0)
		rc = 0;
	store_finalize(st);
	return rc;
}

static int
ctr_removing_row(struct containers *cs, const char *id, bool removing,
    sdc_error_t *err)
{
	struct store_stmt *st;
	int rc = -1;

	if (ctr_stmt(cs, "UPDATE containers SET removing = ? WHERE id = ?", &st,
	    err) < 0)
		return -1;
	if (store_bind_int64(st, 1, removing, err) == 0 &&
	    store_bind_text(st, 2, id, err) == 0 &&
	    store_step(st, err) >= 0)
		rc = 0;
	store_finalize(st);
	return rc;
}

static int
ctr_delete_row(struct containers *cs, const char *id, sdc_error_t *err)
{
	struct store_stmt *st;
	int rc = -1;

	if (ctr_stmt(cs, "DELETE FROM containers WHERE id = ?", &st, err) < 0)
		return -1;
	if (store_bind_text(st, 1, id, err) == 0 && store_step(st, err) >= 0)
		rc = 0;
	store_finalize(st);
	return rc;
}

void
ctr_unlink(struct containers *cs, struct ctr *c)
{
	struct ctr **p;

	for (p = &cs->list; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			return;
		}
}

int
ctr_remove_begin(struct containers *cs, struct ctr *c, bool force,
    sdc_error_t *err)
{
	if ((ctr_running(c) || ctr_restarting(c)) && !force)
		return sdc_make_error_code(err, 409, "You cannot remove a %s "
		    "container %s. Stop the container before attempting removal "
		    "or force remove", ctr_status_word(c), c->id);
	restart_cancel(c);
	/* The row says so first: whatever happens from here on, the next
	 * start of the daemon finishes the job (ctr_finish_removals). */
	if (ctr_removing_row(cs, c->id, true, err) < 0)
		return sdc_error_wrap(err, "removing container %s", c->id);
	c->removing = true;
	return 0;
}

/* After rt_delete answered rc: undone on failure, else the rest. */
int
ctr_remove_end(struct containers *cs, struct ctr *c, int rc, sdc_error_t *err)
{
	sdc_error_t ignored = NULL;

	if (rc < 0 && (*err == NULL || (*err)->code != 404)) {
		ctr_rt_error(cs, c, err);
		c->removing = false;
		if (ctr_removing_row(cs, c->id, false, &ignored) < 0) {
			log_warn("container %s: %s", c->id, sdc_error_msg(ignored));
			sdc_error_release(&ignored);
		}
		return -1;
	}
	sdc_error_release(err);
	if (ctr_running(c)) {
		/* Killed by the delete: the watcher will not tell us now. */
		c->st.status = RT_EXITED;
		c->st.exit_code = 137;
		clock_gettime(CLOCK_REALTIME, &c->st.finished_at);
		/* unless another head's watcher already claimed the exit */
		if (heads_exit_mine(cs->d, c))
			events_container(cs, c, "die", json_pack("{s:s}",
			    "exitCode", "137"));
	}
	watch_stop(c);
	ctrnet_removed(cs, c);
	if (ctr_delete_row(cs, c->id, err) < 0)
		log_warn("container %s: removing its row: %s", c->id,
		    sdc_error_msg(*err));
	sdc_error_release(err);
	/* rm -v and --rm take the anonymous volumes with them, as dockerd */
	volumes_release(cs->d, c->account, c->id, c->remove_volumes ||
	    json_is_true(json_object_get(c->host_config, "AutoRemove")));
	events_container(cs, c, "destroy", NULL);
	watch_removed(cs, c);
	exec_forget(cs, c);
	ctr_unlink(cs, c);
	ctr_free(c);
	return 0;
}

/* --- loading and recovery --- */

static json_t *
ctr_col_json(struct store_stmt *st, int col)
{
	const char *text = store_col_text(st, col);
	json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;

	return j != NULL ? j : json_object();
}

struct ctr *
ctr_from_row(struct store_stmt *st)
{
	struct ctr *c = xcalloc(1, sizeof *c);

	snprintf(c->id, sizeof c->id, "%s", store_col_text(st, 0));
	snprintf(c->uuid, sizeof c->uuid, "%s", store_col_text(st, 1));
	c->account = xstrdup(store_col_text(st, 2));
	c->name = xstrdup(store_col_text(st, 3));
	c->image = xstrdup(store_col_text(st, 4));
	c->image_id = xstrdup(store_col_text(st, 5));
	c->created = store_col_int64(st, 6);
	c->package = xstrdup(store_col_text(st, 7));
	c->config = ctr_col_json(st, 8);
	c->host_config = ctr_col_json(st, 9);
	c->extra = ctr_col_json(st, 10);
	c->stopped_by_user = store_col_int64(st, 11) != 0;
	c->removing = store_col_int64(st, 12) != 0;
	c->watch_fd = -1;
	return c;
}

/* The folder's state, and a watcher if it runs. */
void
ctr_recover(struct containers *cs, struct ctr *c)
{
	sdc_error_t err = NULL;
	int fd;

	/* behind an agent: its node tells, and watches it (node-states.c) */
	if (node_states_remote(cs->d, c)) {
		node_states_apply(cs->d, c, false);
		return;
	}
	if (rt_state_read(&cs->rt, c->uuid, &c->st, &err) < 0) {
		log_warn("container %s: %s", c->id, sdc_error_msg(err));
		sdc_error_release(&err);
		c->st.status = RT_EXITED;
		c->st.exit_code = -1;
		return;
	}
	if (!ctr_running(c))
		return;
	if ((fd = rt_attach_open(&cs->rt, c->uuid, NULL, &err)) < 0 ||
	    watch_start(cs, c, fd, true) < 0) {
		log_warn("container %s: no watcher: %s", c->id, sdc_error_msg(err));
		sdc_error_release(&err);
		watch_orphan(cs, c);
	}
}

/* A container of the start whose node told its state only once the
 * start was over (node-states.c asks off the loop): what the start does
 * with a state it reads (ctrnet_recover, ctr_recover_autoremove,
 * restart_at_daemon_start), done for it now. */
void
ctr_recover_learned(struct containers *cs, struct ctr *c)
{
	if (ctr_running(c) || c->removing || c->busy != NULL ||
	    c->st.status == RT_CREATED)
		return;
	ctrnet_recover_one(cs, c);
	if (json_is_true(json_object_get(c->host_config, "AutoRemove"))) {
		ctr_remove_async(cs, c, true, false, NULL, NULL);
		return;
	}
	restart_learned(cs, c);
}

static int
ctr_load(struct containers *cs, sdc_error_t *err)
{
	struct store_stmt *st;
	struct ctr *c, **tail = &cs->list;
	int rc;

	if (ctr_stmt(cs, "SELECT " CTR_ROW_COLUMNS " FROM containers ORDER BY "
	    "created DESC", &st, err) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1) {
		c = ctr_from_row(st);
		c->cs = cs;
		*tail = c;
		tail = &c->next;
	}
	store_finalize(st);
	if (rc < 0)
		return -1;
	node_states_begin(cs->d);	/* one question per node */
	for (c = cs->list; c != NULL; c = c->next)
		ctr_recover(cs, c);
	node_states_end(cs->d);
	return 0;
}

/* An rm the daemon did not live to finish (killed midway): whatever is
 * left of the container (its processes, runtime state, cgroups, mounts,
 * folder, row) goes now, so it is never shown half deleted. */
static void
ctr_finish_removals(struct containers *cs)
{
	struct ctr *c, *next;

	for (c = cs->list; c != NULL; c = next) {
		next = c->next;
		if (!c->removing)
			continue;
		log_info("container %s: finishing its removal", c->id);
		c->removing = false;
		ctr_remove_async(cs, c, true, false, NULL, NULL);
	}
}

/* Containers with AutoRemove that exited while the daemon was away. */
static void
ctr_recover_autoremove(struct containers *cs)
{
	struct ctr *c, *next;

	for (c = cs->list; c != NULL; c = next) {
		next = c->next;
		if (c->st.status == RT_EXITED && !c->removing &&
		    json_is_true(json_object_get(c->host_config, "AutoRemove")))
			ctr_remove_async(cs, c, true, false, NULL, NULL);
	}
}

int
containers_init(struct dockerapi *d, sdc_error_t *err)
{
	struct containers *cs = xcalloc(1, sizeof *cs);
	int n = 0;

	cs->d = d;
	cs->zones = xstrdup(d->cfg.zones != NULL && *d->cfg.zones != '\0' ?
	    d->cfg.zones : "/zones");
	cs->rt.zones = cs->zones;
	xasprintf(&cs->volumes, "%s/volumes", d->cfg.data_dir);
	cs->rt.volumes = cs->volumes;
	if (oci_runtime_init(cs, err) < 0) {
		oci_runtime_free(cs);
		free(cs->zones);
		free(cs->volumes);
		free(cs);
		return -1;
	}
	isolation_init(cs);
	lxcfs_init(cs);
	d->containers = cs;
	events_init(cs);
	if (store_migrate(d->store, "containers", ctr_migrations, err) < 0 ||
	    networks_init(d, err) < 0 || ctr_load(cs, err) < 0)
		return sdc_error_wrap(err, "containers");
	ctr_finish_removals(cs);
	ctrnet_recover(cs);
	ctr_recover_autoremove(cs);
	logconfig_init(d);
	restart_at_daemon_start(cs);
	for (struct ctr *c = cs->list; c != NULL; c = c->next)
		n += ctr_running(c);
	log_info("containers: %d running, zones in %s", n, cs->zones);
	return 0;
}

void
containers_free(struct dockerapi *d)
{
	struct containers *cs = d->containers;
	struct ctr *c;

	if (cs == NULL)
		return;
	/* calls still in the runtime: their containers stay allocated */
	rtcall_cancel_all();
	while ((c = cs->list) != NULL) {
		cs->list = c->next;
		attach_free_all(c);
		if (c->stop_timer != NULL)
			event_free(c->stop_timer);
		restart_cancel(c);
		watch_stop(c);
		ctr_free(c);
	}
	exec_free_all(cs);
	if (cs->dns_check != NULL)
		event_free(cs->dns_check);
	events_free(cs);
	oci_runtime_free(cs);
	free(cs->zones);
	free(cs->volumes);
	free(cs);
	d->containers = NULL;
}

/* --- what the other modules ask --- */

bool
containers_image_in_use(struct dockerapi *d, const char *account,
    const char *id, char **container, bool *running)
{
	struct ctr *c;

	if (d->containers == NULL)
		return false;
	for (c = d->containers->list; c != NULL; c = c->next)
		if (strcmp(c->account, account) == 0 &&
		    strcmp(c->image_id, id) == 0) {
			*container = xstrndup(c->id, 12);
			*running = ctr_running(c);
			return true;
		}
	return false;
}

void
containers_count(struct dockerapi *d, const char *account,
    struct usage_counts *out)
{
	struct ctr *c;

	if (d->containers == NULL)
		return;
	for (c = d->containers->list; c != NULL; c = c->next) {
		if (account != NULL && strcmp(c->account, account) != 0)
			continue;
		out->containers++;
		if (c->st.status == RT_RUNNING)
			out->running++;
		else if (c->st.status == RT_PAUSED)
			out->paused++;
		else
			out->stopped++;
	}
}

/* The admin API: every container of an account (or all), inspect-shaped
 * summaries with the account named. */
json_t *
containers_admin_list(struct dockerapi *d, const char *account, bool all)
{
	json_t *list = json_array(), *j;
	struct ctr *c;

	if (d->containers == NULL)
		return list;
	for (c = d->containers->list; c != NULL; c = c->next) {
		if ((account != NULL && strcmp(c->account, account) != 0) ||
		    (!all && !ctr_running(c)))
			continue;
		j = ctr_inspect_json(d->containers, c, API_MAX_MINOR);
		json_object_set_new(j, "Account", json_string(c->account));
		json_object_set_new(j, "Uuid", json_string(c->uuid));
		json_array_append_new(list, j);
	}
	return list;
}

/* Any account's container by id, id prefix or uuid; the pointers stay
 * valid while the container exists. */
int
containers_admin_find(struct dockerapi *d, const char *ref, const char **id,
    const char **account)
{
	struct ctr *c;
	size_t n = strlen(ref);

	if (d->containers == NULL || n == 0)
		return -1;
	for (c = d->containers->list; c != NULL; c = c->next)
		if (strncmp(c->id, ref, n) == 0 || strcmp(c->uuid, ref) == 0) {
			*id = c->id;
			*account = c->account;
			return 0;
		}
	return -1;
}

json_t *
containers_admin_get(struct dockerapi *d, const char *ref)
{
	struct ctr *c;
	size_t n = strlen(ref);
	json_t *j;

	if (d->containers == NULL || n == 0)
		return NULL;
	for (c = d->containers->list; c != NULL; c = c->next)
		if (strncmp(c->id, ref, n) == 0 || strcmp(c->uuid, ref) == 0)
			break;
	if (c == NULL)
		return NULL;
	j = ctr_inspect_json(d->containers, c, API_MAX_MINOR);
	json_object_set_new(j, "Account", json_string(c->account));
	json_object_set_new(j, "Uuid", json_string(c->uuid));
	return j;
}
