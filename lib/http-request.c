/*
 * http-request.c: what a handler asks of a request, and a request's end.
 *
 * Lookups are linear scans: a request has a dozen headers and a few query
 * parameters, and a scan over them beats building a table for each one.
 * Header names compare without regard to case (RFC 9110); query and path
 * parameter names are compared exactly, as Docker's daemon does.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>

#include "http-internal.h"
#include "jsonutil.h"

const char *
http_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

static const char *
request_kv_find(const struct http_kv *kv, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].name, name) == 0)
			return kv[i].value;
	return NULL;
}

const char *
http_query(const struct http_request *req, const char *name)
{
	return request_kv_find(req->query, req->nquery, name);
}

bool
http_query_bool(const struct http_request *req, const char *name, bool def)
{
	static const char *const yes[] = { "1", "true", "True", "TRUE", "yes" };
	static const char *const no[] = { "0", "false", "False", "FALSE", "no" };
	const char *v = http_query(req, name);
	size_t i;

	if (v == NULL || *v == '\0')
		return def;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (strcmp(v, yes[i]) == 0)
			return true;
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		if (strcmp(v, no[i]) == 0)
			return false;
	return def;
}

const char *
http_param(const struct http_request *req, const char *name)
{
	return request_kv_find(req->params, req->nparams, name);
}

json_t *
http_body_json(const struct http_request *req, sdc_error_t *err)
{
	json_t *v;

	if (req->body.len == 0)
		return json_object();
	v = json_parse(req->body.data, req->body.len, err);
	if (v == NULL)
		sdc_error_wrap(err, "request body");
	return v;
}

void
http_set_body_limit(struct http_request *req, size_t max)
{
	HTTP_REQ(req)->body_limit = max;
}

void
http_stream_body(struct http_request *req, http_body_sink_fn sink, void *arg)
{
	struct http_req *r = HTTP_REQ(req);

	if (r->body_done || (r->dispatched && r->sink == NULL))
		return;                 /* a head hook, or a handler replacing its sink */
	r->sink = sink;
	r->sink_arg = arg;
}

void
http_on_close(struct http_request *req, http_event_fn fn, void *arg)
{
	HTTP_REQ(req)->on_close = fn;
	HTTP_REQ(req)->on_close_arg = arg;
}

void *
http_on_finish(struct http_request *req, http_event_fn fn, void *arg)
{
	void *old = HTTP_REQ(req)->on_finish_arg;

	HTTP_REQ(req)->on_finish = fn;
	HTTP_REQ(req)->on_finish_arg = arg;
	return old;
}

X509 *
http_peer_cert(const struct http_request *req)
{
	if (req->conn == NULL || req->conn->ssl == NULL)
		return NULL;
	return SSL_get0_peer_certificate(req->conn->ssl);
}

void
http_conn_set_data(struct http_conn *conn, void *data, void (*free_fn)(void *))
{
	if (conn->data_free != NULL && conn->data != NULL && conn->data != data)
		conn->data_free(conn->data);
	conn->data = data;
	conn->data_free = free_fn;
}

void *
http_conn_data(const struct http_conn *conn)
{
	return conn->data;
}

void
http_conn_set_owner(struct http_conn *conn, void *owner, void (*release)(void *))
{
	conn->owner = owner;
	conn->owner_release = release;
}

void *
http_conn_owner(const struct http_conn *conn)
{
	return conn->owner;
}

long
http_peer_uid(const struct http_request *req)
{
	return req->conn == NULL ? -1 : req->conn->peer_uid;
}

/* Append "Name: value\r\n", with any CR or LF in either turned into a
 * space so that no caller can split the response. */
void
http_set_header(struct http_request *req, const char *name, const char *value)
{
	struct buf *b = &HTTP_REQ(req)->out_headers;
	size_t start = b->len;

	buf_puts(b, name);
	buf_puts(b, ": ");
	buf_puts(b, value);
	for (size_t i = start; i < b->len; i++)
		if (b->data[i] == '\r' || b->data[i] == '\n')
			b->data[i] = ' ';
	buf_puts(b, "\r\n");
}

void
http_req_free(struct http_req *req)
{
	if (req == NULL)
		return;
	if (req->on_finish != NULL)
		req->on_finish(&req->pub, req->on_finish_arg);
	buf_free(&req->arena);
	buf_free(&req->pub.body);
	buf_free(&req->out_headers);
	free(req->kv);
	free(req->pub.params);          /* the router's single block */
	free(req);
}
