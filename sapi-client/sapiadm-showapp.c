/*
 * sapiadm-showapp.c: `sapiadm showapp NAME`: an application and what
 * hangs from it, as a tree for people or one JSON document (--json):
 * {"application": {...}, "services": [{..., "instances": [...]}]}.
 */
#include <stdio.h>

#include "jsonutil.h"
#include "sapiadm.h"

static json_t *
sapiadm_showapp_list(struct sapiadm *a, enum sapi_object kind,
    const char *field, const json_t *parent, sdc_error_t *err)
{
	const char *filters[] = { field, json_str(parent, "uuid", ""), NULL };

	return sapi_client_list(a->c, kind, filters, err);
}

static void
sapiadm_showapp_line(int depth, const json_t *o)
{
	const char *type = json_str(o, "type", NULL);

	printf("%*s%-20s %s%s%s\n", depth * 2, "", json_str(o, "name", ""),
	    json_str(o, "uuid", ""), type != NULL ? "  " : "",
	    type != NULL ? type : "");
}

static int
sapiadm_showapp_one(struct sapiadm *a, json_t *app, json_t *out,
    sdc_error_t *err)
{
	json_t *svcs, *svc, *insts, *inst;
	size_t i, j;

	if (!a->json)
		sapiadm_showapp_line(0, app);
	svcs = sapiadm_showapp_list(a, SAPI_OBJ_SERVICE, "application_uuid",
	    app, err);
	if (svcs == NULL)
		return -1;
	json_array_foreach(svcs, i, svc) {
		if (!a->json)
			sapiadm_showapp_line(1, svc);
		insts = sapiadm_showapp_list(a, SAPI_OBJ_INSTANCE,
		    "service_uuid", svc, err);
		if (insts == NULL) {
			json_decref(svcs);
			return -1;
		}
		json_array_foreach(insts, j, inst)
			if (!a->json)
				sapiadm_showapp_line(2, inst);
		json_object_set_new(svc, "instances", insts);
	}
	json_array_append_new(out, json_pack("{s:O, s:o}", "application", app,
	    "services", svcs));
	return 0;
}

static int
sapiadm_showapp(struct sapiadm *a, int argc, char **argv)
{
	const char *filters[] = { "name", NULL, NULL };
	sdc_error_t err = NULL;
	json_t *apps, *app, *out;
	size_t i;

	if (argc != 1)
		return SAPIADM_USAGE;
	filters[1] = argv[0];
	apps = sapi_client_list(a->c, SAPI_OBJ_APPLICATION, filters, &err);
	if (apps == NULL)
		return sapiadm_fail(&err);
	if (json_array_size(apps) == 0) {
		json_decref(apps);
		fprintf(stderr, "sapiadm: no application called %s\n", argv[0]);
		return SAPIADM_FAIL;
	}
	out = json_array();
	json_array_foreach(apps, i, app) {
		if (sapiadm_showapp_one(a, app, out, &err) < 0) {
			json_decref(out);
			json_decref(apps);
			return sapiadm_fail(&err);
		}
	}
	if (a->json)
		sapiadm_print(a, json_array_size(out) == 1 ?
		    json_array_get(out, 0) : out);
	json_decref(out);
	json_decref(apps);
	return SAPIADM_OK;
}

const struct sapiadm_cmd sapiadm_showapp_cmd = {
	"showapp", "NAME",
	"print the application NAME with its services and instances",
	sapiadm_showapp
};
