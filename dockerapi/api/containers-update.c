/*
 * containers-update.c: POST /containers/:id/update (docker update).
 *
 * A container's limits are its package's (packages.c): what it was
 * created with is the ceiling, and an update may move any limit the
 * runtime can change on a live container anywhere below it (memory,
 * memory reservation, CPU quota and period, --cpus, shares, cpuset, pids,
 * blkio weight where the kernel weighs I/O) and change the restart
 * policy.  Raising a limit above the package, making one unlimited, or
 * asking for anything update cannot do is refused with a 400 naming the
 * field, before anything changes: nothing is half applied.
 *
 * The Docker CLI sends every field of UpdateConfig, unset ones as zero,
 * "" or null, which dockerd reads as "unchanged"; so do we, for every
 * field, refused ones included.  The new values go to the runtime
 * (runtime/update.c: runc update when running, config.json for the next
 * starts) and then to the container's row, so inspect and a restart of
 * the container or of the daemon show them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containers.h"
#include "jsonutil.h"
#include "node-calls.h"
#include "xalloc.h"

#define MIB (1024LL * 1024)
#define MIN_MEMORY (6 * MIB)		/* dockerd's minimum */
#define DEFAULT_PERIOD 100000

struct upd_ctx {
	const struct package *pkg;
	const json_t *hc;		/* the container's HostConfig now */
	json_t *set;			/* the HostConfig keys changed */
	struct rt_resources r;
	bool resources;			/* a limit changes */
};

struct upd_field {
	const char *key;
	const char *flag;
	/* NULL: refused unless unset, for the reason given */
	int (*fn)(struct upd_ctx *u, const struct upd_field *f,
	    const json_t *v, sdc_error_t *err);
	const char *why;
};

