/*
 * names-reply.c: a request that changed names answered once the servers
 * of its networks have them, on a head and on a node's agent alike.
 *
 * A container's rm, its rename, a network's connect and disconnect
 * change the names table of the networks concerned; the tables are
 * applied off the loop, in order, by the names queue (dns-queue.c), in
 * a few ms, or up to seconds when a network's aardvark-dns is slow to
 * start or to bind again after a reload.  The client that gets its
 * answer may look the name up at once (a script's `docker network
 * connect` then a lookup from a peer), so the answer waits for the
 * tables: the request is deferred, not the loop.  A head waits for its
 * own queue; a node's agent for its node's before it answers the head,
 * which answers its client only then (agent/container-connect.c,
 * agent/container-remove.c).  The wait runs on a thread of its own
 * (lib/rtcall.c), asleep on the queue's condition, as a start's thread
 * waits before its process runs; other requests, every tenant's, are
 * served meanwhile.  It is bounded as a start's is (NET_DNS_WAIT_MS): a
 * server stuck longer is logged and the request, whose change is made,
 * answered all the same.
 */
#include <stdlib.h>
#include <string.h>

#include "dockerapi/net/net.h"
#include "http.h"
#include "log.h"
#include "rtcall.h"
#include "xalloc.h"

struct names_reply {
	struct net_dns_wait w;
	int status;
	json_t *body;			/* NULL: none */
};

/* The answer, now. */
static int
names_reply_send(struct http_request *req, int status, json_t *body)
{
	if (body != NULL)
		return http_reply_json(req, status, body);
	return http_reply(req, status, NULL, NULL, 0);
}

/* On the thread: the queue's state alone. */
static int
names_reply_wait(void *arg, sdc_error_t *err)
{
	return net_dns_wait(&((struct names_reply *)arg)->w, NET_DNS_WAIT_MS,
	    err);
}

/* On the loop: answered, whether the tables were applied or not (a
 * failure is in the log: rtcall.c); a client gone is answered by no one. */
static void
names_reply_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct names_reply *nr = arg;

	(void)rc;
	(void)err;
	if (req != NULL)
		names_reply_send(req, nr->status, nr->body);
	else
		json_decref(nr->body);
	net_dns_wait_clear(&nr->w);
	free(nr);
}

int
net_names_reply(struct event_base *base, struct http_request *req,
    struct net_dns_wait *w, int status, json_t *body)
{
	struct names_reply *nr;
	sdc_error_t err = NULL;

	if (w->n == 0 || req == NULL) {
		net_dns_wait_clear(w);
		if (req != NULL)
			return names_reply_send(req, status, body);
		json_decref(body);
		return HTTP_DONE;
	}
	nr = xcalloc(1, sizeof *nr);
	nr->w = *w;
	nr->status = status;
	nr->body = body;
	memset(w, 0, sizeof *w);
	if (rtcall_start(base, req, "a request's names", names_reply_wait,
	    names_reply_done, nr, &err) == 0)
		return HTTP_ASYNC;
	/* no thread: answered now, as when the names were not waited for */
	log_warn("answering before the names are applied: %s",
	    sdc_error_msg(err));
	sdc_error_release(&err);
	net_dns_wait_clear(&nr->w);
	free(nr);
	return names_reply_send(req, status, body);
}
