/*
 * schema.c: the small part of JSON Schema an application's
 * metadata_schema may use.
 *
 * type (a name or a list of names), properties, required, enum, items,
 * minimum and maximum cover what operators want to say about tunables:
 * this key is an integer of at least 0, that one is one of three strings,
 * these must be there.  Annotation
 * keywords (title, description, default, ...) are allowed and ignored; any
 * other keyword is refused when the schema is stored, so nobody writes a
 * "minimum" and believes it is enforced.
 *
 * Messages name the offending key by its path ("metadata.USE_TLS must be
 * boolean, not string"), since they go back to an operator as they are.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonutil.h"
#include "sapi.h"
#include "xalloc.h"

static const char *const sapi_schema_types[] = {
	"object", "array", "string", "integer", "number", "boolean", "null", NULL
};

static const char *const sapi_schema_ignored[] = {
	"$schema", "$id", "$comment", "title", "description", "default",
	"examples", NULL
};

static bool
sapi_schema_in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static int
sapi_schema_fail(sdc_error_t *err, const char *path, const char *what)
{
	return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT, "%s%s%s",
	    path, *path != '\0' ? ": " : "", what);
}

static int sapi_schema_check_at(const json_t *schema, struct buf *path,
    sdc_error_t *err);

static int
sapi_schema_check_type(const json_t *t, const char *path, sdc_error_t *err)
{
	size_t i;
	json_t *e;

	if (json_is_string(t))
		return sapi_schema_in(sapi_schema_types, json_string_value(t)) ?
		    0 : sapi_schema_fail(err, path, "unknown type");
	if (!json_is_array(t) || json_array_size(t) == 0)
		return sapi_schema_fail(err, path,
		    "type must be a type name or a list of them");
	json_array_foreach(t, i, e)
		if (!json_is_string(e) ||
		    !sapi_schema_in(sapi_schema_types, json_string_value(e)))
			return sapi_schema_fail(err, path, "unknown type");
	return 0;
}

static int
sapi_schema_check_properties(const json_t *props, struct buf *path,
    sdc_error_t *err)
{
	size_t len = path->len;
	const char *k;
	json_t *v;

	if (!json_is_object(props))
		return sapi_schema_fail(err, buf_str(path),
		    "properties must be an object");
	json_object_foreach((json_t *)props, k, v) {
		buf_printf(path, "%s%s", len > 0 ? "." : "", k);
		if (sapi_schema_check_at(v, path, err) < 0)
			return -1;
		path->len = len;
		path->data[len] = '\0';
	}
	return 0;
}

static int
sapi_schema_check_at(const json_t *schema, struct buf *path, sdc_error_t *err)
{
	const char *k;
	json_t *v, *e;
	size_t i;

	if (!json_is_object(schema))
		return sapi_schema_fail(err, buf_str(path),
		    "a schema must be an object");
	json_object_foreach((json_t *)schema, k, v) {
		if (strcmp(k, "type") == 0) {
			if (sapi_schema_check_type(v, buf_str(path), err) < 0)
				return -1;
		} else if (strcmp(k, "properties") == 0) {
			if (sapi_schema_check_properties(v, path, err) < 0)
				return -1;
		} else if (strcmp(k, "items") == 0) {
			if (sapi_schema_check_at(v, path, err) < 0)
				return -1;
		} else if (strcmp(k, "required") == 0) {
			if (!json_is_array(v))
				return sapi_schema_fail(err, buf_str(path),
				    "required must be a list of key names");
			json_array_foreach(v, i, e)
				if (!json_is_string(e))
					return sapi_schema_fail(err,
					    buf_str(path), "required must be "
					    "a list of key names");
		} else if (strcmp(k, "enum") == 0) {
			if (!json_is_array(v) || json_array_size(v) == 0)
				return sapi_schema_fail(err, buf_str(path),
				    "enum must be a non-empty list");
		} else if (strcmp(k, "minimum") == 0 ||
		    strcmp(k, "maximum") == 0) {
			if (!json_is_number(v))
				return sapi_schema_fail(err, buf_str(path),
				    "minimum and maximum must be numbers");
		} else if (!sapi_schema_in(sapi_schema_ignored, k)) {
			char *msg;
			int rc;

			xasprintf(&msg, "unsupported keyword \"%s\" (supported: "
			    "type, properties, required, enum, items, minimum, maximum)", k);
			rc = sapi_schema_fail(err, buf_str(path), msg);
			free(msg);
			return rc;
		}
	}
	return 0;
}

int
sapi_schema_check(const json_t *schema, sdc_error_t *err)
{
	struct buf path = BUF_INIT;
	int rc;

	rc = sapi_schema_check_at(schema, &path, err);
	buf_free(&path);
	return rc;
}

/* --- validation --- */

static bool
sapi_schema_is_type(const json_t *v, const char *t)
{
	if (strcmp(t, "object") == 0)
		return json_is_object(v);
	if (strcmp(t, "array") == 0)
		return json_is_array(v);
	if (strcmp(t, "string") == 0)
		return json_is_string(v);
	if (strcmp(t, "integer") == 0)
		return json_is_integer(v) || (json_is_real(v) &&
		    floor(json_real_value(v)) == json_real_value(v));
	if (strcmp(t, "number") == 0)
		return json_is_number(v);
	if (strcmp(t, "boolean") == 0)
		return json_is_boolean(v);
	if (strcmp(t, "null") == 0)
		return json_is_null(v);
	return false;
}

