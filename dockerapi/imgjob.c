/*
 * imgjob.c: a libsdcimages job followed to the end of its HTTP answer.
 *
 * Three things finish independently -- the job (its fd turns readable and
 * images_job_dispatch() says done), the request body (the sink's last call)
 * and the client (who may leave at any time) -- so the imgjob answers only
 * when the first two are done and frees itself at that point, or at once
 * when the client goes.  Answering while the body is still arriving would
 * leave the HTTP layer calling a sink whose owner is gone.
 *
 * The body goes to the job through a pipe fed at the job's pace
 * (body-pipe.c): a load of a large archive costs a bounded amount of
 * memory, and when the job stops reading (it failed, or the archive ended
 * early), the rest of the body is read and dropped so the client can read
 * its answer.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "body-pipe.h"
#include "images-api.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

struct imgjob {
	struct dockerapi *d;
	struct http_request *req;
	unsigned flags;
	struct images_job *job;
	struct event *ev;               /* the job's fd */
	bool streaming;                 /* the 200 has gone out */
	struct body_pipe body;          /* with IMGJOB_BODY; done without */
	/* the result */
	json_t *answer;                 /* on success, instead of a stream */
	bool finished;
	int rc;
	sdc_error_t err;
	struct imgjob *prev, *next;     /* every imgjob, for the daemon's exit */
};

static struct imgjob *imgjobs;

struct imgjob *
imgjob_new(struct dockerapi *d, struct http_request *req, unsigned flags,
    int *body_fd)
{
	struct imgjob *j = xcalloc(1, sizeof *j);

	j->d = d;
	j->req = req;
	j->flags = flags;
	j->body.fd = -1;
	j->body.done = !(flags & IMGJOB_BODY);
	/* without a pipe, the job fails reading it; the body is dropped */
	if (flags & IMGJOB_BODY)
		(void)body_pipe_open(&j->body, body_fd, NULL);
	j->next = imgjobs;
	if (imgjobs != NULL)
		imgjobs->prev = j;
	imgjobs = j;
	return j;
}

static void
imgjob_free(struct imgjob *j)
{
	/* the pipe first: a worker blocked reading it must see its end */
	body_pipe_close(&j->body);
	if (j->ev != NULL)
		event_free(j->ev);
	images_job_free(j->job);
	json_decref(j->answer);
	sdc_error_release(&j->err);
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		imgjobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	free(j);
}

static void
imgjob_start_stream(struct imgjob *j)
{
	if (j->streaming)
		return;
	http_stream_start(j->req, 200, "application/json");
	j->streaming = true;
}

static void
imgjob_line(struct imgjob *j, json_t *line)
{
	struct buf b = BUF_INIT;

	imgjob_start_stream(j);
	json_append(&b, line);
	buf_putc(&b, '\n');
	http_stream_write(j->req, b.data, b.len);
	buf_free(&b);
	json_decref(line);
}

void
imgjob_event(void *arg, const struct images_event *ev)
{
	struct imgjob *j = arg;

	if (j->req == NULL)
		return;
	if ((j->flags & IMGJOB_QUIET) && ev->kind != IMAGES_EV_LOADED &&
	    ev->kind != IMAGES_EV_IMPORTED)
		return;
	imgjob_line(j, images_event_json(ev));
	/* after a push's digest, the aux line Docker's clients read it from */
	if (ev->kind == IMAGES_EV_PUSH_DIGEST)
		imgjob_line(j, json_pack("{s:{}, s:{s:s, s:s, s:I}}",
		    "progressDetail", "aux", "Tag", ev->id ? ev->id : "",
		    "Digest", ev->text ? ev->text : "", "Size",
		    (json_int_t)ev->total));
}

/* Both the job and the body are done: the answer's last line. */
static void
imgjob_maybe_answer(struct imgjob *j)
{
	if (!j->finished || !j->body.done)
		return;
	if (j->rc > 0 && j->answer != NULL && !j->streaming) {
		api_json(j->req, 200, j->answer);       /* takes it */
		j->answer = NULL;
	} else if (j->rc > 0) {
		imgjob_start_stream(j);
		http_stream_end(j->req);
	} else if (j->streaming) {
		log_emit(LOG_INFO, j->req->req_id, NULL, "%s %s: %s", j->req->method,
		    j->req->path, sdc_error_msg(j->err));
		imgjob_line(j, images_error_json(sdc_error_msg(j->err)));
		http_stream_end(j->req);
	} else
		api_error_from(j->req, &j->err);
	imgjob_free(j);
}

static void
imgjob_on_job(evutil_socket_t fd, short what, void *arg)
{
	struct imgjob *j = arg;
	int r = images_job_dispatch(j->job, &j->err);

	if (r == 0)
		return;
	event_free(j->ev);
	j->ev = NULL;
	images_job_free(j->job);
	j->job = NULL;
	j->finished = true;
	j->rc = r;
	imgjob_maybe_answer(j);
}

static void
imgjob_on_close(struct http_request *req, void *arg)
{
	struct imgjob *j = arg;

	j->req = NULL;
	j->body.req = NULL;
	imgjob_free(j);
}

static void
imgjob_body_end(void *arg)
{
	imgjob_maybe_answer(arg);
}

void
imgjob_answer_with(struct imgjob *j, json_t *answer)
{
	json_decref(j->answer);
	j->answer = answer;
}

int
imgjob_run(struct imgjob *j, struct images_job *job)
{
	struct event_base *base = j->d->base;

	j->job = job;
	j->ev = event_new(base, images_job_fd(job), EV_READ | EV_PERSIST,
	    imgjob_on_job, j);
	event_add(j->ev, NULL);
	http_on_close(j->req, imgjob_on_close, j);
	if (j->flags & IMGJOB_BODY)
		body_pipe_start(&j->body, j->req, base, imgjob_body_end, j);
	return HTTP_ASYNC;
}

int
imgjob_refuse(struct imgjob *j, sdc_error_t *err)
{
	struct http_request *req = j->req;

	imgjob_free(j);
	return api_error_from(req, err);
}

void
imgjob_cancel_all(void)
{
	while (imgjobs != NULL) {
		struct imgjob *j = imgjobs;

		j->req = NULL;  /* the servers have freed their requests */
		j->body.req = NULL;
		imgjob_free(j);
	}
}
