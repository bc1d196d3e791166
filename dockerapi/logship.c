/*
 * logship.c: the syslog, gelf and fluentd log drivers, the daemon's half:
 * their options checked at create, and at each start the address
 * resolved, judged, and handed to the monitor (monitor/ship.c sends)
 * with everything about the container a message carries.
 *
 * The monitor runs in the node's network namespace, so a log address is
 * a way for a tenant to make the node send packets.  It gets the rule
 * registries get (images/addrcheck.c): loopback, link-local (the
 * metadata address among them), private, unspecified, multicast,
 * reserved and the node's own addresses are refused unless the operator
 * lists the host, "host:port" or network in LOG_ALLOW_PRIVATE; and even
 * then an address inside another account's container network is
 * refused.  A unix socket is a path on the node (/dev/log, the daemon's
 * own sockets), so it is taken only when LOG_ALLOW_PRIVATE names it
 * ("unix:///dev/log").  A name is resolved here, at start, and the
 * monitor gets the numeric address that passed, so a DNS answer cannot
 * change the target after the check.  A literal address is judged at
 * create too, so the mistake shows at once.
 *
 * What is refused is refused with 400 naming the driver, the option and
 * why; nothing given is ignored.  `docker logs` keeps working, as with
 * dockerd's dual logging: the monitor writes stdio.log as for json-file.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "containers.h"
#include "jsonutil.h"
#include "networks.h"
#include "timeutil.h"
#include "xalloc.h"
#include "dockerapi/images/images-int.h"

struct ship_addr {
	char proto[10];			/* udp, tcp, unix, unixgram */
	char host[256];
	int port;
	char path[108];
};

static const char *const ship_facilities[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", NULL, NULL, NULL, NULL,
	"local0", "local1", "local2", "local3", "local4", "local5", "local6",
	"local7",
};

static const char *
ship_addr_opt(const char *driver)
{
	return strcmp(driver, "syslog") == 0 ? "syslog-address" :
	    strcmp(driver, "gelf") == 0 ? "gelf-address" : "fluentd-address";
}

/* "host[:port]" or "[v6][:port]" into a; port_default 0: one is needed. */
static bool
ship_hostport(const char *s, int port_default, struct ship_addr *a)
{
	const char *colon = strrchr(s, ':'), *h = s;
	size_t n;
	char *end;
	long port = port_default;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return false;
		h = s + 1;
		n = (size_t)(close - h);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		if (colon != NULL && strchr(s, ':') != colon)
			colon = NULL;	/* a bare v6 address: no port */
		n = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (colon != NULL) {
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || colon[1] == '\0')
			return false;
	}
	if (n == 0 || n >= sizeof a->host || port <= 0 || port > 65535)
		return false;
	memcpy(a->host, h, n);
	a->host[n] = '\0';
	a->port = (int)port;
	return strspn(a->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_:") == n;
}

static int
ship_parse(const char *driver, const char *v, struct ship_addr *a,
    sdc_error_t *err)
{
	const char *opt = ship_addr_opt(driver), *rest = strstr(v, "://");
	bool ok = false;

	memset(a, 0, sizeof *a);
	if (rest != NULL && (size_t)(rest - v) < sizeof a->proto) {
		memcpy(a->proto, v, (size_t)(rest - v));
		rest += 3;
	} else if (strcmp(driver, "fluentd") == 0 && rest == NULL) {
		strcpy(a->proto, "tcp");
		rest = v;
	} else
		rest = "";
	if (strcmp(a->proto, "tcp+tls") == 0)
		return sdc_make_error_code(err, 400, "%s log driver: %s \"%s\": "
		    "tcp+tls is not offered here (no client certificates for "
		    "log servers); use udp:// or tcp://", driver, opt, v);
	if (strcmp(a->proto, "unix") == 0 || strcmp(a->proto, "unixgram") == 0) {
		ok = strcmp(driver, "gelf") != 0 && !(strcmp(driver, "fluentd") == 0 &&
		    strcmp(a->proto, "unixgram") == 0) && rest[0] == '/' &&
		    strlen(rest) < sizeof a->path;
		if (ok)
			strcpy(a->path, rest);
	} else if (strcmp(a->proto, "udp") == 0 || strcmp(a->proto, "tcp") == 0) {
		ok = !(strcmp(driver, "fluentd") == 0 && strcmp(a->proto, "udp") == 0) &&
		    ship_hostport(rest, strcmp(driver, "syslog") == 0 ? 514 :
		    strcmp(driver, "fluentd") == 0 ? 24224 : 0, a);
	}
	if (!ok)
		return sdc_make_error_code(err, 400, "%s log driver: invalid %s "
		    "\"%s\": expected %s", driver, opt, v,
		    strcmp(driver, "syslog") == 0 ? "udp://HOST[:PORT], "
		    "tcp://HOST[:PORT], unix:///PATH or unixgram:///PATH" :
		    strcmp(driver, "gelf") == 0 ? "udp://HOST:PORT or "
		    "tcp://HOST:PORT" : "HOST[:PORT], tcp://HOST[:PORT] or "
		    "unix:///PATH");
	return 0;
}

