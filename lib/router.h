/*
 * router.h: method + path pattern → handler.
 *
 * Patterns are literal segments and ":name" parameters, e.g.
 * "/containers/:id/json".  A parameter matches one non-empty segment.
 * One "*name" segment per pattern matches one or more whole segments,
 * slashes included, with any literal segments after it anchored at the
 * end of the path: "/images/ *name/json" (written here with a space so
 * the comment stays a comment) takes "/images/127.0.0.1:5000/busybox/json"
 * with name "127.0.0.1:5000/busybox", as Docker's image routes need.
 *
 * With ROUTER_VERSION_PREFIX, an optional leading "/vX.Y" is removed from
 * req->path and parsed into req->api_major/api_minor before matching.
 * Unknown query parameters are simply never looked at.
 *
 * Routes are kept by pointer: pass static tables.
 */
#ifndef SDC_ROUTER_H
#define SDC_ROUTER_H

#include "http.h"

struct route {
	const char *method;     /* NULL matches any method */
	const char *pattern;
	http_handler_fn handler;
	unsigned flags;         /* the daemon's own bits */
	void *data;             /* the daemon's own use */
};

#define ROUTER_VERSION_PREFIX 0x1

struct router;

struct router *router_new(unsigned flags);
void router_free(struct router *r);
void router_add(struct router *r, const struct route *route);
/* Add each route of a table that ends with a zeroed entry. */
void router_add_table(struct router *r, const struct route *table);

/* Strip a version prefix (if enabled) and find the route; fills
 * req->params and req->route.  On no match returns NULL and sets *status:
 * 404 when no pattern matches the path, 405 when one does for another
 * method; 400 for a malformed version prefix. */
const struct route *router_match(struct router *r, struct http_request *req, int *status);

#endif
