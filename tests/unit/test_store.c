/*
 * test_store.c: the store on both engines — migrations per component,
 * transactions, prepared statements, and that a schema stopped mid-migration
 * stays at a whole version — run once on a SQLite file and once on a
 * PostgreSQL 15 started for the test (tests/pgtmp.sh); then what only one
 * engine has: SQLite's file modes, PostgreSQL's reconnection, and what
 * the store's callers do of a write whose link broke once sent (a head's
 * claim of a node's exit runs again and finds its own row).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/exits-table.h"
#include "store.h"

static char dir[] = "/tmp/test_store.XXXXXX";
static char pgdir[300];
/* the store of the group running: a SQLite file, or the PostgreSQL URI */
static char path[512];

static int
setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static const char *
pgtmp(void)
{
	static char p[512];
	const char *top = getenv("SDC_TOP");

	snprintf(p, sizeof p, "%s/tests/pgtmp.sh", top != NULL ? top : ".");
	return p;
}

static int
pg_setup(void **state)
{
	char cmd[1024];
	FILE *f;
	size_t n;

	/* the server runs as postgres, which must reach its folder */
	if (mkdtemp(dir) == NULL || chmod(dir, 0711) != 0)
		return -1;
	snprintf(pgdir, sizeof pgdir, "%s/pg", dir);
	snprintf(cmd, sizeof cmd, "%s start %s", pgtmp(), pgdir);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(path, 1, sizeof path - 1, f);
	path[n] = '\0';
	path[strcspn(path, "\n")] = '\0';
	return pclose(f) == 0 && strncmp(path, "postgresql://", 13) == 0 ? 0 : -1;
}

static int
pg_teardown(void **state)
{
	char cmd[1024];

	snprintf(cmd, sizeof cmd, "%s stop %s", pgtmp(), pgdir);
	if (system(cmd) != 0)
		return -1;
	return teardown(state);
}

static int
pg(const char *what)
{
	char cmd[1024];

	snprintf(cmd, sizeof cmd, "%s %s %s >/dev/null", pgtmp(), what, pgdir);
	return system(cmd);
}

static const char *const v2[] = {
	"CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
	"ALTER TABLE kv ADD COLUMN n INTEGER NOT NULL DEFAULT 0",
	NULL,
};

