/*
 * heartbeat.c: the node's row in the store, kept fresh.
 *
 * At start the agent registers its node (the facts of facts.c, state
 * running), then every heartbeat_interval it writes the time it was
 * heard from.  The heads call a node unavailable once it has missed
 * NODES_MISSED_HEARTBEATS beats (nodes-table.h), so an agent that dies
 * or loses the store is seen within a few intervals.  A store that
 * fails (PostgreSQL restarting) costs a beat or two: it is logged, and
 * the next beat tries again (the store connects again by itself); a row
 * that has gone is registered again.  On SIGTERM the row says stopped,
 * so a node taken down on purpose is unavailable at once.
 */
#include <event2/event.h>

#include "agent.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

static int64_t
heartbeat_now_ms(void)
{
	return time_now_ns() / 1000000;
}

static int
heartbeat_register(struct agent *a, sdc_error_t *err)
{
	if (agent_facts(a, err) < 0)
		return -1;
	a->self.last_heartbeat_ms = heartbeat_now_ms();
	if (a->self.registered_ms == 0)
		a->self.registered_ms = a->self.last_heartbeat_ms;
	if (a->self.state == NULL)
		a->self.state = xstrdup("running");
	if (nodes_table_register(a->store, &a->self, err) < 0)
		return sdc_error_wrap(err, "registering node %s", a->self.id);
	if (!a->registered)
		log_info("node %s (%s) registered: %d CPUs, %lld MiB memory, "
		    "%lld GiB disk, heartbeat every %lld ms", a->self.id,
		    a->self.hostname, a->self.cpus,
		    (long long)(a->self.memory >> 20),
		    (long long)(a->self.disk >> 30),
		    (long long)a->self.heartbeat_interval_ms);
	a->registered = true;
	return 0;
}

static void
heartbeat_beat(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	sdc_error_t err = NULL;
	int rc;

	if (!a->registered)
		rc = heartbeat_register(a, &err);
	else if ((rc = nodes_table_heartbeat(a->store, a->self.id,
	    heartbeat_now_ms(), &err)) == 1) {
		log_warn("node %s: its row is gone; registering again",
		    a->self.id);
		a->registered = false;
		rc = heartbeat_register(a, &err);
	}
	if (rc < 0) {
		log_warn("heartbeat: %s", sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

int
agent_heartbeat_start(struct agent *a, sdc_error_t *err)
{
	struct timeval tv = {
		.tv_sec = a->opt->heartbeat_ms / 1000,
		.tv_usec = (a->opt->heartbeat_ms % 1000) * 1000,
	};

	if (heartbeat_register(a, err) < 0)
		return -1;
	a->heartbeat = event_new(a->base, -1, EV_PERSIST, heartbeat_beat, a);
	event_add(a->heartbeat, &tv);
	return 0;
}

void
agent_heartbeat_stop(struct agent *a)
{
	sdc_error_t err = NULL;

	if (a->heartbeat != NULL) {
		event_free(a->heartbeat);
		a->heartbeat = NULL;
	}
	if (a->registered &&
	    nodes_table_leave(a->store, a->self.id, &err) < 0) {
		log_warn("node %s: marking it stopped: %s", a->self.id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
}
