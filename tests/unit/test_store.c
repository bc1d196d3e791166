/*
 * test_store.c: the SQLite store — migrations per component, transactions,
 * prepared statements, and that a schema stopped mid-migration stays at a
 * whole version.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"

static char dir[] = "/tmp/test_store.XXXXXX";
static char path[256];

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
	assert_int_equal(store_prepare(st, &q, "SELECT count(*) FROM sqlite_master WHERE name = 't2'", &err), 0);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_and_query),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_failed_migration_keeps_whole_version),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_open_missing_dir),
		cmocka_unit_test(test_files_private),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
