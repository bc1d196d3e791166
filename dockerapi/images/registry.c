/*
 * registry.c: a Docker registry v2 client on lib/fetch (libcurl), enough to
 * pull and to check a login.
 *
 * One `struct registry` is one fetch client (kept, so requests reuse the
 * connection) and is used by one thread; a pull that fetches layers in
 * parallel gives each transfer thread its own copy (registry_dup), which
 * shares nothing but starts from the same endpoint and token.  Redirects
 * are followed (blob downloads go to a storage host, without the
 * Authorization header), https_proxy and the like are honoured, and a
 * transfer that receives nothing for a minute is given up.
 *
 * Endpoint choice follows Docker: docker.io goes to the configured mirror
 * or to registry-1.docker.io; other registries are HTTPS, except those the
 * caller marks insecure and loopback addresses, which are tried over HTTPS
 * without verification first and then over plain HTTP.  Authentication
 * starts only when a registry answers 401: the WWW-Authenticate challenge
 * says Basic (credentials sent as they are) or Bearer (a token is fetched
 * from the realm for the repository's pull scope, with the credentials, if
 * any, as basic auth), and the request is tried once more.  A login is the
 * same GET /v2/ with no repository: the token asked for has no scope, and
 * the login holds when /v2/ answers 2xx with it.
 *
 * Tokens expire (Docker's token servers give 60 to 300 s), and a push of
 * large layers outlives them.  As dockerd's distribution client does, a
 * token is renewed before a request once its lifetime (expires_in, at
 * least 60 s) has passed, from the same realm with the same credentials
 * and scope; and any request of a push (HEAD, POST, each PATCH of a
 * chunked upload, its closing PUT, the manifest's PUT) that meets a 401
 * with a challenge anyway gets a new token and is sent once more, its
 * body still in memory.  A second 401 is the push's error, in Docker's
 * words.  A registry that forgets an upload session once the token it
 * was started with is replaced (404 BLOB_UPLOAD_UNKNOWN or 416) has the
 * upload started again, once, from its first byte.
 *
 * Every connection goes through addrcheck.c first: a registry (or token
 * realm, or redirect) on a loopback, private or link-local address is
 * refused, with one message, unless the operator allowed it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

#define REG_MANIFEST_MAX (4 * 1024 * 1024)
#define REG_ERRBODY_MAX (64 * 1024)

static const char reg_manifest_accept[] =
    "Accept: application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json";

struct registry {
	struct fetch *http;
	char *base;		/* "https://host:port", no trailing slash */
	char *name;		/* repository path on that registry; NULL: login */
	char *display;		/* the familiar name, for messages */
	char *authz;		/* "Authorization: ..." or NULL */
	bool verify;		/* TLS verification */
	struct images_auth auth;
	atomic_int *cancel;
	struct strvec allowed;	/* hosts and nets that may be private */
	bool push;		/* a push: tokens for pull,push */
	struct strvec mount_from;	/* repositories a push may mount from */
	char *refused;		/* "host:port" addrcheck refused last */
	pthread_mutex_t refused_lock;
	/* the bearer token fetched last: where from, until when, how many */
	char *bearer_realm, *bearer_service;
	int64_t token_expires_ms;	/* time_mono_ms */
	unsigned token_gen;
};

/* What one request collected. */
struct reg_resp {
	long status;
	struct buf errbody;
	char *www_auth;
	char *content_type;
	char *link;		/* a list's next page */
	char *location;		/* an upload's next URL */
	char *digest;		/* Docker-Content-Digest */
	/* where a 2xx body goes */
	struct buf *body;
	size_t body_max;
	struct blob_writer *blob;
	bool failed;		/* the sink refused data */
	const struct fetch_response *hr;	/* the answer coming in */
	registry_progress_fn *progress;
	void *arg;
	int64_t total;
	atomic_int *cancel;
};

static void
reg_resp_free(struct reg_resp *rr)
{
	buf_free(&rr->errbody);
	free(rr->www_auth);
	free(rr->content_type);
	free(rr->link);
	free(rr->location);
	free(rr->digest);
	rr->www_auth = rr->content_type = rr->link = NULL;
	rr->location = rr->digest = NULL;
}

static bool
reg_ok(const struct fetch_response *hr)
{
	return hr->status >= 200 && hr->status <= 299;
}

static int
reg_sink(void *arg, const struct fetch_response *hr, const void *data,
    size_t len, sdc_error_t *err)
{
	struct reg_resp *rr = arg;

	if (!reg_ok(hr)) {
		if (rr->errbody.len + len <= REG_ERRBODY_MAX)
			buf_append(&rr->errbody, data, len);
		return 0;
	}
	if (rr->blob != NULL) {
		if (blob_writer_write(rr->blob, data, len, err) < 0) {
			rr->failed = true;
			return -1;
		}
		return 0;
	}
	if (rr->body == NULL)	/* an answer nobody reads (an upload's) */
		return 0;
	if (rr->body->len + len > rr->body_max) {
		rr->failed = true;
		return sdc_make_error_code(err, 500, "registry answer larger "
		    "than %zu bytes", rr->body_max);
	}
	buf_append(rr->body, data, len);
	return 0;
}

