/*
 * tree-remove.h: a folder removed off the loop thread (tree-remove.c).
 */
#ifndef DOCKERAPI_TREE_REMOVE_H
#define DOCKERAPI_TREE_REMOVE_H

#include "error.h"

struct event_base;

/* On the loop once the folder is gone (rc 0) or could not all be removed
 * (rc -1, err says why; err is released after done returns). */
typedef void tree_removed_fn(void *arg, int rc, sdc_error_t *err);

/* Remove path (taken, freed when done) and all below it on a thread;
 * done (or NULL: a failure is logged) runs on the loop afterwards.
 * Without a thread the folder is removed here, before this returns, and
 * done is called all the same. */
void tree_remove_async(struct event_base *base, char *path,
    tree_removed_fn *done, void *arg);

#endif
