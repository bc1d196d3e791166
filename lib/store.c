/*
 * store.c: the store of store.h, whichever engine serves it.
 *
 * Two backends implement the same calls: SQLite (store-sqlite.c), the
 * embedded default, one file per daemon; and PostgreSQL (store-postgres.c),
 * for several daemons, later several API heads, sharing one state.  The
 * location picks one: a libpq URI (postgresql://...) is PostgreSQL,
 * anything else a SQLite file.  What does not depend on the engine lives
 * here, once: the statement cache, and the schema versions with their
 * migrations, so both engines run the same SQL in the same steps.
 */
#include <stdlib.h>
#include <string.h>

#include "store-int.h"
#include "xalloc.h"

int
store_is_postgres_uri(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 ||
	    strncmp(where, "postgres://", 11) == 0;
}

/* The location with any password in a URI's user part left out, for
 * messages and logs. */
static char *
store_where_shown(const char *where)
{
	const char *scheme = strstr(where, "://"), *at, *colon, *end;
	char *out;

	if (scheme == NULL)
		return xstrdup(where);
	scheme += 3;
	end = scheme + strcspn(scheme, "/?");
	at = memchr(scheme, '@', (size_t)(end - scheme));
	if (at == NULL)
		return xstrdup(where);
	colon = memchr(scheme, ':', (size_t)(at - scheme));
	if (colon == NULL)
		return xstrdup(where);
	xasprintf(&out, "%.*s%s", (int)(colon - where), where, at);
	return out;
}

int
store_open(struct store **out, const char *where, sdc_error_t *err)
{
	struct store *st = xcalloc(1, sizeof *st);

	st->ops = store_is_postgres_uri(where) ? &store_postgres_ops :
	    &store_sqlite_ops;
	st->where = store_where_shown(where);
	if (st->ops->open(st, where, err) < 0) {
		free(st->where);
		free(st);
		return -1;
	}
	/* Two daemons may start together on one PostgreSQL: the table is
	 * made under the migrations' lock. */
	if (store_begin(st, err) < 0 || store_lock(st, "schema_versions", err) < 0 ||
	    store_exec(st, "CREATE TABLE IF NOT EXISTS schema_versions ("
	    "  component TEXT PRIMARY KEY, version INTEGER NOT NULL)", err) < 0 ||
	    store_commit(st, err) < 0) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < st->ncache; i++) {
		st->ops->finalize(st->cache[i]);
		free(st->cache[i]->sql);
		free(st->cache[i]);
	}
	st->ops->close(st);
	free(st->where);
	free(st);
}

void
store_connect_off_loop(struct store *st, struct event_base *base)
{
	if (st->ops->off_loop != NULL)
		st->ops->off_loop(st, base);
}

const char *
store_backend(const struct store *st)
{
	return st->ops->name;
}

int
store_exec(struct store *st, const char *sql, sdc_error_t *err)
{
	return st->ops->exec(st, sql, err);
}

int
store_begin(struct store *st, sdc_error_t *err)
{
	return st->ops->begin(st, err);
}

