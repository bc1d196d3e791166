/*
 * http-uring.c: plain connections' output, sent in batches through io_uring.
 *
 * On a busy server a small answer costs less to build than to send: the
 * writev, and the wake-up of the client and the preemption that follow
 * each one.  So answers queued while the loop handles one pass of events
 * are sent together, by one io_uring_enter at the end of that pass: a pass
 * that answers fifty keep-alive clients makes one system call for all its
 * writes rather than fifty.  Reading stays with epoll (see http-conn.c).
 *
 * How.  http_conn_flush() on a plain connection lists it here and makes
 * the `flush` event active; libevent runs that event after the callbacks
 * already active in the pass.  The flush moves each listed connection's
 * output into the connection's own `sending` buffer (chains move, bytes are
 * not copied), points one sendmsg at it and submits the lot.  A send the
 * socket can take completes within the submit and its completion is read
 * back at once.  One the socket cannot take yet completes later, and only
 * while such a send is out does the loop watch the ring's eventfd, since
 * watching it always would cost a wake-up per pass.
 *
 * The ring runs its completions' work only when this thread asks for it
 * (IORING_SETUP_DEFER_TASKRUN).  Otherwise the kernel would deliver that
 * work by interrupting whatever the thread is doing, and a blocking read
 * with a timeout elsewhere in the loop's thread would fail with EINTR.
 * The price: the ring belongs to the thread that made it (the loop's), and
 * a kernel older than 6.1 has no such ring, so writes go by writev there.
 *
 * The rules that keep bytes in order and memory safe:
 *  - while a connection's send is in the kernel nothing else writes to its
 *    socket: new output waits in the bufferevent's buffer for the next send;
 *  - a completion only keeps books (drain what went, list the connection
 *    again); what follows a write (the rest of the output, a lingering
 *    close, a stream's on_drain, the close after a failed send) runs from
 *    the flush, at the top of the loop, never inside someone's callback;
 *  - an SQE names its socket by number, so SQEs are submitted before any
 *    socket is closed (http_uring_release); once submitted the kernel holds
 *    the socket itself;
 *  - a connection whose send is in the kernel outlives http_conn_free()
 *    until the completion, which carries its address, comes back, or the
 *    ring is closed (which cancels the send);
 *  - before a hijack hands the socket over, the connection's send is
 *    cancelled or finished, and what it did not send goes back in front of
 *    the output (http_uring_settle).
 *
 * When the kernel refuses io_uring (too old, kernel.io_uring_disabled, or a
 * seccomp profile such as a container's), or http_server_options.no_uring
 * is set, connections write with writev as they did before: http-conn.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <liburing.h>

#include "http-internal.h"
#include "log.h"
#include "xalloc.h"

#define URING_ENTRIES   256             /* SQEs; the CQ is twice that */
#define URING_SEND_MAX  (256 * 1024)    /* bytes one sendmsg offers */
#define URING_SEND_IOV  16
#define URING_ROUNDS    8               /* flush rounds in one loop pass */
#define URING_CANCEL    ((void *)1)     /* user_data of cancel requests */

struct http_send {
	struct http_conn *conn;
	struct http_send *prev, *next;  /* on the ring's list, or its orphans */
	bool listed;
	bool in_kernel;                 /* a sendmsg is out, not yet complete */
	bool wrote;                     /* bytes went since the last follow-up */
	bool orphan;                    /* the connection waits to be freed */
	int error;                      /* errno of a failed send */
	struct evbuffer *sending;       /* the bytes the kernel was given */
	struct iovec iov[URING_SEND_IOV];
	struct msghdr msg;
};

struct send_list {
	struct http_send *head, *tail;
};

struct http_uring {
	struct io_uring ring;
	int efd;                        /* the ring signals late completions */
	struct event *ev_flush;         /* made active when something is listed */
	struct event *ev_late;          /* efd readable */
	bool late_watched;
	struct send_list listed;        /* connections with work, oldest first */
	struct send_list orphans;       /* freed connections a send holds */
	unsigned unsubmitted;           /* SQEs prepared, not yet submitted */
	unsigned in_kernel;             /* sends submitted, not yet complete */
};

static void
send_list_add(struct send_list *l, struct http_send *s)
{
	s->next = NULL;
	s->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = s;
	else
		l->head = s;
	l->tail = s;
}

static void
send_list_remove(struct send_list *l, struct http_send *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		l->tail = s->prev;
	s->prev = s->next = NULL;
}

static void
uring_list(struct http_uring *u, struct http_send *s)
{
	if (s->listed)
		return;
	s->listed = true;
	send_list_add(&u->listed, s);
	event_active(u->ev_flush, EV_TIMEOUT, 1);
}

static void
uring_unlist(struct http_uring *u, struct http_send *s)
{
	if (!s->listed)
		return;
	send_list_remove(&u->listed, s);
	s->listed = false;
}

