/*
 * images.h: the image layer of dockerapi (libsdcimages.a), below the HTTP
 * routes.
 *
 * On disk, under <data>/images:
 *   blobs/sha256/<hex>   content-addressed blobs (image configs; a layer
 *                        blob only where its tar-split could not be kept),
 *                        verified on arrival: a blob is written to tmp/
 *                        while hashed and renamed into place only when its
 *                        digest matches;
 *   layers/<diffhex>/diff/   each layer unpacked once, as an overlayfs lower
 *                        dir (whiteouts as 0/0 character devices, opaque
 *                        dirs with trusted.overlay.opaque=y), named by its
 *                        diff id so that a layer shared by many images, or
 *                        by many accounts, is stored once;
 *   layers/<diffhex>/tar-split   what rebuilds the layer's exact tar for
 *                        `docker save` from the files (see tarsplit.c);
 *   tmp/                 work in progress; emptied by images_open().
 * In the daemon's store (component "images"): image configs, the layers of
 * each image, and per-account ownership, tags and digests.  Images are per
 * account: an account sees only the images it pulled, imported or loaded.
 *
 * Threading contract.  A `struct images` and every function taking one are
 * used from ONE thread, the owner (the daemon's libevent thread), because
 * the store is single-threaded.  The slow work -- pulling, loading a
 * docker-archive, importing a tarball -- runs as a *job* in a worker thread
 * that touches only files and the network, never the store:
 *
 *     images_pull_start(im, account, "busybox", &auth, on_event, ctx, &job, &err);
 *     ev = event_new(base, images_job_fd(job), EV_READ | EV_PERSIST, cb, ctx);
 *     ...
 *     cb: r = images_job_dispatch(job, &err);   // on the owner thread
 *         // on_event() was called for every queued event, in order
 *         if (r != 0) { event_free(ev); images_job_free(job); }  // finished
 *
 * images_job_dispatch() delivers queued progress events to the callback on
 * the owner thread and, once the worker is done, records the result in the
 * store (still on the owner thread) and returns 1 (success) or -1 (failure,
 * with *err filled; everything the job had written is removed again).  The
 * callback is never called from the worker.  images_job_wait() does the
 * same in a blocking loop for tools and tests.  images_job_free() on a
 * running job cancels it (network transfers abort, extraction stops) and
 * joins the worker; it must still be called on the owner thread.
 *
 * Errors carry err->code = the HTTP status a Docker daemon would answer
 * with (400 bad reference, 401/403 auth, 404 no such image or manifest
 * unknown, 409 conflict, 500 otherwise).  A pull emits no event before the
 * manifest has been resolved, so a job that fails before its first event
 * can be answered with a plain HTTP error; later errors go into the stream
 * as Docker's {"errorDetail": {"message": ...}, "error": ...}.
 */
#ifndef SDC_IMAGES_H
#define SDC_IMAGES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "error.h"
#include "store.h"

struct images;
struct images_job;

/* ---- opening ---------------------------------------------------------- */

struct images_opts {
	const char *datadir;	/* the daemon's data dir; images go below it */
	/* Registry settings (SAPI metadata); see images_configure(). */
	const char *mirror;	/* "http://127.0.0.1:5000" for docker.io, or NULL */
	const char *const *insecure;	/* "host[:port]" list ending NULL, or NULL */
	/* Registries that may be on loopback, link-local, private, unspecified
	 * or multicast addresses, beside the mirror and the insecure ones:
	 * "host", "host:port" or "net/bits", ending NULL; or NULL. */
	const char *const *allow_private;
	int max_downloads;	/* concurrent layer transfers of one pull; 0 = 3 */
};

/* Creates the folders, cleans tmp/, and migrates the "images" tables.
 * `st` stays the caller's; it must outlive the images object. */
int images_open(struct images **out, struct store *st,
    const struct images_opts *opts, sdc_error_t *err);
/* Frees; every job must have been freed before. */
void images_close(struct images *im);
/* Change the registry settings live; jobs started later use them. */
void images_configure(struct images *im, const char *mirror,
    const char *const *insecure, const char *const *allow_private);
/* <data>/images/layers/<hex of diff_id>/diff: the overlayfs lower dir of
 * a layer (a new string). */
char *images_layer_dir(struct images *im, const char *diff_id);

/* ---- the registries' address rules, for other fetches (addrcheck.c) ---- */

