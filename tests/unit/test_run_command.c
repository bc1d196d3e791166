/*
 * test_run_command.c: lib/run-command against real programs: output
 * captured, stderr as the error, exit codes and signals, a missing
 * program, output sent to a log file, and a child that runs over its timeout (killed, and the call
 * returns near the deadline rather than when the child would have), and
 * no descriptor of the caller's but the three standard ones in a child.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "run-command.h"

static void
test_output_captured(void **state)
{
	const char *argv[] = { "sh", "-c", "echo hello; echo ignored >&2", NULL };
	struct buf out = BUF_INIT;
	struct run_command rc = { .argv = argv, .out = &out };
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(run_command(&rc, &err), 0);
	assert_string_equal(buf_str(&out), "hello\n");
	assert_int_equal(rc.exit_code, 0);
	buf_free(&out);
}

static void
test_failure_says_stderr(void **state)
{
	const char *argv[] = { "sh", "-c", "echo 'no such container' >&2; exit 3", NULL };
	struct run_command rc = { .argv = argv };
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(run_command(&rc, &err), -1);
	assert_string_equal(sdc_error_msg(err), "no such container");
	assert_int_equal(rc.exit_code, 3);
	sdc_error_release(&err);
}

static void
test_silent_failure_and_signal(void **state)
{
	const char *quiet[] = { "false", NULL };
	const char *killed[] = { "sh", "-c", "kill -TERM $$", NULL };
	struct run_command rc = { .argv = quiet };
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(run_command(&rc, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "exited with status 1"));
	sdc_error_release(&err);
	rc.argv = killed;
	assert_int_equal(run_command(&rc, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "killed by signal 15"));
	assert_int_equal(rc.exit_code, 128 + 15);
	sdc_error_release(&err);
}

static void
test_missing_program(void **state)
{
	const char *argv[] = { "/nonexistent/program", NULL };
	struct run_command rc = { .argv = argv };
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(run_command(&rc, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "/nonexistent/program"));
	sdc_error_release(&err);
}

static void
test_log_file(void **state)
{
	char path[] = "/tmp/test_run_command.XXXXXX";
	const char *argv[] = { "sh", "-c", "echo to-log; echo err-log >&2", NULL };
	struct run_command rc = { .argv = argv, .log_path = path };
	sdc_error_t err = NULL;
	char text[64] = "";
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(run_command(&rc, &err), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(text, 1, sizeof text - 1, f), 15);
	fclose(f);
	unlink(path);
	assert_string_equal(text, "to-log\nerr-log\n");
}

/* A descriptor of the caller's reaches no child, close-on-exec or not
 * (libcurl's wake-up socketpair is made without). */
static void
test_no_descriptor_inherited(void **state)
{
	char script[128];
	const char *argv[] = { "sh", "-c", script, NULL };
	struct buf out = BUF_INIT;
	struct run_command rc = { .argv = argv, .out = &out };
	sdc_error_t err = NULL;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(script, sizeof script, "for fd in %d %d; do [ -e "
	    "/proc/self/fd/$fd ] && echo $fd; done; echo end", sv[0], sv[1]);
	assert_int_equal(run_command(&rc, &err), 0);
	assert_string_equal(buf_str(&out), "end\n");
	buf_free(&out);
	close(sv[0]);
	close(sv[1]);
}

static void
test_timeout_kills(void **state)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct run_command rc = { .argv = argv, .timeout_ms = 200 };
	sdc_error_t err = NULL;
	time_t start = time(NULL);

	(void)state;
	assert_int_equal(run_command(&rc, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "did not finish in 200 ms"));
	assert_true(time(NULL) - start < 10);
	assert_int_equal(rc.exit_code, 128 + 9);
	sdc_error_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_captured),
		cmocka_unit_test(test_failure_says_stderr),
		cmocka_unit_test(test_silent_failure_and_signal),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_log_file),
		cmocka_unit_test(test_timeout_kills),
		cmocka_unit_test(test_no_descriptor_inherited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
