/*
 * internal.h: what libsdcnode's files share and callers do not see.
 *
 * Paths are built from the config and the id on each call (the library
 * keeps no state), and returned malloc'd; the caller frees them.
 */
#ifndef SDC_RT_INTERNAL_H
#define SDC_RT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"
#include "fsutil.h"
#include "dockerapi/runtime/runtime.h"

/* The folder's names (runtime.json holds the runtime's own settings). */
#include "dockerapi/runtime/container-layout.h"

/* paths.c */
const char *rt_zones(const struct rt_config *cfg);
const char *rt_runtime(const struct rt_config *cfg);
const char *rt_runtime_root(const struct rt_config *cfg);
const char *rt_cgroup_parent(const struct rt_config *cfg);
int rt_timeout_ms(const struct rt_config *cfg);
const char *rt_runtime_name(const struct rt_config *cfg);
char *rt_monitor_path(const struct rt_config *cfg);
int rt_id_check(const char *what, const char *id, sdc_error_t *err);
/* <zones>/<id>, or <zones>/<id>/<name> when name is not NULL. */
char *rt_path(const struct rt_config *cfg, const char *id, const char *name);
char *rt_exec_path(const struct rt_config *cfg, const char *id,
    const char *exec_id);

/* sysfs.c: a sysfs of the sandbox for a user-namespaced container that
 * joins one; mounted just before runc runs, detached once it does. */
int rt_sysfs_mount(const char *dir, sdc_error_t *err);
void rt_sysfs_unmount(const char *dir);
/* userns-join.c: with a network namespace joined and a user namespace,
 * the joined one's owner as the container's user namespace (the same
 * ids, checked), bound for runc until it runs; released after. */
int rt_userns_join_prepare(const char *dir, const json_t *rt,
    sdc_error_t *err);
void rt_userns_join_release(const char *dir);

/* file.c */
int rt_file_write(const char *path, const char *data, size_t len,
    sdc_error_t *err);
int rt_json_write(const char *path, json_t *value, sdc_error_t *err);
json_t *rt_json_read(const char *path, sdc_error_t *err);

/* runc.c: run the runtime to completion; its stderr is the error. */
int rt_runc(const struct rt_config *cfg, const char *const *args,
    sdc_error_t *err);
bool rt_runc_known(const struct rt_config *cfg, const char *id);

/* cgroup.c */
/* The container's cgroup folder for a controller; *v2 says which kind. */
char *rt_cgroup_dir(const struct rt_config *cfg, const char *id,
    const char *controller, bool *v2);
char *rt_cgroups_path(const struct rt_config *cfg, const char *id);
char *rt_oom_file(const struct rt_config *cfg, const char *id);
int rt_cgroup_remove(const struct rt_config *cfg, const char *id,
    sdc_error_t *err);
bool rt_cgroup_frozen(const struct rt_config *cfg, const char *id);

/* user.c */
struct rt_user {
	uid_t uid;
	gid_t gid;
	gid_t gids[64];
	size_t ngids;
	char home[256];
};
int rt_user_resolve(const char *rootfs, const char *spec, struct rt_user *u,
    sdc_error_t *err);
/* The name of uid in the image's /etc/passwd (read as rt_user_resolve
 * reads it, inside rootfs); false when it has none. */
bool rt_user_name(const char *rootfs, uid_t uid, char *name, size_t len);

/* ps.c: `docker top`'s columns from ps arguments */
struct rt_ps;
/* 400 for what ps takes but this does not. */
struct rt_ps *rt_ps_parse(const char *args, sdc_error_t *err);
void rt_ps_free(struct rt_ps *ps);
struct rt_ps_env {
	time_t now;
	long long boot;			/* btime: the epoch second of boot */
	long hz;			/* clock ticks a second */
	unsigned long long mem_total_kb;
	/* The name of a uid, or NULL to show the number. */
	const char *(*user)(uid_t uid, void *arg);
	void *arg;
};
/* {"Titles": [...], "Processes": [[...], ...]} */
json_t *rt_ps_format(const struct rt_ps *ps, const struct rt_proc *procs,
    size_t n, const struct rt_ps_env *env);

/* rootfs.c */
int rt_rootfs_mount(const char *dir, const json_t *layers, int64_t disk,
    const struct rt_idmap *idmap, sdc_error_t *err);
int rt_rootfs_ensure(const char *dir, sdc_error_t *err);
int rt_rootfs_unmount(const char *dir, sdc_error_t *err);

/* bundle.c */
json_t *rt_bundle_strings(const char *const *v);	/* a JSON array */
json_t *rt_bundle_process(const struct rt_process *proc, const char *rootfs,
    const char *hostname, sdc_error_t *err);
int rt_bundle_write(const struct rt_config *cfg, const struct rt_spec *spec,
    const char *dir, sdc_error_t *err);

/* bundle-options.c: Docker's options over the default config.json; an
 * exec's process keeps the container's capabilities and limits. */
int rt_bundle_options(json_t *config, const struct rt_spec *spec,
    const char *dir, sdc_error_t *err);
void rt_bundle_options_exec(json_t *process, const json_t *container_process);

/* seccomp.c: linux.seccomp from etc/seccomp.json, for the process's
 * bounding capabilities; rt_seccomp_apply() sets it in a config.json. */
json_t *rt_seccomp_json(const json_t *caps, sdc_error_t *err);
int rt_seccomp_apply(const struct rt_config *cfg, json_t *config, const char *dir,
    sdc_error_t *err);

/* userns.c: the account's user namespace (idmap count 0: none). */
bool rt_userns_on(const struct rt_idmap *m);
int rt_userns_check(const struct rt_idmap *m, sdc_error_t *err);
json_t *rt_userns_json(const struct rt_idmap *m);	/* runtime.json's */
void rt_userns_from_json(const json_t *j, struct rt_idmap *m);
int rt_userns_layers(const json_t *layers, const struct rt_idmap *m,
    int *fds, sdc_error_t *err);
void rt_userns_close(int *fds, size_t n);
int rt_userns_own_rw(const char *dir, const struct rt_idmap *m,
    sdc_error_t *err);
int rt_userns_own_dir(const char *dir, const struct rt_idmap *m,
    sdc_error_t *err);
int rt_userns_apply(json_t *config, const struct rt_idmap *m,
    sdc_error_t *err);

/* monitor.c: the monitor's lock, spawning one. */
bool rt_monitor_alive(const char *dir);
int rt_monitor_wait(const char *dir, int timeout_ms, sdc_error_t *err);
int rt_monitor_spawn(const struct rt_config *cfg, const char *id,
    const char *dir, const char *process, bool tty, bool open_stdin,
    const struct rt_start_opts *opts, struct rt_started *out,
    sdc_error_t *err);

/* state.c */
int rt_state_file(const char *dir, struct rt_state *out, sdc_error_t *err);
int rt_state_json(json_t *j, struct rt_state *out);
long long rt_pid_start(pid_t pid);

#endif
