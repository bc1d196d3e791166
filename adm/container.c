/*
 * container.c: `container list|inspect|logs|stop|kill`, every account's
 * containers as the operator sees them, through the admin API.
 *
 * The admin API answers across accounts, which the Docker API never does;
 * that is the whole difference from a user's docker CLI, so the commands
 * mirror docker's own (ps, inspect, logs, stop, kill) and take a full id,
 * a unique id prefix, or account/name.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "jsonutil.h"
#include "xalloc.h"

enum { OPT_ACCOUNT = 256, OPT_ALL, OPT_JSON, OPT_TAIL, OPT_FOLLOW, OPT_SIGNAL, OPT_TIME };

const struct adm_column adm_container_columns[] = {
	{ "short_id", "CONTAINER", 0 },
	{ "account", "ACCOUNT", 0 },
	{ "name", "NAME", ADM_COL_SHRINK },
	{ "image", "IMAGE", ADM_COL_SHRINK },
	{ "state", "STATE", 0 },
	{ "package", "PACKAGE", 0 },
	{ "log_bytes", "LOGS", ADM_COL_RIGHT | ADM_COL_BYTES },
	{ NULL, NULL, 0 }
};

/* One flat row from the admin API's inspect-shaped container; the full
 * object stays under "inspect" for --json and the TUI. */
static json_t *
container_row(json_t *c)
{
	const char *id = json_str(c, "Id", ""), *name = json_str(c, "Name", "");
	json_t *config = json_object_get(c, "Config");
	json_t *labels = json_object_get(config, "Labels");

	return json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:I, s:O}",
	    "id", id, "short_id", id, strlen(id) < 12 ? strlen(id) : (size_t)12,
	    "account", json_str(c, "Login", json_str(c, "Account", "")),
	    "name", *name == '/' ? name + 1 : name,
	    "image", json_str(config, "Image", ""),
	    "state", json_str(json_object_get(c, "State"), "Status", ""),
	    "package", json_str(labels, "com.joyent.package", "-"),
	    "log_bytes", json_int(c, "LogBytes", 0),
	    "inspect", c);
}

json_t *
adm_container_rows(const struct adm_ctx *ctx, const char *account, bool all,
    sdc_error_t *err)
{
	char *path, *acct = account != NULL ? adm_admin_escape(account) : NULL;
	json_t *list, *c, *rows;
	size_t i;

	xasprintf(&path, "/containers?all=%d%s%s", all ? 1 : 0,
	    acct != NULL ? "&account=" : "", acct != NULL ? acct : "");
	list = adm_admin_call(ctx, "GET", path, NULL, err);
	free(path);
	free(acct);
	if (list == NULL)
		return NULL;
	rows = json_array();
	json_array_foreach(list, i, c)
		json_array_append_new(rows, container_row(c));
	json_decref(list);
	return rows;
}

static int
container_list_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct adm_opt_state st;
	const char *account = NULL;
	sdc_error_t err = NULL;
	bool all = false;
	json_t *rows;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_ACCOUNT)
			account = st.arg;
		else if (c == OPT_ALL)
			all = true;
		else if (c == OPT_JSON)
			ctx->json = true;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc)
		return adm_cmd_usage_error(self, "unexpected argument '%s'", argv[st.ind]);
	if ((rows = adm_container_rows(ctx, account, all, &err)) == NULL)
		return adm_fail(self, &err);
	adm_output_list(ctx, adm_container_columns, rows, NULL);
	json_decref(rows);
	return ADM_EXIT_OK;
}

static char *
container_path(const char *id, const char *rest)
{
	char *e = adm_admin_escape(id), *path;

	xasprintf(&path, "/containers/%s%s", e, rest != NULL ? rest : "");
	free(e);
	return path;
}

static int
container_inspect_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	sdc_error_t err = NULL;
	char *path;
	json_t *v;

	if (argc != 2 || argv[1][0] == '-')
		return adm_cmd_usage_error(self, "expected one ID");
	path = container_path(argv[1], NULL);
	v = adm_admin_call(ctx, "GET", path, NULL, &err);
	free(path);
	if (v == NULL)
		return adm_fail(self, &err);
	adm_output_json(ctx, v);
	json_decref(v);
	return ADM_EXIT_OK;
}

