/*
 * node-attach.c: the attach streams of a container on a node behind an
 * agent, relayed from that node (agent/container-attach.c).
 *
 * The head's attach code (api/containers-attach.c, container-watch.c)
 * works on a monitor's attach socket: SOCK_SEQPACKET frames in and out.
 * For a container of another node it gets the same: one end of a
 * socketpair, whose other end a thread of this file joins to a TLS
 * connection to the node's agent, over which the agent carries the same
 * frames to and from the container's monitor (attach-relay.h).  So
 * everything Docker's attach is made of (the multiplexed stream, the
 * detach keys, logs=1, stdin's close, the exit and its code, resize
 * through a start's watcher) stays in one place and works alike for a
 * container here and one on another node.
 *
 * The connection is opened on a thread (the container's runtime call,
 * container-rtcall.c), never on the loop: TCP, the handshake and the
 * agent's answer within NODE_ATTACH_MS for an attach, the runtime's time
 * for a start, after which the node is "node unavailable" (503) and
 * nothing was changed.  An attached start (docker run without -d,
 * start -a, a build's RUN) is the agent's start asked with ?attach=1:
 * its answer is the stream of the start's own attach connection, made
 * before the container ran, so not a byte is missed.
 *
 * Then each relay is a thread of its own, blocking in poll() on the two
 * sockets, never on one of them: what the agent sends goes to the
 * socketpair as frames, and the agent's side is no longer read while the
 * head's end has not taken them (the head's attach code stops reading
 * when its client is slow, so the backpressure reaches the agent, the
 * monitor and the container, as with a monitor of the head's own); what
 * the head's end sends is framed for the agent, up to
 * ATTACH_RELAY_BACKLOG queued.  Either side closing ends the relay: the
 * head closing its end (the attach finished, the client went), or the
 * agent closing after the exit frame, or the connection lost (the head's
 * end then reads the end without an exit frame, as when a monitor dies).
 *
 * TLS is the head's agent client's (agent_cert_path: cert.pem, key.pem,
 * ca.pem): the agent's certificate verified against the operator's CA
 * and its address, as lib/fetch does for the other calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "agent/attach-relay.h"
#include "buf.h"
#include "fetch.h"
#include "log.h"
#include "node-calls.h"
#include "timeutil.h"
#include "xalloc.h"

/* An attach's connection and the agent's answer. */
#define NODE_ATTACH_MS 3000
/* The agent's answer before the stream: status line and headers. */
#define NODE_ATTACH_HEAD_MAX 16384

static SSL_CTX *node_attach_tls;

int
node_attach_ready(struct dockerapi *d, sdc_error_t *err)
{
	const char *dir = d->cfg.agent_cert_path;
	char *cert, *key, *ca;
	SSL_CTX *ctx;
	int ok;

	if (node_attach_tls != NULL)
		return 0;
	if (dir == NULL || *dir == '\0')
		return sdc_make_error_code(err, 500, "no agent_cert_path: no "
		    "stream to a node");
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return sdc_make_error_code(err, 500, "a TLS context: out of "
		    "memory");
	xasprintf(&cert, "%s/cert.pem", dir);
	xasprintf(&key, "%s/key.pem", dir);
	xasprintf(&ca, "%s/ca.pem", dir);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	ok = SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 &&
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 &&
	    SSL_CTX_check_private_key(ctx) == 1 &&
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) == 1;
	if (!ok) {
		char msg[256];

		ERR_error_string_n(ERR_get_error(), msg, sizeof msg);
		sdc_make_error_code(err, 500, "the head's agent certificate in "
		    "%s: %s", dir, msg);
		SSL_CTX_free(ctx);
	} else
		node_attach_tls = ctx;
	free(cert);
	free(key);
	free(ca);
	return ok ? 0 : -1;
}

/* --- the connection --- */

struct node_conn {
	int sock;
	SSL *ssl;
	struct buf in;			/* from the agent, not yet taken */
};

static void
node_conn_close(struct node_conn *k)
{
	if (k->ssl != NULL)
		SSL_free(k->ssl);
	if (k->sock >= 0)
		close(k->sock);
	buf_free(&k->in);
	k->ssl = NULL;
	k->sock = -1;
}

