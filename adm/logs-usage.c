/*
 * logs-usage.c: `logs usage`, how much each container's logs take.
 *
 * It reads the tree through the same walk as cleanup (logs-walk.c), so it
 * counts exactly the files cleanup would consider: the live stdio.log and
 * the rotated stdio.log.<time> regular files, nothing reached through a
 * link.  Each container's numbers land in their own slot of an array, so
 * the threads share nothing but the job counter.  Sizes are st_size, what
 * the logs hold, not the blocks they occupy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
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

/* The rows, sorted, and the totals in *sum. */
static json_t *
usage_rows(const struct usage_run *r, struct usage_row *sum, size_t *count)
{
	json_t **v = xcalloc(r->tree.ids.n + 1, sizeof *v), *rows;
	size_t i, n = 0;

	memset(sum, 0, sizeof *sum);
	for (i = 0; i < r->tree.ids.n; i++) {
		if (!r->rows[i].present)
			continue;
		v[n++] = usage_object(r->tree.ids.v[i], &r->rows[i]);
		sum->live += r->rows[i].live;
		sum->rotated += r->rows[i].rotated;
		sum->files += r->rows[i].files;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, usage_cmp);
	rows = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(rows, v[i]);
	free(v);
	*count = n;
	return rows;
}

const struct adm_column adm_logs_usage_columns[] = {
	{ "uuid", "CONTAINER", ADM_COL_SHRINK },
	{ "live", "LIVE", ADM_COL_RIGHT | ADM_COL_BYTES },
	{ "rotated", "ROTATED", ADM_COL_RIGHT | ADM_COL_BYTES },
	{ "rotatedFiles", "FILES", ADM_COL_RIGHT },
	{ "total", "TOTAL", ADM_COL_RIGHT | ADM_COL_BYTES },
	{ NULL, NULL, 0 }
};

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
	adm_output_list(ctx, adm_logs_usage_columns, rows, total);
	json_decref(rows);
	json_decref(total);
}

enum { OPT_ZONES = 256, OPT_JSON };

static const struct option usage_options[] = {
	{ "zones", required_argument, NULL, OPT_ZONES },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

/* The rows alone, biggest first, for the TUI's log pane. */
json_t *
adm_logs_usage_rows(const char *zones, sdc_error_t *err)
{
	struct usage_run r;
	struct usage_row sum;
	json_t *rows;
	size_t n;

	memset(&r, 0, sizeof r);
	if (logs_walk_open(&r.tree, zones, err) < 0)
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
	    "Shows the bytes of live and rotated logs of each container under\n"
	    "<zones>/<uuid>/logs/, biggest first, and the total.\n"
	    "  --zones DIR   the zones root (default /zones)\n"
	    "  --json        {\"zones\", \"containers\": [{\"uuid\", \"live\", "
	    "\"rotated\",\n"
	    "                \"rotatedFiles\", \"total\"}], \"total\": {...}}\n",
	.flags = 0,
	.opts = usage_options,
	.complete = NULL,
	.exec = usage_exec,
};