/* LOG_ALLOW_PRIVATE: a JSON array, or names separated by commas or
 * spaces (as typed into sapiadm). */
static void
ship_allowed(struct dockerapi *d, struct strvec *out)
{
	const json_t *v = json_object_get(tunables_get(d), "LOG_ALLOW_PRIVATE");
	char *copy, *tok, *save;
	size_t i;
	json_t *e;

	memset(out, 0, sizeof *out);
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (json_is_string(e) && *json_string_value(e) != '\0')
				strvec_push(out, json_string_value(e));
		return;
	}
	copy = xstrdup(json_is_string(v) ? json_string_value(v) : "");
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save))
		strvec_push(out, tok);
	free(copy);
}

/* The account of the container network sa is in, or NULL. */
static char *
ship_network_owner(struct dockerapi *d, const struct sockaddr *sa)
{
	struct network *nets;
	size_t n, i;
	sdc_error_t err = NULL;
	uint32_t ip, mask;
	char *owner = NULL;

	if (sa->sa_family != AF_INET)
		return NULL;
	ip = ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr);
	if (networks_list(d, NULL, &nets, &n, &err) < 0) {
		sdc_error_release(&err);
		return xstrdup("?");		/* on doubt, refuse */
	}
	for (i = 0; i < n && owner == NULL; i++) {
		mask = nets[i].prefix == 0 ? 0 : ~0u << (32 - nets[i].prefix);
		if ((ip & mask) == (nets[i].subnet & mask))
			owner = xstrdup(nets[i].account);
	}
	networks_free(nets, n);
	return owner;
}

/* NULL when the monitor may send to sa, else the reason it may not.  A
 * NULL account (at create) leaves the networks to the check at start. */
static const char *
ship_judge(struct dockerapi *d, const char *account, const struct strvec *allow,
    const struct ship_addr *a, const struct sockaddr *sa)
{
	char *owner = account != NULL ? ship_network_owner(d, sa) : NULL;
	bool other = owner != NULL && strcmp(owner, account) != 0;

	free(owner);
	if (other)
		return "is in another account's container network";
	if (addrcheck_allowed(allow, a->host, a->port, sa) < 0)
		return "is a loopback, link-local, private, unspecified, "
		    "multicast or this host's own address, which log servers "
		    "are not reached at unless the operator allows it "
		    "(LOG_ALLOW_PRIVATE)";
	return NULL;
}

/* A unix socket named in LOG_ALLOW_PRIVATE as unix://PATH? */
static int
ship_unix_allowed(const char *driver, const struct strvec *allow,
    const struct ship_addr *a, sdc_error_t *err)
{
	char *want;
	bool ok;

	xasprintf(&want, "unix://%s", a->path);
	ok = strvec_has(allow, want);
	free(want);
	if (ok)
		return 0;
	return sdc_make_error_code(err, 400, "%s log driver: %s %s://%s "
	    "refused: a unix socket is a path on the node, which log servers "
	    "are not reached at unless the operator allows it "
	    "(LOG_ALLOW_PRIVATE unix://%s)", driver, ship_addr_opt(driver),
	    a->proto, a->path, a->path);
}

