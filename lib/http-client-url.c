/*
 * http-client-url.c: the URLs http-client takes, where a redirect leads,
 * and which proxy the environment names.
 *
 * Only what requests need: scheme, host (an IPv6 literal in brackets),
 * port and the request-target; no user:pass@ in request URLs.  The proxy
 * rules are curl's, so a registry pull goes where it went before: the
 * lower-case http_proxy only (an upper-case HTTP_PROXY may come from a CGI
 * request's "Proxy:" header), https_proxy or HTTPS_PROXY, then all_proxy or
 * ALL_PROXY; no_proxy or NO_PROXY lists hosts and domains (".example.com"
 * or "example.com", each also matching its subdomains) that go direct,
 * "*" alone meaning all of them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "http-client-int.h"
#include "xalloc.h"

static int
hc_url_port(const char *s, size_t n, int *port)
{
	long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* "host", "host:port", "[v6]" or "[v6]:port" of n bytes. */
static int
hc_url_authority(struct hc_url *u, const char *s, size_t n)
{
	const char *colon, *end = s + n;

	if (n > 0 && *s == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL || close == s + 1)
			return -1;
		u->host = xstrndup(s + 1, (size_t)(close - s - 1));
		if (close + 1 == end)
			return 0;
		if (close[1] != ':')
			return -1;
		return hc_url_port(close + 2, (size_t)(end - close - 2), &u->port);
	}
	colon = memchr(s, ':', n);
	if (colon == s || n == 0)
		return -1;
	u->host = xstrndup(s, colon != NULL ? (size_t)(colon - s) : n);
	if (strchr(u->host, '@') != NULL)
		return -1;
	if (colon == NULL)
		return 0;
	return hc_url_port(colon + 1, (size_t)(end - colon - 1), &u->port);
}

int
hc_url_parse(struct hc_url *u, const char *url, sdc_error_t *err)
{
	const char *rest, *slash;
	size_t n;

	memset(u, 0, sizeof *u);
	if (strncasecmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0) {
		rest = url + 8;
		u->tls = true;
	} else
		return sdc_make_error_code(err, HTTP_CLIENT_E_URL, "%s: not an "
		    "http:// or https:// URL", url);
	u->port = u->tls ? 443 : 80;
	n = strcspn(rest, "/?#");
	slash = rest + n;
	if (hc_url_authority(u, rest, n) < 0 ||
	    strpbrk(url, " \t\r\n") != NULL) {
		hc_url_free(u);
		return sdc_make_error_code(err, HTTP_CLIENT_E_URL,
		    "%s: malformed URL", url);
	}
	n = strcspn(slash, "#");
	if (*slash == '/')
		u->target = xstrndup(slash, n);
	else
		xasprintf(&u->target, "/%.*s", (int)n, slash);
	return 0;
}

void
hc_url_free(struct hc_url *u)
{
	free(u->host);
	free(u->target);
	memset(u, 0, sizeof *u);
}

char *
hc_url_hostport(const struct hc_url *u, bool always_port)
{
	bool v6 = strchr(u->host, ':') != NULL;
	char *out;

	if (!always_port && u->port == (u->tls ? 443 : 80))
		xasprintf(&out, v6 ? "[%s]" : "%s", u->host);
	else
		xasprintf(&out, v6 ? "[%s]:%d" : "%s:%d", u->host, u->port);
	return out;
}

char *
hc_url_join(const struct hc_url *bu, const char *location)
{
	const char *scheme = bu->tls ? "https:" : "http:";
	char *hostport = hc_url_hostport(bu, false), *out;
	size_t dir;

	if (strncasecmp(location, "http://", 7) == 0 ||
	    strncasecmp(location, "https://", 8) == 0)
		out = xstrdup(location);
	else if (strncmp(location, "//", 2) == 0)
		xasprintf(&out, "%s%s", scheme, location);
	else if (*location == '/')
		xasprintf(&out, "%s//%s%s", scheme, hostport, location);
	else if (*location == '?')
		xasprintf(&out, "%s//%s%.*s%s", scheme, hostport,
		    (int)strcspn(bu->target, "?"), bu->target, location);
	else {
		dir = strcspn(bu->target, "?");
		while (dir > 0 && bu->target[dir - 1] != '/')
			dir--;
		xasprintf(&out, "%s//%s%.*s%s", scheme, hostport, (int)dir,
		    bu->target, location);
	}
	free(hostport);
	return out;
}

