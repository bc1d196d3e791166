/*
 * runtime.h: libsdcnode, the node backend: containers as OCI bundles run
 * by runc under a per-container monitor (sdc-docker-monitor).
 *
 * A container is a folder <zones>/<id>/ (docs/runtime.md has the layout
 * and the monitor's protocol).  The library keeps no state in memory: every
 * call reads what it needs from the folder, so a daemon that restarts just
 * calls rt_state_read() for each container it knows and carries on; the
 * monitors never stopped.  Nothing here keeps a global either, so calls for
 * different containers may run in different threads.  The calls that run
 * the runtime (rt_start, rt_pause, rt_delete, ...) block for its few tens
 * of milliseconds; a daemon on an event loop calls them from a worker or
 * accepts the pause.
 *
 * The life of a container, as the Docker routes use it:
 *
 *     create:   rt_create(&cfg, &spec, &err)
 *     start:    rt_start(&cfg, id, &opts, &started, &err)
 *     attach:   fd = rt_attach_open(&cfg, id, NULL, &err), then
 *               rt_attach_recv() / rt_attach_send() (RT_FRAME_* types)
 *     wait:     an attach fd's last frame is RT_FRAME_EXIT; rt_state_read()
 *     kill:     rt_kill(&cfg, id, SIGTERM, &err)
 *     pause:    rt_pause(), rt_resume()
 *     exec:     rt_exec_start(), rt_exec_state()
 *     stats:    rt_stats_read();  top: rt_top_read()
 *     rm:       rt_delete(&cfg, id, force, &err)
 *
 * Every fallible call takes sdc_error_t *err last and returns -1 on
 * failure (lib/error.h); the message is fit to show a Docker client.  An
 * unknown container or exec has err->code 404.
 */
#ifndef SDC_RUNTIME_H
#define SDC_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"
#include "dockerapi/runtime/protocol.h"

/* Where things are.  A zeroed struct (plus zones) is a working default. */
struct rt_config {
	const char *zones;		/* containers' root; NULL: "/zones" */
	const char *runtime;		/* NULL: "/usr/sbin/runc" */
	const char *runtime_root;	/* runc --root; NULL: "/run/sdc-docker/runc" */
	const char *monitor;		/* NULL: sdc-docker-monitor beside the
					 * running binary, else in $PATH */
	const char *cgroup_parent;	/* NULL: "sdc-docker" */
	const char *volumes;		/* volumes' root, a host path errors
					 * never show; NULL: none */
	bool no_seccomp;		/* no seccomp profile: for measuring its
					 * cost only (bench/run), never for tenants */
	const char *lxcfs_dir;		/* a mounted lxcfs whose /proc files are
					 * bound over the container's; NULL: none */
	int timeout_ms;			/* a runtime call (runc run, exec,
					 * pause, update, delete) that takes
					 * longer is killed; 0: 60000 */
};

/* A bind mount, e.g. a volume: source on the host, destination inside. */
struct rt_mount {
	const char *source;
	const char *destination;
	bool readonly;
};

/* A resource limit of the container's processes (Docker's --ulimit). */
struct rt_rlimit {
	const char *type;		/* "RLIMIT_NOFILE", ... */
	uint64_t soft, hard;
};

/* A tmpfs mount (Docker's --tmpfs): options as mount(8) takes them. */
struct rt_tmpfs {
	const char *destination;
	const char *options;		/* "size=65536k,mode=1777,exec" */
};

/* A user namespace for the container: its ids 0..count-1 are the host's
 * uid..uid+count-1 and gid..gid+count-1 (docs/runtime.md, userns.c). */
struct rt_idmap {
	uid_t uid;			/* host uid of the container's root */
	gid_t gid;			/* host gid of its group 0 */
	uint32_t count;			/* ids mapped; 0: no user namespace */
};

