/*
 * dockerapi.h: the Docker endpoint daemon, the whole story in one header.
 *
 * One process, one libevent loop, three listeners:
 *
 *   docker    the Docker Remote API for end users (TLS on 2376, or plain
 *             2375 when USE_TLS is false).  Every request but /_ping and
 *             /ca.pem is made by an account: the client certificate names
 *             it (auth.c), and what it sees is only its own.
 *   cloudapi  the small part of Triton's CloudAPI the setup script needs,
 *             HTTPS, requests signed with HTTP Signature (cloudapi.c).
 *   admin     the operators' API on a root-only unix socket (admin.c):
 *             accounts, keys, the effective config, every container.
 *
 * Requests go connection → http.c → router → api_dispatch() (api.c),
 * which checks the API version, the caller, maintenance mode and the
 * route's needs, then calls the handler from one of the resource files
 * (api/system-routes.c, ...).  A handler answers with
 * api_json()/api_error(), or returns HTTP_ASYNC and answers later.
 *
 * Tunables come from the config service: tunables.c watches SAPI on a
 * thread of libsapi's and hands each new config to the loop, where it
 * replaces the old one at once: no restart, no request sees half of one.
 * The last good config is cached on disk so the daemon serves when SAPI
 * is down.
 *
 * State lives in one SQLite file (<data>/dockerapi.db), each module with
 * its own tables and migrations (store_migrate per component).
 */
#ifndef DOCKERAPI_H
#define DOCKERAPI_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "error.h"
#include "http.h"
#include "router.h"
#include "store.h"

#define DOCKERAPI_NAME "dockerapi"
#define API_MIN_MINOR 20        /* 1.20: the oldest API the seeds name */
#define API_MAX_MINOR 41        /* 1.41: what current clients negotiate */
#define API_VERSION_STR(minor) "1." #minor

struct tunables;
struct account;
struct images;
struct containers;
struct limits;
struct limits_hold;

/* What the daemon was started with: built-in defaults, then the YAML file
 * (-f), then flags.  Tunables that change at run time are not here. */
struct dockerapi_config {
	char *data_dir;
	char *store;            /* "": DATA/dockerapi.db; or a libpq URI */
	char *listen;           /* docker API; "" = from USE_TLS: :2376 / :2375 */
	char *cloudapi_listen;
	char *admin_socket;
	char *sapi_url;
	char *sapi_cert_path;   /* https sapi: cert.pem, key.pem, ca.pem */
	char *sapi_instance;    /* SAPI instance name of this daemon */
	char *zones;
	char *server_name;      /* CN and SAN of the generated server cert */
	char *plain_account;    /* login used for plain (non-TLS) requests */
	char *agent_url;        /* https://HOST:PORT of this machine's node
	                           agent; "": none (nodes.c) */
	char *agent_cert_path;  /* the head's cert.pem, key.pem, ca.pem */
	int log_level;
};

struct dockerapi {
	struct event_base *base;
	struct dockerapi_config cfg;
	struct store *store;
	struct tunables *tun;
	SSL_CTX *tls;           /* server context, for docker and cloudapi */
	bool use_tls;           /* USE_TLS as it was at start */
	struct certgen_memo *cert_memo; /* auth.c: certificates verified */
	struct http_server *docker_srv;
	struct http_server *cloudapi_srv;
	struct http_server *admin_srv;
	struct router *docker_router;
	struct router *cloudapi_router;
	struct router *admin_router;
	char *ca_pem;           /* served at /ca.pem */
	time_t started;
	long fd_limit;          /* RLIMIT_NOFILE as raised at start */
	struct limits *limits;          /* limits.c: counts per account */
	struct images *images;          /* api/images-routes.c: the image store */
	struct containers *containers;  /* containers.c: the node backend */
	struct nodes *nodes;            /* nodes.c: the compute nodes */
	struct heads *heads;            /* heads-sync.c: the other heads */
	struct quota_claims *quota_claims; /* quota-claims.c */
	struct lu_job *log_usage;       /* log-usage.c: the question in flight */
};

/* --- config.c: defaults, the YAML file, flags --- */

int config_load(struct dockerapi_config *cfg, const char *path, sdc_error_t *err);
void config_defaults(struct dockerapi_config *cfg);
void config_free(struct dockerapi_config *cfg);

/* --- tunables.c: live SAPI config --- */

int tunables_start(struct dockerapi *d, sdc_error_t *err);
/* Only the built-in defaults, with no SAPI (tunables_start's first step). */
void tunables_init(struct dockerapi *d);
/* The built-in file's defaults (a new object), and in *schema its
 * metadata_schema's properties. */
