/*
 * images-int.h: what the files of libsdcimages share and nobody else sees.
 *
 * The split follows the threading contract of images.h: blobs.c, layers.c,
 * registry.c and the job bodies (pull.c, archive.c, import.c) run in worker
 * threads and touch only files and the network; meta.c, list.c and
 * remove.c run on the owner thread and are the only users of the store.
 * The two meet in job.c (events, results) and in the pin set below, which
 * keeps the owner's garbage collection away from blobs and layers a job is
 * still writing or about to record.
 */
#ifndef SDC_IMAGES_INT_H
#define SDC_IMAGES_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <openssl/evp.h>

#include "buf.h"
#include "fsutil.h"
#include "images.h"
#include "strvec.h"
#include "timeutil.h"

/* ---- util.c: digests, paths ---- */

#define DIGEST_HEX 64
/* "sha256:<64 lower hex>" */
bool digest_valid(const char *d);
/* The 64 hex of a valid digest (a pointer into it). */
const char *digest_hex(const char *d);
/* sha256 of a buffer as "sha256:<hex>", malloc'd. */
char *digest_of(const void *data, size_t len);
/* Finish a hash into "sha256:<hex>" in out[72]. */
void digest_final(EVP_MD_CTX *md, char out[72]);
/* Docker's short id: the first 12 hex of a digest, in out[13]. */
void digest_short(const char *d, char out[13]);

/* A fresh unique name under dir: "<dir>/<prefix>-<random>". */
char *tmp_name(const char *dir, const char *prefix);
/* Bytes of regular files below a folder (the unpacked size of a layer). */
int64_t tree_size(const char *path);

/* ---- refs.c ---- */

/* "docker.io/library/busybox" -> "busybox" */
char *refs_familiar_repo(const char *repo);

/* ---- images.c: the object and its pins ---- */

struct images {
	struct store *st;
	char *root;		/* <data>/images, symlinks resolved */
	char *blobdir;		/* root/blobs/sha256 */
	char *layerdir;		/* root/layers */
	char *tmpdir;		/* root/tmp */
	char *mirror;
	struct strvec insecure;
	struct strvec allow_private;	/* REGISTRY_ALLOW_PRIVATE */
	int max_downloads;
	pthread_mutex_t pin_lock;
	struct strvec pins;	/* digests, one entry per pin (a multiset) */
	struct pin_file *pin_files;	/* pin-files.c: the flocks held */
	size_t npin_files;
	int jobs;
	images_quota_fn *quota_fn;	/* quota.c */
	void *quota_arg;
	images_forget_fn *forget_fn;	/* remove.c */
	void *forget_arg;
	images_reap_fn *reap_fn;	/* meta.c */
	void *reap_arg;
};

/* ---- pin-files.c: pins across the processes sharing the store ---- */

struct pin_file {
	char *digest;
	int fd;			/* holds a shared flock on ROOT/pins/HEX */
};

/* Under pin_lock: the digest's first pin in this process, its last. */
void pinfile_first(struct images *im, const char *digest);
void pinfile_last(struct images *im, const char *digest);
void pinfile_close_all(struct images *im);
/* Under pin_lock, for the collector: the pin file locked exclusively
 * (its descriptor), PINFILE_TAKEN when another process pins the digest,
 * -1 when it cannot be told (no pin file: collect as before); then
 * pinfile_release, which removes the file with what was collected. */
#define PINFILE_TAKEN (-2)
int pinfile_exclusive(struct images *im, const char *digest);
void pinfile_release(struct images *im, const char *digest, int fd);

void images_pin(struct images *im, const char *digest);
void images_unpin(struct images *im, const char *digest);
bool images_pinned(struct images *im, const char *digest);

/* ---- blobs.c: the content-addressed store ---- */

char *blobs_path(struct images *im, const char *digest);
bool blobs_exists(struct images *im, const char *digest);

/* A blob being written: to tmp/ while hashed, then verified and renamed. */
struct blob_writer {
	struct images *im;
	char *tmp;
	int fd;
	EVP_MD_CTX *md;
	int64_t size;
};

int blob_writer_open(struct blob_writer *w, struct images *im, sdc_error_t *err);
int blob_writer_write(struct blob_writer *w, const void *data, size_t len,
    sdc_error_t *err);
/* Check digest and size but keep the temp file (w->tmp) out of the store:
 * a layer blob is unpacked from there and then, usually, dropped. */
int blob_writer_verify(struct blob_writer *w, const char *want, int64_t want_size,
    char got[72], sdc_error_t *err);
