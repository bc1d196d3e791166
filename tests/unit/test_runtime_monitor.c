/*
 * test_runtime_monitor.c: the monitor's json-file writer (its log.c,
 * compiled in here with the loop's clock, since the monitor is a program
 * and not a library):
 * Go-compatible escaping, UTF-8 repair, line splitting, partial lines,
 * rotation names, max-size and max-file, and the byte budget of all files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "dockerapi/monitor/log.c"
#include "dockerapi/monitor/loop.c"

#include <jansson.h>

#include "xalloc.h"

/* main.c's and shipfmt.c's, which are not compiled in: no log server */
static const struct mon_opts test_opts;
const struct mon_opts *mon_opts = &test_opts;

void
ship_record(int stream, const char *msg, size_t len, const struct timespec *ts)
{
	(void)stream;
	(void)msg;
	(void)len;
	(void)ts;
}

static char dir[64];

static int
setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/test_monitor.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
escape_is(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n = log_json_escape(out, in, len);

	out[n] = '\0';
	assert_string_equal(out, want);
}

static void
test_escape(void **state)
{
	escape_is("plain", 5, "plain");
	escape_is("a\"b\\c\n\r\t", 8, "a\\\"b\\\\c\\n\\r\\t");
	escape_is("<a&b>", 5, "\\u003ca\\u0026b\\u003e");
	escape_is("\001\037\177", 3, "\\u0001\\u001f\177");
	escape_is("\xe2\x82\xac \xf0\x9f\x98\x80", 8, "\xe2\x82\xac \xf0\x9f\x98\x80");
	escape_is("\xff\xc3", 2, "\\ufffd\\ufffd");
	escape_is("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd");	/* surrogate */
	escape_is("\xe2\x80\xa8", 3, "\\u2028");
}

static void
test_utf8_cut(void **state)
{
	assert_int_equal(log_utf8_cut("abc", 3), 3);
	assert_int_equal(log_utf8_cut("ab\xe2\x82", 4), 2);
	assert_int_equal(log_utf8_cut("ab\xe2\x82\xac", 5), 5);
	assert_int_equal(log_utf8_cut("a\xf0", 2), 1);
}

/* All records of the files, oldest first, concatenated; and their count. */
static char *
read_all(int *records, int *files)
{
	char cmd[256], line[70000], *all = xcalloc(1, 1 << 20);
	json_t *j;
	FILE *f;

	*records = 0;
	snprintf(cmd, sizeof cmd, "cd %s/logs && ls stdio.log.* 2>/dev/null | "
	    "sort; echo stdio.log", dir);
	f = popen(cmd, "r");
	*files = 0;
	while (fgets(cmd, sizeof cmd, f) != NULL) {
		char path[512];
		FILE *lf;

		cmd[strcspn(cmd, "\n")] = '\0';
		snprintf(path, sizeof path, "%s/logs/%s", dir, cmd);
		(*files)++;
		if ((lf = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof line, lf) != NULL) {
			j = json_loads(line, 0, NULL);
			assert_non_null(j);
			strcat(all, json_string_value(json_object_get(j, "log")));
			json_decref(j);
			(*records)++;
		}
		fclose(lf);
	}
	pclose(f);
	return all;
}

static void
test_lines_and_rotation(void **state)
{
	sdc_error_t err = NULL;
	char want[8192] = "", line[64], *all;
	int i, records, files;

	assert_int_equal(log_open(dir, 1000, 4, 0, &err), 0);
	for (i = 0; i < 100; i++) {
		snprintf(line, sizeof line, "line %d\n", i);
		strcat(want, line);
	}
	/* Written in odd pieces: records still come out a line each. */
	for (i = 0; want[i] != '\0'; i += 7)
		log_write(1, want + i, strlen(want + i) < 7 ? strlen(want + i) : 7);
	log_write(2, "partial", 7);
	log_flush(0);
	strcat(want, "partial");
	all = read_all(&records, &files);
	assert_int_equal(files, 4);		/* max-file: 3 rotated + live */
	assert_non_null(strstr(want, all));	/* the newest, in order */
	assert_string_equal(want + strlen(want) - strlen(all), all);
	free(all);

	log_limits(0, 0, 0);			/* no rotation from now on */
	log_write(1, "x\n", 2);
	all = read_all(&records, &files);
	assert_int_equal(files, 4);
	free(all);
}

