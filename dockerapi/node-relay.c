/*
 * node-relay.c: a Docker route's answer relayed from the agent of the
 * node that holds the container (logs, stats, export, cp ...), so a
 * head never reads a node's container folder.
 *
 * The agents answer those routes in the shape the Docker client reads
 * (multiplexed log frames, a tar, stats' JSON lines), so the relay only
 * copies: the agent's status, its Content-Type and the few headers the
 * route names, then the body as it comes.  The request to the agent is
 * lib/fetch's (libcurl), which blocks, so it runs on a thread of its
 * own; where it goes is settled first on the loop (nodes_agent_of: the
 * node's row), a node not heard from answering 503 "node unavailable" at
 * once with nothing sent.  The thread writes into a pipe what the agent
 * sends: first a short prelude ("STATUS\n", "Name: value\n" lines, an
 * empty line) once the answer's head is known, then its body.  The loop
 * reads the prelude, answers the client's head, and copies the body to
 * it only while the client keeps up (http_stream_pending, on_drain), so
 * a full pipe stops the thread's sink, which stops libcurl reading, and
 * the agent's writes wait in turn: backpressure from the client to the
 * node's disk.  An answer of the agent's that is an error (4xx, 5xx) is
 * read whole and given as the head's own JSON error, a 5xx as 502 with
 * the agent's message.  No answer at all (the agent died, or gave no
 * byte within first_byte_ms) is 503 "node unavailable".
 *
 * A client that goes away ends the node's request: the pipe's reader is
 * closed and the request interrupted (fetch_interrupt), so the agent
 * sees its connection close and stops its own work.  Each relay has a
 * client of its own (fetch_dup), freed with it, since an interrupted
 * client takes no further request.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <event2/event.h>

#include "body-pipe.h"
#include "fetch.h"
#include "fsutil.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "node-relay.h"
#include "nodes.h"
#include "timeutil.h"
#include "xalloc.h"

#define RELAY_CHUNK (64 * 1024)
#define RELAY_PENDING_HIGH (1024 * 1024)
#define RELAY_ERROR_MAX (64 * 1024)
/* A request that is no stream: no overall limit but this. */
#define RELAY_LONG_MS (7L * 24 * 3600 * 1000)

struct relay {
	struct http_request *req;       /* NULL once the client has gone */
	char *method, *url, *hostname;
	char *body;
	size_t body_len;
	char *body_type;
	char **pass;                    /* header names passed on */
	long first_byte_ms;
	int64_t started_ms;
	struct dockerapi *d;
	/* a body streamed through (docker cp's PUT) */
	bool body_stream;
	struct body_pipe upload;
	int body_fd;                    /* its read end, the thread's */
	bool ended;                     /* the agent's answer is all in */
	struct fetch *client;
	pthread_t thread;
	bool running;
	int fd, wfd;                    /* the pipe */
	struct event *ev;
	/* the thread's */
	bool headed;                    /* the prelude is written */
	atomic_bool got_byte;
	/* the loop's */
	struct buf in;                  /* the prelude, then an error's body */
	int status;                     /* 0 until the prelude is read */
	bool streaming;                 /* the client's answer begun */
	struct relay *prev, *next;
};

static struct relay *relays;

static int
relay_put(struct relay *r, const void *data, size_t len)
{
	return fd_write_all(r->wfd, data, len);
}

/* The answer's head into the pipe: status, Content-Type, headers passed. */
static int
relay_prelude(struct relay *r, const struct fetch_response *fr)
{
	struct buf b = BUF_INIT;
	const char *v;
	int rc;

	r->headed = true;
	buf_printf(&b, "%d\n", fr->status);
	if ((v = fetch_header(fr, "Content-Type")) != NULL)
		buf_printf(&b, "Content-Type: %s\n", v);
	for (size_t i = 0; r->pass != NULL && r->pass[i] != NULL; i++)
		if ((v = fetch_header(fr, r->pass[i])) != NULL &&
		    strpbrk(v, "\r\n") == NULL)
			buf_printf(&b, "%s: %s\n", r->pass[i], v);
	buf_append(&b, "\n", 1);
	rc = relay_put(r, b.data, b.len);
	buf_free(&b);
	return rc;
}

