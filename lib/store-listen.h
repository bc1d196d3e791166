/*
 * store-listen.h: hearing the other processes that share one PostgreSQL
 * store, from an event loop.
 *
 * A listener is a connection of its own to the store, LISTENing on one
 * channel, whose socket is in the caller's libevent loop.  Each
 * notification's payload goes to `each`, then `heard` once per read
 * that brought any.  When the connection breaks (PostgreSQL restarted, a
 * failover) the listener says so with `what` in a warning, connects
 * again every second, logs `again` and calls `back` once it listens
 * again, since what was notified meanwhile was not heard.  On SQLite
 * (one daemon, one file) there is nobody else to hear: start gives NULL.
 */
#ifndef SDC_STORE_LISTEN_H
#define SDC_STORE_LISTEN_H

#include <event2/event.h>

#include "store.h"

struct store_listen_ops {
	const char *channel;		/* a plain SQL name */
	const char *what;		/* "config changes of other sapi ..." */
	const char *again;		/* "listening to ... again" */
	store_notify_fn *each;		/* may be NULL */
	void (*heard)(void *arg, int count);	/* may be NULL */
	void (*back)(void *arg);	/* may be NULL */
};

struct store_listener;

/* NULL when where is not a PostgreSQL URI; otherwise listening, or
 * trying to every second (a warning logged). */
struct store_listener *store_listener_start(struct event_base *base,
    const char *where, const struct store_listen_ops *ops, void *arg);
void store_listener_free(struct store_listener *l);

#endif
