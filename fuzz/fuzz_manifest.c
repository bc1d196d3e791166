/*
 * fuzz_manifest.c: arbitrary bytes as what a registry answers a pull
 * with (dockerapi/images/manifest.c).  The registry is the tenant's to
 * choose, so the manifest, the index it may be and the image config it
 * names are hostile.  The first byte picks the Content-Type the registry
 * claimed (the four a pull meets, or none); the rest is the body, read
 * as the pull reads it: an index narrowed to linux/amd64, or an image
 * manifest's config and layers, and then the same bytes as the config
 * whose diff ids must match the layers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dockerapi/images/images-int.h"
#include "jsonutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_types[] = {
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sdc_error_t err = NULL;
	struct manifest_image mi;
	struct strvec ids = STRVEC_INIT;
	const char *type;
	char *pick = NULL;
	json_t *m;

	if (size < 1)
		return 0;
	type = fuzz_types[data[0] % (sizeof fuzz_types / sizeof *fuzz_types)];
	data++, size--;
	if ((m = json_parse((const char *)data, size, &err)) == NULL) {
		sdc_error_release(&err);
		return 0;
	}
	if (manifest_is_index(type, m)) {
		if (manifest_pick_platform(m, &pick, &err) == 0 &&
		    !digest_valid(pick))
			abort();	/* the pull would fetch what it names */
		free(pick);
	} else if (manifest_image(m, "fuzz", &mi, &err) == 0) {
		for (size_t i = 0; i < mi.nlayers; i++)
			if (!digest_valid(mi.layers[i].digest))
				abort();
		if (manifest_diff_ids((const char *)data, size, mi.nlayers,
		    &ids, &err) == 0 && ids.n != mi.nlayers)
			abort();
		strvec_clear(&ids);
		manifest_image_clear(&mi);
	}
	sdc_error_release(&err);
	json_decref(m);
	return 0;
}
