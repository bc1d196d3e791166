/*
 * build-cache.c: `build-cache usage [LOGIN]` and `build-cache prune
 * LOGIN`, docker build's step cache per account, through dockerapi's
 * admin API (GET /build-cache, GET /accounts/:login/build-cache, POST
 * /accounts/:login/build-cache/prune).  The cache is an account's step
 * keys and the untagged images they name; its bytes count in the
 * account's image quota, so an operator sees here what a prune gives
 * back before the account hits it.
 */
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "jsonutil.h"
#include "xalloc.h"

enum { OPT_JSON = 256 };

static const struct adm_column usage_columns[] = {
	{ "login", "LOGIN", 0 },
	{ "keys", "KEYS", 0 },
	{ "images", "IMAGES", 0 },
	{ "size", "SIZE", 0 },
	{ NULL, NULL, 0 }
};

static const struct option json_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static int
cache_options(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv, int *ind)
{
	struct adm_opt_state st;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c != OPT_JSON)
			return -1;
		ctx->json = true;
	}
	*ind = st.ind;
	return 0;
}

static json_t *
usage_row(const json_t *u)
{
	char size[32];
	char n1[24], n2[24];

	snprintf(n1, sizeof n1, "%" JSON_INTEGER_FORMAT, json_int(u, "Keys", 0));
	snprintf(n2, sizeof n2, "%" JSON_INTEGER_FORMAT, json_int(u, "Images", 0));
	adm_units_format_size((uint64_t)json_int(u, "Bytes", 0), size, sizeof size);
	return json_pack("{s:s, s:s, s:s, s:s}", "login", json_str(u, "Login", ""),
	    "keys", n1, "images", n2, "size", size);
}

static int
cache_usage_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	sdc_error_t err = NULL;
	json_t *v, *rows, *u;
	char *path;
	size_t i;
	int ind;

	if (cache_options(self, ctx, argc, argv, &ind) < 0)
		return ADM_EXIT_USAGE;
	if (ind + 1 < argc)
		return adm_cmd_usage_error(self, "expected at most one LOGIN");
	path = ind < argc ? adm_account_path(argv[ind], "/build-cache") :
	    xstrdup("/build-cache");
	v = adm_admin_call(ctx, "GET", path, NULL, &err);
	free(path);
	if (v == NULL)
		return adm_fail(self, &err);
	if (ctx->json) {
		adm_output_json(ctx, v);
		json_decref(v);
		return ADM_EXIT_OK;
	}
	rows = json_array();
	if (json_is_array(v))
		json_array_foreach(v, i, u)
			json_array_append_new(rows, usage_row(u));
	else
		json_array_append_new(rows, usage_row(v));
	adm_output_list(ctx, usage_columns, rows, NULL);
	json_decref(rows);
	json_decref(v);
	return ADM_EXIT_OK;
}

static int
cache_prune_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	sdc_error_t err = NULL;
	char size[32];
	json_t *v;
	char *path;
	int ind;

	if (cache_options(self, ctx, argc, argv, &ind) < 0)
		return ADM_EXIT_USAGE;
	if (ind != argc - 1)
		return adm_cmd_usage_error(self, "expected one LOGIN");
	path = adm_account_path(argv[ind], "/build-cache/prune");
	v = adm_admin_call(ctx, "POST", path, NULL, &err);
	free(path);
	if (v == NULL)
		return adm_fail(self, &err);
	if (ctx->json)
		adm_output_json(ctx, v);
	else
		printf("Deleted %" JSON_INTEGER_FORMAT " cache keys and %"
		    JSON_INTEGER_FORMAT " images; reclaimed %s\n",
		    json_int(v, "KeysDeleted", 0), json_int(v, "ImagesDeleted", 0),
		    adm_units_format_size((uint64_t)json_int(v, "SpaceReclaimed", 0),
		    size, sizeof size));
	json_decref(v);
	return ADM_EXIT_OK;
}

const struct adm_cmd_entry adm_cmd_build_cache_usage_entry = {
	.name = "build-cache usage",
	.usage = "[LOGIN] [--json]",
	.help =
	    "Shows docker build's step cache of every account, or of one: its\n"
	    "keys, the untagged step images they name, and their size (counted\n"
	    "in the account's image-bytes quota).\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = json_options,
	.complete = adm_complete_logins,
	.exec = cache_usage_exec,
};

const struct adm_cmd_entry adm_cmd_build_cache_prune_entry = {
	.name = "build-cache prune",
	.usage = "LOGIN [--json]",
	.help =
	    "Empties an account's build cache: its step keys, and the untagged\n"
	    "step images they name that no container uses.  The account's next\n"
	    "builds run every step again.\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = json_options,
	.complete = adm_complete_logins,
	.exec = cache_prune_exec,
};