static int
relay_sink(void *arg, const struct fetch_response *fr, const void *data,
    size_t len, sdc_error_t *err)
{
	struct relay *r = arg;

	(void)err;
	atomic_store(&r->got_byte, true);
	if (!r->headed && relay_prelude(r, fr) < 0)
		return -1;
	return relay_put(r, data, len);
}

/* first_byte_ms: an agent that took the request and says nothing. */
static int
relay_progress(void *arg, int64_t got, int64_t total)
{
	struct relay *r = arg;

	(void)got;
	(void)total;
	if (r->first_byte_ms > 0 && !atomic_load(&r->got_byte) &&
	    time_mono_ms() - r->started_ms > r->first_byte_ms)
		return -1;
	return 0;
}

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	const char *hdrs[2] = { NULL, NULL };
	char *ctype = NULL;
	struct fetch_request rq = {
		.method = r->method, .url = r->url, .timeout_ms = RELAY_LONG_MS,
		.body = r->body, .body_len = r->body_stream ?
		    FETCH_BODY_CHUNKED : r->body_len,
		.body_read = r->body_stream ? fetch_read_fd : NULL,
		.body_read_arg = &r->body_fd,
		.sink = relay_sink, .sink_arg = r,
		.progress = relay_progress, .progress_arg = r,
	};
	struct fetch_response fr;
	sdc_error_t err = NULL;
	json_t *j;
	char *text;

	if (r->body_type != NULL) {
		xasprintf(&ctype, "Content-Type: %s", r->body_type);
		hdrs[0] = ctype;
		rq.headers = hdrs;
	}
	if (fetch_request(r->client, &rq, &fr, &err) < 0) {
		if (!r->headed) {
			log_warn("node %s: %s %s: %s", r->hostname, r->method,
			    r->url, sdc_error_msg(err));
			j = json_pack("{s:s+}", "message", "node unavailable: the "
			    "agent of node ", r->hostname);
			text = json_dumps(j, JSON_COMPACT);
			if (relay_put(r, "503\n\n", 5) == 0)
				(void)relay_put(r, text, strlen(text));
			free(text);
			json_decref(j);
		}
		sdc_error_release(&err);
	} else {
		if (!r->headed)
			(void)relay_prelude(r, &fr);    /* an empty body */
		fetch_response_free(&fr);
	}
	free(ctype);
	close(r->wfd);
	r->wfd = -1;
	return NULL;
}

static void
relay_free(struct relay *r)
{
	if (r->ev != NULL)
		event_free(r->ev);
	if (r->running)
		fetch_interrupt(r->client);
	/* the body's end and the answer's pipe closed: a thread blocked on
	 * either wakes, and stops */
	if (r->req == NULL)
		r->upload.req = NULL;
	body_pipe_close(&r->upload);
	if (r->fd >= 0)
		close(r->fd);
	if (r->running)
		pthread_join(r->thread, NULL);
	if (r->wfd >= 0)
		close(r->wfd);
	if (r->body_fd >= 0)
		close(r->body_fd);
	fetch_free(r->client);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else if (relays == r)
		relays = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	for (size_t i = 0; r->pass != NULL && r->pass[i] != NULL; i++)
		free(r->pass[i]);
	free(r->pass);
	free(r->method);
	free(r->url);
	free(r->hostname);
	free(r->body);
	free(r->body_type);
	buf_free(&r->in);
	free(r);
}

static void
relay_closed(struct http_request *req, void *arg)
{
	struct relay *r = arg;

	(void)req;
	r->req = NULL;
	relay_free(r);
}

/* The agent's error as the head's own, once its body is whole. */
static void
relay_error(struct relay *r)
{
	sdc_error_t perr = NULL;
	json_t *j = json_parse(buf_str(&r->in), r->in.len, &perr);
	const char *msg = json_str(j, "message", "the node's agent failed");
	int status = r->status;

	sdc_error_release(&perr);
	http_on_close(r->req, NULL, NULL);
	if (status >= 500 && status != 503 && status != 504) {
		log_warn("node %s: %s %s: %d %s", r->hostname, r->method, r->url,
		    status, msg);
		status = 502;
	}
	http_reply_json(r->req, status, json_pack("{s:s}", "message", msg));
	json_decref(j);
}

