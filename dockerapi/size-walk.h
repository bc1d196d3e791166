/*
 * size-walk.h: writable layers' and volumes' sizes measured off the loop
 * (size-walk.c).
 */
#ifndef DOCKERAPI_SIZE_WALK_H
#define DOCKERAPI_SIZE_WALK_H

#include <stdint.h>

#include "error.h"

struct containers;
struct event_base;
struct http_request;
struct size_walk;

/* On the loop: sizes[i] is the i-th item added (bytes; a volume that
 * could not be measured -1).  req is NULL when the client has gone.
 * Frees nothing of arg. */
typedef void size_walk_done_fn(void *arg, struct http_request *req,
    const int64_t *sizes);

struct size_walk *size_walk_new(struct containers *cs);
/* A container's writable layer, by its uuid. */
void size_walk_add_rw(struct size_walk *w, const char *uuid);
/* The same for a container recorded on node_id (NULL or "": here): on a
 * node behind an agent it is that node's to measure.  On the loop. */
void size_walk_add_rw_on(struct size_walk *w, const char *uuid,
    const char *node_id);
/* A volume's folder (taken, freed with the walk). */
void size_walk_add_dir(struct size_walk *w, char *dir);
/* Walk on a thread, then done on the loop; the walk is freed after done
 * (and on failure, when done is not called). */
int size_walk_start(struct size_walk *w, struct event_base *base,
    struct http_request *req, size_walk_done_fn *done, void *arg,
    sdc_error_t *err);

#endif
