/*
 * store-listen.c: a LISTEN connection in an event loop, made again every
 * second after it breaks (store-listen.h).  sapi's watch across processes
 * (sapi/notify.c) and dockerapi's events across heads
 * (dockerapi/events-notify.c) both stand on it.
 *
 * Once the loop runs, the connection is made again on a thread
 * (lib/rtcall.c) and handed to the loop listening: a server whose host
 * drops packets would hold the loop connect_timeout (10 s) at each try.
 * The first connection, made at the daemon's start before it serves, is
 * made in place.
 */
#include <stdlib.h>

#include "log.h"
#include "rtcall.h"
#include "store-listen.h"
#include "xalloc.h"

struct store_listener {
	struct event_base *base;
	const struct store_listen_ops *ops;
	void *arg;
	char *where;
	struct store *st;
	struct event *ev;		/* the connection's socket */
	struct event *retry;		/* a second after it broke */
	struct store_dialing *dialing;	/* a connect under way on a thread */
};

/* A listening connection made on a thread.  l is NULL once the listener
 * was freed: the connection is then closed when it comes. */
struct store_dialing {
	struct store_listener *l;
	char *where;
	const char *channel;
	struct store *st;
	int fd;
	sdc_error_t err;
};

static void store_listener_read(evutil_socket_t fd, short what, void *arg);
static void store_listener_broke(struct store_listener *l, sdc_error_t *err);

/* A store of its own (none yet, or made again), listening on channel. */
static int
store_listen_on(struct store **st, const char *where, const char *channel,
    int *fd, sdc_error_t *err)
{
	if (*st == NULL && store_open(st, where, err) < 0)
		return -1;
	return store_listen(*st, channel, fd, err);
}

static void
store_listener_watch(struct store_listener *l, int fd)
{
	l->ev = event_new(l->base, fd, EV_READ | EV_PERSIST,
	    store_listener_read, l);
	event_add(l->ev, NULL);
}

static int
store_dialing_run(void *arg, sdc_error_t *err)
{
	struct store_dialing *d = arg;

	(void)err;
	if (store_listen_on(&d->st, d->where, d->channel, &d->fd,
	    &d->err) < 0) {
		store_close(d->st);
		d->st = NULL;
	}
	return 0;
}

static void
store_dialing_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct store_dialing *d = arg;
	struct store_listener *l = d->l;

	(void)req;
	(void)rc;
	(void)err;
	if (l != NULL) {
		l->dialing = NULL;
		if (d->st == NULL)
			store_listener_broke(l, &d->err);
		else {
			l->st = d->st;
			d->st = NULL;
			store_listener_watch(l, d->fd);
			log_info("%s", l->ops->again);
			if (l->ops->back != NULL)
				l->ops->back(l->arg);
		}
	}
	store_close(d->st);
	sdc_error_release(&d->err);
	free(d->where);
	free(d);
}

/* A new connection, listening, made on a thread: the old one goes. */
static void
store_listener_dial(struct store_listener *l)
{
	struct store_dialing *d = xcalloc(1, sizeof *d);
	sdc_error_t err = NULL;

	store_close(l->st);
	l->st = NULL;
	d->l = l;
	d->where = xstrdup(l->where);
	d->channel = l->ops->channel;
	l->dialing = d;
	if (rtcall_start(l->base, NULL, "listening to the store",
	    store_dialing_run, store_dialing_done, d, &err) < 0) {
		l->dialing = NULL;
		free(d->where);
		free(d);
		store_listener_broke(l, &err);
	}
}

static void
store_listener_broke(struct store_listener *l, sdc_error_t *err)
{
	struct timeval second = { 1, 0 };

	log_warn("%s: %s (trying again every second)", l->ops->what,
	    sdc_error_msg(*err));
	sdc_error_release(err);
	if (l->ev != NULL) {
		event_free(l->ev);
		l->ev = NULL;
	}
	evtimer_add(l->retry, &second);
}

static void
store_listener_read(evutil_socket_t fd, short what, void *arg)
{
	struct store_listener *l = arg;
	sdc_error_t err = NULL;
	int count;

	(void)fd;
	(void)what;
	count = store_notified_each(l->st, l->ops->each, l->arg, &err);
	if (count < 0)
		store_listener_broke(l, &err);
	else if (count > 0 && l->ops->heard != NULL)
		l->ops->heard(l->arg, count);
}

static void
store_listener_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	store_listener_dial(arg);
}

struct store_listener *
store_listener_start(struct event_base *base, const char *where,
    const struct store_listen_ops *ops, void *arg)
{
	struct store_listener *l;
	sdc_error_t err = NULL;
	int fd;

	if (where == NULL || !store_is_postgres_uri(where))
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->base = base;
	l->ops = ops;
	l->arg = arg;
	l->where = xstrdup(where);
	l->retry = evtimer_new(base, store_listener_retry, l);
	if (store_listen_on(&l->st, l->where, l->ops->channel, &fd, &err) < 0)
		store_listener_broke(l, &err);
	else
		store_listener_watch(l, fd);
	return l;
}

void
store_listener_free(struct store_listener *l)
{
	if (l == NULL)
		return;
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->dialing != NULL)
		l->dialing->l = NULL;
	event_free(l->retry);
	store_close(l->st);
	free(l->where);
	free(l);
}
