/*
 * fetch-int.h: the inside of fetch, shared by its two files: fetch.c (a
 * request, its hops and answers, on libcurl's multi loop) and
 * fetch-route.c (which proxy a hop takes, and judging the addresses of a
 * host the proxy will reach for us).
 */
#ifndef SDC_FETCH_INT_H
#define SDC_FETCH_INT_H

#include "fetch.h"

/* A hop's URL in parts; free with fetch_url_free. */
struct fetch_url {
	bool tls;
	char *host;                     /* without the [] of an IPv6 literal */
	int port;
};

int fetch_url_parse(struct fetch_url *u, const char *url, sdc_error_t *err);
void fetch_url_free(struct fetch_url *u);

/* The proxy the environment names for u, as curl reads it: an http
 * URL's is http_proxy (lower case only), an https one's https_proxy or
 * HTTPS_PROXY, then all_proxy or ALL_PROXY; none for a host no_proxy or
 * NO_PROXY covers.  NULL: go direct. */
const char *fetch_proxy_for(const struct fetch_url *u);

/* addr_check over every address u's host resolves to here, within
 * timeout_ms: 0 all allowed (or the name does not resolve: the proxy's
 * to try), -1 one refused. */
int fetch_check_target(const struct fetch_options *o,
    const struct fetch_url *u, long timeout_ms);

#endif
