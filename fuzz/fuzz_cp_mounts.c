/*
 * fuzz_cp_mounts.c: arbitrary bytes as what a head tells a node's agent
 * of a docker cp (GET/HEAD/PUT
 * /v1/containers/UUID/archive?path=P&mounts=JSON&in=N,
 * agent/container-archive.c): the client's path, the mounts' JSON and
 * the index of the one the path is in.  The mounts are checked
 * (carch_mounts) before any file is opened, then each volume's folder
 * opened and grafted on the container's root, the one the path is in
 * made the root; then the path is resolved inside that root as HEAD and
 * GET resolve it for the stat header (rt_cp_stat_header) and as PUT
 * checks its extraction point (rt_cp_put_check).  Whoever holds a head's
 * certificate may send one, and the path is the tenant's own, so a
 * hostile document must be refused before it names any folder of the
 * node's, and no path may lead out of the root nor put the node's paths
 * in the answer.
 *
 * The input's first line is "in" (absent when the line is "-"), the
 * second the path, the rest the mounts' JSON; all go percent-encoded
 * into the query of a request read by the server's own parser, as the
 * route gets them.  carch_mounts and carch_path_ok are the file's own
 * (static), so the file is compiled into this target.  The node's
 * volumes root is a temp folder holding the one volume the seeds in
 * fuzz/corpus/cp_mounts name; the container's root beside it holds what
 * a tenant plants (links to "/" and up out of it); the container is not
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
#include "base64.h"
#include "fsutil.h"
#include "fuzz/fuzz-tmp.h"
#include "http-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED_VOLUME "6f1d2d6e-6a8b-4b8e-9c55-1d3c8c7a2b10/0b2b5c4e-9d7e-4f4a-8f55-3a6a1d2e9c01"
#define STAT_HEADER "X-Docker-Container-Path-Stat: "

static struct agent_options fuzz_opt;
static struct agent fuzz_agent;
static const char *fuzz_top;
static char *fuzz_root;

static void
fuzz_setup(void)
{
	fuzz_top = fuzz_tmp_dir("fuzz-cp-mounts");
	fuzz_opt.volumes = fuzz_tmp_path("volumes");
	fuzz_tmp_mkdir("volumes/" SEED_VOLUME "/_data/sub");
	fuzz_tmp_put("volumes/" SEED_VOLUME "/_data/file", "in the volume\n");
	fuzz_tmp_link("../../..", "volumes/" SEED_VOLUME "/_data/up");
	fuzz_root = fuzz_tmp_path("root");
	fuzz_tmp_mkdir("root/etc");
	fuzz_tmp_mkdir("root/data");
	fuzz_tmp_put("root/etc/passwd", "root:x:0:0::/:/bin/sh\n");
	fuzz_tmp_link("/", "root/x");
	fuzz_tmp_link("../../../..", "root/up");
	fuzz_tmp_link("/etc/passwd", "root/pw");
	fuzz_tmp_mkdir("outside");
	fuzz_tmp_put("outside/canary", "the node's\n");
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

/* The next line of the input; NULL when there is none. */
static const char *
fuzz_line(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *nl;

	if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return NULL;
	*len = (size_t)(nl - s);
	*p = nl + 1;
	return s;
}

/* The stat header HEAD and GET send, with none of the node's paths. */
static void
fuzz_stat_header(struct carch *j, struct http_request *req)
{
	struct buf *h = &HTTP_REQ(req)->out_headers, json = BUF_INIT;
	sdc_error_t err = NULL;
	const char *v, *eol;

	h->len = 0;
	if (rt_cp_stat_header(&j->cp, req, &err) < 0) {
		if (err == NULL)
			abort();
		sdc_error_release(&err);
		return;
	}
	if ((v = strstr(buf_str(h), STAT_HEADER)) == NULL ||
	    (eol = strstr(v, "\r\n")) == NULL)
		abort();
	v += strlen(STAT_HEADER);
	if (base64_decode(v, (size_t)(eol - v), false, &json, &err) < 0 ||
	    strstr(buf_str(&json), fuzz_top) != NULL)
		abort();
	buf_free(&json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *in, *path;
	size_t in_len, path_len, used, off;
	struct buf b = BUF_INIT;
	struct http_parse ps;
	sdc_error_t err = NULL;
	struct carch *j;
	enum http_parse_event ev;
	struct http_req *req = NULL;
	const char *qpath;

	if (fuzz_agent.opt == NULL)
		fuzz_setup();
	if ((in = fuzz_line(&p, end, &in_len)) == NULL ||
	    (path = fuzz_line(&p, end, &path_len)) == NULL)
		return 0;
	buf_printf(&b, "GET /v1/containers/3f2b6a1e-8c4d-4e5f-9a0b-1c2d3e4f5a6b/"
	    "archive?");
	fuzz_query(&b, "path", path, path_len);
	if (!(in_len == 1 && in[0] == '-'))
		fuzz_query(&b, "in", in, in_len);
	fuzz_query(&b, "mounts", p, (size_t)(end - p));
	buf_printf(&b, " HTTP/1.1\r\nHost: node\r\n\r\n");
	http_parse_init(&ps, 1 << 20, 0);
	for (off = 0; (ev = http_parse_feed(&ps, b.data + off, b.len - off,
	    &used)) != HTTP_PARSE_DONE; off += used) {
		if (ev == HTTP_PARSE_HEAD)
			req = ps.req;
		else if (ev == HTTP_PARSE_ERROR || used == 0)
			abort();        /* the query is all percent-encoded */
	}
	qpath = http_query(&req->pub, "path");
	if (!carch_path_ok(qpath))	/* refused before the container's */
		goto out;
	j = xcalloc(1, sizeof *j);
	j->a = &fuzz_agent;
	rt_cp_init(&j->cp);
	j->cp.root.fd = open(fuzz_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	j->cp.root.host = xstrdup(fuzz_root);
	if (j->cp.root.fd < 0)
		abort();
	if (carch_mounts(j, &req->pub, 0, &err) == 0) {
		for (size_t i = 0; i < j->cp.root.ngrafts; i++)
			if (j->cp.root.grafts[i].fd < 0 ||
			    j->cp.root.grafts[i].path[0] != '/')
				abort();
		j->cp.path = xstrdup(qpath);
		fuzz_stat_header(j, &req->pub);
		if (rt_cp_put_check(&j->cp, &err) < 0 && err == NULL)
			abort();
	} else if (err == NULL || err->code < 400 || err->code >= 600)
		abort();        /* a refusal says why, with its status */
	sdc_error_release(&err);
	carch_free(j);
out:
	http_req_free(req);
	http_parse_free(&ps);
	buf_free(&b);
	return 0;
}
