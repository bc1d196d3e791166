/*
 * store-sqlite.c: the store on SQLite, the embedded default.
 *
 * WAL mode lets readers go on while a write commits; synchronous=FULL makes
 * every commit fsync the WAL, which is the durability the daemons promise
 * (an acknowledged write survives a power cut).  busy_timeout covers the
 * one case where two processes share a file (tools reading a daemon's
 * store).  A transaction begins IMMEDIATE: it takes the one write lock at
 * once, so a read-then-write inside it is never raced by another writer.
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

#include "store-int.h"
#include "xalloc.h"

#define DB(st) ((sqlite3 *)(st)->impl)
#define STMT(q) ((sqlite3_stmt *)(q)->impl)

static int
db_error(struct store *st, sdc_error_t *err, const char *what)
{
	int code = sqlite3_extended_errcode(DB(st)) & 0xff;

	return sdc_make_error_code(err, code, "%s: %s: %s", st->where, what,
	    sqlite3_errmsg(DB(st)));
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

static int
lite_exec(struct store *st, const char *sql, sdc_error_t *err)
{
	char *msg = NULL;

	if (sqlite3_exec(DB(st), sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	sdc_make_error_code(err, sqlite3_extended_errcode(DB(st)) & 0xff,
	    "%s: %s", st->where, msg != NULL ? msg : sqlite3_errmsg(DB(st)));
	sqlite3_free(msg);
	return -1;
}

static void
lite_close(struct store *st)
{
	sqlite3_close_v2(DB(st));
}

static int
lite_open(struct store *st, const char *path, sdc_error_t *err)
{
	static const char pragmas[] =
	    "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON;";
	sqlite3 *db = NULL;

	if (strcmp(path, ":memory:") != 0 && store_private(path, err) < 0)
		return -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		st->impl = db;
		db_error(st, err, "cannot open");
		lite_close(st);
		return -1;
	}
	st->impl = db;
	sqlite3_busy_timeout(db, 5000);
	if (lite_exec(st, pragmas, err) < 0) {
		lite_close(st);
		return -1;
	}
	return 0;
}

static int
lite_begin(struct store *st, sdc_error_t *err)
{
	return lite_exec(st, "BEGIN IMMEDIATE", err);
}

static int
lite_commit(struct store *st, sdc_error_t *err)
{
	return lite_exec(st, "COMMIT", err);
}

static void
lite_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(DB(st)))
		sqlite3_exec(DB(st), "ROLLBACK", NULL, NULL, NULL);
}

static int
lite_prepare(struct store_stmt *q, const char *sql, sdc_error_t *err)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(DB(q->st), sql, -1, &stmt, NULL) != SQLITE_OK)
		return db_error(q->st, err, "prepare");
	q->impl = stmt;
	return 0;
}

static void
lite_finalize(struct store_stmt *q)
{
	sqlite3_finalize(STMT(q));
}

static void
lite_reset(struct store_stmt *q)
{
	sqlite3_reset(STMT(q));
	sqlite3_clear_bindings(STMT(q));
}

static int
bind_result(struct store_stmt *q, int rc, sdc_error_t *err)
{
	return rc == SQLITE_OK ? 0 : db_error(q->st, err, "bind");
}

static int
lite_bind_text(struct store_stmt *q, int idx, const char *value, sdc_error_t *err)
{
	return bind_result(q, sqlite3_bind_text(STMT(q), idx, value, -1,
	    SQLITE_TRANSIENT), err);
}

static int
lite_bind_blob(struct store_stmt *q, int idx, const void *data, size_t len, sdc_error_t *err)
{
	return bind_result(q, sqlite3_bind_blob64(STMT(q), idx, data, len,
	    SQLITE_TRANSIENT), err);
}

static int
lite_bind_int64(struct store_stmt *q, int idx, int64_t value, sdc_error_t *err)
{
	return bind_result(q, sqlite3_bind_int64(STMT(q), idx, value), err);
}

static int
lite_bind_null(struct store_stmt *q, int idx, sdc_error_t *err)
{
	return bind_result(q, sqlite3_bind_null(STMT(q), idx), err);
}

static int
lite_step(struct store_stmt *q, sdc_error_t *err)
{
	switch (sqlite3_step(STMT(q))) {
	case SQLITE_ROW:
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		return db_error(q->st, err, "query");
	}
}

static const char *
lite_col_text(struct store_stmt *q, int col)
{
	return (const char *)sqlite3_column_text(STMT(q), col);
}

static const void *
lite_col_blob(struct store_stmt *q, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(STMT(q), col);

	*len = (size_t)sqlite3_column_bytes(STMT(q), col);
	return p;
}

static int64_t
lite_col_int64(struct store_stmt *q, int col)
{
	return sqlite3_column_int64(STMT(q), col);
}

static int
lite_col_is_null(struct store_stmt *q, int col)
{
	return sqlite3_column_type(STMT(q), col) == SQLITE_NULL;
}

static int
lite_changes(struct store *st)
{
	return sqlite3_changes(DB(st));
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = lite_open,
	.close = lite_close,
	.exec = lite_exec,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	/* WAL with NORMAL: the commit is in the log file, synced by the
	 * next FULL commit or checkpoint; the level may not change inside
	 * a transaction */
	.lazy_before = "PRAGMA synchronous=NORMAL",
	.lazy_after = "PRAGMA synchronous=FULL",
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.bind_int64 = lite_bind_int64,
	.bind_null = lite_bind_null,
	.step = lite_step,
	.col_text = lite_col_text,
	.col_blob = lite_col_blob,
	.col_int64 = lite_col_int64,
	.col_is_null = lite_col_is_null,
	.changes = lite_changes,
};
