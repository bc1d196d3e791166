/*
 * store-listen.c: a LISTEN connection in an event loop, made again every
 * second after it breaks (store-listen.h).  sapi's watch across processes
 * (sapi/notify.c) and dockerapi's events across heads
 * (dockerapi/events-notify.c) both stand on it.
 */
#include <stdlib.h>

#include "log.h"
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
};

static void store_listener_read(evutil_socket_t fd, short what, void *arg);

static int
store_listener_listen(struct store_listener *l, sdc_error_t *err)
{
	int fd;

	if (l->ev != NULL) {
		event_free(l->ev);
		l->ev = NULL;
	}
	if (l->st == NULL && store_open(&l->st, l->where, err) < 0)
		return -1;
	if (store_listen(l->st, l->ops->channel, &fd, err) < 0)
		return -1;
	l->ev = event_new(l->base, fd, EV_READ | EV_PERSIST,
	    store_listener_read, l);
	event_add(l->ev, NULL);
	return 0;
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
	struct store_listener *l = arg;
	sdc_error_t err = NULL;

	(void)fd;
	(void)what;
	if (store_listener_listen(l, &err) < 0) {
		store_listener_broke(l, &err);
		return;
	}
	log_info("%s", l->ops->again);
	if (l->ops->back != NULL)
		l->ops->back(l->arg);
}

struct store_listener *
store_listener_start(struct event_base *base, const char *where,
    const struct store_listen_ops *ops, void *arg)
{
	struct store_listener *l;
	sdc_error_t err = NULL;

	if (where == NULL || !store_is_postgres_uri(where))
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->base = base;
	l->ops = ops;
	l->arg = arg;
	l->where = xstrdup(where);
	l->retry = evtimer_new(base, store_listener_retry, l);
	if (store_listener_listen(l, &err) < 0)
		store_listener_broke(l, &err);
	return l;
}

void
store_listener_free(struct store_listener *l)
{
	if (l == NULL)
		return;
	if (l->ev != NULL)
		event_free(l->ev);
	event_free(l->retry);
	store_close(l->st);
	free(l->where);
	free(l);
}
