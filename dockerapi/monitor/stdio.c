/*
 * stdio.c: the container's stdin, stdout and stderr, as pipes or a pty.
 *
 * Without a tty the monitor makes three pipes and runc hands them to the
 * container as they are (runc's detached pass-through mode).  runc's own
 * stderr is then the container's stderr pipe, which is why that pipe is not
 * read until runc has exited: if runc failed, what is in it is runc's error
 * message and goes to the starter instead of the log.  With a tty the
 * container's stdio is the pty slave; runc sends the master over the
 * console socket, and runc's stderr is a pipe of its own.
 *
 * Output is read into one static frame buffer and goes to the log and to
 * the attach clients at once; while an attach client has not taken a
 * frame, output is not read (see attach.c).  Input from clients goes to the
 * stdin pipe or the pty master; a write the container is not ready for is
 * kept, and client input paused, until it drains.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "monitor.h"
#include "dockerapi/runtime/protocol.h"

static int stdio_out = -1, stdio_err = -1, stdio_in = -1, stdio_master = -1;
static int stdio_runc_err = -1;
static int stdio_outputs;		/* output descriptors not at EOF yet */
static bool stdio_tty, stdio_paused, stdio_close_pending, stdio_stdin_open;
static char stdio_frame[RT_FRAME_MAX + 1];
static char stdio_queue[RT_FRAME_MAX];
static size_t stdio_queue_len;
static struct winsize stdio_size;	/* asked for before the pty came */

static void stdio_cb(int fd, short revents, void *arg);

static int
stdio_pipe(int fds[2], sdc_error_t *err)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return sdc_make_error(err, errno, "pipe");
	return 0;
}

static int
stdio_null(sdc_error_t *err)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return sdc_make_error(err, errno, "/dev/null");
	return fd;
}

static void
stdio_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int
stdio_prepare(const struct mon_opts *o, int child[3], sdc_error_t *err)
{
	int p[2];

	stdio_tty = o->tty;
	stdio_stdin_open = o->open_stdin;
	if (o->tty) {
		if ((child[0] = stdio_null(err)) < 0 ||
		    (child[1] = stdio_null(err)) < 0 || stdio_pipe(p, err) < 0)
			return -1;
		stdio_runc_err = p[0];
		child[2] = p[1];
		stdio_outputs = 1;
		return 0;
	}
	if (o->open_stdin) {
		if (stdio_pipe(p, err) < 0)
			return -1;
		child[0] = p[0];
		stdio_in = p[1];
		stdio_nonblock(stdio_in);
	} else if ((child[0] = stdio_null(err)) < 0)
		return -1;
	if (stdio_pipe(p, err) < 0)
		return -1;
	stdio_out = p[0];
	child[1] = p[1];
	if (stdio_pipe(p, err) < 0)
		return -1;
	stdio_err = p[0];
	child[2] = p[1];
	stdio_nonblock(stdio_out);
	stdio_nonblock(stdio_err);
	stdio_outputs = 2;
	return 0;
}

void
stdio_spawned(int child[3])
{
	int i;

	for (i = 0; i < 3; i++)
		close(child[i]);
	if (stdio_out >= 0)
		loop_add(stdio_out, POLLIN, stdio_cb, NULL);
}

void
stdio_runc_ok(void)
{
	if (stdio_err >= 0)
		loop_add(stdio_err, stdio_paused ? 0 : POLLIN, stdio_cb, NULL);
	if (stdio_runc_err >= 0) {
		close(stdio_runc_err);
		stdio_runc_err = -1;
	}
}

void
stdio_runc_failed(char *msg, size_t len)
{
	int fd = stdio_tty ? stdio_runc_err : stdio_err;
	ssize_t n = 0;

	if (fd >= 0) {
		stdio_nonblock(fd);
		n = read(fd, msg, len - 1);
	}
	msg[n > 0 ? n : 0] = '\0';
}

void
stdio_set_master(int fd)
{
	stdio_master = fd;
	stdio_nonblock(fd);
	if (stdio_size.ws_row != 0)
		ioctl(fd, TIOCSWINSZ, &stdio_size);
	loop_add(fd, stdio_paused ? 0 : POLLIN, stdio_cb, NULL);
}

