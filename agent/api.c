/*
 * api.c: the agent's HTTPS API, the routes the heads call.
 *
 * Everything here sits behind mutual TLS (lib/tls-mutual.c): a request
 * only arrives from a client whose certificate the operator's CA signed
 * for a client's use, that is a head or the operator's tools.  Routes
 * are versioned under /v1 so a head and an agent of different releases
 * can tell what the other speaks.  They say who the node is, and
 * (containers.c) the first runtime operations; the rest move here next
 * (docs/architecture.md, "Compute nodes").  Errors are JSON {"message": ...}, as the Docker API's.
 */
#include <string.h>

#include "agent.h"
#include "http.h"
#include "router.h"
#include "timeutil.h"

int
agent_error(struct http_request *req, int status, const char *msg)
{
	return http_reply_json(req, status, json_pack("{s:s}", "message", msg));
}

static int
api_ping(struct http_request *req, void *arg)
{
	return http_reply_json(req, 200, json_pack("{s:s, s:s}", "ID",
	    ((struct agent *)arg)->self.id, "Version", SDC_VERSION));
}

/* This node as it registered itself. */
static int
api_node(struct http_request *req, void *arg)
{
	struct agent *a = arg;

	a->self.available = a->registered;
	return http_reply_json(req, 200, nodes_table_json(&a->self));
}

static const struct route agent_routes[] = {
	{ "GET", "/v1/ping", api_ping, 0, NULL },
	{ "GET", "/v1/node", api_node, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};

static int
api_dispatch(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const struct route *route;
	int status;

	if ((route = router_match(a->router, req, &status)) == NULL)
		return agent_error(req, status, status == 405 ?
		    "method not allowed" : "no such route");
	return route->handler(req, a);
}

/* A streamed body that no handler takes is read and dropped. */
int
agent_body_drop(struct http_request *req, const char *data, size_t len,
    void *arg)
{
	(void)req;
	(void)data;
	(void)len;
	(void)arg;
	return 0;
}

/* Routes that stream their body (a layer's blob, docker cp's tar) are decided on before
 * the body comes; anything else is api_dispatch()'s to answer. */
static int
api_head(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const struct route *route;
	int status;

	if ((route = router_match(a->router, req, &status)) != NULL &&
	    (route->flags & AGENT_BODY_STREAM)) {
		http_set_body_limit(req, (size_t)-1);
		http_stream_body(req, agent_body_drop, NULL);
	}
	return 0;
}

void
agent_api_init(struct agent *a)
{
	a->router = router_new(0);
	router_add_table(a->router, agent_routes);
	router_add_table(a->router, agent_container_routes);
	router_add_table(a->router, agent_create_routes);
	router_add_table(a->router, agent_remove_routes);
	router_add_table(a->router, agent_container_ops_routes);
	router_add_table(a->router, agent_connect_routes);
	router_add_table(a->router, agent_layer_routes);
	router_add_table(a->router, agent_container_list_routes);
	router_add_table(a->router, agent_log_usage_routes);
	router_add_table(a->router, agent_attach_routes);
	router_add_table(a->router, agent_exec_routes);
	router_add_table(a->router, agent_logs_routes);
	router_add_table(a->router, agent_stats_routes);
	router_add_table(a->router, agent_files_routes);
	router_add_table(a->router, agent_archive_routes);
	http_server_set_handler(a->http, api_dispatch, a);
	http_server_set_head_hook(a->http, api_head, a);
}