static void
test_migrate_and_query(void **state)
{
	struct store *st;
	struct store_stmt *q;
	sdc_error_t err = NULL;
	int version;

	assert_int_equal(store_open(&st, path, &err), 0);
	assert_int_equal(store_migrate(st, "kv", v2, &err), 0);
	assert_int_equal(store_version(st, "kv", &version, &err), 0);
	assert_int_equal(version, 2);
	/* Running again is a no-op. */
	assert_int_equal(store_migrate(st, "kv", v2, &err), 0);

	assert_int_equal(store_prepare(st, &q, "INSERT INTO kv (k, v, n) VALUES (?, ?, ?)", &err), 0);
	assert_int_equal(store_bind_text(q, 1, "a", &err), 0);
	assert_int_equal(store_bind_text(q, 2, "one", &err), 0);
	assert_int_equal(store_bind_int64(q, 3, 41, &err), 0);
	assert_int_equal(store_step(q, &err), 0);
	store_reset(q);
	/* A duplicate key is a constraint error the caller can tell apart. */
	store_bind_text(q, 1, "a", &err);
	store_bind_text(q, 2, "again", &err);
	store_bind_int64(q, 3, 0, &err);
	assert_int_equal(store_step(q, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->code, STORE_CONSTRAINT);
	sdc_error_release(&err);
	store_finalize(q);

	assert_int_equal(store_prepare(st, &q, "SELECT v, n FROM kv WHERE k = ?", &err), 0);
	store_bind_text(q, 1, "a", &err);
	assert_int_equal(store_step(q, &err), 1);
	assert_string_equal(store_col_text(q, 0), "one");
	assert_int_equal(store_col_int64(q, 1), 41);
	assert_int_equal(store_step(q, &err), 0);
	store_finalize(q);
	store_close(st);
}

/* The engine's own durability setting: SQLite's synchronous level
 * (2 FULL, 1 NORMAL), PostgreSQL's synchronous_commit (on, off). */
static const char *
sync_level(struct store *st, char *out, size_t n)
{
	struct store_stmt *q;
	sdc_error_t err = NULL;
	int pgsql = strncmp(path, "postgresql://", 13) == 0;

	assert_int_equal(store_prepare(st, &q, pgsql ? "SELECT current_setting('synchronous_commit')" :
	    "PRAGMA synchronous", &err), 0);
	assert_int_equal(store_step(q, &err), 1);
	snprintf(out, n, "%s", store_col_text(q, 0));
	store_finalize(q);
	return out;
}

/* A lazy transaction commits as any other, rolls back as any other, is
 * the only one not waited to disk, and leaves the connection's setting
 * as it was. */
static void
test_lazy_commit(void **state)
{
	struct store *st, *other;
	struct store_stmt *q;
	sdc_error_t err = NULL;
	int pgsql = strncmp(path, "postgresql://", 13) == 0;
	char lvl[32], was[32];

	assert_int_equal(store_open(&st, path, &err), 0);
	/* PostgreSQL's test server may run with it off already */
	sync_level(st, was, sizeof was);
	if (!pgsql)
		assert_string_equal(was, "2");
	assert_int_equal(store_begin_lazy(st, &err), 0);
	assert_string_equal(sync_level(st, lvl, sizeof lvl), pgsql ? "off" : "1");
	assert_int_equal(store_exec(st, "INSERT INTO kv (k, v) VALUES ('lazy', 'x')", &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_string_equal(sync_level(st, lvl, sizeof lvl), was);
	assert_int_equal(store_begin_lazy(st, &err), 0);
	assert_int_equal(store_exec(st, "INSERT INTO kv (k, v) VALUES ('lazy2', 'x')", &err), 0);
	store_rollback(st);
	assert_string_equal(sync_level(st, lvl, sizeof lvl), was);
	/* an ordinary transaction after it, and what another connection sees */
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_exec(st, "INSERT INTO kv (k, v) VALUES ('full', 'x')", &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_open(&other, path, &err), 0);
	assert_int_equal(store_prepare(other, &q, "SELECT count(*) FROM kv WHERE k IN ('lazy', 'lazy2', 'full')", &err), 0);
	assert_int_equal(store_step(q, &err), 1);
	assert_int_equal(store_col_int64(q, 0), 2);
	store_finalize(q);
	store_close(other);
	store_close(st);
}

static void
test_rollback(void **state)
{
	struct store *st;
	struct store_stmt *q;
	sdc_error_t err = NULL;

	assert_int_equal(store_open(&st, path, &err), 0);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_exec(st, "INSERT INTO kv (k, v) VALUES ('gone', 'x')", &err), 0);
	store_rollback(st);
	store_rollback(st);     /* harmless without a transaction */
	assert_int_equal(store_prepare(st, &q, "SELECT count(*) FROM kv WHERE k = 'gone'", &err), 0);
	assert_int_equal(store_step(q, &err), 1);
	assert_int_equal(store_col_int64(q, 0), 0);
	store_finalize(q);
	store_close(st);
}

static void
test_failed_migration_keeps_whole_version(void **state)
{
	static const char *const bad[] = {
		"CREATE TABLE t1 (a INTEGER)",
		"CREATE TABLE t2 (a INTEGER); THIS IS NOT SQL",
		NULL,
	};
	struct store *st;
	struct store_stmt *q;
	sdc_error_t err = NULL;
	int version;

	assert_int_equal(store_open(&st, path, &err), 0);
	assert_int_equal(store_migrate(st, "bad", bad, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "migrating bad to version 2"));
	sdc_error_release(&err);
	assert_int_equal(store_version(st, "bad", &version, &err), 0);
	assert_int_equal(version, 1);
	/* t2 was rolled back with its step. */
	assert_int_equal(store_prepare(st, &q,
	    strcmp(store_backend(st), "sqlite") == 0 ?
	    "SELECT count(*) FROM sqlite_master WHERE name = 't2'" :
	    "SELECT count(*) FROM pg_tables WHERE tablename = 't2'", &err), 0);
	assert_int_equal(store_step(q, &err), 1);
	assert_int_equal(store_col_int64(q, 0), 0);
	store_finalize(q);
	/* Other components are independent. */
	assert_int_equal(store_version(st, "kv", &version, &err), 0);
	assert_int_equal(version, 2);
	store_close(st);
}

static void
test_newer_schema_refused(void **state)
{
	static const char *const one[] = { "SELECT 1", NULL };
	struct store *st;
	sdc_error_t err = NULL;

	assert_int_equal(store_open(&st, path, &err), 0);
	assert_int_equal(store_migrate(st, "kv", one, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "newer than this program knows"));
	sdc_error_release(&err);
	store_close(st);
}

static void
test_open_missing_dir(void **state)
{
	struct store *st;
	sdc_error_t err = NULL;

	assert_int_equal(store_open(&st, "/nonexistent/dir/x.db", &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "/nonexistent/dir/x.db"));
	sdc_error_release(&err);
}

static int
file_mode(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

/* Accounts and tunables live here: 0600 whatever the umask, -wal and
 * -shm too, and a laxer file from before is made 0600. */
static void
test_files_private(void **state)
{
	char p[300], side[320];
	struct store *st;
	sdc_error_t err = NULL;
	mode_t old = umask(0);
	FILE *f;

	snprintf(p, sizeof p, "%s/private.db", dir);
	assert_int_equal(store_open(&st, p, &err), 0);
	assert_int_equal(store_exec(st, "CREATE TABLE t (x)", &err), 0);
	assert_int_equal(file_mode(p), 0600);
	snprintf(side, sizeof side, "%s-wal", p);
	assert_int_equal(file_mode(side), 0600);
	snprintf(side, sizeof side, "%s-shm", p);
	assert_int_equal(file_mode(side), 0600);
	store_close(st);
	snprintf(p, sizeof p, "%s/lax.db", dir);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	chmod(p, 0666);
	assert_int_equal(store_open(&st, p, &err), 0);
	assert_int_equal(file_mode(p), 0600);
	store_close(st);
	umask(old);
}

/* What the callers' SQL relies on, the same on both engines: blobs
 * byte for byte (NUL and high bytes; bytea on PostgreSQL), NULL apart
 * from "", 64-bit integers, "?N" placeholders and a "?" inside a quoted
 * string left alone, ON CONFLICT, and the rows changed. */
static void
test_types_and_sql(void **state)
{
	static const unsigned char bytes[] = { 0, 1, 0xff, '\\', 'x', 0, 0x80 };
	static const char *const schema[] = {
		"CREATE TABLE typed (k TEXT PRIMARY KEY, b BYTEA, n BIGINT, t TEXT)",
		NULL,
	};
	struct store *st;
	struct store_stmt *q;
	sdc_error_t err = NULL;
	const void *blob;
	size_t len;

	assert_int_equal(store_open(&st, path, &err), 0);
	assert_int_equal(store_migrate(st, "typed", schema, &err), 0);
	assert_int_equal(store_prepare(st, &q, "INSERT INTO typed (k, b, n, t) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (k) DO UPDATE SET n = "
	    "excluded.n + typed.n", &err), 0);
	assert_int_equal(store_bind_text(q, 1, "one", &err), 0);
	assert_int_equal(store_bind_blob(q, 2, bytes, sizeof bytes, &err), 0);
	assert_int_equal(store_bind_int64(q, 3, INT64_C(5000000000), &err), 0);
	assert_int_equal(store_bind_null(q, 4, &err), 0);
	assert_int_equal(store_step(q, &err), 0);
	assert_int_equal(store_changes(st), 1);
	store_reset(q);
	store_bind_text(q, 1, "one", &err);
	store_bind_blob(q, 2, "", 0, &err);
	store_bind_int64(q, 3, -1, &err);
	store_bind_text(q, 4, "", &err);
	assert_int_equal(store_step(q, &err), 0);
	store_finalize(q);

	assert_int_equal(store_prepare(st, &q, "SELECT b, n, t, 'what?' FROM "
	    "typed WHERE k = ? AND n > ?", &err), 0);
	store_bind_text(q, 1, "one", &err);
	store_bind_int64(q, 2, 0, &err);
	assert_int_equal(store_step(q, &err), 1);
	blob = store_col_blob(q, 0, &len);
	assert_int_equal(len, sizeof bytes);
	assert_memory_equal(blob, bytes, sizeof bytes);
	assert_true(store_col_int64(q, 1) == INT64_C(4999999999));
	assert_true(store_col_is_null(q, 2));
	assert_null(store_col_text(q, 2));
	assert_string_equal(store_col_text(q, 3), "what?");
	assert_int_equal(store_step(q, &err), 0);
	store_finalize(q);

	assert_int_equal(store_prepare(st, &q, "UPDATE typed SET t = ? "
	    "WHERE k <> ?", &err), 0);
	store_bind_text(q, 1, "", &err);
	store_bind_text(q, 2, "nothing", &err);
	assert_int_equal(store_step(q, &err), 0);
	assert_int_equal(store_changes(st), 1);
	store_finalize(q);
	assert_int_equal(store_prepare(st, &q, "SELECT t FROM typed", &err), 0);
	assert_int_equal(store_step(q, &err), 1);
	assert_false(store_col_is_null(q, 0));
	assert_string_equal(store_col_text(q, 0), "");
	store_finalize(q);
	store_close(st);
}

/* A caller may go on after a unique violation inside a transaction (the
 * next free port): the statement fails alone, and the transaction's
 * other writes commit.  PostgreSQL would abort it all without the
 * store's savepoint. */
static void
test_constraint_in_transaction(void **state)
{
	struct store *st;
	struct store_stmt *q;
	sdc_error_t err = NULL;

	assert_int_equal(store_open(&st, path, &err), 0);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_lock(st, "kv", &err), 0);
	assert_int_equal(store_prepare(st, &q, "INSERT INTO kv (k, v) "
	    "VALUES (?, ?)", &err), 0);
	store_bind_text(q, 1, "tx1", &err);
	store_bind_text(q, 2, "x", &err);
	assert_int_equal(store_step(q, &err), 0);
	store_reset(q);
	store_bind_text(q, 1, "tx1", &err);
	store_bind_text(q, 2, "y", &err);
	assert_int_equal(store_step(q, &err), -1);
	assert_int_equal(err->code, STORE_CONSTRAINT);
	sdc_error_release(&err);
	store_reset(q);
	store_bind_text(q, 1, "tx2", &err);
	store_bind_text(q, 2, "z", &err);
	assert_int_equal(store_step(q, &err), 0);
	assert_int_equal(store_changes(st), 1);
	store_finalize(q);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_prepare(st, &q, "SELECT count(*) FROM kv "
	    "WHERE k IN ('tx1', 'tx2')", &err), 0);
	assert_int_equal(store_step(q, &err), 1);
	assert_int_equal(store_col_int64(q, 0), 2);
	store_finalize(q);
	store_close(st);
}

/* Two daemons starting together on one database: each migrates, the
 * schema is made once, both see the last version. */
static void
test_two_stores_migrate(void **state)
{
	static const char *const sch[] = {
		"CREATE TABLE shared1 (a BIGINT)",
		"CREATE TABLE shared2 (a BIGINT)",
		NULL,
	};
	struct store *a, *b;
	sdc_error_t err = NULL;
	int va, vb;

	assert_int_equal(store_open(&a, path, &err), 0);
	assert_int_equal(store_open(&b, path, &err), 0);
	assert_int_equal(store_migrate(a, "shared", sch, &err), 0);
	assert_int_equal(store_migrate(b, "shared", sch, &err), 0);
	assert_int_equal(store_version(b, "shared", &vb, &err), 0);
	assert_int_equal(store_version(a, "shared", &va, &err), 0);
	assert_int_equal(va, 2);
	assert_int_equal(vb, 2);
	store_close(a);
	store_close(b);
}

/* The server restarts under an open store: the next call connects
 * again and prepares its statements afresh; a transaction cut by the
 * restart fails whole, and nothing of it is kept. */
static void
test_pg_reconnect(void **state)
{
	struct store *st;
	struct store_stmt *q, *w;
	sdc_error_t err = NULL;

	assert_int_equal(store_open(&st, path, &err), 0);
	assert_int_equal(store_prepare(st, &q, "SELECT v FROM kv WHERE k = ?", &err), 0);
	assert_int_equal(store_prepare(st, &w, "INSERT INTO kv (k, v) VALUES (?, ?)", &err), 0);
	store_bind_text(w, 1, "before", &err);
	store_bind_text(w, 2, "1", &err);
	assert_int_equal(store_step(w, &err), 0);
	store_reset(w);

	assert_int_equal(pg("restart"), 0);
	store_bind_text(q, 1, "before", &err);
	assert_int_equal(store_step(q, &err), 1);
	assert_string_equal(store_col_text(q, 0), "1");
	store_reset(q);

	assert_int_equal(store_begin(st, &err), 0);
	store_bind_text(w, 1, "cut", &err);
	store_bind_text(w, 2, "2", &err);
	assert_int_equal(store_step(w, &err), 0);
	store_reset(w);
	assert_int_equal(pg("restart"), 0);
	store_bind_text(w, 1, "cut2", &err);
	store_bind_text(w, 2, "3", &err);
	assert_int_equal(store_step(w, &err), -1);
	sdc_error_release(&err);
	store_reset(w);
	assert_int_equal(store_commit(st, &err), -1);
	sdc_error_release(&err);
	store_bind_text(q, 1, "cut", &err);
	assert_int_equal(store_step(q, &err), 0);
	store_reset(q);
	store_finalize(q);
	store_finalize(w);
	store_close(st);
}

/* A write whose connection is cut after the server committed it (a
 * backend terminated while its commit waits for a synchronous standby
 * that never comes: committed here, unanswered) is not run again on a
 * new connection, where it would fail on its own row: it fails with
 * STORE_UNKNOWN, and the row is there once. */
struct cut_write {
	struct store *st;
	struct store_stmt *w;
	int rc;
	long code;
};

static void *
cut_write_run(void *arg)
{
	struct cut_write *c = arg;
	sdc_error_t err = NULL;

	c->rc = store_step(c->w, &err);
	c->code = err != NULL ? err->code : 0;
	sdc_error_release(&err);
	return NULL;
}

static int64_t
one_int(struct store *st, const char *sql)
{
	struct store_stmt *q;
	sdc_error_t err = NULL;
	int64_t v = -1;

	if (store_prepare(st, &q, sql, &err) < 0) {
		sdc_error_release(&err);
		return -1;
	}
	if (store_step(q, &err) == 1)
		v = store_col_int64(q, 0);
	sdc_error_release(&err);
	store_finalize(q);
	return v;
}

/* Commits wait for a synchronous standby that never comes, and c->st
 * is opened with synchronous_commit on (the test server's is off): a
 * write made through it is committed here and held unanswered. */
static void
cut_hold(struct store *admin, struct cut_write *c)
{
	sdc_error_t err = NULL;
	char uri[600];

	assert_int_equal(store_exec(admin, "ALTER SYSTEM SET "
	    "synchronous_standby_names = 'nobody'", &err), 0);
	assert_int_equal(store_exec(admin, "SELECT pg_reload_conf()", &err), 0);
	snprintf(uri, sizeof uri, "%s&options=-csynchronous_commit%%3Don", path);
	assert_int_equal(store_open(&c->st, uri, &err), 0);
}

/* The held commit's link cut once it shows (its backend terminated),
 * then commits wait no more.  The terminate waits for the backend's end:
 * the reset below releases every commit still waiting, and a backend
 * slow to take its SIGTERM (a busy machine) would answer the write as
 * committed instead of dying in its wait. */
static void
cut_held(struct store *admin)
{
	sdc_error_t err = NULL;
	int64_t pid = 0;

	for (int i = 0; i < 100 && pid <= 0; i++) {
		pid = one_int(admin, "SELECT pid FROM pg_stat_activity WHERE "
		    "wait_event = 'SyncRep'");
		if (pid <= 0)
			poll(NULL, 0, 50);
	}
	assert_true(pid > 0);
	assert_int_equal(one_int(admin, "SELECT pg_terminate_backend(pid, "
	    "10000)::int FROM pg_stat_activity WHERE wait_event = 'SyncRep'"),
	    1);
	assert_int_equal(store_exec(admin, "ALTER SYSTEM RESET "
	    "synchronous_standby_names", &err), 0);
	assert_int_equal(store_exec(admin, "SELECT pg_reload_conf()", &err), 0);
}

static void
test_pg_write_not_rerun(void **state)
{
	struct store *admin;
	struct cut_write c = { 0 };
	sdc_error_t err = NULL;
	pthread_t t;

	(void)state;
	assert_int_equal(store_open(&admin, path, &err), 0);
	cut_hold(admin, &c);
	assert_int_equal(store_prepare(c.st, &c.w, "INSERT INTO kv (k, v) "
	    "VALUES ('once', '1')", &err), 0);
	assert_int_equal(pthread_create(&t, NULL, cut_write_run, &c), 0);
	cut_held(admin);
	pthread_join(t, NULL);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.code, STORE_UNKNOWN);
	assert_int_equal(one_int(admin, "SELECT count(*) FROM kv WHERE "
	    "k = 'once'"), 1);
	/* the store goes on, on a new connection */
	store_finalize(c.w);
	assert_int_equal(one_int(c.st, "SELECT count(*) FROM kv WHERE "
	    "k = 'once'"), 1);
	store_close(c.st);
	store_close(admin);
}