/* Owner thread: a copy of the rules a pull's addresses are judged by (the
 * mirror, the insecure registries, REGISTRY_ALLOW_PRIVATE), for a fetch
 * of a URL a tenant named (a build's ADD <url>) on any thread:
 * images_addr_rules_check is a fetch_options.addr_check, its argument
 * the rules.  Loopback, private and the host's own addresses are refused
 * unless the operator allowed them for registries. */
struct images_addr_rules;
struct sockaddr;
struct images_addr_rules *images_addr_rules_new(struct images *im);
void images_addr_rules_free(struct images_addr_rules *r);
int images_addr_rules_check(void *arg, const char *host, int port,
    const struct sockaddr *sa);

/* ---- quota (owner thread; see quota.c) --------------------------------- */

/* The bytes of image layers `account` may keep, or -1 for no limit. */
typedef int64_t images_quota_fn(void *arg, const char *account);
/* Jobs made from now on ask fn for their account's limit, stop writing
 * once they would pass it, and fail with code 403 naming the quota. */
void images_set_quota(struct images *im, images_quota_fn *fn, void *arg);
/* The bytes of the distinct layers of the account's images. */
int images_account_bytes(struct images *im, const char *account,
    int64_t *out, sdc_error_t *err);

/* ---- an image leaving an account (owner thread; see remove.c) ---------- */

/* Called inside the removal's transaction for each image an account lets
 * go of (rmi, prune, a failed build's clean-up), so that what the
 * daemon keeps about that account's image (a build's step keys) goes
 * with it; an error rolls the removal back. */
typedef int images_forget_fn(void *arg, const char *account, const char *id,
    sdc_error_t *err);
void images_set_forget(struct images *im, images_forget_fn *fn, void *arg);

/* ---- a layer's files (owner thread; see meta.c) ------------------------- */

/* A layer no image uses any more is renamed out of sight (into tmp/) in
 * the removal that let it go, so nothing counts or reuses it from then
 * on, and its folder (a new string, fn's) handed to fn to remove off the
 * owner thread: a layer of many files takes seconds to unlink.  Without
 * fn it is removed there and then. */
typedef void images_reap_fn(void *arg, char *dir);
void images_set_reaper(struct images *im, images_reap_fn *fn, void *arg);

/* ---- references --------------------------------------------------------- */

/* A reference normalised by Docker Hub's rules: "busybox" is domain
 * "docker.io", path "library/busybox", tag "latest". */
struct image_ref {
	char *domain;	/* "docker.io", "127.0.0.1:5000", "registry.example.com" */
	char *path;	/* "library/busybox", "user/x" */
	char *tag;	/* NULL when only a digest was given */
	char *digest;	/* "sha256:<64 hex>" or NULL */
};

/* Parse and normalise; "latest" is added when neither tag nor digest is
 * given.  Errors (code 400) say what is wrong: "invalid reference format",
 * "invalid reference format: repository name must be lowercase", ... */
int image_ref_parse(struct image_ref *ref, const char *s, sdc_error_t *err);
/* The same without the default tag (for `docker images --filter reference`
 * and `docker rmi NAME` where no tag means "latest" anyway). */
int image_ref_parse_notag(struct image_ref *ref, const char *s, sdc_error_t *err);
void image_ref_free(struct image_ref *ref);
/* "docker.io/library/busybox" */
char *image_ref_repo(const struct image_ref *ref);
/* The short name Docker shows: "busybox", "user/x", "127.0.0.1:5000/x". */
char *image_ref_familiar(const struct image_ref *ref);
/* "busybox:latest" or "busybox@sha256:..." */
char *image_ref_familiar_full(const struct image_ref *ref);

/* ---- registry credentials ----------------------------------------------- */

struct images_auth {
	char *username;
	char *password;
	char *identitytoken;	/* a refresh token, used as the password grant */
	char *registrytoken;	/* a bearer token, used as given */
};

/* Decode an X-Registry-Auth header (base64url JSON, padding optional).
 * An empty or NULL header gives empty credentials. */
int images_auth_parse(struct images_auth *out, const char *header, sdc_error_t *err);
void images_auth_free(struct images_auth *auth);

/* ---- progress events ------------------------------------------------------ */

