/*
 * userns-join.c: a container with a user namespace that joins another's
 * network namespace (--network container:X) joins X's user namespace
 * too, at each start.
 *
 * Why: `runc exec` (1.1) joins the container's namespaces in a fixed
 * order, the user namespace first.  A network namespace belongs to the
 * user namespace it was made in, X's (runc makes it there, the hook binds
 * it as the sandbox), and setns(2) into it needs CAP_SYS_ADMIN over that
 * owner: from inside a user namespace of its own, a sibling of X's, the
 * exec's process has none, and `docker exec` failed in runc's setns.  The
 * start itself got through only because runc joins the paths before it
 * makes the new user namespace, as the host's root.  Once the container
 * shares X's user namespace, both joins are the owner's, as with Docker's
 * userns-remap (one user namespace for every container).
 *
 * The two containers are one account's (a head refuses container:X of
 * another, an agent FilesOf of another): one range of host ids, so the
 * same mappings.  The runtime checks it anyway, since a create document
 * only names a sandbox: the owner's uid_map and gid_map, read through a
 * child that joined it, must be exactly the container's own, else the
 * start is refused.  The owner is bound at <dir>/userns and config.json's
 * user namespace names that path (runc writes no mappings for a joined
 * one); once the container runs the bind is detached, the container
 * holding the namespace.  A sandbox of the host's user namespace (made by
 * net_sandbox_create, the tests' drivers) leaves the config's new user
 * namespace as create wrote it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define RT_FILE_USERNS "userns"

/* The linux.namespaces entry of type, or NULL. */
static json_t *
rt_userns_join_ns(json_t *config, const char *type)
{
	json_t *ns;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(config, "linux"),
	    "namespaces"), i, ns)
		if (strcmp(json_string_value(json_object_get(ns, "type")) ?: "",
		    type) == 0)
			return ns;
	return NULL;
}

/* One line "INSIDE HOST COUNT" of a map file equal to 0 base count. */
static bool
rt_userns_join_map_is(const char *path, unsigned long base,
    unsigned long count)
{
	struct buf b = BUF_INIT;
	sdc_error_t err = NULL;
	unsigned long in, host, n;
	char tail;
	bool yes;

	if (file_read(path, &b, 4096, &err) < 0) {
		sdc_error_release(&err);
		return false;
	}
	yes = sscanf(buf_str(&b), "%lu %lu %lu %c", &in, &host, &n, &tail) == 3 &&
	    in == 0 && host == base && n == count;
	buf_free(&b);
	return yes;
}

/* Whether user namespace fd maps exactly m: a child joins it, its maps
 * are read from here (as the host sees them), and it is killed. */
static int
rt_userns_join_same(int fd, const struct rt_idmap *m, sdc_error_t *err)
{
	char *path, ok = 0;
	int p[2], status;
	bool same = false;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return sdc_make_error(err, errno, "pipe");
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return sdc_make_error(err, errno, "fork");
	}
	if (pid == 0) {
		char c = setns(fd, CLONE_NEWUSER) == 0 ? 1 : 0;

		if (write(p[1], &c, 1) == 1)
			pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &ok, 1) == 1 && ok == 1) {
		xasprintf(&path, "/proc/%d/uid_map", (int)pid);
		same = rt_userns_join_map_is(path, m->uid, m->count);
		free(path);
		xasprintf(&path, "/proc/%d/gid_map", (int)pid);
		same = same && rt_userns_join_map_is(path, m->gid, m->count);
		free(path);
	}
	close(p[0]);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ok != 1)
		return sdc_make_error(err, EPERM, "cannot read the user namespace "
		    "of the network namespace joined");
	if (!same)
		return sdc_make_error(err, EPERM, "the network namespace joined "
		    "belongs to a user namespace with other ids than the "
		    "container's");
	return 0;
}

int
rt_userns_join_prepare(const char *dir, const json_t *rt, sdc_error_t *err)
{
	struct rt_idmap m;
	json_t *config, *user, *net;
	char *path, *target;
	const char *netns;
	struct stat own, init;
	int nfd = -1, ufd = -1, tfd, rc = -1;

	rt_userns_from_json(json_object_get(rt, "idmap"), &m);
	xasprintf(&path, "%s/" RT_FILE_CONFIG, dir);
	xasprintf(&target, "%s/" RT_FILE_USERNS, dir);
	rt_userns_join_release(dir);
	if ((config = rt_json_read(path, err)) == NULL)
		goto out;
	user = rt_userns_join_ns(config, "user");
	net = rt_userns_join_ns(config, "network");
	netns = json_string_value(json_object_get(net, "path"));
	if (!rt_userns_on(&m) || user == NULL || netns == NULL) {
		rc = 0;			/* nothing joined: as create wrote it */
		goto out;
	}
	if ((nfd = open(netns, O_RDONLY | O_CLOEXEC)) < 0) {
		sdc_make_error(err, errno, "opening the network namespace joined");
		goto out;
	}
	if ((ufd = ioctl(nfd, NS_GET_USERNS)) < 0) {
		sdc_make_error(err, errno, "the owner of the network namespace "
		    "joined");
		goto out;
	}
	if (fstat(ufd, &own) < 0 || stat("/proc/self/ns/user", &init) < 0) {
		sdc_make_error(err, errno, "user namespaces");
		goto out;
	}
	if (own.st_ino == init.st_ino && own.st_dev == init.st_dev) {
		/* this process's own (the host's): a new one, as written */
		json_object_del(user, "path");
	} else {
		char src[64];

		if (rt_userns_join_same(ufd, &m, err) < 0)
			goto out;
		if ((tfd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC,
		    0600)) < 0) {
			sdc_make_error(err, errno, "making %s", target);
			goto out;
		}
		close(tfd);
		snprintf(src, sizeof src, "/proc/self/fd/%d", ufd);
		if (mount(src, target, NULL, MS_BIND, NULL) < 0) {
			sdc_make_error(err, errno, "binding the user namespace "
			    "joined");
			goto out;
		}
		json_object_set_new(user, "path", json_string(target));
	}
	rc = rt_json_write(path, config, err);
out:
	if (rc < 0)
		sdc_error_wrap(err, "the container's user namespace");
	if (ufd >= 0)
		close(ufd);
	if (nfd >= 0)
		close(nfd);
	json_decref(config);
	free(target);
	free(path);
	return rc;
}

void
rt_userns_join_release(const char *dir)
{
	char *target;

	xasprintf(&target, "%s/" RT_FILE_USERNS, dir);
	while (umount2(target, MNT_DETACH) == 0)
		;
	free(target);
}
