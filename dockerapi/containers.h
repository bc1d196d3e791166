/*
 * containers.h: what the container route files share, and nothing else
 * sees (the daemon's other modules use the few calls in dockerapi.h).
 *
 * The truth about a container is split the way it lives: what Docker's
 * client asked for (Config, HostConfig, the name, the package) is a row
 * in the store, written once at create and on rename; what happened to
 * it since (running, exit code, times) is in its folder, read back with
 * rt_state_read() at start and kept current by a watcher: one muted
 * attach connection per running container, whose last frame is the exit.
 * So nothing polls, and a restarted daemon is back where it was after one
 * read of each folder.
 *
 * All of it lives on the loop's thread.  A struct ctr is freed only when
 * no request holds it: route handlers look one up per request, and the
 * asynchronous ones (wait, attach, logs -f, stats) register on it and are
 * ended by ctr_gone() before it is freed.
 */
#ifndef DOCKERAPI_CONTAINERS_H
#define DOCKERAPI_CONTAINERS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "dockerapi.h"
#include "strvec.h"
#include "timeutil.h"
#include "dockerapi/runtime/runtime.h"
#include "dockerapi/runtime/logs-read.h"

struct event;
struct bufferevent;
struct buf;
struct ctr_attach;
struct ctr_waiter;
struct ctr_deferred;
struct ctr_stopper;
struct logs_follow;
struct exec_inst;
struct events;

struct ctr {
	struct ctr *next;
	struct containers *cs;		/* the module it belongs to */
	char id[65];			/* Docker's id */
	char uuid[37];			/* folder and runtime id */
	char *account;			/* account uuid */
	char *name;			/* without the leading '/' */
	char *image;			/* as the client named it */
	char *image_id;			/* sha256:... */
	int64_t created;		/* ns since the epoch */
	char *package;			/* package name */
	json_t *config;			/* Docker's Config, as inspect shows it */
	json_t *host_config;		/* Docker's HostConfig */
	json_t *extra;			/* Path, Args, log limits, mounts */
	struct rt_state st;
	int restart_count;		/* the policy's, since the user's start */
	int64_t restart_delay_ms;	/* the wait before the next one */
	struct event *restart_timer;	/* pending: the container restarts */
	bool restart_underway;		/* pending too, its wait over: its
					 * start waits for the runtime call
					 * under way, or is that call */
	bool stopped_by_user;		/* the last stop was the user's (row) */
	bool removing;			/* rm in progress, or AutoRemove due */
	bool stopping;			/* stop/kill by the API: not an error */
	bool remove_volumes;		/* rm -v: its anonymous volumes go too */
	/* The watcher: attach fd of the running container. */
	int watch_fd;
	struct event *watch_ev;
	bool watch_muted;
	bool watch_relayed;		/* the watcher is relayed from the
					 * container's node (node-attach.c) */
	pid_t exit_unseen;		/* a run a state read found ended on
					 * its node, its exit row not yet
					 * taken (node-exits.c) */
	struct ctr_attach *attachers;	/* fed from the watcher */
	struct ctr_waiter *waiters;
	struct logs_follow *followers;
	struct event *stop_timer;	/* stop: SIGKILL after the grace time */
	struct ctr_stopper *stoppers;	/* stop/restart waiting for the exit */
	char *ps_json, *ps_name;	/* api/containers-json.c's cache, and the
					 * name it was made with */
	/* A build's RUN container (api/build-routes.c): fed its output, told of
	 * its exit or removal (the hooks are cleared before run_end, which
	 * must not free the container: it only schedules). */
	void (*run_out)(void *arg, int stream, const char *data, size_t len);
	void (*run_end)(void *arg);
	void *run_arg;
	/* A runtime call under way off the loop (container-rtcall.c): its
	 * name ("pause"), and whether the container was removed meanwhile
	 * (then freed when the call ends). */
	const char *busy;
	bool gone;
	struct ctr_deferred *deferred;	/* requests waiting for it, in order */
};

struct containers {
	struct dockerapi *d;
	struct rt_config rt;
	char *zones;
	char *volumes;			/* <data>/volumes (rt.volumes) */
	struct ctr *list;		/* newest first */
	struct exec_inst *execs;
	struct events *events;
	/* oci-runtime.c: OCI_RUNTIME, its binary and state folder */
	const char *runtime_name;	/* "runc" or "crun" */
	char *runtime_path;
	char *runtime_root;
	/* container-net.c: the name servers' periodic check */
	struct event *dns_check;
};

