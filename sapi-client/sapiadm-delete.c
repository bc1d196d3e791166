/*
 * sapiadm-delete.c: `sapiadm delete UUID [--if-match VERSION]`.  The
 * service refuses to delete an application that still has services, or a
 * service that still has instances (409 InUse): delete from the bottom up.
 */
#include "sapiadm.h"

static int
sapiadm_delete(struct sapiadm *a, int argc, char **argv)
{
	enum sapi_object kind;
	sdc_error_t err = NULL;
	json_t *obj;

	if (argc != 1)
		return SAPIADM_USAGE;
	if ((obj = sapiadm_find(a, argv[0], &kind, &err)) == NULL)
		return sapiadm_fail(&err);
	json_decref(obj);
	if (sapi_client_delete(a->c, kind, argv[0], a->if_match, &err) < 0)
		return sapiadm_fail(&err);
	return SAPIADM_OK;
}

const struct sapiadm_cmd sapiadm_delete_cmd = {
	"delete", "UUID [--if-match VERSION]",
	"delete an object (its children first)", sapiadm_delete
};
