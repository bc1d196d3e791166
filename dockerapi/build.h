/*
 * build.h: what the rest of dockerapi asks of the builder: the
 * operators' view of an account's build cache (build-cache.c).
 */
#ifndef DOCKERAPI_BUILD_H
#define DOCKERAPI_BUILD_H

#include <jansson.h>

#include "dockerapi.h"
#include "error.h"

/* {Keys, Images, Bytes}: the account's step cache. */
int build_cache_usage(struct dockerapi *d, const char *account, json_t **out,
    sdc_error_t *err);
/* Drop the account's cache keys and the untagged images they name that
 * no container uses: {KeysDeleted, ImagesDeleted, SpaceReclaimed}. */
int build_cache_prune(struct dockerapi *d, const char *account, json_t **out,
    sdc_error_t *err);

#endif