static int
reg_progress(void *arg, int64_t got, int64_t total)
{
	struct reg_resp *rr = arg;

	(void)total;
	if (rr->cancel != NULL && atomic_load(rr->cancel))
		return -1;
	if (rr->progress != NULL && reg_ok(rr->hr))
		rr->progress(rr->arg, got, rr->total);
	return 0;
}

static void
reg_keep_header(char **to, const struct fetch_response *hr,
    const char *name)
{
	const char *v = fetch_header(hr, name);

	free(*to);
	*to = v != NULL ? xstrdup(v) : NULL;
}

/* An address the operator did not allow: one message, whatever answers
 * (or not) at that address, since nothing was sent there. */
static int
reg_refused(struct registry *r, sdc_error_t *err)
{
	char *host;

	pthread_mutex_lock(&r->refused_lock);
	host = xstrdup(r->refused ? r->refused : r->base);
	pthread_mutex_unlock(&r->refused_lock);
	sdc_error_release(err);
	sdc_make_error_code(err, 403, "%s %s refused: %s is a loopback, "
	    "link-local, private, unspecified, multicast or this host's own "
	    "address, which registries are not reached at unless the operator "
	    "allows it (REGISTRY_ALLOW_PRIVATE)", r->push ? "push to" :
	    r->name != NULL ? "pull from" : "login to", r->display, host);
	free(host);
	return -1;
}

/* One request to url; fills rr.  extra: more "Name: value" headers
 * (up to 3, NULL-terminated, or NULL).  -1 only for transport errors. */
static int
reg_send(struct registry *r, const char *method, const char *url,
    const char *accept, const char *const *extra, const void *body,
    size_t body_len, struct reg_resp *rr, sdc_error_t *err)
{
	const char *headers[7] = { NULL };
	struct fetch_request rq = { .method = method, .url = url,
		.headers = headers, .body = body, .body_len = body_len,
		.sink = reg_sink, .sink_arg = rr, .progress = reg_progress,
		.progress_arg = rr };
	struct fetch_response hr;
	size_t n = 0;
	int rc, code;

	if (accept != NULL)
		headers[n++] = accept;
	if (r->authz != NULL)
		headers[n++] = r->authz;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 6; i++)
		headers[n++] = extra[i];
	rr->cancel = r->cancel;
	rr->failed = false;
	rr->hr = &hr;
	rc = fetch_request(r->http, &rq, &hr, err);
	rr->hr = NULL;
	if (rc < 0) {
		if (rr->failed)
			return -1;      /* the sink's own error */
		code = (*err)->code;
		if (code == FETCH_E_ABORTED) {
			sdc_error_release(err);
			return sdc_make_error_code(err, 500, "cancelled");
		}
		if (code == FETCH_E_REFUSED)
			return reg_refused(r, err);
		(*err)->code = 500;
		if (code == FETCH_E_PARTIAL)
			return sdc_error_wrap(err, "truncated answer from the "
			    "registry (connection closed early)");
		return -1;
	}
	rr->status = hr.status;
	reg_keep_header(&rr->www_auth, &hr, "WWW-Authenticate");
	reg_keep_header(&rr->content_type, &hr, "Content-Type");
	reg_keep_header(&rr->link, &hr, "Link");
	reg_keep_header(&rr->location, &hr, "Location");
	reg_keep_header(&rr->digest, &hr, "Docker-Content-Digest");
	fetch_response_free(&hr);
	return 0;
}

/* One GET of url; fills rr.  -1 only for transport errors. */
static int
reg_get(struct registry *r, const char *url, const char *accept,
    struct reg_resp *rr, sdc_error_t *err)
{
	return reg_send(r, NULL, url, accept, NULL, NULL, 0, rr, err);
}

/* Access refused, in Docker's words for a login, a pull with credentials
 * (401: the docker CLI may ask for others) and one without (404, as
 * dockerd answers: nothing to ask the user for). */
static int
reg_denied(struct registry *r, const char *why, sdc_error_t *err)
{
	if (r->name == NULL)
		return sdc_make_error_code(err, 401, "Get \"%s/v2/\": "
		    "unauthorized: %s", r->base, why);
	if (r->push)
		return sdc_make_error_code(err, 401, "unauthorized: %s",
		    r->auth.username == NULL && r->auth.identitytoken == NULL &&
		    r->auth.registrytoken == NULL ? "authentication required" :
		    why);
	if (r->auth.username == NULL && r->auth.identitytoken == NULL)
		return sdc_make_error_code(err, 404, "pull access denied for %s, "
		    "repository does not exist or may require 'docker login'",
		    r->display);
	return sdc_make_error_code(err, 401, "pull access denied for %s: "
	    "unauthorized: %s", r->display, why);
}

