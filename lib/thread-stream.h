/*
 * thread-stream.h: an answer written by blocking code on a thread of its
 * own (docker save, docker export), streamed to the client at its pace.
 */
#ifndef DOCKERAPI_THREAD_STREAM_H
#define DOCKERAPI_THREAD_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct http_request;
struct event_base;

typedef int thread_stream_write_fn(void *warg, const void *data, size_t len);
/* Runs on the thread: write the whole answer; write() returns -1 once the
 * client has gone, and fn should then stop. */
typedef int thread_stream_fn(void *arg, thread_stream_write_fn *write,
    void *warg, sdc_error_t *err);
/* Runs on the loop thread once the thread has ended; frees arg. */
typedef void thread_stream_done_fn(void *arg);

/* Answer req with 200 and content_type, its body what fn writes.  what
 * names the job in the log ("image save").  On failure nothing was
 * answered and done is not called. */
int thread_stream_start(struct http_request *req, struct event_base *base,
    const char *what, const char *content_type, thread_stream_fn *fn,
    thread_stream_done_fn *done, void *arg, sdc_error_t *err);
/* On the thread, with fn's warg: true once the client has gone, for a
 * writer that waits between writes (a log followed, a stats stream). */
bool thread_stream_gone(void *warg);
/* At shutdown: stop every stream (the servers have freed the requests). */
void thread_stream_cancel_all(void);

#endif