/* The names the monitor writes are what the readers (dockerapi's
 * api/containers-logs.c, sdcadm-docker's walk) take for rotated logs, and a
 * file in logs/ that is not one (an operator's .gz, a copy) neither counts
 * towards max-file nor is removed as the oldest. */
static void
test_names_agree(void **state)
{
	sdc_error_t err = NULL;
	char path[256], line[64];
	struct dirent *d;
	int rotated = 0, stray = 0;
	DIR *dp;

	assert_int_equal(log_open(dir, 1000, 3, 0, &err), 0);
	snprintf(path, sizeof path, "%s/logs/stdio.log.gz", dir);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof path, "%s/logs/stdio.log.1", dir);
	fclose(fopen(path, "w"));
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof line, "line %d\n", i);
		log_write(1, line, strlen(line));
	}
	log_flush(0);
	snprintf(path, sizeof path, "%s/logs", dir);
	assert_non_null(dp = opendir(path));
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' || strcmp(d->d_name, RT_LOG_FILE) == 0)
			continue;
		if (rt_log_is_rotated(d->d_name))
			rotated++;
		else if (strcmp(d->d_name, "stdio.log.gz") == 0 ||
		    strcmp(d->d_name, "stdio.log.1") == 0)
			stray++;
		else
			fail_msg("the monitor wrote %s", d->d_name);
	}
	closedir(dp);
	assert_int_equal(rotated, 2);		/* max-file 3: live + 2 */
	assert_int_equal(stray, 2);
}

/* Bytes of every file in logs/. */
static long long
logs_bytes(void)
{
	char cmd[256];
	long long n = -1;
	FILE *f;

	snprintf(cmd, sizeof cmd, "cat %s/logs/* | wc -c", dir);
	f = popen(cmd, "r");
	if (fscanf(f, "%lld", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

static void
test_budget(void **state)
{
	sdc_error_t err = NULL;
	char line[64], *all;
	int i, records, files;

	/* No max-size, keep every file: only the budget bounds them. */
	assert_int_equal(log_open(dir, 0, 0, 4000, &err), 0);
	for (i = 0; i < 500; i++) {
		snprintf(line, sizeof line, "budget line %d\n", i);
		log_write(1, line, strlen(line));
		if (i % 50 == 0)
			assert_true(logs_bytes() <= 4000);
	}
	assert_true(logs_bytes() <= 4000);
	all = read_all(&records, &files);
	assert_true(files >= 2);			/* it did rotate */
	assert_non_null(strstr(all, "budget line 499\n"));	/* the newest */
	assert_null(strstr(all, "budget line 0\n"));	/* the oldest went */
	free(all);
	/* A smaller budget, live: applied to what is there at once. */
	log_limits(0, 0, 1000);
	assert_true(logs_bytes() - log_size <= 500);
	log_write(1, "more\n", 5);
	assert_true(logs_bytes() <= 1000);
}

static void
test_time(void **state)
{
	struct timespec ts = { 1795458774, 5 };
	char out[64];

	/* the records' and rotated names' format: fixed width, so names sort */
	time_rfc3339(out, sizeof out, time_ts_ns(&ts), 9);
	assert_string_equal(out, "2026-11-23T18:32:54.000000005Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test_setup_teardown(test_names_agree, setup, teardown),
		cmocka_unit_test(test_time),
		cmocka_unit_test_setup_teardown(test_lines_and_rotation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
