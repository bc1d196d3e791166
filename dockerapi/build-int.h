/*
 * build-int.h: what the parts of the classic builder (api/build-routes.c,
 * build-copy.c, build-config.c, build-run.c, build-cache.c) share: one
 * build under way and the steps each part runs.
 */
#ifndef DOCKERAPI_BUILD_INT_H
#define DOCKERAPI_BUILD_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "dockerapi.h"
#include "dockerapi/images/images.h"
#include "buf.h"
#include "error.h"

/* An image's files, read from its layers (build-rootfs.c). */
struct rootfs {
	char **layers;			/* the layers' diff dirs, top first */
	size_t n;
};

/* A file of the context as unpacked: its name and the digest of its
 * name, mode, link target and bytes (not its times). */
struct build_file {
	char *rel;
	unsigned char md[32];
	char type;			/* 'f', 'd', 'l' (a symlink) */
};

/* What the context's first pass kept (NULL: not a file of it). */
struct build_context_list {
	struct buf *dockerfile;
	struct buf *ignore;
};

/* A finished stage of the Dockerfile, for COPY --from. */
struct build_stage {
	char *name;			/* AS name, lowercase; NULL: none */
	char *image;			/* its image; NULL: scratch */
};

struct build {
	struct dockerapi *d;
	struct http_request *req;	/* NULL once the client has gone */
	char account[37];
	char *dir;			/* <data>/build/<random> */
	char *ctx;			/* dir/context */
	int tarfd;
	int64_t got, cap;
	bool over;
	struct build_unpacker *unpacker;	/* while the context unpacks */
	bool unpacked;			/* its files are written */
	bool waiting;			/* a COPY or ADD waits for them */
	const struct df_instr *resume;	/* that step, its line printed */
	/* options */
	char **tags;
	size_t ntags;
	const char *dockerfile;
	json_t *buildargs, *labels, *used_args;
	char *target;
	bool quiet;
	/* the Dockerfile */
	struct dockerfile df;
	struct dockerignore di;
	size_t pc, step, nsteps, stage_end;
	/* the current stage */
	char *image;			/* NULL: scratch */
	json_t *config;
	json_t *args;			/* ARG values of the stage */
	json_t *meta_args;		/* ARGs before the first FROM */
	bool cmd_set;
	char *author;
	/* every image this build made, removed if it fails */
	char **made;
	size_t nmade;
	struct images_job *job;
	struct event *ev;
	bool streaming;
	/* RUN: its container while it runs and is committed */
	char *netmode;			/* HostConfig.NetworkMode; NULL: default */
	char run_id[65];		/* "" when none */
	char *run_cmd;			/* the argv joined, for the history */
	struct event *run_ev;		/* the exit, handled off the watcher */
	struct build_run_start *run_starting;	/* its start under way */
	struct build_run_rm *run_rm;	/* its removal under way */
	void (*run_rm_then)(struct build *b);	/* called once it is gone */
	sdc_error_t end_err;		/* the build's end, held for it */
	bool keep_run;			/* rm=0 without forcerm: a RUN's container
					 * stays after its step succeeds */
	/* the step cache */
	bool nocache;
	struct build_file *files;	/* the context's, sorted by name */
	size_t nfiles;
	char *cache_key;		/* the step under way's, stored once done */
	/* the stages so far, the current one last */
	struct build_stage *stages;
	size_t nstages;
	/* the base image's ONBUILD triggers, run before the next line */
	struct dockerfile trig;
	size_t tpc;
	/* pull=1: the base is pulled before FROM goes on */
	bool pull;
	char *registry_config;		/* X-Registry-Config, or NULL */
	const struct df_instr *pull_in;	/* the FROM waiting for its pull */
	char *pull_name;
	/* the labels parameter, applied once after the last step */
	bool labels_done;
};

/* build-run.c: a RUN's start or removal under way outlives a build that
 * ends meanwhile (build_run_forget). */
void build_run_forget(struct build *b);

/* The predefined proxy ARGs, usable without an ARG line. */
extern const char *const build_proxy_args[];

/* api/build-routes.c: the build, its stream and its commits */
int build_commit(struct build *b, const char *created_by, images_layer_fn *layer,
    void *layer_arg, sdc_error_t *err);
int build_expand(struct build *b, const char *word, char **out, sdc_error_t *err);
void build_finish(struct build *b, sdc_error_t *err);
void build_free(struct build *b);
void build_line(struct build *b, const char *key, const char *text);
void build_on_job(evutil_socket_t fd, short what, void *arg);
void SDC_PRINTF(2, 3) build_say(struct build *b, const char *fmt, ...);
void build_env_set(json_t *config, const char *k, const char *v);

/* build-copy.c */
int step_copy(struct build *b, const struct df_instr *in, sdc_error_t *err);
int step_copy_inputs(struct build *b, const struct df_instr *in, char out[65]);

/* build-context.c: the context, unpacked on a worker */
int build_context_start(struct build *b, const char *dockerfile, sdc_error_t *err);
const struct build_file *build_context_find(const struct build *b, const char *rel);
/* The index of the first listed name not below rel. */
size_t build_context_first(const struct build *b, const char *rel);
void build_context_stop(struct build *b);
void build_context_free(struct build *b);
void build_context_remove(char *dir);
void build_context_digest(struct build *b, const char *rel, EVP_MD_CTX *md);
/* api/build-routes.c: the context is listed (rc 0) or failed (rc -1, *err) */
void build_context_done(struct build *b, int rc,
    const struct build_context_list *l, sdc_error_t *err);
/* api/build-routes.c: its files are written (rc 0) or failed */
void build_context_written(struct build *b, int rc, sdc_error_t *err);

/* build-config.c */
json_t * build_command_json(struct build *b, const struct df_instr *in, size_t from);
int step_arg(struct build *b, const struct df_instr *in, json_t *into, sdc_error_t *err);
int step_config(struct build *b, const struct df_instr *in, sdc_error_t *err);
int step_from(struct build *b, const struct df_instr *in, sdc_error_t *err);
int step_from_image(struct build *b, const struct df_instr *in, const char *name,
    sdc_error_t *err);

/* build-pull.c (its job ends in build_on_job) */
int build_pull(struct build *b, const struct df_instr *in, const char *name,
    sdc_error_t *err);
void build_pull_done(struct build *b, int r, sdc_error_t *err);

/* build-run.c */
void build_run_exited(evutil_socket_t fd, short what, void *arg);
void build_run_keep(struct build *b);
void build_run_remove(struct build *b, void (*then)(struct build *b));
int step_run(struct build *b, const struct df_instr *in, sdc_error_t *err);

/* build-rootfs.c */
int rootfs_open(struct build *b, const char *image, struct rootfs *r, sdc_error_t *err);
void rootfs_free(struct rootfs *r);
int rootfs_resolve(const struct rootfs *r, const char *path, bool follow_last,
    char **rel, char **host, struct stat *st);
int rootfs_list(const struct rootfs *r, const char *rel, char ***names, size_t *n);
int rootfs_read(const struct rootfs *r, const char *path, struct buf *out, size_t max);

/* build-cache.c */
bool build_cache_hit(struct build *b, const struct df_instr *in);
void build_cache_store(struct build *b);

#endif
