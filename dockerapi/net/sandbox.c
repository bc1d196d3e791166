/*
 * sandbox.c: a container's network namespace, made before the runtime
 * starts it and kept by a bind mount at <run>/netns/<container id>.
 *
 * A short thread unshares its network namespace (a per-thread change
 * that ends with the thread), binds /proc/thread-self/ns/net on the file,
 * and brings lo up through a netlink socket made there.  The file is a
 * mount, so it outlives the daemon: a restarted daemon finds running
 * containers' sandboxes where it left them, and net_sandbox_create on one
 * that exists keeps it.  <run>/netns is made a private mount point of its
 * own first (as `ip netns` makes /run/netns one), so on a host whose /
 * is shared (systemd) these mounts do not propagate into other mount
 * namespaces, where a copy would keep a namespace (and its veths) alive
 * after we unmount ours.
 *
 * Destroy removes the container's port rules, unmounts and unlinks; every
 * step accepts what is already gone.  The namespace dies when nothing
 * holds it (the container's processes are gone by then) and the kernel
 * deletes its veths with it, batched, on a worker of its own: deleting a
 * link ourselves waits for an RCU grace period, some 15 ms each, on the
 * daemon's loop thread.  A veth that a lingering process keeps alive is
 * net_sweep's (its alias names a container that is gone).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <netlink/netlink.h>

#include "fsutil.h"
#include "xalloc.h"
#include "dockerapi/net/internal.h"

/* Whether path is a namespace bound there (nsfs). */
static bool
net_sandbox_is_ns(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

/* <run>/netns, a private mount point. */
static int
net_sandbox_dir(const struct net_config *cfg, sdc_error_t *err)
{
	char *dir = net_netns_dir(cfg);
	int rc = 0;

	if (mkdir_p(dir, 0755, err) < 0)
		rc = -1;
	else if (mount(NULL, dir, NULL, MS_PRIVATE, NULL) < 0) {
		/* EINVAL: not a mount point yet */
		if (errno != EINVAL || mount(dir, dir, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, dir, NULL, MS_PRIVATE, NULL) < 0)
			rc = sdc_make_error(err, errno, "making %s a private "
			    "mount point", dir);
	}
	free(dir);
	return rc;
}

struct net_sandbox_job {
	const char *path;
	int errnum;
	const char *what;
	sdc_error_t err;
};

static void *
net_sandbox_thread(void *arg)
{
	struct net_sandbox_job *j = arg;
	struct nl_sock *sk;
	char self[64];
	int fd;

	if (unshare(CLONE_NEWNET) < 0) {
		j->errnum = errno;
		j->what = "a new network namespace";
		return NULL;
	}
	if ((fd = open(j->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0444)) < 0) {
		j->errnum = errno;
		j->what = "creating the file";
		return NULL;
	}
	close(fd);
	snprintf(self, sizeof self, "/proc/self/task/%ld/ns/net",
	    (long)syscall(SYS_gettid));
	if (mount(self, j->path, NULL, MS_BIND, NULL) < 0) {
		j->errnum = errno;
		j->what = "binding the namespace on it";
		unlink(j->path);
		return NULL;
	}
	if ((sk = net_nl_open(&j->err)) == NULL ||
	    net_link_lo_up(sk, &j->err) < 0)
		j->what = "bringing up lo";
	net_nl_close(sk);
	return NULL;
}

int
net_sandbox_create(const struct net_config *cfg, const char *container_id,
    char **path, sdc_error_t *err)
{
	struct net_sandbox_job j = { .errnum = 0 };
	pthread_t t;
	int e;

	*path = NULL;
	if (net_id_check("container", container_id, err) < 0 ||
	    net_sandbox_dir(cfg, err) < 0)
		return -1;
	j.path = *path = net_netns_path(cfg, container_id);
	if (net_sandbox_is_ns(j.path))
		return 0;
	if ((e = pthread_create(&t, NULL, net_sandbox_thread, &j)) != 0) {
		j.errnum = e;
		j.what = "starting a thread";
	} else
		pthread_join(t, NULL);
	if (j.err != NULL) {
		*err = j.err;
		sdc_error_wrap(err, "sandbox %s: %s", j.path, j.what);
	} else if (j.what != NULL)
		sdc_make_error(err, j.errnum, "sandbox %s: %s", j.path, j.what);
	else
		return 0;
	if (net_sandbox_is_ns(j.path))
		umount2(j.path, MNT_DETACH);
	free(*path);
	*path = NULL;
	return -1;
}

/* Unmount and unlink one sandbox file. */
int
net_sandbox_remove_path(const char *path, sdc_error_t *err)
{
	while (umount2(path, MNT_DETACH) == 0)
		;
	if (unlink(path) < 0 && errno != ENOENT)
		return sdc_make_error(err, errno, "removing %s", path);
	return 0;
}

int
net_sandbox_unbind(const struct net_config *cfg, const char *container_id,
    sdc_error_t *err)
{
	char *path;
	int rc;

	if (net_id_check("container", container_id, err) < 0)
		return -1;
	path = net_netns_path(cfg, container_id);
	rc = net_sandbox_remove_path(path, err);
	free(path);
	return rc;
}

int
net_sandbox_bind(const struct net_config *cfg, const char *container_id,
    const char *ns_path, sdc_error_t *err)
{
	char *path;
	int fd, rc = 0;

	if (net_id_check("container", container_id, err) < 0 ||
	    net_sandbox_dir(cfg, err) < 0)
		return -1;
	path = net_netns_path(cfg, container_id);
	/* a previous run's, if its teardown has not run yet */
	if (net_sandbox_remove_path(path, err) < 0) {
		free(path);
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0444)) < 0)
		rc = sdc_make_error(err, errno, "sandbox %s: creating the "
		    "file", path);
	else {
		close(fd);
		if (mount(ns_path, path, NULL, MS_BIND, NULL) < 0) {
			rc = sdc_make_error(err, errno, "sandbox %s: binding "
			    "%s on it", path, ns_path);
			unlink(path);
		}
	}
	free(path);
	return rc;
}

bool
net_sandbox_exists(const struct net_config *cfg, const char *container_id)
{
	char *path;
	bool yes;

	if (!net_id_ok(container_id))
		return false;
	path = net_netns_path(cfg, container_id);
	yes = net_sandbox_is_ns(path);
	free(path);
	return yes;
}
