/*
 * key.c: `key add|list|remove`, an account's SSH public keys.
 *
 * The daemon parses and fingerprints a key when it is added, so a
 * malformed file or a duplicate is refused there with its own words; this
 * side only reads the file (the first line that is not a comment).
 */
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "buf.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "xalloc.h"

enum { OPT_NAME = 256, OPT_JSON };

static const struct adm_column key_columns[] = {
	{ "name", "NAME", ADM_COL_SHRINK },
	{ "type", "TYPE", 0 },
	{ "fingerprint", "MD5", 0 },
	{ "sha256", "SHA256", ADM_COL_SHRINK },
	{ NULL, NULL, 0 }
};

/* The first key line of an authorized_keys-style file. */
static char *
read_key_line(const char *path, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	char *line = NULL, *save = NULL;

	if (file_read(path, &b, 1 << 20, err) < 0)
		return NULL;
	for (char *l = strtok_r(b.data != NULL ? b.data : (char *)"", "\n", &save);
	    l != NULL; l = strtok_r(NULL, "\n", &save)) {
		l += strspn(l, " \t");
		if (*l != '\0' && *l != '#') {
			line = xstrdup(l);
			break;
		}
	}
	buf_free(&b);
	if (line == NULL)
		sdc_make_error(err, 0, "%s holds no public key", path);
	return line;
}

int
adm_key_check(const char *file, sdc_error_t *err)
{
	char *line = read_key_line(file, err);

	free(line);
	return line != NULL ? 0 : -1;
}

int
adm_key_add(const struct adm_ctx *ctx, const char *login, const char *file,
    const char *name, json_t **added, sdc_error_t *err)
{
	char *line = read_key_line(file, err), *path;
	json_t *body, *key;

	if (line == NULL)
		return -1;
	body = json_pack("{s:s}", "key", line);
	if (name != NULL)
		json_object_set_new(body, "name", json_string(name));
	path = adm_account_path(login, "/keys");
	key = adm_admin_call(ctx, "POST", path, body, err);
	free(path);
	free(line);
	json_decref(body);
	if (key == NULL)
		return -1;
	if (added != NULL)
		*added = key;
	else
		json_decref(key);
	return 0;
}

static void
keys_print(const struct adm_ctx *ctx, json_t *keys)
{
	if (ctx->json)
		adm_output_json(ctx, keys);
	else
		adm_output_list(ctx, key_columns, keys, NULL);
}

static int
key_add_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct adm_opt_state st;
	const char *name = NULL;
	sdc_error_t err = NULL;
	json_t *key, *list;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_NAME)
			name = st.arg;
		else if (c == OPT_JSON)
			ctx->json = true;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc - 2)
		return adm_cmd_usage_error(self, "expected LOGIN and PUBKEY_FILE");
	if (adm_key_add(ctx, argv[st.ind], argv[st.ind + 1], name, &key, &err) < 0)
		return adm_fail(self, &err);
	list = json_array();
	json_array_append_new(list, key);
	keys_print(ctx, ctx->json ? key : list);
	json_decref(list);
	return ADM_EXIT_OK;
}

static int
key_list_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct adm_opt_state st;
	sdc_error_t err = NULL;
	json_t *keys;
	char *path;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_JSON)
			ctx->json = true;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc - 1)
		return adm_cmd_usage_error(self, "expected one LOGIN");
	path = adm_account_path(argv[st.ind], "/keys");
	keys = adm_admin_call(ctx, "GET", path, NULL, &err);
	free(path);
	if (keys == NULL)
		return adm_fail(self, &err);
	keys_print(ctx, keys);
	json_decref(keys);
	return ADM_EXIT_OK;
}

static int
key_remove_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	sdc_error_t err = NULL;
	char *which, *rest, *path;
	json_t *r;

	if (argc != 3 || argv[1][0] == '-')
		return adm_cmd_usage_error(self, "expected LOGIN and FINGERPRINT or NAME");
	which = adm_admin_escape(argv[2]);
	xasprintf(&rest, "/keys/%s", which);
	path = adm_account_path(argv[1], rest);
	r = adm_admin_call(ctx, "DELETE", path, NULL, &err);
	free(which);
	free(rest);
	free(path);
	if (r == NULL)
		return adm_fail(self, &err);
	json_decref(r);
	fprintf(ctx->out, "removed key %s of %s\n", argv[2], argv[1]);
	return ADM_EXIT_OK;
}

static const struct option add_options[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static const struct option list_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

const struct adm_cmd_entry adm_cmd_key_add_entry = {
	.name = "key add",
	.usage = "LOGIN PUBKEY_FILE [--name NAME] [--json]",
	.help =
	    "Adds an SSH public key (authorized_keys form: RSA, ECDSA or Ed25519)\n"
	    "to an account.  NAME defaults to the key's comment.\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = add_options,
	.complete = adm_complete_logins,
	.exec = key_add_exec,
};

const struct adm_cmd_entry adm_cmd_key_list_entry = {
	.name = "key list",
	.usage = "LOGIN [--json]",
	.help = "Lists an account's keys with their MD5 and SHA256 fingerprints.\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.opts = list_options,
	.complete = adm_complete_logins,
	.exec = key_list_exec,
};

const struct adm_cmd_entry adm_cmd_key_remove_entry = {
	.name = "key remove",
	.usage = "LOGIN FINGERPRINT|NAME",
	.help =
	    "Removes a key, by name or fingerprint (MD5 colon hex or SHA256, with\n"
	    "or without the MD5:/SHA256: prefix ssh-keygen prints).  Clients\n"
	    "using a certificate made from it are refused from their next request.\n",
	.flags = ADM_CMD_NEEDS_ADMIN,
	.complete = adm_complete_logins,
	.exec = key_remove_exec,
};