/* Bookkeeping only: see the rules at the top. */
static void
uring_complete(struct http_uring *u, struct http_send *s, int res)
{
	s->in_kernel = false;
	u->in_kernel--;
	if (s->orphan) {
		send_list_remove(&u->orphans, s);
		http_conn_free(s->conn);
		return;
	}
	if (res >= 0) {
		evbuffer_drain(s->sending, (size_t)res);
		s->wrote = true;
	} else if (res != -ECANCELED && res != -EAGAIN && res != -EINTR)
		s->error = -res;
	/* else nothing went: the bytes stay for the next send (or settle) */
	uring_list(u, s);
}

static void
uring_reap(struct http_uring *u)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		void *data = io_uring_cqe_get_data(cqe);

		n++;
		if (data != URING_CANCEL)
			uring_complete(u, data, cqe->res);
	}
	io_uring_cq_advance(&u->ring, n);
}

/* Hand the prepared SQEs to the kernel, and have it run the work of late
 * completions meanwhile.  A full completion queue (EBUSY) empties as it is
 * reaped. */
static void
uring_submit(struct http_uring *u)
{
	int rc, tries = 0;

	while (u->unsubmitted > 0) {
		rc = io_uring_submit_and_get_events(&u->ring);
		if (rc > 0) {
			u->unsubmitted -= (unsigned)rc < u->unsubmitted ?
			    (unsigned)rc : u->unsubmitted;
			continue;
		}
		if (rc == -EINTR)
			continue;
		uring_reap(u);
		if ((rc != -EBUSY && rc != -EAGAIN) || ++tries > 100) {
			log_error("http: io_uring submit: %s", strerror(-rc));
			return;
		}
	}
}

static struct io_uring_sqe *
uring_sqe(struct http_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (sqe == NULL) {
		uring_submit(u);
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (sqe != NULL)
		u->unsubmitted++;
	return sqe;
}

/* Give the kernel the connection's output: what an earlier send left, or
 * else the next bytes of the bufferevent's output. */
static void
uring_send(struct http_uring *u, struct http_send *s)
{
	struct evbuffer *out = bufferevent_get_output(s->conn->bev);
	struct evbuffer_iovec v[URING_SEND_IOV];
	struct io_uring_sqe *sqe;
	int n;

	if (evbuffer_get_length(s->sending) == 0) {
		/* a bufferevent keeps its output's start frozen but in its own
		 * write callback; do as that callback does */
		evbuffer_unfreeze(out, 1);
		evbuffer_remove_buffer(out, s->sending, URING_SEND_MAX);
		evbuffer_freeze(out, 1);
	}
	n = evbuffer_peek(s->sending, -1, NULL, v, URING_SEND_IOV);
	if (n <= 0)
		return;
	if (n > URING_SEND_IOV)
		n = URING_SEND_IOV;
	if ((sqe = uring_sqe(u)) == NULL) {
		s->error = EAGAIN;      /* the ring is stuck: give up on it */
		uring_list(u, s);
		return;
	}
	for (int i = 0; i < n; i++) {
		s->iov[i].iov_base = v[i].iov_base;
		s->iov[i].iov_len = v[i].iov_len;
	}
	memset(&s->msg, 0, sizeof s->msg);
	s->msg.msg_iov = s->iov;
	s->msg.msg_iovlen = (size_t)n;
	io_uring_prep_sendmsg(sqe, bufferevent_getfd(s->conn->bev), &s->msg,
	    MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, s);
	s->in_kernel = true;
	u->in_kernel++;
}

/* What a listed connection needs next. */
static void
uring_next(struct http_uring *u, struct http_send *s)
{
	struct http_conn *c = s->conn;
	int error = s->error;

	if (s->in_kernel || c->state == CONN_DEAD || c->bev == NULL)
		return;
	if (error != 0) {
		s->error = 0;
		http_conn_sent(c, error);
	} else if (evbuffer_get_length(s->sending) > 0 ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		uring_send(u, s);
	else if (s->wrote) {
		s->wrote = false;
		http_conn_sent(c, 0);
	}
}

static void
uring_watch(struct http_uring *u, bool on)
{
	if (on && !u->late_watched)
		event_add(u->ev_late, NULL);
	else if (!on && u->late_watched)
		event_del(u->ev_late);
	u->late_watched = on;
}

static void
uring_run(struct http_uring *u)
{
	struct http_send *s;

	for (int round = 0; round < URING_ROUNDS; round++) {
		uring_reap(u);
		if (u->listed.head == NULL)
			break;
		while ((s = u->listed.head) != NULL) {
			uring_unlist(u, s);
			uring_next(u, s);
		}
		uring_submit(u);
	}
	if (u->listed.head != NULL)
		event_active(u->ev_flush, EV_TIMEOUT, 1);  /* the rest next pass */
	uring_watch(u, u->in_kernel > 0);
}

static void
uring_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	uring_run(arg);
}

static void
uring_late_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_uring *u = arg;
	eventfd_t n;

	eventfd_read(fd, &n);
	io_uring_get_events(&u->ring);
	uring_run(u);
}

