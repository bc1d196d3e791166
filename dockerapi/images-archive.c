/*
 * images-archive.c: images as tarballs -- docker load, docker import, and
 * docker save.
 *
 * Load and import stream the request body into a library job (see
 * images-job.c).  Save goes the other way: the library writes the
 * docker-archive with blocking writes, so a thread of our own runs it into
 * a pipe and the loop copies the pipe to the response, reading only while
 * the client keeps up (http_stream_pending and on_drain).  If the client
 * goes, closing the pipe makes the thread's next write fail, which stops
 * it; a failure in the middle can only end the response, as in Docker,
 * since a tar stream has nowhere to carry an error message.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "fsutil.h"
#include "images-api.h"
#include "log.h"
#include "xalloc.h"

#define SAVE_CHUNK (128 * 1024)
#define SAVE_PENDING_HIGH (1024 * 1024)

/* ---- load and import ---- */

int
images_api_load(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct images_job *job;
	sdc_error_t err = NULL;
	unsigned flags = IMGJOB_BODY;
	struct imgjob *j;
	int fd;

	/* Docker's daemon defaults to quiet; the CLI always says */
	if (http_query_bool(req, "quiet", true))
		flags |= IMGJOB_QUIET;
	j = imgjob_new(d, req, flags, &fd);
	if (images_load_start(d->images, api_account(req)->uuid, fd, imgjob_event,
	    j, &job, &err) < 0)
		return imgjob_refuse(j, &err);
	return imgjob_run(j, job);
}

/* Every "changes" parameter, in order (one per --change). */
static const char **
import_changes(const struct http_request *req)
{
	const char **v = xcalloc(req->nquery + 1, sizeof *v);
	size_t n = 0;

	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, "changes") == 0 &&
		    *req->query[i].value != '\0')
			v[n++] = req->query[i].value;
	return v;
}

int
images_api_import(struct http_request *req, struct dockerapi *d)
{
	const char *repo = http_query(req, "repo"), *tag = http_query(req, "tag");
	const char **changes = import_changes(req);
	struct images_job *job;
	sdc_error_t err = NULL;
	struct imgjob *j;
	char *target = NULL;
	int fd, rc;

	if (repo != NULL && *repo != '\0' && tag != NULL && *tag != '\0')
		xasprintf(&target, "%s:%s", repo, tag);
	else if (repo != NULL && *repo != '\0')
		target = xstrdup(repo);
	j = imgjob_new(d, req, IMGJOB_BODY, &fd);
	rc = images_import_start(d->images, api_account(req)->uuid, fd, target,
	    changes, http_query(req, "message"), imgjob_event, j, &job, &err);
	free(target);
	free(changes);
	if (rc < 0)
		return imgjob_refuse(j, &err);
	return imgjob_run(j, job);
}

/* ---- save ---- */

struct save {
	struct dockerapi *d;
	struct http_request *req;       /* NULL once the client has gone */
	struct images_save *sv;
	pthread_t thread;
	bool running;
	int fd;                         /* the pipe's read end */
	int wfd;                        /* its write end, the thread's */
	struct event *ev;
	int rc;                         /* the thread's result, after join */
	sdc_error_t err;
	struct save *prev, *next;
};

static struct save *saves;

static int
save_write(void *arg, const void *data, size_t len)
{
	return fd_write_all(*(int *)arg, data, len);
}

static void *
save_main(void *arg)
{
	struct save *s = arg;

	s->rc = images_save_write(s->sv, save_write, &s->wfd, &s->err);
	close(s->wfd);
	s->wfd = -1;
	return NULL;
}

static void
save_free(struct save *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);   /* the thread's next write fails: it stops */
	if (s->running)
		pthread_join(s->thread, NULL);
	if (s->wfd >= 0)
		close(s->wfd);
	images_save_free(s->sv);
	sdc_error_release(&s->err);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		saves = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	free(s);
}

static void
save_end(struct save *s)
{
	pthread_join(s->thread, NULL);
	s->running = false;
	if (s->rc < 0)
		log_emit(LOG_WARN, s->req->req_id, NULL, "image save stopped: %s",
		    sdc_error_msg(s->err));
	http_stream_end(s->req);
	http_on_close(s->req, NULL, NULL);
	save_free(s);
}

static void save_resume(struct http_request *req, void *arg);

static void
save_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct save *s = arg;
	char buf[SAVE_CHUNK];
	ssize_t n;

	while (http_stream_pending(s->req) < SAVE_PENDING_HIGH) {
		n = read(s->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;         /* EAGAIN: the thread is behind */
		if (n == 0) {
			save_end(s);
			return;
		}
		http_stream_write(s->req, buf, (size_t)n);
	}
	event_del(s->ev);
	http_stream_on_drain(s->req, save_resume, s);
}

static void
save_resume(struct http_request *req, void *arg)
{
	struct save *s = arg;

	http_stream_on_drain(req, NULL, NULL);
	event_add(s->ev, NULL);
}

static void
save_on_close(struct http_request *req, void *arg)
{
	struct save *s = arg;

	s->req = NULL;
	save_free(s);
}

/* names= (GET /images/get, one per image) or the one in the path */
static const char **
save_names(const struct http_request *req)
{
	const char **v = xcalloc(req->nquery + 2, sizeof *v);
	const char *one = http_param(req, "name");
	size_t n = 0;

	if (one != NULL)
		v[n++] = one;
	for (size_t i = 0; one == NULL && i < req->nquery; i++)
		if (strcmp(req->query[i].name, "names") == 0 &&
		    *req->query[i].value != '\0')
			v[n++] = req->query[i].value;
	return v;
}

static int
save_start(struct save *s, sdc_error_t *err)
{
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return sdc_make_error(err, errno, "saving images");
	s->fd = p[0];
	s->wfd = p[1];
	(void)fcntl(s->fd, F_SETPIPE_SZ, SAVE_PENDING_HIGH);
	(void)fcntl(s->fd, F_SETFL, O_NONBLOCK);
	r = pthread_create(&s->thread, NULL, save_main, s);
	if (r != 0)
		return sdc_make_error(err, r, "saving images");
	s->running = true;
	return 0;
}

int
images_api_save(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char **names = save_names(req);
	sdc_error_t err = NULL;
	struct save *s;

	if (names[0] == NULL) {
		free(names);
		return api_error(req, 400, "no image names given");
	}
	s = xcalloc(1, sizeof *s);
	s->d = d;
	s->req = req;
	s->fd = s->wfd = -1;
	s->next = saves;
	if (saves != NULL)
		saves->prev = s;
	saves = s;
	if (images_save_prepare(d->images, api_account(req)->uuid, names, &s->sv,
	    &err) < 0 || save_start(s, &err) < 0) {
		free(names);
		save_free(s);
		return api_error_from(req, &err);
	}
	free(names);
	http_stream_start(req, 200, "application/x-tar");
	s->ev = event_new(d->base, s->fd, EV_READ | EV_PERSIST, save_on_readable, s);
	event_add(s->ev, NULL);
	http_on_close(req, save_on_close, s);
	return HTTP_ASYNC;
}

void
images_api_save_cancel_all(void)
{
	while (saves != NULL) {
		saves->req = NULL;      /* the servers have freed their requests */
		save_free(saves);
	}
}
