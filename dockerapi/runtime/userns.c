/*
 * userns.c: a container in a user namespace of its account's own, with
 * the image layers still shared on disk through idmapped mounts.
 *
 * Each account has a range of host ids (dockerapi allocates it once and
 * records it in its store); rt_spec.idmap names it.  The container's ids
 * 0..count-1 are the host's uid..uid+count-1: its root is an unprivileged
 * host user that owns nothing outside the range, so a capability it holds
 * is a capability over its own namespaces only, and two accounts' ranges
 * never meet.
 *
 * The layers are extracted once per node with the ids of the image (root
 * files owned by 0, an app's by 1000, ...) and used by every account.
 * Copying or chowning them per account would cost the copy and the disk;
 * instead each lower layer is given to the overlay as an idmapped mount:
 * open_tree(OPEN_TREE_CLONE) makes a private, detached copy of the layer's
 * mount, mount_setattr(MOUNT_ATTR_IDMAP) with a user namespace holding the
 * account's mapping makes on-disk id k appear as host id uid+k, and the
 * overlay takes it as lowerdir=/proc/self/fd/N (recent kernels, 6.18
 * here, accept a detached mount as a layer; the overlay keeps its own
 * reference, so the fd is closed right after and nothing is left in the
 * host's mount table).  Inside the namespace uid+k is k again: a file the
 * image gives to 1000 shows as 1000, a setuid-root binary makes its caller
 * the container's root.  The writable layer (rw/upper, rw/work) is a plain
 * folder owned by uid:gid, so what the container writes is owned on the
 * host by the account's ids, never by host root.
 *
 * runc (as host root) makes the namespace from linux.uidMappings and
 * gidMappings and the cgroups as before; the container's init then runs
 * as the mapped root, which must be able to walk to the bundle: the
 * container's folder is given to the mapped root's group with mode 0710
 * (no listing, no other user), and the files bound into it (/etc/hosts,
 * /etc/hostname) and the writable layer to the mapped root.
 *
 * The namespace that carries the mapping for mount_setattr is made by a
 * child cloned into a new user namespace that exits at once; the parent
 * writes its maps, as host root, and opens /proc/<child>/ns/user before
 * reaping it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/mount.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

bool
rt_userns_on(const struct rt_idmap *m)
{
	return m != NULL && m->count > 0;
}

int
rt_userns_check(const struct rt_idmap *m, sdc_error_t *err)
{
	if (!rt_userns_on(m))
		return 0;
	if (m->uid == 0 || m->gid == 0 ||
	    (uint64_t)m->uid + m->count > UINT32_MAX ||
	    (uint64_t)m->gid + m->count > UINT32_MAX)
		return sdc_make_error(err, 0, "user namespace mapping %u:%u:%u "
		    "must map to host ids above 0 and below 2^32",
		    (unsigned)m->uid, (unsigned)m->gid, (unsigned)m->count);
	return 0;
}

json_t *
rt_userns_json(const struct rt_idmap *m)
{
	if (!rt_userns_on(m))
		return json_null();
	return json_pack("{s:I,s:I,s:I}", "uid", (json_int_t)m->uid, "gid",
	    (json_int_t)m->gid, "count", (json_int_t)m->count);
}

void
rt_userns_from_json(const json_t *j, struct rt_idmap *m)
{
	m->uid = (uid_t)json_integer_value(json_object_get(j, "uid"));
	m->gid = (gid_t)json_integer_value(json_object_get(j, "gid"));
	m->count = (uint32_t)json_integer_value(json_object_get(j, "count"));
}

static int
rt_userns_map(pid_t pid, const char *file, unsigned base, unsigned count,
    sdc_error_t *err)
{
	char path[64], map[64];
	int fd, n, rc = 0;

	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, file);
	n = snprintf(map, sizeof map, "0 %u %u\n", base, count);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 ||
	    write(fd, map, (size_t)n) != n)
		rc = sdc_make_error(err, errno, "writing %s", path);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* An fd of a user namespace with the mapping.  The child that makes it
 * exits at once: its maps and namespace stay reachable through /proc
 * until it is reaped (its exit signal is 0, so it is never reaped behind
 * our back), and the parent never waits for it to be scheduled, which
 * on a loaded host costs more than the rest of a create. */