static struct http_uring *
uring_open(struct http_server *srv)
{
	struct http_uring *u = xcalloc(1, sizeof *u);
	struct io_uring_params p;
	int rc;

	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	rc = io_uring_queue_init_params(URING_ENTRIES, &u->ring, &p);
	if (rc < 0) {
		log_info("http: no io_uring (%s): writing with writev",
		    strerror(-rc));
		free(u);
		return NULL;
	}
	u->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rc = u->efd < 0 ? -errno : io_uring_register_eventfd(&u->ring, u->efd);
	if (rc < 0) {
		log_info("http: no io_uring (eventfd: %s): writing with writev",
		    strerror(-rc));
		if (u->efd >= 0)
			close(u->efd);
		io_uring_queue_exit(&u->ring);
		free(u);
		return NULL;
	}
	u->ev_flush = event_new(srv->base, -1, 0, uring_flush_cb, u);
	u->ev_late = event_new(srv->base, u->efd, EV_READ | EV_PERSIST,
	    uring_late_cb, u);
	return u;
}

bool
http_server_uses_uring(const struct http_server *srv)
{
	return srv->uring != NULL;
}

bool
http_uring_attach(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	struct http_send *s;

	if (srv->opts.no_uring || srv->uring_failed)
		return false;
	if (srv->uring == NULL && (srv->uring = uring_open(srv)) == NULL) {
		srv->uring_failed = true;
		return false;
	}
	s = xcalloc(1, sizeof *s);
	s->conn = c;
	s->sending = evbuffer_new();
	c->send = s;
	return true;
}

void
http_uring_want(struct http_conn *c)
{
	uring_list(c->srv->uring, c->send);
}

size_t
http_uring_unsent(const struct http_conn *c)
{
	return c->send == NULL ? 0 : evbuffer_get_length(c->send->sending);
}

void
http_uring_release(struct http_conn *c)
{
	struct http_uring *u = c->srv->uring;

	if (c->send == NULL)
		return;
	uring_unlist(u, c->send);
	if (c->send->in_kernel && u->unsubmitted > 0)
		uring_submit(u);
}

/* The send is cancelled if it still waits for room, or else finishes at
 * once: either way its completion is near, so waiting for it is short. */
void
http_uring_settle(struct http_conn *c)
{
	struct http_uring *u = c->srv->uring;
	struct http_send *s = c->send;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;

	if (s == NULL)
		return;
	http_uring_release(c);
	if (s->in_kernel && (sqe = uring_sqe(u)) != NULL) {
		io_uring_prep_cancel(sqe, s, 0);
		io_uring_sqe_set_data(sqe, URING_CANCEL);
		uring_submit(u);
	}
	while (s->in_kernel) {
		int rc = io_uring_wait_cqe(&u->ring, &cqe);

		if (rc < 0 && rc != -EINTR && rc != -EAGAIN) {
			log_error("http: io_uring wait: %s", strerror(-rc));
			break;
		}
		uring_reap(u);
	}
	uring_unlist(u, s);             /* the completion listed it again */
	evbuffer_unfreeze(out, 1);
	evbuffer_prepend_buffer(out, s->sending);
	evbuffer_freeze(out, 1);
	s->wrote = false;
	s->error = 0;
}

bool
http_uring_keep(struct http_conn *c)
{
	struct http_send *s = c->send;

	if (s == NULL || !s->in_kernel)
		return false;
	uring_unlist(c->srv->uring, s);
	s->orphan = true;
	send_list_add(&c->srv->uring->orphans, s);
	return true;
}

void
http_uring_forget(struct http_conn *c)
{
	if (c->send == NULL)
		return;
	uring_unlist(c->srv->uring, c->send);
	evbuffer_free(c->send->sending);
	free(c->send);
	c->send = NULL;
}

/* Closing the ring cancels every send still in it; the connections those
 * held go then.  Any thread may do this (none of it enters the ring). */
void
http_uring_free(struct http_server *srv)
{
	struct http_uring *u = srv->uring;
	struct http_send *s;

	if (u == NULL)
		return;
	io_uring_queue_exit(&u->ring);
	while (u->listed.head != NULL)
		uring_unlist(u, u->listed.head);
	while ((s = u->orphans.head) != NULL) {
		send_list_remove(&u->orphans, s);
		s->in_kernel = false;
		http_conn_free(s->conn);
	}
	event_free(u->ev_flush);
	event_free(u->ev_late);
	close(u->efd);
	free(u);
	srv->uring = NULL;
}
