/*
 * sapi.h: libsapi, the C client of the config service.
 *
 * Two halves.  The calls (sapi_client_*) are blocking HTTP requests over
 * lib/fetch (libcurl), one at a time per client: fine for tools and for a
 * daemon's start-up, not for its event loop.  The watch (sapi_watch_*) is for
 * daemons: it runs on a thread of its own, long-polls the instance's
 * merged config (GET /configs/:uuid?wait=...) and hands each new config to
 * the caller, reconnecting with backoff while the service is down and
 * keeping the last good config in a cache file so the caller can start
 * without the service.
 *
 * Errors follow error.h: every fallible call takes `sdc_error_t *err` last
 * and returns -1 or NULL.  err->code is the HTTP status when the service
 * answered with an error (404, 409, 412, ...; the message then carries
 * SAPI's code name, e.g. "ResourceNotFound: instance ... not found"), or
 * lib/fetch's code when it could not be reached (FETCH_E_CONNECT,
 * FETCH_E_TIMEOUT, ...: libcurl's numbers, as before).  The two
 * ranges do not overlap: those codes are below 100.
 *
 * JSON values are jansson's; functions returning json_t * give the caller
 * a new reference.
 */
#ifndef SAPI_CLIENT_SAPI_H
#define SAPI_CLIENT_SAPI_H

#include <stdbool.h>
#include <jansson.h>

#include "error.h"

/* Where a client finds the service when neither the caller nor $SAPI_URL
 * says: "unix:" and the socket sapi makes by default when run by the same
 * user from the same install (DATA_DIR/sapi.sock: <top>/var/sapi from a
 * source tree, else $XDG_STATE_HOME or ~/.local/state, sdc-docker/sapi).
 * Free it. */
char *sapi_default_url(void);

enum sapi_object {
	SAPI_OBJ_APPLICATION,
	SAPI_OBJ_SERVICE,
	SAPI_OBJ_INSTANCE,
	SAPI_OBJ_MANIFEST,
};

/* "applications", "services", "instances", "manifests". */
const char *sapi_object_path(enum sapi_object kind);

/* --- the calls --- */

struct sapi_client;

/* url: "unix:/PATH" (or "unix:///PATH") for the daemon's unix socket, its
 * default; "https://HOST:PORT" for sapi on TCP, which takes only mutual
 * TLS: the client then presents cert.pem and key.pem of cert_path and
 * verifies the service against its ca.pem (the operator's CA), as Docker
 * does with DOCKER_CERT_PATH; "http://HOST:PORT" is still spoken, to a
 * proxy say.  A trailing slash is fine.  NULL or "" means $SAPI_URL, else
 * sapi_default_url(); a NULL cert_path means $SAPI_CERT_PATH. */
struct sapi_client *sapi_client_new_tls(const char *url, const char *cert_path,
    sdc_error_t *err);
/* The same with cert_path $SAPI_CERT_PATH. */
struct sapi_client *sapi_client_new(const char *url, sdc_error_t *err);
void sapi_client_free(struct sapi_client *c);
const char *sapi_client_url(const struct sapi_client *c);
/* Whole-request timeout for the calls below, in ms (default 30000). */
void sapi_client_set_timeout(struct sapi_client *c, long ms);

json_t *sapi_client_get(struct sapi_client *c, enum sapi_object kind,
    const char *uuid, sdc_error_t *err);
/* filters: name/value pairs ("name", "docker", "type", "vm", NULL), any of
 * name, application_uuid, service_uuid, type, owner_uuid.  An array,
 * possibly empty. */
json_t *sapi_client_list(struct sapi_client *c, enum sapi_object kind,
    const char *const *filters, sdc_error_t *err);
json_t *sapi_client_create(struct sapi_client *c, enum sapi_object kind,
    const json_t *body, sdc_error_t *err);
/* body as SAPI takes it: {"action": "update"|"replace"|"delete",
 * "metadata": {...}, "params": {...}, ...}.  if_match > 0 sends
 * If-Match with that version: a stale one fails with code 412. */
json_t *sapi_client_update(struct sapi_client *c, enum sapi_object kind,
    const char *uuid, const json_t *body, json_int_t if_match,
    sdc_error_t *err);
int sapi_client_delete(struct sapi_client *c, enum sapi_object kind,
    const char *uuid, json_int_t if_match, sdc_error_t *err);

/* An instance's merged config, {"metadata": {...}, "manifests": [...]}.
 * With if_none_match (an ETag from before) returns 0 when it is still the
 * same, waiting up to wait seconds for a change first when wait > 0;
 * otherwise 1 with *config (new reference) and *etag (free it) set. */
int sapi_client_config(struct sapi_client *c, const char *instance_uuid,
    const char *if_none_match, double wait, json_t **config, char **etag,
    sdc_error_t *err);

/* The uuid of the instance called name (there must be exactly one). */
int sapi_client_find_instance(struct sapi_client *c, const char *name,
    char uuid[37], sdc_error_t *err);

/* GET /ping. */
json_t *sapi_client_ping(struct sapi_client *c, sdc_error_t *err);

/* --- the watch --- */

/*
 * Called with each new config.  config is borrowed (json_incref it to keep
 * it); etag identifies it.  from_cache is true for the config read from the
 * cache file.  The first call, with the cached config when there is one,
 * happens inside sapi_watch_start() on the caller's thread; every later one
 * on the watch's own thread, so a daemon with an event loop should only
 * hand the config over (a locked pointer swap and event_active(), or the
 * fd interface below) and return.
 */
typedef void (*sapi_watch_config_fn)(const json_t *config, const char *etag,
    bool from_cache, void *arg);
/* Each failure to reach the service or to read the config, on the watch
 * thread, before the watch backs off and tries again. */
typedef void (*sapi_watch_error_fn)(const struct sdc_error *err, void *arg);

struct sapi_watch_options {
	const char *url;                /* NULL: $SAPI_URL or the default */
	const char *cert_path;          /* https: as sapi_client_new_tls */
	const char *instance_uuid;      /* this instance; or: */
	const char *instance_name;      /* found by name (re-found if deleted) */
	const char *cache_path;         /* NULL: no cache */
	double wait;                    /* seconds a long poll lasts; 0: 60 */
	double backoff_min;             /* seconds; 0: 0.1 */
	double backoff_max;             /* seconds; 0: 10 */
	sapi_watch_config_fn on_config; /* may be NULL (use the fd) */
	sapi_watch_error_fn on_error;   /* may be NULL */
	void *arg;
};

struct sapi_watch;

/* Read the cache (delivering it), then start the thread.  Fails only on
 * bad options; an unreachable service is the thread's business. */
struct sapi_watch *sapi_watch_start(const struct sapi_watch_options *o,
    sdc_error_t *err);
/* Stop the thread (interrupting a long poll at once) and free the watch. */
void sapi_watch_stop(struct sapi_watch *w);

/* The fd interface: readable whenever a config newer than the last one
 * taken is there; sapi_watch_take() returns it (new reference, or NULL if
 * none is new) and drains the fd.  Safe from any one thread. */
int sapi_watch_fd(struct sapi_watch *w);
json_t *sapi_watch_take(struct sapi_watch *w, char **etag, bool *from_cache);

/* The cache file: {"instance_uuid", "etag", "config"}, written atomically. */
json_t *sapi_cache_read(const char *path, char **etag, char **instance_uuid,
    sdc_error_t *err);
int sapi_cache_write(const char *path, const json_t *config, const char *etag,
    const char *instance_uuid, sdc_error_t *err);

#endif
