/*
 * update.c: what a PUT does to an object, in SAPI's terms.
 *
 * The three maps (params, metadata, manifests) change by action: `update`
 * sets the keys given, `replace` swaps the whole map, `delete` removes the
 * keys named (by an object's keys, whose values are ignored, or by an array
 * of names).  All of it is shallow: a key whose value is an object is set
 * or removed as a whole, never merged into, which is what Triton's SAPI did
 * and what makes the result easy to predict.  The few scalar fields that
 * may change are set by update and replace alike.
 *
 * The body is checked completely before obj is touched, so a refused PUT
 * leaves the object as it was.
 */
#include <string.h>

#include "ids.h"
#include "jsonutil.h"
#include "sapi.h"

enum sapi_action { ACT_UPDATE, ACT_REPLACE, ACT_DELETE };

static const char *const sapi_update_maps[] = {
	"params", "metadata", "manifests", NULL
};

static int
sapi_update_action(const json_t *body, enum sapi_action *act, sdc_error_t *err)
{
	const json_t *a = json_object_get(body, "action");
	const char *s;

	*act = ACT_UPDATE;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_string(a))
		return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
		    "action must be a string");
	s = json_string_value(a);
	if (strcmp(s, "update") == 0)
		*act = ACT_UPDATE;
	else if (strcmp(s, "replace") == 0)
		*act = ACT_REPLACE;
	else if (strcmp(s, "delete") == 0)
		*act = ACT_DELETE;
	else
		return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
		    "action must be one of update, replace, delete (not \"%s\")", s);
	return 0;
}

/* Manifests map a manifest's name to its uuid. */
static int
sapi_update_check_manifests(const json_t *map, sdc_error_t *err)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)map, k, v)
		if (!json_is_string(v) || !uuid_valid(json_string_value(v)))
			return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
			    "manifests.%s must be a manifest uuid", k);
	return 0;
}

static int
sapi_update_check_map(const char *field, const json_t *v,
    enum sapi_action act, sdc_error_t *err)
{
	size_t i;
	json_t *e;

	if (act == ACT_DELETE) {
		if (json_is_object(v))
			return 0;
		if (!json_is_array(v))
			return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
			    "%s must be an object or an array of key names "
			    "to delete", field);
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return sdc_make_error_code(err,
				    SAPI_E_INVALID_ARGUMENT, "%s[%zu] must be "
				    "a key name", field, i);
		return 0;
	}
	if (!json_is_object(v))
		return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
		    "%s must be an object, not %s", field, json_type_name(v));
	if (strcmp(field, "manifests") == 0)
		return sapi_update_check_manifests(v, err);
	return 0;
}

static int
sapi_update_check_scalars(enum sapi_kind kind, const json_t *body,
    enum sapi_action act, sdc_error_t *err)
{
	const json_t *v;

	v = json_object_get(body, "name");
	if (v != NULL && act != ACT_DELETE && (!json_is_string(v) ||
	    json_string_length(v) == 0))
		return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
		    "name must be a non-empty string");
	if (kind != SAPI_APPLICATION)
		return 0;
	v = json_object_get(body, "owner_uuid");
	if (v != NULL && act != ACT_DELETE && !json_is_string(v))
		return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
		    "owner_uuid must be a string");
	v = json_object_get(body, "metadata_schema");
	if (v != NULL && act != ACT_DELETE && !json_is_null(v) &&
	    sapi_schema_check(v, err) < 0)
		return sdc_error_wrap(err, "metadata_schema");
	return 0;
}

static void
sapi_update_map(json_t *obj, const char *field, const json_t *v,
    enum sapi_action act)
{
	json_t *map = json_object_get(obj, field), *e;
	const char *k;
	size_t i;

	if (!json_is_object(map)) {
		map = json_object();
		json_object_set_new(obj, field, map);
	}
	switch (act) {
	case ACT_UPDATE:
		json_object_foreach((json_t *)v, k, e)
			json_object_set_new(map, k, json_deep_copy(e));
		break;
	case ACT_REPLACE:
		json_object_set_new(obj, field, json_deep_copy(v));
		break;
	case ACT_DELETE:
		if (json_is_array(v)) {
			json_array_foreach(v, i, e)
				json_object_del(map, json_string_value(e));
		} else {
			json_object_foreach((json_t *)v, k, e)
				json_object_del(map, k);
		}
		break;
	}
}

static void
sapi_update_scalars(json_t *obj, enum sapi_kind kind, const json_t *body,
    enum sapi_action act)
{
	static const char *const fields[] = {
		"name", "owner_uuid", "metadata_schema", NULL
	};
	const json_t *v;
	int i;

	for (i = 0; fields[i] != NULL; i++) {
		if (i > 0 && kind != SAPI_APPLICATION)
			break;
		if ((v = json_object_get(body, fields[i])) == NULL)
			continue;
		if (act == ACT_DELETE || json_is_null(v)) {
			if (strcmp(fields[i], "metadata_schema") == 0)
				json_object_del(obj, fields[i]);
			continue;
		}
		json_object_set_new(obj, fields[i], json_deep_copy(v));
	}
}

int
sapi_update_apply(json_t *obj, enum sapi_kind kind, const json_t *body,
    sdc_error_t *err)
{
	enum sapi_action act;
	const json_t *v;
	int i;

	if (sapi_update_action(body, &act, err) < 0)
		return -1;
	for (i = 0; sapi_update_maps[i] != NULL; i++) {
		v = json_object_get(body, sapi_update_maps[i]);
		if (v != NULL && sapi_update_check_map(sapi_update_maps[i], v,
		    act, err) < 0)
			return -1;
	}
	if (sapi_update_check_scalars(kind, body, act, err) < 0)
		return -1;
	for (i = 0; sapi_update_maps[i] != NULL; i++) {
		v = json_object_get(body, sapi_update_maps[i]);
		if (v != NULL)
			sapi_update_map(obj, sapi_update_maps[i], v, act);
	}
	sapi_update_scalars(obj, kind, body, act);
	return 0;
}
