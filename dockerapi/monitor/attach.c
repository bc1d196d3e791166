/*
 * attach.c: the attach socket, a SOCK_SEQPACKET server in the container's
 * folder.
 *
 * Every client gets every output frame as it is read, stream type first
 * (protocol.h), and may send input and control frames.  Output is not
 * queued per client: when a client's socket is full the frame waits in
 * stdio's one buffer and stdio stops reading until every client took it,
 * so a slow reader slows the container (as a slow `docker attach` does
 * with dockerd) instead of growing the monitor.  A muted client (the
 * daemon watching for the exit) never holds anything up.
 *
 * The socket is bound through /proc/self/fd/N/ of the folder's descriptor:
 * a sun_path holds 108 bytes, a zones root can be longer, and this keeps
 * the socket in the container's own folder whatever the root's length.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor.h"
#include "dockerapi/runtime/protocol.h"

#define ATTACH_MAX 32

struct attach_client {
	int fd;
	bool muted;
	bool pending;		/* the current frame is not sent yet */
};

static struct attach_client attach_clients[ATTACH_MAX];
static int attach_lfd = -1;
static bool attach_reading = true;
static const char *attach_frame;
static size_t attach_frame_len;
static char attach_in[RT_FRAME_MAX + 1];

static void attach_client_cb(int fd, short revents, void *arg);
static void attach_control(struct attach_client *c, const char *p, size_t len);

static short
attach_want(const struct attach_client *c)
{
	return (short)((attach_reading ? POLLIN : 0) | (c->pending ? POLLOUT : 0));
}

static void
attach_drop(struct attach_client *c)
{
	loop_del(c->fd);
	close(c->fd);
	c->fd = -1;
	c->pending = false;
}

static bool
attach_any_pending(void)
{
	int i;

	for (i = 0; i < ATTACH_MAX; i++)
		if (attach_clients[i].fd >= 0 && attach_clients[i].pending)
			return true;
	return false;
}

/* One frame from a client into attach_in.  A unix socket closed with our
 * output unread reports ECONNRESET once, ahead of the frames it sent
 * before closing; those are still queued, so read on. */
static ssize_t
attach_recv(struct attach_client *c)
{
	ssize_t n;

	n = recv(c->fd, attach_in, sizeof attach_in - 1, MSG_DONTWAIT);
	if (n < 0 && errno == ECONNRESET)
		n = recv(c->fd, attach_in, sizeof attach_in - 1, MSG_DONTWAIT);
	return n;
}

/* A client that sends its frames and hangs up at once (sdc-node
 * log-limits) is found gone by the next output frame, before the loop got
 * to its input: act on what it sent before letting it go. */
static void
attach_hangup(struct attach_client *c)
{
	ssize_t n;

	while (attach_reading && (n = attach_recv(c)) > 0)
		attach_control(c, attach_in, (size_t)n);
	attach_drop(c);
}

