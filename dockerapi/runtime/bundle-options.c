/*
 * bundle-options.c: Docker's per-container options written over the
 * default config.json that bundle.c makes.
 *
 * bundle.c writes what every container gets; this file changes it only
 * where the spec asks for something else, so a spec with none of these
 * fields set gives bundle.c's config untouched.  The daemon has already
 * checked every value against what a tenant may ask (dockerapi's
 * container-options.c); here they are only written out: the capability
 * set, no_new_privs, rlimits, the OOM score, supplementary groups (names
 * looked up in the image's own /etc/group), sysctls, the size of
 * /dev/shm, tmpfs mounts with Docker's default options (nosuid, nodev,
 * noexec, each overridable but for what the daemon refused), extra
 * /etc/hosts lines, tini bound read-only and run first as dockerd runs
 * docker-init, a cgroup namespace, the TTY's first size and a memory
 * reservation.
 *
 * An exec'd process is built from scratch by bundle.c, so it takes the
 * container's capabilities, no_new_privs and rlimits here: a
 * `--cap-drop ALL` container does not get them back through `docker exec`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

static void
rt_opts_caps(json_t *proc, const char *const *caps)
{
	static const char *const sets[] = { "bounding", "effective",
	    "permitted", "inheritable", NULL };
	json_t *c = json_object_get(proc, "capabilities");
	size_t i;

	if (caps == NULL || c == NULL)
		return;
	for (i = 0; sets[i] != NULL; i++)
		json_object_set_new(c, sets[i], rt_bundle_strings(caps));
}

static void
rt_opts_rlimits(json_t *proc, const struct rt_spec *spec)
{
	json_t *a;
	size_t i;

	if (spec->nrlimits == 0)
		return;
	a = json_array();
	for (i = 0; i < spec->nrlimits; i++)
		json_array_append_new(a, json_pack("{s:s,s:I,s:I}", "type",
		    spec->rlimits[i].type, "hard",
		    (json_int_t)spec->rlimits[i].hard, "soft",
		    (json_int_t)spec->rlimits[i].soft));
	json_object_set_new(proc, "rlimits", a);
}

static int
rt_opts_groups(json_t *proc, const struct rt_spec *spec, const char *dir,
    sdc_error_t *err)
{
	json_t *gids = json_object_get(json_object_get(proc, "user"),
	    "additionalGids");
	char *rootfs;
	gid_t gid;
	size_t i;
	int rc = 0;

	if (spec->group_add == NULL || gids == NULL)
		return 0;
	xasprintf(&rootfs, "%s/%s", dir, RT_DIR_ROOT);
	for (i = 0; spec->group_add[i] != NULL && rc == 0; i++)
		if ((rc = rt_group_gid(rootfs, spec->group_add[i], &gid,
		    err)) == 0)
			json_array_append_new(gids, json_integer(gid));
	free(rootfs);
	return rc;
}

/* Argv behind the init, as dockerd does: docker-init -- argv. */
static void
rt_opts_init(json_t *config, json_t *proc, const char *init)
{
	json_t *args = json_object_get(proc, "args");
	json_t *m;

	if (init == NULL)
		return;
	json_array_insert_new(args, 0, json_string("--"));
	json_array_insert_new(args, 0, json_string(RT_INIT_PATH));
	m = json_pack("{s:s,s:s,s:s,s:[s,s,s,s]}", "destination", RT_INIT_PATH,
	    "type", "bind", "source", init, "options", "bind", "ro", "nosuid",
	    "nodev");
	json_array_append_new(json_object_get(config, "mounts"), m);
}

static void
rt_opts_shm(json_t *config, int64_t size)
{
	json_t *mounts = json_object_get(config, "mounts"), *m, *opts, *o;
	char text[64];
	size_t i, j;

	if (size <= 0)
		return;
	snprintf(text, sizeof text, "size=%lldk", (long long)(size + 1023) / 1024);
	json_array_foreach(mounts, i, m) {
		if (strcmp(json_string_value(json_object_get(m, "destination")) ?:
		    "", "/dev/shm") != 0)
			continue;
		opts = json_object_get(m, "options");
		json_array_foreach(opts, j, o)
			if (strncmp(json_string_value(o) ?: "", "size=", 5) == 0)
				json_array_set_new(opts, j, json_string(text));
	}
}