/* One event per Docker JSON progress message, in Docker's order. */
enum images_ev {
	IMAGES_EV_PULLING_FROM,	/* id: tag or digest; text: "library/busybox" */
	IMAGES_EV_FS_LAYER,	/* "Pulling fs layer"; id: short layer id */
	IMAGES_EV_WAITING,	/* "Waiting" */
	IMAGES_EV_DOWNLOADING,	/* "Downloading", current/total bytes */
	IMAGES_EV_VERIFYING,	/* "Verifying Checksum" */
	IMAGES_EV_DOWNLOAD_COMPLETE,	/* "Download complete" */
	IMAGES_EV_EXTRACTING,	/* "Extracting", current/total (compressed) bytes */
	IMAGES_EV_PULL_COMPLETE,	/* "Pull complete" */
	IMAGES_EV_ALREADY_EXISTS,	/* "Already exists" */
	IMAGES_EV_DIGEST,	/* text: "sha256:..." -> "Digest: sha256:..." */
	IMAGES_EV_STATUS,	/* text: "Downloaded newer image for busybox:latest"
				 * or "Image is up to date for busybox:latest" */
	IMAGES_EV_LOADING,	/* load: "Loading layer", current/total */
	IMAGES_EV_LOADED,	/* load: text "Loaded image: busybox:latest" or
				 * "Loaded image ID: sha256:..." (a stream line) */
	IMAGES_EV_IMPORTED,	/* import: text = the new image id */
	IMAGES_EV_PUSH_REFERS,	/* text: "127.0.0.1:5000/x" -> "The push refers
				 * to repository [127.0.0.1:5000/x]" */
	IMAGES_EV_PREPARING,	/* "Preparing"; id: short layer id */
	IMAGES_EV_PUSHING,	/* "Pushing", current/total bytes */
	IMAGES_EV_PUSHED,	/* "Pushed" */
	IMAGES_EV_LAYER_EXISTS,	/* "Layer already exists" */
	IMAGES_EV_MOUNTED,	/* text: the repository -> "Mounted from x/y" */
	IMAGES_EV_PUSH_DIGEST,	/* id: tag, text: digest, total: manifest size
				 * -> "latest: digest: sha256:... size: 527",
				 * then Docker's aux line {Tag, Digest, Size} */
};

struct images_event {
	enum images_ev kind;
	const char *id;		/* layer short id (12 hex), tag, or NULL */
	const char *text;	/* see above, or NULL */
	int64_t current, total;
};

typedef void images_event_fn(void *arg, const struct images_event *ev);

/* The event as the JSON object Docker's daemon sends for it, e.g.
 * {"status":"Downloading","progressDetail":{"current":1,"total":2},
 *  "progress":"[=>   ] 1B/2B","id":"a1b2c3d4e5f6"}; load events use
 * {"stream": "...\n"}, import {"status": "sha256:..."}.  New reference. */
json_t *images_event_json(const struct images_event *ev);
/* Docker's error line: {"errorDetail":{"message":M},"error":M}. */
json_t *images_error_json(const char *message);

/* ---- jobs (see the threading contract at the top) --------------------------- */

/* Pull `name` for `account`.  auth may be NULL.  Registry errors, digest
 * mismatches, truncated blobs, and unsafe layers fail the job and leave
 * nothing behind. */
int images_pull_start(struct images *im, const char *account, const char *name,
    const struct images_auth *auth, images_event_fn *cb, void *arg,
    struct images_job **out, sdc_error_t *err);

/* Pull every tag of the repository `repo` (no tag, no digest: 400), as
 * `docker pull -a` does; nothing is tagged unless every tag came. */
int images_pull_all_start(struct images *im, const char *account,
    const char *repo, const struct images_auth *auth, images_event_fn *cb,
    void *arg, struct images_job **out, sdc_error_t *err);

/* Load a docker-archive (`docker save` of Docker 20+, OCI layout of
 * Docker 25+, or images_save output) from `fd`, which the job reads to EOF
 * and closes.  Images are tagged for `account` as named in the archive. */
int images_load_start(struct images *im, const char *account, int fd,
    images_event_fn *cb, void *arg, struct images_job **out, sdc_error_t *err);

/* Import a tarball (plain, gzip, bzip2, xz, zstd) from fd as a one-layer
 * image.  repo may be NULL (untagged); changes are Dockerfile lines (CMD,
 * ENV, WORKDIR, ENTRYPOINT, LABEL, USER, EXPOSE), NULL-terminated or NULL;
 * a bad change fails at start (code 400). */
int images_import_start(struct images *im, const char *account, int fd,
    const char *repo, const char *const *changes, const char *message,
    images_event_fn *cb, void *arg, struct images_job **out, sdc_error_t *err);

