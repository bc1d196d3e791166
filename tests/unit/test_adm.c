/*
 * test_adm.c: sdcadm-docker's skeleton — the command table and its lookup,
 * line splitting, completion, units and table output.  The log commands
 * have their own file (test_adm_logs.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "adm/adm.h"

/* A table with the shapes the real one will grow into. */
static int
fake_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv)
{
	return 0;
}

#define FAKE(n, a) { .name = n, .alias = a, .usage = "", .help = "", \
	.exec = fake_exec }
static const struct adm_cmd_entry fake_acc_create = FAKE("account create", NULL);
static const struct adm_cmd_entry fake_acc_list = FAKE("account list", "accounts");
static const struct adm_cmd_entry fake_cert = FAKE("cert client", NULL);
static const struct adm_cmd_entry fake_config_get = FAKE("config get", NULL);
static const struct adm_cmd_entry fake_pkg_list = FAKE("config packages list", NULL);
static const struct adm_cmd_entry fake_logs_usage = FAKE("logs usage", NULL);
static const struct adm_cmd_entry fake_tui = FAKE("tui", NULL);
static const struct adm_cmd_entry *const fake_table[] = {
	&fake_acc_create, &fake_acc_list, &fake_cert, &fake_config_get,
	&fake_pkg_list, &fake_logs_usage, &fake_tui, NULL
};

static const struct adm_cmd_entry *
find(const char *line, int *used, sdc_error_t *err)
{
	struct adm_split s;
	const struct adm_cmd_entry *e;

	assert_int_equal(adm_argv_split(line, false, &s, NULL), 0);
	e = adm_cmd_find_in(fake_table, (int)s.words.n, s.words.v, used, err);
	adm_split_free(&s);
	return e;
}

static void
find_error(const char *line, const char *msg)
{
	sdc_error_t err = NULL;
	int used = -1;

	assert_null(find(line, &used, &err));
	assert_string_equal(sdc_error_msg(err), msg);
	sdc_error_release(&err);
}

static void
test_cmd_find_prefix(void **state)
{
	int used = 0;

	assert_ptr_equal(find("account create x", &used, NULL), &fake_acc_create);
	assert_int_equal(used, 2);
	assert_ptr_equal(find("ac l", &used, NULL), &fake_acc_list);
	assert_ptr_equal(find("accountsx", &used, NULL), NULL);
	assert_ptr_equal(find("accounts", &used, NULL), &fake_acc_list);
	assert_ptr_equal(find("accounts --json", &used, NULL), &fake_acc_list);
	assert_int_equal(used, 1);
	assert_ptr_equal(find("con pa l", &used, NULL), &fake_pkg_list);
	assert_int_equal(used, 3);
	assert_ptr_equal(find("t", &used, NULL), &fake_tui);
	assert_ptr_equal(find("lo u", &used, NULL), &fake_logs_usage);
}

static void
test_cmd_find_errors(void **state)
{
	find_error("a", "incomplete command: account, one of: create, list");
	find_error("c", "ambiguous command: c, could be: cert, config");
	find_error("account", "incomplete command: account, one of: create, list");
	find_error("config p", "incomplete command: config packages, one of: list");
	find_error("lo x", "unknown command: logs x");
	find_error("bogus", "unknown command: bogus");
	find_error("logs bogus", "unknown command: logs bogus");
	find_error("", "no command given");
}

/* The real table: well formed, and no name a word-prefix of another. */
static void
test_cmd_table(void **state)
{
	const struct adm_cmd_entry *const *e, *const *f;
	size_t la, lb;

	for (e = adm_cmd_table; *e != NULL; e++) {
		assert_non_null((*e)->name);
		assert_non_null((*e)->usage);
		assert_non_null((*e)->help);
		assert_non_null((*e)->exec);
		for (f = adm_cmd_table; *f != NULL; f++) {
			if (e == f)
				continue;
			la = strlen((*e)->name);
			lb = strlen((*f)->name);
			assert_false(la <= lb && strncmp((*e)->name, (*f)->name,
			    la) == 0 && ((*f)->name[la] == ' ' ||
			    (*f)->name[la] == '\0'));
		}
	}
}

