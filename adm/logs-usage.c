/*
 * logs-usage.c: `logs usage`, how much each container's logs take.
 *
 * Two sources, one table.  By default the data center's: the containers'
 * folders are on the compute nodes, so the head is asked (the admin
 * API's GET /logs/usage), which asks every registered node's agent for
 * its own (agent/log-usage.c) and says of each node whether it answered;
 * a node that did not is a row of its own and a warning, never left out,
 * and the status is then 1 (the work done in part), as for a node whose
 * walk stopped at its deadline.  With --zones DIR (the global option
 * too), that folder on this machine alone, walked here without any
 * daemon (a node's own cron, a copy restored by hand).
 *
 * The local walk is cleanup's (logs-walk.c), so it counts exactly the
 * files cleanup would consider: the live stdio.log and the rotated
 * stdio.log.<time> regular files, nothing reached through a link; a
 * node's agent counts the same files with the runtime library's walk.
 * Each container's numbers land in their own slot of an array, so the
 * threads share nothing but the job counter.  Sizes are st_size, what
 * the logs hold, not the blocks they occupy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "jsonutil.h"
#include "xalloc.h"

struct usage_row {
	bool present;		/* the container has a logs directory */
	uint64_t live, rotated, files;
};

struct usage_run {
	struct logs_tree tree;
	struct usage_row *rows;
};

static void
usage_container(void *arg, size_t cont, unsigned worker)
{
	struct usage_run *r = arg;
	struct usage_row *row = &r->rows[cont];
	struct logs_dir d;
	sdc_error_t err = NULL;
	size_t i;
	int fd;

	if ((fd = logs_walk_open_dir(&r->tree, cont)) < 0)
		return;
	if (logs_walk_read_dir(fd, &d, &err) < 0) {
		sdc_error_release(&err);
		return;
	}
	row->present = true;
	row->live = d.has_live ? d.live.size : 0;
	for (i = 0; i < d.nrot; i++)
		row->rotated += d.rot[i].size;
	row->files = d.nrot;
	logs_walk_free_dir(&d);
}

static json_t *
usage_object(const char *id, const struct usage_row *row)
{
	json_t *o = json_object();

	json_object_set_new(o, "uuid", json_string(id));
	json_object_set_new(o, "live", json_integer((json_int_t)row->live));
	json_object_set_new(o, "rotated", json_integer((json_int_t)row->rotated));
	json_object_set_new(o, "rotatedFiles", json_integer((json_int_t)row->files));
	json_object_set_new(o, "total",
	    json_integer((json_int_t)(row->live + row->rotated)));
	return o;
}

/* Biggest first; the uuid breaks ties. */
static int
usage_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t tx = json_integer_value(json_object_get(x, "total"));
	json_int_t ty = json_integer_value(json_object_get(y, "total"));

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "uuid")),
	    json_string_value(json_object_get(y, "uuid")));
}

/* rows (taken) sorted, biggest first. */
static json_t *
usage_sorted(json_t *rows)
{
	size_t i, n = json_array_size(rows);
	json_t **v = xcalloc(n + 1, sizeof *v), *out = json_array();

	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(rows, i));
	json_decref(rows);
	if (n > 1)
		qsort(v, n, sizeof *v, usage_cmp);
	for (i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	return out;
}

/* The rows, sorted, and the totals in *sum. */
static json_t *
usage_rows(const struct usage_run *r, struct usage_row *sum, size_t *count)
{
	json_t *rows = json_array();
	size_t i, n = 0;

	memset(sum, 0, sizeof *sum);
	for (i = 0; i < r->tree.ids.n; i++) {
		if (!r->rows[i].present)
			continue;
		json_array_append_new(rows, usage_object(r->tree.ids.v[i],
		    &r->rows[i]));
		sum->live += r->rows[i].live;
		sum->rotated += r->rows[i].rotated;
		sum->files += r->rows[i].files;
		n++;
	}
	*count = n;
	return usage_sorted(rows);
}

/* NODE, then a folder's table (which has no node) from the second on. */
const struct adm_column adm_logs_usage_node_columns[] = {
	{ "node", "NODE", 0 },
	{ "uuid", "CONTAINER", ADM_COL_SHRINK },
	{ "live", "LIVE", ADM_COL_RIGHT | ADM_COL_BYTES },
	{ "rotated", "ROTATED", ADM_COL_RIGHT | ADM_COL_BYTES },
	{ "rotatedFiles", "FILES", ADM_COL_RIGHT },
	{ "total", "TOTAL", ADM_COL_RIGHT | ADM_COL_BYTES },
	{ NULL, NULL, 0 }
};
static const struct adm_column *const usage_columns =
    adm_logs_usage_node_columns + 1;