/* Commit a container: its image (parent) with one layer more, written by
 * layer() on the worker (Docker's layer tar: whiteouts as .wh. files).
 * config is the container's Config; changes as for import, with ONBUILD
 * and STOPSIGNAL too (a bad one fails at start, code 400).  Once the job
 * has started, layer() is called exactly once, on the worker, even if the
 * job is cancelled meanwhile (its writes then fail).  The commit's event
 * is IMAGES_EV_IMPORTED with the new image id. */
typedef int images_layer_fn(void *arg, int (*write)(void *, const void *, size_t),
    void *warg, sdc_error_t *err);
struct images_commit_opts {
	const char *parent;		/* the container's image id; NULL: none
					 * (a build's FROM scratch) */
	const json_t *config;		/* the container's Config */
	const json_t *container_config;	/* recorded as container_config */
	const char *container_id;
	const char *const *changes;	/* NULL-terminated, or NULL */
	const char *repo;		/* "repo[:tag]", or NULL: untagged */
	const char *comment, *author;	/* may be NULL */
	const char *created_by;		/* the container's command */
	images_layer_fn *layer;		/* NULL: no layer, the config only
					 * (history "empty_layer") */
	void *layer_arg;
};
int images_commit_start(struct images *im, const char *account,
    const struct images_commit_opts *o, images_event_fn *cb, void *arg,
    struct images_job **out, sdc_error_t *err);

/* Push the account's images of repository `name` ("127.0.0.1:5000/x")
 * to its registry: the one tagged `tag`, or every tag of it when tag is
 * NULL or empty.  Only the account's own tags are pushed; none gives the
 * error "An image does not exist locally with the tag: NAME" in the
 * stream, after the "The push refers to repository" line, as Docker
 * sends it.  Layers go up gzip-compressed (those the store keeps
 * uncompressed are compressed once, deterministically, and the result
 * kept beside the layer), the manifest as schema2 by tag; the pushed
 * digest becomes a RepoDigest of the image. */
int images_push_start(struct images *im, const char *account, const char *name,
    const char *tag, const struct images_auth *auth, images_event_fn *cb,
    void *arg, struct images_job **out, sdc_error_t *err);

/* `docker login`: whether the registry named by server (an address as
 * the docker CLI sends it: "https://index.docker.io/v1/", "host:5000")
 * takes auth.  Nothing is stored, nothing is emitted; the job fails (code
 * 401) when the registry refuses the credentials. */
int images_login_start(struct images *im, const char *server,
    const struct images_auth *auth, struct images_job **out,
    sdc_error_t *err);
/* server's registry host, "docker.io" for Docker Hub's names; NULL and a
 * 400 error for an address that names no host. */
char *images_login_domain(const char *server, sdc_error_t *err);

/* A readable fd (level-triggered) for the owner's event loop. */
int images_job_fd(struct images_job *job);
/* Deliver queued events; 0 = still running, 1 = done and committed,
 * -1 = failed (*err set).  After a non-zero return, only free. */
int images_job_dispatch(struct images_job *job, sdc_error_t *err);
/* Block until done, delivering events; returns as dispatch does. */
int images_job_wait(struct images_job *job, sdc_error_t *err);
/* The image id a finished job produced (the last one for a load). */
const char *images_job_image_id(struct images_job *job);
void images_job_free(struct images_job *job);

/* ---- queries (owner thread) ------------------------------------------------ */

/* Resolve a name as Docker does -- a reference first (tag, digest), then
 * "sha256:<hex>" or an id prefix -- among the account's images.  *id gets
 * "sha256:<hex>".  Unknown: code 404 "No such image: NAME". */
int images_resolve(struct images *im, const char *account, const char *name,
    char **id, sdc_error_t *err);

struct images_filter {
	bool all;		/* -a: intermediate images too */
	int dangling;		/* -1: either; 0: tagged only; 1: untagged only */
	const char *const *labels;	/* "k" or "k=v", all must match; NULL-terminated */
	const char *const *references;	/* patterns like "busybox", "bus*:1.*" */
};

/* GET /images/json: an array of {Id, ParentId, RepoTags, RepoDigests,
 * Created, Size, SharedSize, VirtualSize, Labels, Containers}. */
int images_list(struct images *im, const char *account,
    const struct images_filter *filter, json_t **out, sdc_error_t *err);
/* GET /images/NAME/json: Docker's inspect object. */
int images_inspect(struct images *im, const char *account, const char *name,
    json_t **out, sdc_error_t *err);
