/*
 * top.c: the container's processes, for `docker top`.
 *
 * The list of pids is the container's cgroup (cgroup.procs), which holds
 * exactly its processes, exec'd ones included, whatever namespaces they
 * see; each is then read from /proc.  Pids are host pids, which is what
 * dockerd shows too.
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
rt_top_file(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
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

static int
rt_top_proc(pid_t pid, struct rt_proc *p)
{
	char buf[4096], *s, *uid;
	long long ut, st;
	int tty, ppid;
	ssize_t n, i;

	memset(p, 0, sizeof *p);
	p->pid = pid;
	if (rt_top_file(pid, "stat", buf, sizeof buf) < 0 ||
	    (s = strrchr(buf, ')')) == NULL ||
	    sscanf(s + 2, "%c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %lld %lld "
	    "%*d %*d %*d %*d %*d %*d %lld", &p->state, &ppid, &tty, &ut, &st,
	    &p->start_ticks) != 6)
		return -1;
	p->ppid = ppid;
	p->cpu_ticks = ut + st;
	rt_top_tty(tty, p->tty, sizeof p->tty);
	if (rt_top_file(pid, "status", buf, sizeof buf) >= 0 &&
	    (uid = strstr(buf, "\nUid:")) != NULL)
		p->uid = (uid_t)strtoul(uid + 5, NULL, 10);
	if ((n = rt_top_file(pid, "cmdline", buf, sizeof buf)) > 0) {
		for (i = 0; i < n - 1; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		snprintf(p->cmd, sizeof p->cmd, "%.255s", buf);
	} else if (rt_top_file(pid, "comm", buf, sizeof buf) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(p->cmd, sizeof p->cmd, "[%.250s]", buf);
	}
	return 0;
}

int
rt_top_read(const struct rt_config *cfg, const char *id,
    struct rt_proc **procs, size_t *n, sdc_error_t *err)
{
	struct rt_state st;
	char *dir, *path;
	size_t cap = 0;
	long pid;
	FILE *f;

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
	while (fscanf(f, "%ld", &pid) == 1) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			*procs = xrealloc(*procs, cap * sizeof **procs);
		}
		if (rt_top_proc((pid_t)pid, &(*procs)[*n]) == 0)
			(*n)++;
	}
	fclose(f);
	return 0;
}
