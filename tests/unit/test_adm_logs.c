/*
 * test_adm_logs.c: the log commands against small trees in a temp dir —
 * the rotated-name pattern, the walk's refusal of links, what each rule
 * removes, the lock, and `logs usage`.  The big trees, the race with a
 * directory swapped for a link, and two processes at once are in
 * tests/integration/8x-adm-*.sh.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "adm/adm.h"
#include "dockerapi/runtime/container-layout.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define U3 "33333333-3333-4333-8333-333333333333"
#define U4 "44444444-4444-4444-8444-444444444444"
#define HOUR 3600

struct tree {
	char root[64];		/* the temp dir */
	char zones[96];		/* root/zones */
	char outside[96];	/* root/outside: must never change */
};

static void
put(const char *dir, const char *name, size_t size, time_t age)
{
	char path[512], *body = calloc(1, size + 1);
	struct timespec ts[2];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, size), (ssize_t)size);
	close(fd);
	free(body);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
mkdirf(const char *fmt, const char *a, const char *b)
{
	char path[512];

	snprintf(path, sizeof path, fmt, a, b);
	assert_int_equal(mkdir(path, 0755), 0);
}

static bool
exists(const char *fmt, const char *a, const char *b)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, fmt, a, b);
	return lstat(path, &st) == 0;
}

/*
 * zones/U1/logs: live + rotated at 1h, 2d, 10d (100 bytes each)
 * zones/U2/logs: live + rotated at 5h, 20d, and a directory with a
 *                rotated name, and stdio.log.old
 * zones/U3      -> symlink to outside/c (which has logs/ with old files)
 * zones/U4/logs -> symlink to outside/c/logs
 * zones/not-a-uuid/logs: an old rotated file (ignored)
 * U1's stdio.log.2000-...Z is a symlink to outside/secret
 */
static int
tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof *t);
	char path[512];

	strcpy(t->root, "/tmp/test_adm_logs.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->zones, sizeof t->zones, "%s/zones", t->root);
	snprintf(t->outside, sizeof t->outside, "%s/outside", t->root);
	mkdirf("%s%s", t->zones, "");
	mkdirf("%s%s", t->outside, "");
	mkdirf("%s/%s", t->outside, "c");
	mkdirf("%s/%s/logs", t->outside, "c");
	snprintf(path, sizeof path, "%s/c/logs", t->outside);
	put(path, "stdio.log.2020-01-01T00:00:00Z", 10, 400 * 86400);
	put(t->outside, "secret", 10, 400 * 86400);

	mkdirf("%s/%s", t->zones, U1);
	mkdirf("%s/%s/logs", t->zones, U1);
	snprintf(path, sizeof path, "%s/%s/logs", t->zones, U1);
	put(path, "stdio.log", 100, 400 * 86400);
	put(path, "stdio.log.2026-11-23T17:20:01.123Z", 100, HOUR);
	put(path, "stdio.log.2026-11-21T18:20:01Z", 100, 2 * 86400);
	put(path, "stdio.log.2026-11-13T18:20:01.5Z", 100, 10 * 86400);
	snprintf(path, sizeof path, "%s/%s/logs/stdio.log.2000-01-01T00:00:00Z",
	    t->zones, U1);
	assert_int_equal(symlink("../../../outside/secret", path), 0);

	mkdirf("%s/%s", t->zones, U2);
	mkdirf("%s/%s/logs", t->zones, U2);
	snprintf(path, sizeof path, "%s/%s/logs", t->zones, U2);
	put(path, "stdio.log", 100, 0);
	put(path, "stdio.log.2026-11-23T13:20:01Z", 100, 5 * HOUR);
	put(path, "stdio.log.2026-11-03T18:20:01.000000001Z", 100, 20 * 86400);
	put(path, "stdio.log.old", 100, 400 * 86400);
	mkdirf("%s/%s/logs/stdio.log.2001-01-01T00:00:00Z", t->zones, U2);

	snprintf(path, sizeof path, "%s/%s", t->zones, U3);
	assert_int_equal(symlink("../outside/c", path), 0);
	mkdirf("%s/%s", t->zones, U4);
	snprintf(path, sizeof path, "%s/%s/logs", t->zones, U4);
	assert_int_equal(symlink("../../outside/c/logs", path), 0);
	mkdirf("%s/%s", t->zones, "not-a-uuid");
	mkdirf("%s/%s/logs", t->zones, "not-a-uuid");
	snprintf(path, sizeof path, "%s/not-a-uuid/logs", t->zones);
	put(path, "stdio.log.2020-01-01T00:00:00Z", 10, 400 * 86400);
	*state = t;
	return 0;
}

static int
tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[256];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

/* Nothing outside the zones, nor the ignored, was touched. */
static void
assert_outside_intact(const struct tree *t)
{
	assert_true(exists("%s/%s", t->outside, "secret"));
	assert_true(exists("%s/%s", t->outside,
	    "c/logs/stdio.log.2020-01-01T00:00:00Z"));
	assert_true(exists("%s/%s", t->zones,
	    "not-a-uuid/logs/stdio.log.2020-01-01T00:00:00Z"));
	assert_true(exists("%s/%s", t->zones, U1 "/logs/stdio.log"));
	assert_true(exists("%s/%s", t->zones, U2 "/logs/stdio.log"));
	assert_true(exists("%s/%s", t->zones, U2 "/logs/stdio.log.old"));
	assert_true(exists("%s/%s", t->zones,
	    U2 "/logs/stdio.log.2001-01-01T00:00:00Z"));
}

