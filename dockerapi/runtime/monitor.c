/*
 * monitor.c: starting sdc-docker-monitor, and telling whether one lives.
 *
 * A live monitor holds an open file description lock on the folder's
 * monitor.lock; F_OFD_GETLK tests it without taking it, so probing never
 * gets in the way of a monitor starting, and a pid reused after a crash
 * cannot pass for a monitor.
 *
 * The monitor detaches itself (it forks and its first process exits), so
 * the spawn here returns at once and the daemon never has a monitor as a
 * child to reap.  Its descriptors are moved to fds above 99 first, so the
 * spawn's dup2 onto 3 and 4 cannot overwrite one with the other; the
 * report then comes back on the sync pipe (sync.c in the monitor).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

/* The monitor kills a runtime that runs past the config's timeout and
 * reports it; this much more is for the monitor itself. */
#define RT_SYNC_SLACK_MS 10000

extern char **environ;

bool
rt_monitor_alive(const char *dir)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char *path;
	int fd;

	xasprintf(&path, "%s/%s", dir, RT_FILE_LOCK);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return false;
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		fl.l_type = F_UNLCK;
	close(fd);
	return fl.l_type != F_UNLCK;
}

int
rt_monitor_wait(const char *dir, int timeout_ms, sdc_error_t *err)
{
	struct timespec pause = { 0, 1000000 };
	int waited;

	for (waited = 0; rt_monitor_alive(dir); waited++) {
		if (timeout_ms >= 0 && waited >= timeout_ms)
			return sdc_make_error(err, ETIMEDOUT, "waiting for the "
			    "monitor of %s", dir);
		nanosleep(&pause, NULL);
	}
	return 0;
}

#define RT_ARGV_MAX 160		/* a log server's fields among them */

struct rt_argv {
	const char *v[RT_ARGV_MAX];
	char *owned[8];
	int n, nowned;
};

static void
rt_argv_add(struct rt_argv *a, const char *opt, const char *value)
{
	a->v[a->n++] = opt;
	if (value != NULL)
		a->v[a->n++] = value;
	a->v[a->n] = NULL;
}

static void
rt_argv_num(struct rt_argv *a, const char *opt, long long value)
{
	char *s;

	xasprintf(&s, "%lld", value);
	a->owned[a->nowned++] = s;
	rt_argv_add(a, opt, s);
}

static void
rt_argv_free(struct rt_argv *a)
{
	while (a->nowned > 0)
		free(a->owned[--a->nowned]);
}

/* Docker's exit codes for a command that could not be run: 127 when it
 * is not there, 126 when it cannot be executed. */
static int
rt_monitor_error_code(const char *msg)
{
	if (strstr(msg, "executable file not found") != NULL ||
	    strstr(msg, "no such file or directory") != NULL)
		return 127;
	if (strstr(msg, "permission denied") != NULL ||
	    strstr(msg, "exec format error") != NULL)
		return 126;
	return 0;
}

