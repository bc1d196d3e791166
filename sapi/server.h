/*
 * server.h: the daemon around the model: its state, the resources and
 * their routes, and the helpers every handler answers with.
 *
 * Everything here runs on the daemon's one libevent thread.  The writes
 * handled in one turn of the loop share a store transaction (commit.c);
 * once it has committed, their answers leave and configs.c wakes the long
 * polls whose merged config changed.  Handlers answer only through
 * sapi_send() and the helpers built on it, and return what those return.
 */
#ifndef SAPI_SERVER_H
#define SAPI_SERVER_H

#include "http.h"
#include "router.h"
#include "sapi.h"

struct sapi_waiters;
struct sapi_commit;
struct sapi_notify;

struct sapi {
	struct event_base *base;
	struct http_server *http;
	struct router *router;
	struct sapi_model *model;
	struct sapi_waiters *waiters;
	struct sapi_commit *commit;
	struct sapi_notify *notify;     /* NULL but on PostgreSQL */
	double max_wait;
};

/* What a resource's handlers need to know about its kind (objects.c). */
struct sapi_resource {
	enum sapi_kind kind;
	const char *name;               /* "application" */
	const char *parent_field;       /* "application_uuid" or NULL */
	enum sapi_kind parent_kind;
	const char *const *required;    /* keys a POST must have */
	const char *const *strings;     /* other optional string fields */
	bool typed;                     /* has "type": vm | agent */
	/* Kind-specific checks and defaults for a new or changed object. */
	int (*prepare)(struct sapi *s, json_t *obj, const json_t *parent,
	    sdc_error_t *err);
};

extern const struct sapi_resource sapi_application_resource;
extern const struct sapi_resource sapi_service_resource;
extern const struct sapi_resource sapi_instance_resource;
extern const struct sapi_resource sapi_manifest_resource;

/* Route tables, each ending with a zeroed entry. */
extern const struct route sapi_application_routes[];
extern const struct route sapi_service_routes[];
extern const struct route sapi_instance_routes[];
extern const struct route sapi_manifest_routes[];
extern const struct route sapi_config_routes[];
extern const struct route sapi_mode_routes[];

/* Create an object from a POST body, inside the caller's transaction
 * (also used by the bootstrap).  Returns the stored object. */
json_t *sapi_objects_create(struct sapi *s, const struct sapi_resource *res,
    const json_t *body, sdc_error_t *err);
/* The generic handlers; the route's data is its struct sapi_resource. */
int sapi_objects_list(struct http_request *req, void *arg);
int sapi_objects_post(struct http_request *req, void *arg);
int sapi_objects_get(struct http_request *req, void *arg);
int sapi_objects_put(struct http_request *req, void *arg);
int sapi_objects_delete(struct http_request *req, void *arg);

/* Load the bootstrap file into an empty store (bootstrap.c). */
int sapi_bootstrap_load(struct sapi *s, const char *path, sdc_error_t *err);

/* Long polls (configs.c): a write has committed, wake whoever's config it
 * changed; shut down: answer every held request now. */
struct sapi_waiters *sapi_waiters_new(void);
void sapi_waiters_free(struct sapi_waiters *w);
void sapi_configs_changed(struct sapi *s);

/* Changes committed by other sapi processes sharing one PostgreSQL wake
 * this one's long polls (notify.c).  NULL, with no error, for a store
 * that is not PostgreSQL. */
struct sapi_notify *sapi_notify_start(struct sapi *s, const char *where,
    sdc_error_t *err);
void sapi_notify_free(struct sapi_notify *n);
void sapi_configs_flush(struct sapi *s);

/* Group commit (commit.c).  A write runs between enter and leave (keep:
 * its statements stay in the batch; else they are rolled back); the batch
 * commits once the loop has run every ready request. */
struct sapi_commit *sapi_commit_new(struct sapi *s);
void sapi_commit_free(struct sapi_commit *c);
int sapi_commit_enter(struct sapi *s, sdc_error_t *err);
int sapi_commit_leave(struct sapi *s, bool keep, sdc_error_t *err);
/* Commit the open batch now and send the answers it holds. */
void sapi_commit_flush(struct sapi *s);
/* Every answer goes out through here: at once, or after the open batch
 * commits.  Steals body (NULL: none).  Returns what the handler returns. */
int sapi_send(struct http_request *req, int status, json_t *body);

/* Answering (server.c).  Each returns what the handler should return. */
int sapi_reply_error(struct http_request *req, sdc_error_t *err);
int sapi_reply_fail(struct http_request *req, enum sapi_errcode code,
    const char *fmt, ...) SDC_PRINTF(3, 4);
/* A JSON object with an ETag of its version; steals obj. */
int sapi_reply_object(struct http_request *req, int status, json_t *obj);
/* The body as a JSON object, or NULL after answering 400. */
json_t *sapi_request_object(struct http_request *req);
/* Does the If-Match header (absent: yes) accept this version? */
bool sapi_if_match(const struct http_request *req, json_int_t version);
/* Does an If-None-Match style list hold this etag? */
bool sapi_etag_listed(const char *header, const char *etag);
void sapi_dispatch_init(struct sapi *s);
int sapi_dispatch(struct http_request *req, void *arg);

#endif
