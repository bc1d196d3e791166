/*
 * body-pipe.c: a request body pumped into a non-blocking pipe.
 *
 * The body arrives at the client's pace and the reader (a thread doing
 * blocking file or image work) takes it at its own, so what the pipe does
 * not take waits in `pending`, and above a mark the socket is paused
 * (http_pause_body) until the pipe has taken it: a large body costs a
 * bounded amount of memory.  When the reader stops (it failed, or the tar
 * ended early), a write fails with EPIPE and the rest of the body is read
 * and dropped, so the client can read its answer.  The pipe's write end
 * is closed once the body has all gone into it: the reader sees its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <event2/event.h>

#include "body-pipe.h"
#include "http.h"

#define BP_PENDING_HIGH (1024 * 1024)
#define BP_PIPE_SIZE (1024 * 1024)

int
body_pipe_open(struct body_pipe *bp, int *rfd, sdc_error_t *err)
{
	int p[2];

	bp->fd = -1;
	*rfd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return sdc_make_error(err, errno, "a pipe for the request body");
	(void)fcntl(p[1], F_SETPIPE_SZ, BP_PIPE_SIZE);
	(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
	bp->fd = p[1];
	*rfd = p[0];
	return 0;
}

void
body_pipe_close(struct body_pipe *bp)
{
	if (bp->wev != NULL)
		event_free(bp->wev);
	bp->wev = NULL;
	if (bp->fd >= 0)
		close(bp->fd);
	bp->fd = -1;
	buf_free(&bp->pending);
	if (bp->paused && bp->req != NULL)
		http_pause_body(bp->req, false);
	bp->paused = false;
}

/* Write what the pipe takes; false when the reader no longer reads. */
static bool
bp_flush(struct body_pipe *bp)
{
	ssize_t n;

	while (bp->pending.len > 0) {
		n = write(bp->fd, bp->pending.data, bp->pending.len);
		if (n > 0) {
			buf_consume(&bp->pending, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
	return true;
}

/* After a write: wait for the pipe while something is pending, pause the
 * client while much is; end the reader's input after the body's end. */
static void
bp_after_write(struct body_pipe *bp, bool ok)
{
	if (!ok) {
		body_pipe_close(bp);    /* the reader stopped: drop the rest */
		return;
	}
	if (bp->pending.len > 0) {
		event_add(bp->wev, NULL);
		if (!bp->paused && bp->pending.len >= BP_PENDING_HIGH) {
			bp->paused = true;
			http_pause_body(bp->req, true);
		}
		return;
	}
	event_del(bp->wev);
	if (bp->paused) {
		bp->paused = false;
		http_pause_body(bp->req, false);
	}
	if (bp->done)
		body_pipe_close(bp);
}

static void
bp_on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct body_pipe *bp = arg;

	(void)fd;
	(void)what;
	bp_after_write(bp, bp_flush(bp));
}

static int
bp_sink(struct http_request *req, const char *data, size_t len, void *arg)
{
	struct body_pipe *bp = arg;

	(void)req;
	if (len == 0) {
		bp->done = true;
		if (bp->fd >= 0 && bp->pending.len == 0)
			body_pipe_close(bp);
		bp->on_end(bp->arg);
		return 0;
	}
	if (bp->fd < 0)
		return 0;
	buf_append(&bp->pending, data, len);
	bp_after_write(bp, bp_flush(bp));
	return 0;
}

void
body_pipe_start(struct body_pipe *bp, struct http_request *req,
    struct event_base *base, body_pipe_end_fn *on_end, void *arg)
{
	bp->req = req;
	bp->on_end = on_end;
	bp->arg = arg;
	if (bp->fd >= 0)
		bp->wev = event_new(base, bp->fd, EV_WRITE, bp_on_writable, bp);
	http_stream_body(req, bp_sink, bp);
}