/* The Authorization header the next requests send: Basic credentials. */
static void
reg_authz_basic(struct registry *r, const char *user, const char *pass)
{
	char *b = fetch_basic_auth(user, pass);

	free(r->authz);
	xasprintf(&r->authz, "Authorization: %s", b);
	free(b);
}

/* Fetch a bearer token from the challenge's realm; no scope for a login. */
static int
reg_token(struct registry *r, const struct auth_challenge *ch, sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	struct buf body = BUF_INIT;
	char *url, *svc, *scope = NULL, *scope_param = NULL;
	const char *tok;
	json_t *o;
	int rc;

	if (ch->realm == NULL)
		return sdc_make_error_code(err, 401, "registry asks for a bearer "
		    "token but names no realm");
	svc = fetch_escape(ch->service ? ch->service : "");
	if (r->name != NULL) {
		xasprintf(&scope, "repository:%s:%s", r->name,
		    r->push ? "pull,push" : "pull");
		scope_param = fetch_escape(scope);
	}
	xasprintf(&url, "%s%sservice=%s%s%s", ch->realm,
	    strchr(ch->realm, '?') ? "&" : "?", svc,
	    scope_param != NULL ? "&scope=" : "",
	    scope_param != NULL ? scope_param : "");
	free(scope_param);
	free(scope);
	free(svc);
	/* the repositories a push may mount blobs from: pull on each */
	for (size_t i = 0; i < r->mount_from.n; i++) {
		char *u;
		xasprintf(&scope, "repository:%s:pull", r->mount_from.v[i]);
		scope_param = fetch_escape(scope);
		xasprintf(&u, "%s&scope=%s", url, scope_param);
		free(url);
		url = u;
		free(scope_param);
		free(scope);
	}
	if (r->auth.identitytoken != NULL)
		reg_authz_basic(r, "<token>", r->auth.identitytoken);
	else if (r->auth.username != NULL)
		reg_authz_basic(r, r->auth.username, r->auth.password);
	else {
		free(r->authz);
		r->authz = NULL;
	}
	rr.body = &body;
	rr.body_max = REG_ERRBODY_MAX;
	rc = reg_get(r, url, NULL, &rr, err);
	free(url);
	free(r->authz);
	r->authz = NULL;
	if (rc == 0 && (rr.status == 401 || rr.status == 403))
		rc = reg_denied(r, "incorrect username or password", err);
	else if (rc == 0 && rr.status != 200)
		rc = sdc_make_error_code(err, 500, "token server answered %ld", rr.status);
	if (rc == 0 && (o = json_parse(body.data, body.len, err)) != NULL) {
		tok = json_str(o, "token", NULL);
		if (tok == NULL || *tok == '\0')
			tok = json_str(o, "access_token", NULL);
		if (tok != NULL && *tok != '\0') {
			xasprintf(&r->authz, "Authorization: Bearer %s", tok);
			r->token_expires_ms = time_mono_ms() +
			    auth_token_lifetime(o) * 1000;
			r->token_gen++;
			if (r->bearer_realm != ch->realm) {
				free(r->bearer_realm);
				r->bearer_realm = xstrdup(ch->realm);
			}
			if (r->bearer_service != ch->service) {
				free(r->bearer_service);
				r->bearer_service = ch->service ?
				    xstrdup(ch->service) : NULL;
			}
		} else
			rc = sdc_make_error_code(err, 401, "token server gave no token");
		json_decref(o);
	} else if (rc == 0)
		rc = sdc_error_wrap(err, "token server answer");
	buf_free(&body);
	reg_resp_free(&rr);
	return rc;
}

/* Answer a 401's challenge; afterwards r->authz is set. */
static int
reg_authenticate(struct registry *r, const char *www_auth, sdc_error_t *err)
{
	struct auth_challenge ch;
	int rc = 0;

	if (www_auth == NULL)
		return reg_denied(r, "no challenge to answer", err);
	auth_challenge_parse(www_auth, &ch);
	if (strcasecmp(ch.scheme, "Basic") == 0)
		reg_authz_basic(r, r->auth.username, r->auth.password);
	else if (strcasecmp(ch.scheme, "Bearer") == 0) {
		if (r->auth.registrytoken != NULL) {
			free(r->authz);
			xasprintf(&r->authz, "Authorization: Bearer %s",
			    r->auth.registrytoken);
		} else
			rc = reg_token(r, &ch, err);
	} else
		rc = sdc_make_error_code(err, 401, "registry asks for unknown "
		    "authentication scheme %s", ch.scheme);
	auth_challenge_free(&ch);
	return rc;
}

/* A bearer token past its lifetime: a new one from the same realm, with
 * the same credentials and scope, before the next request. */