/* What rt_create() builds.  Arrays of strings are NULL-terminated. */
struct rt_spec {
	const char *id;			/* folder name and runtime id */
	const char *const *layers;	/* image layer dirs, lowest first */
	const char *const *argv;	/* final argv: Entrypoint + Cmd */
	const char *const *env;		/* "KEY=VALUE"; PATH, HOSTNAME and
					 * (with tty) TERM are added if absent */
	const char *cwd;		/* NULL: "/" */
	const char *user;		/* "uid[:gid]" or "name[:group]", names
					 * from the image's /etc/passwd, group;
					 * NULL: root */
	const char *hostname;		/* NULL: the first 12 chars of id */
	bool tty;
	bool open_stdin;
	bool readonly_rootfs;
	const struct rt_mount *mounts;
	size_t nmounts;
	int64_t memory;			/* bytes; 0: no limit */
	int64_t cpu_quota;		/* microseconds a period; 0: none */
	int64_t cpu_period;		/* microseconds; 0: 100000 */
	uint64_t cpu_shares;		/* 0: default */
	int64_t pids_limit;		/* 0: none */
	int64_t disk;			/* writable layer bytes; 0: no limit */
	/* Docker's options (bundle-options.c); zero is Docker's default. */
	const char *const *caps;	/* the capability set ("CAP_CHOWN", ...);
					 * NULL: rt_default_caps */
	bool no_new_privileges;
	int oom_score_adj;
	const struct rt_rlimit *rlimits;
	size_t nrlimits;
	int64_t shm_size;		/* /dev/shm bytes; 0: 64 MiB */
	const struct rt_tmpfs *tmpfs;
	size_t ntmpfs;
	const char *const *group_add;	/* group names (the image's /etc/group)
					 * or gids, added to the user's */
	const char *const *sysctls;	/* "key=value" */
	const char *const *extra_hosts;	/* "name:address" lines for /etc/hosts */
	const char *init;		/* host path of an init (tini) bound at
					 * RT_INIT_PATH and run first; NULL: none */
	bool cgroupns;			/* a cgroup namespace of its own */
	unsigned console_height;	/* the TTY's first size; 0: the runtime's */
	unsigned console_width;
	int64_t memory_reservation;	/* bytes (soft limit); 0: none */
	struct rt_idmap idmap;		/* count 0: the host's ids, no userns */
	const char *netns_path;		/* a network namespace to join (the
					 * sandbox of dockerapi/net/net.h);
					 * NULL: a new one with only lo */
	const char *const *create_hook;	/* argv of a createRuntime hook (runc
					 * runs it with the container's
					 * namespaces made, before its process
					 * starts; argv[0] the path); NULL: none */
};

/* A binary of ours beside the running one (the build tree, or the
 * install's bin), else the bare name (malloc'ed). */
char *rt_binary_path(const char *name);

/* Where an init given in rt_spec.init appears inside, as with dockerd. */
#define RT_INIT_PATH "/sbin/docker-init"

/* Docker's default capability set, NULL-terminated. */
extern const char *const rt_default_caps[];
/* A group's gid from a root filesystem's /etc/group (a name or a number);
 * the error names a group that is not there. */
int rt_group_gid(const char *rootfs, const char *group, gid_t *out,
    sdc_error_t *err);

/* Whether the runtime (cfg->runtime, of kind name: "runc" or "crun")
 * can run containers on this host: the binary answers --version (its
 * first line in version), and the host's cgroups suit it; else an error
 * saying what is wrong and what to do (probe.c). */
int rt_runtime_probe(const struct rt_config *cfg, const char *name,
    char *version, size_t len, sdc_error_t *err);

/* Create the folder, mount the root filesystem, write config.json.  The
 * container is then "created"; nothing runs until rt_start(). */
int rt_create(const struct rt_config *cfg, const struct rt_spec *spec,
    sdc_error_t *err);

struct rt_start_opts {
	bool no_log;			/* log driver "none": no stdio.log */
	int64_t log_max_size;		/* rotate stdio.log at this size; 0: never */
	int64_t log_budget;		/* bytes stdio.log and its rotated files
					 * may take together, the oldest rotated
					 * going first; 0: no limit */
	int log_max_file;		/* files kept, live one included, as Docker's
					 * max-file; 0: keep all rotated files */
	bool attach;			/* return a connected attach fd, which sees
					 * the output from the very first byte */
	char *const *log_args;		/* more monitor options, "--name=value"
					 * (a log server's), NULL-ended; or NULL */
};

struct rt_started {
	pid_t pid;			/* the container's init, on the host */
	int attach_fd;			/* -1 unless opts->attach */
	struct timespec started_at;	/* a node's agent's time; 0 unknown */
};

/* Start the monitor, which starts the container; returns once it runs.
 * A failure's message is runc's own ("exec: \"nope\": executable file not
 * found in $PATH"), and err->code is the exit code Docker reports for it:
 * 127 (command not found), 126 (not executable), else 0.  Also restarts
 * an exited container. */
int rt_start(const struct rt_config *cfg, const char *id,
    const struct rt_start_opts *opts, struct rt_started *out, sdc_error_t *err);