static int
upd_fail(const struct upd_field *f, sdc_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "Memory (--memory): ..." */
static int
upd_fail(const struct upd_field *f, sdc_error_t *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = opt_field_vfail(err, f->key, f->flag, fmt, ap);
	va_end(ap);
	return rc;
}

static int
upd_int(const struct upd_field *f, const json_t *v, json_int_t *out,
    sdc_error_t *err)
{
	*out = 0;
	if (!json_is_integer(v))
		return upd_fail(f, err, "must be an integer");
	*out = json_integer_value(v);
	return 0;
}

static int
upd_memory(struct upd_ctx *u, const struct upd_field *f, const json_t *v,
    sdc_error_t *err)
{
	json_int_t n;

	if (upd_int(f, v, &n, err) < 0)
		return -1;
	if (n < 0)
		return upd_fail(f, err, "unlimited memory is more than the "
		    "package's (%s, %lld MiB)", u->pkg->name,
		    (long long)u->pkg->memory);
	if (n < MIN_MEMORY)
		return upd_fail(f, err, "Minimum memory limit allowed is 6MB");
	if (n > u->pkg->memory * MIB)
		return upd_fail(f, err, "%lld bytes is more than the package's "
		    "memory (%s, %lld MiB)", (long long)n, u->pkg->name,
		    (long long)u->pkg->memory);
	u->r.memory = n;
	json_object_set_new(u->set, "Memory", json_integer(n));
	json_object_set_new(u->set, "MemorySwap", json_integer(n));
	return 0;
}

/* After Memory (table order): only "no swap", the memory limit itself. */
static int
upd_memory_swap(struct upd_ctx *u, const struct upd_field *f,
    const json_t *v, sdc_error_t *err)
{
	json_int_t n, mem = u->r.memory > 0 ? u->r.memory :
	    json_int(u->hc, "Memory", 0);

	if (upd_int(f, v, &n, err) < 0)
		return -1;
	if (n != mem)
		return upd_fail(f, err, "%lld is not supported: swap is not "
		    "offered, only the same as Memory (%lld)", (long long)n,
		    (long long)mem);
	return 0;
}

/* After Memory: a soft limit at most the memory limit. */
static int
upd_memory_reservation(struct upd_ctx *u, const struct upd_field *f,
    const json_t *v, sdc_error_t *err)
{
	json_int_t n, mem = u->r.memory > 0 ? u->r.memory :
	    json_int(u->hc, "Memory", 0);

	if (upd_int(f, v, &n, err) < 0)
		return -1;
	if (n < 0 || n > mem)
		return upd_fail(f, err, "%lld is out of range (0 to the memory "
		    "limit, %lld)", (long long)n, (long long)mem);
	u->r.memory_reservation = n;
	json_object_set_new(u->set, "MemoryReservation", json_integer(n));
	return 0;
}

static int
upd_cpu_check(struct upd_ctx *u, const struct upd_field *f, json_int_t quota,
    json_int_t period, sdc_error_t *err)
{
	double cpus = (double)quota / (double)period;

	if (cpus > u->pkg->vcpus + 1e-9)
		return upd_fail(f, err, "%g CPUs is more than the package's "
		    "(%s, %g)", cpus, u->pkg->name, u->pkg->vcpus);
	u->r.cpu_quota = quota;
	u->r.cpu_period = period;
	json_object_set_new(u->set, "CpuQuota", json_integer(quota));
	json_object_set_new(u->set, "CpuPeriod", json_integer(period));
	json_object_set_new(u->set, "NanoCpus", json_integer(
	    (json_int_t)(cpus * 1e9 + 0.5)));
	return 0;
}

static int
upd_nano_cpus(struct upd_ctx *u, const struct upd_field *f, const json_t *v,
    sdc_error_t *err)
{
	json_int_t n;

	if (upd_int(f, v, &n, err) < 0)
		return -1;
	if (n < 0)
		return upd_fail(f, err, "%lld is out of range", (long long)n);
	if (n < 1000000)		/* 1000 us of the 100000 us period */
		return upd_fail(f, err, "Range of CPUs is from 0.01 to %g",
		    u->pkg->vcpus);
	return upd_cpu_check(u, f, (n * DEFAULT_PERIOD + 500000000) /
	    1000000000, DEFAULT_PERIOD, err);
}

/* CpuQuota and CpuPeriod: the two together, either with the other's
 * current value. */
static int
upd_cpu_quota(struct upd_ctx *u, const struct upd_field *f, const json_t *v,
    sdc_error_t *err)
{
	bool is_period = strcmp(f->key, "CpuPeriod") == 0;
	json_int_t n, quota, period;

	if (upd_int(f, v, &n, err) < 0)
		return -1;
	if (!is_period && n < 0)
		return upd_fail(f, err, "an unlimited quota is more than the "
		    "package's CPUs (%s, %g)", u->pkg->name, u->pkg->vcpus);
	if (!is_period && n < 1000)
		return upd_fail(f, err, "CPU cfs quota can not be less than "
		    "1ms (i.e. 1000)");
	if (is_period && (n < 1000 || n > 1000000))
		return upd_fail(f, err, "CPU cfs period can not be less than "
		    "1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
	quota = is_period ? (u->r.cpu_quota > 0 ? u->r.cpu_quota :
	    json_int(u->hc, "CpuQuota", 0)) : n;
	period = !is_period ? (u->r.cpu_period > 0 ? u->r.cpu_period :
	    json_int(u->hc, "CpuPeriod", DEFAULT_PERIOD)) : n;
	if (period <= 0)
		period = DEFAULT_PERIOD;
	if (quota <= 0)
		return upd_fail(f, err, "the container has no CPU quota to "
		    "measure a period against; give --cpu-quota too");
	return upd_cpu_check(u, f, quota, period, err);
}

static int
upd_cpu_shares(struct upd_ctx *u, const struct upd_field *f, const json_t *v,
    sdc_error_t *err)
{
	json_int_t n, max = (json_int_t)(u->pkg->vcpus * 1024 + 0.5);

	if (max < 1024)
		max = 1024;
	if (upd_int(f, v, &n, err) < 0)
		return -1;
	if (n < 2 || n > max)
		return upd_fail(f, err, "%lld is out of range (2 to %lld: 1024 "
		    "a CPU of the package, %s)", (long long)n, (long long)max,
		    u->pkg->name);
	u->r.cpu_shares = (uint64_t)n;
	json_object_set_new(u->set, "CpuShares", json_integer(n));
	return 0;
}

/* "0-2,4": each number below limit. */
static bool
upd_list_valid(const char *s, long limit)
{
	long a, b;
	char *end;

	for (;;) {
		if (!isdigit((unsigned char)*s))
			return false;
		a = b = strtol(s, &end, 10);
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return false;
			b = strtol(end + 1, &end, 10);
		}
		if (a > b || b >= limit)
			return false;
		if (*end == '\0')
			return true;
		if (*end != ',')
			return false;
		s = end + 1;
	}
}

static long
upd_mem_nodes(void)
{
	char path[64];
	long n = 0;

	for (;; n++) {
		snprintf(path, sizeof path, "/sys/devices/system/node/node%ld", n);
		if (access(path, F_OK) != 0)
			return n > 0 ? n : 1;
	}
}

static int
upd_cpuset(struct upd_ctx *u, const struct upd_field *f, const json_t *v,
    sdc_error_t *err)
{
	bool mems = strcmp(f->key, "CpusetMems") == 0;
	long limit = mems ? upd_mem_nodes() : sysconf(_SC_NPROCESSORS_CONF);
	const char *s = json_string_value(v);

	if (s == NULL)
		return upd_fail(f, err, "must be a string");
	if (!upd_list_valid(s, limit))
		return upd_fail(f, err, "\"%s\" is not a list of this node's "
		    "%s (0 to %ld, as 0-2,4)", s, mems ? "memory nodes" : "CPUs",
		    limit - 1);
	if (mems)
		u->r.cpuset_mems = s;
	else
		u->r.cpuset_cpus = s;
	json_object_set_new(u->set, f->key, json_string(s));
	return 0;
}

static int
upd_pids_limit(struct upd_ctx *u, const struct upd_field *f, const json_t *v,
    sdc_error_t *err)
{
	json_int_t n;

	if (upd_int(f, v, &n, err) < 0)
		return -1;
	if (n <= 0 || n > u->pkg->pids)
		return upd_fail(f, err, "%s is more than the package's pids "
		    "limit (%lld)", n <= 0 ? "unlimited" : "that",
		    (long long)u->pkg->pids);
	u->r.pids_limit = n;
	json_object_set_new(u->set, "PidsLimit", json_integer(n));
	return 0;
}

static int
upd_blkio_weight(struct upd_ctx *u, const struct upd_field *f,
    const json_t *v, sdc_error_t *err)
{
	json_int_t n;

	if (upd_int(f, v, &n, err) < 0)
		return -1;
	if (n < 10 || n > 1000)
		return upd_fail(f, err, "Range of blkio weight is from 10 to "
		    "1000");
	if (!rt_blkio_weight_supported())
		return upd_fail(f, err, "not supported: this node's kernel has "
		    "no disk I/O weights (no blkio or io weight file)");
	u->r.blkio_weight = (uint16_t)n;
	json_object_set_new(u->set, "BlkioWeight", json_integer(n));
	return 0;
}

/* Docker's update leaves Name "" as it was. */
static int
upd_restart(struct upd_ctx *u, const struct upd_field *f, const json_t *v,
    sdc_error_t *err)
{
	json_t *hc;
	int rc;

	if (!json_is_object(v))
		return upd_fail(f, err, "must be an object");
	if (*json_str(v, "Name", "") == '\0')
		return 0;
	hc = json_pack("{s:O,s:O?}", "RestartPolicy", v, "AutoRemove",
	    json_object_get(u->hc, "AutoRemove"));
	rc = restart_validate(hc, err);
	json_decref(hc);
	if (rc < 0) {
		if (strstr(sdc_error_msg(*err), "--rm") != NULL) {
			sdc_error_release(err);
			return sdc_make_error_code(err, 400, "Restart policy "
			    "cannot be updated because AutoRemove is enabled "
			    "for the container");
		}
		return -1;
	}
	json_object_set(u->set, "RestartPolicy", (json_t *)v);
	return 0;
}

#define NOT_OFFERED "not offered by this service"
#define NO_HOST "host devices are not offered to containers"

/* Docker's UpdateConfig, in the order checked (Memory before what is
 * measured against it). */
static const struct upd_field upd_fields[] = {
	{ "Memory", "--memory", upd_memory, NULL },
	{ "MemorySwap", "--memory-swap", upd_memory_swap, NULL },
	{ "MemoryReservation", "--memory-reservation", upd_memory_reservation,
	  NULL },
	{ "NanoCpus", "--cpus", upd_nano_cpus, NULL },
	{ "CpuQuota", "--cpu-quota", upd_cpu_quota, NULL },
	{ "CpuPeriod", "--cpu-period", upd_cpu_quota, NULL },
	{ "CpuShares", "--cpu-shares", upd_cpu_shares, NULL },
	{ "CpusetCpus", "--cpuset-cpus", upd_cpuset, NULL },
	{ "CpusetMems", "--cpuset-mems", upd_cpuset, NULL },
	{ "PidsLimit", "--pids-limit", upd_pids_limit, NULL },
	{ "BlkioWeight", "--blkio-weight", upd_blkio_weight, NULL },
	{ "RestartPolicy", "--restart", upd_restart, NULL },
	{ "KernelMemory", "--kernel-memory", NULL,
	  "kernel memory limits are deprecated by the kernel" },
	{ "KernelMemoryTCP", "", NULL,
	  "kernel memory limits are deprecated by the kernel" },
	{ "MemorySwappiness", "--memory-swappiness", NULL,
	  "swap is not offered" },
	{ "CpuRealtimePeriod", "--cpu-rt-period", NULL,
	  "real-time scheduling would starve the node" },
	{ "CpuRealtimeRuntime", "--cpu-rt-runtime", NULL,
	  "real-time scheduling would starve the node" },
	{ "CpuCount", "", NULL, "Windows only" },
	{ "CpuPercent", "", NULL, "Windows only" },
	{ "IOMaximumIOps", "", NULL, "Windows only" },
	{ "IOMaximumBandwidth", "", NULL, "Windows only" },
	{ "CgroupParent", "", NULL,
	  "the node places containers' cgroups itself" },
	{ "BlkioWeightDevice", "", NULL, "per-device I/O is " NOT_OFFERED },
	{ "BlkioDeviceReadBps", "", NULL, "per-device I/O is " NOT_OFFERED },
	{ "BlkioDeviceWriteBps", "", NULL, "per-device I/O is " NOT_OFFERED },
	{ "BlkioDeviceReadIOps", "", NULL, "per-device I/O is " NOT_OFFERED },
	{ "BlkioDeviceWriteIOps", "", NULL, "per-device I/O is " NOT_OFFERED },
	{ "Devices", "", NULL, NO_HOST },
	{ "DeviceCgroupRules", "", NULL, NO_HOST },
	{ "DeviceRequests", "", NULL, NO_HOST },
	{ "OomKillDisable", "", NULL,
	  "the node must be able to reclaim a container's memory" },
	{ "Init", "", NULL, "an init is chosen at create, not by update" },
	{ "Ulimits", "", NULL, "ulimits are set at create, not by update" },
	{ NULL, NULL, NULL, NULL },
};

static const struct upd_field *
upd_field_find(const char *key)
{
	for (const struct upd_field *f = upd_fields; f->key != NULL; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static int
upd_check(struct upd_ctx *u, const json_t *body, sdc_error_t *err)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)body, key, v)
		if (upd_field_find(key) == NULL && !opt_unset(v))
			return sdc_make_error_code(err, 400, "%s: not a field "
			    "docker update can change", key);
	for (const struct upd_field *f = upd_fields; f->key != NULL; f++) {
		v = json_object_get(body, f->key);
		if (opt_unset(v))
			continue;
		if (f->fn == NULL)
			return upd_fail(f, err, "not supported: %s", f->why);
		if (f->fn(u, f, v, err) < 0)
			return -1;
	}
	u->resources = json_object_size(u->set) > 0 &&
	    (json_object_size(u->set) > 1 ||
	    json_object_get(u->set, "RestartPolicy") == NULL);
	return 0;
}

