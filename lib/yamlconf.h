/*
 * yamlconf.h: a daemon's YAML config file, read into a jansson tree.
 *
 * Reading YAML into the same JSON values the rest of the code already
 * handles keeps one way of walking configuration.  Plain scalars become
 * null, booleans, integers and reals where YAML 1.2's core schema says so
 * (null, true/false, 12, 1.5), everything else and every quoted scalar a
 * string.  Anchors and aliases are refused, which keeps a config file from
 * exploding in size.
 */
#ifndef SDC_YAMLCONF_H
#define SDC_YAMLCONF_H

#include <jansson.h>

#include "error.h"

/* The document's top value; an error names the file, line and column. */
json_t *yaml_load_file(const char *path, sdc_error_t *err);
json_t *yaml_load_string(const char *text, size_t len, sdc_error_t *err);

/* A daemon's settings file: a YAML mapping (an empty file: no settings),
 * each key and value handed to set in the file's order; anything else, or
 * the first error set gives, fails with the path named. */
typedef int (*yaml_setting_fn)(void *arg, const char *key, const json_t *v,
    sdc_error_t *err);
int yaml_load_settings(const char *path, yaml_setting_fn set, void *arg,
    sdc_error_t *err);

#endif