/* Run a command line with --zones, JSON output parsed into *out. */
static int
run(const struct tree *t, const char *line, json_t **out)
{
	struct adm_ctx ctx = { .zones = t->zones };
	struct adm_split s;
	char *text = NULL, *full;
	size_t len = 0;
	int rc;

	assert_true(asprintf(&full, "%s --json", line) > 0);
	assert_int_equal(adm_argv_split(full, false, &s, NULL), 0);
	ctx.out = open_memstream(&text, &len);
	rc = adm_cmd_run(&ctx, (int)s.words.n, s.words.v);
	fclose(ctx.out);
	*out = json_loads(text, 0, NULL);
	free(text);
	free(full);
	adm_split_free(&s);
	return rc;
}

static json_int_t
jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void
test_rotated_names(void **state)
{
	assert_true(rt_log_is_rotated("stdio.log.2026-11-23T18:20:01.123Z"));
	assert_true(rt_log_is_rotated("stdio.log.2026-11-23T18:20:01Z"));
	assert_true(rt_log_is_rotated("stdio.log.2026-11-23T18:20:01.1Z"));
	assert_true(rt_log_is_rotated("stdio.log.2026-11-23T18:20:01.123456789Z"));
	assert_false(rt_log_is_rotated("stdio.log"));
	assert_false(rt_log_is_rotated("stdio.log."));
	assert_false(rt_log_is_rotated("stdio.log.1"));
	assert_false(rt_log_is_rotated("stdio.log.gz"));
	assert_false(rt_log_is_rotated("stdio.log.2026-11-23T18:20:01.Z"));
	assert_false(rt_log_is_rotated("stdio.log.2026-11-23T18:20:01.1234567890Z"));
	assert_false(rt_log_is_rotated("stdio.log.2026-11-23T18:20:01"));
	assert_false(rt_log_is_rotated("stdio.log.2026-11-23T18:20:01Z.gz"));
	assert_false(rt_log_is_rotated("stdio.log.2026-11-23 18:20:01Z"));
	assert_false(rt_log_is_rotated("xstdio.log.2026-11-23T18:20:01Z"));
}

static void
test_walk(void **state)
{
	struct tree *t = *state;
	struct logs_tree lt;
	struct logs_dir d;
	int fd;

	assert_int_equal(logs_walk_open(&lt, t->zones, NULL), 0);
	assert_int_equal(logs_walk_list(&lt, NULL), 0);
	/* U1, U2, U4: U3 is a link and not-a-uuid is not a container */
	assert_int_equal(lt.ids.n, 3);
	assert_string_equal(lt.ids.v[0], U1);
	fd = logs_walk_open_dir(&lt, 0);
	assert_true(fd >= 0);
	assert_int_equal(logs_walk_read_dir(fd, &d, NULL), 0);
	assert_true(d.has_live);
	assert_int_equal(d.nrot, 3);	/* the link is not a regular file */
	assert_string_equal(d.rot[0].name, "stdio.log.2026-11-23T17:20:01.123Z");
	assert_string_equal(d.rot[2].name, "stdio.log.2026-11-13T18:20:01.5Z");
	logs_walk_free_dir(&d);
	assert_string_equal(lt.ids.v[2], U4);
	assert_int_equal(logs_walk_open_dir(&lt, 2), -1);	/* a link */
	assert_true(errno == ELOOP || errno == ENOTDIR);
	logs_walk_close(&lt);
}

static void
test_cleanup_age(void **state)
{
	struct tree *t = *state;
	json_t *j, *dry;

	assert_int_equal(run(t, "logs cleanup --max-age 7d --dry-run", &dry), 0);
	assert_int_equal(jint(dry, "removed"), 2);
	assert_int_equal(json_array_size(json_object_get(dry, "files")), 2);
	assert_int_equal(jint(dry, "skipped"), 1);	/* U4 */
	assert_true(exists("%s/%s", t->zones, U1 "/logs/stdio.log.2026-11-13T18:20:01.5Z"));

	assert_int_equal(run(t, "logs cleanup --max-age 7d -v", &j), 0);
	assert_int_equal(jint(j, "removed"), 2);
	assert_int_equal(jint(j, "bytes"), 200);
	assert_int_equal(jint(j, "errors"), 0);
	assert_true(json_equal(json_object_get(j, "files"),
	    json_object_get(dry, "files")));
	assert_false(exists("%s/%s", t->zones, U1 "/logs/stdio.log.2026-11-13T18:20:01.5Z"));
	assert_false(exists("%s/%s", t->zones, U2 "/logs/stdio.log.2026-11-03T18:20:01.000000001Z"));
	assert_true(exists("%s/%s", t->zones, U1 "/logs/stdio.log.2026-11-21T18:20:01Z"));
	assert_true(exists("%s/%s", t->zones, U1 "/logs/stdio.log.2000-01-01T00:00:00Z"));
	assert_outside_intact(t);
	json_decref(j);
	json_decref(dry);
}

