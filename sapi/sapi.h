/*
 * sapi.h: what the config service's modules share.
 *
 * The daemon is split the way its data is: model.c keeps the objects in the
 * store, update.c applies a PUT's action to one object, merge.c folds an
 * instance's chain (application → service → instance) into its config and
 * enforces an application's metadata_schema, schema.c is the validator.
 * None of those know about HTTP, so the unit tests drive them directly.
 * The handlers (server.h: objects.c and a file per resource, configs.c,
 * mode.c) sit on top, dispatched by server.c.
 *
 * Errors inside the daemon carry a SAPI error in sdc_error's `code`: the
 * HTTP status times 100 plus a number telling the apart the codes that share
 * a status (errors.c maps it to the status and to SAPI's code name).  Any
 * other code, e.g. one from the store, is answered as 500 InternalError.
 */
#ifndef SAPI_SAPI_H
#define SAPI_SAPI_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/types.h>

#include "error.h"

/* --- errors (errors.c) --- */

enum sapi_errcode {
	SAPI_E_INVALID_CONTENT = 40000,	/* 400 InvalidContent */
	SAPI_E_NOT_FOUND = 40400,	/* 404 ResourceNotFound */
	SAPI_E_INVALID_ARGUMENT = 40900, /* 409 InvalidArgument */
	SAPI_E_MISSING_PARAMETER = 40901, /* 409 MissingParameter */
	SAPI_E_SCHEMA = 40902,		/* 409 SchemaValidationError */
	SAPI_E_EXISTS = 40903,		/* 409 ObjectAlreadyExists */
	SAPI_E_IN_USE = 40904,		/* 409 InUse */
	SAPI_E_FORBIDDEN = 40300,	/* 403 Forbidden */
	SAPI_E_PRECONDITION = 41200,	/* 412 PreconditionFailed */
	SAPI_E_INTERNAL = 50000,	/* 500 InternalError */
	SAPI_E_UNAVAILABLE = 50300,	/* 503 ServiceUnavailable */
};

int sapi_error_status(const struct sdc_error *e);
const char *sapi_error_name(const struct sdc_error *e);

/* --- objects and their store (model.c) --- */

enum sapi_kind {
	SAPI_APPLICATION,
	SAPI_SERVICE,
	SAPI_INSTANCE,
	SAPI_MANIFEST,
};

const char *sapi_kind_name(enum sapi_kind kind);

struct sapi_model;

/* Opens (creating) <dir>/sapi.db and brings its tables up to date. */
int sapi_model_open(struct sapi_model **out, const char *dir, sdc_error_t *err);
/* The same on any store location: a SQLite file or a libpq URI. */
int sapi_model_open_at(struct sapi_model **out, const char *where, sdc_error_t *err);
/* "sqlite" or "postgresql", for /ping. */
const char *sapi_model_backend(struct sapi_model *m);
/* Tell the other processes sharing the store that configs changed
 * (notify.c); nothing on SQLite. */
int sapi_model_notify(struct sapi_model *m, sdc_error_t *err);
struct event_base;
/* From now on the store connects again on a thread whose end base's loop
 * hears (store_connect_off_loop): a PostgreSQL host that drops packets
 * holds no request, /ping included, for connect_timeout. */
void sapi_model_connect_off_loop(struct sapi_model *m, struct event_base *base);
void sapi_model_close(struct sapi_model *m);
/* True when the store holds no object at all (first start). */
int sapi_model_is_empty(struct sapi_model *m, bool *empty, sdc_error_t *err);
/* A trivial query, for /ping. */
bool sapi_model_available(struct sapi_model *m);

/* A transaction: begin, then commit or rollback.  A commit is on disk
 * when it returns.  The daemon groups writes (commit.c): one transaction,
 * a savepoint per write. */
int sapi_model_begin(struct sapi_model *m, sdc_error_t *err);
int sapi_model_commit(struct sapi_model *m, sdc_error_t *err);
void sapi_model_rollback(struct sapi_model *m);
/* Inside a transaction: one write's statements, kept or undone alone. */
int sapi_model_savepoint(struct sapi_model *m, sdc_error_t *err);
int sapi_model_release_savepoint(struct sapi_model *m, sdc_error_t *err);
void sapi_model_rollback_savepoint(struct sapi_model *m);

