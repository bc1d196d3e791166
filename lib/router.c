/*
 * router.c: method + path pattern → route, with Docker's /vX.Y prefix.
 *
 * Routes are tried in the order they were added and the first match wins;
 * the tables are small (Docker's API has about a hundred routes), so a
 * linear walk comparing segments in place costs less than building a tree,
 * and no pattern is ever copied or compiled.
 *
 * The version prefix: a first segment "v" + digits "." digits is a version.
 * A first segment that starts with "v" and a digit but is not one ("v1",
 * "v1.x") is a malformed version (400).  So is any other "v..." segment
 * ("vfoo") when the path does not match as it is but the rest after it
 * would: that is someone's attempt at a version.  "/version" and
 * "/volumes/..." are plain paths.
 *
 * A "*name" rest parameter counts the segments the pattern has after it
 * and leaves that many at the end of the path for them, so image names
 * with slashes, a registry port and a tag fit: no backtracking needed.
 *
 * HEAD falls back to the GET route of the same path when no route names
 * HEAD; the server sends no body for HEAD in any case.
 *
 * The parameters are one allocation (the array, then the strings) that
 * the request frees.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "xalloc.h"

#define ROUTER_MAX_PARAMS 16

struct router {
	unsigned flags;
	const struct route **routes;
	size_t n, cap;
};

struct router_span {
	const char *name;               /* in the pattern, after ':' or '*' */
	size_t name_len;
	const char *value;              /* in the path */
	size_t value_len;
};

struct router *
router_new(unsigned flags)
{
	struct router *r = xcalloc(1, sizeof *r);

	r->flags = flags;
	return r;
}

void
router_free(struct router *r)
{
	if (r == NULL)
		return;
	free(r->routes);
	free(r);
}

void
router_add(struct router *r, const struct route *route)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 32;
		r->routes = xrealloc(r->routes, r->cap * sizeof *r->routes);
	}
	r->routes[r->n++] = route;
}

void
router_add_table(struct router *r, const struct route *table)
{
	for (; table->pattern != NULL; table++)
		router_add(r, table);
}

static size_t
router_seglen(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash ? (size_t)(slash - s) : strlen(s);
}

/* The start of the last n segments of path (at their '/'), or NULL when
 * path has fewer; n == 0 gives the end of path. */
static const char *
router_tail(const char *path, size_t n)
{
	const char *p = path + strlen(path);

	while (n > 0) {
		if (p == path)
			return NULL;
		if (*--p == '/')
			n--;
	}
	return p;
}

static size_t
router_nsegs(const char *pat)
{
	size_t n = 0;

	for (; *pat != '\0'; pat++)
		if (*pat == '/')
			n++;
	return n;
}

/* Match path against pattern, segment by segment, adding to the params.
 * A "*name" segment takes all but as many trailing segments of the path
 * as the pattern has after it, and those must match the rest. */
static bool
router_match_from(const char *pat, const char *path,
    struct router_span *spans, size_t *nspans)
{
	size_t plen, slen;
	const char *cut;

	for (;;) {
		if (*pat == '\0' || *path == '\0')
			return *pat == '\0' && *path == '\0';
		if (*pat != '/' || *path != '/')
			return false;
		pat++, path++;
		plen = router_seglen(pat);
		slen = router_seglen(path);

		if (*pat == '*') {
			cut = router_tail(path, router_nsegs(pat + plen));
			if (cut == NULL || cut == path || *path == '/' ||
			    *nspans == ROUTER_MAX_PARAMS)
				return false;
			spans[*nspans] = (struct router_span){ pat + 1,
			    plen - 1, path, (size_t)(cut - path) };
			(*nspans)++;
			pat += plen;
			path = cut;
			continue;
		}
		if (*pat == ':') {
			if (slen == 0 || *nspans == ROUTER_MAX_PARAMS)
				return false;
			spans[*nspans] = (struct router_span){ pat + 1,
			    plen - 1, path, slen };
			(*nspans)++;
		} else if (plen != slen || memcmp(pat, path, plen) != 0)
			return false;
		pat += plen;
		path += slen;
	}
}

static bool
router_match_pattern(const char *pat, const char *path,
    struct router_span *spans, size_t *nspans)
{
	*nspans = 0;
	return router_match_from(pat, path, spans, nspans);
}

