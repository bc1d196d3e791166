/*
 * merge.c: an instance's config, and the schema that guards it.
 *
 * A config is the shallow merge of metadata along the instance's chain,
 * application first, then service, then instance, the last one setting a
 * key winning; manifests merge the same way by name and are then resolved
 * to the manifest objects.  Its ETag hashes the merged result only, in a
 * canonical form (sorted keys), so a write that does not change what an
 * instance sees (another service's metadata, a version bump with the same
 * values) does not wake that instance's watchers.
 *
 * The application's metadata_schema speaks about merged metadata, i.e. what
 * a consumer reads: after a write, every merged view under the object
 * written (the application itself, each service, each instance) must
 * satisfy it.  Required keys therefore belong in the application, where
 * the defaults live.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "sapi.h"
#include "xalloc.h"

json_t *
sapi_merge_maps(const json_t *a, const json_t *b, const json_t *c,
    const char *key)
{
	const json_t *chain[3] = { a, b, c };
	json_t *out = json_object(), *map;
	int i;

	for (i = 0; i < 3; i++) {
		if (chain[i] == NULL)
			continue;
		map = json_object_get(chain[i], key);
		if (json_is_object(map))
			json_object_update(out, map);
	}
	return out;
}

/* The parent of obj named by field, or NULL (with no error) when the
 * field is absent or the parent gone. */
static json_t *
sapi_merge_parent(struct sapi_model *m, const json_t *obj, const char *field,
    enum sapi_kind kind, sdc_error_t *err)
{
	const char *uuid;
	json_t *p;

	if (obj == NULL || (uuid = json_str(obj, field, NULL)) == NULL)
		return NULL;
	p = sapi_model_get(m, kind, uuid, err);
	if (p == NULL && *err != NULL && (*err)->code == SAPI_E_NOT_FOUND)
		sdc_error_release(err);
	return p;
}

static int
sapi_merge_chain(struct sapi_model *m, enum sapi_kind kind, const json_t *obj,
    json_t **app, json_t **svc, sdc_error_t *err)
{
	*app = *svc = NULL;
	if (kind == SAPI_APPLICATION) {
		*app = json_incref((json_t *)obj);
		return 0;
	}
	if (kind == SAPI_SERVICE)
		*svc = json_incref((json_t *)obj);
	else if (kind == SAPI_INSTANCE)
		*svc = sapi_merge_parent(m, obj, "service_uuid", SAPI_SERVICE,
		    err);
	else
		return 0;
	if (*err != NULL)
		return -1;
	*app = sapi_merge_parent(m, *svc, "application_uuid",
	    SAPI_APPLICATION, err);
	if (*err != NULL) {
		json_decref(*svc);
		*svc = NULL;
		return -1;
	}
	return 0;
}

static int
sapi_merge_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *
sapi_merge_manifests(struct sapi_model *m, const json_t *map, sdc_error_t *err)
{
	json_t *list = json_array(), *man;
	const char **names;
	const char *k;
	json_t *v;
	size_t n = 0, i;

	names = xcalloc(json_object_size(map) + 1, sizeof *names);
	json_object_foreach((json_t *)map, k, v)
		names[n++] = k;
	qsort(names, n, sizeof *names, sapi_merge_cmp);
	for (i = 0; i < n; i++) {
		v = json_object_get(map, names[i]);
		man = sapi_model_get(m, SAPI_MANIFEST, json_string_value(v), err);
		if (man != NULL) {
			json_array_append_new(list, man);
		} else if ((*err)->code == SAPI_E_NOT_FOUND) {
			sdc_error_release(err);   /* a deleted manifest */
		} else {
			json_decref(list);
			list = NULL;
			break;
		}
	}
	free(names);
	return list;
}

json_t *
sapi_merge_config(struct sapi_model *m, const char *instance_uuid,
    sdc_error_t *err)
{
	json_t *inst, *app, *svc, *md, *mans, *list, *cfg = NULL;

	if ((inst = sapi_model_get(m, SAPI_INSTANCE, instance_uuid, err)) == NULL)
		return NULL;
	if (sapi_merge_chain(m, SAPI_INSTANCE, inst, &app, &svc, err) < 0) {
		json_decref(inst);
		return NULL;
	}
	md = sapi_merge_maps(app, svc, inst, "metadata");
	mans = sapi_merge_maps(app, svc, inst, "manifests");
	list = sapi_merge_manifests(m, mans, err);
	if (list != NULL)
		cfg = json_pack("{s:o, s:o}", "metadata", md, "manifests", list);
	else
		json_decref(md);
	json_decref(mans);
	json_decref(inst);
	json_decref(svc);
	json_decref(app);
	return cfg;
}