/* The admin API answers logs as the Docker API does: without a tty, in
 * frames of an 8-byte header (stream, 0, 0, 0, length as 32 bits big
 * endian) and the payload.  Payloads go to the output as they come, so
 * --follow shows lines at once. */
struct logs_sink {
	FILE *out;
	bool framed;
	unsigned char head[8];
	size_t have;            /* bytes of head read */
	size_t left;            /* payload bytes still to copy */
};

static size_t
container_logs_write(char *data, size_t size, size_t n, void *arg)
{
	struct logs_sink *k = arg;
	size_t len = size * n, take;

	while (len > 0) {
		if (!k->framed || k->left > 0) {
			take = k->framed && k->left < len ? k->left : len;
			fwrite(data, 1, take, k->out);
			if (k->framed)
				k->left -= take;
		} else {
			take = sizeof k->head - k->have < len ? sizeof k->head - k->have : len;
			memcpy(k->head + k->have, data, take);
			k->have += take;
			if (k->have == sizeof k->head) {
				k->left = (size_t)k->head[4] << 24 | (size_t)k->head[5] << 16 |
				    (size_t)k->head[6] << 8 | k->head[7];
				k->have = 0;
			}
		}
		data += take;
		len -= take;
	}
	fflush(k->out);
	if (adm_interrupted())
		return 0;       /* Ctrl-C in the shell ends a --follow */
	return size * n;
}

/* libcurl asks often, data or not: the way a quiet --follow notices Ctrl-C. */
static int
container_logs_progress(void *arg, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
    curl_off_t uln)
{
	return adm_interrupted() ? 1 : 0;
}

/* Whether the container has a tty, which decides the framing. */
static int
container_tty(const struct adm_ctx *ctx, const char *id, bool *tty, sdc_error_t *err)
{
	char *path = container_path(id, NULL);
	json_t *v = adm_admin_call(ctx, "GET", path, NULL, err);

	free(path);
	if (v == NULL)
		return -1;
	*tty = json_bool(json_object_get(v, "Config"), "Tty", false);
	json_decref(v);
	return 0;
}

static int
container_logs_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct adm_opt_state st;
	struct logs_sink sink = { .out = ctx->out };
	const char *tail = "all";
	bool follow = false, tty = false;
	char *rest, *path, *url, curl_err[CURL_ERROR_SIZE] = "";
	sdc_error_t err = NULL;
	CURL *curl;
	CURLcode rc;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_TAIL)
			tail = st.arg;
		else if (c == OPT_FOLLOW)
			follow = true;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc - 1)
		return adm_cmd_usage_error(self, "expected one ID");
	if (strcmp(tail, "all") != 0 && strspn(tail, "0123456789") != strlen(tail))
		return adm_cmd_usage_error(self, "--tail takes a number or 'all', not '%s'", tail);
	if (container_tty(ctx, argv[st.ind], &tty, &err) < 0)
		return adm_fail(self, &err);
	sink.framed = !tty;
	xasprintf(&rest, "/logs?stdout=1&stderr=1&tail=%s&follow=%d", tail, follow ? 1 : 0);
	path = container_path(argv[st.ind], rest);
	xasprintf(&url, "http://admin%s", path);
	curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, adm_admin_path(ctx));
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, container_logs_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, container_logs_progress);
	rc = curl_easy_perform(curl);
	curl_easy_cleanup(curl);
	free(url);
	free(path);
	free(rest);
	if ((rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK) && adm_interrupted())
		return ADM_EXIT_OK;
	if (rc != CURLE_OK) {
		adm_cmd_warn(self, "%s", *curl_err != '\0' ? curl_err : curl_easy_strerror(rc));
		return ADM_EXIT_FAIL;
	}
	return ADM_EXIT_OK;
}