static void
router_set_params(struct http_request *req, const struct router_span *spans,
    size_t n)
{
	size_t i, size = n * sizeof(struct http_kv);
	char *p;

	for (i = 0; i < n; i++)
		size += spans[i].name_len + spans[i].value_len + 2;
	free(req->params);
	req->params = NULL;
	req->nparams = n;
	if (n == 0)
		return;
	req->params = xmalloc(size);
	p = (char *)(req->params + n);
	for (i = 0; i < n; i++) {
		req->params[i].name = p;
		memcpy(p, spans[i].name, spans[i].name_len);
		p += spans[i].name_len;
		*p++ = '\0';
		req->params[i].value = p;
		memcpy(p, spans[i].value, spans[i].value_len);
		p += spans[i].value_len;
		*p++ = '\0';
	}
}

static bool
router_method_ok(const struct route *rt, const char *method, bool get_for_head)
{
	if (rt->method == NULL)
		return true;
	if (strcmp(rt->method, method) == 0)
		return true;
	return get_for_head && strcmp(rt->method, "GET") == 0;
}

/* Find the route for path; *path_seen tells whether any pattern matched
 * the path at all (for 404 against 405). */
static const struct route *
router_find(struct router *r, const char *method, const char *path,
    struct router_span *spans, size_t *nspans, bool *path_seen)
{
	bool head = strcmp(method, "HEAD") == 0;
	const struct route *fallback = NULL;
	struct router_span fspans[ROUTER_MAX_PARAMS];
	size_t fn = 0;

	*path_seen = false;
	for (size_t i = 0; i < r->n; i++) {
		const struct route *rt = r->routes[i];

		if (!router_match_pattern(rt->pattern, path, spans, nspans))
			continue;
		*path_seen = true;
		if (router_method_ok(rt, method, false))
			return rt;
		if (head && fallback == NULL && router_method_ok(rt, method, true)) {
			fallback = rt;
			fn = *nspans;
			memcpy(fspans, spans, fn * sizeof *spans);
		}
	}
	if (fallback != NULL) {
		*nspans = fn;
		memcpy(spans, fspans, fn * sizeof *spans);
	}
	return fallback;
}

static bool
router_digits(const char *s, size_t n)
{
	if (n == 0 || n > 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The first segment as a version: 1 if it is one, 0 if it is not one,
 * -1 if it is a malformed one. */
static int
router_version(const char *seg, size_t len, int *major, int *minor)
{
	const char *dot;

	if (len < 2 || seg[0] != 'v')
		return 0;
	dot = memchr(seg, '.', len);
	if (dot != NULL && router_digits(seg + 1, (size_t)(dot - seg - 1)) &&
	    router_digits(dot + 1, len - (size_t)(dot + 1 - seg))) {
		*major = atoi(seg + 1);
		*minor = atoi(dot + 1);
		return 1;
	}
	return isdigit((unsigned char)seg[1]) ? -1 : 0;
}

const struct route *
router_match(struct router *r, struct http_request *req, int *status)
{
	struct router_span spans[ROUTER_MAX_PARAMS];
	size_t nspans = 0, seglen;
	const struct route *rt;
	char *rest = NULL;
	bool seen, rest_seen;
	int v = 0, major = 0, minor = 0;

	req->route = NULL;
	if (r->flags & ROUTER_VERSION_PREFIX && req->path[0] == '/') {
		seglen = router_seglen(req->path + 1);
		v = router_version(req->path + 1, seglen, &major, &minor);
		rest = req->path + 1 + seglen;
		if (v < 0) {
			*status = 400;
			return NULL;
		}
		if (v > 0) {
			static char root[] = "/";

			req->api_major = major;
			req->api_minor = minor;
			req->path = *rest ? rest : root;
		}
	}
	rt = router_find(r, req->method, req->path, spans, &nspans, &seen);
	if (rt == NULL && v == 0 && r->flags & ROUTER_VERSION_PREFIX &&
	    rest != NULL && req->path[1] == 'v' && *rest != '\0') {
		router_find(r, req->method, rest, spans, &nspans, &rest_seen);
		if (rest_seen) {
			*status = 400;  /* "/vfoo/containers/json" */
			return NULL;
		}
	}
	if (rt == NULL) {
		*status = seen ? 405 : 404;
		return NULL;
	}
	router_set_params(req, spans, nspans);
	req->route = (void *)(uintptr_t)rt;
	*status = 200;
	return rt;
}
