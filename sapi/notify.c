/*
 * notify.c: config changes between sapi processes sharing one PostgreSQL.
 *
 * A long poll (configs.c) is woken by the writes its own process commits.
 * When several sapi processes share one PostgreSQL store, a write through
 * one must wake the polls held by the others too: after each committed
 * write sapi sends NOTIFY sapi_configs (commit.c), and each process
 * LISTENs on a connection of its own, opened on the same URI, whose
 * socket is in the event loop.  A notification recomputes the waiters'
 * configs as a local write does (configs.c: only those whose ETag changed
 * are answered, so a notification of one's own write costs one
 * recomputation and wakes nobody twice).  When that connection breaks
 * (PostgreSQL restarted, a failover), it is made again every second, and
 * the waiters are recomputed once it is back, since what changed
 * meanwhile was not heard.  On SQLite (one daemon, one file) none of
 * this runs.
 */
#include <event2/event.h>
#include <stdlib.h>

#include "log.h"
#include "server.h"
#include "store.h"
#include "xalloc.h"

#define SAPI_CHANNEL "sapi_configs"

struct sapi_notify {
	struct sapi *s;
	struct store *st;
	struct event *ev;       /* the listening connection's socket */
	struct event *retry;    /* a second after it broke */
};

static void sapi_notify_read(evutil_socket_t fd, short what, void *arg);

static int
sapi_notify_listen(struct sapi_notify *n, sdc_error_t *err)
{
	int fd;

	if (n->ev != NULL) {
		event_free(n->ev);
		n->ev = NULL;
	}
	if (store_listen(n->st, SAPI_CHANNEL, &fd, err) < 0)
		return -1;
	n->ev = event_new(n->s->base, fd, EV_READ | EV_PERSIST,
	    sapi_notify_read, n);
	event_add(n->ev, NULL);
	return 0;
}

static void
sapi_notify_broke(struct sapi_notify *n, sdc_error_t *err)
{
	struct timeval second = { 1, 0 };

	log_warn("config changes of other sapi processes: %s (trying again "
	    "every second)", sdc_error_msg(*err));
	sdc_error_release(err);
	if (n->ev != NULL) {
		event_free(n->ev);
		n->ev = NULL;
	}
	evtimer_add(n->retry, &second);
}

static void
sapi_notify_read(evutil_socket_t fd, short what, void *arg)
{
	struct sapi_notify *n = arg;
	sdc_error_t err = NULL;
	int count = store_notified(n->st, &err);

	if (count < 0)
		sapi_notify_broke(n, &err);
	else if (count > 0)
		sapi_configs_changed(n->s);
}

static void
sapi_notify_retry(evutil_socket_t fd, short what, void *arg)
{
	struct sapi_notify *n = arg;
	sdc_error_t err = NULL;

	if (sapi_notify_listen(n, &err) < 0) {
		sapi_notify_broke(n, &err);
		return;
	}
	log_info("listening to other sapi processes' changes again");
	sapi_configs_changed(n->s);
}

struct sapi_notify *
sapi_notify_start(struct sapi *s, const char *where, sdc_error_t *err)
{
	struct sapi_notify *n;

	if (where == NULL || !store_is_postgres_uri(where))
		return NULL;
	n = xcalloc(1, sizeof *n);
	n->s = s;
	n->retry = evtimer_new(s->base, sapi_notify_retry, n);
	if (store_open(&n->st, where, err) < 0 ||
	    sapi_notify_listen(n, err) < 0) {
		sapi_notify_free(n);
		return NULL;
	}
	return n;
}

void
sapi_notify_free(struct sapi_notify *n)
{
	if (n == NULL)
		return;
	if (n->ev != NULL)
		event_free(n->ev);
	event_free(n->retry);
	store_close(n->st);
	free(n);
}
