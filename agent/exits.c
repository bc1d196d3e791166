/*
 * exits.c: the agent learns the exits of its node's containers and
 * reports them to the heads through the store.
 *
 * The monitor of a container tells an attach client of its exit (the
 * RT_FRAME_EXIT frame, the client muted so it gets nothing else); the
 * agent keeps one such connection per running container it knows: the
 * ones it started (the start's own attach fd, connected before the
 * container ran) and, at its own start, every one running in its zones
 * root.  An exit is written to the exits table (exits-table.c), keyed by
 * the run (uuid and pid), where a head takes it and does the rest (the
 * die event, the restart policy, AutoRemove, the waits:
 * dockerapi/node-exits.c; on PostgreSQL a NOTIFY wakes them).  Nothing is
 * lost and nothing repeated: an exit
 * the store would not take (PostgreSQL restarting) is tried again every
 * second; an agent that died before writing one finds the container
 * exited at its next start and writes it then, and a run written twice
 * is one row.  A monitor that died leaves the container without anyone
 * to say; its state is then read every second until it has exited.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "agent.h"
#include "exits-table.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

struct agent_watch {
	struct agent_watch *next;
	struct agent *a;
	char uuid[37];
	pid_t pid;			/* the run's init */
	int fd;				/* -1: polled (no monitor) or exited */
	struct event *ev;
	bool exited;			/* to be written */
	struct node_exit e;
};

static struct rt_frame exits_frame;

static void
exits_watch_free(struct agent_watch *w)
{
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

/* Write w's exit; 0 done (w may go), -1 to try again later. */
static int
exits_write(struct agent_watch *w)
{
	sdc_error_t err = NULL;
	int rc = exits_table_record(w->a->store, &w->e, time_now_ns() / 1000000,
	    &err);

	if (rc < 0) {
		log_warn("container %s: its exit into the store: %s (again in a "
		    "second)", w->uuid, sdc_error_msg(err));
		sdc_error_release(&err);
		return -1;
	}
	if (rc == 1) {
		log_info("container %s: exited (code %d), reported", w->uuid,
		    w->e.exit_code);
		/* the heads on PostgreSQL hear it at once (a no-op on SQLite;
		 * a notification lost is read by their next look) */
		if (store_notify(w->a->store, EXITS_CHANNEL, &err) < 0) {
			log_warn("notifying the heads: %s", sdc_error_msg(err));
			sdc_error_release(&err);
		}
	}
	return 0;
}

static void
exits_unlink(struct agent *a, struct agent_watch *w)
{
	struct agent_watch **p;

	for (p = &a->watches; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			return;
		}
}

/* The run ended with state st: written now, or kept until it is. */
static void
exits_ended(struct agent_watch *w, const struct rt_state *st)
{
	struct agent *a = w->a;

	/* its endpoints and ports down at once (container-net.c) */
	agent_net_down(a, w->uuid, NULL);
	if (w->ev != NULL)
		event_free(w->ev);
	w->ev = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->exited = true;
	memcpy(w->e.uuid, w->uuid, sizeof w->e.uuid);
	memcpy(w->e.node, a->self.id, sizeof w->e.node);
	w->e.pid = w->pid;
	w->e.exit_code = st->exit_code;
	w->e.signal = st->signal;
	w->e.oom_killed = st->oom_killed;
	w->e.started_ns = time_ts_ns(&st->started_at);
	w->e.finished_ns = st->finished_at.tv_sec != 0 ?
	    time_ts_ns(&st->finished_at) : time_now_ns();
	if (exits_write(w) == 0) {
		exits_unlink(a, w);
		exits_watch_free(w);
	}
}

static void
exits_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent_watch *w = arg;
	struct rt_frame *f = &exits_frame;
	struct rt_state st;
	sdc_error_t err = NULL;
	int rc;

	(void)what;
	for (;;) {
		rc = rt_attach_recv(fd, f, &err);
		if (rc < 0 && (err->errnum == EAGAIN || err->errnum == EWOULDBLOCK)) {
			sdc_error_release(&err);
			return;
		}
		if (rc == 1 && f->type != RT_FRAME_EXIT)
			continue;       /* output sent before the mute */
		break;
	}
	sdc_error_release(&err);
	if (rc == 1 && rt_attach_exit_state(f, &st, &err) == 0) {
		exits_ended(w, &st);
		return;
	}
	sdc_error_release(&err);
	/* no exit frame: the monitor went; the folder says the rest */
	event_free(w->ev);
	w->ev = NULL;
	close(w->fd);
	w->fd = -1;
	if (rt_state_read(&w->a->rt, w->uuid, &st, &err) == 0 &&
	    (st.status == RT_RUNNING || st.status == RT_PAUSED)) {
		log_warn("container %s runs without its monitor; its state is "
		    "read every second", w->uuid);
		return;
	}
	if (err != NULL) {
		sdc_error_release(&err);
		memset(&st, 0, sizeof st);
		st.exit_code = -1;
	}
	exits_ended(w, &st);
}

