/*
 * rtcall.c: the OCI runtime and other blocking calls off the loop thread.
 *
 * A runc call takes tens of milliseconds when all is well and, when the
 * runtime hangs (a stuck cgroup freezer, a runc waiting on a dead fuse
 * mount), as long as its timeout: on the loop thread, either would hold
 * every other client of the daemon.  So a route that runs the runtime
 * splits in three: checks and bookkeeping on the loop, the blocking call
 * on a thread of its own (rtcall_fn, which touches only the runtime
 * library and its arguments), and the answer back on the loop
 * (rtcall_done_fn), which the thread wakes through a pipe read by an
 * event, as thread-stream.c and the copy jobs do.  A thread per call
 * rather than a pool: calls are few and short, and a hung one must not
 * hold up the calls queued behind it; each ends at the runtime's timeout
 * (rt_config.timeout_ms), which kills the child, or a store's connect at
 * its connect_timeout, so threads never pile up.
 *
 * A call that is quick when all is well and hangs when not (a connect
 * to a server whose host drops packets) may wait a little on the loop
 * for its end (rtcall_start_waiting): the usual case is then done at
 * once, as on the loop, and only the other is left to the thread.
 *
 * The client may leave while its call runs; the call's effect is still
 * recorded (done runs with req NULL), since the container changed
 * whether anyone waits for the answer.
 *
 * A call as long as its input makes it (a volume's first copy of an
 * image's files) may tell its client how far it has got: a tick on the
 * loop, while the thread runs and the client is there, reads what the
 * thread's progress left in arg and writes it to the request
 * (rtcall_start_ticking), so the client judges the call by its progress
 * rather than by its total time.  The thread is named after the call
 * (what), as `top -H` and /proc/PID/task/TID/comm show it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "http.h"
#include "log.h"
#include "rtcall.h"
#include "timeutil.h"
#include "xalloc.h"

struct rtcall {
	struct http_request *req;	/* NULL once the client has gone */
	const char *what;
	rtcall_fn *fn;
	rtcall_done_fn *done;
	void *arg;
	pthread_t thread;
	int note[2];			/* the thread writes one byte at its end */
	struct event *ev;
	struct event *tick;		/* rtcall_start_ticking's, or NULL */
	rtcall_tick_fn *tick_fn;
	int rc;
	sdc_error_t err;
	struct rtcall *prev, *next;
};

static struct rtcall *rtcalls;

static void *
rtcall_main(void *arg)
{
	struct rtcall *c = arg;
	char one = 1;

	c->rc = c->fn(c->arg, &c->err);
	while (write(c->note[1], &one, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void
rtcall_unlink(struct rtcall *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (rtcalls == c)
		rtcalls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void
rtcall_free(struct rtcall *c)
{
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->tick != NULL)
		event_free(c->tick);
	close(c->note[0]);
	close(c->note[1]);
	sdc_error_release(&c->err);
	free(c);
}

static void
rtcall_closed(struct http_request *req, void *arg)
{
	struct rtcall *c = arg;

	(void)req;
	c->req = NULL;
}

static void
rtcall_ticked(evutil_socket_t fd, short what, void *arg)
{
	struct rtcall *c = arg;

	(void)fd;
	(void)what;
	if (c->req != NULL)
		c->tick_fn(c->arg, c->req);
}

/* Its name as far as the kernel keeps one (15 bytes). */
static void
rtcall_name(struct rtcall *c)
{
	char name[16];

	snprintf(name, sizeof name, "%s", c->what);
	(void)pthread_setname_np(c->thread, name);
}

static void
rtcall_note(evutil_socket_t fd, short what, void *arg)
{
	struct rtcall *c = arg;
	struct http_request *req = c->req;

	(void)fd;
	(void)what;
	pthread_join(c->thread, NULL);
	rtcall_unlink(c);
	if (req != NULL)
		http_on_close(req, NULL, NULL);
	if (c->rc < 0)
		log_info("%s: %s", c->what, sdc_error_msg(c->err));
	c->done(c->arg, req, c->rc, &c->err);
	rtcall_free(c);
}

static struct rtcall *
rtcall_begin(struct event_base *base, struct http_request *req,
    const char *what, rtcall_fn *fn, rtcall_done_fn *done, void *arg,
    sdc_error_t *err)
{
	struct rtcall *c = xcalloc(1, sizeof *c);
	int r;

	c->req = req;
	c->what = what;
	c->fn = fn;
	c->done = done;
	c->arg = arg;
	if (pipe2(c->note, O_CLOEXEC) < 0) {
		free(c);
		sdc_make_error(err, errno, "%s: pipe", what);
		return NULL;
	}
	c->ev = event_new(base, c->note[0], EV_READ, rtcall_note, c);
	event_add(c->ev, NULL);
	if ((r = pthread_create(&c->thread, NULL, rtcall_main, c)) != 0) {
		rtcall_free(c);
		sdc_make_error(err, r, "%s: a thread", what);
		return NULL;
	}
	rtcall_name(c);
	c->next = rtcalls;
	if (rtcalls != NULL)
		rtcalls->prev = c;
	rtcalls = c;
	if (req != NULL)
		http_on_close(req, rtcall_closed, c);
	return c;
}

int
rtcall_start(struct event_base *base, struct http_request *req,
    const char *what, rtcall_fn *fn, rtcall_done_fn *done, void *arg,
    sdc_error_t *err)
{
	return rtcall_begin(base, req, what, fn, done, arg, err) != NULL ? 0 :
	    -1;
}

int
rtcall_start_ticking(struct event_base *base, struct http_request *req,
    const char *what, rtcall_fn *fn, rtcall_tick_fn *tick, int tick_ms,
    rtcall_done_fn *done, void *arg, sdc_error_t *err)
{
	struct timeval every = { tick_ms / 1000, (tick_ms % 1000) * 1000 };
	struct rtcall *c = rtcall_begin(base, req, what, fn, done, arg, err);

	if (c == NULL)
		return -1;
	c->tick_fn = tick;
	c->tick = event_new(base, -1, EV_PERSIST, rtcall_ticked, c);
	event_add(c->tick, &every);
	return 0;
}

/* The thread's note is read here rather than by the loop when it comes
 * within wait_ms: done runs now, and the loop's event goes with c. */
int
rtcall_start_waiting(struct event_base *base, const char *what,
    rtcall_fn *fn, rtcall_done_fn *done, void *arg, int wait_ms,
    sdc_error_t *err)
{
	struct rtcall *c = rtcall_begin(base, NULL, what, fn, done, arg, err);
	struct pollfd p;
	int64_t end = time_mono_ms() + wait_ms, left;

	if (c == NULL)
		return -1;
	p = (struct pollfd){ .fd = c->note[0], .events = POLLIN };
	while ((left = end - time_mono_ms()) > 0) {
		if (poll(&p, 1, (int)left) > 0) {
			rtcall_note(c->note[0], EV_READ, c);
			return 1;
		}
	}
	return 0;
}

void
rtcall_cancel_all(void)
{
	struct rtcall *c;

	while ((c = rtcalls) != NULL) {
		rtcall_unlink(c);
		/* the thread still owns c and its pipe: let it be */
		event_free(c->ev);
		c->ev = NULL;
		if (c->tick != NULL)
			event_free(c->tick);
		c->tick = NULL;
		pthread_detach(c->thread);
		log_info("%s: still running at exit", c->what);
	}
}