static int
container_signal_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv, bool stop)
{
	struct adm_opt_state st;
	const char *sig = "KILL", *secs = "10";
	sdc_error_t err = NULL;
	char *rest, *path;
	json_t *r;
	int c;

	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1) {
		if (c == OPT_SIGNAL)
			sig = st.arg;
		else if (c == OPT_TIME)
			secs = st.arg;
		else
			return ADM_EXIT_USAGE;
	}
	if (st.ind != argc - 1)
		return adm_cmd_usage_error(self, "expected one ID");
	if (stop)
		xasprintf(&rest, "/stop?t=%s", secs);
	else
		xasprintf(&rest, "/kill?signal=%s", sig);
	path = container_path(argv[st.ind], rest);
	r = adm_admin_call(ctx, "POST", path, NULL, &err);
	free(path);
	free(rest);
	if (r == NULL)
		return adm_fail(self, &err);
	json_decref(r);
	fprintf(ctx->out, "%s\n", argv[st.ind]);
	return ADM_EXIT_OK;
}

static int
container_stop_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	return container_signal_exec(self, ctx, argc, argv, true);
}

static int
container_kill_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	return container_signal_exec(self, ctx, argc, argv, false);
}

/* Container ids for the shell's completion. */
static int
complete_ids(const struct adm_ctx *ctx, int argc, char **argv, const char *word,
    struct adm_strv *out, sdc_error_t *err)
{
	json_t *rows, *c;
	size_t i;

	if (argc > 0)
		return 0;
	if ((rows = adm_container_rows(ctx, NULL, true, err)) == NULL)
		return -1;
	json_array_foreach(rows, i, c) {
		const char *id = json_str(c, "short_id", "");

		if (strncmp(id, word, strlen(word)) == 0)
			adm_strv_add(out, id);
	}
	json_decref(rows);
	return 0;
}

static const struct option list_options[] = {
	{ "account", required_argument, NULL, OPT_ACCOUNT },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static const struct option logs_options[] = {
	{ "tail", required_argument, NULL, OPT_TAIL },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ NULL, 0, NULL, 0 }
};

static const struct option kill_options[] = {
	{ "signal", required_argument, NULL, OPT_SIGNAL },
	{ NULL, 0, NULL, 0 }
};

static const struct option stop_options[] = {
	{ "time", required_argument, NULL, OPT_TIME },
	{ NULL, 0, NULL, 0 }
};

const struct adm_cmd_entry adm_cmd_container_list_entry = {
	.name = "container list", .usage = "[--account LOGIN] [--all] [--json]",
	.help = "Lists running containers of every account (--all: stopped ones\n"
	    "too), with state, package, image and the bytes of their logs.\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .opts = list_options, .exec = container_list_exec,
};

const struct adm_cmd_entry adm_cmd_container_inspect_entry = {
	.name = "container inspect", .usage = "ID",
	.help = "Prints a container as `docker inspect` does, with its account.\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .complete = complete_ids, .exec = container_inspect_exec,
};

const struct adm_cmd_entry adm_cmd_container_logs_entry = {
	.name = "container logs", .usage = "ID [--tail N] [--follow]",
	.help = "Prints a container's output, across rotated logs; --follow waits\n"
	    "for more until interrupted.\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .opts = logs_options, .complete = complete_ids,
	.exec = container_logs_exec,
};

const struct adm_cmd_entry adm_cmd_container_stop_entry = {
	.name = "container stop", .usage = "ID [--time SECONDS]",
	.help = "Stops a container: SIGTERM, then SIGKILL after SECONDS (10).\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .opts = stop_options, .complete = complete_ids,
	.exec = container_stop_exec,
};

const struct adm_cmd_entry adm_cmd_container_kill_entry = {
	.name = "container kill", .usage = "ID [--signal SIG]",
	.help = "Sends a signal (KILL unless --signal names another, e.g. HUP or 15).\n",
	.flags = ADM_CMD_NEEDS_ADMIN, .opts = kill_options, .complete = complete_ids,
	.exec = container_kill_exec,
};
