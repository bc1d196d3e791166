/*
 * exit.c: reaping children and keeping the state file.
 *
 * The monitor's children are runc, and, once runc has exited, the
 * container's init (reparented here because the monitor is a subreaper).
 * A fast container can die before runc has exited and before its pid is
 * known, so statuses of unknown children are kept until the pid file is
 * read.  The exit code is the process's own: WEXITSTATUS, or 128 + N when
 * signal N killed it, as Docker reports it.
 *
 * state.json is the record a restarted daemon reads back (docs/runtime.md):
 * written whole to a temporary name and renamed, so a reader sees the old
 * state or the new one, never half.  It is formatted here by hand: every
 * value is a number, a boolean or a timestamp, and the monitor does without
 * a JSON library to stay small.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "monitor.h"
#include "dockerapi/runtime/procstat.h"
#include "dockerapi/runtime/protocol.h"

#define EXIT_STASH 16

struct exit_stashed {
	pid_t pid;
	int status;
};

static pid_t exit_runc = -1;
static pid_t exit_pid = -1;
static long long exit_pid_start;
static char exit_started[64];
static struct exit_stashed exit_stash[EXIT_STASH];
static int exit_nstash;

void
exit_watch(pid_t runc)
{
	exit_runc = runc;
}

int
exit_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

void
exit_reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == exit_runc) {
			exit_runc = -1;
			main_runc_exited(status);
		} else if (pid == exit_pid) {
			main_container_exited(status);
		} else if (exit_pid < 0 && exit_nstash < EXIT_STASH) {
			exit_stash[exit_nstash].pid = pid;
			exit_stash[exit_nstash++].status = status;
		}
	}
}

static void
exit_now(char *out, size_t len)
{
	time_rfc3339(out, len, time_now_ns(), 9);
}

/* Replaced whole, never seen half written; a failure leaves the state
 * before it (the daemon then asks the runtime). */
static void
exit_state_file(const char *text, size_t len)
{
	sdc_error_t err = NULL;

	if (file_write_replace_at(mon_dirfd, RT_FILE_STATE, text, len, 0644,
	    &err) < 0)
		sdc_error_release(&err);
}

/* The container's pid is known: record it as running, and report it at
 * once if it has already died. */
void
exit_write_running(pid_t pid)
{
	char text[512];
	int i, n;

	exit_pid = pid;
	exit_pid_start = rt_proc_start_time(pid);
	exit_now(exit_started, sizeof exit_started);
	n = snprintf(text, sizeof text, "{\"status\":\"running\",\"pid\":%ld,"
	    "\"pid_start\":%lld,\"monitor_pid\":%ld,\"started_at\":\"%s\"}\n",
	    (long)pid, exit_pid_start, (long)getpid(), exit_started);
	exit_state_file(text, (size_t)n);
	for (i = 0; i < exit_nstash; i++)
		if (exit_stash[i].pid == pid)
			main_container_exited(exit_stash[i].status);
}

static bool
exit_oom(const char *path)
{
	char buf[512], *p;
	ssize_t n;
	int fd;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if ((p = strstr(buf, "oom_kill ")) == NULL)
		return false;
	return strtoll(p + 9, NULL, 10) > 0;
}

/* The final record, also returned in out for the attach clients. */
void
exit_write_exited(int status, const char *oom_file, char *out, size_t len)
{
	char finished[64];
	int n;

	exit_now(finished, sizeof finished);
	n = snprintf(out, len, "{\"status\":\"exited\",\"pid\":%ld,"
	    "\"pid_start\":%lld,\"monitor_pid\":%ld,\"started_at\":\"%s\","
	    "\"finished_at\":\"%s\",\"exit_code\":%d,\"signal\":%d,"
	    "\"oom_killed\":%s}\n", (long)exit_pid, exit_pid_start,
	    (long)getpid(), exit_started, finished, exit_code(status),
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	    exit_oom(oom_file) ? "true" : "false");
	if (n > 0 && (size_t)n < len)
		exit_state_file(out, (size_t)n);
}
