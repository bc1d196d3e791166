/*
 * store-postgres.c: the store on PostgreSQL, through libpq.
 *
 * Several daemons (later several API heads) share one database, found by
 * a libpq URI; a multi-host URI with target_session_attrs=read-write
 * finds the primary, also after a standby is promoted.  The callers'
 * SQL is the same as SQLite's: "?" and "?N" placeholders become $N, each
 * statement is prepared once by name and run with its parameters apart
 * (text format for text and integers, so the server converts to the
 * column's type; binary for blobs, so bytea needs no escaping), and
 * results come back as text (bytea unescaped on demand).
 *
 * Two behaviours of SQLite the callers rely on are kept:
 * - A failed statement inside a transaction fails alone (SQLite rolls
 *   back the statement, not the transaction), so a caller may try the
 *   next port after a unique violation.  PostgreSQL aborts the whole
 *   transaction instead, so a write inside a transaction runs under a
 *   savepoint of its own.
 * - The store is always there.  When the server restarts or fails over,
 *   the connection breaks; the next call outside a transaction connects
 *   again (the host list again, so it finds the new primary), prepares
 *   its statements afresh, and a read that failed because the link
 *   broke is run once more.  Inside a transaction nothing is retried:
 *   every call fails until the caller rolls back, so a transaction is
 *   never finished half on the old connection and half on a new one.
 *   A daemon's event loop (dockerapi's, sapi's, the agent's) has its
 *   store connect again on a thread (store_connect_off_loop): a host
 *   that drops packets holds the thread for connect_timeout, and the
 *   loop's calls fail meanwhile.
 *
 * A write is never run again: once it was sent, a broken link leaves
 * its outcome unknown (the server may have committed it and died, or
 * been killed, before answering), and running it again would do it
 * twice, or fail it on its own first run's row (a create answered "name
 * already in use" by its own INSERT).  So, before a call outside a
 * transaction, a connection the server closed while it was idle (the
 * usual case of a restart: its socket reads the end) is found and made
 * again, and the write goes on the new one; a write or a COMMIT whose
 * link broke once sent fails with code 503 (STORE_UNKNOWN) saying so,
 * for the caller's client to check and try again.
 *
 * Transactions run at READ COMMITTED; where a caller reads then writes,
 * a unique constraint or store_lock() (an advisory lock) makes it safe
 * against the other processes (docs/architecture.md, "The store").
 */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rtcall.h"
#include "store-int.h"
#include "xalloc.h"

#define BYTEAOID 17
#define BOOLOID 16

struct pg {
	PGconn *conn;
	char *conninfo;
	unsigned gen;           /* bumped at each new connection */
	unsigned next_name;
	int changes;
	int in_txn;
	struct event_base *base;        /* set: connect again off its loop */
	struct pg_dialing *dialing;     /* such a connect under way */
	char *dial_failed;              /* the last one's failure */
};

struct pgstmt {
	char *sql;              /* with $N placeholders */
	char name[32];
	unsigned gen;           /* the connection it is prepared on; 0: none */
	int is_write;
	int nparams;
	char **values;
	int *lengths;
	int *formats;
	PGresult *res;
	int row;
	unsigned char **unescaped;     /* per column of the current row */
	size_t *unescaped_len;
};

#define PG(st) ((struct pg *)(st)->impl)
#define PQ(q) ((struct pgstmt *)(q)->impl)

static void
quiet_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* libpq's message, its last newline left out. */
static int
pg_message_len(const char *msg)
{
	int len = (int)strlen(msg);

	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	return len;
}

/* A failed result (or connection) as an error: unique, foreign key, not
 * null and check violations (SQLSTATE class 23) are STORE_CONSTRAINT. */
static int
pg_error(struct store *st, const PGresult *res, sdc_error_t *err, const char *what)
{
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL && *PQresultErrorMessage(res) != '\0' ?
	    PQresultErrorMessage(res) : PQerrorMessage(PG(st)->conn);

	return sdc_make_error_code(err, state != NULL &&
	    strncmp(state, "23", 2) == 0 ? STORE_CONSTRAINT : 0,
	    "%s: %s: %.*s", st->where, what, pg_message_len(msg), msg);
}