/* containers.c */
struct containers *ctrs(struct dockerapi *d);
/* The caller's container by id, id prefix or name; NULL having answered
 * 404 (or 400 for an ambiguous prefix, or ctr_node_unavailable's 503 to
 * a request other than GET). */
struct ctr *ctr_lookup(struct http_request *req, struct dockerapi *d);
/* 503 "node unavailable" for c, whose node has not told its state. */
int ctr_node_unavailable(struct http_request *req, const struct ctr *c);
struct ctr *ctr_find(struct containers *cs, const char *account,
    const char *ref, sdc_error_t *err);
struct ctr *ctr_by_name(struct containers *cs, const char *account,
    const char *name);
int ctr_insert(struct containers *cs, struct ctr *c, sdc_error_t *err);
int ctr_rename_row(struct containers *cs, struct ctr *c, const char *name,
    sdc_error_t *err);
/* HostConfig changed (docker update): written to the row. */
int ctr_host_config_row(struct containers *cs, struct ctr *c,
    sdc_error_t *err);
int ctr_stopped_row(struct containers *cs, struct ctr *c, bool stopped,
    sdc_error_t *err);
/* api/containers-json.c: the bytes of the container's writable layer (ps's
 * SizeRw, prune's SpaceReclaimed). */
int64_t list_size_rw(const struct containers *cs, const struct ctr *c);
/* A container's removal in two, rt_delete run off the loop between
 * them: the row marked; then the folder and the row gone, events and
 * waiters told (rc: rt_delete's). */
int ctr_remove_begin(struct containers *cs, struct ctr *c, bool force,
    sdc_error_t *err);
int ctr_remove_end(struct containers *cs, struct ctr *c, int rc,
    sdc_error_t *err);
void ctr_free(struct ctr *c);
/* A row of the containers table (its columns in CTR_ROW_COLUMNS' order)
 * as a container, its state not read yet; then its state from its
 * folder and a watcher if it runs; and out of the list (heads-sync.c's
 * reloads). */
#define CTR_ROW_COLUMNS "id, uuid, account, name, image, image_id, " \
	"created, package, config, host_config, extra, stopped_by_user, " \
	"removing"
struct store_stmt;
struct ctr *ctr_from_row(struct store_stmt *st);
void ctr_recover(struct containers *cs, struct ctr *c);
/* A container behind an agent whose state came after the head's start
 * (node-states.c): the start's recovery of it (its addresses, AutoRemove,
 * restart policy) done now. */
void ctr_recover_learned(struct containers *cs, struct ctr *c);
void ctr_unlink(struct containers *cs, struct ctr *c);
/* An error of the runtime for container c, made fit for its tenant: the
 * whole text logged for the operator, host paths rewritten out of the
 * message (rt_error_text).  Returns -1. */
int ctr_rt_error(struct containers *cs, const struct ctr *c, sdc_error_t *err);
bool ctr_running(const struct ctr *c);
const char *ctr_status_word(const struct ctr *c);
/* isolation.c: the account's user namespace; the bench's switch. */
void isolation_init(struct containers *cs);
/* lxcfs.c: mount (or find) lxcfs and set cs->rt.lxcfs_dir, or log why not. */
void lxcfs_init(struct containers *cs);
bool isolation_bench_without(const char *what);
int isolation_idmap(struct containers *cs, const char *account,
    struct rt_idmap *out, sdc_error_t *err);
/* The caller's account uuid, borrowed from the request. */
const char *ctr_account(struct http_request *req);
json_t *ctr_labels(const struct ctr *c);
/* A filter's values as an array (new reference, NULL if absent), from
 * either of Docker's encodings: {"k": ["v"]} or {"k": {"v": true}}. */
json_t *ctr_filter_values(const json_t *filters, const char *key);

/* container-rtcall.c: a runtime call for one container off the loop
 * (rtcall.h).  While it runs the container is busy: the routes that
 * would run the runtime on it wait for its end (ctr_busy).  done runs on the
 * loop with c, or with c NULL when the container was removed meanwhile
 * (the request, if any, was then answered); done owns arg. */
typedef void ctr_call_done_fn(struct ctr *c, void *arg,
    struct http_request *req, int rc, sdc_error_t *err);
int ctr_call(struct http_request *req, struct ctr *c, const char *what,
    int (*fn)(void *arg, sdc_error_t *err), ctr_call_done_fn *done,
    void *arg, sdc_error_t *err);
