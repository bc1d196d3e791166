/*
 * jsonutil.c: see jsonutil.h.
 *
 * Output keeps jansson's insertion order (JSON_PRESERVE_ORDER) so that what
 * a client reads matches the order handlers built it in, which is what
 * Docker's own answers look like and what people diffing them expect.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "xalloc.h"

json_t *
json_parse(const char *text, size_t len, sdc_error_t *err)
{
	json_error_t jerr;
	json_t *v;

	v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		sdc_make_error_code(err, 400, "invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
	return v;
}

char *
json_text(const json_t *value)
{
	char *s = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	return s != NULL ? s : xstrdup("null");
}

static int
append_cb(const char *data, size_t len, void *arg)
{
	buf_append(arg, data, len);
	return 0;
}

void
json_append(struct buf *b, const json_t *value)
{
	json_dump_callback(value, append_cb, b,
	    JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

const char *
json_str(const json_t *obj, const char *key, const char *fallback)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : fallback;
}

json_int_t
json_int(const json_t *obj, const char *key, json_int_t fallback)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : fallback;
}

bool
json_bool(const json_t *obj, const char *key, bool fallback)
{
	json_t *v = json_object_get(obj, key);

	return json_is_boolean(v) ? json_is_true(v) : fallback;
}

int
json_str_req(const json_t *obj, const char *key, const char **out, sdc_error_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return sdc_make_error_code(err, 400, "%s is required", key);
	if (!json_is_string(v))
		return sdc_make_error_code(err, 400, "%s must be a string, not %s",
		    key, json_type_name(v));
	*out = json_string_value(v);
	return 0;
}

int
json_int_req(const json_t *obj, const char *key, json_int_t *out, sdc_error_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return sdc_make_error_code(err, 400, "%s is required", key);
	if (!json_is_integer(v))
		return sdc_make_error_code(err, 400, "%s must be an integer, not %s",
		    key, json_type_name(v));
	*out = json_integer_value(v);
	return 0;
}

const char *
json_type_name(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:  return "object";
	case JSON_ARRAY:   return "array";
	case JSON_STRING:  return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL:    return "number";
	case JSON_TRUE:
	case JSON_FALSE:   return "boolean";
	case JSON_NULL:    return "null";
	}
	return "unknown";
}