/* A new reference to the object, or NULL: SAPI_E_NOT_FOUND when there is
 * none of that kind with that uuid. */
json_t *sapi_model_get(struct sapi_model *m, enum sapi_kind kind,
    const char *uuid, sdc_error_t *err);

/* Filters for a list: NULL fields match anything. */
struct sapi_filter {
	const char *name;
	const char *parent;     /* application_uuid / service_uuid */
	const char *type;
	const char *owner_uuid;
};
/* An array (possibly empty) ordered by name, then uuid. */
json_t *sapi_model_list(struct sapi_model *m, enum sapi_kind kind,
    const struct sapi_filter *f, sdc_error_t *err);
int sapi_model_count_children(struct sapi_model *m, const char *uuid,
    int64_t *n, sdc_error_t *err);

/* Store a new object, its "version" set to 1 (SAPI_E_EXISTS when the uuid
 * is taken). */
int sapi_model_insert(struct sapi_model *m, enum sapi_kind kind, json_t *obj,
    sdc_error_t *err);
/* Store a changed object; its "version" must still be the stored one, and
 * becomes that plus one. */
int sapi_model_update(struct sapi_model *m, enum sapi_kind kind, json_t *obj,
    sdc_error_t *err);
int sapi_model_delete(struct sapi_model *m, enum sapi_kind kind,
    const char *uuid, sdc_error_t *err);

/* --- a PUT's action (update.c) --- */

/* Apply body ({"action": update|replace|delete, "params", "metadata",
 * "manifests", ...}) to obj in place.  The fields a kind may change are
 * the three maps, "name", and for applications "owner_uuid" and
 * "metadata_schema". */
int sapi_update_apply(json_t *obj, enum sapi_kind kind, const json_t *body,
    sdc_error_t *err);

/* --- metadata_schema (schema.c) --- */

/* Is schema one this validator understands? */
int sapi_schema_check(const json_t *schema, sdc_error_t *err);
/* Does value satisfy schema?  The message names the offending key. */
int sapi_schema_validate(const json_t *schema, const json_t *value,
    sdc_error_t *err);

/* --- configs (merge.c) --- */

/* The shallow merge of the maps named key of a, b and c (any may be NULL),
 * later ones winning.  Always an object. */
json_t *sapi_merge_maps(const json_t *a, const json_t *b, const json_t *c,
    const char *key);
/* {"metadata": merged, "manifests": [the manifest objects, by name]} of an
 * instance. */
json_t *sapi_merge_config(struct sapi_model *m, const char *instance_uuid,
    sdc_error_t *err);
/* The ETag of a config: a quoted hash of its canonical text.  Free it. */
char *sapi_merge_etag(const json_t *config);
/* After a write to the object (kind, uuid), check every merged metadata
 * under its application against the application's metadata_schema. */
int sapi_merge_check_schema(struct sapi_model *m, enum sapi_kind kind,
    const json_t *obj, sdc_error_t *err);

/* --- the daemon's settings (options.c) --- */

struct sapi_options {
	char *listen;           /* HOST:PORT or unix:PATH; NULL until
	                           sapi_options_finish: unix:DATA/sapi.sock */
	char *tls_cert;         /* TCP only: the server's certificate, */
	char *tls_key;          /* its key, */
	char *tls_client_ca;    /* and the CA every client's cert must
	                           chain to (mutual TLS) */
	char *data_dir;
	char *store;            /* NULL: DATA/sapi.db; or a libpq URI */
	char *bootstrap;        /* YAML loaded on first start; NULL: none */
	bool bootstrap_given;   /* named by the user: missing is an error */
	int log_level;
	double max_wait;        /* cap on ?wait=, seconds */
	size_t max_body;        /* bytes */
};

/* Defaults, then the YAML file (when path != NULL). */
int sapi_options_load(struct sapi_options *o, const char *path, sdc_error_t *err);
/* After the flags: the default listen address (the socket in the data
 * dir), and the rule that TCP goes with mutual TLS and TLS with TCP. */
int sapi_options_finish(struct sapi_options *o, sdc_error_t *err);

/* --- mutual TLS for a TCP listener (tls.c) --- */

/* The server context: o's certificate and key, and client certificates
 * required and verified against o->tls_client_ca. */
SSL_CTX *sapi_tls_context(const struct sapi_options *o,
    sdc_error_t *err);
void sapi_options_free(struct sapi_options *o);

#endif
