/*
 * node-exits.c: the head's side of exits learned on the nodes.
 *
 * A container started through its node's agent is watched there, not
 * here: the agent writes each exit to the exits table (agent/exits.c,
 * agent/exits-table.c), and the head acts on it as container-watch.c
 * does on a monitor's exit frame (the die event, the waits, stop's
 * answer, the restart policy, AutoRemove).  The table is read on the
 * loop (a query on an index, nothing when idle).  An
 * exit is acted on only by the head whose claim took its row, and only
 * if it is the exit of the run the head knows (the container running
 * with that pid, or found ended by a state read of its node made after
 * that run's start, before the row was taken: exit_unseen; and no
 * watcher of the head's own on it): a report of an
 * older run, or of a run this head watches through its monitor itself
 * (one it started here, a `docker run` with its output attached, or any
 * after the head's restart, which attaches to the running containers
 * itself), is taken and dropped.  An
 * exit of a container this head does not hold is left for the head that
 * does, and one of a container in the middle of a runtime call (a start
 * whose answer is still on its way) waits for the call's end.  On
 * PostgreSQL the agent's NOTIFY node_exits wakes the heads at once
 * (lib/store-listen.c, as events-notify.c hears the other heads), and
 * the table is read every second besides, for what a notification
 * missed; on SQLite, four times a second.  Rows
 * taken go after an hour, rows no head took after a day.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "agent/exits-table.h"
#include "containers.h"
#include "log.h"
#include "node-exits.h"
#include "store-listen.h"
#include "timeutil.h"

#define NODE_EXITS_BATCH 64

static struct event *node_exits_ev;
static struct store_listener *node_exits_listener;
static char node_exits_me[300];
static int64_t node_exits_pruned_ms;

static struct ctr *
node_exits_ctr(struct containers *cs, const char *uuid)
{
	for (struct ctr *c = cs->list; c != NULL; c = c->next)
		if (strcmp(c->uuid, uuid) == 0)
			return c;
	return NULL;
}

static void
node_exits_apply(struct containers *cs, struct ctr *c, const struct node_exit *e)
{
	c->exit_unseen = 0;
	c->st.status = RT_EXITED;
	c->st.exit_code = e->exit_code;
	c->st.signal = e->signal;
	c->st.oom_killed = e->oom_killed;
	c->st.monitor_alive = false;
	c->st.finished_at.tv_sec = e->finished_ns / 1000000000;
	c->st.finished_at.tv_nsec = e->finished_ns % 1000000000;
	watch_stop(c);
	attach_end_all(c);
	watch_exited(cs, c);
}

static void
node_exits_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dockerapi *d = arg;
	struct containers *cs = ctrs(d);
	struct node_exit v[NODE_EXITS_BATCH];
	int64_t now = time_now_ns() / 1000000;
	sdc_error_t err = NULL;
	size_t n;
	int rc;

	(void)fd;
	(void)what;
	if (cs == NULL)
		return;
	if (exits_table_pending(d->store, v, NODE_EXITS_BATCH, &n, &err) < 0) {
		log_warn("node exits: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct ctr *c = node_exits_ctr(cs, v[i].uuid);
		bool ours;

		if (c == NULL || c->busy != NULL)
			continue;
		/* its stream relayed from the node (node-attach.c) brings
		 * the exit, or, cut short before it, leaves it to this row:
		 * taken once the relay has ended either way */
		if (c->watch_relayed)
			continue;
		/* a run the head watches itself (started here, or attached
		 * again after the head's restart) is the watcher's */
		ours = c->watch_fd < 0 && c->watch_ev == NULL &&
		    ((ctr_running(c) && c->st.pid == (pid_t)v[i].pid) ||
		    (!ctr_running(c) && c->exit_unseen == (pid_t)v[i].pid));
		if ((rc = exits_table_claim(d->store, v[i].uuid, v[i].pid,
		    node_exits_me, now, &err)) < 0) {
			log_warn("node exits: %s", sdc_error_msg(err));
			sdc_error_release(&err);
			return;
		}
		if (rc == 1 && ours)
			node_exits_apply(cs, c, &v[i]);
	}
	if (now - node_exits_pruned_ms > 60000) {
		node_exits_pruned_ms = now;
		if (exits_table_prune(d->store, now - 3600000,
		    now - 86400000, &err) < 0) {
			log_warn("node exits: %s", sdc_error_msg(err));
			sdc_error_release(&err);
		}
	}
}

static void
node_exits_heard(void *arg, int count)
{
	(void)count;
	node_exits_tick(-1, 0, arg);
}

static void
node_exits_back(void *arg)
{
	node_exits_tick(-1, 0, arg);
}

static const struct store_listen_ops node_exits_ops = {
	.channel = EXITS_CHANNEL,
	.what = "the nodes' reports of exits (read every second meanwhile)",
	.again = "listening to the nodes' reports of exits again",
	.heard = node_exits_heard,
	.back = node_exits_back,
};

int
node_exits_init(struct dockerapi *d, sdc_error_t *err)
{
	struct timeval tick = { 0, 250000 }, second = { 1, 0 };
	const char *where = d->cfg.store;
	char host[256] = "";

	if (exits_table_migrate(d->store, err) < 0)
		return sdc_error_wrap(err, "the exits table");
	gethostname(host, sizeof host - 1);
	snprintf(node_exits_me, sizeof node_exits_me, "%s/%d", host,
	    (int)getpid());
	if (where != NULL && store_is_postgres_uri(where))
		node_exits_listener = store_listener_start(d->base, where,
		    &node_exits_ops, d);
	node_exits_ev = event_new(d->base, -1, EV_PERSIST, node_exits_tick, d);
	event_add(node_exits_ev, node_exits_listener != NULL ? &second : &tick);
	return 0;
}

void
node_exits_free(void)
{
	if (node_exits_listener != NULL)
		store_listener_free(node_exits_listener);
	node_exits_listener = NULL;
	if (node_exits_ev != NULL)
		event_free(node_exits_ev);
	node_exits_ev = NULL;
}
