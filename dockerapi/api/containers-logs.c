/*
 * containers-logs.c: GET /containers/:id/logs, from stdio.log and its
 * rotated files.
 *
 * The files are read in order, oldest first: stdio.log.<time> sort by
 * name because the time is fixed-width UTC, then the live stdio.log.
 * Each line is a json-file record; since/until compare its time as text
 * (same fixed width), found in the line before it is parsed, so lines out
 * of range cost no JSON parsing.  --tail reads from the end instead
 * (logs-tail.c): the newest file first, backward, until it has N
 * matching records or, with --since, reaches an older one; then forward
 * from there.  --since alone starts where a binary search on the times
 * puts it, and reading what already is stops at the first line past
 * --until: lines are written in time order.
 *
 * A log is a tenant's data and can be gigabytes: reading what is already
 * there (all of it, a --since/--until scan, a big tail) runs on a worker
 * thread of its own, never on the loop, where it would stall every
 * client.  The worker formats the answer into batches and hands them to
 * the loop through a buffer under a mutex and an eventfd, as libsapi's
 * watch and the image jobs hand their results back; it waits while that
 * buffer is full, and the loop takes from it only while the client has
 * little unsent, so a large log never sits whole in memory.  When the
 * worker is done, the loop owns the reading state again.
 *
 * Following then watches the logs folder with inotify: a write makes the
 * pump read on from where the worker stopped; a rotation is seen as the
 * live name pointing at a new inode, and the old file is read to its end
 * before the new one is opened, so nothing is lost across it.  The
 * stream ends when the container exits (after reading what is left) or
 * is removed.  A client that leaves while the worker runs cancels it; the
 * request's state is freed when the worker has stopped.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "containers.h"
#include "dockerapi/runtime/container-layout.h"
#include "jsonutil.h"
#include "node-relay.h"
#include "nodes.h"
#include "xalloc.h"

#define LOGS_PENDING_MAX (1024 * 1024)
#define LOGS_BATCH (64 * 1024)          /* worker: bytes per hand-over */
#define LOGS_HANDOVER_MAX (1024 * 1024) /* worker: waits above this */
#define LOGS_WORKER_STACK (1024 * 1024)

struct logs_follow {
	struct logs_follow *next;
	struct http_request *req;
	struct ctr *c;			/* NULL once the container is gone */
	char *dir;			/* the logs folder */
	struct logs_filter f;		/* the records kept */
	bool raw, follow;
	long tail;			/* -1: all */
	struct logs_reader rd;		/* the files, where the reading is */
	int ino_fd;
	struct event *ino_ev;
	bool exited;			/* read to the end, then stop */
	bool ended;
	/* the worker, while `working`: it owns everything above that is
	 * about reading (rd) */
	bool working;
	bool gone;			/* the client left meanwhile */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t room;
	struct buf handover;		/* worker -> loop, under lock */
	bool worker_done;		/* under lock */
	atomic_bool cancel;
	struct buf batch;		/* the worker's own */
	int wake_fd;			/* eventfd: handover or done */
	struct event *wake_ev;
};


/* The worker's batch goes to the loop; waits while the loop has a full
 * hand-over.  False once the client has gone. */
static bool
logs_handover(struct logs_follow *lf)
{
	uint64_t one = 1;
	bool wake;

	if (lf->batch.len == 0)
		return !atomic_load(&lf->cancel);
	pthread_mutex_lock(&lf->lock);
	while (lf->handover.len >= LOGS_HANDOVER_MAX && !atomic_load(&lf->cancel))
		pthread_cond_wait(&lf->room, &lf->lock);
	wake = lf->handover.len == 0;
	buf_append(&lf->handover, lf->batch.data, lf->batch.len);
	pthread_mutex_unlock(&lf->lock);
	buf_reset(&lf->batch);
	if (wake && write(lf->wake_fd, &one, sizeof one) < 0)
		abort();        /* an eventfd write of 1 cannot fail */
	return !atomic_load(&lf->cancel);
}

