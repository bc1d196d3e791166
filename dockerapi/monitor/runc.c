/*
 * runc.c: starting the OCI runtime, and the console socket.
 *
 * The monitor runs `runc run --detach` (or `runc exec --detach`) as its
 * child and is a child subreaper, so when runc exits the container's init
 * is reparented to the monitor, which then reaps it and reads its real
 * wait status.  That is what makes the exit code right: `runc run` in the
 * foreground would have to stay resident as the container's parent for
 * its whole life, costing megabytes a container, and it reports a signal
 * death through its own exit code; create + start would cost a second
 * runtime exec on every start.  One detached run is one exec.
 *
 * With a tty, runc connects to a socket the monitor listens on and passes
 * the pty master over it (SCM_RIGHTS).  The socket's path goes through
 * /proc/PID/fd/N/ of the folder, short whatever the folder's path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor.h"
#include "dockerapi/runtime/protocol.h"

#define RUNC_CONSOLE "console.sock"

static int runc_console_fd = -1;

/* The runtime's argv; paths come from the options and live as long. */
static int
runc_argv(const struct mon_opts *o, const char *console, char *logpath,
    char *pidpath, const char **argv)
{
	int n = 0;

	argv[n++] = o->runtime;
	if (o->runtime_root != NULL) {
		argv[n++] = "--root";
		argv[n++] = o->runtime_root;
	}
	argv[n++] = "--log";
	argv[n++] = logpath;
	argv[n++] = "--log-format";
	argv[n++] = "json";
	argv[n++] = o->process != NULL ? "exec" : "run";
	argv[n++] = "--detach";
	argv[n++] = "--pid-file";
	argv[n++] = pidpath;
	if (console != NULL) {
		argv[n++] = "--console-socket";
		argv[n++] = console;
	}
	if (o->process != NULL) {
		argv[n++] = "--process";
		argv[n++] = o->process;
	} else {
		argv[n++] = "--bundle";
		argv[n++] = o->bundle;
	}
	argv[n++] = o->id;
	argv[n] = NULL;
	return n;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void
runc_child(const int fds[3], const char **argv)
{
	sigset_t none;
	int i;

	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

int
runc_spawn(const struct mon_opts *o, int dirfd, const int fds[3], pid_t *pid,
    sdc_error_t *err)
{
	char console[64], logpath[4096], pidpath[4096];
	const char *argv[32];
	int fd;

	if (o->tty && runc_console_listen(dirfd, console, sizeof console,
	    err) < 0)
		return -1;
	snprintf(logpath, sizeof logpath, "%s/%s", o->dir, RT_FILE_RUNC_LOG);
	snprintf(pidpath, sizeof pidpath, "%s/%s", o->dir, RT_FILE_PID);
	unlinkat(dirfd, RT_FILE_PID, 0);
	if ((fd = openat(dirfd, RT_FILE_RUNC_LOG, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, 0640)) >= 0)
		close(fd);
	runc_argv(o, o->tty ? console : NULL, logpath, pidpath, argv);
	if ((*pid = fork()) < 0)
		return sdc_make_error(err, errno, "fork");
	if (*pid == 0)
		runc_child(fds, argv);
	return 0;
}

static void
runc_console_cb(int fd, short revents, void *arg)
{
	char buf[256], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm;
	int c, master = -1;

	if ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	if (recvmsg(c, &msg, MSG_CMSG_CLOEXEC) >= 0 &&
	    (cm = CMSG_FIRSTHDR(&msg)) != NULL && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&master, CMSG_DATA(cm), sizeof master);
	close(c);
	if (master < 0)
		return;
	loop_del(fd);
	close(fd);
	runc_console_fd = -1;
	unlinkat(mon_dirfd, RUNC_CONSOLE, 0);
	stdio_set_master(master);
}

int
runc_console_listen(int dirfd, char *path, size_t len, sdc_error_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(path, len, "/proc/%ld/fd/%d/%s", (long)getpid(), dirfd,
	    RUNC_CONSOLE);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	unlinkat(dirfd, RUNC_CONSOLE, 0);
	runc_console_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (runc_console_fd < 0 ||
	    bind(runc_console_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(runc_console_fd, 1) < 0)
		return sdc_make_error(err, errno, "console socket");
	loop_add(runc_console_fd, POLLIN, runc_console_cb, NULL);
	return 0;
}

/* runc has exited: take the master now if its connection is still
 * waiting, so the start is reported with the pty in hand (a resize sent
 * right after the start then has a terminal to go to). */
void
runc_console_take(void)
{
	if (runc_console_fd >= 0)
		runc_console_cb(runc_console_fd, POLLIN, NULL);
}

/* The next "KEY":"VALUE" of a flat JSON object of strings, from *p; 0 at
 * its closing brace, -1 on anything else (escapes included: runc writes
 * plain paths, and a surprise means "let runc do it"). */
static int
runc_next_pair(char **p, char **value)
{
	char *s = *p + strspn(*p, " \t\r\n,");

	if (*s == '}')
		return 0;
	if (*s != '"' || (s = strchr(s + 1, '"')) == NULL)
		return -1;
	s += 1 + strspn(s + 1, " \t\r\n");
	if (*s != ':')
		return -1;
	s += 1 + strspn(s + 1, " \t\r\n");
	if (*s != '"')
		return -1;
	*value = ++s;
	s += strcspn(s, "\"\\");
	if (*s != '"')
		return -1;
	*s = '\0';
	*p = s + 1;
	return 1;
}

/* Remove every cgroup named in runc's state.json text. */
static int
runc_forget_cgroups(char *state)
{
	char *p = strstr(state, "\"cgroup_paths\""), *path;
	int rc;

	if (p == NULL || (p = strchr(p, '{')) == NULL)
		return -1;
	p++;
	while ((rc = runc_next_pair(&p, &path)) == 1)
		if (rmdir(path) < 0 && errno != ENOENT)
			return -1;      /* still busy: runc delete kills and waits */
	return rc;
}

/* Remove runc's folder for the container: a few plain files. */
static int
runc_forget_state(int rootfd, const char *id)
{
	int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    unlinkat(dirfd(d), e->d_name, 0) < 0) {
			closedir(d);
			return -1;
		}
	closedir(d);
	return unlinkat(rootfd, id, AT_REMOVEDIR);
}

/* What `runc delete` does for a stopped container -- remove its cgroups
 * and runc's state folder -- without starting a runtime process, which is
 * a fifth of a `docker run --rm`.  Anything unexpected returns -1 and the
 * caller runs `runc delete --force`, which also kills what is left. */
static int
runc_forget(const struct mon_opts *o)
{
	char buf[65536];
	ssize_t n = 0, got;
	int rootfd, fd, rc = -1;

	if (o->runtime_root == NULL)
		return -1;
	rootfd = open(o->runtime_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	snprintf(buf, sizeof buf, "%s/state.json", o->id);
	fd = openat(rootfd, buf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	while (fd >= 0 && (got = read(fd, buf + n, sizeof buf - 1 - (size_t)n)) > 0)
		n += got;
	if (fd >= 0)
		close(fd);
	if (fd >= 0 && n > 0 && n < (ssize_t)sizeof buf - 1) {
		buf[n] = '\0';
		if (runc_forget_cgroups(buf) == 0)
			rc = runc_forget_state(rootfd, o->id);
	}
	close(rootfd);
	return rc;
}

/* Remove the stopped container from the runtime, and with it its cgroups,
 * so a later start can reuse the id.  Runs once the loop is over. */
void
runc_delete(const struct mon_opts *o)
{
	const char *argv[8];
	int n = 0, fds[3], status, fd;
	pid_t pid;

	if (runc_forget(o) == 0)
		return;
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return;
	fds[0] = fds[1] = fds[2] = fd;
	argv[n++] = o->runtime;
	if (o->runtime_root != NULL) {
		argv[n++] = "--root";
		argv[n++] = o->runtime_root;
	}
	argv[n++] = "delete";
	argv[n++] = "--force";
	argv[n++] = o->id;
	argv[n] = NULL;
	if ((pid = fork()) == 0)
		runc_child(fds, argv);
	close(fd);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
}
