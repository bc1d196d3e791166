/*
 * fuzz_dockerfile.c: arbitrary bytes as a tenant's Dockerfile and as its
 * .dockerignore (dockerapi/build/).  A Dockerfile that parses has every
 * argument of every instruction expanded, as the builder would, with a
 * few variables set; the bytes as .dockerignore patterns are matched
 * against a few paths and against the bytes themselves as a path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerapi/build/dockerfile.h"
#include "dockerapi/build/dockerignore.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
lookup(void *ctx, const char *name)
{
	if (strcmp(name, "A") == 0)
		return "value";
	if (strcmp(name, "E") == 0)
		return "";
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sdc_error_t err = NULL;
	struct dockerfile df;
	struct dockerignore di;

	if (dockerfile_parse((const char *)data, size, &df, &err) == 0) {
		for (size_t i = 0; i < df.ninstrs; i++) {
			struct df_instr *in = &df.instrs[i];
			(void)dockerfile_flag(in, "from");
			for (size_t k = 0; k < in->nargs; k++) {
				char *out = NULL;
				if (dockerfile_expand(in->args[k], df.escape, lookup, NULL,
						      &out, &err) == 0)
					free(out);
				sdc_error_release(&err);
			}
		}
		dockerfile_free(&df);
	}
	sdc_error_release(&err);

	if (dockerignore_parse((const char *)data, size, &di, &err) == 0) {
		static const char *const paths[] = {
			"Dockerfile", "a/b/c.txt", ".git/config", "x", "deep/a/b/c/d/e/f",
		};
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			(void)dockerignore_excluded(&di, paths[i]);
		char *self = xstrndup((const char *)data, size < 512 ? size : 512);
		(void)dockerignore_excluded(&di, self);
		free(self);
		dockerignore_free(&di);
	}
	sdc_error_release(&err);
	return 0;
}