static void
logs_emit(struct logs_follow *lf, int stream, const char *text, size_t len)
{
	unsigned char hdr[8];

	if (lf->working) {              /* on the worker */
		if (!lf->raw) {
			attach_mux_header(hdr, stream, len);
			buf_append(&lf->batch, hdr, sizeof hdr);
		}
		buf_append(&lf->batch, text, len);
		if (lf->batch.len >= LOGS_BATCH)
			logs_handover(lf);
		return;
	}
	if (!lf->raw) {
		attach_mux_header(hdr, stream, len);
		http_stream_write(lf->req, hdr, sizeof hdr);
	}
	http_stream_write(lf->req, text, len);
}

/* One line read forward; true when it is past --until. */
static bool
logs_record(struct logs_follow *lf, const char *line, size_t len)
{
	struct buf b = BUF_INIT;
	int s;

	if (lf->f.until[0] != '\0' && logs_line_range(&lf->f, line, len) > 0)
		return true;
	if ((s = logs_record_parse(&lf->f, line, len, &b)) != 0)
		logs_emit(lf, s, b.data, b.len);
	buf_free(&b);
	return false;
}

/* A line read forward (logs-reader.c): true to stop, when the client is
 * full (on the worker: gone, or the lines are past --until). */
static bool
logs_line(void *arg, const char *line, size_t len)
{
	struct logs_follow *lf = arg;
	bool past = logs_record(lf, line, len);

	/* lines are in time order: reading what already is, nothing after
	 * one past --until is wanted */
	return (past && lf->working && !lf->follow) ||
	    (lf->working ? atomic_load(&lf->cancel) :
	    http_stream_pending(lf->req) > LOGS_PENDING_MAX);
}

static void logs_pump(struct logs_follow *lf);
static void logs_work_take(struct logs_follow *lf);

static void
logs_drained(struct http_request *req, void *arg)
{
	http_stream_on_drain(req, NULL, NULL);
	logs_pump(arg);
}

static void
logs_unlink(struct logs_follow *lf)
{
	struct logs_follow **p;

	if (lf->c == NULL)
		return;
	for (p = &lf->c->followers; *p != NULL; p = &(*p)->next)
		if (*p == lf) {
			*p = lf->next;
			break;
		}
	lf->c = NULL;
}

static void
logs_free(struct logs_follow *lf)
{
	logs_unlink(lf);
	if (lf->ino_ev != NULL)
		event_free(lf->ino_ev);
	if (lf->ino_fd >= 0)
		close(lf->ino_fd);
	logs_reader_free(&lf->rd);
	if (lf->wake_ev != NULL) {
		event_free(lf->wake_ev);
		pthread_mutex_destroy(&lf->lock);
		pthread_cond_destroy(&lf->room);
	}
	if (lf->wake_fd >= 0)
		close(lf->wake_fd);
	buf_free(&lf->handover);
	buf_free(&lf->batch);
	free(lf->dir);
	free(lf);
}

static void
logs_end(struct logs_follow *lf)
{
	if (lf->ended)
		return;
	lf->ended = true;
	http_on_close(lf->req, NULL, NULL);
	http_stream_on_drain(lf->req, NULL, NULL);
	http_stream_end(lf->req);
	logs_free(lf);
}

static void
logs_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[4096];

	while (read(fd, buf, sizeof buf) > 0)
		;
	logs_pump(arg);
}

static void
logs_watch(struct logs_follow *lf)
{
	if (lf->ino_ev != NULL)
		return;
	lf->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (lf->ino_fd < 0)
		return;
	inotify_add_watch(lf->ino_fd, lf->dir, IN_MODIFY | IN_CREATE |
	    IN_MOVED_FROM | IN_MOVED_TO);
	lf->ino_ev = event_new(lf->c->cs->d->base, lf->ino_fd,
	    EV_READ | EV_PERSIST, logs_inotify_cb, lf);
	event_add(lf->ino_ev, NULL);
}

