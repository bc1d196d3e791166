/*
 * attach.c: the client side of the monitor's attach socket.
 *
 * Connecting goes through /proc/self/fd/N/ of the folder, as the monitor
 * binds: the socket lives in the container's folder, whose path may be
 * longer than a sun_path holds.  Frames are whole packets (SEQPACKET), so
 * a receive is one frame and a send never interleaves with another
 * client's.  See protocol.h and docs/runtime.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

int
rt_attach_open(const struct rt_config *cfg, const char *id,
    const char *exec_id, sdc_error_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *dir;
	int dfd, fd = -1;

	if (rt_id_check("container id", id, err) < 0 ||
	    (exec_id != NULL && rt_id_check("exec id", exec_id, err) < 0))
		return -1;
	dir = exec_id != NULL ? rt_exec_path(cfg, id, exec_id) :
	    rt_path(cfg, id, NULL);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		sdc_make_error(err, errno, "No such container: %s", id);
		free(dir);
		return -1;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dfd,
	    RT_FILE_ATTACH);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		sdc_make_error(err, errno, "attaching to %s (is it running?)", id);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	close(dfd);
	free(dir);
	return fd;
}

int
rt_attach_recv(int fd, struct rt_frame *f, sdc_error_t *err)
{
	char pkt[RT_FRAME_MAX + 2];
	ssize_t n;
	int resets = 0;

	/* A unix socket closed with input unread (a late stdin frame of
	 * ours) reports ECONNRESET once, ahead of the frames still queued
	 * for us; those are still there, so read on. */
	while ((n = recv(fd, pkt, sizeof pkt, 0)) < 0 &&
	    (errno == EINTR || (errno == ECONNRESET && resets++ == 0)))
		;
	if (n < 0)
		return sdc_make_error(err, errno, "attach socket");
	if (n == 0)
		return 0;
	f->type = (enum rt_frame_type)(unsigned char)pkt[0];
	f->len = (size_t)n - 1;
	if (f->len > RT_FRAME_MAX)
		f->len = RT_FRAME_MAX;
	memcpy(f->data, pkt + 1, f->len);
	f->data[f->len] = '\0';
	return 1;
}

static int
rt_attach_packet(int fd, int type, const void *data, size_t len,
    sdc_error_t *err)
{
	char pkt[RT_FRAME_MAX];

	pkt[0] = (char)type;
	if (len > 0)
		memcpy(pkt + 1, data, len);
	while (send(fd, pkt, len + 1, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return sdc_make_error(err, errno, "attach socket");
	return 0;
}

int
rt_attach_send(int fd, enum rt_frame_type type, const void *data, size_t len,
    sdc_error_t *err)
{
	const char *p = data;
	size_t n;

	do {
		n = len < RT_FRAME_MAX - 1 ? len : RT_FRAME_MAX - 1;
		if (rt_attach_packet(fd, type, p, n, err) < 0)
			return -1;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

int
rt_attach_resize(int fd, unsigned rows, unsigned cols, sdc_error_t *err)
{
	char text[32];
	int n = snprintf(text, sizeof text, "%u %u", rows, cols);

	return rt_attach_send(fd, RT_FRAME_RESIZE, text, (size_t)n, err);
}

int
rt_attach_exit_state(const struct rt_frame *f, struct rt_state *out,
    sdc_error_t *err)
{
	json_error_t je;
	json_t *j;
	int rc;

	memset(out, 0, sizeof *out);
	if (f->type != RT_FRAME_EXIT)
		return sdc_make_error(err, 0, "not an exit frame");
	if ((j = json_loadb(f->data, f->len, 0, &je)) == NULL)
		return sdc_make_error(err, 0, "exit frame: %s", je.text);
	out->monitor_alive = true;
	rc = rt_state_json(j, out);
	json_decref(j);
	if (rc < 0)
		return sdc_make_error(err, 0, "exit frame: no status");
	return 0;
}

int
rt_log_limits(const struct rt_config *cfg, const char *id, int64_t max_size,
    int max_file, int64_t budget, sdc_error_t *err)
{
	char text[64];
	int fd, n, rc;

	if ((fd = rt_attach_open(cfg, id, NULL, err)) < 0)
		return -1;
	n = snprintf(text, sizeof text, "%lld %d %lld", (long long)max_size,
	    max_file, (long long)budget);
	if ((rc = rt_attach_send(fd, RT_FRAME_MUTE, NULL, 0, err)) == 0)
		rc = rt_attach_send(fd, RT_FRAME_LOG_LIMITS, text, (size_t)n, err);
	close(fd);
	return rc;
}
