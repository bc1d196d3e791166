/*
 * containers-attach-logs.c: attach with logs=1: the container's log
 * replayed to the hijacked connection, before the live stream or
 * (stream=0) alone.
 *
 * dockerd answers such an attach with what the container wrote, then goes
 * on live or ends; an exited container with stream=0 (docker-py's
 * attach(logs=True)) gets its output and the end.  The log files can be
 * large (a tenant's data), so they are read on a thread of their own, as
 * `docker logs` does (containers-logs.c): the thread writes the frames into
 * a pipe, blocking while it is full, and the loop copies the pipe to the
 * client only while the client keeps up.  Cancelling closes the pipe's read
 * end: the thread's next write fails and it stops, freeing its own state.
 *
 * A container on a node behind an agent has its log there: the thread
 * asks the node's agent for it (GET /v1/containers/UUID/logs, the route
 * `docker logs` is relayed to, agent/container-logs.c: the same frames,
 * or the bare text with raw) and writes the answer into the pipe as it
 * comes, the head's own folder never read.  Where to ask is settled on
 * the loop (node_target_get); a node not heard from fails the replay at
 * once, and one that stops answering ends it, the attach going on live.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <poll.h>

#include "containers.h"
#include "dockerapi/runtime/container-layout.h"
#include "fetch.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "node-calls.h"
#include "xalloc.h"

#define REPLAY_CHUNK (64 * 1024)
#define REPLAY_PENDING_HIGH (1024 * 1024)
/* A node's log read whole, at the client's pace: a bound, not a wait. */
#define REPLAY_NODE_MS (10 * 60 * 1000)

struct replay_job {			/* the thread's own */
	char *dir;
	char **files;
	size_t nfiles;
	bool out, err, raw;
	int wfd;
	struct node_target t;		/* t.address: the log is the node's */
	char uuid[37];
};

struct attach_logs {
	struct bufferevent *bev;
	int fd;				/* the pipe's read end */
	struct event *ev;
	attach_logs_done_fn *done;
	void *arg;
};

static bool
replay_write(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* One json-file record as the attach stream carries it. */
static bool
replay_record(struct replay_job *j, const char *line, size_t len)
{
	json_t *r = json_loadb(line, len, 0, NULL);
	const char *text = json_str(r, "log", NULL);
	int s = strcmp(json_str(r, "stream", ""), "stderr") == 0 ? 2 : 1;
	size_t n = json_string_length(json_object_get(r, "log"));
	unsigned char hdr[8];
	bool ok = true;

	if (text != NULL && n > 0 && ((s == 1 && j->out) || (s == 2 && j->err))) {
		if (!j->raw) {
			attach_mux_header(hdr, s, n);
			ok = replay_write(j->wfd, hdr, sizeof hdr);
		}
		ok = ok && replay_write(j->wfd, text, n);
	}
	json_decref(r);
	return ok;
}

static int
replay_node_sink(void *arg, const struct fetch_response *r, const void *data,
    size_t len, sdc_error_t *err)
{
	struct replay_job *j = arg;

	(void)err;
	if (r->status != 200)
		return -1;
	return replay_write(j->wfd, data, len) ? 0 : -1;
}

/* The attach went (the pipe's read end closed): the request ends. */
static int
replay_node_progress(void *arg, int64_t got, int64_t total)
{
	struct replay_job *j = arg;
	struct pollfd p = { .fd = j->wfd, .events = POLLOUT };

	(void)got;
	(void)total;
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) ? -1 : 0;
}

/* The log as the node's agent reads it, written into the pipe. */
static void
replay_node(struct replay_job *j)
{
	struct fetch_request rq = { .timeout_ms = REPLAY_NODE_MS,
		.sink = replay_node_sink, .sink_arg = j,
		.progress = replay_node_progress, .progress_arg = j };
	struct fetch_response r;
	sdc_error_t err = NULL;
	char *url;

	xasprintf(&url, "https://%s/v1/containers/%s/logs?stdout=%d&stderr=%d"
	    "&raw=%d", j->t.address, j->uuid, j->out, j->err, j->raw);
	rq.url = url;
	if (fetch_request(j->t.client, &rq, &r, &err) < 0) {
		log_warn("container %s: its log from node %s: %s", j->uuid,
		    j->t.hostname, sdc_error_msg(err));
		sdc_error_release(&err);
	} else {
		if (r.status != 200)
			log_warn("container %s: its log from node %s: %d",
			    j->uuid, j->t.hostname, r.status);
		fetch_response_free(&r);
	}
	free(url);
}

