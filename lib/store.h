/*
 * store.h: the daemon's database, behind a small interface.
 *
 * Two engines serve it (store.c picks by the location): SQLite in WAL
 * mode with synchronous=FULL, the embedded default, and PostgreSQL through
 * libpq, for several daemons sharing one state.  Either way a commit is
 * durable before store_commit() returns, so a daemon may acknowledge a
 * write as soon as its transaction commits.  Callers write one SQL for
 * both: "?" placeholders, numbered from 1, and only what both engines
 * run (ON CONFLICT, not INSERT OR ...; BIGINT for 64-bit values; no
 * rowid, PRAGMA, datetime() or GLOB).  A failed statement in a
 * transaction fails alone, on both.
 *
 * A store is used from one thread.  Statements are prepared once and reset
 * after each use (store_reset), which keeps the hot paths cheap.
 */
#ifndef SDC_STORE_H
#define SDC_STORE_H

#include <stdint.h>

#include "error.h"

struct event_base;
struct store;
struct store_stmt;

/* Open a store: a libpq URI (postgresql://... or postgres://...) is a
 * PostgreSQL database; anything else is a SQLite file, created if need
 * be (its folder must exist). */
int store_open(struct store **out, const char *where, sdc_error_t *err);
void store_close(struct store *st);
/* 1 when where names a PostgreSQL database (store_open's test). */
int store_is_postgres_uri(const char *where);
/* "sqlite" or "postgresql". */
const char *store_backend(const struct store *st);

/* From now on, on PostgreSQL, a lost connection is made again on a
 * thread (lib/rtcall.c) whose end base's loop hears, not on the calling
 * thread: a call that finds the link broken waits at most a tenth of a
 * second for the new one, then fails (the store does not answer), and
 * every call fails at once while that connect goes on; one whose host
 * drops packets would otherwise hold the loop connect_timeout (10 s)
 * for each host of the URI at each try.  For a store used on base's
 * loop thread; nothing on SQLite, which never connects. */
void store_connect_off_loop(struct store *st, struct event_base *base);

/* Bring one component's tables up to date.  Each module that keeps tables
 * (accounts, images, containers, ...) owns its own list and its own
 * version, so modules can change their schema independently.
 * migrations[i] is the SQL that takes the component from version i to i+1;
 * the list ends with NULL.  Each step runs in its own transaction with the
 * version recorded, so a crash mid-way leaves the schema at a whole
 * version. */
int store_migrate(struct store *st, const char *component,
    const char *const *migrations, sdc_error_t *err);
int store_version(struct store *st, const char *component, int *version,
    sdc_error_t *err);

int store_exec(struct store *st, const char *sql, sdc_error_t *err);
int store_begin(struct store *st, sdc_error_t *err);
int store_commit(struct store *st, sdc_error_t *err);
/* A transaction whose commit is not waited to disk (SQLite's
 * synchronous=NORMAL for it, PostgreSQL's synchronous_commit off): it
 * survives the process's crash, not the machine's, and becomes durable
 * with the next ordinary commit.  Only for state that a crash of the
 * machine ends anyway (the address leases of running containers), or
 * that an ordinary commit follows at once.  Ends by store_commit or
 * store_rollback. */
int store_begin_lazy(struct store *st, sdc_error_t *err);
/* Never fails in a way the caller can act on; safe when no transaction. */
void store_rollback(struct store *st);
/* Inside a transaction: wait for, then hold until it ends, the lock of
 * that name, so a read-then-write is not raced by another process
 * sharing the database (PostgreSQL's advisory lock; SQLite's
 * transactions already hold its one write lock). */
int store_lock(struct store *st, const char *name, sdc_error_t *err);
/* The same around several transactions: held from store_lock_session
 * until store_unlock_session (PostgreSQL's session advisory lock, lost
 * with the connection; nothing on SQLite, whose one process orders its
 * callers itself). */
int store_lock_session(struct store *st, const char *name, sdc_error_t *err);
void store_unlock_session(struct store *st, const char *name);

int store_prepare(struct store *st, struct store_stmt **out, const char *sql, sdc_error_t *err);
void store_finalize(struct store_stmt *stmt);
/* Clear the bindings and rewind, ready for the next use. */
void store_reset(struct store_stmt *stmt);

int store_bind_text(struct store_stmt *stmt, int idx, const char *value, sdc_error_t *err);
int store_bind_blob(struct store_stmt *stmt, int idx, const void *data, size_t len, sdc_error_t *err);
int store_bind_int64(struct store_stmt *stmt, int idx, int64_t value, sdc_error_t *err);
int store_bind_null(struct store_stmt *stmt, int idx, sdc_error_t *err);

/* 1: a row is ready; 0: done; -1: error (a constraint violation has
 * err->code STORE_CONSTRAINT; a write outside a transaction, or a
 * commit, whose connection broke before the answer has STORE_UNKNOWN:
 * it may or may not have been done, and is not run again). */
int store_step(struct store_stmt *stmt, sdc_error_t *err);
#define STORE_CONSTRAINT 19
#define STORE_UNKNOWN 503       /* an HTTP 503 as it is */

/* Column values of the current row; text is NULL for SQL NULL and valid
 * until the next step or reset. */
const char *store_col_text(struct store_stmt *stmt, int col);
const void *store_col_blob(struct store_stmt *stmt, int col, size_t *len);
int64_t store_col_int64(struct store_stmt *stmt, int col);
int store_col_is_null(struct store_stmt *stmt, int col);
/* Rows changed by the last statement. */
int store_changes(struct store *st);

/* Changes between processes sharing one PostgreSQL (LISTEN/NOTIFY);
 * on SQLite, one file per daemon, there is no one else to tell: notify
 * does nothing and listen gives *fd = -1.  channel is a plain SQL name.
 * store_listen: (re)connects if need be, listens, and gives the socket
 * to watch for reading.  store_notified: the notifications that came
 * since the last call (>= 0), or -1 when the connection broke (listen
 * again; changes made meanwhile were not heard). */
int store_notify(struct store *st, const char *channel, sdc_error_t *err);
int store_listen(struct store *st, const char *channel, int *fd, sdc_error_t *err);
int store_notified(struct store *st, sdc_error_t *err);
/* The same with a payload (PostgreSQL takes under 8000 bytes), and the
 * notifications with theirs: fn gets each channel and payload ("" when
 * none), the count is returned as store_notified's. */
int store_notify_payload(struct store *st, const char *channel,
    const char *payload, sdc_error_t *err);
typedef void store_notify_fn(void *arg, const char *channel,
    const char *payload);
int store_notified_each(struct store *st, store_notify_fn *fn, void *arg,
    sdc_error_t *err);

#endif
