/*
 * stats.c: resource use from the container's cgroup files, for `docker
 * stats`.
 *
 * Read fresh on every call (a stream is the caller calling again each
 * second), from v1 files where a v1 hierarchy has the controller and from
 * v2 files otherwise.  Values are raw (bytes, nanoseconds); the daemon
 * shapes Docker's JSON, including the CPU percentage, which needs two
 * readings.  The host's CPU time is here too because that percentage
 * needs both taken at the same moment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

/* The whole (small) file into buf; 0 on success. */
static int
rt_stats_file(const char *dir, const char *name, char *buf, size_t len)
{
	char *path;
	FILE *f;
	size_t n;

	if (dir == NULL)
		return -1;
	xasprintf(&path, "%s/%s", dir, name);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

static int64_t
rt_stats_int(const char *dir, const char *name)
{
	char buf[64];

	if (rt_stats_file(dir, name, buf, sizeof buf) < 0 ||
	    strncmp(buf, "max", 3) == 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* The value of "key N" in a key-value file's text; -1 if absent. */
static int64_t
rt_stats_key(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, n) == 0 && (p[n] == ' ' || p[n] == '='))
			return strtoll(p + n + 1, NULL, 10);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

static void
rt_stats_memory(const char *dir, bool v2, struct rt_stats *s)
{
	char text[8192];

	s->memory_usage = rt_stats_int(dir, v2 ? "memory.current" :
	    "memory.usage_in_bytes");
	s->memory_max_usage = v2 ? rt_stats_int(dir, "memory.peak") :
	    rt_stats_int(dir, "memory.max_usage_in_bytes");
	s->memory_limit = rt_stats_int(dir, v2 ? "memory.max" :
	    "memory.limit_in_bytes");
	s->memory_failcnt = v2 ? -1 : rt_stats_int(dir, "memory.failcnt");
	s->memory_cache = s->memory_rss = -1;
	if (rt_stats_file(dir, "memory.stat", text, sizeof text) == 0) {
		s->memory_cache = rt_stats_key(text, v2 ? "file" : "cache");
		s->memory_rss = rt_stats_key(text, v2 ? "anon" : "rss");
	}
}

static void
rt_stats_cpu(const char *dir, bool v2, struct rt_stats *s)
{
	char text[4096], *p, *end;
	long tick = sysconf(_SC_CLK_TCK);
	int64_t v;

	s->cpu_total_ns = s->cpu_user_ns = s->cpu_system_ns = -1;
	if (v2) {
		if (rt_stats_file(dir, "cpu.stat", text, sizeof text) == 0) {
			s->cpu_total_ns = rt_stats_key(text, "usage_usec") * 1000;
			s->cpu_user_ns = rt_stats_key(text, "user_usec") * 1000;
			s->cpu_system_ns = rt_stats_key(text, "system_usec") * 1000;
		}
		return;
	}
	s->cpu_total_ns = rt_stats_int(dir, "cpuacct.usage");
	if (rt_stats_file(dir, "cpuacct.stat", text, sizeof text) == 0) {
		if ((v = rt_stats_key(text, "user")) >= 0)
			s->cpu_user_ns = v * (1000000000 / tick);
		if ((v = rt_stats_key(text, "system")) >= 0)
			s->cpu_system_ns = v * (1000000000 / tick);
	}
	if (rt_stats_file(dir, "cpuacct.usage_percpu", text, sizeof text) < 0)
		return;
	for (p = text; s->npercpu < 256; p = end) {
		v = strtoll(p, &end, 10);
		if (end == p)
			break;
		s->percpu_ns[s->npercpu++] = v;
	}
}

static void
rt_stats_host(struct rt_stats *s)
{
	char text[1024], *p, *end;
	long tick = sysconf(_SC_CLK_TCK);
	int64_t sum = 0, v;
	FILE *f = fopen("/proc/stat", "re");

	s->online_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	s->system_cpu_ns = -1;
	if (f == NULL)
		return;
	if (fgets(text, sizeof text, f) != NULL && strncmp(text, "cpu ", 4) == 0) {
		for (p = text + 4; (v = strtoll(p, &end, 10)), end != p; p = end)
			sum += v;
		s->system_cpu_ns = sum * (1000000000 / tick);
	}
	fclose(f);
}

static void
rt_stats_blkio(const char *dir, bool v2, struct rt_stats *s)
{
	char text[16384];
	struct rt_blkio *b;
	char *line, *save, op[16];
	unsigned long long rb, wb;
	unsigned maj, min;

	if (rt_stats_file(dir, v2 ? "io.stat" :
	    "blkio.throttle.io_service_bytes_recursive", text, sizeof text) < 0 &&
	    (v2 || rt_stats_file(dir, "blkio.throttle.io_service_bytes", text,
	    sizeof text) < 0))
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL && s->nblkio < 62;
	    line = strtok_r(NULL, "\n", &save)) {
		b = &s->blkio[s->nblkio];
		if (!v2 && sscanf(line, "%u:%u %15s %llu", &maj, &min, op,
		    &rb) == 4) {
			*b = (struct rt_blkio){ maj, min, "", rb };
			snprintf(b->op, sizeof b->op, "%s", op);
			s->nblkio++;
		} else if (v2 && sscanf(line, "%u:%u rbytes=%llu wbytes=%llu",
		    &maj, &min, &rb, &wb) == 4) {
			s->blkio[s->nblkio++] = (struct rt_blkio){ maj, min, "Read", rb };
			s->blkio[s->nblkio++] = (struct rt_blkio){ maj, min, "Write", wb };
		}
	}
}

static void
rt_stats_net(pid_t pid, struct rt_stats *s)
{
	char path[64], line[512], name[32];
	struct rt_netdev *d;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/net/dev", (long)pid);
	if (pid <= 0 || (f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL && s->nnet < 8) {
		char *colon = strchr(line, ':');

		if (colon == NULL)
			continue;
		*colon = ' ';
		d = &s->net[s->nnet];
		if (sscanf(line, "%31s %lu %lu %lu %lu %*u %*u %*u %*u %lu %lu %lu %lu",
		    name, &d->rx_bytes, &d->rx_packets, &d->rx_errors,
		    &d->rx_dropped, &d->tx_bytes, &d->tx_packets, &d->tx_errors,
		    &d->tx_dropped) == 9) {
			snprintf(d->name, sizeof d->name, "%s", name);
			s->nnet++;
		}
	}
	fclose(f);
}

int
rt_stats_read(const struct rt_config *cfg, const char *id,
    struct rt_stats *out, sdc_error_t *err)
{
	struct rt_state st;
	char *dir;
	bool v2;

	if (rt_state_read(cfg, id, &st, err) < 0)
		return -1;
	memset(out, 0, sizeof *out);
	clock_gettime(CLOCK_REALTIME, &out->read_at);
	dir = rt_cgroup_dir(cfg, id, "memory", &v2);
	rt_stats_memory(dir, v2, out);
	free(dir);
	dir = rt_cgroup_dir(cfg, id, "cpuacct", &v2);
	rt_stats_cpu(dir, v2, out);
	free(dir);
	dir = rt_cgroup_dir(cfg, id, "pids", &v2);
	out->pids_current = rt_stats_int(dir, "pids.current");
	out->pids_limit = rt_stats_int(dir, "pids.max");
	free(dir);
	dir = rt_cgroup_dir(cfg, id, "blkio", &v2);
	rt_stats_blkio(dir, v2, out);
	free(dir);
	rt_stats_host(out);
	if (st.status == RT_RUNNING || st.status == RT_PAUSED)
		rt_stats_net(st.pid, out);
	return 0;
}