char *
sapi_merge_etag(const json_t *config)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char *text, *etag;

	text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);
	EVP_Digest(text != NULL ? text : "", text != NULL ? strlen(text) : 0,
	    md, &mdlen, EVP_sha256(), NULL);
	free(text);
	if (mdlen > 16)
		mdlen = 16;
	etag = xmalloc(2 * mdlen + 3);
	etag[0] = '"';
	for (i = 0; i < mdlen; i++)
		snprintf(etag + 1 + 2 * i, 3, "%02x", md[i]);
	etag[1 + 2 * mdlen] = '"';
	etag[2 + 2 * mdlen] = '\0';
	return etag;
}

/* --- metadata_schema --- */

static int
sapi_merge_validate(const json_t *schema, const json_t *app, const json_t *svc,
    const json_t *inst, const json_t *who, sdc_error_t *err)
{
	json_t *md = sapi_merge_maps(app, svc, inst, "metadata");
	int rc;

	rc = sapi_schema_validate(schema, md, err);
	json_decref(md);
	if (rc < 0 && who != NULL)
		sdc_error_wrap(err, "merged for %s %s", inst != NULL ?
		    "instance" : "service", json_str(who, "uuid", ""));
	return rc;
}

static int
sapi_merge_validate_instances(struct sapi_model *m, const json_t *schema,
    const json_t *app, const json_t *svc, sdc_error_t *err)
{
	struct sapi_filter f = { .parent = json_str(svc, "uuid", "") };
	json_t *list, *inst;
	size_t i;
	int rc = 0;

	if ((list = sapi_model_list(m, SAPI_INSTANCE, &f, err)) == NULL)
		return -1;
	json_array_foreach(list, i, inst)
		if ((rc = sapi_merge_validate(schema, app, svc, inst, inst,
		    err)) < 0)
			break;
	json_decref(list);
	return rc;
}

static int
sapi_merge_validate_services(struct sapi_model *m, const json_t *schema,
    const json_t *app, sdc_error_t *err)
{
	struct sapi_filter f = { .parent = json_str(app, "uuid", "") };
	json_t *list, *svc;
	size_t i;
	int rc = 0;

	if ((list = sapi_model_list(m, SAPI_SERVICE, &f, err)) == NULL)
		return -1;
	json_array_foreach(list, i, svc)
		if ((rc = sapi_merge_validate(schema, app, svc, NULL, svc,
		    err)) < 0 || (rc = sapi_merge_validate_instances(m, schema,
		    app, svc, err)) < 0)
			break;
	json_decref(list);
	return rc;
}

int
sapi_merge_check_schema(struct sapi_model *m, enum sapi_kind kind,
    const json_t *obj, sdc_error_t *err)
{
	json_t *app, *svc;
	const json_t *schema;
	int rc = 0;

	if (sapi_merge_chain(m, kind, obj, &app, &svc, err) < 0)
		return -1;
	schema = json_object_get(app, "metadata_schema");
	if (json_is_object(schema)) {
		switch (kind) {
		case SAPI_APPLICATION:
			rc = sapi_merge_validate(schema, app, NULL, NULL, NULL,
			    err);
			if (rc == 0)
				rc = sapi_merge_validate_services(m, schema, app,
				    err);
			break;
		case SAPI_SERVICE:
			rc = sapi_merge_validate(schema, app, svc, NULL, NULL,
			    err);
			if (rc == 0)
				rc = sapi_merge_validate_instances(m, schema,
				    app, svc, err);
			break;
		case SAPI_INSTANCE:
			rc = sapi_merge_validate(schema, app, svc, obj, NULL,
			    err);
			break;
		case SAPI_MANIFEST:
			break;
		}
	}
	json_decref(app);
	json_decref(svc);
	return rc;
}
