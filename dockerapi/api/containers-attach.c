/*
 * containers-attach.c: Docker's hijacked attach streams (run, attach,
 * start -a, and exec's through the same code).
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
 * container opens a connection of its own.  For a container on a node
 * behind an agent both are relayed from that node (node-attach.c): the
 * same frames on a socketpair, the connection to the node made off the
 * loop.  Either way it is on the container's list, so a removal ends it.
 * Stdin the monitor (or the relay) cannot take yet waits, the client's
 * reading stopped until it can.  A slow client holds the
 * watcher back (and so the monitor, and so the container), as a slow
 * attach does with dockerd, instead of growing our buffers.
 *
 * logs=1 replays the log first (containers-attach-logs.c), the live stream
 * waiting until it is sent; stream=0 ends after it, as dockerd does (an
 * exited container's output, then the end).  Input is scanned for the
 * detach keys (ctrl-p ctrl-q unless the client names others): the sequence
 * is not passed on, and ends this client's attach alone, the container
 * running on.  A sequence begun and then broken is passed on whole, as
 * Docker's escape proxy does.
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
#include "jsonutil.h"
#include "log.h"
#include "node-calls.h"
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
	struct attach_logs *replay;	/* logs=1, until sent */
	size_t matched;			/* detach keys typed so far */
	struct buf pend;		/* stdin the monitor has not taken yet */
	struct event *wev;		/* waiting for it to take more */
	bool read_closed;		/* the client half-closed */
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
	attach_logs_cancel(a->replay);
	if (a->ev != NULL)
		event_free(a->ev);
	if (a->linger != NULL)
		event_free(a->linger);
	if (a->wev != NULL)
		event_free(a->wev);
	buf_free(&a->pend);
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
	attach_logs_cancel(a->replay);
	a->replay = NULL;
	if (a->ev != NULL) {
		event_free(a->ev);
		a->ev = NULL;
	}
	if (a->wev != NULL) {
		event_free(a->wev);
		a->wev = NULL;
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
		if (a->fd < 0 && !a->o.no_stream)
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
		if (a->fd < 0 && !a->o.no_stream && evbuffer_get_length(bufferevent_get_output(a->bev)) >
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

int
attach_detach_keys(const char *spec, struct attach_opts *o, sdc_error_t *err)
{
	const char *p = spec, *end;
	size_t len;

	o->nkeys = 0;
	if (spec == NULL || *spec == '\0')
		p = "ctrl-p,ctrl-q";
	for (; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		if (o->nkeys == ATTACH_KEYS_MAX)
			goto bad;
		if (len == 1 && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
			o->keys[o->nkeys++] = (unsigned char)*p;
		else if (len == 6 && strncmp(p, "ctrl-", 5) == 0 &&
		    p[5] >= 'a' && p[5] <= 'z')
			o->keys[o->nkeys++] = (unsigned char)(p[5] - 'a' + 1);
		else if (len == 6 && strncmp(p, "ctrl-", 5) == 0 &&
		    p[5] != '\0' && strchr("@[\\]^_", p[5]) != NULL)
			o->keys[o->nkeys++] = (unsigned char)(p[5] == '@' ? 0 :
			    p[5] - '[' + 27);
		else
			goto bad;
		if (*end == ',' && end[1] == '\0')
			goto bad;
	}
	return 0;
bad:
	return sdc_make_error_code(err, 400, "Invalid detach keys (%s) "
	    "provided: expected a list like ctrl-p,ctrl-q of single "
	    "characters and ctrl-<a-z, @, [, \\, ], ^ or _>", spec);
}

/* The detach keys were typed: this client goes, the container stays. */
static void
attach_detach(struct ctr_attach *a)
{
	struct ctr *c = a->c;

	if (a->fd >= 0 && a->o.on_detach != NULL) {
		event_free(a->ev);
		a->ev = NULL;
		a->o.on_detach(a->arg, a->fd);
		a->fd = -1;
	}
	if (c != NULL)
		events_container(c->cs, c, "detach", NULL);
	attach_finish(a);
}

/* Input bytes minus the detach keys into out; true when they were all
 * typed. */
static bool
attach_scan(struct ctr_attach *a, const unsigned char *in, size_t n,
    struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (a->o.nkeys > 0 && in[i] == a->o.keys[a->matched]) {
			if (++a->matched == a->o.nkeys)
				return true;
			continue;
		}
		if (a->matched > 0) {	/* broken: what was held goes on */
			buf_append(out, a->o.keys, a->matched);
			a->matched = 0;
			if (a->o.nkeys > 0 && in[i] == a->o.keys[0]) {
				a->matched = 1;
				continue;
			}
		}
		buf_append(out, &in[i], 1);
	}
	return false;
}

/* Send what stdin holds; false when the monitor's socket (or a relay
 * from the node) is full: the rest waits, nothing is dropped. */
static bool
attach_flush(struct ctr_attach *a, int fd)
{
	sdc_error_t err = NULL;
	size_t off = 0, n;

	while (off < a->pend.len) {
		n = a->pend.len - off < RT_FRAME_MAX - 1 ? a->pend.len - off :
		    RT_FRAME_MAX - 1;
		if (rt_attach_send(fd, RT_FRAME_STDIN, a->pend.data + off, n,
		    &err) < 0) {
			bool full = err->errnum == EAGAIN ||
			    err->errnum == EWOULDBLOCK;

			sdc_error_release(&err);
			if (full)
				break;
			off = a->pend.len;	/* the monitor went */
			break;
		}
		off += n;
	}
	buf_consume(&a->pend, off);
	return a->pend.len == 0;
}

static void attach_stdin(struct ctr_attach *a);

static void
attach_writable_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctr_attach *a = arg;

	if (!a->read_closed)
		bufferevent_enable(a->bev, EV_READ);
	attach_stdin(a);
}

/* The client's input waits until fd takes more. */
static void
attach_wait_writable(struct ctr_attach *a, int fd)
{
	bufferevent_disable(a->bev, EV_READ);
	if (a->wev != NULL && event_get_fd(a->wev) != fd) {
		event_free(a->wev);
		a->wev = NULL;
	}
	if (a->wev == NULL)
		a->wev = event_new(bufferevent_get_base(a->bev), fd, EV_WRITE,
		    attach_writable_cb, a);
	event_add(a->wev, NULL);
}

static void
attach_stdin(struct ctr_attach *a)
{
	struct evbuffer *in = bufferevent_get_input(a->bev);
	int fd = attach_target(a);
	unsigned char buf[RT_FRAME_MAX - 1];
	sdc_error_t err = NULL;
	bool detach = false;
	size_t n;

	if (!a->o.in || a->done) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (fd < 0) {
		bufferevent_disable(a->bev, EV_READ);	/* until the start */
		return;
	}
	if (!attach_flush(a, fd)) {
		attach_wait_writable(a, fd);
		return;
	}
	while (!detach && (n = (size_t)evbuffer_remove(in, buf, sizeof buf)) >
	    0 && n != (size_t)-1) {
		detach = attach_scan(a, buf, n, &a->pend);
		if (!attach_flush(a, fd) && !detach) {
			attach_wait_writable(a, fd);
			return;
		}
	}
	if (detach) {
		attach_detach(a);
		return;
	}
	if (a->close_stdin_due) {
		if (rt_attach_send(fd, RT_FRAME_CLOSE_STDIN, NULL, 0, &err) < 0 &&
		    (err->errnum == EAGAIN || err->errnum == EWOULDBLOCK)) {
			sdc_error_release(&err);
			attach_wait_writable(a, fd);
			return;
		}
		sdc_error_release(&err);
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

	if (a->replay != NULL) {
		attach_logs_drained(a->replay);
		return;
	}
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
	a->read_closed = true;
	if (a->done) {
		/* Finished already: free now unless output is still queued,
		 * which the linger timer gives the time to leave. */
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			attach_free(a);
		return;
	}
	/* as dockerd: a TTY's stdin stays open (the CLI leaving through
	 * its own detach keys closes the connection) */
	if (a->o.in && a->o.stdin_once && !a->o.raw && !a->done) {
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

/* The log is sent: the live stream, or the end. */
static void
attach_replayed(void *arg)
{
	struct ctr_attach *a = arg;

	a->replay = NULL;
	if (a->o.no_stream) {
		attach_finish(a);
		return;
	}
	if (a->ev != NULL)
		event_add(a->ev, NULL);
}

struct ctr_attach *
attach_open(struct ctr *c, struct bufferevent *bev, int fd,
    const struct attach_opts *o, attach_exit_fn *on_exit, void *arg)
{
	struct ctr_attach *a = xcalloc(1, sizeof *a);
	sdc_error_t err = NULL;

	a->c = c;
	a->bev = bev;
	a->fd = fd;
	a->o = *o;
	a->on_exit = on_exit;
	a->arg = arg;
	a->next = c->attachers;
	c->attachers = a;
	if (o->logs && (a->replay = attach_logs_start(c->cs, c, bev, o->out,
	    o->err, o->raw, attach_replayed, a, &err)) == NULL) {
		log_warn("container %s: %s", c->id, sdc_error_msg(err));
		sdc_error_release(&err);
	}
	if (fd >= 0) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (!o->out && !o->err)
			rt_attach_send(fd, RT_FRAME_MUTE, NULL, 0, NULL);
		a->ev = event_new(bufferevent_get_base(bev), fd,
		    EV_READ | EV_PERSIST, attach_fd_cb, a);
		if (a->replay == NULL)
			event_add(a->ev, NULL);
	}
	bufferevent_setwatermark(bev, EV_WRITE, ATTACH_BACKLOG / 4, 0);
	bufferevent_setcb(bev, attach_read_cb, attach_write_cb, attach_event_cb, a);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		attach_stdin(a);
	if (o->no_stream && a->replay == NULL)
		attach_finish(a);
	return a;
}

/* The answer's 101 and the attach, on fd (or fed from the watcher). */
static void
attach_hijack(struct http_request *req, struct ctr *c, int fd,
    struct attach_opts *o)
{
	struct bufferevent *bev;

	o->hold = limits_keep(req);
	if ((bev = http_hijack(req, "application/vnd.docker.raw-stream")) == NULL) {
		limits_release(o->hold);
		if (fd >= 0)
			close(fd);
		return;
	}
	attach_open(c, bev, fd, o, NULL, NULL);
	events_container(c->cs, c, "attach", NULL);
}

/* An attach to a running container on another node: its stream relayed
 * from there (node-attach.c), connected off the loop. */
struct attach_node_job {
	struct node_target t;
	char uuid[37];
	struct attach_opts o;
	int fd;
};

static int
attach_node_fn(void *arg, sdc_error_t *err)
{
	struct attach_node_job *j = arg;

	return (j->fd = node_attach_open(&j->t, j->uuid, err)) < 0 ? -1 : 0;
}

static void
attach_node_done(struct ctr *c, void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct attach_node_job *j = arg;

	if (rc < 0 && req != NULL)
		api_error_from(req, err);
	else if (rc == 0 && (c == NULL || req == NULL))
		close(j->fd);
	else if (rc == 0)
		attach_hijack(req, c, j->fd, &j->o);
	node_target_clear(&j->t);
	free(j);
}

static int
attach_node(struct http_request *req, struct ctr *c, struct node_target *t,
    const struct attach_opts *o)
{
	struct attach_node_job *j = xcalloc(1, sizeof *j);
	sdc_error_t err = NULL;

	j->t = *t;
	snprintf(j->uuid, sizeof j->uuid, "%s", c->uuid);
	j->o = *o;
	j->fd = -1;
	if (node_attach_ready(c->cs->d, &err) < 0 ||
	    ctr_call(req, c, "attach", attach_node_fn, attach_node_done, j,
	    &err) < 0) {
		node_target_clear(&j->t);
		free(j);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}

/* POST /containers/:id/attach */
int
ctr_attach(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct ctr *c = ctr_lookup(req, d);
	struct attach_opts o = { 0 };
	struct node_target t;
	sdc_error_t err = NULL;
	int fd = -1;

	if (c == NULL)
		return HTTP_DONE;
	if (c->st.status == RT_PAUSED)
		return api_error(req, 409, "You cannot attach to a paused "
		    "container, unpause it first");
	if (attach_detach_keys(http_query(req, "detachKeys"), &o, &err) < 0)
		return api_error_from(req, &err);
	o.no_stream = !http_query_bool(req, "stream", false);
	o.logs = http_query_bool(req, "logs", false);
	o.in = http_query_bool(req, "stdin", false) && !o.no_stream;
	o.out = http_query_bool(req, "stdout", false);
	o.err = http_query_bool(req, "stderr", false);
	o.raw = json_is_true(json_object_get(c->config, "Tty"));
	o.stdin_once = json_is_true(json_object_get(c->config, "StdinOnce"));
	if (ctr_running(c) && !o.no_stream) {
		if (node_target_get(d, json_str(c->extra, "Node", NULL), &t,
		    &err) < 0)
			return api_error_from(req, &err);  /* node unavailable */
		if (t.address != NULL && ctr_busy(req, c, ctr_attach, arg)) {
			node_target_clear(&t);
			return HTTP_ASYNC;      /* again once its call ends */
		}
		if (t.address != NULL)
			return attach_node(req, c, &t, &o);
		if ((fd = rt_attach_open(&ctrs(d)->rt, c->uuid, NULL, &err)) < 0)
			return api_error_from(req, &err);
	}
	attach_hijack(req, c, fd, &o);
	return HTTP_DONE;
}

struct node_resize_job {
	struct node_target t;
	char uuid[37], exec_id[65];	/* "": the container's own TTY */
	unsigned rows, cols;
};

struct node_resize_job *
node_resize_job(struct node_target *t, const char *uuid, const char *exec_id,
    const char *h, const char *w)
{
	struct node_resize_job *j = xcalloc(1, sizeof *j);

	j->t = *t;
	snprintf(j->uuid, sizeof j->uuid, "%s", uuid);
	snprintf(j->exec_id, sizeof j->exec_id, "%s", exec_id != NULL ?
	    exec_id : "");
	j->rows = (unsigned)atoi(h);
	j->cols = (unsigned)atoi(w);
	return j;
}

void
node_resize_job_free(struct node_resize_job *j)
{
	node_target_clear(&j->t);
	free(j);
}

int
node_resize_run(void *arg, sdc_error_t *err)
{
	struct node_resize_job *j = arg;

	return node_resize(&j->t, j->uuid, j->exec_id[0] != '\0' ? j->exec_id :
	    NULL, j->rows, j->cols, err);
}

void
node_resize_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	if (req != NULL && rc < 0)
		api_error_from(req, err);
	else if (req != NULL)
		http_reply(req, 200, NULL, NULL, 0);
	node_resize_job_free(arg);
}

/* The container's resize on its node ended (the container busy meanwhile,
 * ctr_call). */
static void
resize_node_done(struct ctr *c, void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	(void)c;
	node_resize_done(arg, req, rc, err);
}

/* POST /containers/:id/resize: the TTY's size, through the watcher, or
 * on the container's node when no watcher of ours is relayed from it. */
int
ctr_resize(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	const char *h = http_query(req, "h"), *w = http_query(req, "w");
	struct node_resize_job *j;
	struct node_target t;
	sdc_error_t err = NULL;

	if (c == NULL)
		return HTTP_DONE;
	if (ctr_running(c) && c->watch_fd < 0 && h != NULL && w != NULL) {
		if (node_target_get(arg, json_str(c->extra, "Node", NULL), &t,
		    &err) < 0)
			return api_error_from(req, &err);
		if (t.address != NULL && ctr_busy(req, c, ctr_resize, arg)) {
			node_target_clear(&t);
			return HTTP_ASYNC;
		}
		if (t.address != NULL) {
			j = node_resize_job(&t, c->uuid, NULL, h, w);
			if (ctr_call(req, c, "resize", node_resize_run,
			    resize_node_done, j, &err) < 0) {
				node_resize_job_free(j);
				return api_error_from(req, &err);
			}
			return HTTP_ASYNC;
		}
	}
	if (!ctr_running(c) || c->watch_fd < 0)
		return api_error(req, 409, "Container %s is not running", c->id);
	if (h != NULL && w != NULL &&
	    rt_attach_resize(c->watch_fd, (unsigned)atoi(h), (unsigned)atoi(w),
	    &err) < 0)
		return api_error_from(req, &err);
	return http_reply(req, 200, NULL, NULL, 0);
}

const struct api_endpoint containers_attach_routes[] = {
	{ { "POST", "/containers/:id/attach", ctr_attach,
	    API_LONG, NULL }, 0 },
	{ { "POST", "/containers/:id/resize", ctr_resize, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