static void
logs_pump(struct logs_follow *lf)
{
	for (;;) {
		if (!logs_reader_through(&lf->rd, logs_line, lf)) {
			http_stream_on_drain(lf->req, logs_drained, lf);
			return;
		}
		if (lf->follow && logs_reader_rotated(&lf->rd))
			continue;       /* the new stdio.log, from its start */
		break;
	}
	if (!lf->follow || lf->exited || lf->c == NULL)
		logs_end(lf);
	else
		logs_watch(lf);
}

void
logs_exited(struct ctr *c)
{
	struct logs_follow *lf;

	while ((lf = c->followers) != NULL) {
		logs_unlink(lf);
		lf->exited = true;
		if (!lf->working)       /* else when the worker is done */
			logs_pump(lf);
	}
}

static void
logs_closed(struct http_request *req, void *arg)
{
	struct logs_follow *lf = arg;

	lf->ended = true;
	lf->req = NULL;
	if (!lf->working) {
		logs_free(lf);
		return;
	}
	/* the worker stops at its next line; freed when it has */
	logs_unlink(lf);
	lf->gone = true;
	pthread_mutex_lock(&lf->lock);
	atomic_store(&lf->cancel, true);
	pthread_cond_broadcast(&lf->room);
	pthread_mutex_unlock(&lf->lock);
}

/* --- the worker: what the log already holds --- */

static void *
logs_work_main(void *arg)
{
	struct logs_follow *lf = arg;
	uint64_t one = 1;

	logs_reader_start(&lf->rd, &lf->f, lf->tail, &lf->cancel);
	lf->tail = -1;
	if (!atomic_load(&lf->cancel))  /* false only when cancelled */
		logs_reader_through(&lf->rd, logs_line, lf);
	logs_handover(lf);
	pthread_mutex_lock(&lf->lock);
	lf->worker_done = true;
	pthread_mutex_unlock(&lf->lock);
	if (write(lf->wake_fd, &one, sizeof one) < 0)
		abort();
	return NULL;
}

static void
logs_work_drained(struct http_request *req, void *arg)
{
	http_stream_on_drain(req, NULL, NULL);
	logs_work_take(arg);
}

/* On the loop: send what the worker handed over while the client takes
 * it; once the worker is done, go on as the loop (follow, or end). */
static void
logs_work_take(struct logs_follow *lf)
{
	struct buf got = BUF_INIT;
	bool done;

	for (;;) {
		pthread_mutex_lock(&lf->lock);
		done = lf->worker_done;
		if (!lf->gone && http_stream_pending(lf->req) > LOGS_PENDING_MAX) {
			pthread_mutex_unlock(&lf->lock);
			http_stream_on_drain(lf->req, logs_work_drained, lf);
			return;
		}
		got = lf->handover;
		lf->handover = (struct buf)BUF_INIT;
		pthread_cond_broadcast(&lf->room);
		pthread_mutex_unlock(&lf->lock);
		if (got.len == 0)
			break;
		if (!lf->gone)
			http_stream_write(lf->req, got.data, got.len);
		buf_free(&got);
	}
	if (!done)
		return;
	pthread_join(lf->thread, NULL);
	lf->working = false;
	if (lf->gone)
		logs_free(lf);
	else if (!lf->follow)
		logs_end(lf);
	else
		logs_pump(lf);
}

static void
logs_work_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
		return;
	logs_work_take(arg);
}

/* The worker blocks every signal (they are the process's) and needs
 * little stack. */
