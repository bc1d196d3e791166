/*
 * jsonutil.h: the few things jansson leaves to every caller.
 *
 * Typed getters return a fallback instead of failing, for reading optional
 * fields; the *_req forms fill an error that names the field and the type it
 * should have had, for validating input from clients.
 */
#ifndef SDC_JSONUTIL_H
#define SDC_JSONUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "buf.h"
#include "error.h"

/* Parse text; an error names the line and column. */
json_t *json_parse(const char *text, size_t len, sdc_error_t *err);
/* Compact text, keys in insertion order; never NULL. Free with free(). */
char *json_text(const json_t *value);
void json_append(struct buf *b, const json_t *value);

const char *json_str(const json_t *obj, const char *key, const char *fallback);
json_int_t json_int(const json_t *obj, const char *key, json_int_t fallback);
bool json_bool(const json_t *obj, const char *key, bool fallback);

/* Required/typed field: -1 with "KEY must be a string" etc. */
int json_str_req(const json_t *obj, const char *key, const char **out, sdc_error_t *err);
int json_int_req(const json_t *obj, const char *key, json_int_t *out, sdc_error_t *err);

/* A JSON string of s even when s is not valid UTF-8 (jansson refuses
 * those): each byte that does not start a well-formed UTF-8 sequence
 * becomes U+FFFD, as Go's encoding/json writes it. Never NULL. */
json_t *json_string_lossy(const char *s);
/* The JSON type's name ("object", "string", ...), for messages. */
const char *json_type_name(const json_t *value);

#endif
