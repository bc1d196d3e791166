/*
 * labels.c: container labels, checked against the reserved namespaces.
 *
 * A label under one of RESERVED_LABEL_NAMESPACES ("triton.", "com.joyent.")
 * means something to the system, so it must be one RESERVED_LABELS
 * defines, with a value of the type given there; anything else there is
 * refused with Triton's wording, naming the label.  Every other label is
 * the user's, kept as given and filterable.  Both lists are tunables, so
 * an operator defining a new label needs no new binary.
 *
 * Reserved labels steer provisioning (com.joyent.package picks the
 * package), so they come from the request alone: api/containers-create.c
 * drops the image's reserved labels when it merges the image's labels in,
 * and an image built elsewhere cannot choose its own package.
 */
#include <string.h>

#include "containers.h"
#include "jsonutil.h"

bool
labels_reserved(struct dockerapi *d, const char *key)
{
	const json_t *ns = json_object_get(tunables_get(d),
	    "RESERVED_LABEL_NAMESPACES");
	const json_t *v;
	const char *p;
	size_t i;

	json_array_foreach(ns, i, v)
		if ((p = json_string_value(v)) != NULL && *p != '\0' &&
		    strncmp(key, p, strlen(p)) == 0)
			return true;
	return false;
}

static int
labels_check_type(const char *key, const char *type, const char *value,
    sdc_error_t *err)
{
	if (strcmp(type, "boolean") == 0 && strcmp(value, "true") != 0 &&
	    strcmp(value, "false") != 0)
		return sdc_make_error_code(err, 422, "invalid label: special "
		    "triton tag \"%s\" value must be a boolean (\"true\" or "
		    "\"false\"): \"%s\"", key, value);
	if (strcmp(type, "string") == 0 && *value == '\0')
		return sdc_make_error_code(err, 422, "invalid label: special "
		    "triton tag \"%s\" value must be a non-empty string", key);
	return 0;
}

int
labels_validate(struct dockerapi *d, const json_t *labels, sdc_error_t *err)
{
	const json_t *defined = json_object_get(tunables_get(d),
	    "RESERVED_LABELS");
	const char *key, *type;
	json_t *v;

	if (labels == NULL || json_is_null(labels))
		return 0;
	if (!json_is_object(labels))
		return sdc_make_error_code(err, 400, "Labels must be an object");
	json_object_foreach((json_t *)labels, key, v) {
		if (!json_is_string(v))
			return sdc_make_error_code(err, 400, "invalid label: "
			    "the value of \"%s\" must be a string", key);
		if (!labels_reserved(d, key))
			continue;
		type = json_str(defined, key, NULL);
		if (type == NULL)
			return sdc_make_error_code(err, 422, "invalid label: "
			    "Unrecognized special triton tag \"%s\"", key);
		if (labels_check_type(key, type, json_string_value(v), err) < 0)
			return -1;
	}
	return 0;
}

bool
labels_match(const json_t *labels, const char *filter)
{
	const char *eq = strchr(filter, '=');
	const char *v;
	char key[256];

	if (eq == NULL)
		return json_object_get(labels, filter) != NULL;
	snprintf(key, sizeof key, "%.*s", (int)(eq - filter), filter);
	v = json_str(labels, key, NULL);
	return v != NULL && strcmp(v, eq + 1) == 0;
}
