/*
 * main.c: sdc-docker-monitor, one per running container or exec.
 *
 * Its life: detach from the starter (fork, the parent exits at once, the
 * child starts a session, so the monitor outlives the daemon and is never
 * its zombie); take the folder's lock (an open file description lock, held
 * until exit: a daemon tells a live monitor from a dead one by testing the
 * lock with F_OFD_GETLK, which takes nothing and which no pid reuse can
 * fool); open the log and the attach socket; start runc; report "ok PID"
 * or runc's error on the sync pipe; then relay stdio until the container
 * has exited and its output is drained, write the final state, tell the
 * attach clients, remove the container from runc, and exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "monitor.h"
#include "dockerapi/runtime/protocol.h"

/* How long output may still come after the container's init has died
 * (its pid namespace is being torn down, so normally milliseconds). */
#define MAIN_DRAIN_MS 5000
#define MAIN_TICK_MS 200

int mon_dirfd = -1;
const struct mon_opts *mon_opts;

static bool main_exited, main_failed;
static int main_status;
static long long main_deadline;
/* runc run/exec while it runs, and when it must have finished by */
static pid_t main_runc_pid;
static long long main_runc_deadline;
static bool main_runc_killed;

/* The runtime's name for messages, not its host path. */
static const char *
main_runtime_name(void)
{
	const char *slash = strrchr(mon_opts->runtime, '/');

	return slash != NULL ? slash + 1 : mon_opts->runtime;
}

