/*
 * store.c: the store of store.h on SQLite.
 *
 * WAL mode lets readers go on while a write commits; synchronous=FULL makes
 * every commit fsync the WAL, which is the durability the daemons promise
 * (an acknowledged write survives a power cut).  busy_timeout covers the
 * one case where two processes share a file (tools reading a daemon's
 * store).  Schema versions live in one table, a row per component.
 *
 * The file holds accounts, keys and tunables: it is made 0600 before
 * SQLite opens it (and an older, laxer one is set to 0600), and SQLite
 * gives its -wal and -shm files the database's own mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "xalloc.h"

/* Preparing a statement costs more than running a simple one, and the
 * daemons run the same few queries on every request.  So store_prepare()
 * hands out a cached statement for SQL it has seen, and store_finalize()
 * only resets it and gives it back; callers need not know. */
#define STORE_CACHE_SIZE 64

struct store_stmt {
	struct store *st;
	sqlite3_stmt *stmt;
	char *sql;              /* set when the statement lives in the cache */
	int in_use;
};

struct store {
	sqlite3 *db;
	char *path;
	struct store_stmt *cache[STORE_CACHE_SIZE];
	int ncache;
};

static int
db_error(struct store *st, sdc_error_t *err, const char *what)
{
	int code = sqlite3_extended_errcode(st->db) & 0xff;

	return sdc_make_error_code(err, code, "%s: %s: %s", st->path, what,
	    sqlite3_errmsg(st->db));
}

/* The database and what SQLite keeps beside it, 0600 whatever the umask. */
static int
store_private(const char *path, sdc_error_t *err)
{
	static const char *const sides[] = { "-wal", "-shm", "-journal" };
	char *side;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0) {
		sdc_make_error(err, errno, "%s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
		xasprintf(&side, "%s%s", path, sides[i]);
		if (chmod(side, 0600) != 0 && errno != ENOENT) {
			sdc_make_error(err, errno, "%s", side);
			free(side);
			return -1;
		}
		free(side);
	}
	return 0;
}

int
store_open(struct store **out, const char *path, sdc_error_t *err)
{
	static const char pragmas[] =
	    "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON;"
	    "CREATE TABLE IF NOT EXISTS schema_versions ("
	    "  component TEXT PRIMARY KEY, version INTEGER NOT NULL);";
	struct store *st = xcalloc(1, sizeof *st);

	if (strcmp(path, ":memory:") != 0 && store_private(path, err) < 0) {
		free(st);
		return -1;
	}
	st->path = xstrdup(path);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_error(st, err, "cannot open");
		store_close(st);
		return -1;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (store_exec(st, pragmas, err) < 0) {
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
		sqlite3_finalize(st->cache[i]->stmt);
		free(st->cache[i]->sql);
		free(st->cache[i]);
	}
	sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

int
store_exec(struct store *st, const char *sql, sdc_error_t *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	sdc_make_error_code(err, sqlite3_extended_errcode(st->db) & 0xff,
	    "%s: %s", st->path, msg != NULL ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

int
store_begin(struct store *st, sdc_error_t *err)
{
	return store_exec(st, "BEGIN IMMEDIATE", err);
}

int
store_commit(struct store *st, sdc_error_t *err)
{
	return store_exec(st, "COMMIT", err);
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
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

int
store_migrate(struct store *st, const char *component,
    const char *const *migrations, sdc_error_t *err)
{
	int have, want = 0;

	while (migrations[want] != NULL)
		want++;
	if (store_version(st, component, &have, err) < 0)
		return -1;
	if (have > want)
		return sdc_make_error(err, 0, "%s: %s schema is version %d, newer "
		    "than this program knows (%d)", st->path, component, have, want);
	for (int v = have; v < want; v++) {
		if (store_begin(st, err) < 0)
			return -1;
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

int
store_prepare(struct store *st, struct store_stmt **out, const char *sql, sdc_error_t *err)
{
	sqlite3_stmt *stmt;
	struct store_stmt *q;

	for (int i = 0; i < st->ncache; i++) {
		q = st->cache[i];
		if (!q->in_use && strcmp(q->sql, sql) == 0) {
			q->in_use = 1;
			*out = q;
			return 0;
		}
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return db_error(st, err, "prepare");
	q = xcalloc(1, sizeof *q);
	q->st = st;
	q->stmt = stmt;
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
	sqlite3_finalize(q->stmt);
	free(q);
}

void
store_reset(struct store_stmt *q)
{
	sqlite3_reset(q->stmt);
	sqlite3_clear_bindings(q->stmt);
}

static int
bind_result(struct store_stmt *q, int rc, sdc_error_t *err)
{
	return rc == SQLITE_OK ? 0 : db_error(q->st, err, "bind");
}

int
store_bind_text(struct store_stmt *q, int idx, const char *value, sdc_error_t *err)
{
	if (value == NULL)
		return store_bind_null(q, idx, err);
	return bind_result(q, sqlite3_bind_text(q->stmt, idx, value, -1,
	    SQLITE_TRANSIENT), err);
}

int
store_bind_blob(struct store_stmt *q, int idx, const void *data, size_t len, sdc_error_t *err)
{
	return bind_result(q, sqlite3_bind_blob64(q->stmt, idx, data, len,
	    SQLITE_TRANSIENT), err);
}

int
store_bind_int64(struct store_stmt *q, int idx, int64_t value, sdc_error_t *err)
{
	return bind_result(q, sqlite3_bind_int64(q->stmt, idx, value), err);
}

int
store_bind_null(struct store_stmt *q, int idx, sdc_error_t *err)
{
	return bind_result(q, sqlite3_bind_null(q->stmt, idx), err);
}

int
store_step(struct store_stmt *q, sdc_error_t *err)
{
	switch (sqlite3_step(q->stmt)) {
	case SQLITE_ROW:
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		return db_error(q->st, err, "query");
	}
}

const char *
store_col_text(struct store_stmt *q, int col)
{
	return (const char *)sqlite3_column_text(q->stmt, col);
}

const void *
store_col_blob(struct store_stmt *q, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(q->stmt, col);

	*len = (size_t)sqlite3_column_bytes(q->stmt, col);
	return p;
}

int64_t
store_col_int64(struct store_stmt *q, int col)
{
	return sqlite3_column_int64(q->stmt, col);
}

int
store_col_is_null(struct store_stmt *q, int col)
{
	return sqlite3_column_type(q->stmt, col) == SQLITE_NULL;
}

int
store_changes(struct store *st)
{
	return sqlite3_changes(st->db);
}
