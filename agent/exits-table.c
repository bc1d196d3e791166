/*
 * exits-table.c: every statement on the exits table (see exits-table.h).
 *
 * A container's exit is learned on its node, by its agent, and acted on
 * by a head (the die event, the restart policy, AutoRemove, the waits).
 * The table is the hand-over between the two, so that neither loses or
 * repeats one: the key is the run (the container's uuid and the pid of
 * its init), so the agent may report a run's exit as often as it likes
 * (at the exit, and again from its look at its containers after a
 * restart, when it cannot know whether it wrote it before dying) and it
 * is there once; a head acts on a row only once its claim (taken_by set
 * where it was NULL) changed that row, so of several heads on one
 * PostgreSQL exactly one acts.  Rows taken are pruned after an hour,
 * rows no head took (a container no head holds) after a day.
 * One SQL for both engines, as nodes-table.c.
 */
#include <string.h>

#include "exits-table.h"

static const char *const exits_migrations[] = {
	"CREATE TABLE node_exits ("
	" uuid TEXT NOT NULL,"
	" pid BIGINT NOT NULL,"
	" node TEXT NOT NULL,"
	" exit_code INTEGER NOT NULL,"
	" signal INTEGER NOT NULL,"
	" oom_killed INTEGER NOT NULL,"
	" started_ns BIGINT NOT NULL,"
	" finished_ns BIGINT NOT NULL,"
	" recorded_ms BIGINT NOT NULL,"
	" taken_by TEXT,"
	" taken_ms BIGINT,"
	" PRIMARY KEY (uuid, pid));"
	"CREATE INDEX node_exits_pending ON node_exits (taken_by, recorded_ms);",
	NULL,
};

int
exits_table_migrate(struct store *st, sdc_error_t *err)
{
	return store_migrate(st, "node_exits", exits_migrations, err);
}

static int
exits_table_run(struct store_stmt *s, sdc_error_t *err)
{
	int rc;

	while ((rc = store_step(s, err)) == 1)
		;
	store_finalize(s);
	return rc;
}

int
exits_table_record(struct store *st, const struct node_exit *e,
    int64_t now_ms, sdc_error_t *err)
{
	struct store_stmt *s;

	if (store_prepare(st, &s, "INSERT INTO node_exits (uuid, pid, node, "
	    "exit_code, signal, oom_killed, started_ns, finished_ns, "
	    "recorded_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (uuid, pid) DO NOTHING", err) < 0)
		return -1;
	if (store_bind_text(s, 1, e->uuid, err) < 0 ||
	    store_bind_int64(s, 2, e->pid, err) < 0 ||
	    store_bind_text(s, 3, e->node, err) < 0 ||
	    store_bind_int64(s, 4, e->exit_code, err) < 0 ||
	    store_bind_int64(s, 5, e->signal, err) < 0 ||
	    store_bind_int64(s, 6, e->oom_killed, err) < 0 ||
	    store_bind_int64(s, 7, e->started_ns, err) < 0 ||
	    store_bind_int64(s, 8, e->finished_ns, err) < 0 ||
	    store_bind_int64(s, 9, now_ms, err) < 0) {
		store_finalize(s);
		return -1;
	}
	if (exits_table_run(s, err) < 0)
		return -1;
	return store_changes(st) > 0 ? 1 : 0;
}

/* A row of the columns pending and get read, into e. */
static void
exits_table_row(struct store_stmt *s, struct node_exit *e)
{
	const char *t;

	memset(e, 0, sizeof *e);
	if ((t = store_col_text(s, 0)) != NULL)
		strncpy(e->uuid, t, sizeof e->uuid - 1);
	e->pid = store_col_int64(s, 1);
	if ((t = store_col_text(s, 2)) != NULL)
		strncpy(e->node, t, sizeof e->node - 1);
	e->exit_code = (int)store_col_int64(s, 3);
	e->signal = (int)store_col_int64(s, 4);
	e->oom_killed = store_col_int64(s, 5) != 0;
	e->started_ns = store_col_int64(s, 6);
	e->finished_ns = store_col_int64(s, 7);
}

int
exits_table_get(struct store *st, const char *uuid, int64_t pid,
    struct node_exit *out, sdc_error_t *err)
{
	struct store_stmt *s;
	int rc;

	if (store_prepare(st, &s, "SELECT uuid, pid, node, exit_code, signal, "
	    "oom_killed, started_ns, finished_ns FROM node_exits "
	    "WHERE uuid = ? AND pid = ?", err) < 0)
		return -1;
	if (store_bind_text(s, 1, uuid, err) < 0 ||
	    store_bind_int64(s, 2, pid, err) < 0)
		rc = -1;
	else if ((rc = store_step(s, err)) == 1)
		exits_table_row(s, out);
	store_finalize(s);
	return rc;
}

int
exits_table_pending(struct store *st, struct node_exit *out, size_t max,
    size_t *n, sdc_error_t *err)
{
	struct store_stmt *s;
	int rc = 0;

	*n = 0;
	if (store_prepare(st, &s, "SELECT uuid, pid, node, exit_code, signal, "
	    "oom_killed, started_ns, finished_ns FROM node_exits "
	    "WHERE taken_by IS NULL ORDER BY recorded_ms LIMIT ?", err) < 0)
		return -1;
	if (store_bind_int64(s, 1, (int64_t)max, err) < 0) {
		store_finalize(s);
		return -1;
	}
	while (*n < max && (rc = store_step(s, err)) == 1)
		exits_table_row(s, &out[(*n)++]);
	store_finalize(s);
	return rc < 0 ? -1 : 0;
}

int
exits_table_claim(struct store *st, const char *uuid, int64_t pid,
    const char *head, int64_t now_ms, sdc_error_t *err)
{
	struct store_stmt *s;

	/* Run again by its head, a claim finds its own row (taken_by =
	 * head): so one whose link broke once sent (STORE_UNKNOWN: it may
	 * have landed, and the row is then no longer pending for anyone)
	 * is run once more rather than lost with the exit's reaction. */
	for (int attempt = 0;; attempt++) {
		if (store_prepare(st, &s, "UPDATE node_exits SET taken_by = ?, "
		    "taken_ms = ? WHERE uuid = ? AND pid = ? AND (taken_by IS "
		    "NULL OR taken_by = ?)", err) < 0)
			return -1;
		if (store_bind_text(s, 1, head, err) < 0 ||
		    store_bind_int64(s, 2, now_ms, err) < 0 ||
		    store_bind_text(s, 3, uuid, err) < 0 ||
		    store_bind_int64(s, 4, pid, err) < 0 ||
		    store_bind_text(s, 5, head, err) < 0) {
			store_finalize(s);
			return -1;
		}
		if (exits_table_run(s, err) == 0)
			return store_changes(st) > 0 ? 1 : 0;
		if (attempt > 0 || (*err)->code != STORE_UNKNOWN)
			return -1;
		sdc_error_release(err);
	}
}

int
exits_table_prune(struct store *st, int64_t taken_before_ms,
    int64_t recorded_before_ms, sdc_error_t *err)
{
	struct store_stmt *s;

	if (store_prepare(st, &s, "DELETE FROM node_exits WHERE (taken_by IS "
	    "NOT NULL AND taken_ms < ?) OR recorded_ms < ?", err) < 0)
		return -1;
	if (store_bind_int64(s, 1, taken_before_ms, err) < 0 ||
	    store_bind_int64(s, 2, recorded_before_ms, err) < 0) {
		store_finalize(s);
		return -1;
	}
	return exits_table_run(s, err);
}
