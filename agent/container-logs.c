/*
 * container-logs.c: GET /v1/containers/:uuid/logs, a container's log
 * read from the node's own zones root and answered in Docker's shape, so
 * the head passes it to its client as it comes.
 *
 *   GET /v1/containers/:uuid/logs?stdout=1&stderr=1&since=T&until=T
 *       &tail=N&timestamps=1&follow=1&raw=1
 *   -> 200 application/vnd.docker.raw-stream: Docker's multiplexed
 *      frames (8-byte header, then the text), or the bare text with
 *      raw=1 (the head says so for a container with a TTY, whose config
 *      it keeps)
 *
 * The parameters are Docker's, checked here as untrusted input (the
 * uuid's shape before any path is made of it, since/until through the
 * one parser of Docker's times, tail a number or "all"), and the records
 * are read and filtered by the runtime library's reader
 * (dockerapi/runtime/logs-read.h), the one a head uses for a container
 * on its own machine: --tail and --since seek from the end.
 *
 * A log can be gigabytes and a follow lasts as long as the container, so
 * the whole answer is written on a thread of its own into a pipe the
 * loop copies to the head at its pace (lib/thread-stream.c): the loop
 * never reads a file, and a head that reads slowly stops the thread at
 * its next write.  Following watches the logs folder with inotify, reads
 * on at each change, passes a rotation (the live name on a new inode,
 * the old file read to its end first), and ends once the container no
 * longer runs and what it wrote last is sent.  A head that goes away
 * (its client left) is seen at the next wake-up, a quarter second at
 * most, and the thread ends.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "dockerapi/runtime/container-layout.h"
#include "dockerapi/runtime/logs-read.h"
#include "http.h"
#include "ids.h"
#include "log.h"
#include "thread-stream.h"
#include "xalloc.h"

#define CLOGS_BATCH (64 * 1024)
#define CLOGS_WAKE_MS 250

struct clogs {
	const struct rt_config *rt;
	char uuid[37];
	char *dir;
	struct logs_filter f;
	bool raw, follow;
	long tail;			/* -1: all */
	struct logs_reader rd;
	struct buf batch;
	thread_stream_write_fn *write;
	void *warg;
	bool failed;			/* the head has gone */
};

static void
clogs_flush(struct clogs *l)
{
	if (l->batch.len > 0 && !l->failed &&
	    l->write(l->warg, l->batch.data, l->batch.len) < 0)
		l->failed = true;
	buf_reset(&l->batch);
}

/* One line read forward; true when it is past --until. */
static bool
clogs_record(struct clogs *l, const char *line, size_t len)
{
	struct buf text = BUF_INIT;
	unsigned char hdr[8];
	int s;

	if (l->f.until[0] != '\0' && logs_line_range(&l->f, line, len) > 0)
		return true;
	if ((s = logs_record_parse(&l->f, line, len, &text)) != 0) {
		if (!l->raw) {
			logs_frame_header(hdr, s, text.len);
			buf_append(&l->batch, hdr, sizeof hdr);
		}
		buf_append(&l->batch, text.data, text.len);
		if (l->batch.len >= CLOGS_BATCH)
			clogs_flush(l);
	}
	buf_free(&text);
	return false;
}

/* A line read forward: false to go on. */
static bool
clogs_line(void *arg, const char *line, size_t len)
{
	struct clogs *l = arg;
	bool past = clogs_record(l, line, len);

	/* lines are in time order: without follow, none after one past
	 * --until is wanted */
	return (past && !l->follow) || l->failed;
}

static bool
clogs_running(const struct clogs *l)
{
	struct rt_state st;

	return rt_state_read(l->rt, l->uuid, &st, NULL) == 0 &&
	    (st.status == RT_RUNNING || st.status == RT_PAUSED);
}

/* Follow: read on at each change of the folder until the container has
 * stopped and its last lines are sent, or the head has gone. */
