/*
 * account.c: `account create|list|get|update|delete`, the accounts that
 * may use the Docker endpoint, through dockerapi's admin API.
 *
 * Each subcommand is a thin translation of options into one admin call;
 * the daemon validates (login syntax, duplicates, refusing to delete an
 * account that still has containers) and its message is what the operator
 * sees.  `account create --key FILE` adds keys in the same go, since an
 * account without a key cannot log in anyway.  `account quota` shows and
 * sets the account's own quotas over the service defaults.
 */
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "jsonutil.h"
#include "xalloc.h"

enum {
	OPT_EMAIL = 256, OPT_APPROVED, OPT_UNAPPROVE, OPT_DISABLE, OPT_ENABLE,
	OPT_ALLOWED_DCS, OPT_KEY, OPT_JSON, OPT_FORCE,
};

static const struct adm_column account_columns[] = {
	{ "login", "LOGIN", 0 },
	{ "uuid", "UUID", ADM_COL_SHRINK },
	{ "email", "EMAIL", ADM_COL_SHRINK },
	{ "approved", "APPROVED", 0 },
	{ "state", "STATE", 0 },
	{ NULL, NULL, 0 }
};

/* The table wants flat strings; --json keeps the admin API's objects. */
static json_t *
account_row(const json_t *a)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "login", json_str(a, "login", ""), "uuid", json_str(a, "uuid", ""),
	    "email", json_str(a, "email", "-"),
	    "approved", json_bool(a, "approved_for_provisioning", false) ? "yes" : "no",
	    "state", json_bool(a, "disabled", false) ? "disabled" : "enabled");
}

static void
account_print(const struct adm_ctx *ctx, json_t *a)
{
	json_t *rows;

	if (ctx->json) {
		adm_output_json(ctx, a);
		return;
	}
	rows = json_array();
	json_array_append_new(rows, account_row(a));
	adm_output_list(ctx, account_columns, rows, NULL);
	json_decref(rows);
}

/* "a,b" → ["a","b"]; "" → null (any data center). */
static json_t *
split_dcs(const char *s)
{
	json_t *list;
	char *copy, *save = NULL;

	if (*s == '\0')
		return json_null();
	list = json_array();
	copy = xstrdup(s);
	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
		json_array_append_new(list, json_string(t));
	free(copy);
	return list;
}

int
adm_fail(const struct adm_cmd_entry *self, sdc_error_t *err)
{
	adm_cmd_warn(self, "%s", sdc_error_msg(*err));
	sdc_error_release(err);
	return ADM_EXIT_FAIL;
}

char *
adm_account_path(const char *login, const char *rest)
{
	char *e = adm_admin_escape(login), *path;

	xasprintf(&path, "/accounts/%s%s", e, rest != NULL ? rest : "");
	free(e);
	return path;
}

/* Read the options every account change may take into body. */
static int
account_options(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv, json_t *body, struct strvec *keys, int *ind)
{
	struct adm_opt_state st;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		switch (c) {
		case OPT_EMAIL: json_object_set_new(body, "email", json_string(st.arg)); break;
		case OPT_APPROVED: json_object_set_new(body, "approved_for_provisioning", json_true()); break;
		case OPT_UNAPPROVE: json_object_set_new(body, "approved_for_provisioning", json_false()); break;
		case OPT_DISABLE: json_object_set_new(body, "disabled", json_true()); break;
		case OPT_ENABLE: json_object_set_new(body, "disabled", json_false()); break;
		case OPT_ALLOWED_DCS: json_object_set_new(body, "allowed_dcs", split_dcs(st.arg)); break;
		case OPT_KEY: strvec_push(keys, st.arg); break;
		case OPT_JSON: ctx->json = true; break;
		default: return -1;
		}
	}
	*ind = st.ind;
	return 0;
}

