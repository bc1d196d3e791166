/*
 * fuzz_create_body.c: arbitrary bytes as the JSON body of a container
 * create (POST /containers/create), walked by the options table
 * (dockerapi/container-options.c) as create walks it before anything is
 * made: every field's check, the binds, mounts and --volumes-from specs,
 * capabilities, signals, sizes.  What the table accepts is then turned
 * into a runtime spec's options and freed, so the accepted values are
 * walked too.  No daemon: the checks that need one see a NULL daemon, as
 * the unit tests run them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerapi/containers.h"
#include "dockerapi/runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct package fuzz_pkg = { .name = "t4-standard-1G", .memory = 1024,
    .vcpus = 0.25, .disk = 25600 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sdc_error_t err = NULL;
	struct ctr_opts o;
	struct rt_spec spec;
	json_t *body;

	body = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK |
	    JSON_DECODE_ANY, NULL);
	if (body == NULL || !json_is_object(body)) {	/* create's own 400 */
		json_decref(body);
		return 0;
	}
	memset(&o, 0, sizeof o);
	if (options_check(NULL, body, &fuzz_pkg, &o, &err) == 0) {
		memset(&spec, 0, sizeof spec);
		options_spec(&o, &spec);
		options_clear(&o);
	}
	sdc_error_release(&err);
	json_decref(body);
	return 0;
}
