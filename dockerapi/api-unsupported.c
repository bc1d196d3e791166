/*
 * api-unsupported.c: Docker's routes this service does not serve, answered
 * 501 with the feature's name.
 *
 * A client that calls `docker swarm init` or `docker plugin ls` deserves to
 * hear that the feature is not offered here, not "page not found", which
 * reads like a broken proxy or a wrong DOCKER_HOST.  So every route of
 * Docker's API reference (v1.41 and v1.56) that no resource table serves
 * is listed below with the feature it belongs to.
 *
 * This table is only consulted after the real router has missed
 * (api_route() in api.c), never before: a real route added to any
 * resource table wins by construction, without anyone having to remove
 * its line here.  A path that is not Docker's at all matches nothing here
 * and keeps Docker's 404 "page not found".
 *
 * The answer needs no account: like the 404 it replaces, it says only what
 * Docker's public API reference says.
 */
#include <stddef.h>

#include "dockerapi.h"

static int api_unsupported_answer(struct http_request *req, void *arg);

#define U(method, pattern, feature) \
	{ { method, pattern, api_unsupported_answer, API_NO_AUTH, \
	    (void *)(feature) }, 0 }

/* Patterns use the router's syntax; NULL as the method takes any. */
static const struct api_endpoint api_unsupported_routes[] = {
	U("GET", "/containers/:id/changes", "docker diff (container changes)"),
	U("GET", "/containers/:id/export", "docker export (container export)"),
	U(NULL, "/containers/:id/archive", "docker cp (container archive)"),
	U("GET", "/containers/:id/attach/ws", "attach over websocket"),
	U("POST", "/commit", "docker commit"),
	U(NULL, "/build", "build (docker build)"),
	U(NULL, "/build/prune", "build cache (docker builder prune)"),
	U(NULL, "/grpc", "build (BuildKit)"),
	U(NULL, "/session", "session (BuildKit)"),
	U("GET", "/images/*name/attestations", "image attestations"),
	U(NULL, "/distribution/*name/json", "distribution (registry inspect)"),
	U(NULL, "/volumes", "volumes"),
	U(NULL, "/volumes/create", "volumes"),
	U(NULL, "/volumes/prune", "volumes"),
	U(NULL, "/volumes/:name", "volumes"),
	U(NULL, "/networks", "networks"),
	U(NULL, "/networks/create", "networks"),
	U(NULL, "/networks/prune", "networks"),
	U(NULL, "/networks/:id", "networks"),
	U(NULL, "/networks/:id/connect", "networks"),
	U(NULL, "/networks/:id/disconnect", "networks"),
	U(NULL, "/plugins", "plugins"),
	U(NULL, "/plugins/privileges", "plugins"),
	U(NULL, "/plugins/pull", "plugins"),
	U(NULL, "/plugins/create", "plugins"),
	U(NULL, "/plugins/*name/json", "plugins"),
	U(NULL, "/plugins/*name/enable", "plugins"),
	U(NULL, "/plugins/*name/disable", "plugins"),
	U(NULL, "/plugins/*name/upgrade", "plugins"),
	U(NULL, "/plugins/*name/push", "plugins"),
	U(NULL, "/plugins/*name/set", "plugins"),
	U(NULL, "/plugins/*name", "plugins"),
	U(NULL, "/swarm", "swarm"),
	U(NULL, "/swarm/init", "swarm"),
	U(NULL, "/swarm/join", "swarm"),
	U(NULL, "/swarm/leave", "swarm"),
	U(NULL, "/swarm/update", "swarm"),
	U(NULL, "/swarm/unlockkey", "swarm"),
	U(NULL, "/swarm/unlock", "swarm"),
	U(NULL, "/nodes", "swarm nodes"),
	U(NULL, "/nodes/:id", "swarm nodes"),
	U(NULL, "/nodes/:id/update", "swarm nodes"),
	U(NULL, "/services", "swarm services"),
	U(NULL, "/services/create", "swarm services"),
	U(NULL, "/services/:id", "swarm services"),
	U(NULL, "/services/:id/update", "swarm services"),
	U(NULL, "/services/:id/logs", "swarm services"),
	U(NULL, "/tasks", "swarm tasks"),
	U(NULL, "/tasks/:id", "swarm tasks"),
	U(NULL, "/tasks/:id/logs", "swarm tasks"),
	U(NULL, "/secrets", "swarm secrets"),
	U(NULL, "/secrets/create", "swarm secrets"),
	U(NULL, "/secrets/:id", "swarm secrets"),
	U(NULL, "/secrets/:id/update", "swarm secrets"),
	U(NULL, "/configs", "swarm configs"),
	U(NULL, "/configs/create", "swarm configs"),
	U(NULL, "/configs/:id", "swarm configs"),
	U(NULL, "/configs/:id/update", "swarm configs"),
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};

static int
api_unsupported_answer(struct http_request *req, void *arg)
{
	const struct route *route = req->route;

	(void)arg;
	return api_error(req, 501, "%s is not supported by this service",
	    (const char *)route->data);
}

static struct router *api_unsupported_router;

const struct route *
api_unsupported_match(struct http_request *req)
{
	int status;

	if (api_unsupported_router == NULL) {
		/* No version prefix: the real router has stripped it. */
		api_unsupported_router = router_new(0);
		for (const struct api_endpoint *ep = api_unsupported_routes;
		    ep->route.pattern != NULL; ep++)
			router_add(api_unsupported_router, &ep->route);
	}
	return router_match(api_unsupported_router, req, &status);
}

void
api_unsupported_free(void)
{
	router_free(api_unsupported_router);
	api_unsupported_router = NULL;
}
