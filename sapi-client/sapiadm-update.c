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
		if ((body = sapiadm_read_body(&err)) == NULL)
			return sapiadm_fail(&err);
	} else {
		body = json_object();
		for (i = 1; i < argc; i++) {
			if (sapiadm_assign(body, argv[i], deleting) < 0) {
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