static int
node_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int rc;

	do {
		if ((left = deadline - time_mono_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	} while ((rc = poll(&p, 1, (int)left)) < 0 && errno == EINTR);
	if (rc == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

/* What an SSL call that returned rc waits for: POLLIN, POLLOUT, or 0 for
 * a failure (or the peer's end, with *eof). */
static short
node_ssl_wants(SSL *ssl, int rc, bool *eof)
{
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	case SSL_ERROR_ZERO_RETURN:
		if (eof != NULL)
			*eof = true;
		return 0;
	default:
		ERR_clear_error();
		return 0;
	}
}

/* TCP to HOST:PORT and the handshake, within the deadline. */
static int
node_conn_open(struct node_conn *k, const char *address, int64_t deadline,
    sdc_error_t *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *ai = NULL;
	char host[256], addr6[16];
	const char *colon = strrchr(address, ':');
	socklen_t len = sizeof(int);
	int e = 0, rc;
	short want;

	k->sock = -1;
	k->ssl = NULL;
	memset(&k->in, 0, sizeof k->in);
	if (colon == NULL || colon == address || (size_t)(colon - address) >=
	    sizeof host)
		return sdc_make_error(err, EINVAL, "the agent's address %s",
		    address);
	if (*address == '[')
		snprintf(host, sizeof host, "%.*s", (int)(colon - address - 2),
		    address + 1);
	else
		snprintf(host, sizeof host, "%.*s", (int)(colon - address),
		    address);
	if ((rc = getaddrinfo(host, colon + 1, &hints, &ai)) != 0)
		return sdc_make_error(err, 0, "%s: %s", host, gai_strerror(rc));
	k->sock = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (k->sock < 0 || (connect(k->sock, ai->ai_addr, ai->ai_addrlen) < 0 &&
	    errno != EINPROGRESS) || node_wait(k->sock, POLLOUT, deadline) < 0 ||
	    getsockopt(k->sock, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e != 0) {
		if (e != 0)
			errno = e;
		sdc_make_error(err, errno, "connect to %s", address);
		freeaddrinfo(ai);
		node_conn_close(k);
		return -1;
	}
	freeaddrinfo(ai);
	k->ssl = SSL_new(node_attach_tls);
	SSL_set_fd(k->ssl, k->sock);
	if (inet_pton(AF_INET, host, addr6) == 1 ||
	    inet_pton(AF_INET6, host, addr6) == 1)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(k->ssl), host);
	else {
		SSL_set1_host(k->ssl, host);
		SSL_set_tlsext_host_name(k->ssl, host);
	}
	while ((rc = SSL_connect(k->ssl)) != 1) {
		if ((want = node_ssl_wants(k->ssl, rc, NULL)) == 0 ||
		    node_wait(k->sock, want, deadline) < 0) {
			sdc_make_error(err, errno, "TLS with %s", address);
			node_conn_close(k);
			return -1;
		}
	}
	return 0;
}

static int
node_conn_write(struct node_conn *k, const char *p, size_t n,
    int64_t deadline)
{
	int rc;
	short want;

	while (n > 0) {
		if ((rc = SSL_write(k->ssl, p, (int)n)) > 0) {
			p += rc;
			n -= (size_t)rc;
			continue;
		}
		if ((want = node_ssl_wants(k->ssl, rc, NULL)) == 0 ||
		    node_wait(k->sock, want, deadline) < 0)
			return -1;
	}
	return 0;
}

/* More bytes from the agent into k->in: 1, 0 at its end, -1 on error. */
static int
node_conn_read(struct node_conn *k, int64_t deadline)
{
	char chunk[16384];
	bool eof = false;
	short want;
	int rc;

	for (;;) {
		if ((rc = SSL_read(k->ssl, chunk, sizeof chunk)) > 0) {
			buf_append(&k->in, chunk, (size_t)rc);
			return 1;
		}
		if ((want = node_ssl_wants(k->ssl, rc, &eof)) == 0)
			return eof || rc == 0 ? 0 : -1;
		if (node_wait(k->sock, want, deadline) < 0)
			return -1;
	}
}

/* A header's value in the answer's head (lines after the status). */
static const char *
node_head_value(const char *head, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	const char *p, *end;

	for (p = strstr(head, "\r\n"); p != NULL; p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			p += strspn(p, " \t");
			end = p + strcspn(p, "\r\n");
			snprintf(out, size, "%.*s", (int)(end - p), p);
			return out;
		}
	}
	return NULL;
}

/* POST path with body (or none) and read the answer's head: 0 on the
 * 101 (or 200) with *pid from its header, the stream's first bytes left
 * in k->in; -1 with *err otherwise (503 when the agent did not answer). */
static int
node_conn_ask(struct node_conn *k, struct node_target *t, const char *path,
    const char *body, int64_t deadline, pid_t *pid, sdc_error_t *err)
{
	struct fetch_response r;
	struct buf req = BUF_INIT;
	char *head, *end, value[64];
	size_t hlen, blen = body != NULL ? strlen(body) : 0, want;
	int status, rc;

	buf_printf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: "
	    "dockerapi/%s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    path, t->address, SDC_VERSION, blen);
	if (blen > 0)
		buf_append(&req, body, blen);
	rc = node_conn_write(k, req.data, req.len, deadline);
	buf_free(&req);
	if (rc < 0)
		return -1;
	/* memmem of an empty buffer (data NULL) is undefined: none read yet */
	while ((end = k->in.len == 0 ? NULL :
	    memmem(k->in.data, k->in.len, "\r\n\r\n", 4)) == NULL) {
		if (k->in.len > NODE_ATTACH_HEAD_MAX ||
		    node_conn_read(k, deadline) <= 0)
			return -1;
	}
	hlen = (size_t)(end - k->in.data) + 4;
	head = xstrndup(k->in.data, hlen);
	buf_consume(&k->in, hlen);
	if (sscanf(head, "HTTP/1.%*d %d", &status) != 1) {
		free(head);
		errno = EPROTO;
		return -1;
	}
	if (status == 101 || status == 200) {
		if (pid != NULL && node_head_value(head, ATTACH_RELAY_PID_HEADER,
		    value, sizeof value) != NULL)
			*pid = (pid_t)atoi(value);
		free(head);
		return 0;
	}
	/* a refusal: its JSON body, then the head's runtime's error */
	want = node_head_value(head, "Content-Length", value, sizeof value) ?
	    (size_t)strtoul(value, NULL, 10) : 0;
	free(head);
	if (want > 65536)
		want = 65536;
	while (k->in.len < want && node_conn_read(k, deadline) > 0)
		;
	memset(&r, 0, sizeof r);
	r.status = status;
	buf_append(&r.body, k->in.data, k->in.len < want ? k->in.len : want);
	rc = node_call_refused(t, &r, err);
	buf_free(&r.body);
	return rc;
}

/* --- the relay's thread --- */

struct node_relay {
	struct node_conn k;
	int local;			/* the relay's end of the socketpair */
	char uuid[37];
	struct buf out;			/* framed for the agent */
};

/* Frames from k->in to the head's end while it takes them: 0, or -1
 * when it has gone. */
static int
node_relay_deliver(struct node_relay *r, bool *blocked)
{
	unsigned char *p;
	size_t len;

	*blocked = false;
	while (r->k.in.len >= ATTACH_RELAY_HDR) {
		p = (unsigned char *)r->k.in.data;
		len = attach_relay_length(p);
		if (len > RT_FRAME_MAX) {
			log_warn("container %s: a frame of %zu bytes from the "
			    "node: relay ended", r->uuid, len);
			return -1;
		}
		if (r->k.in.len < ATTACH_RELAY_HDR + len)
			return 0;
		/* the type byte and the payload are the monitor's packet */
		p[ATTACH_RELAY_HDR - 1] = p[0];
		if (send(r->local, p + ATTACH_RELAY_HDR - 1, len + 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			p[ATTACH_RELAY_HDR - 1] = (unsigned char)len;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				*blocked = true;
				return 0;
			}
			return errno == EINTR ? 0 : -1;
		}
		buf_consume(&r->k.in, ATTACH_RELAY_HDR + len);
	}
	return 0;
}

/* Packets from the head's end, framed: 0, or -1 when it has gone. */
static int
node_relay_take(struct node_relay *r)
{
	char pkt[RT_FRAME_MAX + 2];
	unsigned char hdr[ATTACH_RELAY_HDR];
	ssize_t n;

	while (r->out.len < ATTACH_RELAY_BACKLOG) {
		if ((n = recv(r->local, pkt, sizeof pkt, MSG_DONTWAIT)) < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR ? 0 : -1;
		if (n == 0)
			return -1;
		attach_relay_header(hdr, (unsigned char)pkt[0], (size_t)n - 1);
		buf_append(&r->out, hdr, sizeof hdr);
		buf_append(&r->out, pkt + 1, (size_t)n - 1);
	}
	return 0;
}

static void *
node_relay_main(void *arg)
{
	struct node_relay *r = arg;
	struct pollfd p[2];
	bool agent_done = false, blocked = false;
	short sock_want;
	char chunk[16384];
	int rc;

	for (;;) {
		sock_want = 0;
		/* to the agent, as much as it takes */
		while (r->out.len > 0) {
			if ((rc = SSL_write(r->k.ssl, r->out.data,
			    (int)r->out.len)) > 0) {
				buf_consume(&r->out, (size_t)rc);
				continue;
			}
			if ((sock_want = node_ssl_wants(r->k.ssl, rc, NULL)) == 0)
				goto out;
			break;
		}
		/* from the agent, while the head's end takes it */
		if (node_relay_deliver(r, &blocked) < 0)
			goto out;
		while (!agent_done && !blocked &&
		    r->k.in.len < ATTACH_RELAY_BACKLOG) {
			if ((rc = SSL_read(r->k.ssl, chunk, sizeof chunk)) > 0) {
				buf_append(&r->k.in, chunk, (size_t)rc);
				if (node_relay_deliver(r, &blocked) < 0)
					goto out;
				continue;
			}
			if ((rc = node_ssl_wants(r->k.ssl, rc, NULL)) == 0)
				agent_done = true;
			else
				sock_want |= (short)rc;
			break;
		}
		if (agent_done && !blocked)
			goto out;       /* all delivered: the end goes too */
		/* nothing asked of a side: not polled, so its hangup does
		 * not spin the loop before the other side lets us act */
		p[0] = (struct pollfd){ .fd = sock_want != 0 ? r->k.sock : -1,
		    .events = sock_want };
		p[1] = (struct pollfd){ .fd = r->local,
		    .events = (short)((r->out.len < ATTACH_RELAY_BACKLOG ?
		    POLLIN : 0) | (blocked ? POLLOUT : 0)) };
		while ((rc = poll(p, 2, -1)) < 0 && errno == EINTR)
			;
		if (rc < 0)
			goto out;
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (node_relay_take(r) < 0 ||
		    (p[1].revents & (POLLHUP | POLLERR)))) {
			/* the head's end has gone: what it said last still
			 * goes, briefly */
			node_conn_write(&r->k, r->out.data, r->out.len,
			    time_mono_ms() + NODE_ATTACH_MS);
			goto out;
		}
	}
out:
	if (!agent_done)
		SSL_shutdown(r->k.ssl);
	close(r->local);
	node_conn_close(&r->k);
	buf_free(&r->out);
	free(r);
	return NULL;
}

/* The connection asked, answered: the head's end of a new relay. */
static int
node_relay_spawn(struct node_conn *k, const char *uuid, sdc_error_t *err)
{
	struct node_relay *r;
	pthread_attr_t attr;
	pthread_t th;
	int sp[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		node_conn_close(k);
		return sdc_make_error_code(err, 500, "socketpair: %s",
		    strerror(errno));
	}
	r = xcalloc(1, sizeof *r);
	r->k = *k;
	r->local = sp[1];
	snprintf(r->uuid, sizeof r->uuid, "%s", uuid);
	fcntl(r->local, F_SETFL, fcntl(r->local, F_GETFL) | O_NONBLOCK);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&th, &attr, node_relay_main, r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		close(sp[0]);
		close(sp[1]);
		node_conn_close(&r->k);
		free(r);
		return sdc_make_error_code(err, 500, "a relay's thread: %s",
		    strerror(rc));
	}
	return sp[0];
}

