/*
 * attach.c: Docker's hijacked attach streams (run, attach, start -a, and
 * exec's through the same code).
 *
 * After the 101 the connection is a raw byte stream both ways.  Output is
 * the monitor's frames, written as Docker's multiplexed stream (an 8-byte
 * header: stream, three zeros, length big-endian) unless the container
 * has a TTY, when it is the bytes alone.  Input goes to the monitor as
 * stdin frames; the client's half-close closes the container's stdin when
 * StdinOnce is set, as `docker run -i` expects.  At the exit frame the
 * output is flushed, the write side shut (a TLS close_notify), and the
 * connection freed when the client closes it or after a grace time.
 *
 * Where the frames come from: a client that attaches before the start
 * (docker run attaches, then starts) waits on the container and is fed
 * from the watcher connection that rt_start returns, which sees output
 * from the very first byte.  A client that attaches to a running
 * container opens a connection of its own.  Either way it is on the
 * container's list, so a removal ends it.  A slow client holds the
 * watcher back (and so the monitor, and so the container), as a slow
 * attach does with dockerd, instead of growing our buffers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "containers.h"
#include "log.h"
#include "xalloc.h"

#define ATTACH_BACKLOG (1024 * 1024)
#define ATTACH_LINGER_SEC 5

struct ctr_attach {
	struct ctr_attach *next;
	struct ctr *c;			/* NULL once ended */
	struct bufferevent *bev;
	int fd;				/* own monitor connection, or -1: fed */
	struct event *ev;
	struct event *linger;
	struct attach_opts o;
	bool done;
	bool close_stdin_due;
	attach_exit_fn *on_exit;
	void *arg;
};

static struct rt_frame attach_frame;

void
attach_mux_header(unsigned char hdr[8], int stream, size_t len)
{
	uint32_t n = htonl((uint32_t)len);

	hdr[0] = (unsigned char)stream;
	hdr[1] = hdr[2] = hdr[3] = 0;
	memcpy(hdr + 4, &n, 4);
}

static void
attach_unlink(struct ctr_attach *a)
{
	struct ctr_attach **p;

	if (a->c == NULL)
		return;
	for (p = &a->c->attachers; *p != NULL; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			break;
		}
	watch_maybe_mute(a->c);
	if (a->c->watch_fd >= 0 && !attach_backlogged(a->c))
		event_add(a->c->watch_ev, NULL);
	a->c = NULL;
}

static void
attach_free(struct ctr_attach *a)
{
	attach_unlink(a);
	if (a->ev != NULL)
		event_free(a->ev);
	if (a->linger != NULL)
		event_free(a->linger);
	if (a->fd >= 0)
		close(a->fd);
	bufferevent_free(a->bev);
	limits_release(a->o.hold);
	free(a);
}

static void
attach_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	attach_free(arg);
}

/* No more output: flush, half-close, free when the client closes. */
static void
attach_finish(struct ctr_attach *a)
{
	struct timeval tv = { ATTACH_LINGER_SEC, 0 };

	if (a->done)
		return;
	a->done = true;
	attach_unlink(a);
	if (a->ev != NULL) {
		event_free(a->ev);
		a->ev = NULL;
	}
	http_hijack_shutdown_write(a->bev);
	a->linger = evtimer_new(bufferevent_get_base(a->bev), attach_linger_cb, a);
	evtimer_add(a->linger, &tv);
}

static void
attach_output(struct ctr_attach *a, const struct rt_frame *f)
{
	unsigned char hdr[8];

	if ((f->type == RT_FRAME_STDOUT && !a->o.out) ||
	    (f->type == RT_FRAME_STDERR && !a->o.err) || f->len == 0)
		return;
	if (!a->o.raw) {
		attach_mux_header(hdr, f->type, f->len);
		bufferevent_write(a->bev, hdr, sizeof hdr);
	}
	bufferevent_write(a->bev, f->data, f->len);
}

static void
attach_frame_in(struct ctr_attach *a, const struct rt_frame *f)
{
	if (f->type == RT_FRAME_STDOUT || f->type == RT_FRAME_STDERR)
		attach_output(a, f);
	else if (f->type == RT_FRAME_EXIT) {
		if (a->on_exit != NULL)
			a->on_exit(a->arg, f);
		attach_finish(a);
	}
}

void
attach_feed(struct ctr *c, const struct rt_frame *f)
{
	struct ctr_attach *a, *next;

	for (a = c->attachers; a != NULL; a = next) {
		next = a->next;
		if (a->fd < 0)
			attach_frame_in(a, f);
	}
}

void
attach_end_all(struct ctr *c)
{
	while (c->attachers != NULL)
		attach_finish(c->attachers);
}

void
attach_free_all(struct ctr *c)
{
	while (c->attachers != NULL)
		attach_free(c->attachers);
}

bool
attach_backlogged(const struct ctr *c)
{
	const struct ctr_attach *a;

	for (a = c->attachers; a != NULL; a = a->next)
		if (a->fd < 0 && evbuffer_get_length(bufferevent_get_output(a->bev)) >
		    ATTACH_BACKLOG)
			return true;
	return false;
}

/* The monitor connection stdin goes to. */
static int
attach_target(const struct ctr_attach *a)
{
	if (a->fd >= 0)
		return a->fd;
	return a->c != NULL ? a->c->watch_fd : -1;
}