/* --- the proxy environment --- */

static const char *
hc_env(const char *lower, const char *upper)
{
	const char *v = getenv(lower);

	if ((v == NULL || *v == '\0') && upper != NULL)
		v = getenv(upper);
	return v != NULL && *v != '\0' ? v : NULL;
}

/* Does one no_proxy entry of n bytes cover host? */
static bool
hc_no_proxy_entry(const char *host, const char *e, size_t n)
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
hc_no_proxy(const char *host)
{
	const char *list = hc_env("no_proxy", "NO_PROXY"), *p;
	size_t n;

	if (list == NULL)
		return false;
	for (p = list; *p != '\0'; p += n) {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 1 && *p == '*')
			return true;
		if (n > 0 && hc_no_proxy_entry(host, p, n))
			return true;
	}
	return false;
}

char *
http_client_basic_auth(const char *user, const char *pass)
{
	char *plain, *out;
	unsigned char *b64;
	size_t len;

	xasprintf(&plain, "%s:%s", user != NULL ? user : "",
	    pass != NULL ? pass : "");
	len = strlen(plain);
	b64 = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)len);
	xasprintf(&out, "Basic %s", (char *)b64);
	free(plain);
	free(b64);
	return out;
}

/* "[http://][user:pass@]host[:port][/]" into p. */
static int
hc_proxy_parse(const char *spec, struct hc_proxy *p, sdc_error_t *err)
{
	const char *s = spec, *at;
	struct hc_url u = { 0 };
	char *user, *pass;
	size_t n;

	if (strstr(s, "://") != NULL) {
		if (strncasecmp(s, "http://", 7) != 0)
			return sdc_make_error_code(err, HTTP_CLIENT_E_PROXY,
			    "proxy %s: only http:// proxies are supported", spec);
		s += 7;
	}
	n = strcspn(s, "/");
	at = memchr(s, '@', n);
	if (at != NULL) {
		user = xstrndup(s, (size_t)(at - s));
		pass = strchr(user, ':');
		if (pass != NULL)
			*pass++ = '\0';
		p->authz = http_client_basic_auth(user, pass);
		free(user);
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	u.port = 1080;
	if (hc_url_authority(&u, s, n) < 0) {
		hc_url_free(&u);
		hc_proxy_free(p);
		return sdc_make_error_code(err, HTTP_CLIENT_E_PROXY,
		    "proxy %s: malformed", spec);
	}
	p->host = u.host;
	p->port = u.port;
	return 0;
}

int
hc_proxy_for(const struct hc_url *u, struct hc_proxy *p, sdc_error_t *err)
{
	const char *spec;

	memset(p, 0, sizeof *p);
	spec = u->tls ? hc_env("https_proxy", "HTTPS_PROXY") :
	    hc_env("http_proxy", NULL);
	if (spec == NULL)
		spec = hc_env("all_proxy", "ALL_PROXY");
	if (spec == NULL || hc_no_proxy(u->host))
		return 0;
	return hc_proxy_parse(spec, p, err) < 0 ? -1 : 1;
}

void
hc_proxy_free(struct hc_proxy *p)
{
	free(p->host);
	free(p->authz);
	memset(p, 0, sizeof *p);
}

char *
http_client_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			buf_putc(&b, (char)ch);
		else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[ch >> 4]);
			buf_putc(&b, hex[ch & 15]);
		}
	}
	return buf_detach(&b, NULL);
}