static void
rt_opts_tmpfs(json_t *config, const struct rt_spec *spec)
{
	json_t *mounts = json_object_get(config, "mounts"), *opts;
	char *copy, *p, *save;
	size_t i;

	for (i = 0; i < spec->ntmpfs; i++) {
		opts = json_pack("[s,s,s]", "nosuid", "nodev", "noexec");
		copy = xstrdup(spec->tmpfs[i].options ?: "");
		for (p = strtok_r(copy, ",", &save); p != NULL;
		    p = strtok_r(NULL, ",", &save))
			json_array_append_new(opts, json_string(p));
		free(copy);
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:o}",
		    "destination", spec->tmpfs[i].destination, "type", "tmpfs",
		    "source", "tmpfs", "options", opts));
	}
}

static void
rt_opts_sysctls(json_t *linux, const char *const *kv)
{
	json_t *o;
	const char *eq;
	char key[256];

	if (kv == NULL || *kv == NULL)
		return;
	o = json_object();
	for (; *kv != NULL; kv++) {
		if ((eq = strchr(*kv, '=')) == NULL ||
		    (size_t)(eq - *kv) >= sizeof key)
			continue;
		snprintf(key, sizeof key, "%.*s", (int)(eq - *kv), *kv);
		json_object_set_new(o, key, json_string(eq + 1));
	}
	json_object_set_new(linux, "sysctl", o);
}

/* name:address pairs after bundle.c's lines, as `address\tname`. */
static int
rt_opts_hosts(const char *dir, const char *const *hosts, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	const char *colon;
	char *path;
	FILE *f;

	if (hosts == NULL || *hosts == NULL)
		return 0;
	for (; *hosts != NULL; hosts++)
		if ((colon = strchr(*hosts, ':')) != NULL)
			buf_printf(&b, "%s\t%.*s\n", colon + 1,
			    (int)(colon - *hosts), *hosts);
	xasprintf(&path, "%s/" RT_FILE_HOSTS, dir);
	f = fopen(path, "a");
	free(path);
	if (f == NULL || fputs(buf_str(&b), f) == EOF) {
		if (f != NULL)
			fclose(f);
		buf_free(&b);
		return sdc_make_error(err, 0, "writing /etc/hosts");
	}
	buf_free(&b);
	if (fclose(f) != 0)
		return sdc_make_error(err, 0, "writing /etc/hosts");
	return 0;
}

int
rt_bundle_options(json_t *config, const struct rt_spec *spec,
    const char *dir, sdc_error_t *err)
{
	json_t *proc = json_object_get(config, "process");
	json_t *linux = json_object_get(config, "linux");
	json_t *res = json_object_get(linux, "resources");

	rt_opts_caps(proc, spec->caps);
	if (spec->no_new_privileges)
		json_object_set_new(proc, "noNewPrivileges", json_true());
	if (spec->oom_score_adj != 0)
		json_object_set_new(proc, "oomScoreAdj",
		    json_integer(spec->oom_score_adj));
	rt_opts_rlimits(proc, spec);
	if (spec->tty && spec->console_height > 0 && spec->console_width > 0)
		json_object_set_new(proc, "consoleSize", json_pack("{s:i,s:i}",
		    "height", (int)spec->console_height, "width",
		    (int)spec->console_width));
	if (rt_opts_groups(proc, spec, dir, err) < 0)
		return -1;
	rt_opts_init(config, proc, spec->init);
	rt_opts_shm(config, spec->shm_size);
	rt_opts_tmpfs(config, spec);
	rt_opts_sysctls(linux, spec->sysctls);
	if (spec->cgroupns)
		json_array_append_new(json_object_get(linux, "namespaces"),
		    json_pack("{s:s}", "type", "cgroup"));
	if (spec->memory_reservation > 0 && res != NULL) {
		if (json_object_get(res, "memory") == NULL)
			json_object_set_new(res, "memory", json_object());
		json_object_set_new(json_object_get(res, "memory"),
		    "reservation", json_integer(spec->memory_reservation));
	}
	return rt_opts_hosts(dir, spec->extra_hosts, err);
}

void
rt_bundle_options_exec(json_t *process, const json_t *cproc)
{
	static const char *const keep[] = { "capabilities", "noNewPrivileges",
	    "rlimits", NULL };
	json_t *v;
	size_t i;

	for (i = 0; keep[i] != NULL; i++)
		if ((v = json_object_get(cproc, keep[i])) != NULL)
			json_object_set(process, keep[i], v);
}
