/*
 * nodes-table.c: every statement on the nodes table (see nodes-table.h).
 *
 * The agent writes its own row; the heads only read rows and flip the
 * drained flag, so a registration never clears an operator's drain and
 * a head never invents a node.  One SQL for both engines: the upsert is
 * INSERT ... ON CONFLICT DO UPDATE, times and sizes are BIGINT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodes-table.h"
#include "timeutil.h"
#include "xalloc.h"

static const char *const nodes_migrations[] = {
	"CREATE TABLE nodes ("
	" id TEXT PRIMARY KEY,"
	" hostname TEXT NOT NULL,"
	" address TEXT NOT NULL,"
	" memory BIGINT NOT NULL,"
	" disk BIGINT NOT NULL,"
	" cpus INTEGER NOT NULL,"
	" runtime TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" drained INTEGER NOT NULL DEFAULT 0,"
	" heartbeat_interval_ms BIGINT NOT NULL,"
	" last_heartbeat_ms BIGINT NOT NULL,"
	" registered_ms BIGINT NOT NULL);",
	/* 2: the node's VTEP, the underlay address its networks' VXLAN
	 * leaves from and arrives at (netsync.c); rows from before have
	 * none until their agent registers again */
	"ALTER TABLE nodes ADD COLUMN vtep TEXT NOT NULL DEFAULT '';",
	/* 3: the node's zones root, where its containers' folders are (the
	 * paths docker inspect shows); rows from before have none until
	 * their agent registers again */
	"ALTER TABLE nodes ADD COLUMN zones TEXT NOT NULL DEFAULT '';",
	NULL,
};

int
nodes_table_migrate(struct store *st, sdc_error_t *err)
{
	return store_migrate(st, "nodes", nodes_migrations, err);
}

/* Prepare, run to the end, finalize: the table's writes are rare (a
 * heartbeat every few seconds), so nothing is kept prepared. */
static int
nodes_table_run(struct store_stmt *s, sdc_error_t *err)
{
	int rc;

	while ((rc = store_step(s, err)) == 1)
		;
	store_finalize(s);
	return rc;
}

int
nodes_table_register(struct store *st, const struct node *n, sdc_error_t *err)
{
	struct store_stmt *s;

	if (store_prepare(st, &s, "INSERT INTO nodes (id, hostname, address, "
	    "memory, disk, cpus, runtime, state, drained, "
	    "heartbeat_interval_ms, last_heartbeat_ms, registered_ms, vtep, zones) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', 0, ?8, ?9, ?9, ?10, "
	    "?11) "
	    "ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, "
	    "address = excluded.address, memory = excluded.memory, "
	    "disk = excluded.disk, cpus = excluded.cpus, "
	    "runtime = excluded.runtime, state = 'running', "
	    "heartbeat_interval_ms = excluded.heartbeat_interval_ms, "
	    "last_heartbeat_ms = excluded.last_heartbeat_ms, "
	    "vtep = excluded.vtep, zones = excluded.zones", err) < 0)
		return -1;
	if (store_bind_text(s, 1, n->id, err) < 0 ||
	    store_bind_text(s, 2, n->hostname, err) < 0 ||
	    store_bind_text(s, 3, n->address, err) < 0 ||
	    store_bind_int64(s, 4, n->memory, err) < 0 ||
	    store_bind_int64(s, 5, n->disk, err) < 0 ||
	    store_bind_int64(s, 6, n->cpus, err) < 0 ||
	    store_bind_text(s, 7, n->runtime, err) < 0 ||
	    store_bind_int64(s, 8, n->heartbeat_interval_ms, err) < 0 ||
	    store_bind_int64(s, 9, n->last_heartbeat_ms, err) < 0 ||
	    store_bind_text(s, 10, n->vtep != NULL ? n->vtep : "", err) < 0 ||
	    store_bind_text(s, 11, n->zones != NULL ? n->zones : "", err) < 0) {
		store_finalize(s);
		return -1;
	}
	return nodes_table_run(s, err);
}

int
nodes_table_heartbeat(struct store *st, const char *id, int64_t now_ms,
    sdc_error_t *err)
{
	struct store_stmt *s;

	if (store_prepare(st, &s, "UPDATE nodes SET last_heartbeat_ms = ?, "
	    "state = 'running' WHERE id = ?", err) < 0)
		return -1;
	if (store_bind_int64(s, 1, now_ms, err) < 0 ||
	    store_bind_text(s, 2, id, err) < 0) {
		store_finalize(s);
		return -1;
	}
	if (nodes_table_run(s, err) < 0)
		return -1;
	return store_changes(st) == 0 ? 1 : 0;
}

