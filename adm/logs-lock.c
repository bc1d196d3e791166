/*
 * logs-lock.c: one log cleanup at a time on a zones root.
 *
 * The lock is flock() on a file in the zones root itself, so two crons on
 * one node serialise, while tests (and nodes) with different roots never
 * see each other, and it needs no /run directory to exist.  The name starts
 * with a dot and is not a UUID, so nothing that walks containers trips over
 * it.  It is opened relative to the root's descriptor with O_NOFOLLOW, so a
 * symlink planted under that name cannot make us create or truncate a file
 * elsewhere.  flock() locks die with the process, so a crashed run never
 * leaves a stale lock behind; the holder writes its pid into the file only
 * so the one refused can say who holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "adm.h"

#define LOCK_POLL_MS 100

static long
lock_holder(int fd)
{
	char buf[32];
	ssize_t n;
	long pid = 0;

	n = pread(fd, buf, sizeof buf - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		sscanf(buf, "%ld", &pid);
	}
	return pid;
}

static void
lock_note_pid(int fd)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) < 0)
		return;	/* only informative */
}

static void
lock_announce(struct logs_lock *l, const struct logs_tree *t)
{
	long pid = lock_holder(l->fd);
	char who[48] = "another logs cleanup";

	if (pid > 0)
		snprintf(who, sizeof who, "another logs cleanup (pid %ld)", pid);
	fprintf(stderr, "%s logs cleanup: waiting for %s, which holds %s/%s\n",
	    ADM_PROGRAM, who, t->path, LOGS_LOCK_NAME);
}

static int
lock_busy(struct logs_lock *l, const struct logs_tree *t, sdc_error_t *err)
{
	long pid = lock_holder(l->fd);

	logs_lock_release(l);
	if (pid > 0)
		sdc_make_error_code(err, EWOULDBLOCK, "another logs cleanup "
		    "(pid %ld) holds %s/%s", pid, t->path, LOGS_LOCK_NAME);
	else
		sdc_make_error_code(err, EWOULDBLOCK, "another logs cleanup "
		    "holds %s/%s", t->path, LOGS_LOCK_NAME);
	return -1;
}

int
logs_lock_take(struct logs_lock *l, const struct logs_tree *t, int wait_secs,
    bool announce, sdc_error_t *err)
{
	const struct timespec poll = { 0, LOCK_POLL_MS * 1000000L };
	long waited_ms = 0;
	bool said = false;

	l->fd = openat(t->rootfd, LOGS_LOCK_NAME,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (l->fd < 0)
		return sdc_make_error(err, errno, "cannot open lock %s/%s",
		    t->path, LOGS_LOCK_NAME);
	while (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			sdc_make_error(err, errno, "cannot lock %s/%s", t->path,
			    LOGS_LOCK_NAME);
			logs_lock_release(l);
			return -1;
		}
		if (wait_secs >= 0 && waited_ms >= (long)wait_secs * 1000)
			return lock_busy(l, t, err);
		if (announce && !said) {
			lock_announce(l, t);
			said = true;
		}
		nanosleep(&poll, NULL);
		waited_ms += LOCK_POLL_MS;
	}
	lock_note_pid(l->fd);
	return 0;
}

void
logs_lock_release(struct logs_lock *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
