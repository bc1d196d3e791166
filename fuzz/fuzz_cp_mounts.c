/*
 * fuzz_cp_mounts.c: arbitrary bytes as what a head tells a node's agent
 * of a container's mounts for docker cp (GET/HEAD/PUT
 * /v1/containers/UUID/archive?path=P&mounts=JSON&in=N,
 * agent/container-archive.c): the mounts' JSON and the index of the one
 * the path is in, checked (carch_mounts) before any file is opened, then
 * each volume's folder opened and grafted on the container's root, the
 * one the path is in made the root.  Whoever holds a head's certificate
 * may send one, so a hostile document must be refused before it names
 * any folder of the node's.
 *
 * The input's first line is "in" (absent when the line is "-"), the
 * rest the mounts' JSON; both go percent-encoded into the query of a
 * request read by the server's own parser, as the route gets them.
 * carch_mounts is the file's own (static), so the file is compiled into
 * this target.  The node's volumes root is a temp folder holding the one
 * volume the seeds in fuzz/corpus/cp_mounts name; the container is not
 * running, so a tmpfs mount is refused as the route refuses it; the
 * route's other calls are never reached (left unresolved, as
 * fuzz/Makefile says).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/container-archive.c"
#include "fsutil.h"
#include "http-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED_VOLUME "6f1d2d6e-6a8b-4b8e-9c55-1d3c8c7a2b10/0b2b5c4e-9d7e-4f4a-8f55-3a6a1d2e9c01"

static struct agent_options fuzz_opt;
static struct agent fuzz_agent;
static char *fuzz_root;

static void
fuzz_setup(void)
{
	static char root[] = "/tmp/fuzz-cp-mounts.XXXXXX";
	sdc_error_t err = NULL;
	char *p;

	if (mkdtemp(root) == NULL)
		abort();
	xasprintf(&fuzz_opt.volumes, "%s/volumes", root);
	xasprintf(&p, "%s/" SEED_VOLUME "/_data", fuzz_opt.volumes);
	if (mkdir_p(p, 0700, &err) < 0)
		abort();
	free(p);
	xasprintf(&fuzz_root, "%s/root", root);
	if (mkdir_p(fuzz_root, 0700, &err) < 0)
		abort();
	fuzz_agent.opt = &fuzz_opt;
}

/* "name=" and the bytes percent-encoded onto b */
static void
fuzz_query(struct buf *b, const char *name, const char *s, size_t n)
{
	buf_printf(b, "%s%s=", b->data[b->len - 1] == '?' ? "" : "&", name);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%%%02X", (unsigned char)s[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nl, *text;
	size_t in_len, text_len, used;
	struct buf b = BUF_INIT;
	struct http_parse ps;
	sdc_error_t err = NULL;
	struct carch *j;
	enum http_parse_event ev;
	struct http_req *req = NULL;
	size_t off;

	if (fuzz_agent.opt == NULL)
		fuzz_setup();
	if ((nl = memchr(data, '\n', size)) == NULL)
		return 0;
	in_len = (size_t)(nl - in);
	text = nl + 1;
	text_len = size - in_len - 1;
	buf_printf(&b, "GET /v1/containers/3f2b6a1e-8c4d-4e5f-9a0b-1c2d3e4f5a6b/"
	    "archive?");
	fuzz_query(&b, "path", "/data/x", 7);
	if (!(in_len == 1 && in[0] == '-'))
		fuzz_query(&b, "in", in, in_len);
	fuzz_query(&b, "mounts", text, text_len);
	buf_printf(&b, " HTTP/1.1\r\nHost: node\r\n\r\n");
	http_parse_init(&ps, 1 << 20, 0);
	for (off = 0; (ev = http_parse_feed(&ps, b.data + off, b.len - off,
	    &used)) != HTTP_PARSE_DONE; off += used) {
		if (ev == HTTP_PARSE_HEAD)
			req = ps.req;
		else if (ev == HTTP_PARSE_ERROR || used == 0)
			abort();        /* the query is all percent-encoded */
	}
	j = xcalloc(1, sizeof *j);
	j->a = &fuzz_agent;
	j->in = j->body.fd = j->note[0] = j->note[1] = -1;
	j->root.fd = open(fuzz_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (j->root.fd < 0)
		abort();
	if (carch_mounts(j, &req->pub, 0, &err) == 0) {
		for (size_t i = 0; i < j->root.ngrafts; i++)
			if (j->root.grafts[i].fd < 0 ||
			    j->root.grafts[i].path[0] != '/')
				abort();
	} else if (err == NULL || err->code < 400 || err->code >= 600)
		abort();        /* a refusal says why, with its status */
	sdc_error_release(&err);
	carch_free(j);
	http_req_free(req);
	http_parse_free(&ps);
	buf_free(&b);
	return 0;
}