enum rt_status {
	RT_CREATED,			/* never started */
	RT_RUNNING,
	RT_PAUSED,
	RT_EXITED,
};

struct rt_state {
	enum rt_status status;
	pid_t pid;			/* 0 if never started */
	pid_t monitor_pid;
	bool monitor_alive;
	int exit_code;			/* 128+N for signal N; -1 if unknown */
	int signal;			/* the signal that killed it, or 0 */
	bool oom_killed;
	struct timespec started_at;	/* zero if never started */
	struct timespec finished_at;	/* zero unless exited */
};

/* An error message of the runtime (err->msg of any call for container
 * id) as a tenant may read it: paths inside the root filesystem become
 * the container's own, other host paths (the folder, zones root, image
 * layers, runc's state, /proc/<pid>/fd links) "(host path)".  Free it.
 * rt_error_public() is the same with the layer folders given. */
char *rt_error_text(const struct rt_config *cfg, const char *id,
    const char *msg);
char *rt_error_public(const struct rt_config *cfg, const char *id,
    const char *const *host_dirs, const char *msg);

/* The state from the folder: what a restarted daemon calls. */
int rt_state_read(const struct rt_config *cfg, const char *id,
    struct rt_state *out, sdc_error_t *err);
const char *rt_status_name(enum rt_status s);	/* "created", "running", ... */

/* Block until the container is not running (timeout_ms < 0: forever),
 * then read its state.  For tools and tests; a daemon watches an attach
 * fd for RT_FRAME_EXIT instead. */
int rt_wait(const struct rt_config *cfg, const char *id, int timeout_ms,
    struct rt_state *out, sdc_error_t *err);

/* The container's folder, <zones>/<id> (logs/ holds stdio.log*); free it. */
char *rt_dir(const struct rt_config *cfg, const char *id);

/* Bytes used by the writable layer (`docker ps -s`'s SizeRw): the tmpfs's
 * use when there is a disk limit, else a walk of the upper folder. */
int rt_size_rw(const struct rt_config *cfg, const char *id, int64_t *bytes,
    sdc_error_t *err);

struct json_t;
/* The container's files out (changes.c, tree-tar.c); owners as the
 * container sees them (its user namespace's ids mapped back). */
typedef int rt_write_fn(void *arg, const void *data, size_t len);
/* `docker diff`: [{"Path": "/x", "Kind": 0 modified | 1 added |
 * 2 deleted}] from the writable layer against the image's layers. */
int rt_changes(const struct rt_config *cfg, const char *id, struct json_t **out,
    sdc_error_t *err);
/* `docker export`: the whole root filesystem (the overlay's merged view)
 * as a tar, written through write(), which returns -1 to stop. */
int rt_export_tar(const struct rt_config *cfg, const char *id,
    rt_write_fn *write, void *arg, sdc_error_t *err);
/* `docker commit`: the writable layer as an image layer tar (deletions as
 * .wh.NAME, opaque folders with .wh..wh..opq). */
int rt_layer_tar(const struct rt_config *cfg, const char *id,
    rt_write_fn *write, void *arg, sdc_error_t *err);

/* The container's ids, from the folder names (for recovery). */
int rt_list(const struct rt_config *cfg, char ***ids, size_t *n,
    sdc_error_t *err);
void rt_list_free(char **ids, size_t n);

/* Send a signal to the container's init.  Fails if it is not running. */
int rt_kill(const struct rt_config *cfg, const char *id, int sig,
    sdc_error_t *err);

/* Freeze and thaw every process of the container (the freezer cgroup). */
int rt_pause(const struct rt_config *cfg, const char *id, sdc_error_t *err);
int rt_resume(const struct rt_config *cfg, const char *id, sdc_error_t *err);

/* docker update: new resource limits, for the next starts (config.json)
 * and, running or paused, at once (runc update).  Zero (-1 for the
 * reservation, NULL for the strings) leaves a limit as it is. */
struct rt_resources {
	int64_t memory;			/* bytes; swap follows it */
	int64_t memory_reservation;	/* bytes; -1: unchanged */
	int64_t cpu_quota, cpu_period;	/* microseconds */
	uint64_t cpu_shares;
	const char *cpuset_cpus, *cpuset_mems;
	int64_t pids_limit;
	uint16_t blkio_weight;
};
int rt_update(const struct rt_config *cfg, const char *id,
    const struct rt_resources *r, sdc_error_t *err);
