/*
 * stats.c: GET /containers/:id/stats.
 */
#include "containers.h"

int
ctr_stats(struct http_request *req, void *arg)
{
	return api_error(req, 501, "not yet");
}