/* True when c has a runtime call under way: req then waits for its end
 * and handler(req, arg), the route's own, runs again (it finds the
 * container as the call left it); a request whose container was removed
 * meanwhile is answered 404. */
bool ctr_busy(struct http_request *req, struct ctr *c,
    int (*handler)(struct http_request *req, void *arg), void *arg);
/* The daemon's own work on c queued as a request is by ctr_busy: while
 * c->busy, later(c, arg) runs on the loop once the call has ended, in
 * turn with the requests (c NULL when it was removed meanwhile). */
void ctr_after_call(struct ctr *c, void (*later)(struct ctr *c, void *arg),
    void *arg);

/* container-remove.c: the daemon's own removals (AutoRemove, a failed
 * --rm start, a create whose commit failed, prune, a build's RUN
 * container, recovery, an account's delete), rt_delete off
 * the loop as ctr_delete's.  A container with a call under way is
 * removed once it ends.  done, when set, is told on the loop: rc 0 when
 * the container is gone (size: its writable layer's bytes, measured on
 * the thread before the delete, when size_first), else -1 and err. */
typedef void ctr_removed_fn(void *arg, int rc, int64_t size,
    sdc_error_t *err);
void ctr_remove_async(struct containers *cs, struct ctr *c, bool force,
    bool size_first, ctr_removed_fn *done, void *arg);

/* oci-runtime.c: the OCI runtime from OCI_RUNTIME, probed at start. */
int oci_runtime_init(struct containers *cs, sdc_error_t *err);
void oci_runtime_free(struct containers *cs);

/* api/containers-create.c */
int ctr_create(struct http_request *req, void *arg);
/* A container of account made from body (a create body) as POST
 * /containers/create makes one, for the daemon itself (a build's RUN):
 * 0 with *out when it was made at once (here, no quota to claim);
 * CTR_CREATE_ASYNC when its quota claim or its node's agent is under
 * way off the loop, then(arg, c, NULL) or then(arg, NULL, err) (err
 * then's to release) called on the loop at its end; -1 with *err when
 * refused (then never called). */
typedef void ctr_created_fn(void *arg, struct ctr *c, sdc_error_t *err);
#define CTR_CREATE_ASYNC 1
int ctr_create_for(struct containers *cs, const char *account,
    json_t *body, ctr_created_fn *then, void *arg, struct ctr **out,
    sdc_error_t *err);
/* A Docker-style name ("eager_turing") not taken in the account. */
char *ctr_name_generate(struct containers *cs, const char *account);
bool ctr_name_valid(const char *name);
/* A JSON array of strings as a NULL-terminated vector, and its free. */
char **create_strv(const json_t *a);

/* packages.c */
struct package {
	char *name;
	char *uuid;
	int64_t memory;			/* MiB */
	double vcpus;
	int64_t disk;			/* MiB */
	int64_t pids;			/* pids limit: the package's "pids", else
					 * DEFAULT_PIDS_LIMIT */
};
/* Choose from HostConfig and the labels; 422 when none fits. */
int packages_choose(struct dockerapi *d, const json_t *host_config,
    const json_t *labels, struct package *out, sdc_error_t *err);
void package_clear(struct package *p);

/* container-options.c: every field of a create body applied or refused */
struct ctr_opts {
	char **caps;			/* NULL: Docker's default set */
	bool no_new_privileges;
	bool readonly_rootfs;
	bool cgroupns;
	int oom_score_adj;
	struct rt_rlimit rlimits[16];
	size_t nrlimits;
	int64_t shm_size;		/* 0: the default */
	int64_t memory_reservation;
	int64_t pids_limit;		/* 0: the package's */
	struct rt_tmpfs *tmpfs;
	size_t ntmpfs;
	char **group_add, **sysctls, **extra_hosts;
	const char *init;		/* the init's host path, or NULL */
	unsigned console_height, console_width;
};
/* Check the request's body (before the image's config is merged in)
 * field by field; 400 naming the first field refused. */
int options_check(struct dockerapi *d, const json_t *body,
    const struct package *pkg, struct ctr_opts *o, sdc_error_t *err);
/* Shared with docker update: a value that means "not given", and the 400
 * "Field (--flag): text" that names what was refused. */
bool opt_unset(const json_t *v);
/* "64m", "1g", "1024" (bytes) as Docker's RAMInBytes reads them; -1 if
 * not a size (also a volume's --opt size). */
int64_t opt_size(const char *s);
int opt_field_vfail(sdc_error_t *err, const char *field, const char *flag,
    const char *fmt, va_list ap);
