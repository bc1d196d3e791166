/*
 * heads.h: several dockerapi processes (heads) serving one PostgreSQL
 * store (heads-sync.c).  On SQLite there is one head per store file, and
 * every call here does nothing.
 */
#ifndef DOCKERAPI_HEADS_H
#define DOCKERAPI_HEADS_H

#include <stdbool.h>
#include <jansson.h>

#include "dockerapi.h"

struct ctr;

/* Before the containers are loaded: on PostgreSQL the change log's
 * tables and the point the load starts from; on SQLite the store file's
 * head lock (409-style refusal naming the other head's store). */
int heads_sync_init(struct dockerapi *d, sdc_error_t *err);
/* After the containers are loaded: hear the other heads. */
void heads_sync_start(struct dockerapi *d);
void heads_sync_free(struct dockerapi *d);
/* Apply what the other heads changed since the last call (one query
 * when nothing did): before each request, so a client that was answered
 * by one head finds the change at the next. */
void heads_sync_catch_up(struct dockerapi *d);
/* This head changed container c (its row or its state): the others
 * reload it, and take its restart policy's count. */
void heads_changed(struct dockerapi *d, const struct ctr *c);
/* The change rows the store did not take (it was away), written now if
 * it answers: before the events that waited with them are sent. */
void heads_changed_owed(struct dockerapi *d);
/* A running container's exit, seen by every head that watches it: true
 * for exactly one of them, which then reacts (die, the restart policy,
 * AutoRemove), with the row's stopped_by_user and removing read again
 * into c (a stop or rm made through another head). */
bool heads_exit_mine(struct dockerapi *d, struct ctr *c);

/* Exec instances (exec.c): one made here, for the other heads; another
 * head's (0, with the container's id and the create body to free, and
 * whether it was started; -1: none); and this head starting one (false
 * when another head started it already).  On SQLite: nothing, -1, true. */
void heads_exec_created(struct dockerapi *d, const char *id,
    const char *container, const json_t *config);
int heads_exec_get(struct dockerapi *d, const char *id, char **container,
    json_t **config, bool *started);
bool heads_exec_start(struct dockerapi *d, const char *id);

#endif
