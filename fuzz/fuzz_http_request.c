/*
 * fuzz_http_request.c: arbitrary bytes through the request parser, then
 * each request it yields through the accessors and the router, as a
 * connection would drive them (lib/http-conn.c), minus the sockets.
 *
 * The first input byte chooses how the rest is cut into reads (1..63
 * bytes, or 0 for all at once), since the parser must give the same
 * answer however its input arrives.  Limits are small so the 413 and 431
 * paths are reached often.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "http-internal.h"
#include "jsonutil.h"
#include "router.h"

static int
fuzz_handler(struct http_request *req, void *arg)
{
	return HTTP_DONE;
}

static const struct route fuzz_routes[] = {
	{ "GET", "/_ping", fuzz_handler, 0, NULL },
	{ "GET", "/version", fuzz_handler, 0, NULL },
	{ "GET", "/containers/json", fuzz_handler, 0, NULL },
	{ "POST", "/containers/create", fuzz_handler, 0, NULL },
	{ "GET", "/containers/:id/json", fuzz_handler, 0, NULL },
	{ "POST", "/containers/:id/attach", fuzz_handler, 0, NULL },
	{ "GET", "/images/*name/json", fuzz_handler, 0, NULL },
	{ "DELETE", "/images/*name", fuzz_handler, 0, NULL },
	{ NULL, "/any/:a/:b", fuzz_handler, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};

static void
fuzz_request(struct router *r, struct http_req *req)
{
	struct http_request *q = &req->pub;
	sdc_error_t err = NULL;
	json_t *body;
	int status;

	(void)http_header(q, "Host");
	(void)http_query(q, "filters");
	(void)http_query_bool(q, "all", false);
	if (router_match(r, q, &status) != NULL)
		(void)http_param(q, "id");
	body = http_body_json(q, &err);
	json_decref(body);
	sdc_error_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct router *r;
	struct http_parse ps;
	struct http_req *cur = NULL;
	size_t step, off = 0, n, used;

	if (r == NULL) {
		r = router_new(ROUTER_VERSION_PREFIX);
		router_add_table(r, fuzz_routes);
	}
	if (size == 0)
		return 0;
	step = data[0] % 64;
	data++, size--;
	http_parse_init(&ps, 2048, 4096);
	while (off < size) {
		n = step != 0 && size - off > step ? step : size - off;
		enum http_parse_event ev = http_parse_feed(&ps,
		    (const char *)data + off, n, &used);

		off += used;
		if (ev == HTTP_PARSE_ERROR)
			break;
		if (ev == HTTP_PARSE_HEAD)
			cur = ps.req;
		if (ev == HTTP_PARSE_DONE) {
			fuzz_request(r, cur);
			http_req_free(cur);
			cur = NULL;
			if (http_parse_upgraded(&ps))
				break;
		}
		if (ev == HTTP_PARSE_MORE && used == 0)
			break;
	}
	http_parse_free(&ps);
	http_req_free(cur);
	return 0;
}