static int
sapi_schema_type_ok(const json_t *t, const json_t *v, const char *path,
    sdc_error_t *err)
{
	struct buf want = BUF_INIT;
	size_t i;
	json_t *e;
	int rc;

	if (t == NULL)
		return 0;
	if (json_is_string(t)) {
		if (sapi_schema_is_type(v, json_string_value(t)))
			return 0;
		buf_puts(&want, json_string_value(t));
	} else {
		json_array_foreach(t, i, e) {
			if (sapi_schema_is_type(v, json_string_value(e))) {
				buf_free(&want);
				return 0;
			}
			buf_printf(&want, "%s%s", i > 0 ? " or " : "",
			    json_string_value(e));
		}
	}
	rc = sdc_make_error_code(err, SAPI_E_SCHEMA, "%s must be %s, not %s",
	    path, buf_str(&want), json_type_name(v));
	buf_free(&want);
	return rc;
}

static int
sapi_schema_enum_ok(const json_t *en, const json_t *v, const char *path,
    sdc_error_t *err)
{
	char *text;
	size_t i;
	json_t *e;

	if (en == NULL)
		return 0;
	json_array_foreach(en, i, e)
		if (json_equal(e, (json_t *)v))
			return 0;
	text = json_text(en);
	sdc_make_error_code(err, SAPI_E_SCHEMA, "%s must be one of %s",
	    path, text);
	free(text);
	return -1;
}

/* minimum and maximum, inclusive, for numbers; other types pass (type
 * says what a value must be). */
static int
sapi_schema_range_ok(const json_t *schema, const json_t *v, const char *path,
    sdc_error_t *err)
{
	const json_t *min = json_object_get(schema, "minimum");
	const json_t *max = json_object_get(schema, "maximum");
	char *text;
	int rc = 0;

	if (!json_is_number(v))
		return 0;
	if ((min != NULL && json_number_value(v) < json_number_value(min)) ||
	    (max != NULL && json_number_value(v) > json_number_value(max))) {
		text = json_text(v);
		if (min != NULL && max != NULL)
			rc = sdc_make_error_code(err, SAPI_E_SCHEMA, "%s must be "
			    "from %g to %g, not %s", path, json_number_value(min),
			    json_number_value(max), text);
		else if (min != NULL)
			rc = sdc_make_error_code(err, SAPI_E_SCHEMA, "%s must be "
			    "at least %g, not %s", path, json_number_value(min),
			    text);
		else
			rc = sdc_make_error_code(err, SAPI_E_SCHEMA, "%s must be "
			    "at most %g, not %s", path, json_number_value(max),
			    text);
		free(text);
	}
	return rc;
}

static int sapi_schema_validate_at(const json_t *schema, const json_t *v,
    struct buf *path, sdc_error_t *err);

static int
sapi_schema_object_ok(const json_t *schema, const json_t *v, struct buf *path,
    sdc_error_t *err)
{
	const json_t *req = json_object_get(schema, "required");
	const json_t *props = json_object_get(schema, "properties");
	size_t i, len = path->len;
	const char *k;
	json_t *e;

	if (!json_is_object(v))
		return 0;
	json_array_foreach(req, i, e)
		if (json_object_get(v, json_string_value(e)) == NULL)
			return sdc_make_error_code(err, SAPI_E_SCHEMA,
			    "%s is missing the required key %s", buf_str(path),
			    json_string_value(e));
	json_object_foreach((json_t *)props, k, e) {
		const json_t *val = json_object_get(v, k);

		if (val == NULL)
			continue;
		buf_printf(path, ".%s", k);
		if (sapi_schema_validate_at(e, val, path, err) < 0)
			return -1;
		path->len = len;
		path->data[len] = '\0';
	}
	return 0;
}

static int
sapi_schema_array_ok(const json_t *items, const json_t *v, struct buf *path,
    sdc_error_t *err)
{
	size_t i, len = path->len;
	json_t *e;

	if (items == NULL || !json_is_array(v))
		return 0;
	json_array_foreach(v, i, e) {
		buf_printf(path, "[%zu]", i);
		if (sapi_schema_validate_at(items, e, path, err) < 0)
			return -1;
		path->len = len;
		path->data[len] = '\0';
	}
	return 0;
}

static int
sapi_schema_validate_at(const json_t *schema, const json_t *v,
    struct buf *path, sdc_error_t *err)
{
	if (sapi_schema_type_ok(json_object_get(schema, "type"), v,
	    buf_str(path), err) < 0 ||
	    sapi_schema_enum_ok(json_object_get(schema, "enum"), v,
	    buf_str(path), err) < 0 ||
	    sapi_schema_range_ok(schema, v, buf_str(path), err) < 0 ||
	    sapi_schema_object_ok(schema, v, path, err) < 0 ||
	    sapi_schema_array_ok(json_object_get(schema, "items"), v, path,
	    err) < 0)
		return -1;
	return 0;
}

int
sapi_schema_validate(const json_t *schema, const json_t *value,
    sdc_error_t *err)
{
	struct buf path = BUF_INIT;
	int rc;

	buf_puts(&path, "metadata");
	rc = sapi_schema_validate_at(schema, value, &path, err);
	buf_free(&path);
	return rc;
}