static void
attach_stdin(struct ctr_attach *a)
{
	struct evbuffer *in = bufferevent_get_input(a->bev);
	int fd = attach_target(a);
	char buf[RT_FRAME_MAX - 1];
	size_t n;

	if (!a->o.in) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (fd < 0) {
		bufferevent_disable(a->bev, EV_READ);	/* until the start */
		return;
	}
	while ((n = (size_t)evbuffer_remove(in, buf, sizeof buf)) > 0 &&
	    n != (size_t)-1)
		rt_attach_send(fd, RT_FRAME_STDIN, buf, n, NULL);
	if (a->close_stdin_due) {
		rt_attach_send(fd, RT_FRAME_CLOSE_STDIN, NULL, 0, NULL);
		a->close_stdin_due = false;
	}
}

static void
attach_read_cb(struct bufferevent *bev, void *arg)
{
	attach_stdin(arg);
}

static void
attach_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctr_attach *a = arg;

	if (a->ev != NULL)
		event_add(a->ev, NULL);
	if (a->c != NULL && a->c->watch_fd >= 0 && !attach_backlogged(a->c))
		event_add(a->c->watch_ev, NULL);
}

static void
attach_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctr_attach *a = arg;

	if (!(what & BEV_EVENT_EOF)) {
		attach_free(a);
		return;
	}
	/* Half-closed (the CLI does so at once when it sends no input): no
	 * more input, the output goes on. */
	http_hijack_read_closed(bev);
	if (a->done) {
		/* Finished already: free now unless output is still queued,
		 * which the linger timer gives the time to leave. */
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			attach_free(a);
		return;
	}
	if (a->o.in && a->o.stdin_once) {
		a->close_stdin_due = true;
		attach_stdin(a);
	}
}

void
attach_started(struct ctr *c)
{
	struct ctr_attach *a;

	for (a = c->attachers; a != NULL; a = a->next)
		if (a->fd < 0 && a->o.in) {
			bufferevent_enable(a->bev, EV_READ);
			attach_stdin(a);
		}
}

static void
attach_fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctr_attach *a = arg;
	struct rt_frame *f = &attach_frame;
	int rc;

	for (;;) {
		rc = rt_attach_recv(fd, f, NULL);
		if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (rc != 1)
			break;
		attach_frame_in(a, f);
		if (a->done)
			return;
		if (evbuffer_get_length(bufferevent_get_output(a->bev)) >
		    ATTACH_BACKLOG) {
			event_del(a->ev);	/* until the client drains */
			return;
		}
	}
	if (a->on_exit != NULL)
		a->on_exit(a->arg, NULL);
	attach_finish(a);
}

struct ctr_attach *
attach_open(struct ctr *c, struct bufferevent *bev, int fd,
    const struct attach_opts *o, attach_exit_fn *on_exit, void *arg)
{
	struct ctr_attach *a = xcalloc(1, sizeof *a);

	a->c = c;
	a->bev = bev;
	a->fd = fd;
	a->o = *o;
	a->on_exit = on_exit;
	a->arg = arg;
	a->next = c->attachers;
	c->attachers = a;
	if (fd >= 0) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (!o->out && !o->err)
			rt_attach_send(fd, RT_FRAME_MUTE, NULL, 0, NULL);
		a->ev = event_new(bufferevent_get_base(bev), fd,
		    EV_READ | EV_PERSIST, attach_fd_cb, a);
		event_add(a->ev, NULL);
	}
	bufferevent_setwatermark(bev, EV_WRITE, ATTACH_BACKLOG / 4, 0);
	bufferevent_setcb(bev, attach_read_cb, attach_write_cb, attach_event_cb, a);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		attach_stdin(a);
	return a;
}

/* POST /containers/:id/attach */
int
ctr_attach(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct ctr *c = ctr_lookup(req, d);
	struct attach_opts o;
	sdc_error_t err = NULL;
	struct bufferevent *bev;
	int fd = -1;

	if (c == NULL)
		return HTTP_DONE;
	if (c->st.status == RT_PAUSED)
		return api_error(req, 409, "You cannot attach to a paused "
		    "container, unpause it first");
	o.in = http_query_bool(req, "stdin", false);
	o.out = http_query_bool(req, "stdout", false);
	o.err = http_query_bool(req, "stderr", false);
	o.raw = json_is_true(json_object_get(c->config, "Tty"));
	o.stdin_once = json_is_true(json_object_get(c->config, "StdinOnce"));
	if (ctr_running(c) &&
	    (fd = rt_attach_open(&ctrs(d)->rt, c->uuid, NULL, &err)) < 0)
		return api_error_from(req, &err);
	o.hold = limits_keep(req);
	if ((bev = http_hijack(req, "application/vnd.docker.raw-stream")) == NULL) {
		limits_release(o.hold);
		if (fd >= 0)
			close(fd);
		return HTTP_DONE;
	}
	attach_open(c, bev, fd, &o, NULL, NULL);
	events_container(ctrs(d), c, "attach", NULL);
	return HTTP_DONE;
}

/* POST /containers/:id/resize: the TTY's size, through the watcher. */
int
ctr_resize(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	const char *h = http_query(req, "h"), *w = http_query(req, "w");
	sdc_error_t err = NULL;

	if (c == NULL)
		return HTTP_DONE;
	if (!ctr_running(c) || c->watch_fd < 0)
		return api_error(req, 409, "Container %s is not running", c->id);
	if (h != NULL && w != NULL &&
	    rt_attach_resize(c->watch_fd, (unsigned)atoi(h), (unsigned)atoi(w),
	    &err) < 0)
		return api_error_from(req, &err);
	return http_reply(req, 200, NULL, NULL, 0);
}