/* GET /images/NAME/history: [{Id, Created, CreatedBy, Tags, Size, Comment}]. */
int images_history(struct images *im, const char *account, const char *name,
    json_t **out, sdc_error_t *err);
/* The diff ids of an image's layers, base first, and its config JSON
 * (for creating containers): both new, either may be NULL. */
int images_layers(struct images *im, const char *account, const char *name,
    json_t **diff_ids, json_t **config, sdc_error_t *err);

/* ---- changes (owner thread) ------------------------------------------------- */

/* POST /images/NAME/tag: tag `name` as `target` ("repo[:tag]"). */
int images_tag(struct images *im, const char *account, const char *name,
    const char *target, sdc_error_t *err);

/* Says whether a container of `account` uses image `id`; fills *container
 * (malloc'd, the container's name or id) and *running. */
typedef bool images_in_use_fn(void *arg, const char *account, const char *id,
    char **container, bool *running);

/* DELETE /images/NAME: untag, and delete the image when no reference of the
 * account is left and no container uses it.  *out: Docker's answer,
 * [{"Untagged": ...}, {"Deleted": ...}].  Conflicts are code 409 with
 * Docker's wording. */
int images_remove(struct images *im, const char *account, const char *name,
    bool force, bool noprune, images_in_use_fn *in_use, void *arg,
    json_t **out, sdc_error_t *err);

/* ---- save (docker-archive) --------------------------------------------------- */

struct images_save;
/* Owner thread: resolve names (ids, repo:tag, or repo = all its tags). */
int images_save_prepare(struct images *im, const char *account,
    const char *const *names, struct images_save **out, sdc_error_t *err);
typedef int images_write_fn(void *arg, const void *data, size_t len);
/* Any thread: write the tar; write() returns -1 to stop. */
int images_save_write(struct images_save *sv, images_write_fn *write, void *arg,
    sdc_error_t *err);
/* Owner thread. */
void images_save_free(struct images_save *sv);

/* ---- layers for compute nodes (layer-send.c, layer-receive.c) ---------------------------------- */

/* The head's side.  Owner thread: what is sent for layer diff_id to a node
 * that lacks it (404 when the store has no such layer), the layer and
 * its blob pinned until images_layer_send_free. */
struct images_layer_send;
int images_layer_send_new(struct images *im, const char *diff_id,
    struct images_layer_send **out, sdc_error_t *err);
/* Any thread: the blob to send (the registry's, when the store kept it;
 * else the layer's deterministic gzip, made once and kept), open for
 * reading in *fd (the caller's to close), its digest, media type and
 * size (the strings live as long as s). */
int images_layer_send_open(struct images_layer_send *s, atomic_int *cancel,
    int *fd, const char **digest, const char **media_type, int64_t *size,
    sdc_error_t *err);
/* Any thread. */
void images_layer_send_free(struct images_layer_send *s);

/* The node's side: a layer store of its own, <layers>/<diff hex>/diff as
 * the head's, its work in progress in <layers>/.incoming (emptied at
 * open). */
#define IMAGES_NODE_INCOMING ".incoming"
struct images_node_store;
int images_node_store_open(struct images_node_store **out,
    const char *layers, sdc_error_t *err);
void images_node_store_close(struct images_node_store *ns);
bool images_node_has_layer(struct images_node_store *ns, const char *diff_id);

struct images_node_upload {
	const char *diff_id;    /* what the uncompressed tar hashes to */
	const char *digest;     /* what the blob hashes to */
	const char *media_type; /* a layer's: tar, gzip or zstd */
	int64_t size;           /* the blob's declared bytes */
	int64_t max_unpacked;   /* the uncompressed stream's bound; -1 none */
	int idle_ms;            /* fd silent this long fails it; 0 never */
	atomic_int *cancel;     /* or NULL */
};

/* Any thread: the blob read from fd (exactly up->size bytes hashing to
 * up->digest) unpacked with the image store's rules into <layers>/<diff
 * hex>, renamed into place only if the tar hashes to up->diff_id.  400
 * for what the sender got wrong (a digest, a length, a hostile entry),
 * 408 a body that stalled, 507 one that unpacks past max_unpacked;
 * nothing is left in the store on failure.  *created: false when
 * another upload put the same layer in place first. */
int images_node_receive(struct images_node_store *ns, int fd,
    const struct images_node_upload *up, bool *created, sdc_error_t *err);

#endif