/* After verify: sync and move into the store. */
int blob_writer_keep(struct blob_writer *w, const char *digest, sdc_error_t *err);
/* Verify against `want` (a digest; NULL to accept whatever it hashes to)
 * and `want_size` (-1 for any), then rename into place.  *got (72 bytes,
 * may be NULL) receives the digest.  On any failure the temp file is gone. */
int blob_writer_commit(struct blob_writer *w, const char *want, int64_t want_size,
    char got[72], sdc_error_t *err);
/* Drop an unfinished blob.  Safe after commit and twice. */
void blob_writer_abort(struct blob_writer *w);
/* Store a small in-memory blob (a config, a manifest) under its digest. */
int blobs_put(struct images *im, const void *data, size_t len, const char *want,
    char got[72], sdc_error_t *err);

/* ---- quota.c: a job's allowance of image bytes ---- */

struct images_budget {
	int64_t limit;		/* the account's quota in bytes; -1: none */
	int64_t left;		/* what it had left when the job was made */
	atomic_llong stored;	/* bytes a load or import stored as blobs */
	atomic_llong unpacked;	/* uncompressed bytes of unpacked layers */
};

/* Any thread: add n to counter; -1 (code 403) once it passes the left. */
int budget_charge(struct images_budget *b, atomic_llong *counter, int64_t n,
    sdc_error_t *err);

/* ---- layers.c: safe unpacking ---- */

typedef void layers_progress_fn(void *arg, int64_t current, int64_t total);

struct layer_result {
	char diff_id[72];	/* sha256 of the uncompressed tar */
	int64_t size;		/* bytes of regular files */
	bool created;		/* false: another job had unpacked it first */
	bool split;		/* a tar-split was kept: the blob is not needed */
};

/* Unpack the blob at `blob` (any compression) into layers/<hex diff_id>
 * through a temp dir.  want_diff (may be NULL) must match the uncompressed
 * digest.  Refuses paths that would leave the layer dir. */
int layers_unpack(struct images *im, const char *blob, const char *want_diff,
    layers_progress_fn *progress, void *arg, atomic_int *cancel,
    struct images_budget *budget, struct layer_result *res, sdc_error_t *err);
/* Only check that the blob's uncompressed bytes hash to want_diff (a
 * layer already unpacked, that this job must prove it has). */
int layers_verify(struct images *im, const char *blob, const char *want_diff,
    layers_progress_fn *progress, void *arg, atomic_int *cancel,
    sdc_error_t *err);
bool layers_exists(struct images *im, const char *diff_id);
/* layers/<hex>: the layer's own folder, holding diff/ and tar-split. */
char *layers_root(struct images *im, const char *diff_id);
bool layers_has_split(struct images *im, const char *diff_id);
/* The layer's uncompressed tar, from its tar-split and files, or else from
 * the blob `digest`: its size, and its bytes to write() (for save). */
int layers_tar_size(struct images *im, const char *diff_id, const char *digest,
    int64_t *size, sdc_error_t *err);
int layers_copy_tar(struct images *im, const char *diff_id, const char *digest,
    images_write_fn *write, void *arg, int64_t *size, sdc_error_t *err);

/* A layer tar's entry name made relative and clean ("./" and empty
 * components dropped, "" for the root); an absolute name or a ".."
 * component is refused. */
int layer_clean_name(const char *name, char **out, sdc_error_t *err);

/* ---- tarsplit.c: rebuilding a layer tar without its blob ---- */

struct tarsplit {
	unsigned char hdr[512];
	size_t hlen;
	int state;
	uint64_t remain, pad;
	int64_t pax_size;
	bool in_pax;
	struct buf pax;
	struct buf out;		/* the records so far */
	size_t raw_at;		/* offset of the open raw record's length */
	size_t files;
	uint64_t total;
	bool invalid;
	struct strvec names;
};

void tarsplit_init(struct tarsplit *ts);
void tarsplit_free(struct tarsplit *ts);
void tarsplit_feed(struct tarsplit *ts, const void *data, size_t len);
/* The unpacker's name for the next regular file with contents. */
void tarsplit_name(struct tarsplit *ts, const char *rel);
int tarsplit_write(struct tarsplit *ts, const char *path, sdc_error_t *err);
int tarsplit_size(const char *split, int64_t *size, sdc_error_t *err);
int tarsplit_rebuild(const char *split, const char *dir, images_write_fn *write,
    void *arg, sdc_error_t *err);