json_t *tunables_bootstrap(json_t **schema);
void tunables_stop(struct dockerapi *d);
/* The current merged metadata (borrowed; valid until the loop next runs
 * an event, so copy what must outlive the handler). */
const json_t *tunables_get(const struct dockerapi *d);
const char *tunable_str(const struct dockerapi *d, const char *key, const char *def);
bool tunable_bool(const struct dockerapi *d, const char *key, bool def);
/* oci-runtime.c: the name of the node's OCI runtime ("runc", "crun"). */
const char *oci_runtime_name(struct dockerapi *d);
json_int_t tunable_int(const struct dockerapi *d, const char *key, json_int_t def);
/* Where the current config came from: "sapi", "cache" or "defaults". */
const char *tunables_source(const struct dockerapi *d);
/* Apply new merged metadata now (on the loop thread). Steals the ref. */
void tunables_apply(struct dockerapi *d, json_t *metadata, const char *source);
/* Call fn on the loop after each change of the tunables. */
typedef void (*tunables_change_fn)(struct dockerapi *d, void *arg);
void tunables_on_change(struct dockerapi *d, tunables_change_fn fn, void *arg);

/* --- accounts.c: accounts and their SSH keys --- */

struct account {
	char uuid[37];
	char *login;
	char *email;
	bool approved;          /* approved_for_provisioning */
	bool disabled;
	json_t *allowed_dcs;    /* array of names, or NULL for "any" */
	int64_t created;
};

int accounts_init(struct dockerapi *d, sdc_error_t *err);
/* The account's host ids for its containers' user namespace: ids
 * base..base+count-1, allocated on first use and never given to another
 * account, even once this one is deleted. */
int account_id_range(struct dockerapi *d, const char *account_uuid,
    uint32_t *base, uint32_t *count, sdc_error_t *err);
/* Look up by login or uuid. NULL with err code 404 when absent. */
struct account *account_find(struct dockerapi *d, const char *login_or_uuid, sdc_error_t *err);
void account_free(struct account *a);
json_t *account_json(const struct account *a);
/* Create from a JSON body {login, email, approved_for_provisioning,
 * disabled, allowed_dcs}; 409 for a taken login. */
struct account *account_create(struct dockerapi *d, const json_t *spec, sdc_error_t *err);
int account_update(struct dockerapi *d, struct account *a, const json_t *changes, sdc_error_t *err);
int account_delete(struct dockerapi *d, const struct account *a, sdc_error_t *err);
json_t *accounts_list(struct dockerapi *d, sdc_error_t *err);

/* Keys: {name, fingerprint (md5), sha256, type, key (authorized_keys)} */
json_t *account_keys(struct dockerapi *d, const struct account *a, sdc_error_t *err);
json_t *account_key_add(struct dockerapi *d, const struct account *a,
    const char *name, const char *line, sdc_error_t *err);
int account_key_remove(struct dockerapi *d, const struct account *a,
    const char *name_or_fp, sdc_error_t *err);
/* The parsed keys, for certificate and signature checks.  Frees with
 * account_pubkeys_free. */
struct certgen_pubkey;
int account_pubkeys(struct dockerapi *d, const struct account *a,
    struct certgen_pubkey **out, size_t *n, sdc_error_t *err);
void account_pubkeys_free(struct certgen_pubkey *keys, size_t n);

/* --- auth.c: who is calling --- */

/* The TLS peer hook: works out the account a client certificate speaks
 * for, once per connection. */
int auth_tls_peer(struct http_conn *conn, X509 *peer, void *arg);
/* The caller's account for this request, or NULL having answered 401/403. */
struct account *auth_account(struct dockerapi *d, struct http_request *req);
/* Whether this data center is one the account may use. */
bool auth_dc_allowed(const struct dockerapi *d, const struct account *a);

/* --- tls.c --- */

int tls_setup(struct dockerapi *d, sdc_error_t *err);

/* --- api.c: the Docker API front door --- */

/* Route flags */
#define API_NO_AUTH     0x01    /* /_ping, /ca.pem */
#define API_PROVISION   0x02    /* needs approved_for_provisioning */
#define API_BODY_STREAM 0x04    /* body goes to the handler as it comes: the
                                   handler puts its sink in place with
                                   http_stream_body(); else it is dropped */
#define API_LONG        0x08    /* long-lived (events, logs, wait, attach,
                                   exec, stats): counts against the
                                   account's ACCOUNT_MAX_STREAMS */

struct api_endpoint {
	struct route route;     /* first: the router hands this back */
	int min_minor;          /* oldest API version that has it; 0 = any */
};

