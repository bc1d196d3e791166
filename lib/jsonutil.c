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

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), 0 if none. */
static size_t
json_utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

json_t *
json_string_lossy(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b = BUF_INIT;
	json_t *out;
	size_t n;

	if ((out = json_string(s)) != NULL)
		return out;
	while (*p != '\0') {
		if ((n = json_utf8_seq(p)) == 0) {
			buf_append(&b, "\xef\xbf\xbd", 3);
			p++;
		} else {
			buf_append(&b, p, n);
			p += n;
		}
	}
	out = json_stringn(b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
	return out != NULL ? out : json_string("");
}