/* The prelude in r->in: answer the client's head; false while it is not
 * whole. */
static bool
relay_head(struct relay *r)
{
	const char *s = buf_str(&r->in), *end = strstr(s, "\n\n");
	char *ctype = NULL, *line, *rest, *colon, *head;
	size_t hlen;

	if (end == NULL)
		return false;
	hlen = (size_t)(end - s) + 2;
	head = xstrndup(s, hlen - 1);
	r->status = atoi(head);
	rest = head;
	(void)strsep(&rest, "\n");            /* the status */
	while ((line = strsep(&rest, "\n")) != NULL) {
		if ((colon = strstr(line, ": ")) == NULL)
			continue;
		*colon = '\0';
		if (strcasecmp(line, "Content-Type") == 0)
			ctype = colon + 2;
		else if (r->status < 300)
			http_set_header(r->req, line, colon + 2);
	}
	if (r->status < 100)
		r->status = 502;
	if (r->status < 300) {
		if (strcmp(r->method, "HEAD") == 0) {
			/* answered: what follows is only the pipe's end */
			http_on_close(r->req, NULL, NULL);
			http_reply(r->req, r->status, ctype, NULL, 0);
			r->req = NULL;
		} else {
			http_stream_start(r->req, r->status, ctype != NULL ? ctype :
			    "application/octet-stream");
			r->streaming = true;
		}
	}
	free(head);
	memmove(r->in.data, r->in.data + hlen, r->in.len - hlen);
	r->in.len -= hlen;
	if (r->streaming && r->in.len > 0)
		http_stream_write(r->req, r->in.data, r->in.len);
	if (r->streaming || r->status < 300)
		buf_reset(&r->in);
	return true;
}

/* The answer is in and, for a streamed body, the body too. */
static void
relay_finish(struct relay *r)
{
	if (r->status == 0) {
		r->status = 502;
		buf_reset(&r->in);
	}
	if (r->req != NULL && r->streaming) {
		http_on_close(r->req, NULL, NULL);
		http_stream_end(r->req);
	} else if (r->req != NULL)
		relay_error(r);
	relay_free(r);
}

static void
relay_body_end(void *arg)
{
	struct relay *r = arg;

	if (r->ended)
		relay_finish(r);
}

static void
relay_end(struct relay *r)
{
	pthread_join(r->thread, NULL);
	r->running = false;
	r->ended = true;
	event_del(r->ev);
	if (r->body_stream && r->req != NULL && !r->upload.done) {
		body_pipe_close(&r->upload);      /* the rest is dropped */
		return;                 /* answered at the body's end */
	}
	relay_finish(r);
}

static void relay_resume(struct http_request *req, void *arg);