/* What was accepted, into the runtime spec (pointers into o). */
void options_spec(const struct ctr_opts *o, struct rt_spec *spec);
void options_clear(struct ctr_opts *o);
/* The table as a markdown table (docs/) or roff .TP list (dockerapi.8). */
void options_doc(struct buf *b, bool roff);

/* labels.c */
int labels_validate(struct dockerapi *d, const json_t *labels,
    sdc_error_t *err);
/* Under one of RESERVED_LABEL_NAMESPACES (triton.*, com.joyent.*). */
bool labels_reserved(struct dockerapi *d, const char *key);
/* "k" or "k=v" against labels. */
bool labels_match(const json_t *labels, const char *filter);

/* logconfig.c */
struct logconfig {
	char driver[16];
	bool no_log;
	int64_t max_size;		/* 0: from DEFAULT_MAX_LOG_SIZE */
	int max_file;
};
/* Validate HostConfig.LogConfig, filling in the default driver. */
int logconfig_validate(struct dockerapi *d, json_t *host_config,
    struct logconfig *out, sdc_error_t *err);
void logconfig_of(const struct ctr *c, struct logconfig *out);
int64_t logconfig_max_size(struct dockerapi *d, const struct logconfig *lc);
/* The bytes a container's log files may take in all (rt_start_opts.
 * log_budget), and at create the share of a package's disk they get. */
int64_t logconfig_budget(struct dockerapi *d, const struct ctr *c);
int64_t logconfig_disk_share(struct dockerapi *d, int64_t disk_mib,
    bool no_log);
void logconfig_init(struct dockerapi *d);
/* logship.c: the syslog, gelf and fluentd drivers.  At create, their
 * options (account NULL: container networks are judged at start); at
 * start, the monitor's arguments (none for the other drivers), the
 * address resolved and judged. */
struct strvec;
int logship_check(struct dockerapi *d, const char *account,
    const char *driver, const json_t *opts, sdc_error_t *err);
int logship_args(struct dockerapi *d, const struct ctr *c, struct strvec *out,
    sdc_error_t *err);

/* container-watch.c: the watcher, exits */
int watch_start(struct containers *cs, struct ctr *c, int fd, bool muted);
void watch_stop(struct ctr *c);
/* A running container without a monitor connection: poll its folder. */
void watch_orphan(struct containers *cs, struct ctr *c);
/* Mute the watcher once no attacher is fed from it. */
void watch_maybe_mute(struct ctr *c);
/* Answer the waiters that wait for `removed` (and the rest). */
void watch_removed(struct containers *cs, struct ctr *c);
/* The container exited (state in c->st): events, waiters, AutoRemove. */
void watch_exited(struct containers *cs, struct ctr *c);
/* c's exit learned from where another head acted on it (its node's
 * state after that head took the report): this head's own clients are
 * told (stop's answer, waits, logs -f), nothing more. */
void watch_exited_elsewhere(struct containers *cs, struct ctr *c);
/* The reaction of the head that claimed c's exit (heads_exit_mine):
 * die, the restart policy, AutoRemove, and its own clients told. */
void watch_exit_react(struct containers *cs, struct ctr *c);

/* api/containers-wait.c: the waits */
int ctr_wait(struct http_request *req, void *arg);
/* Answer the waiters whose condition holds; all of them when `all`. */
void wait_wake(struct ctr *c, bool all);

/* api/containers-attach.c */
#define ATTACH_KEYS_MAX 16
struct attach_opts {
	bool in, out, err;		/* the streams the client wants */
	bool raw;			/* TTY: no multiplexing headers */
	bool stdin_once;		/* client's EOF closes the stdin */
	struct limits_hold *hold;	/* the account's count of long-lived
					 * requests: released when it ends */
	bool logs;			/* logs=1: the log replayed first */
	bool no_stream;			/* stream=0: the logs, then the end */
	unsigned char keys[ATTACH_KEYS_MAX];	/* detach sequence */
	size_t nkeys;			/* 0: none */
	/* Detached by the keys: takes the monitor connection (an exec's
	 * exit still to be seen), or NULL to close it. */
	void (*on_detach)(void *arg, int fd);
};
/* Docker's detach keys ("ctrl-p,ctrl-q", "a,ctrl-x"; NULL or "" gives
 * the default ctrl-p,ctrl-q) into o; 400 naming them when invalid. */
int attach_detach_keys(const char *spec, struct attach_opts *o,
    sdc_error_t *err);
/* Called with the exit frame (NULL if the monitor hung up without one),
 * before the stream ends. */
