/*
 * layers.c: PUT /v1/layers/DIFF_ID, a layer a head sends this node
 * because a create named it and the node's layer store lacks it.
 *
 * The request carries the layer's blob as the head's store has it (its
 * digest in ?digest=, its media type as Content-Type, its length as
 * Content-Length, which must be given), and names the layer by the diff
 * id its uncompressed tar must hash to.  Whoever holds a head's
 * certificate may call it, so nothing in it is believed: the blob is
 * hashed as it is read and dropped unless it is exactly the declared
 * bytes with the declared digest, and it is unpacked by the image store's
 * own unpacker (libsdcimages, layer-receive.c), with the refusals a pull has
 * (absolute names, "..", writing through a symlink, device nodes), into
 * <images>/.incoming, renamed into the store only when the tar hashes to
 * the diff id.  A second upload of a layer that is there is answered at
 * once; two at the same time both unpack and the second rename gives way
 * to the first.  Bounds: the declared length against the free space of
 * the store's file system (less a reserve), the uncompressed stream
 * against what is then left, a body that stalls for LAYER_IDLE_MS.
 *
 * The body streams: body-pipe.c feeds it into a pipe at the reader's
 * pace (the socket paused while the reader is behind, so memory stays
 * bounded) and an rtcall thread reads, hashes, writes and unpacks, so
 * the agent's loop never waits on the disk.  A client that leaves
 * mid-body closes the pipe: the thread sees a short body and drops
 * everything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent.h"
#include "body-pipe.h"
#include "dockerapi/images/images.h"
#include "http.h"
#include "log.h"
#include "rtcall.h"
#include "xalloc.h"

/* A body silent this long fails the upload. */
#define LAYER_IDLE_MS 30000
/* Room the store's file system keeps beyond any layer. */
#define LAYER_DISK_RESERVE (256LL * 1024 * 1024)

struct layer_upload {
	struct agent *a;
	struct http_request *req;       /* NULL once the client has gone */
	struct body_pipe bp;
	int rfd;                        /* the pipe's read end: the thread's */
	char diff_id[72], digest[72];
	char *media_type;
	int64_t size, max_unpacked;
	bool created;
	bool body_done;
};