static void
split_is(const char *line, int n, ...)
{
	struct adm_split s;
	va_list ap;
	int i;

	assert_int_equal(adm_argv_split(line, false, &s, NULL), 0);
	assert_int_equal(s.words.n, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(s.words.v[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(s.words.v == NULL ? NULL : s.words.v[n]);
	adm_split_free(&s);
}

static void
test_argv_split(void **state)
{
	struct adm_split s;
	sdc_error_t err = NULL;

	split_is("", 0);
	split_is("  # a comment", 0);
	split_is("logs  cleanup\t--dry-run", 3, "logs", "cleanup", "--dry-run");
	split_is("a 'b c' \"d \\\"e\\\" \\n\" f\\ g", 4, "a", "b c",
	    "d \"e\" \\n", "f g");
	split_is("x''y \"\" z#not", 3, "xy", "", "z#not");
	assert_int_equal(adm_argv_split("a 'b", false, &s, &err), -1);
	assert_string_equal(sdc_error_msg(err), "unterminated ' quote");
	sdc_error_release(&err);

	assert_int_equal(adm_argv_split("logs us", true, &s, NULL), 0);
	assert_true(s.open);
	adm_split_free(&s);
	assert_int_equal(adm_argv_split("logs ", true, &s, NULL), 0);
	assert_false(s.open);
	assert_int_equal(s.words.n, 1);
	adm_split_free(&s);
	assert_int_equal(adm_argv_split("key add 'my key", true, &s, NULL), 0);
	assert_true(s.open);
	assert_string_equal(s.words.v[2], "my key");
	adm_split_free(&s);
}

/* Completions of the last word of line, joined by blanks. */
static char *
complete(const char *line)
{
	struct adm_ctx ctx = { .zones = "/nonexistent" };
	struct strvec out = { NULL, 0, 0 };
	struct adm_split s;
	const char *word = "";
	char *joined = calloc(1, 1024);
	size_t i;
	int argc;

	adm_argv_split(line, true, &s, NULL);
	argc = (int)s.words.n;
	if (s.open)
		word = s.words.v[--argc];
	adm_complete(&ctx, argc, s.words.v, word, &out);
	for (i = 0; i < out.n; i++)
		snprintf(joined + strlen(joined), 1024 - strlen(joined), "%s%s",
		    i ? " " : "", out.v[i]);
	strvec_clear(&out);
	adm_split_free(&s);
	return joined;
}

static void
complete_is(const char *line, const char *want)
{
	char *got = complete(line);

	assert_string_equal(got, want);
	free(got);
}

static void
test_complete(void **state)
{
	complete_is("", "account build-cache cert config container help key logs maint network node tui");
	complete_is("acc", "account");
	complete_is("account ", "create delete get list quota update");
	complete_is("config packages ", "add list remove");
	complete_is("account create x --ap", "--approved");
	complete_is("lo", "logs");
	complete_is("logs ", "cleanup usage");
	complete_is("logs us", "usage");
	complete_is("l us", "usage");
	complete_is("logs cleanup --ma", "--max-age --max-total");
	complete_is("logs usage ", "--json --zones");
	complete_is("logs cleanup --zones ", "");
	complete_is("logs cleanup --zones /z --dr", "--dry-run");
	complete_is("_comp", "");
	complete_is("bogus ", "");
}

static void
test_units(void **state)
{
	sdc_error_t err = NULL;
	uint64_t v;
	char buf[32];

	assert_int_equal(adm_units_parse_size("500k", &v, NULL), 0);
	assert_int_equal(v, 512000);
	assert_int_equal(adm_units_parse_size("10M", &v, NULL), 0);
	assert_int_equal(v, 10485760);
	assert_int_equal(adm_units_parse_size("1GiB", &v, NULL), 0);
	assert_int_equal(v, 1073741824ULL);
	assert_int_equal(adm_units_parse_size("123", &v, NULL), 0);
	assert_int_equal(v, 123);
	assert_int_equal(adm_units_parse_size("10X", &v, &err), -1);
	assert_string_equal(sdc_error_msg(err), "invalid size '10X' (expected "
	    "a number of bytes, or with k, M, G or T)");
	assert_int_equal(adm_units_parse_size("-1", &v, NULL), -1);
	assert_int_equal(adm_units_parse_size("", &v, NULL), -1);
	assert_int_equal(adm_units_parse_size("99999999999999P", &v, NULL), -1);

	assert_int_equal(adm_units_parse_age("7d", &v, NULL), 0);
	assert_int_equal(v, 604800);
	assert_int_equal(adm_units_parse_age("12h", &v, NULL), 0);
	assert_int_equal(v, 43200);
	assert_int_equal(adm_units_parse_age("30m", &v, NULL), 0);
	assert_int_equal(v, 1800);
	assert_int_equal(adm_units_parse_age("2", &v, NULL), 0);
	assert_int_equal(v, 172800);
	assert_int_equal(adm_units_parse_age("1w", &v, NULL), 0);
	assert_int_equal(v, 604800);
	assert_int_equal(adm_units_parse_age("7days", &v, NULL), -1);
	assert_int_equal(adm_units_parse_age("d", &v, NULL), -1);
	assert_int_equal(adm_units_parse_age("1.5d", &v, &err), -1);
	assert_string_equal(sdc_error_msg(err), "invalid age '1.5d' (expected "
	    "a number with s, m, h, d or w)");
	sdc_error_release(&err);

	assert_string_equal(adm_units_format_size(0, buf, sizeof buf), "0");
	assert_string_equal(adm_units_format_size(1023, buf, sizeof buf), "1023");
	assert_string_equal(adm_units_format_size(1536, buf, sizeof buf), "1.5K");
	assert_string_equal(adm_units_format_size(50000000, buf, sizeof buf), "48M");
}

static char *
table(int width, json_t *rows, json_t *footer)
{
	static const struct adm_column cols[] = {
		{ "name", "NAME", ADM_COL_SHRINK },
		{ "size", "SIZE", ADM_COL_RIGHT | ADM_COL_BYTES },
		{ "note", "NOTE", 0 },
		{ NULL, NULL, 0 }
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	adm_output_table(f, width, cols, rows, footer);
	fclose(f);
	return text;
}

static void
test_output_table(void **state)
{
	json_t *rows = json_pack("[{s:s, s:i, s:s}, {s:s, s:i}]",
	    "name", "a-rather-long-container-name", "size", 2048, "note", "x",
	    "name", "b", "size", 5);
	json_t *footer = json_pack("{s:s, s:i}", "name", "TOTAL", "size", 2053);
	char *t;

	t = table(80, rows, footer);
	assert_string_equal(t,
	    "NAME                          SIZE  NOTE\n"
	    "a-rather-long-container-name  2.0K  x\n"
	    "b                                5  -\n"
	    "TOTAL                         2.0K  -\n");
	free(t);
	t = table(24, rows, NULL);
	assert_string_equal(t,
	    "NAME          SIZE  NOTE\n"
	    "a-rather-...  2.0K  x\n"
	    "b                5  -\n");
	free(t);
	json_decref(rows);
	json_decref(footer);
}

static void
test_output_width(void **state)
{
	setenv("COLUMNS", "132", 1);
	assert_int_equal(adm_output_width(), 132);
	setenv("COLUMNS", "junk", 1);
	/* not a terminal under the test runner */
	unsetenv("COLUMNS");
	if (!isatty(1))
		assert_int_equal(adm_output_width(), 80);
}

static void
test_history_path(void **unused)
{
	char dir[] = "/tmp/test_adm.XXXXXX", state[64], want[96], *p;

	setenv("HOME", "/home/op", 1);
	unsetenv("XDG_STATE_HOME");
	p = adm_shell_history_path();
	assert_string_equal(p, "/home/op/.sdcadm_docker_history");
	free(p);
	setenv("XDG_STATE_HOME", "relative/ignored", 1);
	p = adm_shell_history_path();
	assert_string_equal(p, "/home/op/.sdcadm_docker_history");
	free(p);
	assert_non_null(mkdtemp(dir));
	snprintf(want, sizeof want, "%s/state/sdcadm-docker/history", dir);
	snprintf(state, sizeof state, "%s/state", dir);
	setenv("XDG_STATE_HOME", state, 1);
	p = adm_shell_history_path();
	assert_string_equal(p, want);
	free(p);
	*strrchr(want, '/') = '\0';
	assert_int_equal(rmdir(want), 0);	/* it made the directories */
	assert_int_equal(rmdir(state), 0);
	assert_int_equal(rmdir(dir), 0);
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	assert_null(adm_shell_history_path());
}

/* Run a line through adm_cmd_run, stdout captured. */
static int
run_line(const char *line, char **text)
{
	struct adm_ctx ctx = { .zones = "/nonexistent" };
	struct adm_split s;
	size_t len = 0;
	int rc;

	assert_int_equal(adm_argv_split(line, false, &s, NULL), 0);
	ctx.out = open_memstream(text, &len);
	rc = adm_cmd_run(&ctx, (int)s.words.n, s.words.v);
	fclose(ctx.out);
	adm_split_free(&s);
	return rc;
}

static void
test_help(void **state)
{
	char *t;

	assert_int_equal(run_line("help", &t), 0);
	assert_non_null(strstr(t, "  logs cleanup ["));
	assert_null(strstr(t, "_complete"));
	free(t);
	assert_int_equal(run_line("help lo", &t), 0);
	assert_string_equal(t, "usage: sdcadm-docker logs cleanup "
	    "[--zones DIR] [--max-age AGE] [--keep N] [--max-total SIZE] "
	    "[--dry-run] [--verbose] [--json] [--wait | --no-wait] "
	    "[--timeout SECS] [--jobs N]\n"
	    "       sdcadm-docker logs usage [--zones DIR] [--json]\n");
	free(t);
	assert_int_equal(run_line("help logs us", &t), 0);
	assert_true(strncmp(t, "usage: sdcadm-docker logs usage [--zones DIR] "
	    "[--json]\n\nShows", 53) == 0);
	free(t);
	assert_int_equal(run_line("logs usage --help", &t), 0);
	assert_true(strncmp(t, "usage: sdcadm-docker logs usage", 31) == 0);
	free(t);
	assert_int_equal(run_line("help zzz", &t), ADM_EXIT_USAGE);
	free(t);
	assert_int_equal(run_line("zzz", &t), ADM_EXIT_USAGE);
	free(t);
	/* _complete, as bash calls it */
	assert_int_equal(run_line("_complete -- logs ''", &t), 0);
	assert_string_equal(t, "cleanup\nusage\n");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_find_prefix),
		cmocka_unit_test(test_cmd_find_errors),
		cmocka_unit_test(test_cmd_table),
		cmocka_unit_test(test_argv_split),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_output_table),
		cmocka_unit_test(test_output_width),
		cmocka_unit_test(test_history_path),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
