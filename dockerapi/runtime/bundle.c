/*
 * bundle.c: config.json, the OCI runtime spec, from a container spec.
 *
 * What Docker gives a container by default is written out here, since runc
 * adds nothing of its own beyond the default devices: Docker's capability
 * set, the masked and read-only /proc and /sys paths, /dev, /dev/pts,
 * /dev/shm (64 MiB), /dev/mqueue, a read-only /sys and /sys/fs/cgroup, and
 * /etc/hosts, /etc/hostname and /etc/resolv.conf bound from the folder.  No rlimits: the
 * container inherits the daemon's, as Docker's inherit dockerd's.  Namespaces: pid,
 * mount, ipc, uts and a new network namespace, in which runc brings up the
 * loopback interface and nothing else, or the one at spec->netns_path
 * (a sandbox of dockerapi/net/, with a /sys of its own: sysfs.c), and a
 * createRuntime hook when the spec names one (spec->create_hook: the
 * daemon's sdc-docker-nethook gives the new network namespace its
 * endpoints before the process starts).  Limits go to linux.resources, so
 * runc applies them to the cgroups it makes.  The seccomp profile
 * (seccomp.c) and the account's user namespace (userns.c) are added by
 * their own modules once the rest is written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

const char *const rt_default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
	"CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP",
	"CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
	"CAP_AUDIT_WRITE", NULL,
};

static const char *const rt_bundle_masked[] = {
	"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	"/sys/devices/virtual/powercap", NULL,
};

static const char *const rt_bundle_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger", NULL,
};

json_t *
rt_bundle_strings(const char *const *v)
{
	json_t *a = json_array();

	while (v != NULL && *v != NULL)
		json_array_append_new(a, json_string(*v++));
	return a;
}

static bool
rt_bundle_has_env(const json_t *env, const char *key)
{
	size_t i, n = strlen(key);
	const char *e;

	for (i = 0; i < json_array_size(env); i++) {
		e = json_string_value(json_array_get(env, i));
		if (e != NULL && strncmp(e, key, n) == 0 && e[n] == '=')
			return true;
	}
	return false;
}

static void
rt_bundle_default_env(json_t *env, const char *key, const char *value)
{
	char *kv;

	if (value == NULL || rt_bundle_has_env(env, key))
		return;
	xasprintf(&kv, "%s=%s", key, value);
	json_array_append_new(env, json_string(kv));
	free(kv);
}

static json_t *
rt_bundle_user(const struct rt_user *u)
{
	json_t *gids = json_array();
	size_t i;

	for (i = 0; i < u->ngids; i++)
		json_array_append_new(gids, json_integer(u->gids[i]));
	return json_pack("{s:I,s:I,s:o}", "uid", (json_int_t)u->uid,
	    "gid", (json_int_t)u->gid, "additionalGids", gids);
}

json_t *
rt_bundle_process(const struct rt_process *proc, const char *rootfs,
    const char *hostname, sdc_error_t *err)
{
	struct rt_user u;
	json_t *env, *caps, *argv, *p;

	if (proc->argv == NULL || proc->argv[0] == NULL)
		return sdc_make_error(err, 0, "no command specified"), NULL;
	if (rt_user_resolve(rootfs, proc->user, &u, err) < 0)
		return NULL;
	env = rt_bundle_strings(proc->env);
	rt_bundle_default_env(env, "PATH", "/usr/local/sbin:/usr/local/bin:"
	    "/usr/sbin:/usr/bin:/sbin:/bin");
	rt_bundle_default_env(env, "HOSTNAME", hostname);
	rt_bundle_default_env(env, "TERM", proc->tty ? "xterm" : NULL);
	rt_bundle_default_env(env, "HOME", u.home);
	caps = rt_bundle_strings(rt_default_caps);
	argv = rt_bundle_strings(proc->argv);
	p = json_pack("{s:b,s:o,s:o,s:o,s:s,s:{s:O,s:O,s:O,s:O},s:b}",
	    "terminal", proc->tty, "user", rt_bundle_user(&u), "args", argv,
	    "env", env, "cwd", proc->cwd != NULL && proc->cwd[0] != '\0' ?
	    proc->cwd : "/",
	    "capabilities", "bounding", caps, "effective", caps,
	    "permitted", caps, "inheritable", caps, "noNewPrivileges", false);
	json_decref(caps);
	return p;
}

static json_t *
rt_bundle_mount(const char *dest, const char *type, const char *src,
    const char *opts)
{
	json_t *o = json_array();
	char *copy = xstrdup(opts), *p, *save;

	for (p = strtok_r(copy, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save))
		json_array_append_new(o, json_string(p));
	free(copy);
	return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", type,
	    "source", src, "options", o);
}

/* The files lxcfs answers per cgroup, bound over the container's own
 * (dockerapi/lxcfs.c says why). */
