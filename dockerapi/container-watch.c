/*
 * container-watch.c: learning that a container exited, and telling those
 * who want to know.
 *
 * Each running container has one attach connection to its monitor, kept
 * by the module: the watcher.  It is muted (the monitor sends it nothing
 * but the exit) unless run's attach clients are being fed from it, and its
 * last frame is RT_FRAME_EXIT with the exit record.  That one event drives
 * everything that follows an exit, in Docker's order: the attach streams
 * end, `die` is published, followed logs end, stop/restart and waits are
 * answered, and the restart policy restarts or AutoRemove removes.  If the
 * monitor itself dies the socket closes with no exit frame, and the folder
 * says what happened.  The waits (POST /containers/:id/wait) are
 * api/containers-wait.c's, woken from here (wait_wake).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "containers.h"
#include "heads.h"
#include "log.h"
#include "networks.h"
#include "xalloc.h"

static struct rt_frame watch_frame;

static void watch_cb(evutil_socket_t fd, short what, void *arg);

int
watch_start(struct containers *cs, struct ctr *c, int fd, bool muted)
{
	sdc_error_t err = NULL;

	watch_stop(c);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (muted && rt_attach_send(fd, RT_FRAME_MUTE, NULL, 0, &err) < 0) {
		log_warn("container %s: muting the watcher: %s", c->id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	c->watch_fd = fd;
	c->watch_muted = muted;
	c->watch_ev = event_new(cs->d->base, fd, EV_READ | EV_PERSIST, watch_cb, c);
	event_add(c->watch_ev, NULL);
	return 0;
}

void
watch_stop(struct ctr *c)
{
	if (c->watch_ev != NULL)
		event_free(c->watch_ev);
	if (c->watch_fd >= 0)
		close(c->watch_fd);
	c->watch_ev = NULL;
	c->watch_fd = -1;
	c->watch_relayed = false;
}

/* No monitor to tell us (it was killed, the container lives on): read
 * the folder a few times a second until the container is gone. */
static void
watch_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctr *c = arg;
	sdc_error_t err = NULL;
	struct rt_state st;

	if (rt_state_read(&c->cs->rt, c->uuid, &st, &err) < 0) {
		sdc_error_release(&err);
		st.status = RT_EXITED;
		st.exit_code = -1;
	}
	if (st.status == RT_RUNNING || st.status == RT_PAUSED)
		return;
	if (st.finished_at.tv_sec == 0)
		clock_gettime(CLOCK_REALTIME, &st.finished_at);
	c->st = st;
	watch_stop(c);
	attach_end_all(c);
	watch_exited(c->cs, c);
}

void
watch_orphan(struct containers *cs, struct ctr *c)
{
	struct timeval tv = { 0, 250000 };

	watch_stop(c);
	log_warn("container %s runs without its monitor; polling its state",
	    c->id);
	c->watch_ev = event_new(cs->d->base, -1, EV_PERSIST, watch_poll_cb, c);
	event_add(c->watch_ev, &tv);
}

void
watch_maybe_mute(struct ctr *c)
{
	if (c->attachers != NULL || c->watch_muted || c->watch_fd < 0 ||
	    c->run_out != NULL)
		return;
	c->watch_muted = rt_attach_send(c->watch_fd, RT_FRAME_MUTE, NULL, 0,
	    NULL) == 0;
}

/* --- exits --- */

/* A build's RUN container is done: its build goes on. */
static void
watch_run_end(struct ctr *c)
{
	void (*end)(void *) = c->run_end;

	c->run_out = NULL;
	c->run_end = NULL;
	if (end != NULL)
		end(c->run_arg);
}

void
watch_removed(struct containers *cs, struct ctr *c)
{
	attach_end_all(c);
	logs_exited(c);
	ops_exited(cs, c);
	wait_wake(c, true);
	watch_run_end(c);
}

void
watch_exited_elsewhere(struct containers *cs, struct ctr *c)
{
	logs_exited(c);
	wait_wake(c, false);
	ops_exited(cs, c);
	watch_run_end(c);
}

void
watch_exited(struct containers *cs, struct ctr *c)
{
	if (!heads_exit_mine(cs->d, c)) {
		/* another head reacts (or this one, once the store is back
		 * to claim it); our own clients are told */
		watch_exited_elsewhere(cs, c);
		return;
	}
	watch_exit_react(cs, c);
}

void
watch_exit_react(struct containers *cs, struct ctr *c)
{
	char code[16];

	ctrnet_stop(cs, c);
	snprintf(code, sizeof code, "%d", c->st.exit_code);
	events_container(cs, c, "die", json_pack("{s:s}", "exitCode", code));
	logs_exited(c);
	wait_wake(c, false);
	ops_exited(cs, c);
	watch_run_end(c);	/* it only schedules: c stays */
	if (restart_after_exit(cs, c))
		return;
	if (!ctr_running(c) && !c->removing &&
	    json_is_true(json_object_get(c->host_config, "AutoRemove")))
		ctr_remove_async(cs, c, false, false, NULL, NULL);
}

/* The exit record, keeping the start time we already knew. */
static void
watch_state(struct containers *cs, struct ctr *c, const struct rt_frame *f)
{
	sdc_error_t err = NULL;
	struct rt_state st;

	if (f != NULL && rt_attach_exit_state(f, &st, &err) == 0) {
		c->st = st;
		c->st.monitor_alive = false;
		return;
	}
	sdc_error_release(&err);
	if (rt_state_read(&cs->rt, c->uuid, &st, &err) == 0)
		c->st = st;
	else {
		sdc_error_release(&err);
		c->st.status = RT_EXITED;
		c->st.exit_code = -1;
	}
}

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctr *c = arg;
	struct containers *cs = NULL;
	struct rt_frame *f = &watch_frame;
	sdc_error_t err = NULL;
	int rc;

	for (;;) {
		if (attach_backlogged(c)) {
			event_del(c->watch_ev);
			return;
		}
		rc = rt_attach_recv(fd, f, &err);
		if (rc < 0 && (err->errnum == EAGAIN || err->errnum == EWOULDBLOCK)) {
			sdc_error_release(&err);
			return;
		}
		if (rc == 1 && f->type != RT_FRAME_EXIT) {
			if (c->run_out != NULL && (f->type == RT_FRAME_STDOUT ||
			    f->type == RT_FRAME_STDERR))
				c->run_out(c->run_arg, f->type, f->data, f->len);
			attach_feed(c, f);
			continue;
		}
		break;
	}
	sdc_error_release(&err);
	cs = c->cs;
	if (rc != 1 && c->watch_relayed) {
		/* the relay from the node broke, not the container: its
		 * attaches end, its exit comes from the node's report, which
		 * node-exits.c left untaken while the relay lasted */
		log_warn("container %s: the stream from its node ended before "
		    "its exit", c->id);
		watch_stop(c);
		attach_end_all(c);
		return;
	}
	watch_state(cs, c, rc == 1 ? f : NULL);
	watch_stop(c);
	if (rc == 1)
		attach_feed(c, f);
	attach_end_all(c);
	if (ctr_running(c)) {
		watch_orphan(cs, c);    /* the monitor died, the container lives on */
		return;
	}
	watch_exited(cs, c);
}