static void
test_cleanup_keep_total(void **state)
{
	struct tree *t = *state;
	json_t *j;

	/* keep 1 a container: U1 loses 2d and 10d, U2 loses 20d */
	assert_int_equal(run(t, "logs cleanup --keep 1", &j), 0);
	assert_int_equal(jint(j, "removed"), 3);
	assert_null(json_object_get(j, "files"));
	json_decref(j);
	assert_true(exists("%s/%s", t->zones, U1 "/logs/stdio.log.2026-11-23T17:20:01.123Z"));
	assert_true(exists("%s/%s", t->zones, U2 "/logs/stdio.log.2026-11-23T13:20:01Z"));
	/* two rotated left (200 bytes): a total of 150 takes the older (U2's) */
	assert_int_equal(run(t, "logs cleanup --max-total 150 -n", &j), 0);
	assert_int_equal(jint(j, "removed"), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "files"), 0), "reason")), "total");
	json_decref(j);
	assert_int_equal(run(t, "logs cleanup --max-total 150", &j), 0);
	assert_int_equal(jint(j, "removed"), 1);
	json_decref(j);
	assert_false(exists("%s/%s", t->zones, U2 "/logs/stdio.log.2026-11-23T13:20:01Z"));
	assert_true(exists("%s/%s", t->zones, U1 "/logs/stdio.log.2026-11-23T17:20:01.123Z"));
	assert_int_equal(run(t, "logs cleanup --max-total 0", &j), 0);
	assert_int_equal(jint(j, "removed"), 1);
	json_decref(j);
	assert_outside_intact(t);
}

static void
test_cleanup_lock(void **state)
{
	struct tree *t = *state;
	struct logs_tree lt;
	struct logs_lock l;
	json_t *j;
	time_t start;

	assert_int_equal(logs_walk_open(&lt, t->zones, NULL), 0);
	assert_int_equal(logs_lock_take(&l, &lt, 0, false, NULL), 0);
	assert_int_equal(run(t, "logs cleanup --no-wait", &j), ADM_EXIT_BUSY);
	assert_null(j);
	start = time(NULL);
	assert_int_equal(run(t, "logs cleanup --timeout 1", &j), ADM_EXIT_BUSY);
	assert_true(time(NULL) - start >= 1);
	/* a dry run takes no lock */
	assert_int_equal(run(t, "logs cleanup --dry-run", &j), 0);
	json_decref(j);
	logs_lock_release(&l);
	assert_int_equal(run(t, "logs cleanup --no-wait", &j), 0);
	json_decref(j);
	logs_walk_close(&lt);
}

static void
test_cleanup_usage_errors(void **state)
{
	struct tree *t = *state;
	json_t *j;

	assert_int_equal(run(t, "logs cleanup --max-age 7x", &j), ADM_EXIT_USAGE);
	assert_int_equal(run(t, "logs cleanup --keep -1", &j), ADM_EXIT_USAGE);
	assert_int_equal(run(t, "logs cleanup --max-total 1Q", &j), ADM_EXIT_USAGE);
	assert_int_equal(run(t, "logs cleanup --timeout forever", &j), ADM_EXIT_USAGE);
	assert_int_equal(run(t, "logs cleanup --jobs 0", &j), ADM_EXIT_USAGE);
	assert_int_equal(run(t, "logs cleanup extra", &j), ADM_EXIT_USAGE);
	assert_int_equal(run(t, "logs cleanup --nope", &j), ADM_EXIT_USAGE);
	assert_int_equal(run(t, "logs usage --nope", &j), ADM_EXIT_USAGE);
	assert_int_equal(run(t, "logs cleanup --zones /nonexistent/x", &j),
	    ADM_EXIT_FAIL);
}

static void
test_usage(void **state)
{
	struct tree *t = *state;
	json_t *j, *c, *total;

	assert_int_equal(run(t, "logs usage", &j), 0);
	c = json_object_get(j, "containers");
	assert_int_equal(json_array_size(c), 2);
	/* biggest first: U1 has live + 3 rotated, U2 live + 2 */
	assert_string_equal(json_string_value(json_object_get(json_array_get(c, 0),
	    "uuid")), U1);
	assert_int_equal(jint(json_array_get(c, 0), "rotatedFiles"), 3);
	assert_int_equal(jint(json_array_get(c, 1), "rotated"), 200);
	total = json_object_get(j, "total");
	assert_int_equal(jint(total, "live"), 200);
	assert_int_equal(jint(total, "rotated"), 500);
	assert_int_equal(jint(total, "total"), 700);
	assert_int_equal(jint(total, "containers"), 2);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotated_names),
		cmocka_unit_test_setup_teardown(test_walk, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_usage, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_cleanup_age, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(test_cleanup_keep_total, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(test_cleanup_lock, tree_setup,
		    tree_teardown),
		cmocka_unit_test_setup_teardown(test_cleanup_usage_errors,
		    tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
