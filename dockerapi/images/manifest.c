/*
 * manifest.c: what a registry's manifest says, read apart from the pull
 * that fetched it.
 *
 * A manifest is the first thing a pull reads from a registry the tenant
 * names, so it is hostile input: an index (a Docker manifest list or an
 * OCI index) is narrowed to its linux/amd64 entry, and an image manifest
 * must be schema 2 with a config and layers whose digests are valid and
 * none of them foreign.  Everything is checked here, before the pull
 * fetches anything it names, and these functions touch neither the
 * network nor the store, so the fuzz target drives them as they are.
 */
#include <stdlib.h>
#include <string.h>

#include "images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

bool
manifest_is_index(const char *media_type, json_t *m)
{
	if (strcmp(media_type,
	    "application/vnd.docker.distribution.manifest.list.v2+json") == 0 ||
	    strcmp(media_type, "application/vnd.oci.image.index.v1+json") == 0)
		return true;
	return json_is_array(json_object_get(m, "manifests")) &&
	    !json_is_array(json_object_get(m, "layers"));
}

int
manifest_pick_platform(json_t *index, char **digest, sdc_error_t *err)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(index, "manifests"), i, e) {
		json_t *pl = json_object_get(e, "platform");
		const char *d = json_str(e, "digest", NULL);
		if (strcmp(json_str(pl, "os", ""), "linux") != 0 ||
		    strcmp(json_str(pl, "architecture", ""), "amd64") != 0 ||
		    !digest_valid(d))
			continue;
		*digest = xstrdup(d);
		return 0;
	}
	return sdc_make_error_code(err, 404, "no matching manifest for linux/amd64 "
	    "in the manifest list entries");
}

int
manifest_image(json_t *m, const char *ref, struct manifest_image *out,
    sdc_error_t *err)
{
	json_t *cd = json_object_get(m, "config"), *layers, *l;
	size_t i;

	memset(out, 0, sizeof *out);
	if (json_int(m, "schemaVersion", 0) != 2 || !json_is_object(cd))
		return sdc_make_error_code(err, 500, "unsupported manifest format "
		    "for %s (schema 1 or unknown)", ref);
	layers = json_object_get(m, "layers");
	if (!json_is_array(layers))
		return sdc_make_error_code(err, 500, "manifest without layers");
	out->config_digest = json_str(cd, "digest", NULL);
	if (!digest_valid(out->config_digest))
		return sdc_make_error_code(err, 500, "manifest config has no valid digest");
	out->config_size = json_int(cd, "size", -1);
	out->nlayers = json_array_size(layers);
	out->layers = xcalloc(out->nlayers + 1, sizeof *out->layers);
	json_array_foreach(layers, i, l) {
		struct manifest_layer *ml = &out->layers[i];
		ml->digest = json_str(l, "digest", NULL);
		ml->media_type = json_str(l, "mediaType", "");
		ml->size = json_int(l, "size", -1);
		if (!digest_valid(ml->digest)) {
			manifest_image_clear(out);
			return sdc_make_error_code(err, 500, "manifest layer %zu has "
			    "no valid digest", i);
		}
		if (strstr(ml->media_type, "foreign") != NULL) {
			sdc_make_error_code(err, 500, "foreign layers (%s) are "
			    "not supported", ml->media_type);
			manifest_image_clear(out);
			return -1;
		}
	}
	return 0;
}

void
manifest_image_clear(struct manifest_image *mi)
{
	free(mi->layers);
	memset(mi, 0, sizeof *mi);
}

int
manifest_diff_ids(const char *config, size_t len, size_t nlayers,
    struct strvec *ids, sdc_error_t *err)
{
	json_t *c, *a, *id;
	size_t i, n;

	if ((c = json_parse(config, len, err)) == NULL)
		return sdc_error_wrap(err, "image config");
	a = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
	if ((n = json_array_size(a)) != nlayers) {
		json_decref(c);	/* a went with it: n was counted first */
		return sdc_make_error_code(err, 500, "image config has %zu diff ids "
		    "for %zu layers", n, nlayers);
	}
	json_array_foreach(a, i, id) {
		if (!digest_valid(json_string_value(id))) {
			json_decref(c);
			strvec_clear(ids);
			return sdc_make_error_code(err, 500, "invalid diff id in config");
		}
		strvec_push(ids, json_string_value(id));
	}
	json_decref(c);
	return 0;
}
