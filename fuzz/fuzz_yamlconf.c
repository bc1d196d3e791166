/*
 * fuzz_yamlconf.c: arbitrary bytes as a daemon's YAML config file
 * (lib/yamlconf.c): libyaml's events turned into a jansson tree, with
 * anchors and aliases refused.  The tree, when there is one, is dumped
 * back to JSON so every value it holds is walked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "yamlconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sdc_error_t err = NULL;
	json_t *v;
	char *dump;

	v = yaml_load_string((const char *)data, size, &err);
	if (v != NULL) {
		dump = json_dumps(v, JSON_ENCODE_ANY);
		free(dump);
		json_decref(v);
	}
	sdc_error_release(&err);
	return 0;
}