/* Open, ask, and relay: the head's end, or -1 with *err. */
static int
node_relay_open(struct node_target *t, const char *uuid, const char *what,
    const char *query, const char *body, long timeout_ms, pid_t *pid,
    sdc_error_t *err)
{
	int64_t deadline = time_mono_ms() + timeout_ms;
	struct node_conn k;
	sdc_error_t cerr = NULL;
	char *path;
	int rc, fd;

	if (node_attach_tls == NULL)
		return sdc_make_error_code(err, 500, "no TLS client for nodes");
	/* an agent that is only stopped takes the connection in its kernel
	 * but never shakes hands: that much no longer than an attach's */
	if (node_conn_open(&k, t->address, time_mono_ms() + (timeout_ms <
	    NODE_ATTACH_MS ? timeout_ms : NODE_ATTACH_MS), &cerr) < 0) {
		log_warn("nodes: %s %s: %s", what, uuid, sdc_error_msg(cerr));
		sdc_error_release(&cerr);
		return sdc_make_error_code(err, 503, "node unavailable: the "
		    "agent of node %s does not answer", t->hostname);
	}
	xasprintf(&path, "/v1/containers/%s/%s%s%s", uuid, what,
	    query != NULL ? "?" : "", query != NULL ? query : "");
	rc = node_conn_ask(&k, t, path, body, deadline, pid, err);
	free(path);
	if (rc < 0) {
		node_conn_close(&k);
		if (*err != NULL)
			return -1;      /* the agent's refusal */
		log_warn("nodes: %s %s: no answer from %s: %s", what, uuid,
		    t->address, strerror(errno));
		return sdc_make_error_code(err, 503, "node unavailable: the "
		    "agent of node %s does not answer", t->hostname);
	}
	if ((fd = node_relay_spawn(&k, uuid, err)) >= 0)
		log_info("container %s: %s relayed from node %s", uuid, what,
		    t->hostname);
	return fd;
}