int api_init(struct dockerapi *d, sdc_error_t *err);
/* Docker's error body {"message": ...}. Returns HTTP_DONE. */
int api_error(struct http_request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answer from an sdc_error: its code as the status when it is one (else
 * 500), its message as the message. Releases it. */
int api_error_from(struct http_request *req, sdc_error_t *err);
int api_json(struct http_request *req, int status, json_t *body);
/* api-unsupported.c: Docker's route this service does not serve (a 501
 * naming the feature), tried only after the real routes miss. */
const struct route *api_unsupported_match(struct http_request *req);
void api_unsupported_free(void);
/* The API version the request speaks (minor of 1.x): its prefix, or the
 * newest when it has none. */
int api_minor(const struct http_request *req);
/* The account api_dispatch found for this request (NULL on API_NO_AUTH
 * routes). */
struct account *api_account(const struct http_request *req);

/* Each file of api/ ends with the table of the routes it serves, beside
 * their handlers: <file>_routes, or <resource>_routes in a
 * <resource>-routes.c, a zeroed entry last.  api_tables (api.c) lists
 * them all, NULL last.  No two routes of the tables may match one request
 * (tests/unit/test_api_routes.c checks it), so neither the order of the
 * tables nor that within one decides which route answers. */
extern const struct api_endpoint *const api_tables[];
extern const struct api_endpoint build_routes[];
extern const struct api_endpoint containers_archive_routes[];
extern const struct api_endpoint containers_attach_routes[];
extern const struct api_endpoint containers_changes_routes[];
extern const struct api_endpoint containers_commit_routes[];
extern const struct api_endpoint containers_create_routes[];
extern const struct api_endpoint containers_export_routes[];
extern const struct api_endpoint containers_json_routes[];
extern const struct api_endpoint containers_lifecycle_routes[];
extern const struct api_endpoint containers_logs_routes[];
extern const struct api_endpoint containers_prune_routes[];
extern const struct api_endpoint containers_stats_routes[];
extern const struct api_endpoint containers_top_routes[];
extern const struct api_endpoint containers_update_routes[];
extern const struct api_endpoint containers_wait_routes[];
extern const struct api_endpoint exec_routes[];
extern const struct api_endpoint images_create_routes[];
extern const struct api_endpoint images_json_routes[];
extern const struct api_endpoint images_name_push_routes[];
extern const struct api_endpoint images_routes[];
extern const struct api_endpoint images_save_load_routes[];
extern const struct api_endpoint networks_routes[];
extern const struct api_endpoint system_auth_routes[];
extern const struct api_endpoint system_df_routes[];
extern const struct api_endpoint system_events_routes[];
extern const struct api_endpoint system_routes[];
extern const struct api_endpoint volumes_routes[];

/* --- limits.c: what one account or client host may hold --- */

/* Push the connection limits to the listeners, now and at each change of
 * the tunables; after the listeners. */
int limits_init(struct dockerapi *d, sdc_error_t *err);
void limits_free(struct dockerapi *d);
/* Count the request's connection (and the request itself when long)
 * against account a; -1 having answered 429, the connection then closing. */
int limits_admit(struct dockerapi *d, struct http_request *req,
    const struct account *a, bool long_lived);
/* A long-lived request about to take the socket over (attach, exec) keeps
 * its count until the stream ends: take it before http_hijack, release it
 * then.  NULL when the request has none. */
struct limits_hold *limits_keep(struct http_request *req);
void limits_release(struct limits_hold *h);

/* --- api/images-*.c: the image routes over libsdcimages (images/) --- */

/* Open the image store under the data dir and follow DOCKER_IO_MIRROR and
 * INSECURE_REGISTRIES; after the store and the tunables. */
int images_api_init(struct dockerapi *d, sdc_error_t *err);
/* Cancel pulls, loads and saves in flight; close the image store. */
void images_api_free(struct dockerapi *d);
/* Remove all of an account's images (deleting it with force). */
int images_api_remove_account(struct dockerapi *d, const char *account,
    sdc_error_t *err);
/* The account's images, for /info. */
int images_api_count(struct dockerapi *d, const struct account *a);
/* The container module says whether a container of `account` (its uuid)
 * uses image `image_id` ("sha256:..."), naming it in *container (malloc'd)
 * and whether it runs in *running (containers.c). */
bool containers_image_in_use(struct dockerapi *d, const char *account,
    const char *image_id, char **container, bool *running);

/* --- containers.c: containers on the node backend (containers.h) --- */

struct usage_counts;
/* Load the containers, read each one's state from its folder and watch
 * the running ones; after the store, the tunables and the images. */
int containers_init(struct dockerapi *d, sdc_error_t *err);
void containers_free(struct dockerapi *d);
/* Add the account's (every account's when NULL) containers to *out. */
void containers_count(struct dockerapi *d, const char *account,
    struct usage_counts *out);
/* The admin API: inspect objects with "Account"; NULL when unknown. */
json_t *containers_admin_list(struct dockerapi *d, const char *account, bool all);
json_t *containers_admin_get(struct dockerapi *d, const char *id);
/* Remove all of an account's containers, running or not, off the loop
 * (container-remove.c); then done(arg, rc, err) on the loop: rc 0 when
 * all are gone, else -1 and the first failure. */
typedef void containers_removed_fn(void *arg, int rc, sdc_error_t *err);
void containers_remove_account(struct dockerapi *d, const char *account,
    containers_removed_fn *done, void *arg);
/* The full Docker id and the owner's uuid of any account's container. */
int containers_admin_find(struct dockerapi *d, const char *ref, const char **id,
    const char **account);
/* The Docker API's own handlers, for the admin API to lend an owner to. */
int ctr_stop(struct http_request *req, void *arg);
int ctr_kill(struct http_request *req, void *arg);
int ctr_logs(struct http_request *req, void *arg);

/* --- cloudapi.c --- */

int cloudapi_init(struct dockerapi *d, sdc_error_t *err);

/* --- admin.c --- */

int admin_init(struct dockerapi *d, sdc_error_t *err);

/* --- quota.c: what one account may hold --- */

enum quota_kind { QUOTA_CONTAINERS, QUOTA_IMAGE_BYTES, QUOTA_VOLUME_BYTES,
	QUOTA_NKINDS };
/* The account's table, and the image store's quota hook; after the
 * store and the images. */
int quota_init(struct dockerapi *d, sdc_error_t *err);
/* The account's (uuid) limit: its own, else the tunable; -1: none. */
int64_t quota_limit(struct dockerapi *d, const char *account, enum quota_kind k);
/* GET and PUT /accounts/:login/quota of the admin API. */
int quota_admin(struct http_request *req, void *arg);

/* --- quota-claims.c: the containers quota decided in the store --- */

/* The claims' table (after the store); the timer that touches this
 * head's claims and sweeps the stale (after the loop is made). */
int quota_claims_init(struct dockerapi *d, sdc_error_t *err);
void quota_claims_start(struct dockerapi *d);
void quota_claims_free(struct dockerapi *d);
/* Room for one more container of account (uuid), taken in the store
 * under the account's lock as a claim named id (the container's uuid),
 * in three steps.  On the loop, quota_claim_prepare: *out NULL when the
 * account has no containers quota (nothing to claim) or on SQLite, where
 * the claim is taken at once (*claimed; 403 naming the quota when there
 * is no room); else the claim to run.  On a thread, quota_claim_run: the
 * lock waited for and the claim written through a connection of the
 * claims' own (403 as above).  On the loop once it ran:
 * quota_claim_taken.  A claim taken must end in quota_claim_settle (in
 * the transaction that inserts the container's row, then
 * quota_claim_done once committed) or quota_claim_drop.
 * quota_claim_free in any case. */
struct quota_claim;
int quota_claim_prepare(struct dockerapi *d, const char *account,
    const char *id, struct quota_claim **out, bool *claimed,
    sdc_error_t *err);
int quota_claim_run(struct quota_claim *c, sdc_error_t *err);
void quota_claim_taken(struct dockerapi *d);
void quota_claim_free(struct quota_claim *c);
int quota_claim_settle(struct dockerapi *d, const char *id, sdc_error_t *err);
void quota_claim_done(struct dockerapi *d);
void quota_claim_drop(struct dockerapi *d, const char *id);

/* --- capacity.c: what this node can hold --- */

/* 409 "No compute resources available" when a container of `mib` MiB of
 * memory does not fit beside the running ones (`self` not counted; may
 * be NULL) within the node's memory times NODE_OVERPROVISION_RATIO. */
struct ctr;
int capacity_check(struct dockerapi *d, int64_t mib, const struct ctr *self,
    sdc_error_t *err);
/* NODE_OVERPROVISION_RATIO (> 0), which placement goes by too. */
double capacity_ratio(struct dockerapi *d);

/* --- counts the other modules provide for /info --- */

struct usage_counts {
	int containers, running, paused, stopped, images;
};
void usage_counts(struct dockerapi *d, const struct account *a, struct usage_counts *out);

#endif
