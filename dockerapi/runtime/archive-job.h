/*
 * archive-job.h: docker cp's transfers joined to an HTTP request, for
 * whoever answers it: a head for a container on its own machine
 * (api/containers-archive.c) or the node's agent
 * (agent/container-archive.c).  archive-job.c says why.
 */
#ifndef DOCKERAPI_RUNTIME_ARCHIVE_JOB_H
#define DOCKERAPI_RUNTIME_ARCHIVE_JOB_H

#include <pthread.h>
#include <stdbool.h>

#include "body-pipe.h"
#include "dockerapi/runtime/runtime.h"

struct event;
struct event_base;
struct http_request;

/* PUT's end, on the loop, once both the extraction and the body are
 * over: rc and *err the extraction's; req NULL when the client has gone
 * (nothing to answer).  It answers req, then may free the job. */
typedef void rt_cp_put_done_fn(void *owner, struct http_request *req,
    int rc, sdc_error_t *err);
/* GET's end, on the loop, once the tar's thread has ended: free the job. */
typedef void rt_cp_get_done_fn(void *owner);

struct rt_cp {
	struct rt_root root;		/* the owner's to open */
	char *path;			/* below root; freed with the job */
	struct rt_put_opts put;
	/* GET's and PUT's own */
	void *owner;
	rt_cp_put_done_fn *put_done;
	rt_cp_get_done_fn *get_done;
	struct http_request *req;	/* PUT: NULL once the client has gone */
	struct body_pipe body;
	int in;				/* the body's read end */
	pthread_t thread;		/* the extraction */
	bool running;
	int note[2];			/* closed by the thread at its end */
	struct event *note_ev;
	bool finished;			/* the extraction is over */
	int rc;
	sdc_error_t err;
};

/* A job with nothing open yet (root and descriptors -1). */
void rt_cp_init(struct rt_cp *cp);
/* Everything the job holds closed, its thread joined. */
void rt_cp_release(struct rt_cp *cp);
/* The path's stat in req's X-Docker-Container-Path-Stat header; -1 with
 * *err (404: not there), nothing answered. */
int rt_cp_stat_header(struct rt_cp *cp, struct http_request *req,
    sdc_error_t *err);
/* GET: req answered 200 with the path as a tar, written on a thread at
 * the client's pace; done(owner) once it has ended.  -1 with *err,
 * nothing answered and done not called. */
int rt_cp_get_start(struct rt_cp *cp, struct http_request *req,
    struct event_base *base, rt_cp_get_done_fn *done, void *owner,
    sdc_error_t *err);
/* PUT: the destination must be a folder (links followed inside the
 * root); -1 with *err (400 "extraction point is not a directory", or the
 * stat's, 404 for a path not there). */
int rt_cp_put_check(struct rt_cp *cp, sdc_error_t *err);
/* PUT: req's body (streamed) extracted into the path with cp->put on a
 * thread; done(owner, ...) once both are over.  -1 with *err, nothing
 * answered and done not called. */
int rt_cp_put_start(struct rt_cp *cp, struct http_request *req,
    struct event_base *base, rt_cp_put_done_fn *done, void *owner,
    sdc_error_t *err);

#endif
