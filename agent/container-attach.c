/*
 * container-attach.c: a container's attach streams relayed to the head
 * that serves the client, from the node that holds the container.
 *
 * The head keeps everything Docker's attach is made of (the multiplexed
 * stream, the detach keys, logs=1's replay, stdin's close, the exit code)
 * and works on the monitor's frames as it does with a monitor of its own;
 * the agent only carries those frames between the head's TLS connection
 * and the monitor's attach socket on this node (attach-relay.h):
 *
 *   POST /v1/containers/:uuid/attach            -> 101, then frames
 *   POST /v1/containers/:uuid/start?attach=1    (the start's body,
 *        container-ops.c) -> 101 with X-Sdc-Pid, then the frames of the
 *        start's own attach connection, made before the container ran,
 *        so not a byte of its output is missed
 *   POST /v1/containers/:uuid/resize?h=H&w=W    -> 200 {"ID"}
 *   POST /v1/containers/:uuid/exec/:exec/resize?h=H&w=W   an exec's TTY
 *   (and an exec's stream, container-exec.c, through agent_attach_relay)
 *
 * Behind the same mutual TLS as every route here; the uuid is checked
 * before a path is made of it and the container must be in this node's
 * zones root.  The relay runs on the agent's loop and never blocks it:
 * the monitor's socket is non-blocking, output towards the head stops
 * being read past ATTACH_RELAY_BACKLOG until the head drained it (the
 * monitor, then the container, waits as with any slow attach client),
 * and a frame from the head that the monitor cannot take yet stays in
 * the connection's buffer, the reading stopped until the socket is
 * writable.  A frame the head may not send (attach_relay_head_may_send)
 * or longer than a frame ends the relay.  After the monitor's exit frame
 * the output is flushed and the connection closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "agent.h"
#include "attach-relay.h"
#include "http.h"
#include "ids.h"
#include "log.h"
#include "xalloc.h"

#define RELAY_LINGER_SEC 5

struct relay {
	struct agent *a;
	char uuid[37];
	const char *what;		/* "attach" or "start" */
	struct bufferevent *bev;	/* the head's connection */
	int fd;				/* the monitor's socket; -1 once ended */
	struct event *rd, *wr;
	struct event *linger;
	uint64_t bytes_out, bytes_in;
};

static struct rt_frame relay_frame;

static void
relay_free(struct relay *r)
{
	log_info("container %s: %s relay to the head ended (%llu bytes out, "
	    "%llu in)", r->uuid, r->what, (unsigned long long)r->bytes_out,
	    (unsigned long long)r->bytes_in);
	if (r->rd != NULL)
		event_free(r->rd);
	if (r->wr != NULL)
		event_free(r->wr);
	if (r->linger != NULL)
		event_free(r->linger);
	if (r->fd >= 0)
		close(r->fd);
	bufferevent_free(r->bev);
	free(r);
}

static void
relay_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	relay_free(arg);
}

/* The monitor hung up: what is queued goes, then the head's side ends. */
static void
relay_end(struct relay *r)
{
	struct timeval tv = { RELAY_LINGER_SEC, 0 };

	if (r->fd < 0)
		return;
	event_free(r->rd);
	event_free(r->wr);
	r->rd = r->wr = NULL;
	close(r->fd);
	r->fd = -1;
	http_hijack_shutdown_write(r->bev);
	r->linger = evtimer_new(r->a->base, relay_linger_cb, r);
	evtimer_add(r->linger, &tv);
}

/* Monitor -> head, until the head's output is full. */
static void
relay_monitor_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;
	struct evbuffer *out = bufferevent_get_output(r->bev);
	struct rt_frame *f = &relay_frame;
	unsigned char hdr[ATTACH_RELAY_HDR];
	int rc;

	for (;;) {
		if (evbuffer_get_length(out) > ATTACH_RELAY_BACKLOG) {
			event_del(r->rd);       /* until the head drains */
			return;
		}
		rc = rt_attach_recv(r->fd, f, NULL);
		if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (rc != 1)
			break;
		attach_relay_header(hdr, f->type, f->len);
		evbuffer_add(out, hdr, sizeof hdr);
		evbuffer_add(out, f->data, f->len);
		r->bytes_out += f->len;
	}
	relay_end(r);
}

/* Head -> monitor: whole frames, while the monitor takes them. */
static void
relay_head_in(struct relay *r)
{
	struct evbuffer *in = bufferevent_get_input(r->bev);
	unsigned char *p;
	size_t len;
	int type;

	while (evbuffer_get_length(in) >= ATTACH_RELAY_HDR) {
		p = evbuffer_pullup(in, ATTACH_RELAY_HDR);
		type = p[0];
		len = attach_relay_length(p);
		if (!attach_relay_head_may_send(type) || len > RT_FRAME_MAX) {
			log_warn("container %s: the head sent a frame of type %d "
			    "and %zu bytes: relay ended", r->uuid, type, len);
			relay_free(r);
			return;
		}
		if (evbuffer_get_length(in) < ATTACH_RELAY_HDR + len)
			return;
		if (r->fd < 0) {                /* ended: nobody to take it */
			evbuffer_drain(in, ATTACH_RELAY_HDR + len);
			continue;
		}
		p = evbuffer_pullup(in, (ev_ssize_t)(ATTACH_RELAY_HDR + len));
		if (rt_attach_send(r->fd, (enum rt_frame_type)type,
		    p + ATTACH_RELAY_HDR, len, NULL) < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* kept for when the monitor can take it */
			bufferevent_disable(r->bev, EV_READ);
			event_add(r->wr, NULL);
			return;
		}
		r->bytes_in += len;
		evbuffer_drain(in, ATTACH_RELAY_HDR + len);
	}
}