static int
reg_token_renew(struct registry *r, sdc_error_t *err)
{
	struct auth_challenge ch = { 0 };

	if (r->bearer_realm == NULL || r->auth.registrytoken != NULL ||
	    r->authz == NULL || time_mono_ms() < r->token_expires_ms)
		return 0;
	ch.realm = r->bearer_realm;
	ch.service = r->bearer_service;
	return reg_token(r, &ch, err);
}

/* A request to base + path (or to path, a full URL), answering one 401
 * with authentication. */
static int
reg_send_authed(struct registry *r, const char *method, const char *path,
    const char *accept, const char *const *extra, const void *body,
    size_t body_len, struct reg_resp *rr, sdc_error_t *err)
{
	char *url;
	int rc;

	if (reg_token_renew(r, err) < 0)
		return -1;
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
		url = xstrdup(path);
	else
		xasprintf(&url, "%s%s", r->base, path);
	rc = reg_send(r, method, url, accept, extra, body, body_len, rr, err);
	if (rc == 0 && rr->status == 401) {
		char *www = rr->www_auth ? xstrdup(rr->www_auth) : NULL;
		bool had = r->authz != NULL && r->auth.registrytoken == NULL &&
		    strncmp(r->authz, "Authorization: Basic", 20) == 0;
		rr->status = 0;
		buf_reset(&rr->errbody);
		if (rr->body != NULL)
			buf_reset(rr->body);
		rc = had ? 0 : reg_authenticate(r, www, err);
		free(www);
		/* the 401's body went to errbody, never to the sink */
		if (rc == 0 && !had)
			rc = reg_send(r, method, url, accept, extra, body,
			    body_len, rr, err);
		else if (rc == 0)
			rr->status = 401;
	}
	free(url);
	return rc;
}

static int
reg_get_authed(struct registry *r, const char *path, const char *accept,
    struct reg_resp *rr, sdc_error_t *err)
{
	return reg_send_authed(r, NULL, path, accept, NULL, NULL, 0, rr, err);
}

/* The registry's {"errors":[{"code","message"}]}: the messages, or
 * (coded) each as Docker prints them for a push, the code in lower case
 * then the message ("unauthorized: authentication required"). */
static char *
reg_errors_text(const struct buf *body, bool coded)
{
	json_t *o, *errs, *e;
	struct buf out = BUF_INIT;
	sdc_error_t err = NULL;
	size_t i;

	o = body->len > 0 ? json_parse(body->data, body->len, &err) : NULL;
	sdc_error_release(&err);
	errs = o ? json_object_get(o, "errors") : NULL;
	json_array_foreach(errs, i, e) {
		const char *m = json_str(e, "message", "");
		const char *code = json_str(e, "code", "");
		if (out.len > 0)
			buf_puts(&out, "; ");
		if (!coded) {
			buf_printf(&out, "%s", *m ? m : code);
			continue;
		}
		for (const char *c = code; *c != '\0'; c++)
			buf_putc(&out, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 :
			    *c == '_' ? ' ' : *c));
		buf_printf(&out, "%s%s", *code ? ": " : "", m);
	}
	json_decref(o);
	return out.len > 0 ? buf_detach(&out, NULL) : NULL;
}

static bool
reg_errors_has(const struct buf *body, const char *code)
{
	char *needle;
	bool found;

	xasprintf(&needle, "\"%s\"", code);
	found = body->len > 0 && strstr(buf_str(body), needle) != NULL;
	free(needle);
	return found;
}

static int
reg_status_error(struct registry *r, struct reg_resp *rr, const char *what,
    sdc_error_t *err)
{
	char *text;
	int rc;

	if (r->push) {
		text = reg_errors_text(&rr->errbody, true);
		rc = sdc_make_error_code(err, rr->status == 401 ||
		    rr->status == 403 ? 401 : rr->status == 404 ? 404 : 500,
		    "%s", text != NULL ? text : rr->status == 401 ?
		    "unauthorized: authentication required" : rr->status == 403 ?
		    "denied: requested access to the resource is denied" :
		    "unknown error");
		free(text);
		return rc;
	}
	text = reg_errors_text(&rr->errbody, false);
	if (rr->status == 404 && reg_errors_has(&rr->errbody, "MANIFEST_UNKNOWN"))
		rc = sdc_make_error_code(err, 404, "manifest for %s not found: "
		    "manifest unknown: %s", what, text ? text : "manifest unknown");
	else if (rr->status == 401 || rr->status == 403 ||
	    (rr->status == 404 && reg_errors_has(&rr->errbody, "NAME_UNKNOWN")))
		rc = sdc_make_error_code(err, 404, "pull access denied for %s, "
		    "repository does not exist or may require 'docker login'%s%s",
		    r->display, text ? ": " : "", text ? text : "");
	else if (rr->status == 404)
		rc = sdc_make_error_code(err, 404, "%s: not found%s%s", what,
		    text ? ": " : "", text ? text : "");
	else
		rc = sdc_make_error_code(err, 500, "%s: received unexpected HTTP "
		    "status: %ld%s%s", what, rr->status, text ? ": " : "",
		    text ? text : "");
	free(text);
	return rc;
}

