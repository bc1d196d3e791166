/*
 * sapiadm-create.c: `sapiadm create KIND [KEY=VALUE | FIELD.KEY=VALUE
 * ...]`: a new object, from assignments as update takes them
 * (`name=docker application_uuid=... metadata.X=1`) or, with none, from a
 * JSON body on stdin.  Prints the new uuid, or the object with --json.
 */
#include <stdio.h>
#include <unistd.h>

#include "jsonutil.h"
#include "sapiadm.h"

static int
sapiadm_create(struct sapiadm *a, int argc, char **argv)
{
	enum sapi_object kind;
	sdc_error_t err = NULL;
	json_t *body, *obj;
	int i;

	if (argc < 1 || sapiadm_kind(argv[0], &kind) < 0 ||
	    (argc == 1 && isatty(0)))
		return SAPIADM_USAGE;
	if (argc == 1) {
		if ((body = sapiadm_read_body(&err)) == NULL)
			return sapiadm_fail(&err);
	} else {
		body = json_object();
		for (i = 1; i < argc; i++) {
			if (sapiadm_assign(body, argv[i], false) < 0) {
				fprintf(stderr, "sapiadm: \"%s\": expected "
				    "KEY=VALUE or metadata.KEY=VALUE\n", argv[i]);
				json_decref(body);
				return SAPIADM_USAGE;
			}
		}
	}
	obj = sapi_client_create(a->c, kind, body, &err);
	json_decref(body);
	if (obj == NULL)
		return sapiadm_fail(&err);
	if (a->json)
		sapiadm_print(a, obj);
	else
		printf("%s\n", json_str(obj, "uuid", ""));
	json_decref(obj);
	return SAPIADM_OK;
}

const struct sapiadm_cmd sapiadm_create_cmd = {
	"create", "KIND [KEY=VALUE | metadata.KEY=VALUE ...]",
	"create an object; with no KEY=VALUE the body is read from stdin",
	sapiadm_create
};
