/*
 * body-pipe.h: a request body fed into a pipe that blocking code reads on
 * a thread of its own (docker load and import, docker cp's PUT), at the
 * reader's pace.
 */
#ifndef SDC_BODY_PIPE_H
#define SDC_BODY_PIPE_H

#include <stdbool.h>

#include "buf.h"
#include "error.h"

struct http_request;
struct event;
struct event_base;

/* Runs on the loop once the body's last byte has arrived (kept or
 * dropped); it may free the body pipe's owner. */
typedef void body_pipe_end_fn(void *arg);

struct body_pipe {
	struct http_request *req;       /* NULL once the client has gone */
	int fd;                         /* the write end; -1 once closed */
	struct event *wev;              /* fd writable */
	struct buf pending;             /* body not yet in the pipe */
	bool paused;                    /* the socket, while much is pending */
	bool done;                      /* the body has all arrived */
	body_pipe_end_fn *on_end;
	void *arg;
};

/* A pipe for bp; *rfd gets its read end, the reader's to close.  -1 with
 * *err (bp stays closed, so body_pipe_close is still fine). */
int body_pipe_open(struct body_pipe *bp, int *rfd, sdc_error_t *err);
/* Stream req's body into the pipe; on_end(arg) once it has all come. */
void body_pipe_start(struct body_pipe *bp, struct http_request *req,
    struct event_base *base, body_pipe_end_fn *on_end, void *arg);
/* The reader is done (or the owner goes): close the write end, so that
 * what the client still sends is read and dropped.  Call it with req set
 * to NULL once the client has gone. */
void body_pipe_close(struct body_pipe *bp);

#endif