static void
clogs_follow(struct clogs *l)
{
	int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	struct pollfd p = { .fd = ino, .events = POLLIN };
	char drain[4096];
	bool stopped = false;

	if (ino >= 0)
		inotify_add_watch(ino, l->dir, IN_MODIFY | IN_CREATE |
		    IN_MOVED_FROM | IN_MOVED_TO);
	for (;;) {
		if (!logs_reader_through(&l->rd, clogs_line, l))
			break;
		if (logs_reader_rotated(&l->rd))
			continue;       /* the new stdio.log, from its start */
		clogs_flush(l);
		if (stopped || l->failed || thread_stream_gone(l->warg))
			break;
		if (poll(&p, ino >= 0 ? 1 : 0, CLOGS_WAKE_MS) > 0)
			while (read(ino, drain, sizeof drain) > 0)
				;
		/* seen stopped: one more read takes what it wrote last */
		stopped = !clogs_running(l);
	}
	if (ino >= 0)
		close(ino);
}

static int
clogs_main(void *arg, thread_stream_write_fn *write, void *warg,
    sdc_error_t *err)
{
	struct clogs *l = arg;

	(void)err;
	l->write = write;
	l->warg = warg;
	logs_reader_init(&l->rd, l->dir);
	logs_reader_start(&l->rd, &l->f, l->tail, NULL);
	if (l->follow)
		clogs_follow(l);
	else
		logs_reader_through(&l->rd, clogs_line, l);
	clogs_flush(l);
	if (l->failed || (l->follow && thread_stream_gone(warg)))
		log_info("container %s: logs: the head has gone, reading "
		    "stopped", l->uuid);
	return 0;
}

static void
clogs_free(void *arg)
{
	struct clogs *l = arg;

	logs_reader_free(&l->rd);
	buf_free(&l->batch);
	free(l->dir);
	free(l);
}

static int
clogs_route(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const char *uuid = http_param(req, "uuid");
	const char *tail = http_query(req, "tail");
	struct rt_state st;
	struct clogs *l;
	sdc_error_t err = NULL;
	char *end;
	int rc;

	if (uuid == NULL || !uuid_valid(uuid))
		return agent_error(req, 400, "a container's uuid, please");
	if (rt_state_read(&a->rt, uuid, &st, NULL) < 0)
		return agent_error(req, 404, "No such container on this node");
	l = xcalloc(1, sizeof *l);
	l->rt = &a->rt;
	snprintf(l->uuid, sizeof l->uuid, "%s", uuid);
	l->f.out = http_query_bool(req, "stdout", false);
	l->f.err = http_query_bool(req, "stderr", false);
	l->f.ts = http_query_bool(req, "timestamps", false);
	l->raw = http_query_bool(req, "raw", false);
	l->follow = http_query_bool(req, "follow", false) &&
	    (st.status == RT_RUNNING || st.status == RT_PAUSED);
	l->tail = -1;
	if (tail != NULL && *tail != '\0' && strcmp(tail, "all") != 0) {
		errno = 0;
		l->tail = strtol(tail, &end, 10);
		if (errno != 0 || *end != '\0' || end == tail) {
			free(l);
			return agent_error(req, 400, "tail: a number or \"all\"");
		}
		if (l->tail < 0)
			l->tail = -1;
	}
	if (!l->f.out && !l->f.err) {
		free(l);
		return agent_error(req, 400, "Bad parameters: you must choose "
		    "at least one stream");
	}
	if (logs_time_arg(http_query(req, "since"), l->f.since,
	    sizeof l->f.since, &err) < 0 || logs_time_arg(http_query(req,
	    "until"), l->f.until, sizeof l->f.until, &err) < 0) {
		free(l);
		rc = agent_error(req, 400, sdc_error_msg(err));
		sdc_error_release(&err);
		return rc;
	}
	xasprintf(&l->dir, "%s/%s/" RT_LOG_DIR, a->rt.zones, uuid);
	if (thread_stream_start(req, a->base, "container logs",
	    "application/vnd.docker.raw-stream", clogs_main, clogs_free, l,
	    &err) < 0) {
		clogs_free(l);
		rc = agent_error(req, 500, sdc_error_msg(err));
		sdc_error_release(&err);
		return rc;
	}
	log_info("container %s: logs%s", uuid, l->follow ? " (follow)" : "");
	return HTTP_ASYNC;
}

const struct route agent_logs_routes[] = {
	{ "GET", "/v1/containers/:uuid/logs", clogs_route, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