/* The container's package, the ceiling of every limit. */
static int
upd_package(struct dockerapi *d, const struct ctr *c, struct package *pkg,
    sdc_error_t *err)
{
	json_t *labels = json_pack("{s:s}", "com.joyent.package",
	    c->package != NULL ? c->package : "");
	int rc = packages_choose(d, NULL, labels, pkg, err);

	json_decref(labels);
	return rc;
}

/* A docker update: the runtime's part (runc update) off the loop; the
 * row and the HostConfig change once it answered. */
struct upd_job {
	struct containers *cs;
	char uuid[37];
	struct package pkg;
	struct upd_ctx u;
	json_t *body;			/* u's strings point into it */
	struct node_target t;		/* the container's node, or here */
};

static void
upd_job_free(struct upd_job *j)
{
	json_decref(j->u.set);
	json_decref(j->body);
	package_clear(&j->pkg);
	node_target_clear(&j->t);
	free(j);
}

static int
upd_fn(void *arg, sdc_error_t *err)
{
	struct upd_job *j = arg;

	return node_rt_update(&j->t, &j->cs->rt, j->uuid, &j->u.r, err);
}

/* The new HostConfig in the row and in memory; -1 keeps the old. */
static int
upd_commit(struct containers *cs, struct ctr *c, struct upd_job *j,
    sdc_error_t *err)
{
	json_t *old = json_deep_copy(c->host_config);

	json_object_update(c->host_config, j->u.set);
	if (ctr_host_config_row(cs, c, err) < 0) {
		/* the runtime has the new limits; the row keeps the old */
		json_decref(c->host_config);
		c->host_config = old;
		return -1;
	}
	json_decref(old);
	events_container(cs, c, "update", NULL);
	return 0;
}

