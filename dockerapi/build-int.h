/*
 * build-int.h: what the parts of the classic builder (build-api.c,
 * build-copy.c, build-config.c, build-run.c, build-cache.c) share: one
 * build under way and the steps each part runs.
 */
#ifndef DOCKERAPI_BUILD_INT_H
#define DOCKERAPI_BUILD_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "dockerapi.h"
#include "dockerapi/images/images.h"
#include "error.h"

struct build {
	struct dockerapi *d;
	struct http_request *req;	/* NULL once the client has gone */
	char account[37];
	char *dir;			/* <data>/build/<random> */
	char *ctx;			/* dir/context */
	int tarfd;
	int64_t got, cap;
	bool over;
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
	bool keep_run;			/* rm=0 without forcerm: a RUN's container
					 * stays after its step succeeds */
	/* the step cache */
	bool nocache;
	EVP_MD_CTX *ctx_md;		/* the context's content, unpacked */
	char ctx_digest[65];
	char *cache_key;		/* the step under way's, stored once done */
};

/* The predefined proxy ARGs, usable without an ARG line. */
extern const char *const build_proxy_args[];

/* build-api.c: the build, its stream and its commits */
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

/* build-config.c */
json_t * build_command_json(struct build *b, const struct df_instr *in, size_t from);
int step_arg(struct build *b, const struct df_instr *in, json_t *into, sdc_error_t *err);
int step_config(struct build *b, const struct df_instr *in, sdc_error_t *err);
int step_from(struct build *b, const struct df_instr *in, sdc_error_t *err);

/* build-run.c */
void build_run_exited(evutil_socket_t fd, short what, void *arg);
void build_run_keep(struct build *b);
void build_run_remove(struct build *b);
int step_run(struct build *b, const struct df_instr *in, sdc_error_t *err);

/* build-cache.c */
bool build_cache_hit(struct build *b, const struct df_instr *in);
void build_cache_store(struct build *b);

#endif