/* ---- manifest.c: a registry's manifest, checked ---- */

struct manifest_layer {
	const char *digest;	/* valid (digest_valid) */
	const char *media_type;	/* "" when absent; never foreign */
	int64_t size;		/* -1 when absent */
};

struct manifest_image {
	const char *config_digest;	/* valid */
	int64_t config_size;
	struct manifest_layer *layers;	/* point into the manifest's tree */
	size_t nlayers;
};

/* A manifest list or OCI index, by its media type or its shape. */
bool manifest_is_index(const char *media_type, json_t *m);
/* The digest of an index's linux/amd64 entry; 404 if it has none. */
int manifest_pick_platform(json_t *index, char **digest, sdc_error_t *err);
/* A schema 2 image manifest's config and layers; errors (500, naming
 * ref) for anything else, a bad digest or a foreign layer. */
int manifest_image(json_t *m, const char *ref, struct manifest_image *out,
    sdc_error_t *err);
void manifest_image_clear(struct manifest_image *mi);
/* The diff ids of an image config, which must be nlayers valid digests. */
int manifest_diff_ids(const char *config, size_t len, size_t nlayers,
    struct strvec *ids, sdc_error_t *err);

/* ---- job.c: worker threads and their events ---- */

struct job_layer {
	char *digest;		/* the blob's digest */
	char *media_type;
	int64_t blob_size;
	char *diff_id;
	int64_t size;		/* unpacked bytes */
};

/* What a job adds to the store, filled by the worker, committed by meta.c. */
struct job_image {
	char *id;		/* sha256 of config */
	char *config;		/* the config JSON as stored */
	struct job_layer *layers;
	size_t nlayers;
	struct strvec tags;	/* normalised "repo:tag" */
	char *repo;		/* for a digest reference: the repo */
	char *digest;		/* manifest digest (RepoDigests) or NULL */
	bool up_to_date;	/* set by commit */
};

struct images_job {
	struct images *im;
	char *account;
	images_event_fn *cb;
	void *arg;
	int pipe[2];
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;	/* guards queue, done */
	struct job_event *queue;
	size_t nqueue, capqueue;
	bool done;
	bool finished;		/* dispatch has returned non-zero */
	int rc;
	sdc_error_t werr;	/* the worker's error */
	atomic_int cancel;
	int (*run)(struct images_job *, sdc_error_t *);
	int (*commit)(struct images_job *, sdc_error_t *);
	void (*free_data)(struct images_job *);
	void *data;
	struct job_image *images;
	size_t nimages;
	struct strvec pins;	/* held until free */
	struct strvec new_blobs;	/* created by this job: removed on failure */
	struct strvec new_layers;
	struct strvec proved;	/* diff ids whose bytes this job hashed */
	pthread_mutex_t rec_lock;	/* guards pins, new_* and proved (layer threads) */
	struct images_budget budget;	/* the account's image-bytes quota */
};

/* quota.c, owner thread: the budget when the job is made, and the check
 * of the final figure before the job's commit. */
void budget_init(struct images_job *job);
int budget_check_commit(struct images_job *job, sdc_error_t *err);
/* The check, then job->commit, under the account's lock in the store. */
int budget_commit(struct images_job *job, sdc_error_t *err);

struct images_job *job_new(struct images *im, const char *account,
    images_event_fn *cb, void *arg);
/* Start the worker and hand the job to *out; on failure the job is
 * freed. */
int job_start(struct images_job *job, struct images_job **out,
    sdc_error_t *err);
/* From the worker: queue an event (copied). */
void job_event(struct images_job *job, enum images_ev kind, const char *id,
    const char *text, int64_t current, int64_t total);
void job_pin(struct images_job *job, const char *digest);
void job_created_blob(struct images_job *job, const char *digest);
void job_created_layer(struct images_job *job, const char *diff_id);
/* The account's own bytes (upload, or a verified registry blob) hashed to
 * diff_id: the layer may join the account's images (proofs.c). */
void job_proved(struct images_job *job, const char *diff_id);
struct job_image *job_add_image(struct images_job *job);
bool job_cancelled(struct images_job *job);

/* ---- auth.c: credentials and WWW-Authenticate ---- */

/* A deep copy (src may be NULL: empty credentials). */
void images_auth_copy(struct images_auth *dst, const struct images_auth *src);

struct auth_challenge {
	char *scheme;	/* "Bearer", "Basic" */
	char *realm, *service, *scope;
};

