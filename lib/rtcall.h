/*
 * rtcall.h: a blocking call (the OCI runtime, a size walk) run on a
 * thread of its own, its result handed back to the loop thread.
 */
#ifndef SDC_RTCALL_H
#define SDC_RTCALL_H

#include "error.h"

struct event_base;
struct http_request;

/* Runs on the thread: only what the runtime library and the file system
 * offer, and what arg alone holds (a store connection made on the
 * thread, handed to done), never the loop's state (containers,
 * requests, the loop's store). */
typedef int rtcall_fn(void *arg, sdc_error_t *err);
/* Runs on the loop thread once fn has returned; owns arg.  req is the
 * request given to rtcall_start, or NULL when there was none or its
 * client has gone: the call's effect is then recorded all the same. */
typedef void rtcall_done_fn(void *arg, struct http_request *req, int rc,
    sdc_error_t *err);

/* Runs on the loop thread every tick_ms while fn runs, its client still
 * there (req never NULL): tells it how far fn has got, from what fn
 * leaves in arg for other threads to read (atomics). */
typedef void rtcall_tick_fn(void *arg, struct http_request *req);

/* Run fn(arg) off the loop and done(arg, ...) on it afterwards.  what
 * names the call in the log ("pause") and its thread.  On failure
 * nothing was started (arg is still the caller's). */
int rtcall_start(struct event_base *base, struct http_request *req,
    const char *what, rtcall_fn *fn, rtcall_done_fn *done, void *arg,
    sdc_error_t *err);
/* The same, with tick(arg, req) every tick_ms until fn's end. */
int rtcall_start_ticking(struct event_base *base, struct http_request *req,
    const char *what, rtcall_fn *fn, rtcall_tick_fn *tick, int tick_ms,
    rtcall_done_fn *done, void *arg, sdc_error_t *err);
/* The same with no request, then a wait of up to wait_ms on the loop
 * thread for fn's end: 1 when it ended, done having run already; 0 when
 * it still runs (done runs on the loop later); -1 when nothing started. */
int rtcall_start_waiting(struct event_base *base, const char *what,
    rtcall_fn *fn, rtcall_done_fn *done, void *arg, int wait_ms,
    sdc_error_t *err);
/* At shutdown: forget every call; their threads finish on their own
 * (each is bounded by the runtime's timeout) and nothing is answered. */
void rtcall_cancel_all(void);

#endif