static void
upd_done(struct ctr *c, void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct upd_job *j = arg;

	if (c != NULL && rc == 0)
		rc = upd_commit(j->cs, c, j, err);
	if (c != NULL && rc < 0 && (*err)->errnum == ETIMEDOUT &&
	    (*err)->code == 0)
		(*err)->code = 504;
	if (c != NULL && req != NULL)
		(void)(rc < 0 ? api_error_from(req, err) : api_json(req, 200,
		    json_pack("{s:[]}", "Warnings")));
	upd_job_free(j);
}

int
ctr_update(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct ctr *c = ctr_lookup(req, d);
	struct upd_job *j;
	sdc_error_t err = NULL;
	json_t *body;

	if (c == NULL)
		return HTTP_DONE;
	if (ctr_busy(req, c, ctr_update, arg))
		return HTTP_ASYNC;
	if ((body = http_body_json(req, &err)) == NULL)
		return api_error_from(req, &err);
	if (!json_is_object(body)) {
		json_decref(body);
		return api_error(req, 400, "the body must be a JSON object");
	}
	j = xcalloc(1, sizeof *j);
	j->cs = ctrs(d);
	j->body = body;
	snprintf(j->uuid, sizeof j->uuid, "%s", c->uuid);
	if (upd_package(d, c, &j->pkg, &err) < 0) {
		json_decref(body);
		free(j);
		return api_error_from(req, &err);
	}
	j->u.pkg = &j->pkg;
	j->u.hc = c->host_config;
	j->u.set = json_object();
	j->u.r.memory_reservation = -1;
	if (upd_check(&j->u, body, &err) < 0)
		goto fail;
	if (!j->u.resources) {
		/* the restart policy alone: no runtime call */
		if (upd_commit(j->cs, c, j, &err) < 0)
			goto fail;
		upd_job_free(j);
		return api_json(req, 200, json_pack("{s:[]}", "Warnings"));
	}
	if (node_target_get(d, json_str(c->extra, "Node", NULL), &j->t,
	    &err) < 0 || ctr_call(req, c, "update", upd_fn, upd_done, j,
	    &err) < 0)
		goto fail;
	return HTTP_ASYNC;
fail:
	upd_job_free(j);
	return api_error_from(req, &err);
}

const struct api_endpoint containers_update_routes[] = {
	{ { "POST", "/containers/:id/update", ctr_update, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
