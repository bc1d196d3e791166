/*
 * configs.c: GET /configs/:uuid, an instance's merged config, and the
 * long poll that makes a change reach its consumer at once.
 *
 * A client that has a config sends its ETag in If-None-Match with
 * ?wait=SECONDS.  If the config is still that one, the request is held
 * (HTTP_ASYNC) in a list of waiters with a timer.  Every committed write
 * calls sapi_configs_changed(), which recomputes the config of each
 * instance someone waits on (once per instance, however many wait on it)
 * and answers those whose ETag no longer matches; since the ETag hashes
 * the merged result, writes that leave an instance's config as it was wake
 * nobody.  The timer answers 304, the client's cue to ask again.  If the
 * client goes first, http_on_close drops the waiter.  Recomputing on every
 * write is cheap at SAPI's scale (a few waiters, a handful of rows each)
 * and has no invalidation logic to get wrong.
 */
#include <event2/event.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "ids.h"
#include "jsonutil.h"
#include "server.h"
#include "xalloc.h"

struct sapi_waiter {
	TAILQ_ENTRY(sapi_waiter) link;
	struct sapi *s;
	struct http_request *req;
	char uuid[UUID_LEN + 1];
	char *if_none_match;
	struct event *timer;
};

TAILQ_HEAD(sapi_waiter_list, sapi_waiter);

struct sapi_waiters {
	struct sapi_waiter_list list;
};

struct sapi_waiters *
sapi_waiters_new(void)
{
	struct sapi_waiters *w = xcalloc(1, sizeof *w);

	TAILQ_INIT(&w->list);
	return w;
}

static void
sapi_waiter_free(struct sapi_waiter *wt)
{
	TAILQ_REMOVE(&wt->s->waiters->list, wt, link);
	if (wt->timer != NULL)
		event_free(wt->timer);
	free(wt->if_none_match);
	free(wt);
}

void
sapi_waiters_free(struct sapi_waiters *w)
{
	if (w == NULL)
		return;
	/* Only after the server (and every request) is gone. */
	while (!TAILQ_EMPTY(&w->list)) {
		struct sapi_waiter *wt = TAILQ_FIRST(&w->list);

		TAILQ_REMOVE(&w->list, wt, link);
		if (wt->timer != NULL)
			event_free(wt->timer);
		free(wt->if_none_match);
		free(wt);
	}
	free(w);
}

/* Answer with the config, or 304 when the client has it already. */
static int
sapi_configs_answer(struct http_request *req, json_t *cfg, const char *etag,
    const char *if_none_match)
{
	http_set_header(req, "ETag", etag);
	http_set_header(req, "Cache-Control", "no-cache");
	if (sapi_etag_listed(if_none_match, etag)) {
		json_decref(cfg);
		return sapi_send(req, 304, NULL);
	}
	return sapi_send(req, 200, cfg);
}

/* --- waiters --- */

/* Answer a waiter if its config changed (or always, when force), reusing
 * the config computed for the same instance in this round (cache maps
 * uuid → [config, etag]). */
static bool
sapi_waiter_try(struct sapi_waiter *wt, json_t *cache, bool force)
{
	json_t *entry = json_object_get(cache, wt->uuid), *cfg;
	sdc_error_t err = NULL;
	char *etag;

	if (entry == NULL) {
		cfg = sapi_merge_config(wt->s->model, wt->uuid, &err);
		if (cfg == NULL) {              /* deleted, or the store failed */
			sapi_reply_error(wt->req, &err);
			return true;
		}
		etag = sapi_merge_etag(cfg);
		entry = json_pack("[o, s]", cfg, etag);
		free(etag);
		json_object_set_new(cache, wt->uuid, entry);
	}
	cfg = json_array_get(entry, 0);
	etag = (char *)json_string_value(json_array_get(entry, 1));
	if (!force && sapi_etag_listed(wt->if_none_match, etag))
		return false;
	sapi_configs_answer(wt->req, json_incref(cfg), etag, wt->if_none_match);
	return true;
}

static void
sapi_waiter_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sapi_waiter *wt = arg;
	json_t *cache = json_object();

	sapi_waiter_try(wt, cache, true);
	json_decref(cache);
	sapi_waiter_free(wt);
}

static void
sapi_waiter_closed(struct http_request *req, void *arg)
{
	sapi_waiter_free(arg);
}

static void
sapi_configs_wake(struct sapi *s, bool force)
{
	struct sapi_waiter *wt, *next;
	json_t *cache;

	if (TAILQ_EMPTY(&s->waiters->list))
		return;
	cache = json_object();
	for (wt = TAILQ_FIRST(&s->waiters->list); wt != NULL; wt = next) {
		next = TAILQ_NEXT(wt, link);
		if (sapi_waiter_try(wt, cache, force))
			sapi_waiter_free(wt);
	}
	json_decref(cache);
}

void
sapi_configs_changed(struct sapi *s)
{
	sapi_configs_wake(s, false);
}

void
sapi_configs_flush(struct sapi *s)
{
	sapi_configs_wake(s, true);
}

static int
sapi_configs_hold(struct sapi *s, struct http_request *req, double wait,
    const char *if_none_match)
{
	struct sapi_waiter *wt = xcalloc(1, sizeof *wt);
	struct timeval tv;

	wt->s = s;
	wt->req = req;
	snprintf(wt->uuid, sizeof wt->uuid, "%s", http_param(req, "uuid"));
	wt->if_none_match = xstrdup(if_none_match);
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - floor(wait)) * 1e6);
	wt->timer = evtimer_new(s->base, sapi_waiter_timeout, wt);
	evtimer_add(wt->timer, &tv);
	TAILQ_INSERT_TAIL(&s->waiters->list, wt, link);
	http_on_close(req, sapi_waiter_closed, wt);
	return HTTP_ASYNC;
}

/* --- the route --- */

static int
sapi_configs_wait(struct http_request *req, double max, double *wait)
{
	const char *q = http_query(req, "wait");
	char *end;

	*wait = 0;
	if (q == NULL || *q == '\0')
		return 0;
	*wait = strtod(q, &end);
	if (*end != '\0' || !isfinite(*wait) || *wait < 0)
		return -1;
	if (*wait > max)
		*wait = max;
	return 0;
}

static int
sapi_configs_get(struct http_request *req, void *arg)
{
	struct sapi *s = arg;
	const char *uuid = http_param(req, "uuid");
	const char *inm = http_header(req, "If-None-Match");
	sdc_error_t err = NULL;
	json_t *cfg;
	double wait;
	char *etag;
	int rc;

	if (sapi_configs_wait(req, s->max_wait, &wait) < 0)
		return sapi_reply_fail(req, SAPI_E_INVALID_ARGUMENT,
		    "wait must be a number of seconds");
	if ((cfg = sapi_merge_config(s->model, uuid, &err)) == NULL)
		return sapi_reply_error(req, &err);
	etag = sapi_merge_etag(cfg);
	if (inm != NULL && wait > 0 && sapi_etag_listed(inm, etag)) {
		json_decref(cfg);
		free(etag);
		return sapi_configs_hold(s, req, wait, inm);
	}
	rc = sapi_configs_answer(req, cfg, etag, inm);
	free(etag);
	return rc;
}

const struct route sapi_config_routes[] = {
	{ "GET", "/configs/:uuid", sapi_configs_get, 0, NULL },
	{ 0 }
};
