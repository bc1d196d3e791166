/*
 * test_runtime_ps.c: `docker top`'s columns (dockerapi/runtime/ps.c)
 * from made-up processes: the titles procps 4 gives for the arguments
 * users pass, the values in ps's own formats, renamed titles that change
 * nothing but the title, and the refusal of what ps takes but this does
 * not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define HZ 100
#define BOOT 1700000000LL

static const char *
names(uid_t uid, void *arg)
{
	(void)arg;
	if (uid == 0)
		return "root";
	if (uid == 1000)
		return "averyverylongname";
	return NULL;
}

static struct rt_ps_env env = {
	.now = (time_t)(BOOT + 10000), .boot = BOOT, .hz = HZ,
	.mem_total_kb = 1000000, .user = names,
};

/* Two processes: an init started 100 s after boot (alive 9900 s, 99 s of
 * CPU: 1%), and a child with a tty, a user without a name, 3 threads,
 * alive 10 s with 5 s of CPU. */
static void
procs(struct rt_proc p[2])
{
	memset(p, 0, 2 * sizeof *p);
	p[0] = (struct rt_proc){ .pid = 4242, .ppid = 4200, .pgrp = 4242,
	    .sid = 4242, .tpgid = -1, .uid = 0, .state = 'S', .nlwp = 1,
	    .start_ticks = 100 * HZ, .cpu_ticks = 99 * HZ, .vsz_kb = 1234,
	    .rss_kb = 15000 };
	strcpy(p[0].tty, "?");
	strcpy(p[0].comm, "sh");
	strcpy(p[0].cmd, "sh -c sleep 300");
	p[1] = (struct rt_proc){ .pid = 4300, .ppid = 4242, .pgrp = 4300,
	    .sid = 4242, .tpgid = 4300, .uid = 4711, .state = 'R', .nice = 5,
	    .nlwp = 3, .start_ticks = 9990 * HZ, .cpu_ticks = 5 * HZ,
	    .vsz_kb = 99, .rss_kb = 10 };
	strcpy(p[1].tty, "pts/0");
	strcpy(p[1].comm, "sleep");
	strcpy(p[1].cmd, "sleep 300");
}

/* The answer as "T1 T2|a b|c d" (titles, then each row). */
static char *
render(const char *args)
{
	sdc_error_t err = NULL;
	struct rt_ps *ps = rt_ps_parse(args, &err);
	struct rt_proc p[2];
	json_t *out, *row, *v;
	size_t i, j;
	char *s = xstrdup(""), *t;

	assert_non_null(ps);
	procs(p);
	out = rt_ps_format(ps, p, 2, &env);
	json_array_foreach(json_object_get(out, "Titles"), i, v) {
		xasprintf(&t, "%s%s%s", s, i > 0 ? " " : "", json_string_value(v));
		free(s);
		s = t;
	}
	json_array_foreach(json_object_get(out, "Processes"), i, row)
		json_array_foreach(row, j, v) {
			xasprintf(&t, "%s%s%s", s, j > 0 ? " " : "|",
			    json_string_value(v));
			free(s);
			s = t;
		}
	json_decref(out);
	rt_ps_free(ps);
	return s;
}

static void
check(const char *args, const char *want)
{
	char *got = render(args);

	assert_string_equal(got, want);
	free(got);
}

/* ps's STIME/START of a process started `after` seconds after boot. */
static char *
hhmm(long after)
{
	time_t t = (time_t)(BOOT + after);
	static char out[2][16];
	static int i;
	struct tm tm;

	i = !i;
	localtime_r(&t, &tm);
	strftime(out[i], sizeof out[i], "%H:%M", &tm);
	return out[i];
}

static void
test_default_is_ef(void **state)
{
	char *want;

	(void)state;
	xasprintf(&want, "UID PID PPID C STIME TTY TIME CMD"
	    "|root 4242 4200 1 %s ? 00:01:39 sh -c sleep 300"
	    "|4711 4300 4242 50 %s pts/0 00:00:05 sleep 300", hhmm(100),
	    hhmm(9990));
	check(NULL, want);
	check("", want);
	check("-ef", want);
	check("-e -f", want);
	check("-fA", want);
	free(want);
}

static void
test_aux(void **state)
{
	char *want;

	(void)state;
	xasprintf(&want, "USER PID %%CPU %%MEM VSZ RSS TTY STAT START TIME COMMAND"
	    "|root 4242 1.0 1.5 1234 15000 ? Ss %s 1:39 sh -c sleep 300"
	    "|4711 4300 50.0 0.0 99 10 pts/0 RNl+ %s 0:05 sleep 300", hhmm(100),
	    hhmm(9990));
	check("aux", want);
	check("-aux", want);
	check("ux", want);
	free(want);
}

