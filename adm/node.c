/*
 * node.c: `node list|inspect|drain|undrain`, the data center's compute
 * nodes through the admin API: what each has, whether it is available
 * (its agent heard from within three heartbeats), and taking one out of
 * placement (drain: its containers keep running, no new ones go there)
 * and back.
 */
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "jsonutil.h"
#include "xalloc.h"

enum { OPT_JSON = 256 };

const struct adm_column adm_node_columns[] = {
	{ "short_id", "NODE", 0 },
	{ "hostname", "HOSTNAME", ADM_COL_SHRINK },
	{ "address", "ADDRESS", 0 },
	{ "status", "STATUS", 0 },
	{ "cpus", "CPUS", ADM_COL_RIGHT },
	{ "memory", "MEMORY", ADM_COL_RIGHT | ADM_COL_BYTES },
	{ "disk", "DISK", ADM_COL_RIGHT | ADM_COL_BYTES },
	{ "containers", "CONTAINERS", ADM_COL_RIGHT },
	{ "last_heartbeat", "HEARD", 0 },
	{ NULL, NULL, 0 }
};

static json_t *
node_row(json_t *n)
{
	const char *id = json_str(n, "ID", "");
	const char *status = !json_bool(n, "Available", false) ?
	    "unavailable" : json_bool(n, "Drained", false) ? "drained" :
	    "available";
	char cpus[16], count[16];

	snprintf(cpus, sizeof cpus, "%d", (int)json_int(n, "CPUs", 0));
	snprintf(count, sizeof count, "%d", (int)json_int(n, "Containers", 0));
	return json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s,"
	    " s:O}",
	    "id", id, "short_id", id, strlen(id) < 8 ? strlen(id) : (size_t)8,
	    "hostname", json_str(n, "Hostname", ""),
	    "address", json_str(n, "Address", ""),
	    "status", status, "cpus", cpus,
	    "memory", json_int(n, "Memory", 0), "disk", json_int(n, "Disk", 0),
	    "containers", count,
	    "last_heartbeat", json_str(n, "LastHeartbeat", ""), "inspect", n);
}

json_t *
adm_node_rows(const struct adm_ctx *ctx, sdc_error_t *err)
{
	return adm_admin_rows(ctx, "/nodes", node_row, err);
}

static int
node_list_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	struct adm_opt_state st;
	sdc_error_t err = NULL;
	json_t *rows;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_JSON)
			ctx->json = true;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc)
		return adm_cmd_usage_error(self, "unexpected argument '%s'",
		    argv[st.ind]);
	if ((rows = adm_node_rows(ctx, &err)) == NULL)
		return adm_fail(self, &err);
	adm_output_list(ctx, adm_node_columns, rows, NULL);
	json_decref(rows);
	return ADM_EXIT_OK;
}

/* inspect, drain and undrain: one node, by id, unique id prefix or
 * hostname. */
static int
node_one(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv, const char *method, const char *action)
{
	sdc_error_t err = NULL;
	char *path, *e;
	json_t *v;

	if (argc != 2 || argv[1][0] == '-')
		return adm_cmd_usage_error(self, "expected one node (an id, "
		    "its prefix or the hostname)");
	e = adm_admin_escape(argv[1]);
	xasprintf(&path, "/nodes/%s%s", e, action);
	free(e);
	v = adm_admin_call(ctx, method, path, NULL, &err);
	free(path);
	if (v == NULL)
		return adm_fail(self, &err);
	adm_output_json(ctx, v);
	json_decref(v);
	return ADM_EXIT_OK;
}

static int
node_inspect_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	return node_one(self, ctx, argc, argv, "GET", "");
}

static int
node_drain_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	return node_one(self, ctx, argc, argv, "POST", "/drain");
}

static int
node_undrain_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	return node_one(self, ctx, argc, argv, "POST", "/undrain");
}

static const struct option list_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

const struct adm_cmd_entry adm_cmd_node_list_entry = {
	.name = "node list", .usage = "[--json]",
	.help = "Lists the compute nodes: address, whether available (heard\n"
	    "from within three heartbeats), drained or not, CPUs, memory,\n"
	    "disk, the containers on each and the last heartbeat.\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .opts = list_options,
	.exec = node_list_exec,
};

const struct adm_cmd_entry adm_cmd_node_inspect_entry = {
	.name = "node inspect", .usage = "NODE",
	.help = "Prints a compute node as the store has it; NODE is its id,\n"
	    "a unique prefix of it, or its hostname.\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .exec = node_inspect_exec,
};

const struct adm_cmd_entry adm_cmd_node_drain_entry = {
	.name = "node drain", .usage = "NODE",
	.help = "Takes a compute node out of placement: its containers keep\n"
	    "running, new ones go to other nodes.\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .exec = node_drain_exec,
};

const struct adm_cmd_entry adm_cmd_node_undrain_entry = {
	.name = "node undrain", .usage = "NODE",
	.help = "Puts a drained compute node back into placement.\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .exec = node_undrain_exec,
};