static int
logs_work_start(struct logs_follow *lf, struct event_base *base)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int rc;

	lf->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (lf->wake_fd < 0)
		return errno;
	pthread_mutex_init(&lf->lock, NULL);
	pthread_cond_init(&lf->room, NULL);
	atomic_init(&lf->cancel, false);
	lf->wake_ev = event_new(base, lf->wake_fd, EV_READ | EV_PERSIST,
	    logs_work_cb, lf);
	event_add(lf->wake_ev, NULL);
	lf->working = true;
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LOGS_WORKER_STACK);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&lf->thread, &attr, logs_work_main, lf);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		lf->working = false;
	return rc;
}

/* A container on a node behind an agent: the node reads its log and
 * the answer is relayed (node-relay.c).  False when it is here (nothing
 * done); true with *answered the handler's return. */
static bool
logs_relay(struct http_request *req, struct dockerapi *d, struct ctr *c,
    const struct logs_follow *lf, int *answered)
{
	struct node_relay_opts o = { .first_byte_ms = 0 };
	struct buf q = BUF_INIT;
	sdc_error_t err = NULL;
	int rc;

	buf_printf(&q, "stdout=%d&stderr=%d&timestamps=%d&follow=%d&raw=%d",
	    lf->f.out, lf->f.err, lf->f.ts, lf->follow, lf->raw);
	node_relay_query(&q, "since", http_query(req, "since"));
	node_relay_query(&q, "until", http_query(req, "until"));
	if (lf->tail >= 0)
		buf_printf(&q, "&tail=%ld", lf->tail);
	rc = node_relay_container(d, req, json_str(c->extra, "Node", NULL),
	    c->uuid, "logs", buf_str(&q), &o, &err);
	buf_free(&q);
	if (rc < 0)
		*answered = api_error_from(req, &err);
	else if (rc == 0)
		*answered = HTTP_ASYNC;
	return rc != NODES_LOCAL;
}

int
ctr_logs(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	const char *tail = http_query(req, "tail");
	struct logs_follow *lf;
	sdc_error_t err = NULL;
	int rc = HTTP_DONE;

	if (c == NULL)
		return HTTP_DONE;
	lf = xcalloc(1, sizeof *lf);
	lf->f.out = http_query_bool(req, "stdout", false);
	lf->f.err = http_query_bool(req, "stderr", false);
	if (!lf->f.out && !lf->f.err) {
		free(lf);
		return api_error(req, 400, "Bad parameters: you must choose at "
		    "least one stream");
	}
	lf->req = req;
	lf->c = c;
	lf->ino_fd = -1;
	lf->f.ts = http_query_bool(req, "timestamps", false);
	lf->follow = http_query_bool(req, "follow", false) && ctr_running(c);
	lf->raw = json_is_true(json_object_get(c->config, "Tty"));
	if (logs_time_arg(http_query(req, "since"), lf->f.since, sizeof lf->f.since, &err) < 0 ||
	    logs_time_arg(http_query(req, "until"), lf->f.until, sizeof lf->f.until, &err) < 0) {
		free(lf);
		return api_error_from(req, &err);
	}
	lf->tail = tail == NULL || strcmp(tail, "all") == 0 || *tail == '\0' ?
	    -1 : atol(tail);
	if (lf->tail < -1)
		lf->tail = -1;
	if (logs_relay(req, arg, c, lf, &rc)) {
		free(lf);
		return rc;
	}
	xasprintf(&lf->dir, "%s/%s/" RT_LOG_DIR, ctrs(arg)->zones, c->uuid);
	logs_reader_init(&lf->rd, lf->dir);
	lf->wake_fd = -1;
	if ((rc = logs_work_start(lf, ctrs(arg)->d->base)) != 0) {
		logs_free(lf);
		return api_error(req, 500, "cannot read the logs: no thread: %s",
		    strerror(rc));
	}
	lf->next = c->followers;
	c->followers = lf;
	http_on_close(req, logs_closed, lf);
	http_stream_start(req, 200, "application/vnd.docker.raw-stream");
	return HTTP_ASYNC;
}

const struct api_endpoint containers_logs_routes[] = {
	{ { "GET", "/containers/:id/logs", ctr_logs, API_LONG, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