void auth_challenge_parse(const char *header, struct auth_challenge *c);
void auth_challenge_free(struct auth_challenge *c);
/* A bearer token lasts what its answer's expires_in says, and at least
 * AUTH_TOKEN_MIN_LIFETIME seconds (Docker's minimumTokenLifetimeSeconds):
 * the client asks for a new one once that has passed, as dockerd does. */
#define AUTH_TOKEN_MIN_LIFETIME 60
int64_t auth_token_lifetime(const json_t *answer);

/* ---- addrcheck.c: the addresses a registry may have ---- */

struct sockaddr;
/* Loopback, unspecified, link-local, private, multicast or reserved. */
bool addrcheck_private(const struct sockaddr *sa);
/* 0 when sa (an address of host, port) is public and not this host's,
 * or the host is allowed by an entry ("host", "host:port", "net/bits");
 * else -1. */
int addrcheck_allowed(const struct strvec *allowed, const char *host, int port,
    const struct sockaddr *sa);
/* Add the "host[:port]" of a URL to allowed. */
void addrcheck_allow_url(struct strvec *allowed, const char *url);

/* ---- registry.c: the v2 client ---- */

struct registry;
struct registry_opts {
	const char *mirror;
	const struct strvec *insecure;
	const struct strvec *allow_private;	/* beside mirror and insecure */
	const struct images_auth *auth;
	atomic_int *cancel;
	bool push;				/* tokens for pull,push */
	const struct strvec *mount_from;		/* and pull on these repos */
};

int registry_open(struct registry **out, const struct image_ref *ref,
    const struct registry_opts *opts, sdc_error_t *err);
/* GET /v2/ of domain with opts->auth: 0 when the registry takes them.
 * opts->mirror is not used for a login. */
int registry_login(const char *domain, const struct registry_opts *opts,
    sdc_error_t *err);
/* A copy for another thread: same endpoint and token, its own connection. */
struct registry *registry_dup(const struct registry *src);
void registry_close(struct registry *r);
/* GET a manifest by tag or digest: body, media type, digest of the body. */
int registry_manifest(struct registry *r, const char *ref, struct buf *body,
    char **media_type, char digest[72], sdc_error_t *err);
/* Every tag of the repository (the registry's pages followed); 404 for
 * none. */
int registry_tags(struct registry *r, struct strvec *tags, sdc_error_t *err);
/* GET a small blob into memory, verified. */
int registry_blob_mem(struct registry *r, const char *digest, int64_t size,
    struct buf *body, sdc_error_t *err);
typedef void registry_progress_fn(void *arg, int64_t current, int64_t total);
/* GET a blob into a temp file (w), verified (digest and size); the caller
 * keeps it (blob_writer_keep) or drops it (blob_writer_abort). */
int registry_blob_fetch(struct registry *r, struct images *im, const char *digest,
    int64_t size, registry_progress_fn *progress, void *arg,
    struct blob_writer *w, sdc_error_t *err);

/* Push: 1 when the registry has the blob, 0 when not. */
int registry_blob_exists(struct registry *r, const char *digest, sdc_error_t *err);
/* Cross-repository mount of digest from repository `from`: 1 mounted, 0
 * not (the upload the registry began instead is cancelled), -1 when the
 * registry refused the credentials (code 401). */
int registry_blob_mount(struct registry *r, const char *digest, const char *from,
    sdc_error_t *err);
/* Up to len bytes into buf; 0 at the end, -1 with *err. */
/* Up to len bytes of the blob from offset off (0 at its end). */
typedef ssize_t registry_read_fn(void *arg, int64_t off, void *buf, size_t len,
    sdc_error_t *err);
/* Upload size bytes from read() as digest: one PUT when they fit `chunk`,
 * else PATCHes of `chunk` bytes and a closing PUT.  A 401 with a bearer
 * challenge on any of them gets a new token and the request once more;
 * an upload session the registry forgot meanwhile is started again, from
 * offset 0. */
int registry_blob_upload(struct registry *r, const char *digest, int64_t size,
    registry_read_fn *read, void *rarg, size_t chunk,
    registry_progress_fn *progress, void *parg, sdc_error_t *err);
/* PUT a manifest by tag. */
int registry_manifest_put(struct registry *r, const char *tag,
    const char *media_type, const void *body, size_t len, sdc_error_t *err);

/* ---- push.c: a layer as a push sends it ---- */

