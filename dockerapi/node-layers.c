/*
 * node-layers.c: the layers a container's node lacks, sent from this
 * head's image store before the create is sent again.
 *
 * A node of its own has a layer store of its own, filled on demand: its
 * agent answers a create naming layers it has not got with 424 and the
 * list of them (MissingLayers).  Then, on the create's own thread (an
 * rtcall thread, never the loop), the head sends each of them with
 * PUT /v1/layers/DIFF_ID (libsdcimages' layer-send.c: the blob its store
 * kept, or the layer's gzip made once), streamed from the file through
 * the create's own client, and sends the create again.  A layer the node
 * has is never sent: only the 424's list is, and the node checks each
 * upload against its digests itself (agent/layers.c).
 *
 * What one create can make a node fetch is bounded: only the create's
 * own layers (a name the node gives that the create did not send is not
 * sent), each at most once, in one round; a node that still lacks one
 * after it fails the create.  Two creates for one node needing one layer
 * at the same time send it once: the second waits for the first's send
 * and then sends its create.  The layers and their blobs are pinned in
 * the store from the create's preparation, on the loop, to its end, so
 * an rmi meanwhile does not remove them under the send.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dockerapi.h"
#include "fetch.h"
#include "images/images.h"
#include "jsonutil.h"
#include "log.h"
#include "node-request.h"
#include "strvec.h"
#include "xalloc.h"

/* A send's time: this, and a millisecond per kB (1 MB/s at the least). */
#define NODE_LAYER_MIN_MS 60000

struct node_layers {
	struct strvec diff_ids;                 /* the create's layers */
	struct images_layer_send **send;        /* each one's source, or NULL */
};

/* The sends in flight, "node diff_id", so two creates send a layer once. */
static pthread_mutex_t nl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nl_cond = PTHREAD_COND_INITIALIZER;
static struct strvec nl_flight;

struct node_layers *
node_layers_prepare(struct dockerapi *d, const json_t *diff_ids)
{
	struct node_layers *l;
	sdc_error_t err = NULL;
	const json_t *v;
	size_t i;

	if (d->images == NULL || !json_is_array(diff_ids))
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->send = xcalloc(json_array_size(diff_ids) + 1, sizeof *l->send);
	json_array_foreach(diff_ids, i, v) {
		strvec_push(&l->diff_ids, json_string_value(v) ?: "");
		/* a layer the store has not got is the node's to lack */
		if (images_layer_send_new(d->images, json_string_value(v) ?: "",
		    &l->send[i], &err) < 0)
			sdc_error_release(&err);
	}
	return l;
}

void
node_layers_free(struct node_layers *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->diff_ids.n; i++)
		images_layer_send_free(l->send[i]);
	free(l->send);
	strvec_clear(&l->diff_ids);
	free(l);
}

struct nl_body {
	int fd;
	int64_t left;
};

static ssize_t
nl_read(void *arg, void *buf, size_t len)
{
	struct nl_body *b = arg;
	ssize_t n;

	if (b->left <= 0)
		return 0;
	if ((int64_t)len > b->left)
		len = (size_t)b->left;
	while ((n = read(b->fd, buf, len)) < 0 && errno == EINTR)
		;
	if (n > 0)
		b->left -= n;
	return n < 0 ? -1 : n;
}

/* PUT one layer to k's node with k's client. */
static int
nl_send(struct node_request *k, struct images_layer_send *s,
    const char *diff_id, sdc_error_t *err)
{
	const char *digest, *media;
	char *url, *ctype;
	struct nl_body b = { .fd = -1 };
	struct fetch_response r;
	const char *headers[2];
	const char *v1 = strstr(k->url, "/v1/");
	int64_t size;
	json_t *j;
	int rc = 0;

	if (images_layer_send_open(s, NULL, &b.fd, &digest, &media, &size,
	    err) < 0)
		return sdc_error_wrap(err, "layer %s for node %s", diff_id,
		    k->hostname);
	b.left = size;
	xasprintf(&url, "%.*s/v1/layers/%s?digest=%s", (int)(v1 - k->url),
	    k->url, diff_id, digest);
	xasprintf(&ctype, "Content-Type: %s", media);
	headers[0] = ctype;
	headers[1] = NULL;
	struct fetch_request rq = {
		.method = "PUT", .url = url, .headers = headers,
		.body_len = (size_t)size, .body_read = nl_read,
		.body_read_arg = &b,
		.timeout_ms = NODE_LAYER_MIN_MS + size / 1000,
	};
	if (fetch_request(k->client, &rq, &r, err) < 0) {
		char *why = xstrdup(sdc_error_msg(*err));     /* *err is replaced */

		rc = sdc_make_error_code(err, 503, "node unavailable: the agent "
		    "of node %s did not take layer %s: %s", k->hostname,
		    diff_id, why);
		free(why);
	} else if (r.status >= 300) {
		j = r.body.len > 0 ? json_parse(buf_str(&r.body), r.body.len,
		    NULL) : NULL;
		rc = sdc_make_error_code(err, 502, "node %s refused layer %s: %s",
		    k->hostname, diff_id, json_str(j, "message", "no reason"));
		json_decref(j);
		fetch_response_free(&r);
	} else {
		log_info("node %s: layer %s sent (%" PRId64 " bytes, %s)",
		    k->hostname, diff_id, size, media);
		fetch_response_free(&r);
	}
	close(b.fd);
	free(url);
	free(ctype);
	return rc;
}

/* Send diff_id unless another create is sending it to that node: then
 * wait for it to end. */
static int
nl_send_once(struct node_request *k, struct images_layer_send *s,
    const char *diff_id, sdc_error_t *err)
{
	char *key;
	int rc;

	xasprintf(&key, "%s %s", k->node_id, diff_id);
	pthread_mutex_lock(&nl_lock);
	if (strvec_has(&nl_flight, key)) {
		while (strvec_has(&nl_flight, key))
			pthread_cond_wait(&nl_cond, &nl_lock);
		pthread_mutex_unlock(&nl_lock);
		free(key);
		return 0;       /* the create again says whether it came */
	}
	strvec_push(&nl_flight, key);
	pthread_mutex_unlock(&nl_lock);
	rc = nl_send(k, s, diff_id, err);
	pthread_mutex_lock(&nl_lock);
	(void)strvec_remove_one(&nl_flight, key);
	pthread_cond_broadcast(&nl_cond);
	pthread_mutex_unlock(&nl_lock);
	free(key);
	return rc;
}

int
node_layers_run(struct node_request *k, sdc_error_t *err)
{
	struct node_layers *l = k->layers;
	const json_t *missing, *v;
	size_t i, at;
	int rc;

	if ((rc = node_request_send(k, err)) == 0 || k->status != 424 ||
	    !json_is_array(missing = json_object_get(k->answer,
	    "MissingLayers")))
		return rc;
	sdc_error_release(err);
	json_array_foreach(missing, i, v) {
		const char *diff = json_string_value(v);
		for (at = 0; diff != NULL && at < l->diff_ids.n &&
		    strcmp(l->diff_ids.v[at], diff) != 0; at++)
			;
		if (diff == NULL || at == l->diff_ids.n)
			return sdc_make_error_code(err, 502, "node %s asked for a "
			    "layer the image has not got", k->hostname);
		if (l->send[at] == NULL)
			return sdc_make_error_code(err, 500, "layer %s is not in "
			    "this head's image store", diff);
		if (nl_send_once(k, l->send[at], diff, err) < 0)
			return -1;
	}
	json_decref(k->answer);
	k->answer = NULL;
	k->status = 0;
	return node_request_send(k, err);
}