static bool
reg_is_insecure(const char *host, const struct strvec *insecure)
{
	if (strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0 ||
	    strncmp(host, "[::1]", 5) == 0)
		return true;
	if (insecure == NULL)
		return false;
	for (size_t i = 0; i < insecure->n; i++) {
		const char *s = insecure->v[i];
		size_t n = strlen(s);
		/* "host" allows every port of host */
		if (strcmp(s, host) == 0 ||
		    (strchr(s, ':') == NULL && strncmp(host, s, n) == 0 && host[n] == ':'))
			return true;
	}
	return false;
}

/* GET /v2/: picks the scheme for insecure registries, meets auth early.
 * A pull goes on from any answer but a refusal; a login holds only on a
 * 2xx. */
static int
reg_ping(struct registry *r, const char *host, bool insecure, sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	struct buf body = BUF_INIT;
	int rc;

	rr.body = &body;
	rr.body_max = REG_ERRBODY_MAX;
	rc = reg_get_authed(r, "/v2/", NULL, &rr, err);
	if (rc < 0 && insecure && strncmp(r->base, "https://", 8) == 0 &&
	    (*err)->code != 403) {
		sdc_error_release(err);
		free(r->base);
		xasprintf(&r->base, "http://%s", host);
		reg_resp_free(&rr);
		memset(&rr, 0, sizeof rr);
		rr.body = &body;
		rr.body_max = REG_ERRBODY_MAX;
		buf_reset(&body);
		rc = reg_get_authed(r, "/v2/", NULL, &rr, err);
	}
	if (rc == 0 && r->name != NULL && rr.status == 401)
		rc = reg_status_error(r, &rr, r->display, err);
	else if (rc == 0 && r->name == NULL &&
	    (rr.status < 200 || rr.status > 299))
		rc = sdc_make_error_code(err, rr.status == 401 ||
		    rr.status == 403 ? 401 : 500, "login attempt to %s/v2/ "
		    "failed with status: %ld", r->base, rr.status);
	buf_free(&body);
	reg_resp_free(&rr);
	return rc;
}

/* The http client's addr_check: see addrcheck.c. */
static int
reg_addr_check(void *arg, const char *host, int port, const struct sockaddr *sa)
{
	struct registry *r = arg;

	if (addrcheck_allowed(&r->allowed, host, port, sa) == 0)
		return 0;
	pthread_mutex_lock(&r->refused_lock);
	free(r->refused);
	xasprintf(&r->refused, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
	    port);
	pthread_mutex_unlock(&r->refused_lock);
	return -1;
}

/* A minute without a byte ends a transfer, however long it has run. */
static struct fetch *
reg_client(struct registry *r)
{
	struct fetch_options o = {
		.insecure = !r->verify,
		.follow_redirects = true,
		.use_proxy_env = true,
		.connect_timeout_ms = 30000,
		.idle_timeout_ms = 60000,
		.user_agent = "sdc-docker/" SDC_VERSION,
		.addr_check = reg_addr_check,
		.addr_check_arg = r,
	};

	return fetch_new(&o);
}

/* The endpoint for domain; *host is what an insecure retry goes to. */
static struct registry *
reg_new(const char *domain, const struct registry_opts *opts,
    const char **host, bool *insecure)
{
	struct registry *r = xcalloc(1, sizeof *r);

	*host = domain;
	r->cancel = opts->cancel;
	r->push = opts->push;
	if (opts->mount_from != NULL)
		strvec_copy(&r->mount_from, opts->mount_from);
	pthread_mutex_init(&r->refused_lock, NULL);
	images_auth_copy(&r->auth, opts->auth);
	if (opts->insecure != NULL)
		strvec_copy(&r->allowed, opts->insecure);
	if (opts->allow_private != NULL)
		strvec_copy(&r->allowed, opts->allow_private);
	if (opts->mirror != NULL && *opts->mirror != '\0')
		addrcheck_allow_url(&r->allowed, opts->mirror);
	if (strcmp(domain, "docker.io") == 0 && opts->mirror != NULL) {
		r->base = xstrdup(opts->mirror);
		while (strlen(r->base) > 0 && r->base[strlen(r->base) - 1] == '/')
			r->base[strlen(r->base) - 1] = '\0';
		*insecure = false;
		r->verify = true;
	} else {
		if (strcmp(domain, "docker.io") == 0)
			*host = "registry-1.docker.io";
		*insecure = reg_is_insecure(*host, opts->insecure);
		r->verify = !*insecure;
		xasprintf(&r->base, "https://%s", *host);
	}
	r->http = reg_client(r);
	return r;
}