static int
account_create_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	json_t *body = json_object(), *acct;
	struct strvec keys = { 0 };
	sdc_error_t err = NULL;
	int ind, rc = ADM_EXIT_OK;

	if (account_options(self, ctx, argc, argv, body, &keys, &ind) < 0) {
		rc = ADM_EXIT_USAGE;
		goto out;
	}
	if (ind != argc - 1) {
		rc = adm_cmd_usage_error(self, "expected one LOGIN");
		goto out;
	}
	/* Every key file is read before anything is made: a typo in a path
	 * must not leave an account behind without its key. */
	for (size_t i = 0; i < keys.n; i++)
		if (adm_key_check(keys.v[i], &err) < 0) {
			rc = adm_fail(self, &err);
			goto out;
		}
	json_object_set_new(body, "login", json_string(argv[ind]));
	if ((acct = adm_admin_call(ctx, "POST", "/accounts", body, &err)) == NULL) {
		rc = adm_fail(self, &err);
		goto out;
	}
	for (size_t i = 0; i < keys.n && rc == ADM_EXIT_OK; i++)
		if (adm_key_add(ctx, argv[ind], keys.v[i], NULL, NULL, &err) < 0)
			rc = adm_fail(self, &err);
	if (rc != ADM_EXIT_OK) {
		/* A key the daemon refused: undo the account, as if never made. */
		char *path = adm_account_path(argv[ind], "");
		json_t *gone = adm_admin_call(ctx, "DELETE", path, NULL, &err);

		if (gone == NULL)
			adm_fail(self, &err);
		json_decref(gone);
		free(path);
	} else
		account_print(ctx, acct);
	json_decref(acct);
out:
	strvec_clear(&keys);
	json_decref(body);
	return rc;
}

static int
account_list_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	json_t *list, *rows, *a;
	sdc_error_t err = NULL;
	size_t i;
	int ind;

	if (account_options(self, ctx, argc, argv, NULL, NULL, &ind) < 0)
		return ADM_EXIT_USAGE;
	if (ind != argc)
		return adm_cmd_usage_error(self, "unexpected argument '%s'", argv[ind]);
	if ((list = adm_admin_call(ctx, "GET", "/accounts", NULL, &err)) == NULL)
		return adm_fail(self, &err);
	if (ctx->json) {
		adm_output_json(ctx, list);
	} else {
		rows = json_array();
		json_array_foreach(list, i, a)
			json_array_append_new(rows, account_row(a));
		adm_output_list(ctx, account_columns, rows, NULL);
		json_decref(rows);
	}
	json_decref(list);
	return ADM_EXIT_OK;
}

/* get, update and delete: one LOGIN, one call. */
static int
account_one(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv, const char *method)
{
	json_t *body = json_object(), *acct;
	sdc_error_t err = NULL;
	char *path;
	int ind;

	if (account_options(self, ctx, argc, argv, body, NULL, &ind) < 0) {
		json_decref(body);
		return ADM_EXIT_USAGE;
	}
	if (ind != argc - 1) {
		json_decref(body);
		return adm_cmd_usage_error(self, "expected one LOGIN");
	}
	if (strcmp(method, "PUT") == 0 && json_object_size(body) == 0) {
		json_decref(body);
		return adm_cmd_usage_error(self, "nothing to change: give at least one option");
	}
	path = adm_account_path(argv[ind], NULL);
	acct = adm_admin_call(ctx, method, path, strcmp(method, "PUT") == 0 ? body : NULL, &err);
	free(path);
	json_decref(body);
	if (acct == NULL)
		return adm_fail(self, &err);
	account_print(ctx, acct);
	json_decref(acct);
	return ADM_EXIT_OK;
}

static int
account_get_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	return account_one(self, ctx, argc, argv, "GET");
}

static int
account_update_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	return account_one(self, ctx, argc, argv, "PUT");
}

static int
account_delete_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	struct adm_opt_state st;
	sdc_error_t err = NULL;
	bool force = false;
	char *path, *full;
	json_t *r;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_FORCE)
			force = true;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc - 1)
		return adm_cmd_usage_error(self, "expected one LOGIN");
	path = adm_account_path(argv[st.ind], NULL);
	xasprintf(&full, "%s%s", path, force ? "?force=true" : "");
	r = adm_admin_call(ctx, "DELETE", full, NULL, &err);
	free(path);
	free(full);
	if (r == NULL)
		return adm_fail(self, &err);
	json_decref(r);
	if (!ctx->json)
		fprintf(ctx->out, "deleted account %s\n", argv[st.ind]);
	return ADM_EXIT_OK;
}