void
agent_exits_watch(struct agent *a, const char *uuid, pid_t pid, int fd)
{
	struct agent_watch *w;
	sdc_error_t err = NULL;

	for (w = a->watches; w != NULL; w = w->next)
		if (strcmp(w->uuid, uuid) == 0 && w->pid == pid && !w->exited) {
			if (fd >= 0)
				close(fd);      /* already watched */
			return;
		}
	w = xcalloc(1, sizeof *w);
	w->a = a;
	snprintf(w->uuid, sizeof w->uuid, "%s", uuid);
	w->pid = pid;
	w->fd = fd >= 0 ? fd : rt_attach_open(&a->rt, uuid, NULL, &err);
	w->next = a->watches;
	a->watches = w;
	if (w->fd < 0) {
		sdc_error_release(&err);
		return;                 /* the second's look will tell */
	}
	fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
	if (rt_attach_send(w->fd, RT_FRAME_MUTE, NULL, 0, &err) < 0) {
		log_warn("container %s: muting the exit watch: %s", uuid,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	w->ev = event_new(a->base, w->fd, EV_READ | EV_PERSIST, exits_cb, w);
	event_add(w->ev, NULL);
}

/* Every second: the exits the store did not take, and the containers
 * without a monitor to tell. */
static void
exits_tick(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct agent_watch *w, *next;
	struct rt_state st;
	sdc_error_t err = NULL;

	(void)fd;
	(void)what;
	for (w = a->watches; w != NULL; w = next) {
		next = w->next;
		if (w->exited) {
			if (exits_write(w) == 0) {
				exits_unlink(a, w);
				exits_watch_free(w);
			}
		} else if (w->fd < 0) {
			if (rt_state_read(&a->rt, w->uuid, &st, &err) < 0) {
				sdc_error_release(&err);
				memset(&st, 0, sizeof st);
				st.exit_code = -1;
			} else if (st.status == RT_RUNNING ||
			    st.status == RT_PAUSED)
				continue;
			exits_ended(w, &st);
		}
	}
}

int
agent_exits_start(struct agent *a, sdc_error_t *err)
{
	struct timeval second = { 1, 0 };
	struct rt_state st;
	sdc_error_t e = NULL;
	char **ids;
	size_t n, running = 0;

	if (exits_table_migrate(a->store, err) < 0)
		return sdc_error_wrap(err, "the exits table");
	a->exits_tick = event_new(a->base, -1, EV_PERSIST, exits_tick, a);
	event_add(a->exits_tick, &second);
	if (rt_list(&a->rt, &ids, &n, &e) < 0) {
		/* no zones root yet: no containers */
		sdc_error_release(&e);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (rt_state_read(&a->rt, ids[i], &st, &e) < 0) {
			sdc_error_release(&e);
			continue;
		}
		if (st.status == RT_RUNNING || st.status == RT_PAUSED) {
			agent_exits_watch(a, ids[i], st.pid, -1);
			running++;
		} else if (st.status == RT_EXITED && st.pid > 0) {
			/* it may have exited while no agent watched */
			struct agent_watch *w = xcalloc(1, sizeof *w);

			w->a = a;
			w->fd = -1;
			snprintf(w->uuid, sizeof w->uuid, "%s", ids[i]);
			w->pid = st.pid;
			w->next = a->watches;
			a->watches = w;
			exits_ended(w, &st);
		}
	}
	rt_list_free(ids, n);
	log_info("exits: watching %zu running containers", running);
	return 0;
}

void
agent_exits_stop(struct agent *a)
{
	struct agent_watch *w;

	if (a->exits_tick != NULL)
		event_free(a->exits_tick);
	a->exits_tick = NULL;
	while ((w = a->watches) != NULL) {
		a->watches = w->next;
		exits_watch_free(w);
	}
}
