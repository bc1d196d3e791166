/*
 * runc.c: running the OCI runtime for the short commands (pause, resume,
 * delete), from the library.
 *
 * posix_spawn, not fork: the daemon may be large and threaded, and a
 * vfork-style spawn neither copies it nor runs anything unsafe between
 * fork and exec.  The runtime's stderr is captured and becomes the error
 * message as it stands, since runc's wording is what a user can act on.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

extern char **environ;

static void
rt_runc_trim(struct buf *b)
{
	while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
	    b->data[b->len - 1] == ' '))
		b->data[--b->len] = '\0';
}

int
rt_runc(const struct rt_config *cfg, const char *const *args, sdc_error_t *err)
{
	posix_spawn_file_actions_t fa;
	const char *argv[16];
	struct buf out = BUF_INIT;
	char chunk[512];
	int p[2], n = 0, status, rc;
	ssize_t got;
	pid_t pid;

	argv[n++] = rt_runtime(cfg);
	argv[n++] = "--root";
	argv[n++] = rt_runtime_root(cfg);
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return sdc_make_error(err, errno, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		return sdc_make_error(err, rc, "running %s", argv[0]);
	}
	while ((got = read(p[0], chunk, sizeof chunk)) > 0 ||
	    (got < 0 && errno == EINTR))
		if (got > 0)
			buf_append(&out, chunk, (size_t)got);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rt_runc_trim(&out);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		buf_free(&out);
		return 0;
	}
	if (out.len > 0)
		sdc_make_error(err, 0, "%s", buf_str(&out));
	else
		sdc_make_error(err, 0, "%s %s failed", argv[0], argv[3]);
	buf_free(&out);
	return -1;
}

/* Whether the runtime still has state for id (a container it knows). */
bool
rt_runc_known(const struct rt_config *cfg, const char *id)
{
	struct stat st;
	char *path;
	bool known;

	xasprintf(&path, "%s/%s", rt_runtime_root(cfg), id);
	known = stat(path, &st) == 0;
	free(path);
	return known;
}
