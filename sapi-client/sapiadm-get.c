/*
 * sapiadm-get.c: `sapiadm get UUID`: print any object by its uuid.
 *
 * SAPI's routes are per kind, so the kinds are tried in turn, as Triton's
 * sapiadm did; a uuid names one object whatever its kind.
 */
#include "sapiadm.h"

static int
sapiadm_get(struct sapiadm *a, int argc, char **argv)
{
	enum sapi_object kind;
	sdc_error_t err = NULL;
	json_t *obj;

	if (argc != 1)
		return SAPIADM_USAGE;
	if ((obj = sapiadm_find(a, argv[0], &kind, &err)) == NULL)
		return sapiadm_fail(&err);
	sapiadm_print(a, obj);
	json_decref(obj);
	return SAPIADM_OK;
}

const struct sapiadm_cmd sapiadm_get_cmd = {
	"get", "UUID", "print the application, service, instance or manifest",
	sapiadm_get
};
