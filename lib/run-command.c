/*
 * run-command.c: see run-command.h.
 *
 * posix_spawn, not fork: the daemons are large and threaded, and a
 * vfork-style spawn neither copies them nor runs anything unsafe between
 * fork and exec.  Both pipes are read in one poll loop so that a child
 * filling one while we wait on the other cannot deadlock us, and the
 * same loop keeps the deadline.
 *
 * The child gets its three standard descriptors and no other: every
 * descriptor above them is closed in it (closefrom), so none of the
 * daemon's outlives it in the child, whether it was made close-on-exec
 * or not (libcurl's multi handle makes its wake-up socketpair without,
 * on whichever thread made the client).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run-command.h"
#include "timeutil.h"

extern char **environ;

static void
run_trim(struct buf *b)
{
	while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
	    b->data[b->len - 1] == ' '))
		b->data[--b->len] = '\0';
}

static int
run_spawn(const struct run_command *rc, int outfd, int errfd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (rc->log_path != NULL) {
		posix_spawn_file_actions_addopen(&fa, 1, rc->log_path,
		    O_WRONLY | O_APPEND | O_CREAT, 0600);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	} else if (outfd >= 0)
		posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (rc->log_path == NULL)
		posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	r = posix_spawnp(pid, rc->argv[0], &fa, NULL, (char *const *)rc->argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	return r;
}

/* Read both pipes until both close or the deadline passes; true when the
 * deadline passed first. */
static bool
run_collect(int outfd, int errfd, struct buf *out, struct buf *errbuf,
    int timeout_ms)
{
	long long deadline = timeout_ms > 0 ? time_mono_ms() + timeout_ms : 0;
	struct pollfd p[2] = { { outfd, POLLIN, 0 }, { errfd, POLLIN, 0 } };
	char chunk[4096];

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int wait = -1;
		ssize_t got;

		if (deadline != 0) {
			long long left = deadline - time_mono_ms();
			if (left <= 0)
				return true;
			wait = (int)left;
		}
		if (poll(p, 2, wait) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			got = read(p[i].fd, chunk, sizeof chunk);
			if (got > 0)
				buf_append(i == 0 ? out : errbuf, chunk, (size_t)got);
			else if (got == 0 || errno != EINTR)
				p[i].fd = -1;
		}
	}
	return false;
}

int
run_command(struct run_command *rc, sdc_error_t *err)
{
	struct buf errbuf = BUF_INIT, discard = BUF_INIT;
	int op[2] = { -1, -1 }, ep[2], status = 0, r;
	bool late;
	pid_t pid;

	rc->exit_code = -1;
	if (pipe2(ep, O_CLOEXEC) < 0)
		return sdc_make_error(err, errno, "pipe");
	if (rc->out != NULL && rc->log_path == NULL && pipe2(op, O_CLOEXEC) < 0) {
		close(ep[0]);
		close(ep[1]);
		return sdc_make_error(err, errno, "pipe");
	}
	r = run_spawn(rc, op[1], ep[1], &pid);
	close(ep[1]);
	if (op[1] >= 0)
		close(op[1]);
	if (r != 0) {
		close(ep[0]);
		if (op[0] >= 0)
			close(op[0]);
		return sdc_make_error(err, r, "running %s", rc->argv[0]);
	}
	/* With a log file the child has no end of the pipe: it reads as
	 * closed at once, and the wait below is for the child alone. */
	late = run_collect(op[0], ep[0], rc->out != NULL ? rc->out : &discard,
	    &errbuf, rc->timeout_ms);
	if (late)
		kill(pid, SIGKILL);
	close(ep[0]);
	if (op[0] >= 0)
		close(op[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf_free(&discard);
	run_trim(&errbuf);
	rc->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	if (late)
		sdc_make_error(err, ETIMEDOUT, "%s did not finish in %d ms: killed",
		    rc->argv[0], rc->timeout_ms);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		buf_free(&errbuf);
		return 0;
	} else if (errbuf.len > 0)
		sdc_make_error(err, 0, "%s", buf_str(&errbuf));
	else if (WIFEXITED(status))
		sdc_make_error(err, 0, "%s exited with status %d", rc->argv[0],
		    WEXITSTATUS(status));
	else
		sdc_make_error(err, 0, "%s was killed by signal %d", rc->argv[0],
		    WTERMSIG(status));
	buf_free(&errbuf);
	return -1;
}
