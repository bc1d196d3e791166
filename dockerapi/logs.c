/*
 * logs.c: GET /containers/:id/logs, from stdio.log and its rotated files.
 *
 * The files are read in order, oldest first: stdio.log.<time> sort by
 * name because the time is fixed-width UTC, then the live stdio.log.
 * Each line is a json-file record; since/until compare its time as text
 * (same fixed width, so no parsing per line), and --tail keeps the last N
 * matching records in a ring while it reads through.
 *
 * Reading is a pump that stops while the client has more than a little
 * unsent, and goes on when it drains, so a large log never sits whole in
 * memory.  Following watches the logs folder with inotify: a write makes
 * the pump read on; a rotation is seen as the live name pointing at a new
 * inode, and the old file is read to its end before the new one is
 * opened, so nothing is lost across it.  The stream ends when the
 * container exits (after reading what is left) or is removed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "containers.h"
#include "jsonutil.h"
#include "xalloc.h"

#define LOGS_PENDING_MAX (1024 * 1024)

struct logs_rec {
	int stream;
	char *text;			/* with the timestamp prefix if asked */
	size_t len;
};

struct logs_follow {
	struct logs_follow *next;
	struct http_request *req;
	struct ctr *c;			/* NULL once the container is gone */
	char *dir;			/* the logs folder */
	bool out, err, ts, raw, follow;
	char since[40], until[40];
	long tail;			/* -1: all */
	struct logs_rec *ring;
	long ring_n, ring_next;
	char **files;
	size_t nfiles, idx;
	FILE *fp;
	ino_t ino;
	struct buf partial;
	int ino_fd;
	struct event *ino_ev;
	bool exited;			/* read to the end, then stop */
	bool ended;
};

/* "1700000000.5" → "2023-11-14T22:13:20.500000000Z"; "" for none. */
static void
logs_time_arg(const char *s, char *out, size_t len)
{
	char frac[10] = "000000000";
	const char *dot;
	struct timespec ts;
	size_t n;

	out[0] = '\0';
	if (s == NULL || *s == '\0' || strcmp(s, "0") == 0)
		return;
	ts.tv_sec = (time_t)strtoll(s, NULL, 10);
	ts.tv_nsec = 0;
	if ((dot = strchr(s, '.')) != NULL) {
		n = strspn(dot + 1, "0123456789");
		memcpy(frac, dot + 1, n < 9 ? n : 9);
		ts.tv_nsec = strtol(frac, NULL, 10);
	}
	ctr_ts_iso(out, len, &ts);
}

static int
logs_file_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rotated files by age, then the live one. */
static void
logs_list(struct logs_follow *lf)
{
	DIR *d = opendir(lf->dir);
	struct dirent *e;
	size_t cap = 8;

	lf->files = xcalloc(cap, sizeof *lf->files);
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "stdio.log.", 10) != 0)
			continue;
		if (lf->nfiles + 2 >= cap)
			lf->files = xrealloc(lf->files, (cap *= 2) * sizeof *lf->files);
		lf->files[lf->nfiles++] = xstrdup(e->d_name);
	}
	if (d != NULL)
		closedir(d);
	qsort(lf->files, lf->nfiles, sizeof *lf->files, logs_file_cmp);
	lf->files[lf->nfiles++] = xstrdup("stdio.log");
}

static void
logs_emit(struct logs_follow *lf, int stream, const char *text, size_t len)
{
	unsigned char hdr[8];

	if (!lf->raw) {
		attach_mux_header(hdr, stream, len);
		http_stream_write(lf->req, hdr, sizeof hdr);
	}
	http_stream_write(lf->req, text, len);
}

static void
logs_ring_put(struct logs_follow *lf, int stream, char *text, size_t len)
{
	struct logs_rec *r;

	if (lf->tail == 0) {
		free(text);
		return;
	}
	r = &lf->ring[lf->ring_next];
	free(r->text);
	r->stream = stream;
	r->text = text;
	r->len = len;
	lf->ring_next = (lf->ring_next + 1) % lf->tail;
	if (lf->ring_n < lf->tail)
		lf->ring_n++;
}

static void
logs_ring_flush(struct logs_follow *lf)
{
	long i, start = (lf->ring_next - lf->ring_n + lf->tail) % (lf->tail ?: 1);
	struct logs_rec *r;

	for (i = 0; i < lf->ring_n; i++) {
		r = &lf->ring[(start + i) % lf->tail];
		logs_emit(lf, r->stream, r->text, r->len);
		free(r->text);
		r->text = NULL;
	}
	lf->ring_n = 0;
	lf->tail = -1;          /* from now on, straight out */
}

/* One json-file record. */
static void
logs_record(struct logs_follow *lf, const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	const char *stream = json_str(j, "stream", ""), *time = json_str(j, "time", "");
	const char *text = json_str(j, "log", NULL);
	int s = strcmp(stream, "stderr") == 0 ? 2 : 1;
	struct buf b = BUF_INIT;
	size_t n;

	if (text == NULL || (s == 1 && !lf->out) || (s == 2 && !lf->err) ||
	    (lf->since[0] != '\0' && strcmp(time, lf->since) < 0) ||
	    (lf->until[0] != '\0' && strcmp(time, lf->until) > 0)) {
		json_decref(j);
		return;
	}
	if (lf->ts)
		buf_printf(&b, "%s ", time);
	buf_append(&b, text, json_string_length(json_object_get(j, "log")));
	json_decref(j);
	n = b.len;
	if (lf->tail >= 0)
		logs_ring_put(lf, s, buf_detach(&b, NULL), n);
	else {
		logs_emit(lf, s, b.data, b.len);
		buf_free(&b);
	}
}