/* --- quota --- */

static const struct adm_column quota_columns[] = {
	{ "quota", "QUOTA", 0 },
	{ "limit", "LIMIT", 0 },
	{ "source", "FROM", 0 },
	{ "used", "USED", 0 },
	{ NULL, NULL, 0 }
};

static const char *const quota_names[] = {
	"containers", "image_bytes", "volume_bytes", NULL
};

static void
quota_cell(const char *name, json_int_t v, char *buf, size_t len)
{
	if (strcmp(name, "containers") == 0)
		snprintf(buf, len, "%lld", (long long)v);
	else
		adm_units_format_size((uint64_t)v, buf, len);
}

static void
quota_print(const struct adm_ctx *ctx, json_t *q)
{
	json_t *rows, *o;
	char lim[32], used[32];

	if (ctx->json) {
		adm_output_json(ctx, q);
		return;
	}
	rows = json_array();
	for (int i = 0; quota_names[i] != NULL; i++) {
		o = json_object_get(q, quota_names[i]);
		if (json_is_integer(json_object_get(o, "limit")))
			quota_cell(quota_names[i], json_integer_value(
			    json_object_get(o, "limit")), lim, sizeof lim);
		else
			snprintf(lim, sizeof lim, "none");
		quota_cell(quota_names[i], json_int(o, "used", 0), used,
		    sizeof used);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s}",
		    "quota", quota_names[i], "limit", lim, "source",
		    json_is_null(json_object_get(o, "account")) ? "default" :
		    "account", "used", used));
	}
	adm_output_list(ctx, quota_columns, rows, NULL);
	json_decref(rows);
}

/* "containers=5", "image-bytes=2G", "volume_bytes=none", "x=default". */
static int
quota_setting(const char *arg, json_t *body, sdc_error_t *err)
{
	const char *eq = strchr(arg, '=');
	char name[32];
	uint64_t v;
	int i;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof name)
		return sdc_make_error(err, 0, "expected QUOTA=VALUE, not '%s'", arg);
	snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
	for (char *p = name; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	for (i = 0; quota_names[i] != NULL; i++)
		if (strcmp(name, quota_names[i]) == 0)
			break;
	if (quota_names[i] == NULL)
		return sdc_make_error(err, 0, "unknown quota '%.*s': the quotas "
		    "are containers, image-bytes and volume-bytes",
		    (int)(eq - arg), arg);
	eq++;
	if (strcmp(eq, "default") == 0)
		json_object_set_new(body, name, json_null());
	else if (strcmp(eq, "none") == 0)
		json_object_set_new(body, name, json_integer(0));
	else if (adm_units_parse_size(eq, &v, err) < 0)
		return sdc_error_wrap(err, "quota %s", name);
	else
		json_object_set_new(body, name, json_integer((json_int_t)v));
	return 0;
}

static int
account_quota_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv)
{
	json_t *body = json_object(), *q;
	sdc_error_t err = NULL;
	char *path;
	int ind, i;

	if (account_options(self, ctx, argc, argv, NULL, NULL, &ind) < 0) {
		json_decref(body);
		return ADM_EXIT_USAGE;
	}
	if (ind >= argc) {
		json_decref(body);
		return adm_cmd_usage_error(self, "expected a LOGIN");
	}
	for (i = ind + 1; i < argc; i++)
		if (quota_setting(argv[i], body, &err) < 0) {
			json_decref(body);
			adm_cmd_warn(self, "%s", sdc_error_msg(err));
			sdc_error_release(&err);
			return ADM_EXIT_USAGE;
		}
	path = adm_account_path(argv[ind], "/quota");
	q = adm_admin_call(ctx, json_object_size(body) > 0 ? "PUT" : "GET",
	    path, json_object_size(body) > 0 ? body : NULL, &err);
	free(path);
	json_decref(body);
	if (q == NULL)
		return adm_fail(self, &err);
	quota_print(ctx, q);
	json_decref(q);
	return ADM_EXIT_OK;
}