typedef void attach_exit_fn(void *arg, const struct rt_frame *f);
/* A hijacked client on container c; fd is its own monitor connection
 * (an exec's, or a running container's), or -1 to be fed by the
 * watcher from the start on. */
struct ctr_attach *attach_open(struct ctr *c, struct bufferevent *bev,
    int fd, const struct attach_opts *o, attach_exit_fn *on_exit, void *arg);
/* The watcher is there: stdin waiting for it may flow. */
void attach_started(struct ctr *c);
int ctr_attach(struct http_request *req, void *arg);
int ctr_resize(struct http_request *req, void *arg);
/* A TTY's resize on the node of a container behind an agent, off the
 * loop (rtcall.h), for the container's own TTY (exec_id NULL) and an
 * exec's alike: the job takes *t (its address set) and h and w (the
 * query's); node_resize_run is its runtime call, node_resize_done its
 * end, which answers req (if still there) and frees the job. */
struct node_target;
struct node_resize_job *node_resize_job(struct node_target *t,
    const char *uuid, const char *exec_id, const char *h, const char *w);
void node_resize_job_free(struct node_resize_job *j);
int node_resize_run(void *arg, sdc_error_t *err);
void node_resize_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err);
/* Frames read by the watcher go to the attachers fed from it. */
void attach_feed(struct ctr *c, const struct rt_frame *f);
void attach_end_all(struct ctr *c);
/* The daemon is stopping: drop every client of the container now. */
void attach_free_all(struct ctr *c);
/* Docker's 8-byte header of a multiplexed stream. */
void attach_mux_header(unsigned char hdr[8], int stream, size_t len);
/* Stop reading the watcher while a client is slow. */
bool attach_backlogged(const struct ctr *c);

/* api/containers-lifecycle.c */
int ctr_start(struct http_request *req, void *arg);
/* The restart policy's start: the runtime off the loop, a failure
 * logged when it answers; -1 when it could not begin. */
int ctr_start_policy(struct containers *cs, struct ctr *c, sdc_error_t *err);
int ctr_start_one(struct containers *cs, struct ctr *c, sdc_error_t *err);
/* The daemon's own start (a build's RUN): as the user's, the runtime off
 * the loop, on the container's node through its agent (the output
 * relayed from there when c->run_out is set); then(arg, rc, err) on the
 * loop once it answered (rc -1 and err when it failed, the start
 * undone); -1 when it could not begin (503 "node unavailable"). */
typedef void ctr_started_fn(void *arg, int rc, sdc_error_t *err);
int ctr_start_async(struct containers *cs, struct ctr *c,
    ctr_started_fn *then, void *arg, sdc_error_t *err);
int ctr_stop(struct http_request *req, void *arg);
int ctr_restart(struct http_request *req, void *arg);
int ctr_kill(struct http_request *req, void *arg);
int ctr_pause(struct http_request *req, void *arg);
int ctr_unpause(struct http_request *req, void *arg);
int ctr_delete(struct http_request *req, void *arg);
int ctr_rename(struct http_request *req, void *arg);
int ctr_prune(struct http_request *req, void *arg);
/* A stop or restart in progress sees the exit. */
void ops_exited(struct containers *cs, struct ctr *c);
int signal_parse(const char *s);

/* api/containers-update.c: docker update, within the package */
int ctr_update(struct http_request *req, void *arg);

/* api/containers-export.c, api/containers-changes.c,
 * api/containers-commit.c: the container's files out (docker export,
 * diff, commit) */
int ctr_export(struct http_request *req, void *arg);
int ctr_changes(struct http_request *req, void *arg);
int ctr_commit(struct http_request *req, void *arg);
/* Answer req with what fn writes for container c, run on a thread of its
 * own and streamed (thread-stream.c); returns HTTP_ASYNC or, having
 * answered the error, HTTP_DONE. */
typedef int ctr_files_fn(const struct rt_config *rt, const char *uuid,
    int (*write)(void *, const void *, size_t), void *warg, sdc_error_t *err);
int ctr_stream_files(struct http_request *req, struct dockerapi *d,
    const struct ctr *c, const char *what, const char *content_type,
    ctr_files_fn *fn);

/* container-restart.c: restart policies */
/* HostConfig.RestartPolicy as Docker accepts it (400 otherwise). */
int restart_validate(const json_t *host_config, sdc_error_t *err);
/* After an exit: schedule the restart the policy asks for, if any. */
bool restart_after_exit(struct containers *cs, struct ctr *c);
/* A restart is scheduled, or its start has not answered yet. */
bool ctr_restarting(const struct ctr *c);
void restart_cancel(struct ctr *c);
/* The policy's start has answered (either way): counted, and no longer
 * restarting. */