static const char *const rt_bundle_lxcfs[] = {
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
	"/proc/swaps", "/proc/uptime", NULL,
};

static void
rt_bundle_lxcfs_mounts(json_t *m, const char *lxcfs_dir)
{
	struct stat st;
	char *src;

	for (const char *const *f = rt_bundle_lxcfs; *f != NULL; f++) {
		xasprintf(&src, "%s%s", lxcfs_dir, *f);
		if (stat(src, &st) == 0)
			json_array_append_new(m, rt_bundle_mount(*f, "bind", src,
			    "bind,rprivate,ro,nosuid,nodev,noexec"));
		free(src);
	}
}

static json_t *
rt_bundle_mounts(const struct rt_config *cfg, const struct rt_spec *spec,
    const char *dir)
{
	json_t *m = json_array();
	char *hosts, *hostname, *resolv;
	size_t i;

	json_array_append_new(m, rt_bundle_mount("/proc", "proc", "proc",
	    "nosuid,noexec,nodev"));
	json_array_append_new(m, rt_bundle_mount("/dev", "tmpfs", "tmpfs",
	    "nosuid,strictatime,mode=755,size=65536k"));
	json_array_append_new(m, rt_bundle_mount("/dev/pts", "devpts", "devpts",
	    "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
	json_array_append_new(m, rt_bundle_mount("/dev/shm", "tmpfs", "shm",
	    "nosuid,noexec,nodev,mode=1777,size=65536k"));
	json_array_append_new(m, rt_bundle_mount("/dev/mqueue", "mqueue",
	    "mqueue", "nosuid,noexec,nodev"));
	if (spec->netns_path != NULL && rt_userns_on(&spec->idmap)) {
		/* its root may not mount the sandbox's sysfs: sysfs.c */
		char *sys;

		xasprintf(&sys, "%s/%s", dir, RT_DIR_SYSFS);
		json_array_append_new(m, rt_bundle_mount("/sys", "bind", sys,
		    "rbind,rprivate,nosuid,noexec,nodev,ro"));
		free(sys);
	} else
		json_array_append_new(m, rt_bundle_mount("/sys", "sysfs",
		    "sysfs", "nosuid,noexec,nodev,ro"));
	json_array_append_new(m, rt_bundle_mount("/sys/fs/cgroup", "cgroup",
	    "cgroup", "nosuid,noexec,nodev,relatime,ro"));
	if (cfg->lxcfs_dir != NULL)
		rt_bundle_lxcfs_mounts(m, cfg->lxcfs_dir);
	xasprintf(&hosts, "%s/" RT_FILE_HOSTS, dir);
	xasprintf(&hostname, "%s/" RT_FILE_HOSTNAME, dir);
	xasprintf(&resolv, "%s/" RT_FILE_RESOLV, dir);
	json_array_append_new(m, rt_bundle_mount("/etc/hosts", "bind", hosts,
	    "rbind,rprivate"));
	json_array_append_new(m, rt_bundle_mount("/etc/hostname", "bind",
	    hostname, "rbind,rprivate"));
	json_array_append_new(m, rt_bundle_mount("/etc/resolv.conf", "bind",
	    resolv, "rbind,rprivate"));
	free(hosts);
	free(hostname);
	free(resolv);
	for (i = 0; i < spec->nmounts; i++)
		json_array_append_new(m, rt_bundle_mount(spec->mounts[i].destination,
		    "bind", spec->mounts[i].source, spec->mounts[i].readonly ?
		    "rbind,rprivate,ro" : "rbind,rprivate,rw"));
	return m;
}

static json_t *
rt_bundle_resources(const struct rt_spec *spec)
{
	json_t *r = json_pack("{s:[{s:b,s:s}]}", "devices", "allow", false,
	    "access", "rwm");
	json_t *cpu = json_object();

	if (spec->memory > 0)
		json_object_set_new(r, "memory", json_pack("{s:I}", "limit",
		    (json_int_t)spec->memory));
	if (spec->cpu_quota > 0) {
		json_object_set_new(cpu, "quota", json_integer(spec->cpu_quota));
		json_object_set_new(cpu, "period", json_integer(
		    spec->cpu_period > 0 ? spec->cpu_period : 100000));
	}
	if (spec->cpu_shares > 0)
		json_object_set_new(cpu, "shares",
		    json_integer((json_int_t)spec->cpu_shares));
	if (json_object_size(cpu) > 0)
		json_object_set_new(r, "cpu", cpu);
	else
		json_decref(cpu);
	if (spec->pids_limit > 0)
		json_object_set_new(r, "pids", json_pack("{s:I}", "limit",
		    (json_int_t)spec->pids_limit));
	return r;
}

static json_t *
rt_bundle_linux(const struct rt_config *cfg, const struct rt_spec *spec)
{
	char *cg = rt_cgroups_path(cfg, spec->id);
	json_t *l;

	l = json_pack("{s:s,s:o,s:[{s:s},{s:s},{s:s},{s:s},{s:s}],s:o,s:o}",
	    "cgroupsPath", cg, "resources", rt_bundle_resources(spec),
	    "namespaces", "type", "pid", "type", "network", "type", "ipc",
	    "type", "uts", "type", "mount",
	    "maskedPaths", rt_bundle_strings(rt_bundle_masked),
	    "readonlyPaths", rt_bundle_strings(rt_bundle_readonly));
	free(cg);
	if (spec->netns_path != NULL)
		json_object_set_new(json_array_get(json_object_get(l,
		    "namespaces"), 1), "path", json_string(spec->netns_path));
	return l;
}

/* /etc/hosts and /etc/hostname for the container, bound from the folder. */
static int
rt_bundle_etc(const char *dir, const char *hostname, sdc_error_t *err)
{
	char *path, *text;
	int rc;

	xasprintf(&path, "%s/" RT_FILE_HOSTNAME, dir);
	xasprintf(&text, "%s\n", hostname);
	rc = rt_file_write(path, text, strlen(text), err);
	free(path);
	free(text);
	if (rc < 0)
		return -1;
	xasprintf(&path, "%s/" RT_FILE_HOSTS, dir);
	xasprintf(&text, "127.0.0.1\tlocalhost %s\n::1\tlocalhost "
	    "ip6-localhost ip6-loopback\n", hostname);
	rc = rt_file_write(path, text, strlen(text), err);
	free(path);
	free(text);
	if (rc < 0)
		return -1;
	/* empty until the daemon writes the container's resolvers at each
	 * start (dockerapi/container-net.c); the bind needs a file */
	xasprintf(&path, "%s/" RT_FILE_RESOLV, dir);
	if (access(path, F_OK) < 0)
		rc = rt_file_write(path, "", 0, err);
	free(path);
	return rc;
}

int
rt_bundle_write(const struct rt_config *cfg, const struct rt_spec *spec,
    const char *dir, sdc_error_t *err)
{
	struct rt_process proc = { .argv = spec->argv, .env = spec->env,
	    .cwd = spec->cwd, .user = spec->user, .tty = spec->tty,
	    .open_stdin = spec->open_stdin };
	char host[13], *rootfs, *path;
	const char *hostname = spec->hostname;
	json_t *process, *config;
	int rc;

	if (hostname == NULL || hostname[0] == '\0') {
		snprintf(host, sizeof host, "%s", spec->id);
		hostname = host;
	}
	xasprintf(&rootfs, "%s/%s", dir, RT_DIR_ROOT);
	process = rt_bundle_process(&proc, rootfs, hostname, err);
	free(rootfs);
	if (process == NULL || rt_bundle_etc(dir, hostname, err) < 0) {
		json_decref(process);
		return -1;
	}
	config = json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o}",
	    "ociVersion", "1.0.2", "process", process,
	    "root", "path", RT_DIR_ROOT, "readonly", spec->readonly_rootfs,
	    "hostname", hostname, "mounts", rt_bundle_mounts(cfg, spec, dir),
	    "linux", rt_bundle_linux(cfg, spec));
	if (spec->create_hook != NULL)
		json_object_set_new(config, "hooks", json_pack("{s:[{s:s,s:o}]}",
		    "createRuntime", "path", spec->create_hook[0],
		    "args", rt_bundle_strings(spec->create_hook)));
	/* the options first: seccomp follows the capabilities they leave */
	if (rt_bundle_options(config, spec, dir, err) < 0 ||
	    rt_seccomp_apply(cfg, config, dir, err) < 0 ||
	    rt_userns_apply(config, &spec->idmap, err) < 0) {
		json_decref(config);
		return -1;
	}
	xasprintf(&path, "%s/" RT_FILE_CONFIG, dir);
	rc = rt_json_write(path, config, err);
	free(path);
	json_decref(config);
	return rc;
}