static const struct option create_options[] = {
	{ "email", required_argument, NULL, OPT_EMAIL },
	{ "approved", no_argument, NULL, OPT_APPROVED },
	{ "disable", no_argument, NULL, OPT_DISABLE },
	{ "allowed-dcs", required_argument, NULL, OPT_ALLOWED_DCS },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static const struct option update_options[] = {
	{ "email", required_argument, NULL, OPT_EMAIL },
	{ "approve", no_argument, NULL, OPT_APPROVED },
	{ "unapprove", no_argument, NULL, OPT_UNAPPROVE },
	{ "disable", no_argument, NULL, OPT_DISABLE },
	{ "enable", no_argument, NULL, OPT_ENABLE },
	{ "allowed-dcs", required_argument, NULL, OPT_ALLOWED_DCS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static const struct option json_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static const struct option delete_options[] = {
	{ "force", no_argument, NULL, OPT_FORCE },
	{ NULL, 0, NULL, 0 }
};

const struct adm_cmd_entry adm_cmd_account_create_entry = {
	.name = "account create",
	.usage = "LOGIN [--email E] [--approved] [--disable] [--allowed-dcs A,B] [--key PUBKEY_FILE]... [--json]",
	.help =
	    "Creates an account that may use the Docker endpoint.\n"
	    "  --email E           its e-mail address\n"
	    "  --approved          approved for provisioning (may create containers\n"
	    "                      and pull images)\n"
	    "  --disable           created disabled\n"
	    "  --allowed-dcs A,B   the data centers it may use (with the tunable\n"
	    "                      account_allowed_dcs on)\n"
	    "  --key FILE          add this SSH public key too (repeatable)\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = create_options,
	.exec = account_create_exec,
};

const struct adm_cmd_entry adm_cmd_account_list_entry = {
	.name = "account list",
	.usage = "[--json]",
	.help = "Lists every account.\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = json_options,
	.exec = account_list_exec,
};

const struct adm_cmd_entry adm_cmd_account_get_entry = {
	.name = "account get",
	.usage = "LOGIN [--json]",
	.help = "Shows one account, by login or uuid.\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = json_options,
	.complete = adm_complete_logins,
	.exec = account_get_exec,
};

const struct adm_cmd_entry adm_cmd_account_update_entry = {
	.name = "account update",
	.usage = "LOGIN [--disable|--enable] [--approve|--unapprove] [--email E] [--allowed-dcs A,B] [--json]",
	.help =
	    "Changes an account.  A disabled account is refused (403) at once,\n"
	    "even on connections already open.  --allowed-dcs '' allows any.\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = update_options,
	.complete = adm_complete_logins,
	.exec = account_update_exec,
};

const struct adm_cmd_entry adm_cmd_account_quota_entry = {
	.name = "account quota",
	.usage = "LOGIN [QUOTA=VALUE]... [--json]",
	.help =
	    "Shows an account's quotas (the limit in force, whether it is the\n"
	    "account's own or the service default, and what the account uses),\n"
	    "or sets them.  QUOTA is containers, image-bytes or volume-bytes;\n"
	    "VALUE a number (sizes may be 500M, 2G, ...), none for no limit,\n"
	    "or default to follow the QUOTA_* tunable again.  Over a quota the\n"
	    "account's create, pull, load or import is refused (403).\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = json_options,
	.complete = adm_complete_logins,
	.exec = account_quota_exec,
};

const struct adm_cmd_entry adm_cmd_account_delete_entry = {
	.name = "account delete",
	.usage = "LOGIN [--force]",
	.help =
	    "Deletes an account and its keys.  Refused while it has containers,\n"
	    "unless --force, which removes its containers and images too.\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = delete_options,
	.complete = adm_complete_logins,
	.exec = account_delete_exec,
};
