/*
 * network.c: `network list|inspect`, every account's networks as the
 * operator sees them, through the admin API (a user's docker CLI sees
 * only its own account's).
 */
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "jsonutil.h"
#include "xalloc.h"

enum { OPT_ACCOUNT = 256, OPT_JSON };

const struct adm_column adm_network_columns[] = {
	{ "short_id", "NETWORK", 0 },
	{ "account", "ACCOUNT", 0 },
	{ "name", "NAME", ADM_COL_SHRINK },
	{ "subnet", "SUBNET", 0 },
	{ "internal", "INTERNAL", 0 },
	{ "containers", "CONTAINERS", ADM_COL_RIGHT },
	{ NULL, NULL, 0 }
};

static json_t *
network_row(json_t *n)
{
	const char *id = json_str(n, "Id", "");
	json_t *cfg = json_array_get(json_object_get(json_object_get(n, "IPAM"),
	    "Config"), 0);
	char count[16];

	snprintf(count, sizeof count, "%zu",
	    json_object_size(json_object_get(n, "Containers")));
	return json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:O}",
	    "id", id, "short_id", id, strlen(id) < 12 ? strlen(id) : (size_t)12,
	    "account", json_str(n, "Login", json_str(n, "Account", "")),
	    "name", json_str(n, "Name", ""),
	    "subnet", json_str(cfg, "Subnet", ""),
	    "internal", json_bool(n, "Internal", false) ? "yes" : "no",
	    "containers", count, "inspect", n);
}

json_t *
adm_network_rows(const struct adm_ctx *ctx, const char *account,
    sdc_error_t *err)
{
	char *path, *acct = account != NULL ? adm_admin_escape(account) : NULL;
	json_t *rows;

	xasprintf(&path, "/networks%s%s", acct != NULL ? "?account=" : "",
	    acct != NULL ? acct : "");
	rows = adm_admin_rows(ctx, path, network_row, err);
	free(path);
	free(acct);
	return rows;
}

static int
network_list_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	struct adm_opt_state st;
	const char *account = NULL;
	sdc_error_t err = NULL;
	json_t *rows;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_ACCOUNT)
			account = st.arg;
		else if (c == OPT_JSON)
			ctx->json = true;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc)
		return adm_cmd_usage_error(self, "unexpected argument '%s'",
		    argv[st.ind]);
	if ((rows = adm_network_rows(ctx, account, &err)) == NULL)
		return adm_fail(self, &err);
	adm_output_list(ctx, adm_network_columns, rows, NULL);
	json_decref(rows);
	return ADM_EXIT_OK;
}

static int
network_inspect_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	sdc_error_t err = NULL;
	char *path, *e;
	json_t *v;

	if (argc != 2 || argv[1][0] == '-')
		return adm_cmd_usage_error(self, "expected one network ID");
	e = adm_admin_escape(argv[1]);
	xasprintf(&path, "/networks/%s", e);
	free(e);
	v = adm_admin_call(ctx, "GET", path, NULL, &err);
	free(path);
	if (v == NULL)
		return adm_fail(self, &err);
	adm_output_json(ctx, v);
	json_decref(v);
	return ADM_EXIT_OK;
}

static const struct option list_options[] = {
	{ "account", required_argument, NULL, OPT_ACCOUNT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

const struct adm_cmd_entry adm_cmd_network_list_entry = {
	.name = "network list", .usage = "[--account LOGIN] [--json]",
	.help = "Lists the networks of every account (or one): subnet, whether\n"
	    "internal, and the running containers on each.\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .opts = list_options,
	.exec = network_list_exec,
};

const struct adm_cmd_entry adm_cmd_network_inspect_entry = {
	.name = "network inspect", .usage = "ID",
	.help = "Prints a network as `docker network inspect` does, with its\n"
	    "account; ID is a full id or a unique prefix.\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .exec = network_inspect_exec,
};