int
registry_open(struct registry **out, const struct image_ref *ref,
    const struct registry_opts *opts, sdc_error_t *err)
{
	const char *host;
	bool insecure;
	struct registry *r = reg_new(ref->domain, opts, &host, &insecure);

	r->name = xstrdup(ref->path);
	r->display = image_ref_familiar(ref);
	if (reg_ping(r, host, insecure, err) < 0) {
		registry_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

int
registry_login(const char *domain, const struct registry_opts *opts,
    sdc_error_t *err)
{
	const char *host;
	bool insecure;
	struct registry *r = reg_new(domain, opts, &host, &insecure);
	int rc;

	r->display = xstrdup(domain);
	rc = reg_ping(r, host, insecure, err);
	registry_close(r);
	return rc;
}

struct registry *
registry_dup(const struct registry *src)
{
	struct registry *r = xcalloc(1, sizeof *r);

	pthread_mutex_init(&r->refused_lock, NULL);
	strvec_copy(&r->allowed, &src->allowed);
	r->verify = src->verify;
	r->http = reg_client(r);
	r->base = xstrdup(src->base);
	r->name = xstrdup(src->name);
	r->display = xstrdup(src->display);
	r->authz = src->authz ? xstrdup(src->authz) : NULL;
	r->verify = src->verify;
	r->cancel = src->cancel;
	r->push = src->push;
	r->bearer_realm = src->bearer_realm ? xstrdup(src->bearer_realm) : NULL;
	r->bearer_service = src->bearer_service ?
	    xstrdup(src->bearer_service) : NULL;
	r->token_expires_ms = src->token_expires_ms;
	strvec_copy(&r->mount_from, &src->mount_from);
	images_auth_copy(&r->auth, &src->auth);
	return r;
}

void
registry_close(struct registry *r)
{
	if (r == NULL)
		return;
	fetch_free(r->http);
	free(r->base);
	free(r->name);
	free(r->display);
	free(r->authz);
	images_auth_free(&r->auth);
	strvec_clear(&r->allowed);
	strvec_clear(&r->mount_from);
	free(r->refused);
	free(r->bearer_realm);
	free(r->bearer_service);
	pthread_mutex_destroy(&r->refused_lock);
	free(r);
}

static char *
reg_media_type(const char *content_type)
{
	size_t n;

	if (content_type == NULL)
		return xstrdup("");
	n = strcspn(content_type, "; ");
	return xstrndup(content_type, n);
}

int
registry_manifest(struct registry *r, const char *ref, struct buf *body,
    char **media_type, char digest[72], sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	char *path, *d, *what;
	int rc;

	xasprintf(&path, "/v2/%s/manifests/%s", r->name, ref);
	xasprintf(&what, "%s%s%s", r->display, strncmp(ref, "sha256:", 7) ? ":" : "@", ref);
	rr.body = body;
	rr.body_max = REG_MANIFEST_MAX;
	buf_reset(body);
	rc = reg_get_authed(r, path, reg_manifest_accept, &rr, err);
	if (rc == 0 && rr.status != 200)
		rc = reg_status_error(r, &rr, what, err);
	if (rc == 0) {
		d = digest_of(body->data, body->len);
		memcpy(digest, d, 72);
		free(d);
		if (strncmp(ref, "sha256:", 7) == 0 && strcmp(ref, digest) != 0)
			rc = sdc_make_error_code(err, 500, "manifest verification "
			    "failed for digest %s: got %s", ref, digest);
		*media_type = reg_media_type(rr.content_type);
	}
	free(path);
	free(what);
	reg_resp_free(&rr);
	return rc;
}

/* The path of a Link header's rel="next" target, or NULL. */
static char *
reg_next_page(const char *link)
{
	const char *lt, *gt;

	if (link == NULL || strstr(link, "rel=\"next\"") == NULL ||
	    (lt = strchr(link, '<')) == NULL || (gt = strchr(lt, '>')) == NULL ||
	    lt[1] != '/')
		return NULL;
	return xstrndup(lt + 1, (size_t)(gt - lt - 1));
}

int
registry_tags(struct registry *r, struct strvec *tags, sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	struct buf body = BUF_INIT;
	char *path;
	json_t *o, *t;
	size_t i;
	int rc = 0, pages = 0;

	xasprintf(&path, "/v2/%s/tags/list", r->name);
	while (rc == 0 && path != NULL) {
		rr.body = &body;
		rr.body_max = REG_MANIFEST_MAX;
		buf_reset(&body);
		rc = reg_get_authed(r, path, NULL, &rr, err);
		free(path);
		path = NULL;
		if (rc == 0 && rr.status != 200)
			rc = reg_status_error(r, &rr, r->display, err);
		if (rc == 0 && (o = json_parse(body.data, body.len, err)) == NULL)
			rc = sdc_error_wrap(err, "the tag list of %s", r->display);
		else if (rc == 0) {
			json_array_foreach(json_object_get(o, "tags"), i, t)
				if (json_is_string(t))
					strvec_push(tags, json_string_value(t));
			json_decref(o);
			if (++pages < 100)
				path = reg_next_page(rr.link);
		}
		reg_resp_free(&rr);
		memset(&rr, 0, sizeof rr);
	}
	free(path);
	buf_free(&body);
	if (rc == 0 && tags->n == 0)
		rc = sdc_make_error_code(err, 404, "%s has no tags", r->display);
	return rc;
}

int
registry_blob_mem(struct registry *r, const char *digest, int64_t size,
    struct buf *body, sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	char *path, *got;
	int rc;

	xasprintf(&path, "/v2/%s/blobs/%s", r->name, digest);
	rr.body = body;
	rr.body_max = REG_MANIFEST_MAX;
	buf_reset(body);
	rc = reg_get_authed(r, path, NULL, &rr, err);
	if (rc == 0 && rr.status != 200)
		rc = reg_status_error(r, &rr, digest, err);
	if (rc == 0 && size >= 0 && (int64_t)body->len != size)
		rc = sdc_make_error_code(err, 500, "%s: truncated blob: expected %lld "
		    "bytes, got %zu", digest, (long long)size, body->len);
	if (rc == 0) {
		got = digest_of(body->data, body->len);
		if (strcmp(got, digest) != 0)
			rc = sdc_make_error_code(err, 500, "blob verification failed "
			    "for digest %s: got %s", digest, got);
		free(got);
	}
	free(path);
	reg_resp_free(&rr);
	return rc;
}

int
registry_blob_fetch(struct registry *r, struct images *im, const char *digest,
    int64_t size, registry_progress_fn *progress, void *arg,
    struct blob_writer *w, sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	char *path;
	int rc;

	if (blob_writer_open(w, im, err) < 0)
		return -1;
	xasprintf(&path, "/v2/%s/blobs/%s", r->name, digest);
	rr.blob = w;
	rr.progress = progress;
	rr.arg = arg;
	rr.total = size;
	rc = reg_get_authed(r, path, NULL, &rr, err);
	if (rc == 0 && rr.status != 200)
		rc = reg_status_error(r, &rr, digest, err);
	if (rc == 0)
		rc = blob_writer_verify(w, digest, size, NULL, err);
	else
		blob_writer_abort(w);
	free(path);
	reg_resp_free(&rr);
	return rc;
}

/* ---- push ---- */

int
registry_blob_exists(struct registry *r, const char *digest, sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	char *path;
	int rc;

	xasprintf(&path, "/v2/%s/blobs/%s", r->name, digest);
	rc = reg_send_authed(r, "HEAD", path, NULL, NULL, NULL, 0, &rr, err);
	if (rc == 0 && rr.status == 200)
		rc = 1;
	else if (rc == 0 && rr.status != 404)
		rc = reg_status_error(r, &rr, digest, err);
	free(path);
	reg_resp_free(&rr);
	return rc;
}

/* An upload's Location, absolute, with `query` added ("digest=..."). */
static char *
reg_upload_url(struct registry *r, const char *location, const char *query)
{
	char *url;

	if (location[0] == '/')
		xasprintf(&url, "%s%s%s%s", r->base, location, query == NULL ? "" :
		    strchr(location, '?') ? "&" : "?", query ? query : "");
	else
		xasprintf(&url, "%s%s%s", location, query == NULL ? "" :
		    strchr(location, '?') ? "&" : "?", query ? query : "");
	return url;
}

/* POST /blobs/uploads/ (a mount when from is given): 1 mounted (201),
 * 0 an upload started (*location set). */
static int
reg_upload_start(struct registry *r, const char *digest, const char *from,
    char **location, sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	char *path, *d = NULL, *f = NULL;
	int rc;

	if (from != NULL) {
		d = fetch_escape(digest);
		f = fetch_escape(from);
		xasprintf(&path, "/v2/%s/blobs/uploads/?mount=%s&from=%s",
		    r->name, d, f);
	} else
		xasprintf(&path, "/v2/%s/blobs/uploads/", r->name);
	rc = reg_send_authed(r, "POST", path, NULL, NULL, "", 0, &rr, err);
	if (rc == 0 && rr.status == 201 && from != NULL)
		rc = 1;
	else if (rc == 0 && rr.status == 202 && rr.location != NULL) {
		*location = rr.location;
		rr.location = NULL;
	} else if (rc == 0)
		rc = reg_status_error(r, &rr, digest, err);
	free(d);
	free(f);
	free(path);
	reg_resp_free(&rr);
	return rc;
}

static void
reg_upload_cancel(struct registry *r, const char *location)
{
	struct reg_resp rr = { 0 };
	sdc_error_t err = NULL;
	char *url = reg_upload_url(r, location, NULL);

	reg_send(r, "DELETE", url, NULL, NULL, NULL, 0, &rr, &err);
	sdc_error_release(&err);
	reg_resp_free(&rr);
	free(url);
}

int
registry_blob_mount(struct registry *r, const char *digest, const char *from,
    sdc_error_t *err)
{
	char *location = NULL;
	int rc = reg_upload_start(r, digest, from, &location, err);

	if (rc == 0 && location != NULL)
		reg_upload_cancel(r, location);	/* the registry would not */
	free(location);
	/* a refused mount is an upload; refused credentials (a 401 even
	 * after a new token, or no new token) are the push's error */
	if (rc < 0 && (*err)->code != 401) {
		sdc_error_release(err);
		return 0;
	}
	return rc;
}

/* A PATCH or PUT of an upload: a 401 gets a new token and the request
 * once more (reg_send_authed), the chunk being still in memory. */
static int
reg_upload_send(struct registry *r, const char *method, const char *location,
    const char *query, const char *const *extra, const void *data, size_t n,
    struct reg_resp *rr, sdc_error_t *err)
{
	char *url = reg_upload_url(r, location, query);
	int rc = reg_send_authed(r, method, url, NULL, extra, data, n, rr, err);

	free(url);
	return rc;
}

/* The registry forgot the upload session since a new token replaced the
 * one it was started with: it must be started again. */
static bool
reg_upload_lost(struct registry *r, unsigned gen, const struct reg_resp *rr)
{
	return r->token_gen != gen && (rr->status == 416 || (rr->status == 404 &&
	    reg_errors_has(&rr->errbody, "BLOB_UPLOAD_UNKNOWN")));
}

int
registry_blob_upload(struct registry *r, const char *digest, int64_t size,
    registry_read_fn *read, void *rarg, size_t chunk,
    registry_progress_fn *progress, void *parg, sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	char *location = NULL, *q, *d, *data;
	char range[80];
	const char *patch_extra[3] = { range,
	    "Content-Type: application/octet-stream", NULL };
	const char *put_extra[2] = { "Content-Type: application/octet-stream",
	    NULL };
	int64_t sent;
	ssize_t n;
	unsigned gen;
	int rc, restarts = 0;

	data = xmalloc(chunk);
	d = fetch_escape(digest);
	xasprintf(&q, "digest=%s", d);
	free(d);
again:
	gen = r->token_gen;
	sent = 0;
	n = 0;
	if ((rc = reg_upload_start(r, digest, NULL, &location, err)) < 0)
		goto out;
	for (;;) {
		n = read(rarg, sent, data, chunk, err);
		if (n < 0) {
			rc = -1;
			break;
		}
		if (sent == 0 && (int64_t)n == size)
			break;		/* all of it in one chunk: one PUT */
		if (n == 0)
			break;
		snprintf(range, sizeof range, "Content-Range: %lld-%lld",
		    (long long)sent, (long long)(sent + n - 1));
		rc = reg_upload_send(r, "PATCH", location, NULL, patch_extra, data,
		    (size_t)n, &rr, err);
		if (rc == 0 && rr.status != 202 && restarts == 0 &&
		    reg_upload_lost(r, gen, &rr))
			goto restart;
		if (rc == 0 && rr.status != 202)
			rc = reg_status_error(r, &rr, digest, err);
		if (rc == 0 && rr.location != NULL) {
			free(location);
			location = rr.location;
			rr.location = NULL;
		}
		reg_resp_free(&rr);
		if (rc < 0)
			break;
		sent += n;
		n = 0;
		if (progress != NULL)
			progress(parg, sent, size);
	}
	if (rc == 0) {
		/* the last bytes, or all of them, with the digest */
		rc = reg_upload_send(r, "PUT", location, q, put_extra, data,
		    (size_t)n, &rr, err);
		if (rc == 0 && rr.status != 201 && restarts == 0 &&
		    reg_upload_lost(r, gen, &rr))
			goto restart;
		if (rc == 0 && rr.status != 201)
			rc = reg_status_error(r, &rr, digest, err);
		if (rc == 0 && progress != NULL)
			progress(parg, size, size);
		reg_resp_free(&rr);
	}
	if (rc < 0)
		reg_upload_cancel(r, location);
	goto out;
restart:
	/* nothing to cancel: the registry no longer knows that session */
	reg_resp_free(&rr);
	memset(&rr, 0, sizeof rr);
	free(location);
	location = NULL;
	restarts++;
	if (progress != NULL)
		progress(parg, 0, size);
	goto again;
out:
	free(q);
	free(data);
	free(location);
	return rc;
}

int
registry_manifest_put(struct registry *r, const char *tag,
    const char *media_type, const void *body, size_t len, sdc_error_t *err)
{
	struct reg_resp rr = { 0 };
	char *path, *ct;
	const char *extra[2] = { NULL, NULL };
	int rc;

	xasprintf(&path, "/v2/%s/manifests/%s", r->name, tag);
	xasprintf(&ct, "Content-Type: %s", media_type);
	extra[0] = ct;
	rc = reg_send_authed(r, "PUT", path, NULL, extra, body, len, &rr, err);
	if (rc == 0 && rr.status != 201 && rr.status != 200)
		rc = reg_status_error(r, &rr, tag, err);
	free(ct);
	free(path);
	reg_resp_free(&rr);
	return rc;
}