/* A new connection, as the store wants it: touches nothing of a store,
 * so a thread may make it.  Up to connect_timeout for each host of the
 * URI when a host drops packets; its status says how it went.
 *
 * Over TCP, a host that goes dark under a made connection would hold a
 * query's caller until the kernel gives up on its retransmissions
 * (about a quarter of an hour), and a listener would hear nothing for
 * ever: so data unacknowledged for 5 s, or an idle link whose probes go
 * unanswered, ends the connection, which is then made again as after
 * any break.  Keys before dbname: the URI's own settings win. */
static PGconn *
pg_dial(const char *conninfo)
{
	static const char *const keys[] = { "connect_timeout",
	    "tcp_user_timeout", "keepalives_idle", "keepalives_interval",
	    "keepalives_count", "dbname", NULL };
	const char *values[] = { "10", "5000", "5", "2", "3", conninfo, NULL };
	PGconn *conn = PQconnectdbParams(keys, values, 1);

	if (PQstatus(conn) == CONNECTION_OK) {
		PQsetNoticeProcessor(conn, quiet_notices, NULL);
		PQclear(PQexec(conn, "SET client_min_messages = warning"));
	}
	return conn;
}

/* conn, connected, becomes the store's: statements are prepared again. */
static void
pg_adopt(struct pg *pg, PGconn *conn)
{
	PQfinish(pg->conn);
	pg->conn = conn;
	pg->gen++;
	if (pg->gen == 0)
		pg->gen = 1;
}