int
node_attach_open(struct node_target *t, const char *uuid, sdc_error_t *err)
{
	return node_relay_open(t, uuid, "attach", NULL, NULL, NODE_ATTACH_MS,
	    NULL, err);
}

/* A start whose stream is relayed from its first byte (the container's
 * attached start, an exec's): body (taken) sent to the agent's what,
 * within the runtime's time. */
static int
node_relay_start(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const char *what, const char *query, json_t *body,
    struct rt_started *out, sdc_error_t *err)
{
	char *text = json_dumps(body, JSON_COMPACT);
	pid_t pid = 0;
	int fd;

	json_decref(body);
	fd = node_relay_open(t, uuid, what, query, text, node_call_ms(rt), &pid,
	    err);
	free(text);
	if (fd < 0)
		return -1;
	out->pid = pid;
	out->attach_fd = fd;
	return 0;
}

int
node_attach_start(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const struct rt_start_opts *opts, json_t *net,
    struct rt_started *out, sdc_error_t *err)
{
	json_t *body = node_start_body(opts);

	if (net != NULL)
		json_object_set(body, "Network", net);
	return node_relay_start(t, rt, uuid, "start", "attach=1", body, out,
	    err);
}

/* A NULL-ended vector as a JSON array of strings. */
static json_t *
node_strings(const char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int
node_exec_start(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const char *exec_id, const struct rt_process *proc,
    struct rt_started *out, sdc_error_t *err)
{
	json_t *body = json_pack("{s:o, s:o, s:b, s:b}", "Argv",
	    node_strings(proc->argv), "Env", node_strings(proc->env), "Tty",
	    proc->tty, "OpenStdin", proc->open_stdin);
	char *what;
	int rc;

	if (proc->cwd != NULL)
		json_object_set_new(body, "Cwd", json_string(proc->cwd));
	if (proc->user != NULL)
		json_object_set_new(body, "User", json_string(proc->user));
	xasprintf(&what, "exec/%s/start", exec_id);
	rc = node_relay_start(t, rt, uuid, what, NULL, body, out, err);
	free(what);
	return rc;
}

int
node_resize(struct node_target *t, const char *uuid, const char *exec_id,
    unsigned rows, unsigned cols, sdc_error_t *err)
{
	char query[48], *op;
	int rc;

	snprintf(query, sizeof query, "h=%u&w=%u", rows, cols);
	if (exec_id != NULL)
		xasprintf(&op, "exec/%s/resize", exec_id);
	else
		op = xstrdup("resize");
	rc = node_call(t, uuid, op, query, NULL, NODE_ATTACH_MS, NULL, err);
	free(op);
	return rc;
}
