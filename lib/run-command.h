/*
 * run-command.h: running another program and waiting for it, the one way
 * the tree does it.
 *
 *     const char *argv[] = { "/usr/sbin/runc", "--root", root, "pause", id, NULL };
 *     struct run_command rc = { .argv = argv, .timeout_ms = 10000 };
 *     if (run_command(&rc, &err) < 0) ...   // err: runc's own stderr
 *
 * The child gets /dev/null for stdin and, unless captured, stdout, and
 * no other descriptor of the caller's; its stderr is captured and, when
 * it fails, becomes the error message as it stands (a program's own
 * wording is what a user can act on).  With a
 * timeout the child is killed with SIGKILL when it runs over, and the
 * error says so: a hung helper never holds its caller forever.
 *
 * A daemon that must outlive its caller is started through setsid -f
 * with log_path set: its output goes to that file, nothing is captured,
 * and the call returns as soon as setsid has forked it away.
 */
#ifndef SDC_RUN_COMMAND_H
#define SDC_RUN_COMMAND_H

#include <stdbool.h>

#include "buf.h"
#include "error.h"

struct run_command {
	const char *const *argv;	/* argv[0]: a path, or a name in $PATH */
	int timeout_ms;			/* 0: wait as long as it takes */
	struct buf *out;		/* its stdout, or NULL: /dev/null */
	const char *log_path;		/* stdout and stderr appended here
					 * instead (out is then unused) */
	int exit_code;			/* set: its exit status, or 128 + signal */
};

/* 0 when it exited 0; -1 with *err otherwise (spawn failed, non-zero
 * exit, killed, timed out). */
int run_command(struct run_command *rc, sdc_error_t *err);

#endif