/* Read the monitor's one line: "ok PID" or "error TEXT". */
static int
rt_monitor_sync(int fd, int timeout_ms, pid_t *pid, sdc_error_t *err)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct buf line = BUF_INIT;
	char chunk[512];
	ssize_t n;
	int rc;

	for (;;) {
		if ((rc = poll(&p, 1, timeout_ms)) == 0) {
			buf_free(&line);
			return sdc_make_error(err, ETIMEDOUT, "starting the container");
		}
		if (rc < 0 && errno == EINTR)
			continue;
		if ((n = read(fd, chunk, sizeof chunk)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(&line, chunk, (size_t)n);
	}
	while (line.len > 0 && line.data[line.len - 1] == '\n')
		line.data[--line.len] = '\0';
	if (strncmp(buf_str(&line), "ok ", 3) == 0) {
		*pid = (pid_t)strtol(line.data + 3, NULL, 10);
		rc = 0;
	} else if (strncmp(buf_str(&line), "error ", 6) == 0)
		rc = sdc_make_error_code(err, rt_monitor_error_code(line.data + 6),
		    "%s", line.data + 6);
	else
		rc = sdc_make_error(err, 0, "the container monitor exited "
		    "without a report");
	buf_free(&line);
	return rc;
}

static void
rt_monitor_argv(struct rt_argv *a, const struct rt_config *cfg,
    const char *id, const char *dir, const char *process, bool tty,
    bool open_stdin, const struct rt_start_opts *opts, char *oom)
{
	rt_argv_add(a, "--id", id);
	rt_argv_add(a, "--dir", dir);
	if (process != NULL)
		rt_argv_add(a, "--process", process);
	else
		rt_argv_add(a, "--bundle", dir);
	rt_argv_add(a, "--runtime", rt_runtime(cfg));
	rt_argv_add(a, "--runtime-root", rt_runtime_root(cfg));
	rt_argv_num(a, "--runtime-timeout", rt_timeout_ms(cfg));
	if (oom != NULL)
		rt_argv_add(a, "--oom-file", oom);
	if (tty)
		rt_argv_add(a, "--tty", NULL);
	if (open_stdin)
		rt_argv_add(a, "--stdin", NULL);
	if (opts->no_log || process != NULL)
		rt_argv_add(a, "--no-log", NULL);
	if (opts->log_max_size > 0)
		rt_argv_num(a, "--log-max-size", opts->log_max_size);
	if (opts->log_max_file > 0)
		rt_argv_num(a, "--log-max-file", opts->log_max_file);
	if (opts->log_budget > 0)
		rt_argv_num(a, "--log-budget", opts->log_budget);
	for (char *const *l = opts->log_args; l != NULL && *l != NULL &&
	    a->n < RT_ARGV_MAX - 8; l++)
		rt_argv_add(a, *l, NULL);
	rt_argv_add(a, "--sync-fd", "3");
	if (opts->attach)
		rt_argv_add(a, "--attach-fd", "4");
}

static int
rt_monitor_exec(const struct rt_argv *a, int sync_w, int attach, pid_t *pid,
    sdc_error_t *err)
{
	posix_spawn_file_actions_t fa;
	int hi_sync, hi_attach = -1, rc;

	hi_sync = fcntl(sync_w, F_DUPFD_CLOEXEC, 100);
	if (attach >= 0)
		hi_attach = fcntl(attach, F_DUPFD_CLOEXEC, 100);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, hi_sync, 3);
	if (hi_attach >= 0)
		posix_spawn_file_actions_adddup2(&fa, hi_attach, 4);
	/* the monitor lives as long as the container: none of the daemon's
	 * descriptors may live on in it (lib/run-command.c) */
	posix_spawn_file_actions_addclosefrom_np(&fa, hi_attach >= 0 ? 5 : 4);
	rc = strchr(a->v[0], '/') != NULL ?
	    posix_spawn(pid, a->v[0], &fa, NULL, (char *const *)a->v, environ) :
	    posix_spawnp(pid, a->v[0], &fa, NULL, (char *const *)a->v, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(hi_sync);
	if (hi_attach >= 0)
		close(hi_attach);
	if (rc != 0)
		return sdc_make_error(err, rc, "running %s", a->v[0]);
	return 0;
}

int
rt_monitor_spawn(const struct rt_config *cfg, const char *id, const char *dir,
    const char *process, bool tty, bool open_stdin,
    const struct rt_start_opts *opts, struct rt_started *out, sdc_error_t *err)
{
	struct rt_argv a = { .n = 0 };
	char *mon = rt_monitor_path(cfg), *oom = NULL;
	int sync[2], sp[2] = { -1, -1 }, rc, status;
	pid_t child;

	out->pid = 0;
	out->attach_fd = -1;
	if (process == NULL)
		oom = rt_oom_file(cfg, id);
	rt_argv_add(&a, mon, NULL);
	rt_monitor_argv(&a, cfg, id, dir, process, tty, open_stdin, opts, oom);
	rc = -1;
	if (pipe2(sync, O_CLOEXEC) < 0)
		sdc_make_error(err, errno, "pipe");
	else if (opts->attach && socketpair(AF_UNIX, SOCK_SEQPACKET |
	    SOCK_CLOEXEC, 0, sp) < 0) {
		sdc_make_error(err, errno, "socketpair");
		close(sync[0]);
		close(sync[1]);
	} else {
		rc = rt_monitor_exec(&a, sync[1], sp[1], &child, err);
		close(sync[1]);
		if (sp[1] >= 0)
			close(sp[1]);
		if (rc == 0) {
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
			rc = rt_monitor_sync(sync[0], rt_timeout_ms(cfg) +
			    RT_SYNC_SLACK_MS, &out->pid, err);
		}
		close(sync[0]);
		if (rc == 0)
			out->attach_fd = sp[0];
		else if (sp[0] >= 0)
			close(sp[0]);
	}
	rt_argv_free(&a);
	free(mon);
	free(oom);
	return rc;
}