static int
layer_error(struct http_request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
layer_error(struct http_request *req, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	log_warn("layer upload refused (%d): %s", status, msg ? msg : "");
	rc = agent_error(req, status, msg ? msg : "refused");
	free(msg);
	return rc;
}

/* sha256:<64 lower hex> */
static bool
layer_digest_ok(const char *s)
{
	return s != NULL && strncmp(s, "sha256:", 7) == 0 && strlen(s) == 71 &&
	    strspn(s + 7, "0123456789abcdef") == 64;
}

/* The bytes the store's file system can still give, less the reserve. */
static int64_t
layer_room(struct agent *a)
{
	struct statvfs sv;
	int64_t free_bytes;

	if (statvfs(a->opt->images, &sv) < 0)
		return 0;
	free_bytes = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
	return free_bytes > LAYER_DISK_RESERVE ? free_bytes - LAYER_DISK_RESERVE : 0;
}

static void
layer_upload_free(struct layer_upload *u)
{
	body_pipe_close(&u->bp);
	if (u->rfd >= 0)
		close(u->rfd);
	free(u->media_type);
	free(u);
}

/* On the rtcall thread: read, hash, unpack. */
static int
layer_receive(void *arg, sdc_error_t *err)
{
	struct layer_upload *u = arg;
	struct images_node_upload up = {
		.diff_id = u->diff_id, .digest = u->digest,
		.media_type = u->media_type, .size = u->size,
		.max_unpacked = u->max_unpacked, .idle_ms = LAYER_IDLE_MS,
	};
	int rc = images_node_receive(u->a->layers, u->rfd, &up, &u->created,
	    err);

	if (rc == 0)            /* sent here: the sweep's to remove */
		agent_layers_sent(u->a, u->diff_id);

	/* the rest of a body refused midway is read and dropped */
	close(u->rfd);
	u->rfd = -1;
	return rc;
}

/* The request is over (answered, or its client gone). */
static void
layer_finished(struct http_request *req, void *arg)
{
	struct layer_upload *u = arg;

	(void)req;
	u->req = NULL;
	u->bp.req = NULL;
	body_pipe_close(&u->bp);        /* the thread then sees the end */
}

static void
layer_body_end(void *arg)
{
	((struct layer_upload *)arg)->body_done = true;
}

static void
layer_received(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct layer_upload *u = arg;

	if (req != NULL) {
		http_on_finish(req, NULL, NULL);
		if (!u->body_done)      /* the pipe's sink goes with u */
			http_stream_body(req, agent_body_drop, NULL);
	}
	if (rc < 0) {
		log_warn("layer %s: refused: %s", u->diff_id, sdc_error_msg(*err));
		if (req != NULL) {
			if (!u->body_done)
				http_close_after(req);
			agent_error(req, (*err)->code >= 400 ?
			    (*err)->code : 500, sdc_error_msg(*err));
		}
	} else {
		log_info("layer %s: %s (%" PRId64 " bytes of %s)", u->diff_id,
		    u->created ? "received" : "received, already there",
		    u->size, u->media_type);
		if (req != NULL)
			http_reply_json(req, u->created ? 201 : 200, json_pack(
			    "{s:s, s:b}", "DiffID", u->diff_id, "Created",
			    u->created));
	}
	u->req = NULL;
	u->bp.req = NULL;
	layer_upload_free(u);
}

/* The request's names, media type and length (each NULL when absent):
 * the blob's size, or -1 with *err whose code is the answer's status. */
static int
layer_request_check(const char *diff, const char *digest, const char *media,
    const char *length, int64_t *size, sdc_error_t *err)
{
	char *end;

	if (!layer_digest_ok(diff))
		return sdc_make_error_code(err, 400, "a layer is named by its "
		    "diff id, sha256:<64 hex>");
	if (!layer_digest_ok(digest))
		return sdc_make_error_code(err, 400, "digest: the blob's sha256 "
		    "digest is required");
	if (media == NULL || *media == '\0')
		return sdc_make_error_code(err, 400, "Content-Type: the blob's "
		    "media type is required");
	if (length == NULL || (errno = 0, *size = strtoll(length, &end, 10),
	    errno != 0 || *end != '\0' || end == length || *size <= 0))
		return sdc_make_error_code(err, 411, "Content-Length: the blob's "
		    "size is required");
	return 0;
}

static int
layer_put(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const char *diff = http_param(req, "diff");
	const char *digest = http_query(req, "digest");
	const char *media = http_header(req, "Content-Type");
	struct layer_upload *u;
	sdc_error_t err = NULL;
	int64_t size = 0, room;
	int rc;

	if (a->layers == NULL)
		return layer_error(req, 503, "this node's layer store is not open");
	if (layer_request_check(diff, digest, media, http_header(req,
	    "Content-Length"), &size, &err) < 0) {
		if (err->code == 411)
			http_close_after(req);
		rc = layer_error(req, err->code, "%s", sdc_error_msg(err));
		sdc_error_release(&err);
		return rc;
	}
	if (images_node_has_layer(a->layers, diff))
		return http_reply_json(req, 200, json_pack("{s:s, s:b}",
		    "DiffID", diff, "Created", 0));
	if (size > (room = layer_room(a))) {
		http_close_after(req);
		return layer_error(req, 507, "the layer's %" PRId64 " bytes do "
		    "not fit: this node's layer store has %" PRId64 " bytes "
		    "to give", size, room);
	}
	u = xcalloc(1, sizeof *u);
	u->a = a;
	u->req = req;
	u->rfd = -1;
	u->bp.fd = -1;
	snprintf(u->diff_id, sizeof u->diff_id, "%s", diff);
	snprintf(u->digest, sizeof u->digest, "%s", digest);
	u->media_type = xstrdup(media);
	u->size = size;
	u->max_unpacked = room - size;
	if (body_pipe_open(&u->bp, &u->rfd, &err) < 0 ||
	    rtcall_start(a->base, req, "layer upload", layer_receive,
	    layer_received, u, &err) < 0) {
		layer_upload_free(u);
		http_close_after(req);
		layer_error(req, 500, "%s", sdc_error_msg(err));
		sdc_error_release(&err);
		return HTTP_DONE;
	}
	log_info("layer %s: receiving %" PRId64 " bytes (%s)", diff, size, media);
	http_on_finish(req, layer_finished, u);
	body_pipe_start(&u->bp, req, a->base, layer_body_end, u);
	return HTTP_ASYNC;
}

const struct route agent_layer_routes[] = {
	{ "PUT", "/v1/layers/:diff", layer_put, AGENT_BODY_STREAM, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};

int
agent_layers_open(struct agent *a, sdc_error_t *err)
{
	return images_node_store_open(&a->layers, a->opt->images, err);
}

void
agent_layers_close(struct agent *a)
{
	images_node_store_close(a->layers);
	a->layers = NULL;
}