bool
stdio_done(void)
{
	return stdio_outputs == 0;
}

static short
stdio_want(int fd)
{
	short ev = 0;

	if (!stdio_paused && fd != stdio_in)
		ev |= POLLIN;
	if (stdio_queue_len > 0 && fd == (stdio_tty ? stdio_master : stdio_in))
		ev |= POLLOUT;
	return ev;
}

static void
stdio_update(void)
{
	if (stdio_out >= 0)
		loop_events(stdio_out, stdio_want(stdio_out));
	if (stdio_err >= 0)
		loop_events(stdio_err, stdio_want(stdio_err));
	if (stdio_master >= 0)
		loop_events(stdio_master, stdio_want(stdio_master));
	if (stdio_in >= 0)
		loop_events(stdio_in, stdio_want(stdio_in));
}

void
stdio_pause(void)
{
	stdio_paused = true;
	stdio_update();
}

void
stdio_resume(void)
{
	if (!stdio_paused)
		return;
	stdio_paused = false;
	stdio_update();
}

static void
stdio_eof(int *fdp)
{
	loop_del(*fdp);
	close(*fdp);
	*fdp = -1;
	if (--stdio_outputs == 0)
		main_stdio_closed();
}

static void
stdio_read(int fd)
{
	ssize_t n;
	int stream = fd == stdio_err ? RT_FRAME_STDERR : RT_FRAME_STDOUT;

	n = read(fd, stdio_frame + 1, RT_FRAME_MAX);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {		/* EOF, or EIO once a pty's slave is closed */
		stdio_eof(fd == stdio_out ? &stdio_out : fd == stdio_err ?
		    &stdio_err : &stdio_master);
		return;
	}
	stdio_frame[0] = (char)stream;
	log_write(stream, stdio_frame + 1, (size_t)n);
	if (!attach_broadcast(stdio_frame, (size_t)n + 1))
		stdio_pause();
}

static void
stdio_close_now(void)
{
	stdio_close_pending = false;
	if (!stdio_stdin_open)
		return;
	if (stdio_tty && stdio_master >= 0) {
		if (write(stdio_master, "\004", 1) < 0)
			return;
	} else if (stdio_in >= 0) {
		loop_del(stdio_in);
		close(stdio_in);
		stdio_in = -1;
	}
}

static void
stdio_drain(int fd)
{
	ssize_t n = write(fd, stdio_queue, stdio_queue_len);

	if (n < 0 && errno != EAGAIN && errno != EINTR)
		n = (ssize_t)stdio_queue_len;	/* reader gone: drop it */
	if (n <= 0)
		return;
	memmove(stdio_queue, stdio_queue + n, stdio_queue_len - (size_t)n);
	stdio_queue_len -= (size_t)n;
	if (stdio_queue_len > 0)
		return;
	stdio_update();
	attach_input(true);
	if (stdio_close_pending)
		stdio_close_now();
}

static void
stdio_cb(int fd, short revents, void *arg)
{
	if (revents & POLLOUT)
		stdio_drain(fd);
	if (fd == stdio_in)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		stdio_read(fd);
}

int
stdio_write_stdin(const char *data, size_t len)
{
	int fd = stdio_tty ? stdio_master : stdio_in;
	ssize_t n;

	if (fd < 0 || len == 0 || stdio_close_pending || !stdio_stdin_open)
		return 0;
	n = write(fd, data, len);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return 0;
	if (n < 0)
		n = 0;
	if ((size_t)n == len)
		return 0;
	memcpy(stdio_queue, data + n, len - (size_t)n);
	stdio_queue_len = len - (size_t)n;
	if (fd == stdio_in)
		loop_add(stdio_in, POLLOUT, stdio_cb, NULL);
	stdio_update();
	return 1;
}

void
stdio_close_stdin(void)
{
	if (stdio_queue_len > 0)
		stdio_close_pending = true;
	else
		stdio_close_now();
}

void
stdio_resize(unsigned rows, unsigned cols)
{
	stdio_size.ws_row = (unsigned short)rows;
	stdio_size.ws_col = (unsigned short)cols;
	if (stdio_master >= 0)
		ioctl(stdio_master, TIOCSWINSZ, &stdio_size);
}