static int
rt_userns_fd(const struct rt_idmap *m, sdc_error_t *err)
{
	char path[64];
	int fd = -1, status;
	pid_t pid;

	/* Like fork, without its handlers: the child only exits. */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER, NULL, NULL, NULL, NULL);
	if (pid == 0)
		syscall(SYS_exit, 0);
	if (pid < 0)
		return sdc_make_error(err, errno, "making a user namespace");
	if (rt_userns_map(pid, "uid_map", m->uid, m->count, err) == 0 &&
	    rt_userns_map(pid, "gid_map", m->gid, m->count, err) == 0) {
		snprintf(path, sizeof path, "/proc/%ld/ns/user", (long)pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			sdc_make_error(err, errno, "opening %s", path);
	}
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
	return fd;
}

/* Detached idmapped copies of the layers' mounts, one fd each, in fds. */
int
rt_userns_layers(const json_t *layers, const struct rt_idmap *m, int *fds,
    sdc_error_t *err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
	size_t i, n = json_array_size(layers);
	const char *l;
	int ns, rc = 0;

	for (i = 0; i < n; i++)
		fds[i] = -1;
	if ((ns = rt_userns_fd(m, err)) < 0)
		return sdc_error_wrap(err, "the account's user namespace");
	attr.userns_fd = (uint64_t)ns;
	for (i = 0; i < n && rc == 0; i++) {
		l = json_string_value(json_array_get(layers, i));
		fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, l != NULL ? l : "",
		    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fds[i] < 0)
			rc = sdc_make_error(err, errno, "opening layer %s", l);
		else if (syscall(SYS_mount_setattr, fds[i], "", AT_EMPTY_PATH,
		    &attr, sizeof attr) < 0)
			rc = sdc_make_error(err, errno, "idmapping layer %s", l);
	}
	close(ns);
	if (rc < 0)
		rt_userns_close(fds, n);
	return rc;
}

void
rt_userns_close(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

static int
rt_userns_chown(const char *dir, const char *name, uid_t uid, gid_t gid,
    sdc_error_t *err)
{
	char *p;
	int rc = 0;

	xasprintf(&p, "%s/%s", dir, name);
	if (lchown(p, uid, gid) < 0)
		rc = sdc_make_error(err, errno, "giving %s to the container's "
		    "root", p);
	free(p);
	return rc;
}

/* The writable layer, to the mapped root (again after a reboot emptied a
 * tmpfs one). */
int
rt_userns_own_rw(const char *dir, const struct rt_idmap *m, sdc_error_t *err)
{
	if (!rt_userns_on(m))
		return 0;
	if (rt_userns_chown(dir, RT_DIR_UPPER, m->uid, m->gid, err) < 0 ||
	    rt_userns_chown(dir, RT_DIR_WORK, m->uid, m->gid, err) < 0)
		return -1;
	return 0;
}

/* The folder, for the mapped root to walk to the bundle, and the files
 * bound into the container. */
int
rt_userns_own_dir(const char *dir, const struct rt_idmap *m, sdc_error_t *err)
{
	if (!rt_userns_on(m))
		return 0;
	if (chown(dir, 0, m->gid) < 0 || chmod(dir, 0710) < 0)
		return sdc_make_error(err, errno, "opening %s to the container's "
		    "root", dir);
	if (rt_userns_chown(dir, RT_FILE_HOSTS, m->uid, m->gid, err) < 0 ||
	    rt_userns_chown(dir, RT_FILE_HOSTNAME, m->uid, m->gid, err) < 0)
		return -1;
	return 0;
}

/* The user namespace and its mappings in config.json. */
int
rt_userns_apply(json_t *config, const struct rt_idmap *m, sdc_error_t *err)
{
	json_t *linux = json_object_get(config, "linux"), *map;

	if (!rt_userns_on(m))
		return 0;
	if (rt_userns_check(m, err) < 0)
		return -1;
	json_array_append_new(json_object_get(linux, "namespaces"),
	    json_pack("{s:s}", "type", "user"));
	map = json_pack("[{s:i,s:I,s:I}]", "containerID", 0, "hostID",
	    (json_int_t)m->uid, "size", (json_int_t)m->count);
	json_object_set_new(linux, "uidMappings", map);
	map = json_pack("[{s:i,s:I,s:I}]", "containerID", 0, "hostID",
	    (json_int_t)m->gid, "size", (json_int_t)m->count);
	json_object_set_new(linux, "gidMappings", map);
	return 0;
}
