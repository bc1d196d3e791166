/*
 * watch.c: follow an instance's config as it changes.
 *
 * One thread per watch, with a client of its own, loops on the long poll:
 * GET /configs/:uuid?wait=W with If-None-Match set to the ETag it has.
 * The service answers 304 when W passes with no change, at once with 200
 * and the new config when one is committed; each 200 is delivered and
 * written to the cache.  Any failure (the service down, restarting, the
 * instance not there yet) is reported and retried after a delay that
 * doubles from backoff_min to backoff_max, with jitter so a fleet of
 * watchers does not come back in step, and returns to backoff_min after
 * the first good answer.
 *
 * Delivery is two ways at once, so either kind of caller is served: the
 * callback (on this thread), and a "latest config" slot guarded by a mutex
 * with a pipe that is readable while the slot holds something new, for a
 * libevent loop to add as a read event.  A slot rather than a queue: a
 * consumer that falls behind only ever wants the newest config.
 *
 * Stopping must not wait out a long poll: sapi_watch_stop() sets the flag,
 * signals the backoff sleep, and interrupts the request in flight
 * (fetch_interrupt, which wakes its poll), then joins.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "fsutil.h"
#include "xalloc.h"

struct sapi_watch {
	char *uuid;                     /* NULL until found by name */
	char *name;
	char *cache_path;
	double wait, backoff_min, backoff_max;
	sapi_watch_config_fn on_config;
	sapi_watch_error_fn on_error;
	void *arg;

	struct sapi_client *c;
	pthread_t thread;
	bool started;
	char *etag;                     /* of the config delivered last */
	unsigned seed;

	pthread_mutex_t lock;           /* guards what follows */
	pthread_cond_t cond;
	bool stopping;
	int pipe[2];
	json_t *latest;
	char *latest_etag;
	bool latest_from_cache;
	bool pending;                   /* a byte is in the pipe */
};

static void
sapi_watch_deliver(struct sapi_watch *w, json_t *cfg, const char *etag,
    bool from_cache)
{
	char byte = 1;

	pthread_mutex_lock(&w->lock);
	json_decref(w->latest);
	free(w->latest_etag);
	w->latest = json_incref(cfg);
	w->latest_etag = xstrdup(etag);
	w->latest_from_cache = from_cache;
	if (!w->pending && write(w->pipe[1], &byte, 1) == 1)
		w->pending = true;
	pthread_mutex_unlock(&w->lock);
	free(w->etag);
	w->etag = xstrdup(etag);
	if (w->on_config != NULL)
		w->on_config(cfg, etag, from_cache, w->arg);
}

int
sapi_watch_fd(struct sapi_watch *w)
{
	return w->pipe[0];
}

json_t *
sapi_watch_take(struct sapi_watch *w, char **etag, bool *from_cache)
{
	json_t *cfg;
	char drain[64];

	pthread_mutex_lock(&w->lock);
	while (read(w->pipe[0], drain, sizeof drain) > 0)
		;
	w->pending = false;
	cfg = w->latest;
	w->latest = NULL;
	if (etag != NULL)
		*etag = w->latest_etag;
	else
		free(w->latest_etag);
	w->latest_etag = NULL;
	if (from_cache != NULL)
		*from_cache = w->latest_from_cache;
	pthread_mutex_unlock(&w->lock);
	return cfg;
}

/* --- the thread --- */

static void
sapi_watch_report(struct sapi_watch *w, sdc_error_t *err)
{
	if (w->on_error != NULL)
		w->on_error(*err, w->arg);
	sdc_error_release(err);
}

/* Sleep about *backoff seconds unless stopped; grow *backoff.  Returns
 * false once the watch is stopping. */
static bool
sapi_watch_sleep(struct sapi_watch *w, double *backoff)
{
	double d = *backoff * (0.5 + 0.5 * (rand_r(&w->seed) /
	    (double)RAND_MAX));
	struct timespec ts;
	bool go_on;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)d;
	ts.tv_nsec += (long)((d - (double)(time_t)d) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->stopping &&
	    pthread_cond_timedwait(&w->cond, &w->lock, &ts) != ETIMEDOUT)
		;
	go_on = !w->stopping;
	pthread_mutex_unlock(&w->lock);
	*backoff *= 2;
	if (*backoff > w->backoff_max)
		*backoff = w->backoff_max;
	return go_on;
}

static bool
sapi_watch_stopping(struct sapi_watch *w)
{
	bool s;

	pthread_mutex_lock(&w->lock);
	s = w->stopping;
	pthread_mutex_unlock(&w->lock);
	return s;
}

static void
sapi_watch_save(struct sapi_watch *w, json_t *cfg, const char *etag)
{
	sdc_error_t err = NULL;

	if (w->cache_path == NULL)
		return;
	if (sapi_cache_write(w->cache_path, cfg, etag, w->uuid, &err) < 0)
		sapi_watch_report(w, &err);
}