static bool
logs_open(struct logs_follow *lf)
{
	struct stat st;
	char *path;

	xasprintf(&path, "%s/%s", lf->dir, lf->files[lf->idx]);
	lf->fp = fopen(path, "re");
	free(path);
	if (lf->fp != NULL && fstat(fileno(lf->fp), &st) == 0)
		lf->ino = st.st_ino;
	return lf->fp != NULL;
}

/* The live name points at another file: stdio.log was rotated. */
static bool
logs_rotated(struct logs_follow *lf)
{
	struct stat st;
	char *path;
	bool moved;

	xasprintf(&path, "%s/stdio.log", lf->dir);
	moved = stat(path, &st) == 0 && st.st_ino != lf->ino;
	free(path);
	return moved;
}

/* Lines until EOF of the current file; false if the client is full. */
static bool
logs_read_file(struct logs_follow *lf)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	clearerr(lf->fp);
	while ((n = getline(&line, &cap, lf->fp)) > 0) {
		if (line[n - 1] != '\n') {
			buf_append(&lf->partial, line, (size_t)n);
			continue;
		}
		if (lf->partial.len > 0) {
			buf_append(&lf->partial, line, (size_t)n);
			logs_record(lf, lf->partial.data, lf->partial.len);
			buf_reset(&lf->partial);
		} else
			logs_record(lf, line, (size_t)n);
		if (http_stream_pending(lf->req) > LOGS_PENDING_MAX) {
			free(line);
			return false;
		}
	}
	free(line);
	return true;
}

static void logs_pump(struct logs_follow *lf);

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
	size_t i;

	logs_unlink(lf);
	if (lf->ino_ev != NULL)
		event_free(lf->ino_ev);
	if (lf->ino_fd >= 0)
		close(lf->ino_fd);
	if (lf->fp != NULL)
		fclose(lf->fp);
	for (i = 0; i < lf->nfiles; i++)
		free(lf->files[i]);
	free(lf->files);
	if (lf->ring != NULL) {
		for (long k = 0; k < (lf->tail > 0 ? lf->tail : 0); k++)
			free(lf->ring[k].text);
		free(lf->ring);
	}
	buf_free(&lf->partial);
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
		if (lf->fp == NULL && !logs_open(lf)) {
			if (lf->idx + 1 < lf->nfiles) {
				lf->idx++;
				continue;
			}
			break;          /* no live log (driver none) */
		}
		if (!logs_read_file(lf)) {
			http_stream_on_drain(lf->req, logs_drained, lf);
			return;
		}
		if (lf->idx + 1 < lf->nfiles) {
			fclose(lf->fp);
			lf->fp = NULL;
			lf->idx++;
			continue;
		}
		if (lf->follow && logs_rotated(lf)) {
			fclose(lf->fp);
			lf->fp = NULL;
			continue;       /* the new stdio.log, from its start */
		}
		break;
	}
	if (lf->tail >= 0)
		logs_ring_flush(lf);
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
		logs_pump(lf);
	}
}

static void
logs_closed(struct http_request *req, void *arg)
{
	struct logs_follow *lf = arg;

	lf->ended = true;
	logs_free(lf);
}

int
ctr_logs(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	const char *tail = http_query(req, "tail");
	struct logs_follow *lf;

	if (c == NULL)
		return HTTP_DONE;
	lf = xcalloc(1, sizeof *lf);
	lf->out = http_query_bool(req, "stdout", false);
	lf->err = http_query_bool(req, "stderr", false);
	if (!lf->out && !lf->err) {
		free(lf);
		return api_error(req, 400, "Bad parameters: you must choose at "
		    "least one stream");
	}
	lf->req = req;
	lf->c = c;
	lf->ino_fd = -1;
	lf->ts = http_query_bool(req, "timestamps", false);
	lf->follow = http_query_bool(req, "follow", false) && ctr_running(c);
	lf->raw = json_is_true(json_object_get(c->config, "Tty"));
	logs_time_arg(http_query(req, "since"), lf->since, sizeof lf->since);
	logs_time_arg(http_query(req, "until"), lf->until, sizeof lf->until);
	lf->tail = tail == NULL || strcmp(tail, "all") == 0 || *tail == '\0' ?
	    -1 : atol(tail);
	if (lf->tail > 0)
		lf->ring = xcalloc((size_t)lf->tail, sizeof *lf->ring);
	xasprintf(&lf->dir, "%s/%s/logs", ctrs(arg)->zones, c->uuid);
	logs_list(lf);
	lf->next = c->followers;
	c->followers = lf;
	http_on_close(req, logs_closed, lf);
	http_stream_start(req, 200, "application/vnd.docker.raw-stream");
	logs_pump(lf);
	return HTTP_ASYNC;
}