/* Whether this node's kernel weighs disk I/O (a blkio or io weight). */
bool rt_blkio_weight_supported(void);

/* Remove the container: unmount, runtime state, cgroups, folder.  A
 * running or paused one is refused unless force, which kills it first. */
int rt_delete(const struct rt_config *cfg, const char *id, bool force,
    sdc_error_t *err);

/* A process to exec in a running container. */
struct rt_process {
	const char *const *argv;
	const char *const *env;		/* added to the container's, last wins */
	const char *cwd;		/* NULL: the container's */
	const char *user;		/* NULL: the container's */
	bool tty;
	bool open_stdin;
};

/* Run proc in the container under a monitor of its own, in
 * <zones>/<id>/exec/<exec_id>/.  Its output goes only to attach clients
 * (opts->attach gives one from the first byte); no log is written. */
int rt_exec_start(const struct rt_config *cfg, const char *id,
    const char *exec_id, const struct rt_process *proc,
    const struct rt_start_opts *opts, struct rt_started *out,
    sdc_error_t *err);
int rt_exec_state(const struct rt_config *cfg, const char *id,
    const char *exec_id, struct rt_state *out, sdc_error_t *err);
int rt_exec_remove(const struct rt_config *cfg, const char *id,
    const char *exec_id, sdc_error_t *err);

/* The attach socket of a container (exec_id NULL) or an exec.  The fd is
 * SOCK_SEQPACKET, blocking, close-on-exec; set O_NONBLOCK for an event
 * loop.  Clients may come and go; several may attach at once. */
int rt_attach_open(const struct rt_config *cfg, const char *id,
    const char *exec_id, sdc_error_t *err);

struct rt_frame {
	enum rt_frame_type type;
	char data[RT_FRAME_MAX + 1];	/* NUL-terminated for convenience */
	size_t len;
};

/* One frame.  Returns 1 with a frame, 0 at end (after RT_FRAME_EXIT the
 * monitor hangs up), -1 on error (EAGAIN on a non-blocking fd: errnum). */
int rt_attach_recv(int fd, struct rt_frame *f, sdc_error_t *err);
/* Send stdin bytes (RT_FRAME_STDIN), RT_FRAME_CLOSE_STDIN, RT_FRAME_MUTE
 * (len 0), or a text control frame.  Data longer than a frame is split. */
int rt_attach_send(int fd, enum rt_frame_type type, const void *data,
    size_t len, sdc_error_t *err);
int rt_attach_resize(int fd, unsigned rows, unsigned cols, sdc_error_t *err);
/* The exit frame's payload (state.json) into a state. */
int rt_attach_exit_state(const struct rt_frame *f, struct rt_state *out,
    sdc_error_t *err);

/* Change a running container's log rotation (DEFAULT_MAX_LOG_SIZE moved);
 * budget as rt_start_opts.log_budget. */
int rt_log_limits(const struct rt_config *cfg, const char *id,
    int64_t max_size, int max_file, int64_t budget, sdc_error_t *err);

/* Resource use from the container's cgroups; -1 where unknown. */
struct rt_blkio {
	unsigned major, minor;
	char op[16];			/* "Read", "Write", ... as in Docker */
	uint64_t value;
};
struct rt_netdev {
	char name[32];
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};
struct rt_stats {
	struct timespec read_at;
	int64_t memory_usage, memory_max_usage, memory_limit, memory_failcnt;
	int64_t memory_cache, memory_rss;	/* from memory.stat */
	int64_t cpu_total_ns, cpu_user_ns, cpu_system_ns;
	int64_t system_cpu_ns;		/* the host's, from /proc/stat */
	int online_cpus;
	int64_t percpu_ns[256];		/* cpuacct.usage_percpu */
	int npercpu;
	int64_t pids_current, pids_limit;
	struct rt_blkio blkio[64];	/* io_service_bytes_recursive */
	int nblkio;
	struct rt_netdev net[8];	/* the container's netns */
	int nnet;
};
int rt_stats_read(const struct rt_config *cfg, const char *id,
    struct rt_stats *out, sdc_error_t *err);
/* stats-json.c: a reading as Docker's stats answer, prev (or NULL) its
 * precpu_stats; name without its "/". */
struct json_t;
struct json_t *rt_stats_json(const struct rt_stats *s,
    const struct rt_stats *prev, const char *name, const char *id);
/* A single reading as an answer, no precpu (one-shot); the blank one
 * where uuid is NULL (a stopped container) or cannot be read. */
