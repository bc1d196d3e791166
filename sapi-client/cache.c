/*
 * cache.c: the last good config, kept on disk.
 *
 * A daemon that reads its tunables from the config service must still
 * start when the service is down, with what it last knew.  The file holds
 * the config with its ETag (so the first long poll after a restart waits
 * instead of fetching what the daemon already has) and the instance's uuid
 * (so a watch by name can start polling before the service can tell it the
 * uuid).  It is written through file_write_atomic: old or new, never torn.
 */
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "jsonutil.h"
#include "sapi.h"
#include "xalloc.h"

json_t *
sapi_cache_read(const char *path, char **etag, char **instance_uuid,
    sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	json_t *doc, *cfg;

	if (file_read(path, &b, 0, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	doc = json_parse(buf_str(&b), b.len, err);
	buf_free(&b);
	if (doc == NULL) {
		sdc_error_wrap(err, "%s", path);
		return NULL;
	}
	cfg = json_object_get(doc, "config");
	if (!json_is_object(cfg)) {
		json_decref(doc);
		sdc_make_error(err, 0, "%s: no config in the cache file", path);
		return NULL;
	}
	if (etag != NULL)
		*etag = xstrdup(json_str(doc, "etag", ""));
	if (instance_uuid != NULL)
		*instance_uuid = xstrdup(json_str(doc, "instance_uuid", ""));
	json_incref(cfg);
	json_decref(doc);
	return cfg;
}

int
sapi_cache_write(const char *path, const json_t *config, const char *etag,
    const char *instance_uuid, sdc_error_t *err)
{
	json_t *doc;
	char *text;
	int rc;

	doc = json_pack("{s:s, s:s, s:O}", "instance_uuid",
	    instance_uuid != NULL ? instance_uuid : "", "etag",
	    etag != NULL ? etag : "", "config", (json_t *)config);
	if (doc == NULL)
		return sdc_make_error(err, 0, "%s: cannot encode the config",
		    path);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	rc = file_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}
