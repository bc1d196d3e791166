/*
 * fuzz_node_answers.c: arbitrary bytes as what a node's agent answers a
 * head, or reports to it through the store.  A node may be compromised,
 * and its answers must not crash a head, which serves every tenant: the
 * states of GET /v1/containers (all of the node's, {"Containers": {UUID:
 * STATE}}) and of GET /v1/containers/UUID, read as dockerapi/node-states.c
 * reads them (node_states_set: the status, pid, exit code, the times);
 * a refusal's body (node_call_refused, dockerapi/node-calls.c), for each
 * status the head treats apart; the log bytes of GET /v1/log-bytes
 * ({"Node": ID, "LogBytes": {UUID: BYTES}}, dockerapi/log-bytes.c: each
 * a non-negative integer or null); its log usage of GET /v1/log-usage
 * ({"Node": ID, "Complete": BOOL, "LogUsage": {UUID: {"Live", "Rotated",
 * "RotatedFiles"}}}, dockerapi/log-usage.c: kept only when every figure
 * is an integer within its bound of a container named by a uuid, and
 * the containers are not too many; test_log_usage checks each
 * refusal); and the
 * exits the node writes to the
 * store (agent/exits-table.c's rows, read by the head's node-exits.c),
 * the JSON's "Exits" member giving each row's columns with whatever type
 * the node chose (SQLite keeps what it is given).
 *
 * node-states.c's reading is its own (static), so the file is compiled
 * into this target; its calls to the nodes and the loop are never
 * reached (left unresolved, as fuzz/Makefile says).  The exits table is
 * in a SQLite file in a temp folder, emptied after each input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dockerapi/node-states.c"
#include "fuzz/fuzz-tmp.h"
#include "agent/exits-table.h"
#include "dockerapi/node-calls.h"
#include "dockerapi/log-bytes.h"
#include "dockerapi/log-usage.h"
#include "ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *fuzz_store;

/* A column's value as the node wrote it: a JSON string as text, an
 * integer as one, a real as its integer part (when it has one),
 * anything else NULL. */
static int
fuzz_bind(struct store_stmt *s, int idx, const json_t *v, sdc_error_t *err)
{
	if (json_is_string(v))
		return store_bind_blob(s, idx, json_string_value(v),
		    json_string_length(v), err);
	if (json_is_integer(v))
		return store_bind_int64(s, idx, json_integer_value(v), err);
	if (json_is_real(v) && json_real_value(v) > -9e18 &&
	    json_real_value(v) < 9e18)
		return store_bind_int64(s, idx, (int64_t)json_real_value(v), err);
	return store_bind_null(s, idx, err);
}

static void
fuzz_exits(const json_t *rows)
{
	struct node_exit out[8];
	struct store_stmt *s;
	sdc_error_t err = NULL;
	const json_t *row;
	size_t i, n;

	json_array_foreach(rows, i, row) {
		if (i >= 8)
			break;
		if (store_prepare(fuzz_store, &s, "INSERT OR REPLACE INTO "
		    "node_exits (uuid, pid, node, exit_code, signal, oom_killed, "
		    "started_ns, finished_ns, recorded_ms) VALUES (?, ?, ?, ?, "
		    "?, ?, ?, ?, ?)", &err) < 0)
			abort();
		for (int c = 0; c < 9; c++)
			if (fuzz_bind(s, c + 1, json_array_get(row, (size_t)c),
			    &err) < 0)
				abort();
		(void)store_step(s, &err);      /* NOT NULL may refuse it */
		sdc_error_release(&err);
		store_finalize(s);
	}
	if (exits_table_pending(fuzz_store, out, 8, &n, &err) < 0)
		abort();
	for (i = 0; i < n; i++)
		if (memchr(out[i].uuid, '\0', sizeof out[i].uuid) == NULL ||
		    memchr(out[i].node, '\0', sizeof out[i].node) == NULL)
			abort();
	if (n > 0 && (exits_table_claim(fuzz_store, out[0].uuid, out[0].pid,
	    "fuzz/1", 1, &err) < 0 || exits_table_prune(fuzz_store, 2, 2,
	    &err) < 0))
		abort();
	if (store_exec(fuzz_store, "DELETE FROM node_exits", &err) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 400, 404, 409, 500, 502, 504 };
	struct node_target t = { .hostname = "node-1" };
	struct fetch_response r = { 0 };
	sdc_error_t err = NULL;
	const json_t *states, *v, *fig;
	struct ctr c;
	const char *k, *name;
	json_t *j;

	if (fuzz_store == NULL) {
		const char *root = fuzz_tmp_dir("fuzz-node-answers");
		char *p;

		xasprintf(&p, "%s/store.db", root);
		if (store_open(&fuzz_store, p, &err) < 0 ||
		    exits_table_migrate(fuzz_store, &err) < 0)
			abort();
		free(p);
	}
	/* a refusal: its body whatever the node sent */
	for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
		r.status = statuses[i];
		buf_free(&r.body);
		buf_append(&r.body, data, size);
		if (node_call_refused(&t, &r, &err) != -1 || err == NULL)
			abort();
		sdc_error_release(&err);
	}
	buf_free(&r.body);
	if ((j = json_parse((const char *)data, size, &err)) == NULL) {
		sdc_error_release(&err);
		return 0;
	}
	/* GET /v1/containers, as node_states_answer keeps it */
	states = json_object_get(j, "Containers");
	if (json_is_object(states))
		json_object_foreach((json_t *)states, k, v) {
			memset(&c, 0, sizeof c);
			node_states_set(NULL, &c, v);	/* j, v never NULL: d unused */
		}
	/* GET /v1/log-bytes, as the admin list reads it: whatever the
	 * node sent for a container, a figure >= 0 or null */
	if ((states = log_bytes_answer(j, "node-1")) != NULL)
		json_object_foreach((json_t *)states, k, v) {
			json_t *n = log_bytes_of(states, k);

			if (!json_is_null(n) && (!json_is_integer(n) ||
			    json_integer_value(n) < 0))
				abort();
			json_decref(n);
		}
	/* GET /v1/log-usage, as the admin route keeps it: all or nothing */
	if ((states = log_usage_answer(j, "node-1")) != NULL)
		json_object_foreach((json_t *)states, k, v) {
			if (!uuid_valid(k))
				abort();
			json_object_foreach((json_t *)v, name, fig)
				if (!json_is_integer(fig) ||
				    json_integer_value(fig) < 0)
					abort();
		}
	/* GET /v1/containers/UUID */
	memset(&c, 0, sizeof c);
	node_states_set(NULL, &c, j);
	if (c.st.finished_at.tv_nsec < 0 || c.st.started_at.tv_nsec < 0)
		abort();
	fuzz_exits(json_object_get(j, "Exits"));
	json_decref(j);
	return 0;
}
