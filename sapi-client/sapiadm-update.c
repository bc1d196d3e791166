/*
 * sapiadm-update.c: `sapiadm update UUID [FIELD.KEY=VALUE ...]`.
 *
 * Each assignment sets one key of params, metadata or manifests (or, with
 * no dot, a top-level field such as name).  A VALUE that parses as JSON is
 * taken as JSON (42, true, [1,2], {"a":1}, "quoted"), anything else as a
 * string, so `metadata.USE_TLS=false` is a boolean and
 * `metadata.datacenter_name=us-east-1` a string.  With --action delete the
 * assignments name keys only.  With no assignments the whole body, as SAPI
 * takes it, is read from stdin.  --if-match VERSION makes the write fail
 * (412) if someone else changed the object since VERSION was read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonutil.h"
#include "sapiadm.h"
#include "xalloc.h"

static json_t *
sapiadm_update_value(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	return v != NULL ? v : json_string(text);
}

/* Add "FIELD.KEY=VALUE" (or "FIELD.KEY" when deleting) to body. */
static int
sapiadm_update_assign(json_t *body, const char *arg, bool deleting)
{
	const char *eq = strchr(arg, '='), *dot = strchr(arg, '.');
	size_t keylen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	char field[16], *key;
	json_t *map, *value;

	if (dot == NULL || dot > arg + keylen) {        /* a top-level field */
		if (eq == NULL || deleting)
			return -1;
		key = xstrndup(arg, keylen);
		json_object_set_new(body, key, sapiadm_update_value(eq + 1));
		free(key);
		return 0;
	}
	if ((size_t)(dot - arg) >= sizeof field || dot + 1 == arg + keylen ||
	    (eq == NULL && !deleting))
		return -1;
	snprintf(field, sizeof field, "%.*s", (int)(dot - arg), arg);
	if (strcmp(field, "metadata") != 0 && strcmp(field, "params") != 0 &&
	    strcmp(field, "manifests") != 0)
		return -1;
	if ((map = json_object_get(body, field)) == NULL) {
		map = json_object();
		json_object_set_new(body, field, map);
	}
	key = xstrndup(dot + 1, (size_t)(arg + keylen - dot - 1));
	value = deleting ? json_null() : sapiadm_update_value(eq + 1);
	json_object_set_new(map, key, value);
	free(key);
	return 0;
}

static json_t *
sapiadm_update_stdin(sdc_error_t *err)
{
	json_error_t je;
	json_t *body;

	if ((body = json_loadf(stdin, 0, &je)) == NULL) {
		sdc_make_error(err, 0, "stdin: line %d: %s", je.line, je.text);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		sdc_make_error(err, 0, "stdin: expected a JSON object");
		return NULL;
	}
	return body;
}

static int
sapiadm_update(struct sapiadm *a, int argc, char **argv)
{
	bool deleting = a->action != NULL && strcmp(a->action, "delete") == 0;
	enum sapi_object kind;
	sdc_error_t err = NULL;
	json_t *body, *obj;
	int i;

	if (argc < 1 || (argc == 1 && isatty(0)))
		return SAPIADM_USAGE;
	if (argc == 1) {
		if ((body = sapiadm_update_stdin(&err)) == NULL)
			return sapiadm_fail(&err);
	} else {
		body = json_object();
		for (i = 1; i < argc; i++) {
			if (sapiadm_update_assign(body, argv[i], deleting) < 0) {
				fprintf(stderr, "sapiadm: \"%s\": expected "
				    "metadata.KEY=VALUE (params., manifests. "
				    "too)%s\n", argv[i], deleting ?
				    " or metadata.KEY" : "");
				json_decref(body);
				return SAPIADM_USAGE;
			}
		}
	}
	if (a->action != NULL)
		json_object_set_new(body, "action", json_string(a->action));
	if ((obj = sapiadm_find(a, argv[0], &kind, &err)) == NULL) {
		json_decref(body);
		return sapiadm_fail(&err);
	}
	json_decref(obj);
	obj = sapi_client_update(a->c, kind, argv[0], body, a->if_match, &err);
	json_decref(body);
	if (obj == NULL)
		return sapiadm_fail(&err);
	if (a->json)
		sapiadm_print(a, obj);
	json_decref(obj);
	return SAPIADM_OK;
}

const struct sapiadm_cmd sapiadm_update_cmd = {
	"update",
	"UUID [--action update|replace|delete] [--if-match VERSION] "
	"[metadata.KEY=VALUE ...]",
	"change an object; with no KEY=VALUE the body is read from stdin",
	sapiadm_update
};