int
nodes_table_leave(struct store *st, const char *id, sdc_error_t *err)
{
	struct store_stmt *s;

	if (store_prepare(st, &s, "UPDATE nodes SET state = 'stopped' "
	    "WHERE id = ?", err) < 0)
		return -1;
	if (store_bind_text(s, 1, id, err) < 0) {
		store_finalize(s);
		return -1;
	}
	return nodes_table_run(s, err);
}

bool
nodes_table_heard(const struct node *n, int64_t now_ms)
{
	int64_t interval = n->heartbeat_interval_ms > 0 ?
	    n->heartbeat_interval_ms : 1000;

	return strcmp(n->state, "running") == 0 &&
	    now_ms - n->last_heartbeat_ms <= NODES_MISSED_HEARTBEATS * interval;
}

static char *
nodes_table_text(struct store_stmt *s, int col)
{
	const char *t = store_col_text(s, col);

	return xstrdup(t != NULL ? t : "");
}

static void
nodes_table_row(struct store_stmt *s, struct node *n, int64_t now_ms)
{
	const char *id = store_col_text(s, 0);

	memset(n, 0, sizeof *n);
	snprintf(n->id, sizeof n->id, "%s", id != NULL ? id : "");
	n->hostname = nodes_table_text(s, 1);
	n->address = nodes_table_text(s, 2);
	n->memory = store_col_int64(s, 3);
	n->disk = store_col_int64(s, 4);
	n->cpus = (int)store_col_int64(s, 5);
	n->runtime = nodes_table_text(s, 6);
	n->state = nodes_table_text(s, 7);
	n->drained = store_col_int64(s, 8) != 0;
	n->heartbeat_interval_ms = store_col_int64(s, 9);
	n->last_heartbeat_ms = store_col_int64(s, 10);
	n->registered_ms = store_col_int64(s, 11);
	n->vtep = nodes_table_text(s, 12);
	n->zones = nodes_table_text(s, 13);
	n->available = nodes_table_heard(n, now_ms);
}

int
nodes_table_read(struct store *st, const char *id, int64_t now_ms,
    struct node_list *out, sdc_error_t *err)
{
	struct store_stmt *s;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_prepare(st, &s, "SELECT id, hostname, address, memory, disk, "
	    "cpus, runtime, state, drained, heartbeat_interval_ms, "
	    "last_heartbeat_ms, registered_ms, vtep, zones FROM nodes "
	    "ORDER BY id",
	    err) < 0)
		return -1;
	while ((rc = store_step(s, err)) == 1) {
		const char *rid = store_col_text(s, 0), *host = store_col_text(s, 1);

		if (id != NULL && (rid == NULL || strncmp(rid, id, strlen(id)) != 0) &&
		    (host == NULL || strcmp(host, id) != 0))
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			out->v = xrealloc(out->v, cap * sizeof *out->v);
		}
		nodes_table_row(s, &out->v[out->n++], now_ms);
	}
	store_finalize(s);
	if (rc < 0) {
		node_list_free(out);
		return -1;
	}
	return 0;
}

int
nodes_table_set_drained(struct store *st, const char *id, bool drained,
    sdc_error_t *err)
{
	struct store_stmt *s;

	if (store_prepare(st, &s, "UPDATE nodes SET drained = ? WHERE id = ?",
	    err) < 0)
		return -1;
	if (store_bind_int64(s, 1, drained ? 1 : 0, err) < 0 ||
	    store_bind_text(s, 2, id, err) < 0) {
		store_finalize(s);
		return -1;
	}
	if (nodes_table_run(s, err) < 0)
		return -1;
	if (store_changes(st) == 0)
		return sdc_make_error_code(err, 404, "no such node: %s", id);
	return 0;
}

json_t *
nodes_table_json(const struct node *n)
{
	char heard[TIME_RFC3339_LEN], reg[TIME_RFC3339_LEN];

	time_rfc3339(heard, sizeof heard, n->last_heartbeat_ms * 1000000, 3);
	time_rfc3339(reg, sizeof reg, n->registered_ms * 1000000, 3);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:s, s:s,"
	    " s:b, s:b, s:I, s:s, s:s}",
	    "ID", n->id, "Hostname", n->hostname, "Address", n->address,
	    "VTEP", n->vtep != NULL ? n->vtep : "",
	    "Zones", n->zones != NULL ? n->zones : "",
	    "Memory", (json_int_t)n->memory, "Disk", (json_int_t)n->disk,
	    "CPUs", n->cpus, "Runtime", n->runtime, "State", n->state,
	    "Drained", n->drained, "Available", n->available,
	    "HeartbeatIntervalMs", (json_int_t)n->heartbeat_interval_ms,
	    "LastHeartbeat", heard, "Registered", reg);
}

void
node_clear(struct node *n)
{
	free(n->hostname);
	free(n->address);
	free(n->runtime);
	free(n->state);
	free(n->vtep);
	free(n->zones);
	memset(n, 0, sizeof *n);
}

void
node_list_free(struct node_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		node_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}