/* Keep only stdio (on /dev/null) and the descriptors we were given. */
static void
main_fds(const struct mon_opts *o)
{
	int fd, hi = o->sync_fd > o->attach_fd ? o->sync_fd : o->attach_fd;

	for (fd = 3; fd <= hi; fd++)
		if (fd != o->sync_fd && fd != o->attach_fd)
			close(fd);
	close_range((unsigned)(hi < 3 ? 3 : hi + 1), ~0U, 0);
	if (o->sync_fd >= 0)
		fcntl(o->sync_fd, F_SETFD, FD_CLOEXEC);
	if (o->attach_fd >= 0)
		fcntl(o->attach_fd, F_SETFD, FD_CLOEXEC);
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* Fork; the parent (the starter's child) is to exit at once, the child
 * leads a new session.  Returns the fork's pid, as fork does. */
static pid_t
main_detach(void)
{
	pid_t pid = fork();

	if (pid == 0)
		setsid();
	return pid;
}

static int
main_lock(int dirfd, sdc_error_t *err)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	fd = openat(dirfd, RT_FILE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return sdc_make_error(err, errno, "opening %s", RT_FILE_LOCK);
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return sdc_make_error(err, 0, "a monitor is already running "
		    "for this container");
	return 0;
}

static pid_t
main_read_pid(void)
{
	char buf[32];
	ssize_t n = -1;
	int fd;

	if ((fd = openat(mon_dirfd, RT_FILE_PID, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
	}
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

/* The runtime's last words when its stderr had none: its log's last line. */
static void
main_runc_log(char *msg, size_t len)
{
	ssize_t n = -1;
	char *p;
	int fd;

	if ((fd = openat(mon_dirfd, RT_FILE_RUNC_LOG, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, msg, len - 1);
		close(fd);
	}
	msg[n > 0 ? n : 0] = '\0';
	while ((p = strrchr(msg, '\n')) != NULL && p[1] == '\0')
		*p = '\0';
	if ((p = strrchr(msg, '\n')) != NULL)
		memmove(msg, p + 1, strlen(p + 1) + 1);
}

void
main_runc_exited(int status)
{
	char msg[1500];
	pid_t pid;

	main_runc_pid = 0;
	if (main_runc_killed) {
		sync_error("the OCI runtime (%s %s) did not answer within %lld s "
		    "and was killed", main_runtime_name(),
		    mon_opts->process != NULL ? "exec" : "run",
		    mon_opts->runtime_timeout_ms / 1000);
		main_failed = true;
		loop_break();
		return;
	}

	if (status == 0 && (pid = main_read_pid()) > 0) {
		runc_console_take();
		stdio_runc_ok();
		exit_write_running(pid);
		sync_ok(pid);
		return;
	}
	stdio_runc_failed(msg, sizeof msg);
	if (msg[0] == '\0')
		main_runc_log(msg, sizeof msg);
	if (msg[0] == '\0')
		snprintf(msg, sizeof msg, "%s exited with status %d",
		    mon_opts->runtime, exit_code(status));
	sync_error("%s", msg);
	main_failed = true;
	loop_break();
}

void
main_container_exited(int status)
{
	main_status = status;
	main_exited = true;
	main_deadline = time_mono_ms() + MAIN_DRAIN_MS;
	if (stdio_done())
		loop_break();
}

void
main_stdio_closed(void)
{
	if (main_exited)
		loop_break();
}

static void
main_tick(void)
{
	if (main_runc_pid > 0 && !main_runc_killed &&
	    time_mono_ms() >= main_runc_deadline) {
		/* a hung runtime: killed, and its exit reports the timeout */
		kill(main_runc_pid, SIGKILL);
		main_runc_killed = true;
	}
	log_flush(MAIN_TICK_MS);
	sysinfo_tick();
	if (main_exited && time_mono_ms() >= main_deadline)
		loop_break();
}

static bool
main_tick_wanted(void)
{
	return main_exited || log_pending() || sysinfo_throttled() ||
	    (main_runc_pid > 0 && !main_runc_killed);
}

static void
main_signal_cb(int fd, short revents, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof si) == sizeof si)
		;
	exit_reap();
}

static int
main_setup(const struct mon_opts *o, sdc_error_t *err)
{
	int child[3], sfd;
	sigset_t set;
	pid_t pid;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return sdc_make_error(err, errno, "PR_SET_CHILD_SUBREAPER");
	if ((mon_dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sdc_make_error(err, errno, "opening %s", o->dir);
	if (main_lock(mon_dirfd, err) < 0)
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return sdc_make_error(err, errno, "signalfd");
	loop_add(sfd, POLLIN, main_signal_cb, NULL);
	if (o->log && log_open(o->dir, o->log_max_size, o->log_max_file,
	    o->log_budget,
	    err) < 0)
		return -1;
	if (o->ship_driver != NULL && ship_open(o, err) < 0)
		return -1;
	if (attach_listen(mon_dirfd, err) < 0)
		return -1;
	/* before runc, which connects to it as it starts the container */
	if (o->process == NULL && sysinfo_listen(mon_dirfd, err) < 0)
		return -1;
	if (o->attach_fd >= 0)
		attach_client(o->attach_fd);
	if (stdio_prepare(o, child, err) < 0 ||
	    runc_spawn(o, mon_dirfd, child, &pid, err) < 0)
		return -1;
	exit_watch(pid);
	if (o->runtime_timeout_ms > 0) {
		main_runc_pid = pid;
		main_runc_deadline = time_mono_ms() + o->runtime_timeout_ms;
	}
	stdio_spawned(child);
	return 0;
}

int
main(int argc, char **argv)
{
	static char state[1024];
	struct mon_opts o;
	sdc_error_t err = NULL;

	signal(SIGPIPE, SIG_IGN);
	if (cli_parse(argc, argv, &o, &err) < 0) {
		fprintf(stderr, "sdc-docker-monitor: %s\n", sdc_error_msg(err));
		return 2;
	}
	mon_opts = &o;
	main_fds(&o);
	sync_init(o.sync_fd);
	switch (main_detach()) {
	case -1:
		sync_error("fork: %s", strerror(errno));
		return 1;
	case 0:
		break;
	default:
		return 0;
	}
	if (main_setup(&o, &err) < 0) {
		sync_error("%s", sdc_error_msg(err));
		return 1;
	}
	loop_tick(MAIN_TICK_MS, main_tick, main_tick_wanted);
	loop_run();
	if (main_failed) {
		unlinkat(mon_dirfd, RT_FILE_ATTACH, 0);
		if (o.process == NULL)
			runc_delete(&o);
		return 1;
	}
	log_flush(0);
	if (o.ship_driver != NULL)
		ship_close();
	exit_write_exited(main_status, o.oom_file, state, sizeof state);
	attach_finish(state, strlen(state));
	if (o.process == NULL)
		runc_delete(&o);
	return 0;
}