void restart_policy_answered(struct ctr *c);
/* The user started the container: the policy's count starts over. */
void restart_user_started(struct containers *cs, struct ctr *c);
/* The user stopped or killed it: no restart follows.  True when a restart
 * was pending (now cancelled): nothing runs to be stopped. */
bool restart_user_stopped(struct containers *cs, struct ctr *c);
/* The daemon starts: the "always" and "unless-stopped" containers. */
void restart_at_daemon_start(struct containers *cs);
void restart_learned(struct containers *cs, struct ctr *c);

/* api/containers-json.c */
int ctr_list(struct http_request *req, void *arg);
/* ps -s and df: entries whose layers' sizes are walked off the loop
 * (size-walk.c), the texts put together once the walk is done. */
struct list_sized {
	struct strvec entries;		/* each without its closing brace */
	struct size_walk *walk;		/* an item per entry, in order */
};
void list_entry_sized(struct list_sized *ls, struct containers *cs,
    struct ctr *c);
/* Every container of the account. */
void list_account_sized(struct containers *cs, const char *acct,
    struct list_sized *ls);
void list_sized_text(const struct list_sized *ls, const int64_t *sizes,
    struct buf *out);
/* api/system-df.c: GET /system/df */
int system_df(struct http_request *req, void *arg);
int ctr_inspect(struct http_request *req, void *arg);
json_t *ctr_inspect_json(struct containers *cs, const struct ctr *c,
    int minor);

/* api/containers-logs.c */
int ctr_logs(struct http_request *req, void *arg);
void logs_exited(struct ctr *c);

/* api/containers-attach-logs.c: attach with logs=1, the log replayed on
 * a thread */
struct attach_logs;
typedef void attach_logs_done_fn(void *arg);
/* Write c's log (the streams asked) to bev; done(arg) once all is queued
 * (the replay is then freed). */
struct attach_logs *attach_logs_start(struct containers *cs,
    const struct ctr *c, struct bufferevent *bev, bool out, bool err,
    bool raw, attach_logs_done_fn *done, void *arg, sdc_error_t *errp);
/* The client took what was queued: read on. */
void attach_logs_drained(struct attach_logs *l);
void attach_logs_cancel(struct attach_logs *l);

/* api/containers-top.c, api/containers-stats.c */
int ctr_top(struct http_request *req, void *arg);
int ctr_stats(struct http_request *req, void *arg);

/* api/exec-routes.c */
int exec_create(struct http_request *req, void *arg);
int exec_start(struct http_request *req, void *arg);
int exec_inspect(struct http_request *req, void *arg);
int exec_resize(struct http_request *req, void *arg);
void exec_forget(struct containers *cs, const struct ctr *c);
void exec_free_all(struct containers *cs);

/* container-place.c: the node of a container being created (its id in
 * *node when node is not NULL), or 409 "No compute resources available"
 * when none has room or meets the hard affinities.  only: when not NULL,
 * the one node id that may take it (a container joining another's
 * network namespace goes where that one runs). */
struct affinity_set;
int place_container(struct dockerapi *d, const char *account,
    const struct package *pkg, const struct affinity_set *aff,
    const char *only, char **node, sdc_error_t *err);

/* api/system-events.c */
void events_init(struct containers *cs);
void events_free(struct containers *cs);
/* A container event; attrs (may be NULL) is stolen. */
void events_container(struct containers *cs, const struct ctr *c,
    const char *action, json_t *attrs);
/* A network's connect or disconnect of a container, as dockerd's (the
 * nodes' agents take their names from the store at once on it). */
void events_network(struct containers *cs, const char *account,
    const char *network_id, const char *network_name, const char *action,
    const char *container_id);
int events_get(struct http_request *req, void *arg);
/* A message made elsewhere (another process): into the account's
 * history and to its subscribers, as one of ours; takes msg. */
void events_publish_from(struct containers *cs, const char *account,
    json_t *msg);
/* events-notify.c: events between processes on one PostgreSQL store;
 * start gives NULL on SQLite, and send does nothing with NULL. */
struct events_notify;
struct events_notify *events_notify_start(struct containers *cs);
void events_notify_free(struct events_notify *n);
void events_notify_send(struct events_notify *n, const char *account,
    const json_t *msg);

#endif
