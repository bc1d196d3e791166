/*
 * notify.c: config changes between sapi processes sharing one PostgreSQL.
 *
 * A long poll (configs.c) is woken by the writes its own process commits.
 * When several sapi processes share one PostgreSQL store, a write through
 * one must wake the polls held by the others too: after each committed
 * write sapi sends NOTIFY sapi_configs (commit.c), and each process
 * LISTENs on a connection of its own, opened on the same URI, whose
 * socket is in the event loop (lib/store-listen.c).  A read that brought
 * notifications recomputes the waiters' configs as a local write does
 * (configs.c: only those whose ETag changed are answered, so a
 * notification of one's own write costs one recomputation and wakes
 * nobody twice).  When that connection breaks (PostgreSQL restarted, a
 * failover), it is made again every second, and the waiters are
 * recomputed once it is back, since what changed meanwhile was not
 * heard.  On SQLite (one daemon, one file) none of this runs.
 */
#include <stdlib.h>

#include "server.h"
#include "store-listen.h"
#include "xalloc.h"

struct sapi_notify {
	struct store_listener *l;
};

static void
sapi_notify_heard(void *arg, int count)
{
	(void)count;
	sapi_configs_changed(arg);
}

static void
sapi_notify_back(void *arg)
{
	sapi_configs_changed(arg);
}

static const struct store_listen_ops sapi_notify_ops = {
	.channel = "sapi_configs",
	.what = "config changes of other sapi processes",
	.again = "listening to other sapi processes' changes again",
	.heard = sapi_notify_heard,
	.back = sapi_notify_back,
};

struct sapi_notify *
sapi_notify_start(struct sapi *s, const char *where, sdc_error_t *err)
{
	struct store_listener *l;
	struct sapi_notify *n;

	(void)err;
	if ((l = store_listener_start(s->base, where, &sapi_notify_ops,
	    s)) == NULL)
		return NULL;
	n = xmalloc(sizeof *n);
	n->l = l;
	return n;
}

void
sapi_notify_free(struct sapi_notify *n)
{
	if (n == NULL)
		return;
	store_listener_free(n->l);
	free(n);
}