static int
pg_connect(struct store *st, sdc_error_t *err)
{
	PGconn *conn = pg_dial(PG(st)->conninfo);

	if (PQstatus(conn) != CONNECTION_OK) {
		sdc_make_error(err, 0, "%s: cannot connect: %.*s", st->where,
		    pg_message_len(PQerrorMessage(conn)), PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	pg_adopt(PG(st), conn);
	return 0;
}

/* --- connecting again off the loop (store_connect_off_loop) --- */

/* A connect under way on a thread.  pg is NULL once the store closed:
 * the connection is then let go when it comes. */
struct pg_dialing {
	struct pg *pg;
	char *conninfo;
	PGconn *conn;
};

static int
pg_dialing_run(void *arg, sdc_error_t *err)
{
	struct pg_dialing *d = arg;

	(void)err;
	d->conn = pg_dial(d->conninfo);
	return 0;
}

static void
pg_dialing_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct pg_dialing *d = arg;
	struct pg *pg = d->pg;

	(void)req;
	(void)rc;
	(void)err;
	if (pg != NULL) {
		pg->dialing = NULL;
		free(pg->dial_failed);
		pg->dial_failed = NULL;
		if (PQstatus(d->conn) == CONNECTION_OK) {
			pg_adopt(pg, d->conn);
			d->conn = NULL;
		} else
			xasprintf(&pg->dial_failed, "%.*s", pg_message_len(
			    PQerrorMessage(d->conn)), PQerrorMessage(d->conn));
	}
	PQfinish(d->conn);
	free(d->conninfo);
	free(d);
}

/* Made again on a thread: a server that answers is connected within the
 * short wait (a few milliseconds on a LAN) and the call goes on as if
 * connected here; one whose host drops packets holds the thread, not the
 * loop, and every call meanwhile fails at once. */
#define PG_DIAL_WAIT_MS 100

static int
pg_connect_aside(struct store *st, sdc_error_t *err)
{
	struct pg *pg = PG(st);
	struct pg_dialing *d;

	if (pg->dialing == NULL) {
		d = xcalloc(1, sizeof *d);
		d->pg = pg;
		d->conninfo = xstrdup(pg->conninfo);
		pg->dialing = d;
		if (rtcall_start_waiting(pg->base, "connecting to the store",
		    pg_dialing_run, pg_dialing_done, d, PG_DIAL_WAIT_MS,
		    err) < 0) {
			pg->dialing = NULL;
			free(d->conninfo);
			free(d);
			return -1;
		}
	}
	if (PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	if (pg->dialing != NULL)
		return sdc_make_error(err, 0, "%s: cannot connect: no answer "
		    "yet (still trying)", st->where);
	return sdc_make_error(err, 0, "%s: cannot connect: %s", st->where,
	    pg->dial_failed);
}

static void
pg_off_loop(struct store *st, struct event_base *base)
{
	PG(st)->base = base;
}

/* Outside a transaction nothing is owed by the server: a socket that
 * reads holds its last words (a FATAL "terminating connection" comes
 * before the end) or a notice, which PQconsumeInput takes in, marking
 * the connection bad once it reads the end. */
static void
pg_check_idle(struct pg *pg)
{
	struct pollfd p = { .fd = PQsocket(pg->conn), .events = POLLIN };

	for (int i = 0; i < 4; i++) {
		if (pg->in_txn || p.fd < 0 ||
		    PQstatus(pg->conn) != CONNECTION_OK ||
		    poll(&p, 1, 0) <= 0 || PQconsumeInput(pg->conn) == 0)
			return;
	}
}

/* The connection, made again if it broke (never inside a transaction). */
static int
pg_ensure(struct store *st, sdc_error_t *err)
{
	struct pg *pg = PG(st);

	pg_check_idle(pg);
	if (PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	if (pg->in_txn)
		return sdc_make_error(err, 0, "%s: the connection was lost in a "
		    "transaction", st->where);
	return pg->base != NULL ? pg_connect_aside(st, err) :
	    pg_connect(st, err);
}

/* A command failed: was it because the link broke, and may it be run
 * again on a new one?  Only if it changes nothing (write 0). */
static int
pg_may_retry(struct store *st, int write)
{
	return PQstatus(PG(st)->conn) != CONNECTION_OK && !PG(st)->in_txn &&
	    !write;
}

/* A write sent, and the link broke before its answer. */
static int
pg_unknown(struct store *st, const char *what, sdc_error_t *err)
{
	const char *msg = PQerrorMessage(PG(st)->conn);

	return sdc_make_error_code(err, STORE_UNKNOWN, "%s: %s: the "
	    "connection to the store was lost before its answer; whether it "
	    "was done is unknown (%.*s); try again", st->where, what,
	    pg_message_len(msg), msg);
}

/* Statements run again after a broken link: they change no row. */
static int
pg_replayable(const char *sql)
{
	static const char *const words[] = { "SELECT", "BEGIN", "SET ",
	    "SHOW", "LISTEN", "UNLISTEN", "ROLLBACK", "DEALLOCATE", NULL };

	sql += strspn(sql, " \t\n(");
	for (int i = 0; words[i] != NULL; i++)
		if (strncasecmp(sql, words[i], strlen(words[i])) == 0)
			return 1;
	return 0;
}

static int
pg_open(struct store *st, const char *uri, sdc_error_t *err)
{
	struct pg *pg = xcalloc(1, sizeof *pg);

	pg->conninfo = xstrdup(uri);
	st->impl = pg;
	if (pg_connect(st, err) < 0) {
		PQfinish(pg->conn);
		free(pg->conninfo);
		free(pg);
		return -1;
	}
	return 0;
}

static void
pg_close(struct store *st)
{
	if (PG(st)->dialing != NULL)
		PG(st)->dialing->pg = NULL;
	free(PG(st)->dial_failed);
	PQfinish(PG(st)->conn);
	free(PG(st)->conninfo);
	free(PG(st));
}

static int
pg_simple(struct store *st, const char *sql, sdc_error_t *err)
{
	PGresult *res;
	ExecStatusType s;

	for (int attempt = 0;; attempt++) {
		if (pg_ensure(st, err) < 0)
			return -1;
		res = PQexec(PG(st)->conn, sql);
		s = PQresultStatus(res);
		if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
			break;
		if (attempt == 0 && pg_may_retry(st, !pg_replayable(sql))) {
			PQclear(res);
			continue;
		}
		if (PQstatus(PG(st)->conn) != CONNECTION_OK && !PG(st)->in_txn &&
		    !pg_replayable(sql))
			pg_unknown(st, "query", err);
		else
			pg_error(st, res, err, "query");
		PQclear(res);
		return -1;
	}
	PG(st)->changes = atoi(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

static int
pg_begin(struct store *st, sdc_error_t *err)
{
	if (pg_simple(st, "BEGIN", err) < 0)
		return -1;
	PG(st)->in_txn = 1;
	return 0;
}

/* PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not
 * an error: that is a failed commit here. */
static int
pg_commit(struct store *st, sdc_error_t *err)
{
	PGresult *res;
	int rc = 0;

	if (PQstatus(PG(st)->conn) != CONNECTION_OK) {
		PG(st)->in_txn = 0;
		return sdc_make_error(err, 0, "%s: the connection was lost in a "
		    "transaction; nothing of it was committed", st->where);
	}
	res = PQexec(PG(st)->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQstatus(PG(st)->conn) != CONNECTION_OK)
		rc = pg_unknown(st, "commit", err);
	else if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_error(st, res, err, "commit");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = sdc_make_error(err, 0, "%s: commit: the transaction had "
		    "failed and was rolled back", st->where);
	PQclear(res);
	PG(st)->in_txn = 0;
	return rc;
}

static void
pg_rollback(struct store *st)
{
	if (PQstatus(PG(st)->conn) == CONNECTION_OK &&
	    PQtransactionStatus(PG(st)->conn) != PQTRANS_IDLE)
		PQclear(PQexec(PG(st)->conn, "ROLLBACK"));
	PG(st)->in_txn = 0;
}

/* "?" and "?N" to "$N", outside quotes and comments.  A bare "?" is one
 * more than the largest number given so far, as in SQLite. */
static char *
pg_placeholders(const char *sql, int *nparams)
{
	struct buf out = BUF_INIT;
	int max = 0, n;
	size_t len;
	const char *p = sql, *end;

	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			char quote = *p;

			for (end = p + 1; *end != '\0'; end++)
				if (*end == quote && *++end != quote)
					break;
			buf_append(&out, p, (size_t)(end - p));
			p = end;
		} else if (p[0] == '-' && p[1] == '-') {
			end = p + strcspn(p, "\n");
			buf_append(&out, p, (size_t)(end - p));
			p = end;
		} else if (*p == '?') {
			p++;
			if (*p >= '0' && *p <= '9') {
				n = (int)strtol(p, (char **)&end, 10);
				p = end;
			} else
				n = max + 1;
			if (n > max)
				max = n;
			buf_printf(&out, "$%d", n);
		} else
			buf_append(&out, p++, 1);
	}
	*nparams = max;
	return buf_detach(&out, &len);
}

static int
pg_is_write(const char *sql)
{
	sql += strspn(sql, " \t\n(");
	return strncasecmp(sql, "SELECT", 6) != 0;
}

static int
pg_prepare_now(struct store_stmt *q, sdc_error_t *err)
{
	struct pg *pg = PG(q->st);
	struct pgstmt *s = PQ(q);
	PGresult *res;

	for (int attempt = 0;; attempt++) {
		if (pg_ensure(q->st, err) < 0)
			return -1;
		if (s->gen == pg->gen)
			return 0;
		snprintf(s->name, sizeof s->name, "sdc_%u", ++pg->next_name);
		res = PQprepare(pg->conn, s->name, s->sql, s->nparams, NULL);
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);
			s->gen = pg->gen;
			return 0;
		}
		if (attempt == 0 && pg_may_retry(q->st, 0)) {
			PQclear(res);
			continue;
		}
		pg_error(q->st, res, err, "prepare");
		PQclear(res);
		return -1;
	}
}

static void
pg_free_row(struct pgstmt *s)
{
	int n = s->res != NULL ? PQnfields(s->res) : 0;

	if (s->unescaped != NULL)
		for (int i = 0; i < n; i++)
			PQfreemem(s->unescaped[i]);
	free(s->unescaped);
	free(s->unescaped_len);
	s->unescaped = NULL;
	s->unescaped_len = NULL;
}

static void
pg_reset(struct store_stmt *q)
{
	struct pgstmt *s = PQ(q);

	pg_free_row(s);
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	for (int i = 0; i < s->nparams; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
		s->lengths[i] = 0;
		s->formats[i] = 0;
	}
}

static void
pg_finalize(struct store_stmt *q)
{
	struct pgstmt *s = PQ(q);
	char *sql;

	pg_reset(q);
	/* Cached statements go only with their connection. */
	if (q->sql == NULL && s->gen == PG(q->st)->gen &&
	    PQstatus(PG(q->st)->conn) == CONNECTION_OK) {
		xasprintf(&sql, "DEALLOCATE %s", s->name);
		PQclear(PQexec(PG(q->st)->conn, sql));
		free(sql);
	}
	free(s->values);
	free(s->lengths);
	free(s->formats);
	free(s->sql);
	free(s);
}

static int
pg_prepare(struct store_stmt *q, const char *sql, sdc_error_t *err)
{
	struct pgstmt *s = xcalloc(1, sizeof *s);
	size_t n;

	s->sql = pg_placeholders(sql, &s->nparams);
	s->is_write = pg_is_write(sql);
	s->row = -1;
	n = s->nparams > 0 ? (size_t)s->nparams : 1;
	s->values = xcalloc(n, sizeof *s->values);
	s->lengths = xcalloc(n, sizeof *s->lengths);
	s->formats = xcalloc(n, sizeof *s->formats);
	q->impl = s;
	if (pg_prepare_now(q, err) < 0) {
		pg_finalize(q);
		return -1;
	}
	return 0;
}

static int
pg_bind(struct store_stmt *q, int idx, char *value, int len, int format,
    sdc_error_t *err)
{
	struct pgstmt *s = PQ(q);

	if (idx < 1 || idx > s->nparams) {
		free(value);
		return sdc_make_error(err, 0, "%s: bind: parameter %d of a "
		    "statement with %d", q->st->where, idx, s->nparams);
	}
	free(s->values[idx - 1]);
	s->values[idx - 1] = value;
	s->lengths[idx - 1] = len;
	s->formats[idx - 1] = format;
	return 0;
}

static int
pg_bind_text(struct store_stmt *q, int idx, const char *value, sdc_error_t *err)
{
	return pg_bind(q, idx, xstrdup(value), 0, 0, err);
}

static int
pg_bind_blob(struct store_stmt *q, int idx, const void *data, size_t len, sdc_error_t *err)
{
	char *copy = xmalloc(len > 0 ? len : 1);

	if (len > (size_t)1 << 30) {
		free(copy);
		return sdc_make_error(err, 0, "%s: bind: a blob of %zu bytes",
		    q->st->where, len);
	}
	memcpy(copy, data, len);
	return pg_bind(q, idx, copy, (int)len, 1, err);
}

static int
pg_bind_int64(struct store_stmt *q, int idx, int64_t value, sdc_error_t *err)
{
	char *text;

	xasprintf(&text, "%lld", (long long)value);
	return pg_bind(q, idx, text, 0, 0, err);
}

static int
pg_bind_null(struct store_stmt *q, int idx, sdc_error_t *err)
{
	return pg_bind(q, idx, NULL, 0, 0, err);
}

static int
pg_run(struct store_stmt *q, sdc_error_t *err)
{
	struct pg *pg = PG(q->st);
	struct pgstmt *s = PQ(q);
	int guard;
	ExecStatusType rs;

	for (int attempt = 0;; attempt++) {
		if (pg_prepare_now(q, err) < 0)
			return -1;
		guard = pg->in_txn && s->is_write;
		if (guard && pg_simple(q->st, "SAVEPOINT store_stmt", err) < 0)
			return -1;
		s->res = PQexecPrepared(pg->conn, s->name, s->nparams,
		    (const char *const *)s->values, s->lengths, s->formats, 0);
		rs = PQresultStatus(s->res);
		if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
			if (guard && pg_simple(q->st, "RELEASE SAVEPOINT store_stmt",
			    err) < 0)
				return -1;
			pg->changes = atoi(PQcmdTuples(s->res));
			return 0;
		}
		if (attempt == 0 && pg_may_retry(q->st, s->is_write)) {
			PQclear(s->res);
			s->res = NULL;
			continue;
		}
		if (s->is_write && !pg->in_txn &&
		    PQstatus(pg->conn) != CONNECTION_OK)
			pg_unknown(q->st, "query", err);
		else
			pg_error(q->st, s->res, err, "query");
		PQclear(s->res);
		s->res = NULL;
		if (guard && PQstatus(pg->conn) == CONNECTION_OK) {
			PQclear(PQexec(pg->conn, "ROLLBACK TO SAVEPOINT store_stmt"));
			PQclear(PQexec(pg->conn, "RELEASE SAVEPOINT store_stmt"));
		}
		return -1;
	}
}

