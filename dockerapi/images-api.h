/*
 * images-api.h: what the image route files (api/images-routes.c,
 * api/images-json.c, api/images-create.c, api/system-auth.c,
 * api/images-save-load.c, imgjob.c) share and nobody else needs.
 *
 * The slow routes -- pull, import, load -- run a libsdcimages job in a
 * worker thread and turn it into an HTTP answer on the loop: an `imgjob`
 * carries the job's progress events to the client as Docker's JSON lines,
 * feeds the request body to the job through a pipe (pausing the socket
 * while the job is behind), and answers once both the job and the body are
 * done.  Until the first event, nothing has been sent, so a failure is
 * still a plain HTTP error; after it, it becomes an error line in the
 * stream, as Docker does it.
 */
#ifndef DOCKERAPI_IMAGES_API_H
#define DOCKERAPI_IMAGES_API_H

#include "dockerapi.h"
#include "dockerapi/images/images.h"

#define IMGJOB_BODY   0x1       /* the request body goes to the job */
#define IMGJOB_QUIET  0x2       /* only the final lines (load ?quiet=1) */

struct imgjob;

/* A job-to-be for req; with IMGJOB_BODY, *body_fd gets the pipe's read
 * end, which the job start function takes over (on failure too). */
struct imgjob *imgjob_new(struct dockerapi *d, struct http_request *req,
    unsigned flags, int *body_fd);
/* The images_event_fn to pass to the start function, with the imgjob as
 * its argument. */
void imgjob_event(void *arg, const struct images_event *ev);
/* On success, answer this JSON with a 200 rather than an empty stream (a
 * job that sends no events: login).  Takes the reference. */
void imgjob_answer_with(struct imgjob *j, json_t *answer);
/* The job has started: follow it until the answer is complete.  Returns
 * HTTP_ASYNC. */
int imgjob_run(struct imgjob *j, struct images_job *job);
/* The job could not start: answer the error, free j.  Returns HTTP_DONE. */
int imgjob_refuse(struct imgjob *j, sdc_error_t *err);
/* Daemon exit: cancel every job in flight. */
void imgjob_cancel_all(void);

/* api/images-routes.c: the library's in-use hook, asking the container
 * module */
bool images_api_in_use(void *arg, const char *account, const char *id,
    char **container, bool *running);

/* api/images-json.c */
int images_api_list(struct http_request *req, void *arg);
int images_api_prune(struct http_request *req, void *arg);

/* api/system-auth.c: POST /auth (docker login) */
int images_api_login(struct http_request *req, void *arg);

/* api/images-name-push.c: POST /images/NAME/push (docker push) */
int images_api_push(struct http_request *req, void *arg);

/* api/images-create.c, api/images-save-load.c: the slow routes */
int images_api_create(struct http_request *req, void *arg);
int images_api_import(struct http_request *req, struct dockerapi *d);
int images_api_load(struct http_request *req, void *arg);
int images_api_save(struct http_request *req, void *arg);
/* Every "changes" query parameter (import, commit), NULL-terminated; free
 * the array only. */
const char **images_api_changes(const struct http_request *req);

#endif