static void
usage_print(const struct usage_run *r, const struct adm_ctx *ctx)
{
	struct usage_row sum;
	json_t *rows, *total, *doc;
	size_t n;

	rows = usage_rows(r, &sum, &n);
	total = usage_object("TOTAL", &sum);
	if (ctx->json) {
		json_object_del(total, "uuid");
		json_object_set_new(total, "containers", json_integer((json_int_t)n));
		doc = json_pack("{s:s, s:o, s:o}", "zones", r->tree.path,
		    "containers", rows, "total", total);
		adm_output_json(ctx, doc);
		json_decref(doc);
		return;
	}
	adm_output_list(ctx, usage_columns, rows, total);
	json_decref(rows);
	json_decref(total);
}

/* --- every node's, through the head --- */

struct usage_nodes {
	json_t *rows;		/* containers, biggest first */
	json_t *nodes;		/* [{id, hostname, answered, complete, ...}] */
	json_t *missing;	/* a row for each node without figures */
	struct usage_row sum;
	size_t count;
};

/* The head's entry for a node: its name as the node list shows it, "-"
 * for the head's own folder. */
static const char *
usage_node_name(const json_t *n)
{
	const char *h = json_str(n, "Hostname", "");

	return *h != '\0' ? h : "-";
}

/* One node's containers into u's rows and sum. */
static void
usage_node_rows(struct usage_nodes *u, const json_t *n)
{
	json_t *cs = json_object_get(n, "Containers"), *c, *o;
	struct usage_row row;
	const char *uuid;

	json_object_foreach(cs, uuid, c) {
		row.present = true;
		row.live = (uint64_t)json_int(c, "Live", 0);
		row.rotated = (uint64_t)json_int(c, "Rotated", 0);
		row.files = (uint64_t)json_int(c, "RotatedFiles", 0);
		o = usage_object(uuid, &row);
		json_object_set_new(o, "node", json_string(usage_node_name(n)));
		json_object_set_new(o, "nodeId", json_string(json_str(n, "ID",
		    "")));
		json_array_append_new(u->rows, o);
		u->sum.live += row.live;
		u->sum.rotated += row.rotated;
		u->sum.files += row.files;
		u->count++;
	}
}

/* A node that gave no figures: a row of its own, so a table shows it. */
static json_t *
usage_missing_row(const json_t *n)
{
	return json_pack("{s:s, s:s, s:s, s:n, s:n, s:n, s:n, s:s}",
	    "node", usage_node_name(n), "nodeId", json_str(n, "ID", ""),
	    "uuid", "(no answer)", "live", "rotated", "rotatedFiles", "total",
	    "error", json_str(n, "Error", "no answer"));
}

/* The head's GET /logs/usage made into rows; -1 with *err. */
static int
usage_nodes_load(const struct adm_ctx *ctx, struct usage_nodes *u,
    sdc_error_t *err)
{
	json_t *doc = adm_admin_call(ctx, "GET", "/logs/usage", NULL, err);
	json_t *n;
	size_t i;

	memset(u, 0, sizeof *u);
	if (doc == NULL)
		return -1;
	u->rows = json_array();
	u->nodes = json_array();
	u->missing = json_array();
	json_array_foreach(json_object_get(doc, "Nodes"), i, n) {
		bool answered = json_bool(n, "Answered", false);
		json_t *e = json_pack("{s:s, s:s, s:b}", "id", json_str(n, "ID",
		    ""), "hostname", usage_node_name(n), "answered", answered);

		if (answered) {
			json_object_set_new(e, "complete", json_boolean(
			    json_bool(n, "Complete", false)));
			json_object_set_new(e, "containers", json_integer(
			    (json_int_t)json_object_size(json_object_get(n,
			    "Containers"))));
			usage_node_rows(u, n);
		} else {
			json_object_set_new(e, "error", json_string(json_str(n,
			    "Error", "no answer")));
			json_array_append_new(u->missing, usage_missing_row(n));
		}
		json_array_append_new(u->nodes, e);
	}
	json_decref(doc);
	u->rows = usage_sorted(u->rows);
	return 0;
}

static void
usage_nodes_free(struct usage_nodes *u)
{
	json_decref(u->rows);
	json_decref(u->nodes);
	json_decref(u->missing);
}

/* A warning for each node without figures, or with partial ones; the
 * status: 1 when there was one. */
static int
usage_nodes_warn(const struct adm_cmd_entry *self, const struct usage_nodes *u)
{
	int rc = ADM_EXIT_OK;
	json_t *n;
	size_t i;

	json_array_foreach(u->nodes, i, n) {
		if (!json_bool(n, "answered", false))
			adm_cmd_warn(self, "node %s (%s) did not answer: %s",
			    json_str(n, "hostname", ""), json_str(n, "id", ""),
			    json_str(n, "error", ""));
		else if (!json_bool(n, "complete", true))
			adm_cmd_warn(self, "node %s (%s): partial, its walk "
			    "stopped at its deadline", json_str(n, "hostname",
			    ""), json_str(n, "id", ""));
		else
			continue;
		rc = ADM_EXIT_FAIL;
	}
	return rc;
}