int
store_begin_lazy(struct store *st, sdc_error_t *err)
{
	if (st->ops->lazy_before != NULL &&
	    st->ops->exec(st, st->ops->lazy_before, err) < 0)
		return -1;
	st->lazy = 1;
	if (st->ops->begin(st, err) < 0 || (st->ops->lazy_begun != NULL &&
	    st->ops->exec(st, st->ops->lazy_begun, err) < 0)) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

/* The connection's own setting back once a lazy transaction ended. */
static void
store_lazy_end(struct store *st)
{
	sdc_error_t err = NULL;

	if (!st->lazy)
		return;
	st->lazy = 0;
	if (st->ops->lazy_after != NULL &&
	    st->ops->exec(st, st->ops->lazy_after, &err) < 0)
		sdc_error_release(&err);
}

int
store_commit(struct store *st, sdc_error_t *err)
{
	int rc = st->ops->commit(st, err);

	if (rc == 0)	/* else the caller's rollback ends it */
		store_lazy_end(st);
	return rc;
}

void
store_rollback(struct store *st)
{
	st->ops->rollback(st);
	store_lazy_end(st);
}

/* One of PostgreSQL's advisory lock functions on the name's hash. */
static int
store_lock_call(struct store *st, const char *sql, const char *name,
    sdc_error_t *err)
{
	struct store_stmt *q;
	int rc;

	if (st->ops != &store_postgres_ops)
		return 0;
	if (store_prepare(st, &q, sql, err) < 0)
		return -1;
	rc = store_bind_text(q, 1, name, err);
	if (rc == 0)
		rc = store_step(q, err);
	store_finalize(q);
	return rc < 0 ? -1 : 0;
}

/* SQLite's BEGIN IMMEDIATE already holds the one write lock, so the
 * lock is PostgreSQL's alone: a transaction-scoped advisory lock keyed
 * by the name's hash, held until commit or rollback. */
int
store_lock(struct store *st, const char *name, sdc_error_t *err)
{
	return store_lock_call(st, "SELECT pg_advisory_xact_lock(hashtext(?))",
	    name, err);
}

int
store_lock_session(struct store *st, const char *name, sdc_error_t *err)
{
	return store_lock_call(st, "SELECT pg_advisory_lock(hashtext(?))",
	    name, err);
}

void
store_unlock_session(struct store *st, const char *name)
{
	sdc_error_t err = NULL;

	/* a connection lost meanwhile took the lock with it */
	if (store_lock_call(st, "SELECT pg_advisory_unlock(hashtext(?))",
	    name, &err) < 0)
		sdc_error_release(&err);
}

int
store_version(struct store *st, const char *component, int *version, sdc_error_t *err)
{
	struct store_stmt *q;
	int rc;

	if (store_prepare(st, &q, "SELECT version FROM schema_versions "
	    "WHERE component = ?", err) < 0)
		return -1;
	*version = 0;
	if (store_bind_text(q, 1, component, err) < 0 ||
	    (rc = store_step(q, err)) < 0) {
		store_finalize(q);
		return -1;
	}
	if (rc == 1)
		*version = (int)store_col_int64(q, 0);
	store_finalize(q);
	return 0;
}

static int
set_version(struct store *st, const char *component, int version, sdc_error_t *err)
{
	struct store_stmt *q;
	int rc;

	if (store_prepare(st, &q, "INSERT INTO schema_versions (component, version) "
	    "VALUES (?, ?) ON CONFLICT (component) DO UPDATE SET version = "
	    "excluded.version", err) < 0)
		return -1;
	rc = store_bind_text(q, 1, component, err);
	if (rc == 0)
		rc = store_bind_int64(q, 2, version, err);
	if (rc == 0)
		rc = store_step(q, err);
	store_finalize(q);
	return rc < 0 ? -1 : 0;
}

/* Each step reads the version again under the lock inside its own
 * transaction, so of two daemons starting together on one PostgreSQL
 * one runs a step and the other sees it done. */
int
store_migrate(struct store *st, const char *component,
    const char *const *migrations, sdc_error_t *err)
{
	int have, want = 0;

	while (migrations[want] != NULL)
		want++;
	for (int v = 0; v < want; v++) {
		if (store_begin(st, err) < 0)
			return -1;
		if (store_lock(st, "schema_versions", err) < 0 ||
		    store_version(st, component, &have, err) < 0) {
			store_rollback(st);
			return -1;
		}
		if (have > want) {
			store_rollback(st);
			return sdc_make_error(err, 0, "%s: %s schema is version "
			    "%d, newer than this program knows (%d)", st->where,
			    component, have, want);
		}
		if (have > v) {
			store_rollback(st);
			v = have - 1;
			continue;
		}
		if (store_exec(st, migrations[v], err) < 0 ||
		    set_version(st, component, v + 1, err) < 0 ||
		    store_commit(st, err) < 0) {
			store_rollback(st);
			return sdc_error_wrap(err, "migrating %s to version %d",
			    component, v + 1);
		}
	}
	return 0;
}

/* Preparing a statement costs more than running a simple one, and the
 * daemons run the same few queries on every request.  So store_prepare()
 * hands out a cached statement for SQL it has seen, and store_finalize()
 * only resets it and gives it back; callers need not know. */
int
store_prepare(struct store *st, struct store_stmt **out, const char *sql, sdc_error_t *err)
{
	struct store_stmt *q;

	for (int i = 0; i < st->ncache; i++) {
		q = st->cache[i];
		if (!q->in_use && strcmp(q->sql, sql) == 0) {
			q->in_use = 1;
			*out = q;
			return 0;
		}
	}
	q = xcalloc(1, sizeof *q);
	q->st = st;
	if (st->ops->prepare(q, sql, err) < 0) {
		free(q);
		return -1;
	}
	q->in_use = 1;
	if (st->ncache < STORE_CACHE_SIZE) {
		q->sql = xstrdup(sql);
		st->cache[st->ncache++] = q;
	}
	*out = q;
	return 0;
}

void
store_finalize(struct store_stmt *q)
{
	if (q == NULL)
		return;
	if (q->sql != NULL) {
		store_reset(q);
		q->in_use = 0;
		return;
	}
	q->st->ops->finalize(q);
	free(q);
}

void
store_reset(struct store_stmt *q)
{
	q->st->ops->reset(q);
}

int
store_bind_text(struct store_stmt *q, int idx, const char *value, sdc_error_t *err)
{
	if (value == NULL)
		return store_bind_null(q, idx, err);
	return q->st->ops->bind_text(q, idx, value, err);
}

int
store_bind_blob(struct store_stmt *q, int idx, const void *data, size_t len, sdc_error_t *err)
{
	return q->st->ops->bind_blob(q, idx, data, len, err);
}

int
store_bind_int64(struct store_stmt *q, int idx, int64_t value, sdc_error_t *err)
{
	return q->st->ops->bind_int64(q, idx, value, err);
}

int
store_bind_null(struct store_stmt *q, int idx, sdc_error_t *err)
{
	return q->st->ops->bind_null(q, idx, err);
}

int
store_step(struct store_stmt *q, sdc_error_t *err)
{
	return q->st->ops->step(q, err);
}

const char *
store_col_text(struct store_stmt *q, int col)
{
	return q->st->ops->col_text(q, col);
}

const void *
store_col_blob(struct store_stmt *q, int col, size_t *len)
{
	return q->st->ops->col_blob(q, col, len);
}

int64_t
store_col_int64(struct store_stmt *q, int col)
{
	return q->st->ops->col_int64(q, col);
}

int
store_col_is_null(struct store_stmt *q, int col)
{
	return q->st->ops->col_is_null(q, col);
}

int
store_changes(struct store *st)
{
	return st->ops->changes(st);
}

int
store_notify(struct store *st, const char *channel, sdc_error_t *err)
{
	char *sql;
	int rc;

	if (st->ops->listen == NULL)
		return 0;
	xasprintf(&sql, "NOTIFY %s", channel);
	rc = st->ops->exec(st, sql, err);
	free(sql);
	return rc;
}

int
store_listen(struct store *st, const char *channel, int *fd, sdc_error_t *err)
{
	*fd = -1;
	if (st->ops->listen == NULL)
		return 0;
	return st->ops->listen(st, channel, fd, err);
}

int
store_notified(struct store *st, sdc_error_t *err)
{
	if (st->ops->notified == NULL)
		return 0;
	return st->ops->notified(st, NULL, NULL, err);
}

int
store_notify_payload(struct store *st, const char *channel,
    const char *payload, sdc_error_t *err)
{
	struct store_stmt *q;
	int rc;

	if (st->ops->listen == NULL)
		return 0;
	if (store_prepare(st, &q, "SELECT pg_notify(?, ?)", err) < 0)
		return -1;
	rc = store_bind_text(q, 1, channel, err);
	if (rc == 0)
		rc = store_bind_text(q, 2, payload, err);
	if (rc == 0)
		rc = store_step(q, err);
	store_finalize(q);
	return rc < 0 ? -1 : 0;
}

int
store_notified_each(struct store *st, store_notify_fn *fn, void *arg,
    sdc_error_t *err)
{
	if (st->ops->notified == NULL)
		return 0;
	return st->ops->notified(st, fn, arg, err);
}
