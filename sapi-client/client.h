/*
 * client.h: libsapi's inside: the client handle and one HTTP exchange,
 * shared by the calls (calls.c) and the watch (watch.c).
 */
#ifndef SAPI_CLIENT_CLIENT_H
#define SAPI_CLIENT_CLIENT_H

#include "buf.h"
#include "fetch.h"
#include "sapi.h"

struct sapi_client {
	char *url;              /* as given */
	char *base;             /* scheme://host:port, no trailing slash */
	char *unix_path;        /* for unix:PATH, else NULL */
	char *cert_file, *key_file, *ca_file;   /* https: of cert_path */
	long timeout_ms;
	struct fetch *http;     /* keeps the connection alive */
};

struct sapi_request {
	const char *method;
	const char *path;               /* "/instances?name=x", escaped */
	const json_t *body;             /* NULL: none */
	json_int_t if_match;            /* > 0: send If-Match */
	const char *if_none_match;      /* NULL: none */
	long timeout_ms;                /* 0: the client's */
};

struct sapi_response {
	long status;
	struct buf body;
	char *etag;                     /* the ETag header, or NULL */
};

/* 0 for any answer below 400; -1 otherwise (code: the status, or an
 * FETCH_E_* when there was no answer).
 * On success free the response with sapi_response_free(). */
int sapi_client_request(struct sapi_client *c, const struct sapi_request *rq,
    struct sapi_response *r, sdc_error_t *err);
json_t *sapi_response_json(struct sapi_response *r, const char *what,
    sdc_error_t *err);
void sapi_response_free(struct sapi_response *r);
/* From another thread: abort the request in flight and every later one. */
void sapi_client_interrupt(struct sapi_client *c);
/* Percent-encode a path segment or query value; free the result. */
char *sapi_client_escape(struct sapi_client *c, const char *s);

#endif