/* The layer's tar rebuilt, checked against diff_id and gzipped
 * deterministically into layers/<hex>/push.gz once (kept, its digest in
 * push.gz.digest beside it): *path (new string), its digest and size.
 * digest: the blob the store recorded (read where no tar-split is kept).
 * Any thread, with the layer pinned. */
int push_layer_gz(struct images *im, const char *diff_id, const char *digest,
    atomic_int *cancel, char **path, char up_digest[72], int64_t *up_size,
    sdc_error_t *err);

/* ---- layer-receive.c: a layer a compute node takes ---- */

/* A layer media type a node takes (tar, gzip, zstd; Docker's or OCI's);
 * a head sends a kept blob of another as its gzip instead. */
bool layer_media_ok(const char *m);

/* ---- meta.c: the store (owner thread only) ---- */

int meta_open(struct images *im, sdc_error_t *err);
/* Prepared statements with bound arguments: fmt says 't' (text) or 'i'
 * (int64_t) for each.  The error comes before the variadic arguments. */
struct store_stmt *meta_query(struct images *im, sdc_error_t *err,
    const char *sql, const char *fmt, ...);
/* Run to completion; returns the rows changed, or -1. */
int meta_exec(struct images *im, sdc_error_t *err, const char *sql,
    const char *fmt, ...);
/* The first column of the first row, or NULL (with *err set on failure). */
char *meta_string(struct images *im, sdc_error_t *err, const char *sql,
    const char *fmt, ...);
int meta_set_tag(struct images *im, const char *account, const char *repo,
    const char *tag, const char *id, bool *same, sdc_error_t *err);
int meta_add_owner(struct images *im, const char *account, const char *id,
    bool *existed, sdc_error_t *err);
void meta_close(struct images *im);
/* Record an image for an account with its tags and digest, inside a
 * transaction of the caller's (record) or in one of its own (commit).
 * Every layer must be in `proved` (diff ids the job proved, may be NULL)
 * or among the account's earlier proofs: see proofs.c. */
int meta_record_image(struct images *im, const char *account,
    struct job_image *img, const struct strvec *proved, sdc_error_t *err);
int meta_commit_image(struct images *im, const char *account,
    struct job_image *img, const struct strvec *proved, sdc_error_t *err);
bool meta_blob_used(struct images *im, const char *digest);
bool meta_layer_used(struct images *im, const char *diff_id);
/* Remove a blob / layer unless recorded or pinned (garbage collection). */
void meta_gc_blob(struct images *im, const char *digest);
void meta_gc_layer(struct images *im, const char *diff_id);

/* ---- proofs.c: the layers an account proved it has (owner thread) ---- */

/* The account's proved diff ids / the ids of its images, appended. */
int proofs_list(struct images *im, const char *account, struct strvec *out,
    sdc_error_t *err);
int proofs_owned_images(struct images *im, const char *account,
    struct strvec *out, sdc_error_t *err);
/* Refuses (400) an image with a layer neither in `proved` nor proved by
 * the account before; else records its layers as the account's. */
int proofs_check_record(struct images *im, const char *account,
    const struct job_image *img, const struct strvec *proved, sdc_error_t *err);
/* Drop the account's proofs of layers none of its images uses. */
int proofs_forget_unused(struct images *im, const char *account,
    sdc_error_t *err);

/* ---- list.c / remove.c helpers shared with archive.c ---- */

/* The image's config JSON and its layer rows, by id. */
int meta_image_get(struct images *im, const char *id, json_t **config,
    struct job_layer **layers, size_t *nlayers, sdc_error_t *err);
void job_layers_free(struct job_layer *l, size_t n);
/* Every "repo:tag" (familiar) of an account pointing at id. */
int meta_image_tags(struct images *im, const char *account, const char *id,
    struct strvec *tags, struct strvec *digests, sdc_error_t *err);

/* ---- import.c ---- */

/* Apply Dockerfile-syntax changes to a container config object. */
int import_apply_changes(json_t *config, const char *const *changes, sdc_error_t *err);
/* The layer blob diff (stored by this job from the account's own bytes)
 * pinned, proved and unpacked unless it is already; *size: its files. */
int import_own_layer(struct images_job *job, const char *diff, int64_t *size,
    sdc_error_t *err);
/* A job's commit step for its one image: record it, then the
 * IMAGES_EV_IMPORTED event with its id (import, commit). */
int import_commit(struct images_job *job, sdc_error_t *err);
/* "repo[:tag]" -> normalised "domain/path:tag" (NULL for none). */
int import_repo_tag(const char *repo, char **out, sdc_error_t *err);

#endif
