/*
 * fuzz_agent_create.c: arbitrary bytes as the create document a head
 * sends a node's agent (POST /v1/containers, agent/container-create.c).
 * Whoever holds a head's certificate may send one, so the agent checks
 * every field before it makes anything; that check (create_parse) is
 * what runs here, on the document as the route reads it, then the job
 * is freed as the route frees it.  fuzz_create_body covers the head's
 * Docker body, not this document.
 *
 * create_parse is the file's own (static), so the file is compiled into
 * this target.  The node's folders are a temp folder holding what the
 * seeds name (a layer, a volume, a joined network namespace), so a valid
 * document gets through every check, the files' lookups included; the
 * route's runtime calls are never reached (left unresolved, as
 * fuzz/Makefile says).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "agent/container-create.c"
#include "fuzz/fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the seeds in fuzz/corpus/agent_create name. */
#define SEED_LAYER "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
#define SEED_VOLUME "6f1d2d6e-6a8b-4b8e-9c55-1d3c8c7a2b10/0b2b5c4e-9d7e-4f4a-8f55-3a6a1d2e9c01"
#define SEED_NETNS "1c4a0e3fb5f25e1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d"

static struct agent_options fuzz_opt;
static struct agent fuzz_agent;

static void
fuzz_setup(void)
{
	const char *root = fuzz_tmp_dir("fuzz-agent-create");

	fuzz_tmp_mkdir("images/" SEED_LAYER "/diff");
	fuzz_tmp_mkdir("volumes/" SEED_VOLUME "/_data");
	fuzz_tmp_mkdir("net/netns");
	fuzz_tmp_mkdir("zones");
	fuzz_tmp_put("net/netns/" SEED_NETNS, "");
	fuzz_opt.images = fuzz_tmp_path("images");
	fuzz_opt.volumes = fuzz_tmp_path("volumes");
	fuzz_opt.net_dir = fuzz_tmp_path("net");
	fuzz_opt.zones = fuzz_tmp_path("zones");
	fuzz_opt.data_dir = xstrdup(root);
	fuzz_agent.opt = &fuzz_opt;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct create_job *j;
	sdc_error_t err = NULL;
	json_t *doc;

	if (fuzz_agent.opt == NULL)
		fuzz_setup();
	/* http_body_json's reading: any JSON value, checked by the parse */
	if ((doc = json_parse((const char *)data, size, &err)) == NULL) {
		sdc_error_release(&err);
		return 0;
	}
	/* the route's job, which create_job_free frees whole */
	j = xcalloc(1, sizeof *j);
	j->doc = doc;
	j->rt = fuzz_agent.rt;
	if (create_parse(&fuzz_agent, j, &err) == 0) {
		/* what the runtime then gets is whole */
		if (j->spec.id == NULL || j->spec.argv == NULL ||
		    j->spec.argv[0] == NULL || j->spec.layers == NULL ||
		    j->spec.idmap.uid < CREATE_MIN_HOST_ID)
			abort();
	} else if (err == NULL || (err->code != 400 && err->code != 424))
		abort();        /* a refusal always says why, as a 4xx */
	sdc_error_release(&err);
	create_job_free(j);
	return 0;
}