/* A head's claim of a node's exit whose link is cut once its UPDATE
 * has landed (committed, unanswered, as above): exits_table_claim runs
 * it once more on a new connection, which finds the row its own, so the
 * head acts on the exit (1) rather than leave it taken and its reaction
 * lost; and it is taken once: pending for none, another head's claim
 * gets 0.  The claim run again may wait for the standby as the first
 * did, until cut_held stops asking for one. */
#define CLAIM_UUID "5f0b6a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"

static void *
cut_claim_run(void *arg)
{
	struct cut_write *c = arg;
	sdc_error_t err = NULL;

	c->rc = exits_table_claim(c->st, CLAIM_UUID, 4242, "h1", 40, &err);
	c->code = err != NULL ? err->code : 0;
	sdc_error_release(&err);
	return NULL;
}

static void
test_pg_exit_claim_rerun(void **state)
{
	struct node_exit e = {
		.uuid = CLAIM_UUID, .pid = 4242, .exit_code = 0,
		.node = "0b7e2f4c-5b6a-4e8b-9c1d-2e3f4a5b6c7d",
	}, v[2];
	struct store *admin;
	struct cut_write c = { 0 };
	sdc_error_t err = NULL;
	pthread_t t;
	size_t n;

	(void)state;
	assert_int_equal(store_open(&admin, path, &err), 0);
	assert_int_equal(exits_table_migrate(admin, &err), 0);
	assert_int_equal(exits_table_record(admin, &e, 10, &err), 1);
	cut_hold(admin, &c);
	assert_int_equal(pthread_create(&t, NULL, cut_claim_run, &c), 0);
	cut_held(admin);
	pthread_join(t, NULL);
	assert_int_equal(c.code, 0);
	assert_int_equal(c.rc, 1);
	assert_int_equal(exits_table_pending(admin, v, 2, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(exits_table_claim(admin, CLAIM_UUID, 4242, "h2", 50,
	    &err), 0);
	assert_int_equal(one_int(admin, "SELECT count(*) FROM node_exits WHERE "
	    "taken_by = 'h1'"), 1);
	store_close(c.st);
	store_close(admin);
}

/* The server killed while a store sat idle: the next write finds the
 * connection gone before it sends, and is made on a new one (no
 * STORE_UNKNOWN for a write the old server never saw). */
static void
test_pg_idle_cut_write(void **state)
{
	struct store *st;
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(store_open(&st, path, &err), 0);
	assert_int_equal(store_exec(st, "DELETE FROM kv WHERE k = 'idle'", &err), 0);
	assert_int_equal(pg("restart"), 0);
	assert_int_equal(store_exec(st, "INSERT INTO kv (k, v) VALUES "
	    "('idle', '1')", &err), 0);
	assert_int_equal(one_int(st, "SELECT count(*) FROM kv WHERE "
	    "k = 'idle'"), 1);
	store_close(st);
}

static char got[64];

static void
notify_got(void *arg, const char *channel, const char *payload)
{
	snprintf(arg, sizeof got, "%s %s", channel, payload);
}

/* What one process notifies, another listening hears (on SQLite there
 * is no other process: nothing to listen to, notify does nothing). */
static void
test_notify(void **state)
{
	struct store *a, *b;
	sdc_error_t err = NULL;
	struct pollfd p;
	int fd, n = 0;

	assert_int_equal(store_open(&a, path, &err), 0);
	assert_int_equal(store_open(&b, path, &err), 0);
	assert_int_equal(store_listen(b, "t_changes", &fd, &err), 0);
	assert_int_equal(store_notify(a, "t_changes", &err), 0);
	if (strcmp(store_backend(a), "sqlite") == 0) {
		assert_int_equal(fd, -1);
		assert_int_equal(store_notified(b, &err), 0);
	} else {
		assert_true(fd >= 0);
		p.fd = fd;
		p.events = POLLIN;
		for (int i = 0; i < 50 && n == 0; i++) {
			poll(&p, 1, 100);
			n = store_notified(b, &err);
		}
		assert_int_equal(n, 1);
		assert_int_equal(store_notified(b, &err), 0);
		/* with a payload, quotes and all, handed to the callback */
		assert_int_equal(store_notify_payload(a, "t_changes",
		    "it's \"here\"", &err), 0);
		n = 0;
		for (int i = 0; i < 50 && n == 0; i++) {
			poll(&p, 1, 100);
			n = store_notified_each(b, notify_got, got, &err);
		}
		assert_string_equal(got, "t_changes it's \"here\"");
	}
	assert_int_equal(store_notify_payload(a, "t_changes", "x", &err), 0);
	store_close(a);
	store_close(b);
}

/* A bad URI is refused with the reason, and a password never shows. */
static void
test_pg_bad_uri(void **state)
{
	struct store *st;
	sdc_error_t err = NULL;

	assert_int_equal(store_open(&st, "postgresql://u:s3cret@/nodb?host=/nonexistent", &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "cannot connect"));
	assert_null(strstr(sdc_error_msg(err), "s3cret"));
	sdc_error_release(&err);
}

int
main(void)
{
	const struct CMUnitTest both[] = {
		cmocka_unit_test(test_migrate_and_query),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_lazy_commit),
		cmocka_unit_test(test_failed_migration_keeps_whole_version),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_types_and_sql),
		cmocka_unit_test(test_constraint_in_transaction),
		cmocka_unit_test(test_two_stores_migrate),
		cmocka_unit_test(test_notify),
	};
	const struct CMUnitTest sqlite_only[] = {
		cmocka_unit_test(test_open_missing_dir),
		cmocka_unit_test(test_files_private),
	};
	const struct CMUnitTest pg_only[] = {
		cmocka_unit_test(test_pg_reconnect),
		cmocka_unit_test(test_pg_write_not_rerun),
		cmocka_unit_test(test_pg_idle_cut_write),
		cmocka_unit_test(test_pg_exit_claim_rerun),
		cmocka_unit_test(test_pg_bad_uri),
	};
	int failed;

	failed = cmocka_run_group_tests_name("sqlite", both, setup, NULL);
	failed += cmocka_run_group_tests_name("sqlite files", sqlite_only, NULL,
	    teardown);
	strcpy(dir, "/tmp/test_store.XXXXXX");
	failed += cmocka_run_group_tests_name("postgresql", both, pg_setup, NULL);
	failed += cmocka_run_group_tests_name("postgresql only", pg_only, NULL,
	    pg_teardown);
	return failed;
}