/* One round: find the instance if need be, then one long poll. */
static int
sapi_watch_round(struct sapi_watch *w, sdc_error_t *err)
{
	char uuid[37], *etag = NULL;
	json_t *cfg = NULL;
	int rc;

	if (w->uuid == NULL) {
		if (sapi_client_find_instance(w->c, w->name, uuid, err) < 0)
			return -1;
		w->uuid = xstrdup(uuid);
	}
	rc = sapi_client_config(w->c, w->uuid, w->etag, w->wait, &cfg, &etag,
	    err);
	if (rc < 0) {
		if ((*err)->code == 404 && w->name != NULL) {
			free(w->uuid);          /* gone: find it again */
			w->uuid = NULL;
		}
		return -1;
	}
	if (rc == 1 && (w->etag == NULL || etag == NULL ||
	    strcmp(etag, w->etag) != 0)) {
		sapi_watch_deliver(w, cfg, etag != NULL ? etag : "", false);
		sapi_watch_save(w, cfg, etag);
	}
	json_decref(cfg);
	free(etag);
	return 0;
}

static void *
sapi_watch_main(void *arg)
{
	struct sapi_watch *w = arg;
	sdc_error_t err = NULL;
	double backoff = w->backoff_min;

	while (!sapi_watch_stopping(w)) {
		if (sapi_watch_round(w, &err) == 0) {
			backoff = w->backoff_min;
			continue;
		}
		if (sapi_watch_stopping(w)) {
			sdc_error_release(&err);
			break;
		}
		sapi_watch_report(w, &err);
		if (!sapi_watch_sleep(w, &backoff))
			break;
	}
	return NULL;
}

/* --- start and stop --- */

static void
sapi_watch_free(struct sapi_watch *w)
{
	sapi_client_free(w->c);
	if (w->pipe[0] >= 0)
		close(w->pipe[0]);
	if (w->pipe[1] >= 0)
		close(w->pipe[1]);
	json_decref(w->latest);
	free(w->latest_etag);
	free(w->etag);
	free(w->uuid);
	free(w->name);
	free(w->cache_path);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

/* Deliver the cached config, if there is one for this instance. */
static void
sapi_watch_load_cache(struct sapi_watch *w)
{
	sdc_error_t err = NULL;
	char *etag = NULL, *uuid = NULL;
	json_t *cfg;

	if (w->cache_path == NULL)
		return;
	cfg = sapi_cache_read(w->cache_path, &etag, &uuid, &err);
	if (cfg == NULL) {
		if (err != NULL && err->errnum != ENOENT)
			sapi_watch_report(w, &err);
		sdc_error_release(&err);
		return;
	}
	if (w->uuid == NULL && *uuid != '\0')
		w->uuid = xstrdup(uuid);
	if (strcmp(w->uuid != NULL ? w->uuid : "", uuid) == 0)
		sapi_watch_deliver(w, cfg, etag, true);
	json_decref(cfg);
	free(etag);
	free(uuid);
}

static int
sapi_watch_init(struct sapi_watch *w, const struct sapi_watch_options *o,
    sdc_error_t *err)
{
	char *dir;

	w->pipe[0] = w->pipe[1] = -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (o->instance_uuid == NULL && o->instance_name == NULL)
		return sdc_make_error(err, EINVAL,
		    "sapi_watch: no instance uuid or name");
	if (o->instance_uuid != NULL)
		w->uuid = xstrdup(o->instance_uuid);
	if (o->instance_name != NULL)
		w->name = xstrdup(o->instance_name);
	if (o->cache_path != NULL) {
		w->cache_path = xstrdup(o->cache_path);
		dir = xstrdup(o->cache_path);
		if (mkdir_p(dirname(dir), 0700, err) < 0) {
			free(dir);
			return -1;
		}
		free(dir);
	}
	w->wait = o->wait > 0 ? o->wait : 60;
	w->backoff_min = o->backoff_min > 0 ? o->backoff_min : 0.1;
	w->backoff_max = o->backoff_max > 0 ? o->backoff_max : 10;
	if (w->backoff_max < w->backoff_min)
		w->backoff_max = w->backoff_min;
	w->on_config = o->on_config;
	w->on_error = o->on_error;
	w->arg = o->arg;
	w->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return sdc_make_error(err, errno, "sapi_watch: pipe");
	if ((w->c = sapi_client_new_tls(o->url, o->cert_path, err)) == NULL)
		return -1;
	return 0;
}

struct sapi_watch *
sapi_watch_start(const struct sapi_watch_options *o, sdc_error_t *err)
{
	struct sapi_watch *w = xcalloc(1, sizeof *w);
	sigset_t all, old;
	int rc;

	if (sapi_watch_init(w, o, err) < 0) {
		sapi_watch_free(w);
		return NULL;
	}
	sapi_watch_load_cache(w);
	/* Signals are the caller's: the thread takes none of them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, sapi_watch_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		sapi_watch_free(w);
		sdc_make_error(err, rc, "sapi_watch: cannot start a thread");
		return NULL;
	}
	w->started = true;
	return w;
}

void
sapi_watch_stop(struct sapi_watch *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stopping = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		sapi_client_interrupt(w->c);
		pthread_join(w->thread, NULL);
	}
	sapi_watch_free(w);
}
