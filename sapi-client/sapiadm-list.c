/*
 * sapiadm-list.c: `sapiadm list KIND [FILTER=VALUE ...]`: the objects of
 * one kind, one a line (name, uuid, type, version), or the array as SAPI
 * returns it (--json).  The filters are the service's own: name,
 * application_uuid, service_uuid, type, owner_uuid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "sapiadm.h"
#include "xalloc.h"

static int
sapiadm_list(struct sapiadm *a, int argc, char **argv)
{
	enum sapi_object kind;
	sdc_error_t err = NULL;
	const char **filters;
	json_t *list, *o;
	char *eq;
	size_t i;
	int n = 0, k;

	if (argc < 1 || sapiadm_kind(argv[0], &kind) < 0)
		return SAPIADM_USAGE;
	filters = xcalloc(2 * (size_t)argc + 1, sizeof *filters);
	for (k = 1; k < argc; k++) {
		if ((eq = strchr(argv[k], '=')) == NULL || eq == argv[k]) {
			free(filters);
			return SAPIADM_USAGE;
		}
		*eq = '\0';
		filters[n++] = argv[k];
		filters[n++] = eq + 1;
	}
	list = sapi_client_list(a->c, kind, filters, &err);
	free(filters);
	if (list == NULL)
		return sapiadm_fail(&err);
	if (a->json) {
		sapiadm_print(a, list);
	} else {
		json_array_foreach(list, i, o)
			printf("%-20s %s  %-5s %lld\n", json_str(o, "name", ""),
			    json_str(o, "uuid", ""), json_str(o, "type", "-"),
			    (long long)json_int(o, "version", 0));
	}
	json_decref(list);
	return SAPIADM_OK;
}

const struct sapiadm_cmd sapiadm_list_cmd = {
	"list", "KIND [FILTER=VALUE ...]",
	"list applications, services, instances or manifests",
	sapiadm_list
};
