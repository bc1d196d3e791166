/*
 * netns.h: run a function inside a network namespace, on a short thread.
 *
 * setns(CLONE_NEWNET) changes the calling thread only, so a thread made
 * for the purpose joins the namespace, runs the function and ends: the
 * caller's thread (a daemon's event loop) never changes namespace, and
 * nothing is left to switch back on an error path.  What the function
 * makes there stays there: a socket belongs to the namespace it was
 * created in, a sysfs mount shows that namespace's links.
 */
#ifndef SDC_NETNS_H
#define SDC_NETNS_H

#include "error.h"

/* Open path (a bound namespace, /proc/PID/ns/net), join it on a new
 * thread, run fn(arg, err) there and wait for it.  -1 when the namespace
 * cannot be joined (err names path) or when fn returns -1 (its err). */
int netns_run(const char *path, int (*fn)(void *arg, sdc_error_t *err),
    void *arg, sdc_error_t *err);

#endif
