/*
 * thread-stream.c: blocking writers (the image library's save, the
 * runtime's export) behind a non-blocking answer.
 *
 * The writer runs on a thread of its own into a pipe, and the loop copies
 * the pipe to the response, reading only while the client keeps up
 * (http_stream_pending and on_drain).  If the client goes, closing the
 * pipe makes the thread's next write fail, which stops it; a failure in
 * the middle can only end the response, as in Docker, since a tar stream
 * has nowhere to carry an error message.
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

#include "fsutil.h"
#include "http.h"
#include "log.h"
#include "thread-stream.h"
#include "xalloc.h"

#define TS_CHUNK (128 * 1024)
#define TS_PENDING_HIGH (1024 * 1024)

struct tstream {
	struct http_request *req;       /* NULL once the client has gone */
	const char *what;
	thread_stream_fn *fn;
	thread_stream_done_fn *done;
	void *arg;
	pthread_t thread;
	bool running;
	int fd;                         /* the pipe's read end */
	int wfd;                        /* its write end, the thread's */
	struct event *ev;
	int rc;                         /* the thread's result, after join */
	sdc_error_t err;
	struct tstream *prev, *next;
};

static struct tstream *streams;

static int
ts_write(void *arg, const void *data, size_t len)
{
	return fd_write_all(*(int *)arg, data, len);
}

/* The pipe's reader closed (ts_free): its write end polls as an error. */
bool
thread_stream_gone(void *warg)
{
	struct pollfd p = { .fd = *(int *)warg, .events = POLLOUT };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

static void *
ts_main(void *arg)
{
	struct tstream *s = arg;

	s->rc = s->fn(s->arg, ts_write, &s->wfd, &s->err);
	close(s->wfd);
	s->wfd = -1;
	return NULL;
}

static void
ts_free(struct tstream *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);   /* the thread's next write fails: it stops */
	if (s->running)
		pthread_join(s->thread, NULL);
	if (s->wfd >= 0)
		close(s->wfd);
	if (s->done != NULL)
		s->done(s->arg);
	sdc_error_release(&s->err);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else if (streams == s)
		streams = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	free(s);
}

static void
ts_end(struct tstream *s)
{
	pthread_join(s->thread, NULL);
	s->running = false;
	if (s->rc < 0)
		log_emit(LOG_WARN, s->req->req_id, NULL, "%s stopped: %s",
		    s->what, sdc_error_msg(s->err));
	http_stream_end(s->req);
	http_on_close(s->req, NULL, NULL);
	ts_free(s);
}

static void ts_resume(struct http_request *req, void *arg);

static void
ts_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tstream *s = arg;
	char buf[TS_CHUNK];
	ssize_t n;

	(void)fd;
	(void)what;
	while (http_stream_pending(s->req) < TS_PENDING_HIGH) {
		n = read(s->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;         /* EAGAIN: the thread is behind */
		if (n == 0) {
			ts_end(s);
			return;
		}
		http_stream_write(s->req, buf, (size_t)n);
	}
	event_del(s->ev);
	http_stream_on_drain(s->req, ts_resume, s);
}

static void
ts_resume(struct http_request *req, void *arg)
{
	struct tstream *s = arg;

	http_stream_on_drain(req, NULL, NULL);
	event_add(s->ev, NULL);
}

static void
ts_on_close(struct http_request *req, void *arg)
{
	struct tstream *s = arg;

	(void)req;
	s->req = NULL;
	ts_free(s);
}

int
thread_stream_start(struct http_request *req, struct event_base *base,
    const char *what, const char *content_type, thread_stream_fn *fn,
    thread_stream_done_fn *done, void *arg, sdc_error_t *err)
{
	struct tstream *s = xcalloc(1, sizeof *s);
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0) {
		free(s);
		return sdc_make_error(err, errno, "%s", what);
	}
	s->req = req;
	s->what = what;
	s->fn = fn;
	s->arg = arg;
	s->fd = p[0];
	s->wfd = p[1];
	(void)fcntl(s->fd, F_SETPIPE_SZ, TS_PENDING_HIGH);
	(void)fcntl(s->fd, F_SETFL, O_NONBLOCK);
	r = pthread_create(&s->thread, NULL, ts_main, s);
	if (r != 0) {
		close(p[0]);
		close(p[1]);
		free(s);
		return sdc_make_error(err, r, "%s", what);
	}
	s->running = true;
	s->done = done;
	s->next = streams;
	if (streams != NULL)
		streams->prev = s;
	streams = s;
	http_stream_start(req, 200, content_type);
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, ts_on_readable, s);
	event_add(s->ev, NULL);
	http_on_close(req, ts_on_close, s);
	return 0;
}

void
thread_stream_cancel_all(void)
{
	while (streams != NULL) {
		streams->req = NULL;
		ts_free(streams);
	}
}