/* The address resolved and judged: "udp:1.2.3.4:514" for the monitor. */
static char *
ship_resolve(struct dockerapi *d, const char *account, const char *driver,
    const struct ship_addr *a, bool literal_only, sdc_error_t *err)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV }, *res, *r;
	const char *why = NULL;
	char port[16], numeric[INET6_ADDRSTRLEN], *out = NULL;
	struct strvec allow;
	int rc;

	ship_allowed(d, &allow);
	if (a->path[0] != '\0') {
		if (ship_unix_allowed(driver, &allow, a, err) == 0)
			xasprintf(&out, "%s:%s", a->proto, a->path);
		strvec_clear(&allow);
		return out;
	}
	snprintf(port, sizeof port, "%d", a->port);
	hints.ai_socktype = strcmp(a->proto, "udp") == 0 ? SOCK_DGRAM :
	    SOCK_STREAM;
	if (literal_only)
		hints.ai_flags |= AI_NUMERICHOST;
	if ((rc = getaddrinfo(a->host, port, &hints, &res)) != 0) {
		strvec_clear(&allow);
		if (literal_only)
			return xstrdup("");	/* a name: judged at start */
		sdc_make_error_code(err, 400, "%s log driver: %s: resolving "
		    "%s: %s", driver, ship_addr_opt(driver), a->host,
		    gai_strerror(rc));
		return NULL;
	}
	for (r = res; r != NULL && out == NULL; r = r->ai_next) {
		if (r->ai_family != AF_INET && r->ai_family != AF_INET6)
			continue;
		if ((why = ship_judge(d, account, &allow, a, r->ai_addr)) != NULL)
			continue;
		getnameinfo(r->ai_addr, r->ai_addrlen, numeric, sizeof numeric,
		    NULL, 0, NI_NUMERICHOST);
		xasprintf(&out, r->ai_family == AF_INET6 ? "%s:[%s]:%d" :
		    "%s:%s:%d", a->proto, numeric, a->port);
	}
	freeaddrinfo(res);
	strvec_clear(&allow);
	if (out == NULL)
		sdc_make_error_code(err, 400, "%s log driver: %s %s refused: %s %s",
		    driver, ship_addr_opt(driver), a->host, a->host, why != NULL ? why :
		    "has no IPv4 or IPv6 address");
	return out;
}

static bool
ship_bool(const char *v, bool *out)
{
	static const char *const t[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const f[] = { "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, t[i]) == 0)
			return (*out = true);
		if (strcmp(v, f[i]) == 0)
			return !(*out = false);
	}
	return false;
}

/* A Go duration ("500ms", "1s", "2m") in ms; -1 if not one. */
static long long
ship_duration_ms(const char *v)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v || x < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		return (long long)x;
	if (strcmp(end, "s") == 0)
		return (long long)(x * 1000);
	if (strcmp(end, "m") == 0)
		return (long long)(x * 60000);
	if (strcmp(end, "h") == 0)
		return (long long)(x * 3600000);
	return -1;
}

static int
ship_facility(const char *v)
{
	char *end;
	long n;

	if (*v == '\0')
		return 3;
	for (int i = 0; i < 24; i++)
		if (ship_facilities[i] != NULL && strcmp(v, ship_facilities[i]) == 0)
			return i;
	n = strtol(v, &end, 10);
	return *end == '\0' && n >= 0 && n < 24 && ship_facilities[n] != NULL ?
	    (int)n : -1;
}

/* Docker's tag templates, the ones a tag is made of in practice. */
static int
ship_tag(const struct ctr *c, const char *tmpl, struct buf *out,
    sdc_error_t *err)
{
	static const char *const keys[] = { "{{.ID}}", "{{.FullID}}",
	    "{{.Name}}", "{{.ImageID}}", "{{.ImageFullID}}", "{{.ImageName}}",
	    "{{.DaemonName}}", NULL };
	const char *p = tmpl, *image_hex;
	size_t k, n;

	while (*p != '\0') {
		if (strncmp(p, "{{", 2) != 0) {
			buf_putc(out, *p++);
			continue;
		}
		for (k = 0; keys[k] != NULL; k++)
			if (strncmp(p, keys[k], strlen(keys[k])) == 0)
				break;
		if (keys[k] == NULL) {
			n = strcspn(p, "}");
			return sdc_make_error_code(err, 400, "log opt tag: the "
			    "template %.*s is not offered here (only {{.ID}}, "
			    "{{.FullID}}, {{.Name}}, {{.ImageID}}, "
			    "{{.ImageFullID}}, {{.ImageName}}, {{.DaemonName}})",
			    (int)(n + 2 > strlen(p) ? strlen(p) : n + 2), p);
		}
		p += strlen(keys[k]);
		if (c == NULL)
			continue;
		image_hex = c->image_id != NULL && strncmp(c->image_id,
		    "sha256:", 7) == 0 ? c->image_id + 7 : c->image_id ?: "";
		switch (k) {
		case 0: buf_printf(out, "%.12s", c->id); break;
		case 1: buf_puts(out, c->id); break;
		case 2: buf_puts(out, c->name); break;
		case 3: buf_printf(out, "%.12s", image_hex); break;
		case 4: buf_puts(out, c->image_id ?: ""); break;
		case 5: buf_puts(out, c->image ?: ""); break;
		case 6: buf_puts(out, "docker"); break;
		}
	}
	return 0;
}