static void
relay_readable(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;
	char buf[RELAY_CHUNK];
	ssize_t n;

	(void)fd;
	(void)what;
	while (!r->streaming || http_stream_pending(r->req) < RELAY_PENDING_HIGH) {
		n = read(r->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;         /* EAGAIN: the thread is behind */
		if (n == 0) {
			relay_end(r);
			return;
		}
		if (r->streaming) {
			http_stream_write(r->req, buf, (size_t)n);
			continue;
		}
		/* the prelude, a HEAD's nothing, or an error's body */
		if (r->req != NULL && (r->status == 0 || r->status >= 300)) {
			if (r->in.len + (size_t)n <= RELAY_ERROR_MAX)
				buf_append(&r->in, buf, (size_t)n);
			if (r->status == 0)
				relay_head(r);
		}
	}
	event_del(r->ev);
	http_stream_on_drain(r->req, relay_resume, r);
}

static void
relay_resume(struct http_request *req, void *arg)
{
	struct relay *r = arg;

	http_stream_on_drain(req, NULL, NULL);
	event_add(r->ev, NULL);
}

int
node_relay(struct dockerapi *d, struct http_request *req,
    const char *node_id, const struct node_relay_opts *o, sdc_error_t *err)
{
	struct node_agent a;
	struct relay *r;
	sigset_t all, old;
	size_t n = 0;
	int p[2], rc;

	if ((rc = nodes_agent_of(d, node_id, &a, err)) != 0)
		return rc;      /* NODES_LOCAL, or -1: 503 */
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(a.address);
		free(a.hostname);
		return sdc_make_error_code(err, 500, "relay: %s",
		    strerror(errno));
	}
	r = xcalloc(1, sizeof *r);
	r->req = req;
	r->method = xstrdup(o->method != NULL ? o->method : "GET");
	xasprintf(&r->url, "https://%s%s", a.address, o->path);
	free(a.address);
	r->hostname = a.hostname;
	r->client = fetch_dup(a.client);
	if (o->body != NULL) {
		r->body = xmalloc(o->body_len + 1);
		memcpy(r->body, o->body, o->body_len);
		r->body_len = o->body_len;
	}
	if (o->body_type != NULL)
		r->body_type = xstrdup(o->body_type);
	while (o->pass_headers != NULL && o->pass_headers[n] != NULL)
		n++;
	r->pass = xcalloc(n + 1, sizeof *r->pass);
	for (size_t i = 0; i < n; i++)
		r->pass[i] = xstrdup(o->pass_headers[i]);
	r->first_byte_ms = o->first_byte_ms;
	r->d = d;
	r->body_fd = r->upload.fd = -1;
	if (o->body_stream && body_pipe_open(&r->upload, &r->body_fd, err) < 0) {
		close(p[0]);
		close(p[1]);
		r->fd = r->wfd = -1;
		relay_free(r);
		return -1;
	}
	r->body_stream = o->body_stream;
	r->started_ms = time_mono_ms();
	atomic_init(&r->got_byte, false);
	r->fd = p[0];
	r->wfd = p[1];
	(void)fcntl(r->fd, F_SETPIPE_SZ, RELAY_PENDING_HIGH);
	(void)fcntl(r->fd, F_SETFL, O_NONBLOCK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&r->thread, NULL, relay_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		relay_free(r);
		return sdc_make_error_code(err, 500, "relay: no thread: %s",
		    strerror(rc));
	}
	r->running = true;
	r->next = relays;
	if (relays != NULL)
		relays->prev = r;
	relays = r;
	r->ev = event_new(d->base, r->fd, EV_READ | EV_PERSIST, relay_readable,
	    r);
	event_add(r->ev, NULL);
	http_on_close(req, relay_closed, r);
	if (r->body_stream)
		body_pipe_start(&r->upload, req, d->base, relay_body_end, r);
	return 0;
}

void
node_relay_cancel_all(void)
{
	while (relays != NULL) {
		relays->req = NULL;
		relay_free(relays);
	}
}

int
node_relay_container(struct dockerapi *d, struct http_request *req,
    const char *node_id, const char *uuid, const char *op, const char *query,
    const struct node_relay_opts *o, sdc_error_t *err)
{
	struct node_relay_opts oo = *o;
	char *path;
	int rc;

	xasprintf(&path, "/v1/containers/%s/%s%s%s", uuid, op,
	    query != NULL && *query != '\0' ? "?" : "",
	    query != NULL && *query != '\0' ? query + (*query == '&') : "");
	oo.path = path;
	rc = node_relay(d, req, node_id, &oo, err);
	free(path);
	return rc;
}

void
node_relay_query(struct buf *q, const char *name, const char *value)
{
	char *v;

	if (value == NULL)
		return;
	v = fetch_escape(value);
	buf_printf(q, "&%s=%s", name, v);
	free(v);
}

bool
node_relay_answer(struct dockerapi *d, struct http_request *req,
    const char *node_id, const char *uuid, const char *op, const char *query,
    const struct node_relay_opts *o, int *ret)
{
	sdc_error_t err = NULL;
	int rc = node_relay_container(d, req, node_id, uuid, op, query, o, &err);

	if (rc == NODES_LOCAL)
		return false;
	*ret = rc < 0 ? api_error_from(req, &err) : HTTP_ASYNC;
	return true;
}