struct json_t *rt_stats_once(const struct rt_config *cfg, const char *uuid,
    const char *name, const char *id);
/* An answer of readings a second apart: a line each (stream), or one
 * line, the second reading with the first its precpu_stats. */
struct rt_stats_answer {
	bool stream;
	bool have_prev;
	struct rt_stats prev;
};
/* The answer's next reading of the running container uuid: *line gets
 * the text to send with its newline, the caller's to free (NULL: none
 * this time).  True when the answer ends after it: the reading failed
 * (the container has gone) or a single answer has its line. */
bool rt_stats_next(const struct rt_config *cfg, const char *uuid,
    struct rt_stats_answer *sa, const char *name, const char *id,
    char **line);

/* The container's processes, for `docker top`: the pids of its cgroup,
 * each read from /proc through a descriptor of its own /proc folder and
 * kept only if that process is still in the container's cgroup, so a pid
 * reused by another process meanwhile is never read.  A process that
 * exits while it is read is left out. */
struct rt_proc {
	pid_t pid, ppid, pgrp, sid, tpgid;
	uid_t uid;			/* effective, as the container sees it */
	char state;			/* R, S, D, Z, T, ... */
	int nice;
	bool locked;			/* has locked pages (VmLck) */
	long nlwp;			/* threads */
	char tty[16];			/* "?" or "pts/0" */
	long long start_ticks;		/* since boot, in clock ticks */
	long long cpu_ticks;		/* utime + stime */
	unsigned long long vsz_kb, rss_kb;
	char comm[64];
	char cmd[4096];			/* cmdline, spaces between args; empty
					 * for a kernel thread or a zombie */
};
int rt_top_read(const struct rt_config *cfg, const char *id,
    struct rt_proc **procs, size_t *n, sdc_error_t *err);

/* `docker top` whole: the processes formatted as `ps ps_args` would show
 * them (NULL or "": "-ef"), as {"Titles": [...], "Processes": [[...]]},
 * with user names from the container's own /etc/passwd.  No ps runs.
 * Arguments ps takes that are not supported are refused with err->code
 * 400 before anything is read. */
struct json_t;
int rt_top(const struct rt_config *cfg, const char *id, const char *ps_args,
    struct json_t **out, sdc_error_t *err);

/* Volumes (volume.c): a volume is a folder dir whose dir/_data is bound
 * into containers.  Make it (dir 0700, _data owned by idmap's root);
 * remove it whole, never following a symlink planted in it; its bytes
 * (a walk of _data, symlinks not followed). */
int rt_volume_make(const char *dir, const struct rt_idmap *idmap,
    sdc_error_t *err);
int rt_volume_remove(const char *dir, sdc_error_t *err);
int rt_volume_size(const char *dir, int64_t *bytes, sdc_error_t *err);
/* A folder capped by the kernel (volume-fs.c): the sparse file img of
 * `bytes` made ext4 (its top owned by uid:gid, mode), mounted on mnt
 * through a loop device; mounted again (after a reboot); grown to a
 * larger cap online; unmounted (img removed unless NULL).  err->code
 * 400 below RT_VOLUME_FS_MIN bytes. */
#define RT_VOLUME_FS_MIN (1024 * 1024)
bool rt_volume_fs_mounted(const char *mnt);
int rt_volume_fs_make(const char *img, const char *mnt, int64_t bytes,
    uid_t uid, gid_t gid, mode_t mode, sdc_error_t *err);
int rt_volume_fs_mount(const char *img, const char *mnt, sdc_error_t *err);
int rt_volume_fs_grow(const char *img, const char *mnt, int64_t bytes,
    sdc_error_t *err);
int rt_volume_fs_unmount(const char *img, const char *mnt, sdc_error_t *err);
/* How far a first copy has gone, read from another thread while it
 * runs (a node's agent tells the head, whose wait follows it): entries
 * made and bytes written so far, only ever growing. */
struct rt_copy_progress {
	_Atomic int64_t entries;
	_Atomic int64_t bytes;
};
/* Docker's first copy: when dir/_data is empty, what the mounted root of
 * container id has at dest (resolved inside that root) is copied in,
 * ids outside idmap's range given to its nobody.  Nothing at dest is no
 * error.  A copy into dir under way (another thread, another process)
 * is waited for first; a copy that fails leaves _data empty.  progress
 * (or NULL) grows as the copy goes. */