static void
test_unix_and_bsd_defaults(void **state)
{
	(void)state;
	check("-e", "PID TTY TIME CMD|4242 ? 00:01:39 sh|4300 pts/0 00:00:05 sleep");
	check("ax", "PID TTY STAT TIME COMMAND|4242 ? Ss 1:39 sh -c sleep 300"
	    "|4300 pts/0 RNl+ 0:05 sleep 300");
}

static void
test_o_lists(void **state)
{
	(void)state;
	check("-o pid,comm", "PID COMMAND|4242 sh|4300 sleep");
	check("-eo pid,ppid,uid,user,args,cmd",
	    "PID PPID UID USER COMMAND CMD"
	    "|4242 4200 0 root sh -c sleep 300 sh -c sleep 300"
	    "|4300 4242 4711 4711 sleep 300 sleep 300");
	check("-o etime,etimes,time,rss,vsz,pcpu,pmem,stat,tty,nlwp",
	    "ELAPSED ELAPSED TIME RSS VSZ %CPU %MEM STAT TT NLWP"
	    "|02:45:00 9900 00:01:39 15000 1234 1.0 1.5 Ss ? 1"
	    "|00:10 10 00:00:05 10 99 50.0 0.0 RNl+ pts/0 3");
	check("-o pid -o comm", "PID COMMAND|4242 sh|4300 sleep");
	check("-opid,s", "PID S|4242 S|4300 R");
	check("axo pid", "PID|4242|4300");
	check("--format pid,%cpu", "PID %CPU|4242 1.0|4300 50.0");
	/* -o wins over -f, as with ps */
	check("-f -o pid", "PID|4242|4300");
}

static void
test_renamed_titles_are_only_titles(void **state)
{
	(void)state;
	check("-o pid,etimes=PID,args", "PID PID COMMAND"
	    "|4242 9900 sh -c sleep 300|4300 10 sleep 300");
	check("-eo uid=PID,args", "PID COMMAND|0 sh -c sleep 300|4711 sleep 300");
	check("-o pid=X,comm", "X COMMAND|4242 sh|4300 sleep");
	check("-o pid=,comm=", " |4242 sh|4300 sleep");
}

static void
test_user_names(void **state)
{
	struct rt_proc p[2];
	struct rt_ps *ps;
	sdc_error_t err = NULL;
	json_t *out;

	(void)state;
	procs(p);
	p[1].uid = 1000;
	ps = rt_ps_parse("-o user", &err);
	out = rt_ps_format(ps, p, 2, &env);
	assert_string_equal(json_string_value(json_array_get(json_array_get(
	    json_object_get(out, "Processes"), 1), 0)), "averyve+");
	json_decref(out);
	rt_ps_free(ps);
}

static void
test_zombie_and_kernel_thread(void **state)
{
	struct rt_proc p[2];
	struct rt_ps *ps;
	sdc_error_t err = NULL;
	json_t *out, *rows;

	(void)state;
	procs(p);
	p[0].cmd[0] = '\0';
	p[1].state = 'Z';
	ps = rt_ps_parse("-o args,comm", &err);
	out = rt_ps_format(ps, p, 2, &env);
	rows = json_object_get(out, "Processes");
	assert_string_equal(json_string_value(json_array_get(json_array_get(rows,
	    0), 0)), "[sh]");
	assert_string_equal(json_string_value(json_array_get(json_array_get(rows,
	    1), 0)), "[sleep] <defunct>");
	assert_string_equal(json_string_value(json_array_get(json_array_get(rows,
	    1), 1)), "sleep <defunct>");
	json_decref(out);
	rt_ps_free(ps);
}

static void
refused(const char *args, const char *words)
{
	sdc_error_t err = NULL;

	assert_null(rt_ps_parse(args, &err));
	assert_non_null(err);
	assert_int_equal(err->code, 400);
	if (strstr(err->msg, words) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", args, err->msg, words);
	sdc_error_release(&err);
}

static void
test_refused(void **state)
{
	(void)state;
	refused("-p 1", "unsupported option \"-p\"");
	refused("-ef --sort=pid", "--sort=pid");
	refused("auxe", "\"auxe\"");
	refused("-o pid,environ", "\"environ\"");
	refused("-o pid,", "improper format list");
	refused("-o", "must follow");
	refused("-", "\"-\"");
	refused("-eL", "\"-eL\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_ef),
		cmocka_unit_test(test_aux),
		cmocka_unit_test(test_unix_and_bsd_defaults),
		cmocka_unit_test(test_o_lists),
		cmocka_unit_test(test_renamed_titles_are_only_titles),
		cmocka_unit_test(test_user_names),
		cmocka_unit_test(test_zombie_and_kernel_thread),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
