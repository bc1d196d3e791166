/*
 * top.c: the container's processes, for `docker top`.
 *
 * The list of pids is the container's cgroup (cgroup.procs), which holds
 * exactly its processes, exec'd ones included, whatever namespaces they
 * see.  A pid is only a number, and the process it named may exit and
 * the number go to another process, the host's or another tenant's,
 * between the read of cgroup.procs and the read of /proc.  So each
 * process is read through a descriptor of its /proc folder (which stays
 * bound to that one process: once it exits, reads through it fail), and
 * the first thing read through it is its cgroup, which must still be the
 * container's.  A process that is gone or has left is skipped.
 *
 * Pids are host pids, as dockerd shows them.  Uids are those seen in the
 * container (through the process's uid_map, the identity without a user
 * namespace), and their names come from the container's own /etc/passwd,
 * never the host's.  The columns are ps.c's; ps itself never runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

static ssize_t
rt_top_file(int dfd, const char *name, char *buf, size_t len)
{
	ssize_t n = 0, got = 0;
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while ((size_t)got < len - 1 &&
	    (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	if (got == 0 && n < 0)
		return -1;
	buf[got] = '\0';
	return got;
}

static void
rt_top_tty(int nr, char *out, size_t len)
{
	unsigned major = ((unsigned)nr >> 8) & 0xfff;
	unsigned minor = ((unsigned)nr & 0xff) | (((unsigned)nr >> 12) & 0xfff00);

	if (nr == 0)
		snprintf(out, len, "?");
	else if (major >= 136 && major <= 143)
		snprintf(out, len, "pts/%u", (major - 136) * 256 + minor);
	else if (major == 4)
		snprintf(out, len, "tty%u", minor);
	else
		snprintf(out, len, "%u:%u", major, minor);
}

/* The process is (still) in the cgroup rel ("/<parent>/<id>") or below. */
static bool
rt_top_member(int dfd, const char *rel)
{
	char buf[8192], *line, *save, *path;
	size_t n = strlen(rel);

	if (rt_top_file(dfd, "cgroup", buf, sizeof buf) < 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		/* "ID:CONTROLLERS:PATH" */
		if ((path = strchr(line, ':')) == NULL ||
		    (path = strchr(path + 1, ':')) == NULL)
			continue;
		path++;
		if (strncmp(path, rel, n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

/* A host uid as the process's user namespace sees it. */
static uid_t
rt_top_uid_inside(int dfd, uid_t host)
{
	char buf[1024], *line, *save;
	unsigned long in, out, count;

	if (rt_top_file(dfd, "uid_map", buf, sizeof buf) < 0)
		return host;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%lu %lu %lu", &in, &out, &count) == 3 &&
		    host >= out && host - out < count)
			return (uid_t)(in + (host - out));
	return host;
}

static int
rt_top_proc(int dfd, pid_t pid, struct rt_proc *p)
{
	char buf[4096], *s, *e;
	unsigned long long vsize, start;
	long long ut, st, rss;
	unsigned long euid;
	int tty, ppid, pgrp, sid, tpgid;
	ssize_t n, i;

	memset(p, 0, sizeof *p);
	p->pid = pid;
	if (rt_top_file(dfd, "stat", buf, sizeof buf) < 0 ||
	    (s = strchr(buf, '(')) == NULL)
		return -1;
	if ((e = strrchr(buf, ')')) == NULL)
		return -1;
	snprintf(p->comm, sizeof p->comm, "%.*s", (int)(e - s - 1), s + 1);
	s = e;
	if (
	    sscanf(s + 2, "%c %d %d %d %d %d %*u %*u %*u %*u %*u %lld %lld "
	    "%*d %*d %*d %d %ld %*d %llu %llu %lld", &p->state, &ppid, &pgrp,
	    &sid, &tty, &tpgid, &ut, &st, &p->nice, &p->nlwp, &start, &vsize,
	    &rss) != 13)
		return -1;
	p->ppid = ppid;
	p->pgrp = pgrp;
	p->sid = sid;
	p->tpgid = tpgid;
	p->cpu_ticks = ut + st;
	p->start_ticks = (long long)start;
	p->vsz_kb = vsize / 1024;
	p->rss_kb = rss > 0 ? (unsigned long long)rss *
	    (unsigned long long)sysconf(_SC_PAGESIZE) / 1024 : 0;
	rt_top_tty(tty, p->tty, sizeof p->tty);
	if (rt_top_file(dfd, "status", buf, sizeof buf) < 0)
		return -1;
	/* "Uid: real effective saved fs": ps's user is the effective one */
	if ((s = strstr(buf, "\nUid:")) != NULL &&
	    sscanf(s + 5, "%*u %lu", &euid) == 1)
		p->uid = rt_top_uid_inside(dfd, (uid_t)euid);
	if ((s = strstr(buf, "\nVmLck:")) != NULL)
		p->locked = strtoul(s + 7, NULL, 10) > 0;
	if ((n = rt_top_file(dfd, "cmdline", buf, sizeof buf)) < 0)
		return -1;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	snprintf(p->cmd, sizeof p->cmd, "%s", buf);
	return 0;
}

int
rt_top_read(const struct rt_config *cfg, const char *id,
    struct rt_proc **procs, size_t *n, sdc_error_t *err)
{
	struct rt_state st;
	char *dir, *path, *rel, proc[64];
	size_t cap = 0;
	long pid;
	FILE *f;
	int dfd;

	*procs = NULL;
	*n = 0;
	if (rt_state_read(cfg, id, &st, err) < 0)
		return -1;
	if (st.status != RT_RUNNING && st.status != RT_PAUSED)
		return sdc_make_error(err, 0, "Container %s is not running", id);
	if ((dir = rt_cgroup_dir(cfg, id, "pids", NULL)) == NULL)
		return sdc_make_error(err, 0, "no cgroup for %s", id);
	xasprintf(&path, "%s/cgroup.procs", dir);
	free(dir);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return sdc_make_error(err, errno, "reading the processes of %s", id);
	rel = rt_cgroups_path(cfg, id);
	while (fscanf(f, "%ld", &pid) == 1) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			*procs = xrealloc(*procs, cap * sizeof **procs);
		}
		snprintf(proc, sizeof proc, "/proc/%ld", pid);
		if ((dfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		if (rt_top_member(dfd, rel) &&
		    rt_top_proc(dfd, (pid_t)pid, &(*procs)[*n]) == 0)
			(*n)++;
		close(dfd);
	}
	free(rel);
	fclose(f);
	return 0;
}

/* --- the whole of `docker top` --- */

struct rt_top_names {
	const char *rootfs;
	struct { uid_t uid; bool found; char name[64]; } c[32];
	size_t n;
};

static const char *
rt_top_user(uid_t uid, void *arg)
{
	struct rt_top_names *t = arg;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->c[i].uid == uid)
			return t->c[i].found ? t->c[i].name : NULL;
	if (t->n == sizeof t->c / sizeof t->c[0])
		t->n = 0;
	i = t->n++;
	t->c[i].uid = uid;
	t->c[i].found = rt_user_name(t->rootfs, uid, t->c[i].name,
	    sizeof t->c[i].name);
	return t->c[i].found ? t->c[i].name : NULL;
}

static void
rt_top_host(struct rt_ps_env *env)
{
	char line[256];
	FILE *f;

	if ((f = fopen("/proc/stat", "re")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL)
			if (sscanf(line, "btime %lld", &env->boot) == 1)
				break;
		fclose(f);
	}
	if ((f = fopen("/proc/meminfo", "re")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL)
			if (sscanf(line, "MemTotal: %llu", &env->mem_total_kb) == 1)
				break;
		fclose(f);
	}
	env->hz = sysconf(_SC_CLK_TCK);
	env->now = time(NULL);
}

int
rt_top(const struct rt_config *cfg, const char *id, const char *ps_args,
    struct json_t **out, sdc_error_t *err)
{
	struct rt_top_names names = { .n = 0 };
	struct rt_ps_env env = { .user = rt_top_user, .arg = &names };
	struct rt_proc *procs = NULL;
	struct rt_ps *ps;
	size_t n = 0;
	char *rootfs;

	if ((ps = rt_ps_parse(ps_args, err)) == NULL)
		return -1;
	if (rt_top_read(cfg, id, &procs, &n, err) < 0) {
		rt_ps_free(ps);
		return -1;
	}
	rootfs = rt_path(cfg, id, RT_DIR_ROOT);
	names.rootfs = rootfs;
	rt_top_host(&env);
	*out = rt_ps_format(ps, procs, n, &env);
	free(rootfs);
	free(procs);
	rt_ps_free(ps);
	return 0;
}
