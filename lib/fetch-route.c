/*
 * fetch-route.c: which way a hop goes (a proxy from the environment, or
 * direct), and the address check of a host a proxy reaches for us.
 *
 * The proxy is chosen here rather than by libcurl's own reading of the
 * environment because the address check depends on it: a direct
 * connection is judged address by address as libcurl opens its sockets,
 * but through a proxy the only socket is the proxy's, so the target's
 * addresses are looked up and judged here before the proxy is asked.
 * The rules are curl's: the lower-case http_proxy only (an upper-case
 * HTTP_PROXY may come from a CGI request's "Proxy:" header), https_proxy
 * or HTTPS_PROXY, then all_proxy or ALL_PROXY; no_proxy or NO_PROXY lists
 * hosts and domains (".example.com" or "example.com", each also matching
 * its subdomains) that go direct, "*" alone meaning all of them.  What
 * the proxy's URL says (scheme, credentials) is libcurl's to use.
 *
 * The lookup runs under the connect timeout (getaddrinfo_a, waited on
 * with gai_suspend): a DNS server that never answers must not hold a
 * pull for the resolver's own retries.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>

#include "fetch-int.h"
#include "xalloc.h"

int
fetch_url_parse(struct fetch_url *u, const char *url, sdc_error_t *err)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = 0;

	memset(u, 0, sizeof *u);
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK || strpbrk(url, " \t\r\n") != NULL)
		rc = sdc_make_error_code(err, FETCH_E_URL, "%s: malformed URL",
		    url);
	else if (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0)
		rc = sdc_make_error_code(err, FETCH_E_URL, "%s: not an "
		    "http:// or https:// URL", url);
	else {
		u->tls = strcasecmp(scheme, "https") == 0;
		if (host[0] == '[')
			u->host = xstrndup(host + 1, strcspn(host + 1, "]%"));
		else
			u->host = xstrdup(host);
		u->port = atoi(port);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return rc;
}

void
fetch_url_free(struct fetch_url *u)
{
	free(u->host);
	memset(u, 0, sizeof *u);
}

static const char *
fetch_env(const char *lower, const char *upper)
{
	const char *v = getenv(lower);

	if ((v == NULL || *v == '\0') && upper != NULL)
		v = getenv(upper);
	return v != NULL && *v != '\0' ? v : NULL;
}

/* Does one no_proxy entry of n bytes cover host? */
static bool
fetch_no_proxy_entry(const char *host, const char *e, size_t n)
{
	size_t hl = strlen(host);

	if (n > 0 && *e == '.') {
		e++;
		n--;
	}
	if (n >= 2 && *e == '[' && e[n - 1] == ']') {
		e++;
		n -= 2;
	}
	if (n == 0 || n > hl)
		return false;
	if (strncasecmp(host + hl - n, e, n) != 0)
		return false;
	return hl == n || host[hl - n - 1] == '.';
}

static bool
fetch_no_proxy(const char *host)
{
	const char *list = fetch_env("no_proxy", "NO_PROXY"), *p;
	size_t n;

	if (list == NULL)
		return false;
	for (p = list; *p != '\0'; p += n) {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 1 && *p == '*')
			return true;
		if (n > 0 && fetch_no_proxy_entry(host, p, n))
			return true;
	}
	return false;
}

const char *
fetch_proxy_for(const struct fetch_url *u)
{
	const char *spec = u->tls ? fetch_env("https_proxy", "HTTPS_PROXY") :
	    fetch_env("http_proxy", NULL);

	if (spec == NULL)
		spec = fetch_env("all_proxy", "ALL_PROXY");
	if (spec == NULL || fetch_no_proxy(u->host))
		return NULL;
	return spec;
}

/* Look host up within timeout_ms: 0 with *res, or -1 (no answer in time
 * or none at all). */
static int
fetch_lookup(const char *host, const char *port, long timeout_ms,
    struct addrinfo **res)
{
	static const struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo numeric = hints;
	struct gaicb *g;
	struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000 };
	int rc;

	numeric.ai_flags = AI_NUMERICHOST;
	if ((rc = getaddrinfo(host, port, &numeric, res)) != EAI_NONAME)
		return rc == 0 ? 0 : -1;
	g = xcalloc(1, sizeof *g + sizeof hints);
	g->ar_name = xstrdup(host);
	g->ar_service = xstrdup(port);
	memcpy(g + 1, &hints, sizeof hints);
	g->ar_request = (const struct addrinfo *)(g + 1);
	if (getaddrinfo_a(GAI_NOWAIT, &g, 1, NULL) != 0)
		goto gone;
	while ((rc = gai_suspend((const struct gaicb *const *)&g, 1, &ts)) ==
	    EAI_INTR)
		;
	if (rc == EAI_AGAIN && gai_cancel(g) != EAI_CANCELED)
		return -1;      /* still in the resolver's hands: left to it */
	if (gai_error(g) == 0) {
		*res = g->ar_result;
		rc = 0;
	} else
		rc = -1;
gone:
	free((char *)g->ar_name);
	free((char *)g->ar_service);
	free(g);
	return rc == 0 ? 0 : -1;
}

int
fetch_check_target(const struct fetch_options *o, const struct fetch_url *u,
    long timeout_ms)
{
	struct addrinfo *res = NULL, *a;
	char port[8];
	int rc = 0;

	snprintf(port, sizeof port, "%d", u->port);
	if (fetch_lookup(u->host, port, timeout_ms, &res) < 0)
		return 0;
	for (a = res; a != NULL && rc == 0; a = a->ai_next)
		rc = o->addr_check(o->addr_check_arg, u->host, u->port,
		    a->ai_addr);
	freeaddrinfo(res);
	return rc < 0 ? -1 : 0;
}