static int
usage_nodes_print(const struct adm_cmd_entry *self, const struct adm_ctx *ctx)
{
	struct usage_nodes u;
	sdc_error_t err = NULL;
	json_t *total, *doc;
	int rc;

	if (usage_nodes_load(ctx, &u, &err) < 0) {
		adm_cmd_warn(self, "%s (--zones DIR reads this machine's folder "
		    "alone)", sdc_error_msg(err));
		sdc_error_release(&err);
		return ADM_EXIT_FAIL;
	}
	total = usage_object("", &u.sum);
	if (ctx->json) {
		json_object_del(total, "uuid");
		json_object_set_new(total, "containers",
		    json_integer((json_int_t)u.count));
		doc = json_pack("{s:O, s:O, s:o}", "nodes", u.nodes,
		    "containers", u.rows, "total", total);
		adm_output_json(ctx, doc);
		json_decref(doc);
	} else {
		json_object_set_new(total, "node", json_string("TOTAL"));
		json_array_extend(u.rows, u.missing);
		adm_output_list(ctx, adm_logs_usage_node_columns, u.rows, total);
		json_decref(total);
	}
	rc = usage_nodes_warn(self, &u);
	usage_nodes_free(&u);
	return rc;
}

enum { OPT_ZONES = 256, OPT_JSON };

static const struct option usage_options[] = {
	{ "zones", required_argument, NULL, OPT_ZONES },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

/* The rows alone, biggest first, for the TUI's log pane: every node's,
 * each node without figures a row of its own, or with a zones root
 * given, that folder's. */
json_t *
adm_logs_usage_rows(const struct adm_ctx *ctx, sdc_error_t *err)
{
	struct usage_nodes u;
	struct usage_run r;
	struct usage_row sum;
	json_t *rows;
	size_t n;

	if (ctx->zones == NULL) {
		if (usage_nodes_load(ctx, &u, err) < 0)
			return NULL;
		rows = json_incref(u.rows);
		json_array_extend(rows, u.missing);
		usage_nodes_free(&u);
		return rows;
	}
	memset(&r, 0, sizeof r);
	if (logs_walk_open(&r.tree, ctx->zones, err) < 0)
		return NULL;
	if (logs_walk_list(&r.tree, err) < 0) {
		logs_walk_close(&r.tree);
		return NULL;
	}
	r.rows = xcalloc(r.tree.ids.n + 1, sizeof *r.rows);
	logs_walk_pool(logs_walk_default_jobs(), r.tree.ids.n, usage_container, &r);
	rows = usage_rows(&r, &sum, &n);
	free(r.rows);
	logs_walk_close(&r.tree);
	return rows;
}

static int
usage_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv)
{
	struct adm_opt_state st;
	struct usage_run r;
	sdc_error_t err = NULL;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_ZONES)
			ctx->zones = st.arg;
		else if (c == OPT_JSON)
			ctx->json = true;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind < argc)
		return adm_cmd_usage_error(self, "unexpected argument '%s'",
		    argv[st.ind]);
	if (ctx->zones == NULL)
		return usage_nodes_print(self, ctx);
	memset(&r, 0, sizeof r);
	if (logs_walk_open(&r.tree, ctx->zones, &err) < 0 ||
	    logs_walk_list(&r.tree, &err) < 0) {
		adm_cmd_warn(self, "%s", sdc_error_msg(err));
		sdc_error_release(&err);
		logs_walk_close(&r.tree);
		return ADM_EXIT_FAIL;
	}
	r.rows = xcalloc(r.tree.ids.n + 1, sizeof *r.rows);
	logs_walk_pool(logs_walk_default_jobs(), r.tree.ids.n, usage_container, &r);
	usage_print(&r, ctx);
	free(r.rows);
	logs_walk_close(&r.tree);
	return ADM_EXIT_OK;
}

const struct adm_cmd_entry adm_cmd_logs_usage_entry = {
	.name = "logs usage",
	.alias = NULL,
	.usage = "[--zones DIR] [--json]",
	.help =
	    "Shows the bytes of live and rotated logs of each container,\n"
	    "<zones>/<uuid>/logs/, biggest first, and the total: of every\n"
	    "compute node, each asked through dockerapi's admin API (a node\n"
	    "that does not answer is named, and the status is 1), or with\n"
	    "--zones, of that folder on this machine alone.\n"
	    "  --zones DIR   this machine's zones root, read here\n"
	    "  --json        {\"nodes\": [{\"id\", \"hostname\", \"answered\",\n"
	    "                \"complete\" or \"error\"}], \"containers\": [{\"node\",\n"
	    "                \"nodeId\", \"uuid\", \"live\", \"rotated\",\n"
	    "                \"rotatedFiles\", \"total\"}], \"total\": {...}};\n"
	    "                with --zones, {\"zones\", \"containers\", \"total\"}\n",
	.flags = ADM_CMD_NEEDS_ADMIN,	/* unless --zones */
	.opts = usage_options,
	.complete = NULL,
	.exec = usage_exec,
};