static int
pg_step(struct store_stmt *q, sdc_error_t *err)
{
	struct pgstmt *s = PQ(q);

	if (s->res == NULL && s->row < 0 && pg_run(q, err) < 0)
		return -1;
	pg_free_row(s);
	if (s->res == NULL)
		return 0;
	s->row++;
	return s->row < PQntuples(s->res) ? 1 : 0;
}

static int
pg_has(struct pgstmt *s, int col)
{
	return s->res != NULL && s->row >= 0 && s->row < PQntuples(s->res) &&
	    col >= 0 && col < PQnfields(s->res);
}

static const char *
pg_col_text(struct store_stmt *q, int col)
{
	struct pgstmt *s = PQ(q);

	if (!pg_has(s, col) || PQgetisnull(s->res, s->row, col))
		return NULL;
	return PQgetvalue(s->res, s->row, col);
}

static const void *
pg_col_blob(struct store_stmt *q, int col, size_t *len)
{
	struct pgstmt *s = PQ(q);
	int n;

	*len = 0;
	if (!pg_has(s, col) || PQgetisnull(s->res, s->row, col))
		return NULL;
	if (PQftype(s->res, col) != BYTEAOID) {
		*len = (size_t)PQgetlength(s->res, s->row, col);
		return PQgetvalue(s->res, s->row, col);
	}
	if (s->unescaped == NULL) {
		n = PQnfields(s->res);
		s->unescaped = xcalloc((size_t)n, sizeof *s->unescaped);
		s->unescaped_len = xcalloc((size_t)n, sizeof *s->unescaped_len);
	}
	if (s->unescaped[col] == NULL)
		s->unescaped[col] = PQunescapeBytea((const unsigned char *)
		    PQgetvalue(s->res, s->row, col), &s->unescaped_len[col]);
	*len = s->unescaped_len[col];
	return s->unescaped[col];
}