static void *
replay_main(void *arg)
{
	struct replay_job *j = arg;
	char *line = NULL, *path;
	size_t cap = 0;
	ssize_t n;
	bool ok = true;
	FILE *fp;

	if (j->t.address != NULL)
		replay_node(j);
	for (size_t i = 0; ok && i < j->nfiles; i++) {
		xasprintf(&path, "%s/%s", j->dir, j->files[i]);
		fp = fopen(path, "re");
		free(path);
		if (fp == NULL)
			continue;
		/* a partial last line is being written: it comes live */
		while (ok && (n = getline(&line, &cap, fp)) > 0 &&
		    line[n - 1] == '\n')
			ok = replay_record(j, line, (size_t)n);
		fclose(fp);
	}
	free(line);
	close(j->wfd);
	node_target_clear(&j->t);
	free(j->dir);
	logs_files_free(j->files, j->nfiles);
	free(j);
	return NULL;
}

static void
replay_end(struct attach_logs *l)
{
	attach_logs_done_fn *done = l->done;
	void *arg = l->arg;

	attach_logs_cancel(l);
	done(arg);
}

static void
replay_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct attach_logs *l = arg;
	char buf[REPLAY_CHUNK];
	ssize_t n;

	(void)what;
	while (evbuffer_get_length(bufferevent_get_output(l->bev)) <
	    REPLAY_PENDING_HIGH) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			replay_end(l);
			return;
		}
		bufferevent_write(l->bev, buf, (size_t)n);
	}
	event_del(l->ev);		/* until attach_logs_drained */
}

struct attach_logs *
attach_logs_start(struct containers *cs, const struct ctr *c,
    struct bufferevent *bev, bool out, bool err, bool raw,
    attach_logs_done_fn *done, void *arg, sdc_error_t *errp)
{
	struct replay_job *j;
	struct attach_logs *l;
	pthread_attr_t attr;
	pthread_t t;
	int p[2], rc;

	if (pipe2(p, O_CLOEXEC) < 0) {
		sdc_make_error_code(errp, 500, "cannot replay the logs: pipe: %s",
		    strerror(errno));
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	if (node_target_get(cs->d, json_str(c->extra, "Node", NULL), &j->t,
	    errp) < 0) {
		close(p[0]);
		close(p[1]);
		free(j);
		return NULL;
	}
	snprintf(j->uuid, sizeof j->uuid, "%s", c->uuid);
	xasprintf(&j->dir, "%s/%s/" RT_LOG_DIR, cs->zones, c->uuid);
	/* the node's, not a folder of this head's */
	if (j->t.address == NULL)
		j->files = logs_files(j->dir, &j->nfiles);
	j->out = out;
	j->err = err;
	j->raw = raw;
	j->wfd = p[1];
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, replay_main, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		close(p[0]);
		close(p[1]);
		node_target_clear(&j->t);
		free(j->dir);
		logs_files_free(j->files, j->nfiles);
		free(j);
		sdc_make_error_code(errp, 500, "cannot replay the logs: no thread: %s",
		    strerror(rc));
		return NULL;
	}
	l = xcalloc(1, sizeof *l);
	l->bev = bev;
	l->fd = p[0];
	l->done = done;
	l->arg = arg;
	fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK);
	l->ev = event_new(bufferevent_get_base(bev), l->fd, EV_READ | EV_PERSIST,
	    replay_read_cb, l);
	event_add(l->ev, NULL);
	return l;
}

void
attach_logs_drained(struct attach_logs *l)
{
	if (l != NULL)
		event_add(l->ev, NULL);
}

void
attach_logs_cancel(struct attach_logs *l)
{
	if (l == NULL)
		return;
	event_free(l->ev);
	close(l->fd);
	free(l);
}
