/*
 * node-request.c: one request to a node's agent, made ready on the loop
 * thread and sent from any thread.
 *
 * Whether a node may be asked is the store's to say (nodes.c reads its
 * row: heard from, its address), and the store is the loop's; the
 * request itself waits on the network, for as long as the agent takes
 * to make a container, which must not hold the loop.  So a call is made
 * in two steps: node_request_prepare() on the loop (the node not heard from
 * answers 503 "node unavailable" at once, and nothing is sent), then
 * node_request_run() wherever the caller likes (an rtcall thread, or the
 * loop for the few calls that are still made there), with a client of
 * its own, so calls on different threads share nothing.
 *
 * An answer is the agent's: its status and its message become the
 * error's code and text.  No answer at all (the agent died, or stopped
 * answering within the call's time) is a 503 too, and the call says so
 * (lost), since the caller then cannot know what the node did: a create
 * is then taken back on the node once it answers again (node-create.c).
 * A create is answered as a stream of its progress (k->idle_ms), and
 * given up only when that stops moving: its last line is the answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "jsonutil.h"
#include "log.h"
#include "node-request.h"
#include "nodes.h"
#include "xalloc.h"

void
node_request_free(struct node_request *k)
{
	if (k == NULL)
		return;
	fetch_free(k->client);
	free(k->url);
	free(k->body);
	free(k->node_id);
	free(k->hostname);
	json_decref(k->answer);
	node_layers_free(k->layers);
	free(k);
}

int
node_request_prepare(struct dockerapi *d, const char *node_id,
    const char *method, const char *path, const json_t *body,
    long timeout_ms, struct node_request **out, sdc_error_t *err)
{
	struct node_request *k;
	struct node_agent a;
	int rc;

	*out = NULL;
	if ((rc = nodes_agent_of(d, node_id, &a, err)) != 0)
		return rc;
	k = xcalloc(1, sizeof *k);
	k->client = fetch_dup(a.client);        /* the request's own */
	k->hostname = a.hostname;
	k->method = method;
	k->node_id = xstrdup(node_id);
	xasprintf(&k->url, "https://%s%s", a.address, path);
	free(a.address);
	if (body != NULL)
		k->body = json_dumps(body, JSON_COMPACT);
	k->timeout_ms = timeout_ms;
	*out = k;
	return 0;
}

int
node_request_run(struct node_request *k, sdc_error_t *err)
{
	return k->layers != NULL ? node_layers_run(k, err) :
	    node_request_send(k, err);
}

/* No answer: the caller cannot know what the node did (lost).  A create
 * followed by its progress (k->idle_ms) says it stopped moving. */
static int
node_request_lost(struct node_request *k, sdc_error_t *ferr,
    sdc_error_t *err)
{
	bool stalled = k->idle_ms > 0 && *ferr != NULL &&
	    (*ferr)->code == FETCH_E_TIMEOUT;

	log_warn("node %s: %s %s: %s", k->hostname, k->method, k->url,
	    *ferr != NULL ? sdc_error_msg(*ferr) : "its answer cut short");
	sdc_error_release(ferr);
	k->lost = true;
	if (stalled)
		return sdc_make_error_code(err, 503, "node unavailable: the "
		    "create on node %s made no progress for %ld s", k->hostname,
		    k->idle_ms / 1000);
	return sdc_make_error_code(err, 503, "node unavailable: the agent "
	    "of node %s did not answer", k->hostname);
}

/* A create's progress stream (k->idle_ms, 200): its last line is the
 * answer, its "Status" the one the plain call would have had.  NULL
 * when the stream ended before it (the agent died meanwhile). */
static json_t *
node_request_last_line(struct node_request *k, const struct buf *body)
{
	const char *s = buf_str(body), *end = s + body->len, *line;
	sdc_error_t ferr = NULL;
	json_t *j;

	while (end > s && end[-1] == '\n')
		end--;
	for (line = end; line > s && line[-1] != '\n'; line--)
		;
	j = json_parse(line, (size_t)(end - line), &ferr);
	sdc_error_release(&ferr);
	if (!json_is_integer(json_object_get(j, "Status"))) {
		json_decref(j);
		return NULL;
	}
	k->status = (int)json_integer_value(json_object_get(j, "Status"));
	json_object_del(j, "Status");
	return j;
}

int
node_request_send(struct node_request *k, sdc_error_t *err)
{
	static const char *const json_headers[] = {
		"Content-Type: application/json", NULL,
	};
	struct fetch_request rq = {
		.method = k->method, .url = k->url, .timeout_ms = k->timeout_ms,
		.idle_timeout_ms = k->idle_ms,
		.headers = k->body != NULL ? json_headers : NULL,
		.body = k->body, .body_len = k->body != NULL ? strlen(k->body) : 0,
	};
	struct fetch_response r;
	sdc_error_t ferr = NULL;
	json_t *j = NULL;
	int rc = 0;

	if (fetch_request(k->client, &rq, &r, &ferr) < 0)
		return node_request_lost(k, &ferr, err);
	k->status = (int)r.status;
	if (k->idle_ms > 0 && r.status == 200) {
		if ((j = node_request_last_line(k, &r.body)) == NULL) {
			fetch_response_free(&r);
			return node_request_lost(k, &ferr, err);
		}
	} else if (r.body.len > 0)
		j = json_parse(buf_str(&r.body), r.body.len, &ferr);
	sdc_error_release(&ferr);
	if (k->status >= 300)
		rc = sdc_make_error_code(err, k->status >= 500 ? 502 :
		    k->status, "%s", json_str(j, "message",
		    "the node's agent failed"));
	k->answer = j;
	fetch_response_free(&r);
	return rc;
}
