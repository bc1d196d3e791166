/*
 * top.c: GET /containers/:id/top.
 */
#include "containers.h"

int
ctr_top(struct http_request *req, void *arg)
{
	return api_error(req, 501, "not yet");
}