static void
relay_writable_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;

	bufferevent_enable(r->bev, EV_READ);
	relay_head_in(r);
}

static void
relay_read_cb(struct bufferevent *bev, void *arg)
{
	relay_head_in(arg);
}

static void
relay_write_cb(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;

	if (r->fd >= 0)
		event_add(r->rd, NULL);
}

/* The head went (or its connection failed): so does the relay. */
static void
relay_event_cb(struct bufferevent *bev, short what, void *arg)
{
	relay_free(arg);
}

/* Answer the request with the 101 and relay fd (the monitor's socket,
 * taken over) to the head's connection; pid > 0 goes in the answer. */
void
agent_attach_relay(struct http_request *req, struct agent *a,
    const char *uuid, const char *what, int fd, pid_t pid)
{
	struct relay *r;
	struct bufferevent *bev;
	char text[24];

	if (pid > 0) {
		snprintf(text, sizeof text, "%d", (int)pid);
		http_set_header(req, ATTACH_RELAY_PID_HEADER, text);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if ((bev = http_hijack(req, "application/vnd.sdc.attach-frames")) ==
	    NULL) {
		close(fd);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->a = a;
	snprintf(r->uuid, sizeof r->uuid, "%s", uuid);
	r->what = what;
	r->bev = bev;
	r->fd = fd;
	r->rd = event_new(a->base, fd, EV_READ | EV_PERSIST, relay_monitor_cb, r);
	r->wr = event_new(a->base, fd, EV_WRITE, relay_writable_cb, r);
	event_add(r->rd, NULL);
	bufferevent_setwatermark(bev, EV_WRITE, ATTACH_RELAY_BACKLOG / 4, 0);
	bufferevent_setcb(bev, relay_read_cb, relay_write_cb, relay_event_cb, r);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	log_info("container %s: %s relayed to the head", r->uuid, what);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		relay_head_in(r);
}

/* The container the path names, running in this node's zones root; or
 * an answer given. */
static const char *
relay_container(struct http_request *req, struct agent *a)
{
	const char *uuid = http_param(req, "uuid");
	struct rt_state st;
	sdc_error_t err = NULL;

	if (uuid == NULL || !uuid_valid(uuid)) {
		agent_error(req, 400, "a container's uuid, please");
		return NULL;
	}
	if (rt_state_read(&a->rt, uuid, &st, &err) < 0) {
		sdc_error_release(&err);
		agent_error(req, 404, "No such container on this node");
		return NULL;
	}
	if (st.status == RT_PAUSED) {
		agent_error(req, 409, "You cannot attach to a paused container, "
		    "unpause it first");
		return NULL;
	}
	if (st.status != RT_RUNNING) {
		agent_error(req, 409, "the container is not running");
		return NULL;
	}
	return uuid;
}

static int
relay_attach(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const char *uuid = relay_container(req, a);
	sdc_error_t err = NULL;
	int fd;

	if (uuid == NULL)
		return HTTP_DONE;
	if ((fd = rt_attach_open(&a->rt, uuid, NULL, &err)) < 0) {
		sdc_error_release(&err);
		return agent_error(req, 409, "the container is not running");
	}
	agent_attach_relay(req, a, uuid, "attach", fd, 0);
	return HTTP_DONE;
}

/* A TTY's size: "h" rows and "w" columns, whole numbers to 65535. */
static int
relay_size(const char *text, unsigned *out)
{
	char *end;
	long v;

	if (text == NULL || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > 65535)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
relay_resize(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const char *uuid, *exec = http_param(req, "exec");
	unsigned h, w;
	sdc_error_t err = NULL;
	int fd, rc;

	if (relay_size(http_query(req, "h"), &h) < 0 ||
	    relay_size(http_query(req, "w"), &w) < 0)
		return agent_error(req, 400, "h and w: a TTY's rows and "
		    "columns, whole numbers to 65535");
	if (exec != NULL && !docker_id_valid(exec))
		return agent_error(req, 400, "an exec's id, please");
	if ((uuid = relay_container(req, a)) == NULL)
		return HTTP_DONE;
	if ((fd = rt_attach_open(&a->rt, uuid, exec, &err)) < 0) {
		sdc_error_release(&err);
		return agent_error(req, 409, "the container is not running");
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	rc = rt_attach_send(fd, RT_FRAME_MUTE, NULL, 0, &err) < 0 ||
	    rt_attach_resize(fd, h, w, &err) < 0 ? -1 : 0;
	close(fd);
	if (rc < 0) {
		log_info("container %s: resize: %s", uuid, sdc_error_msg(err));
		sdc_error_release(&err);
		return agent_error(req, 409, "the container is not running");
	}
	if (exec != NULL)
		log_info("container %s: exec %.12s resized to %u rows, %u "
		    "columns", uuid, exec, h, w);
	else
		log_info("container %s: resized to %u rows, %u columns", uuid,
		    h, w);
	return http_reply_json(req, 200, json_pack("{s:s}", "ID", uuid));
}

const struct route agent_attach_routes[] = {
	{ "POST", "/v1/containers/:uuid/attach", relay_attach, 0, NULL },
	{ "POST", "/v1/containers/:uuid/resize", relay_resize, 0, NULL },
	{ "POST", "/v1/containers/:uuid/exec/:exec/resize", relay_resize, 0,
	    NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