int rt_volume_populate(const struct rt_config *cfg, const char *id,
    const char *dest, const char *dir, const struct rt_idmap *idmap,
    struct rt_copy_progress *progress, sdc_error_t *err);
/* Once any first copy under way into these volumes' folders has ended
 * (a start of a container mounting a volume another create fills); a
 * folder not there is let be, the runtime's start says what is missing. */
void rt_volumes_settled(const char *const *dirs, size_t n);
/* The same for the volumes container id's bundle binds from under the
 * volumes' root vroot (ACCOUNT/VOLUME/_data): a node's agent, which
 * keeps no list of a container's volumes but its config.json. */
void rt_volumes_settled_of(const struct rt_config *cfg, const char *id,
    const char *vroot);
/* docker cp (archive.c): a container's root opened, whatever its state
 * (mounted again if a reboot unmounted it), and paths inside it resolved
 * so that nothing leads out of it. */
struct rt_root {
	int fd;				/* O_PATH fd of the root */
	char *host;			/* its host path (to name fds back) */
	struct rt_idmap idmap;		/* the container's ids */
	char *mount;			/* what its top is in the container:
					 * NULL for "/", "/data" for a volume */
	struct rt_graft *grafts;	/* mounts spliced in (rt_root_graft) */
	size_t ngrafts;
};
struct rt_graft {
	char *path;			/* where the container has it, clean */
	int fd;				/* O_PATH fd of its top */
	bool ro;
};
int rt_root_open(const struct rt_config *cfg, const char *id,
    struct rt_root *r, sdc_error_t *err);
/* Point an opened root at a volume's folder (hostdir, opened without
 * following a link), which the container has at `mount`: paths are then
 * taken from the volume's top and resolved inside the volume. */
int rt_root_rebase(struct rt_root *r, const char *hostdir, const char *mount,
    sdc_error_t *err);
/* The same with the top already opened (fd, O_PATH, taken). */
int rt_root_rebase_fd(struct rt_root *r, int fd, const char *mount,
    sdc_error_t *err);
/* A mount the container has at `mount` (a clean path) whose files the
 * host's view of the root does not show (a volume; a tmpfs while the
 * container runs), its top opened as fd (O_PATH, taken): a tar of a path
 * above it has the mount's files at its place, and a tar put above it
 * writes into the mount (refused with 403 when ro), as through the
 * container's own view; a mount point is never replaced or removed. */
void rt_root_graft(struct rt_root *r, const char *mount, int fd, bool ro);
/* The top of the tmpfs a running container (its init's pid) has at dest,
 * opened (O_PATH) in the container's own mount namespace and resolved
 * inside its root; 404 when dest is not the top of a tmpfs there. */
int rt_mount_open_tmpfs(pid_t pid, const char *dest, sdc_error_t *err);
void rt_root_close(struct rt_root *r);
/* Go's filepath.Clean("/" + path), malloc'd. */
char *rt_path_clean(const char *path);
/* Docker's ContainerPathStat: mode in Go's os.FileMode bits, linkTarget
 * the link resolved inside the root ("" for anything else). */
struct rt_path_stat {
	char *name;
	int64_t size;
	uint32_t mode;
	struct timespec mtime;
	char *link_target;
};
/* err->code 404 when the path is not there. */
int rt_archive_stat(const struct rt_root *r, const char *path,
    struct rt_path_stat *st, sdc_error_t *err);
void rt_path_stat_free(struct rt_path_stat *st);
/* archive-stat.c: st as dockerd's X-Docker-Container-Path-Stat header
 * (base64 of its JSON); free it. */
char *rt_path_stat_header(const struct rt_path_stat *st);
/* A tar of the path (a folder with everything under it) to write(),
 * named as Docker names it, ids as the container sees them. */
typedef int rt_write_fn(void *arg, const void *data, size_t len);
int rt_archive_get(const struct rt_root *r, const char *path,
    rt_write_fn *write, void *arg, sdc_error_t *err);
struct rt_put_opts {
	bool no_overwrite_dir_non_dir;	/* a folder never replaces a file, nor
					 * a file a folder */
	bool copy_uidgid;		/* the tar's ids (in the container's
					 * range), not the container's root */
};
/* Extract the tar read from fd (plain, gzip, bzip2 or xz) into the folder
 * at path; err->code 404 (no such folder), 400 (not a folder, a bad
 * entry), 403 (no space left in the writable layer). */
int rt_archive_put(const struct rt_root *r, const char *path,
    const struct rt_put_opts *o, int fd, sdc_error_t *err);

#endif