int
logship_check(struct dockerapi *d, const char *account, const char *driver,
    const json_t *opts, sdc_error_t *err)
{
	const char *v;
	struct ship_addr a;
	struct buf tag = BUF_INIT;
	char *addr, *end;
	bool b;
	long n;

	if (strcmp(driver, "syslog") != 0 && strcmp(driver, "gelf") != 0 &&
	    strcmp(driver, "fluentd") != 0)
		return 0;
	v = json_str(opts, ship_addr_opt(driver), "");
	if (ship_parse(driver, v, &a, err) < 0)
		return -1;
	if ((addr = ship_resolve(d, account, driver, &a, true, err)) == NULL)
		return -1;
	free(addr);
	v = json_str(opts, "syslog-format", "");
	if (*v != '\0' && strcmp(v, "rfc3164") != 0 && strcmp(v, "rfc5424") != 0 &&
	    strcmp(v, "rfc5424micro") != 0)
		return sdc_make_error_code(err, 400, "Invalid syslog format: %s "
		    "(expected rfc3164, rfc5424 or rfc5424micro)", v);
	if (ship_facility(json_str(opts, "syslog-facility", "")) < 0)
		return sdc_make_error_code(err, 400, "invalid syslog facility: %s",
		    json_str(opts, "syslog-facility", ""));
	v = json_str(opts, "gelf-compression-type", "");
	if (*v != '\0' && strcmp(v, "gzip") != 0 && strcmp(v, "zlib") != 0 &&
	    strcmp(v, "none") != 0)
		return sdc_make_error_code(err, 400, "unknown gelf compression "
		    "type: %s (gzip, zlib or none)", v);
	if (*v != '\0' && strcmp(v, "none") != 0 && strcmp(a.proto, "tcp") == 0)
		return sdc_make_error_code(err, 400, "gelf log driver: "
		    "gelf-compression-type %s is for udp; gelf over tcp is "
		    "not compressed", v);
	v = json_str(opts, "gelf-compression-level", "");
	if (*v != '\0' && ((n = strtol(v, &end, 10)) < -1 || n > 9 || *end != '\0'))
		return sdc_make_error_code(err, 400, "invalid gelf compression "
		    "level: %s (-1 to 9)", v);
	v = json_str(opts, "fluentd-async-connect", "");
	if (*v != '\0' && !ship_bool(v, &b))
		return sdc_make_error_code(err, 400, "invalid fluentd-async-connect "
		    "\"%s\": expected true or false", v);
	v = json_str(opts, "fluentd-retry-wait", "");
	if (*v != '\0' && ship_duration_ms(v) < 0)
		return sdc_make_error_code(err, 400, "invalid fluentd-retry-wait "
		    "\"%s\": expected a duration like 500ms or 1s", v);
	v = json_str(opts, "fluentd-max-retries", "");
	if (*v != '\0' && ((n = strtol(v, &end, 10)) < 0 || *end != '\0'))
		return sdc_make_error_code(err, 400, "invalid fluentd-max-retries "
		    "\"%s\"", v);
	v = json_str(opts, "fluentd-buffer-limit", "");
	if (*v != '\0' && ((n = strtol(v, &end, 10)) < 0 || *end != '\0'))
		return sdc_make_error_code(err, 400, "invalid fluentd-buffer-limit "
		    "\"%s\": a number of records", v);
	n = ship_tag(NULL, json_str(opts, "tag", ""), &tag, err);
	buf_free(&tag);
	return (int)n;
}

static void
ship_arg(struct strvec *out, const char *opt, const char *v)
{
	char *s;

	xasprintf(&s, "%s=%s", opt, v);
	strvec_push(out, s);
	free(s);
}

static void
ship_field(struct strvec *out, const char *k, const char *v)
{
	char *kv;

	if (out->n >= 60)	/* the monitor takes 64 fields, tag... aside */
		return;
	xasprintf(&kv, "%s=%s", k, v);
	ship_arg(out, "--log-field", kv);
	free(kv);
}

