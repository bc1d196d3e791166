/*
 * lxcfs.c: what a container sees of its own size.
 *
 * /proc/meminfo, cpuinfo, stat, uptime, swaps and diskstats describe the
 * whole host, so inside a 128 MiB container `free` would show 24 GiB and
 * `top` every CPU's load.  Debian's lxcfs serves the same files from a
 * FUSE mount, each answered for the cgroup of the process reading it;
 * the runtime binds them over the container's /proc (runtime/bundle.c),
 * as LXD and Docker users with lxcfs do.
 *
 * One lxcfs serves the node, at LXCFS_DIR, Debian's own mount point: one
 * already running there (lxcfs.service) is used as it is; otherwise the
 * daemon starts one, detached through setsid -f so that it outlives a
 * restart of dockerapi as the monitors do, and waits for its mount.  It is
 * checked by reading its meminfo.  Two daemons starting at once on one
 * node (tests' daemons do) take turns through a lock beside the mount
 * point, or the second would lift the mount the first just made.  Where it cannot run (no FUSE, say),
 * containers start with the host's view and the log says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "containers.h"
#include "log.h"
#include "run-command.h"

#define LXCFS_DIR "/var/lib/lxcfs"
#define LXCFS_WAIT_MS 5000

/* Is dir a mounted lxcfs (its fstype in mountinfo is fuse.lxcfs)? */
static bool
lxcfs_mounted(const char *dir)
{
	char line[4096], want[PATH_MAX + 4];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return false;
	snprintf(want, sizeof want, " %s ", dir);
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strstr(line, want) != NULL && strstr(line, " - fuse.lxcfs ") != NULL;
	fclose(f);
	return found;
}

/* Does it answer? A mount whose daemon died reads as ENOTCONN. */
static bool
lxcfs_answers(const char *dir)
{
	char path[PATH_MAX], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/proc/meminfo", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof buf);
	close(fd);
	return n > 0 && strncmp(buf, "MemTotal:", 9) == 0;
}

static int
lxcfs_start(const char *dir, sdc_error_t *err)
{
	char pidfile[PATH_MAX], logfile[PATH_MAX];
	const char *argv[] = { "setsid", "-f", "lxcfs", "--enable-cfs", "-p",
		pidfile, dir, NULL };
	struct run_command rc = { .argv = argv, .timeout_ms = LXCFS_WAIT_MS,
		.log_path = logfile };
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	snprintf(pidfile, sizeof pidfile, "%s.pid", dir);
	snprintf(logfile, sizeof logfile, "%s.log", dir);
	/* A mount left by a dead lxcfs answers nothing: lift it first. */
	if (lxcfs_mounted(dir))
		umount2(dir, MNT_DETACH);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return sdc_make_error(err, errno, "mkdir %s", dir);
	if (run_command(&rc, err) < 0)
		return sdc_error_wrap(err, "starting lxcfs");
	for (int waited = 0; waited < LXCFS_WAIT_MS; waited += 20) {
		if (lxcfs_mounted(dir) && lxcfs_answers(dir))
			return 0;
		nanosleep(&pause, NULL);
	}
	return sdc_make_error(err, 0, "lxcfs did not mount %s in %d s (see %s)",
	    dir, LXCFS_WAIT_MS / 1000, logfile);
}

void
lxcfs_init(struct containers *cs)
{
	sdc_error_t err = NULL;

	int lock = open(LXCFS_DIR ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int rc;

	cs->rt.lxcfs_dir = NULL;
	if (lock >= 0)
		flock(lock, LOCK_EX);
	rc = !(lxcfs_mounted(LXCFS_DIR) && lxcfs_answers(LXCFS_DIR)) ?
	    lxcfs_start(LXCFS_DIR, &err) : 0;
	if (lock >= 0)
		close(lock);
	if (rc < 0) {
		log_warn("lxcfs: %s; containers see the host's /proc/meminfo, "
		    "cpuinfo, stat and uptime", sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	cs->rt.lxcfs_dir = LXCFS_DIR;
	log_info("lxcfs: containers see their own size through %s", LXCFS_DIR);
}