static int64_t
pg_col_int64(struct store_stmt *q, int col)
{
	const char *v = pg_col_text(q, col);

	if (v == NULL)
		return 0;
	if (PQftype(PQ(q)->res, col) == BOOLOID)
		return *v == 't';
	return strtoll(v, NULL, 10);
}

static int
pg_col_is_null(struct store_stmt *q, int col)
{
	struct pgstmt *s = PQ(q);

	return !pg_has(s, col) || PQgetisnull(s->res, s->row, col);
}

static int
pg_changes(struct store *st)
{
	return PG(st)->changes;
}

static int
pg_listen(struct store *st, const char *channel, int *fd, sdc_error_t *err)
{
	char *sql;
	int rc;

	xasprintf(&sql, "LISTEN %s", channel);
	rc = pg_simple(st, sql, err);
	free(sql);
	if (rc < 0)
		return -1;
	*fd = PQsocket(PG(st)->conn);
	return 0;
}

static int
pg_notified(struct store *st, store_notify_fn *fn, void *arg,
    sdc_error_t *err)
{
	PGnotify *n;
	int count = 0;

	if (PQconsumeInput(PG(st)->conn) == 0 ||
	    PQstatus(PG(st)->conn) != CONNECTION_OK)
		return sdc_make_error(err, 0, "%s: listening: %s", st->where,
		    PQerrorMessage(PG(st)->conn));
	while ((n = PQnotifies(PG(st)->conn)) != NULL) {
		count++;
		if (fn != NULL)
			fn(arg, n->relname, n->extra != NULL ? n->extra : "");
		PQfreemem(n);
	}
	return count;
}

const struct store_ops store_postgres_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_simple,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.lazy_begun = "SET LOCAL synchronous_commit TO OFF",
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_int64 = pg_bind_int64,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.col_int64 = pg_col_int64,
	.col_is_null = pg_col_is_null,
	.changes = pg_changes,
	.listen = pg_listen,
	.notified = pg_notified,
	.off_loop = pg_off_loop,
};