/* labels= and env=: the container's labels and variables by name. */
static void
ship_extra(const struct ctr *c, const json_t *opts, struct strvec *out)
{
	const json_t *labels = json_object_get(c->config, "Labels"), *e;
	char *list, *tok, *save;
	size_t i, n;

	list = xstrdup(json_str(opts, "labels", ""));
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		if (json_is_string(json_object_get(labels, tok)))
			ship_field(out, tok, json_string_value(
			    json_object_get(labels, tok)));
	free(list);
	list = xstrdup(json_str(opts, "env", ""));
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		n = strlen(tok);
		json_array_foreach(json_object_get(c->config, "Env"), i, e) {
			const char *s = json_string_value(e);
			if (s != NULL && strncmp(s, tok, n) == 0 && s[n] == '=')
				ship_field(out, tok, s + n + 1);
		}
	}
	free(list);
}

int
logship_args(struct dockerapi *d, const struct ctr *c, struct strvec *out,
    sdc_error_t *err)
{
	const json_t *lc = json_object_get(c->host_config, "LogConfig");
	const json_t *opts = json_object_get(lc, "Config");
	const char *driver = json_str(lc, "Type", "json-file"), *v;
	struct ship_addr a;
	struct buf tag = BUF_INIT, cmd = BUF_INIT;
	char host[256], num[TIME_RFC3339_LEN], *addr, *name;
	const json_t *e;
	size_t i;
	bool b = false;

	memset(out, 0, sizeof *out);
	if (strcmp(driver, "syslog") != 0 && strcmp(driver, "gelf") != 0 &&
	    strcmp(driver, "fluentd") != 0)
		return 0;
	if (ship_parse(driver, json_str(opts, ship_addr_opt(driver), ""), &a,
	    err) < 0)
		return -1;
	if ((addr = ship_resolve(d, c->account, driver, &a, false, err)) == NULL)
		return -1;
	if (ship_tag(c, json_str(opts, "tag", "{{.ID}}"), &tag, err) < 0) {
		free(addr);
		return -1;
	}
	if (gethostname(host, sizeof host) < 0)
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	ship_arg(out, "--log-driver", driver);
	ship_arg(out, "--log-address", addr);
	ship_arg(out, "--log-tag", buf_str(&tag));
	ship_arg(out, "--log-host", host);
	free(addr);
	xasprintf(&name, "/%s", c->name);
	if (strcmp(driver, "syslog") == 0) {
		ship_arg(out, "--log-format", json_str(opts, "syslog-format", ""));
		snprintf(num, sizeof num, "%d", ship_facility(json_str(opts,
		    "syslog-facility", "")));
		ship_arg(out, "--log-facility", num);
	} else if (strcmp(driver, "gelf") == 0) {
		v = json_str(opts, "gelf-compression-type", "");
		ship_arg(out, "--log-compress", *v != '\0' ? v : "gzip");
		ship_arg(out, "--log-compress-level", json_str(opts,
		    "gelf-compression-level", "1"));
		buf_puts(&cmd, json_str(c->extra, "Path", ""));
		json_array_foreach(json_object_get(c->extra, "Args"), i, e)
			buf_printf(&cmd, " %s", json_string_value(e) ?: "");
		ship_field(out, "container_id", c->id);
		ship_field(out, "container_name", name);
		ship_field(out, "image_id", c->image_id ?: "");
		ship_field(out, "image_name", c->image ?: "");
		ship_field(out, "command", buf_str(&cmd));
		ship_field(out, "tag", buf_str(&tag));
		time_rfc3339(num, sizeof num, c->created, 9);
		ship_field(out, "created", num);
		ship_extra(c, opts, out);
	} else {
		ship_field(out, "container_id", c->id);
		ship_field(out, "container_name", name);
		ship_extra(c, opts, out);
		v = json_str(opts, "fluentd-async-connect", "");
		if (*v != '\0' && ship_bool(v, &b) && b)
			strvec_push(out, "--log-async");
		v = json_str(opts, "fluentd-retry-wait", "");
		snprintf(num, sizeof num, "%lld", *v != '\0' ?
		    ship_duration_ms(v) : 1000LL);
		ship_arg(out, "--log-retry-ms", num);
		ship_arg(out, "--log-max-retries", json_str(opts,
		    "fluentd-max-retries", "0"));
		ship_arg(out, "--log-buffer-limit", json_str(opts,
		    "fluentd-buffer-limit", "0"));
	}
	free(name);
	buf_free(&tag);
	buf_free(&cmd);
	return 0;
}
