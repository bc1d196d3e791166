/*
 * build.h: what the rest of dockerapi asks of the builder: its step
 * keys' table and the operators' view of an account's build cache
 * (build-cache.c).
 */
#ifndef DOCKERAPI_BUILD_H
#define DOCKERAPI_BUILD_H

#include <jansson.h>

#include "dockerapi.h"
#include "error.h"

/* Migrate the step keys' table; the images' removals take their keys
 * from now on (images_set_forget). */
int build_cache_init(struct dockerapi *d, sdc_error_t *err);
/* Drop every step key of the account (its removal). */
int build_cache_remove_account(struct dockerapi *d, const char *account,
    sdc_error_t *err);
/* {Keys, Images, Bytes}: the account's step cache. */
int build_cache_usage(struct dockerapi *d, const char *account, json_t **out,
    sdc_error_t *err);
/* Drop the account's cache keys and the untagged images they name that
 * no container uses: {KeysDeleted, ImagesDeleted, SpaceReclaimed}. */
int build_cache_prune(struct dockerapi *d, const char *account, json_t **out,
    sdc_error_t *err);

#endif
