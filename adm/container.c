/*
 * container.c: `container list|inspect|logs|stop|kill`, every account's
 * containers as the operator sees them, through the admin API.
 *
 * The admin API answers across accounts, which the Docker API never does;
 * that is the whole difference from a user's docker CLI, so the commands
 * mirror docker's own (ps, inspect, logs, stop, kill) and take a full id,
 * a unique id prefix, or account/name.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "fetch.h"
#include "jsonutil.h"
#include "xalloc.h"

enum { OPT_ACCOUNT = 256, OPT_ALL, OPT_JSON, OPT_TAIL, OPT_FOLLOW, OPT_SIGNAL, OPT_TIME };

const struct adm_column adm_container_columns[] = {
	{ "short_id", "CONTAINER", 0 },
	{ "account", "ACCOUNT", 0 },
	{ "name", "NAME", ADM_COL_SHRINK },
	{ "image", "IMAGE", ADM_COL_SHRINK },
	{ "state", "STATE", 0 },
	{ "ip", "IP", 0 },
	{ "package", "PACKAGE", 0 },
	{ "node", "NODE", 0 },
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

	return json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O}",
	    "id", id, "short_id", id, strlen(id) < 12 ? strlen(id) : (size_t)12,
	    "account", json_str(c, "Login", json_str(c, "Account", "")),
	    "name", *name == '/' ? name + 1 : name,
	    "image", json_str(config, "Image", ""),
	    "state", json_str(json_object_get(c, "State"), "Status", ""),
	    "ip", *json_str(json_object_get(c, "NetworkSettings"), "IPAddress",
	    "") != '\0' ? json_str(json_object_get(c, "NetworkSettings"),
	    "IPAddress", "") : "-",
	    "package", json_str(labels, "com.joyent.package", "-"),
	    "node", json_str(json_object_get(c, "Node"), "Name", "-"),
	    /* null, "-": on a node whose log sizes the head cannot read */
	    "log_bytes", json_object_get(c, "LogBytes") ?: json_null(),
	    "inspect", c);
}

json_t *
adm_container_rows(const struct adm_ctx *ctx, const char *account, bool all,
    sdc_error_t *err)
{
	char *path, *acct = account != NULL ? adm_admin_escape(account) : NULL;
	json_t *rows;

	xasprintf(&path, "/containers?all=%d%s%s", all ? 1 : 0,
	    acct != NULL ? "&account=" : "", acct != NULL ? acct : "");
	rows = adm_admin_rows(ctx, path, container_row, err);
	free(path);
	free(acct);
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
	struct buf refusal;     /* the body of an answer of 400 or more */
	unsigned char head[8];
	size_t have;            /* bytes of head read */
	size_t left;            /* payload bytes still to copy */
};

static int
container_logs_write(void *arg, const struct fetch_response *r,
    const void *bytes, size_t len, sdc_error_t *err)
{
	struct logs_sink *k = arg;
	const char *data = bytes;
	size_t take;

	if (r->status >= 400) {
		if (k->refusal.len < 64 * 1024)
			buf_append(&k->refusal, data, len);
		return 0;
	}
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
	/* Ctrl-C in the shell ends a --follow */
	return adm_interrupted() ? -1 : 0;
}

/* Called every quarter second, data or not: the way a quiet --follow
 * notices Ctrl-C. */
static int
container_logs_progress(void *arg, int64_t got, int64_t total)
{
	return adm_interrupted() ? -1 : 0;
}

/* The daemon's {"message"} of a refusal, or its status. */
static void
container_logs_refused(const struct adm_cmd_entry *self, int status,
    const struct buf *body)
{
	json_t *v = json_loadb(body->data != NULL ? body->data : "", body->len,
	    0, NULL);
	const char *m = json_str(v, "message", NULL);

	if (m != NULL)
		adm_cmd_warn(self, "%s", m);
	else
		adm_cmd_warn(self, "the admin API answered %d", status);
	json_decref(v);
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
	struct fetch_options o = { .unix_path = adm_admin_path(ctx) };
	struct fetch_request rq = { 0 };
	struct fetch_response r = { 0 };
	struct fetch *http;
	char *rest, *path, *url;
	sdc_error_t err = NULL;
	int c, rc;

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
	http = fetch_new(&o);
	rq.url = url;
	rq.sink = container_logs_write;
	rq.sink_arg = &sink;
	rq.progress = container_logs_progress;
	rc = fetch_request(http, &rq, &r, &err);
	fetch_free(http);
	free(url);
	free(path);
	free(rest);
	if (rc < 0 && adm_interrupted())
		rc = ADM_EXIT_OK;
	else if (rc < 0) {
		adm_cmd_warn(self, "%s", sdc_error_msg(err));
		rc = ADM_EXIT_FAIL;
	} else if (r.status >= 400) {
		container_logs_refused(self, r.status, &sink.refusal);
		rc = ADM_EXIT_FAIL;
	} else
		rc = ADM_EXIT_OK;
	sdc_error_release(&err);
	fetch_response_free(&r);
	buf_free(&sink.refusal);
	return rc;
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
    struct strvec *out, sdc_error_t *err)
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
			strvec_push(out, id);
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