/* Try to send the current frame; false if the client must wait. */
static bool
attach_send(struct attach_client *c)
{
	if (send(c->fd, attach_frame, attach_frame_len,
	    MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
		c->pending = false;
		return true;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		c->pending = true;
		loop_events(c->fd, attach_want(c));
		return false;
	}
	attach_hangup(c);
	return true;
}

bool
attach_broadcast(const char *frame, size_t len)
{
	bool all = true;
	int i;

	attach_frame = frame;
	attach_frame_len = len;
	for (i = 0; i < ATTACH_MAX; i++)
		if (attach_clients[i].fd >= 0 && !attach_clients[i].muted)
			all &= attach_send(&attach_clients[i]);
	return all;
}

void
attach_input(bool on)
{
	int i;

	attach_reading = on;
	for (i = 0; i < ATTACH_MAX; i++)
		if (attach_clients[i].fd >= 0)
			loop_events(attach_clients[i].fd,
			    attach_want(&attach_clients[i]));
}

static unsigned long
attach_arg(const char **s)
{
	char *end;
	unsigned long v = strtoul(*s, &end, 10);

	*s = end;
	return v;
}

static void
attach_control(struct attach_client *c, const char *p, size_t len)
{
	const char *s = p + 1;
	unsigned long a, b;

	attach_in[len] = '\0';
	switch (p[0]) {
	case RT_FRAME_STDIN:
		if (stdio_write_stdin(p + 1, len - 1) == 1)
			attach_input(false);
		break;
	case RT_FRAME_CLOSE_STDIN:
		stdio_close_stdin();
		break;
	case RT_FRAME_RESIZE:
		a = attach_arg(&s);
		b = attach_arg(&s);
		stdio_resize((unsigned)a, (unsigned)b);
		break;
	case RT_FRAME_LOG_LIMITS:
		a = attach_arg(&s);
		b = attach_arg(&s);
		log_limits((long long)a, (int)b, (long long)attach_arg(&s));
		break;
	case RT_FRAME_MUTE:
		c->muted = true;
		c->pending = false;
		loop_events(c->fd, attach_want(c));
		break;
	}
}

static void
attach_client_cb(int fd, short revents, void *arg)
{
	struct attach_client *c = arg;
	ssize_t n;

	if (revents & POLLOUT) {
		attach_send(c);
		if (c->fd >= 0)
			loop_events(c->fd, attach_want(c));
		if (!attach_any_pending())
			stdio_resume();
		if (c->fd < 0)
			return;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0 || !attach_reading)
		return;
	n = attach_recv(c);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		attach_drop(c);
		if (!attach_any_pending())
			stdio_resume();
		return;
	}
	attach_control(c, attach_in, (size_t)n);
}

void
attach_client(int fd)
{
	int i;

	for (i = 0; i < ATTACH_MAX; i++) {
		if (attach_clients[i].fd >= 0)
			continue;
		attach_clients[i].fd = fd;
		attach_clients[i].muted = false;
		attach_clients[i].pending = false;
		loop_add(fd, attach_want(&attach_clients[i]), attach_client_cb,
		    &attach_clients[i]);
		return;
	}
	close(fd);
}

static void
attach_accept_cb(int fd, short revents, void *arg)
{
	int c;

	if ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
		attach_client(c);
}

int
attach_listen(int dirfd, sdc_error_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i;

	for (i = 0; i < ATTACH_MAX; i++)
		attach_clients[i].fd = -1;
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s",
	    dirfd, RT_FILE_ATTACH);
	unlinkat(dirfd, RT_FILE_ATTACH, 0);
	attach_lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (attach_lfd < 0 ||
	    bind(attach_lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(attach_lfd, 16) < 0)
		return sdc_make_error(err, errno, "attach socket");
	loop_add(attach_lfd, POLLIN, attach_accept_cb, NULL);
	return 0;
}

/* The end: flush what is pending, send the exit frame, hang up.  Blocking
 * with a send timeout, since nothing else is left to do. */
void
attach_finish(const char *state, size_t len)
{
	struct timeval tv = { 2, 0 };
	char frame[1024];
	int i;

	if (attach_lfd >= 0) {
		close(attach_lfd);
		unlinkat(mon_dirfd, RT_FILE_ATTACH, 0);
	}
	frame[0] = RT_FRAME_EXIT;
	if (len > sizeof frame - 1)
		len = sizeof frame - 1;
	memcpy(frame + 1, state, len);
	for (i = 0; i < ATTACH_MAX; i++) {
		struct attach_client *c = &attach_clients[i];

		if (c->fd < 0)
			continue;
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (c->pending)
			send(c->fd, attach_frame, attach_frame_len, MSG_NOSIGNAL);
		send(c->fd, frame, len + 1, MSG_NOSIGNAL);
		/* Read what the client sent last: a unix socket closed with
		 * unread input resets the peer ahead of our last frames. */
		while (recv(c->fd, attach_in, sizeof attach_in, MSG_DONTWAIT) > 0)
			;
		close(c->fd);
		c->fd = -1;
	}
}
