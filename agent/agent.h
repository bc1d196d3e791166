/*
 * agent.h: sdc-docker-agent, the daemon on each compute node.
 *
 * The agent is the node's half of the data center: it registers its node
 * in the shared store and heartbeats it (heartbeat.c), and answers the
 * heads over HTTPS with mutual TLS under the operator's CA (api.c), the
 * API through which the runtime, the monitors, the node's networking and
 * its zones root move behind it (docs/architecture.md, "Compute nodes").
 * main.c puts the pieces together.
 */
#ifndef SDC_AGENT_H
#define SDC_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <openssl/types.h>
#include <jansson.h>

#include "dockerapi/runtime/runtime.h"
#include "error.h"
#include "nodes-table.h"
#include "router.h"

struct event_base;
struct event;
struct http_server;
struct http_request;
struct store;
struct agent_watch;
struct images_node_store;

/* --- options.c: defaults, the YAML file (-f), then flags --- */

struct agent_options {
	char *listen;           /* HOST:PORT of the API; default 127.0.0.1:2380 */
	char *address;          /* how heads reach it; default: listen */
	char *tls_cert;         /* the node's certificate (certgen node) */
	char *tls_key;
	char *tls_client_ca;    /* the operator's CA: its heads' certificates */
	char *data_dir;         /* the node id and what else the node keeps */
	char *store;            /* SQLite file or postgresql:// URI */
	char *zones;            /* the node's zones root (disk is its size) */
	char *images;           /* the layer store: <digest hex>/diff */
	char *volumes;          /* the volumes' root: ACCOUNT/VOLUME/_data */
	char *net_dir;          /* the network plumbing's: netns/<id> */
	char *runtime;          /* the OCI runtime's name or path */
	char *hostname;         /* default: gethostname() */
	int64_t heartbeat_ms;   /* heartbeat_interval, in ms */
	char *vtep;             /* the node's VXLAN address; default: address's */
	int64_t netsync_ms;     /* netsync_interval, in ms */
	int64_t layer_idle_ms;  /* layer_idle: a layer sent here and used by
	                           no container is removed after it; 0 never */
	int64_t orphan_grace_ms; /* orphan_grace: a never-started container
	                           no head recorded is removed after it */
	int64_t exec_keep_ms;   /* exec_keep: a finished exec's folder is
	                           removed after it */
	int log_level;
};

int agent_options_load(struct agent_options *o, const char *path,
    sdc_error_t *err);
/* A flag over a string setting (key as in the file). */
void agent_options_flag(struct agent_options *o, const char *key,
    const char *value);
/* heartbeat_interval from text: seconds, fractions allowed. */
int agent_options_interval(struct agent_options *o, const char *text,
    sdc_error_t *err);
/* netsync_interval the same way. */
int agent_options_netsync_interval(struct agent_options *o, const char *text,
    sdc_error_t *err);
/* layer_idle the same way (0 allowed: layers are kept for ever). */
int agent_options_layer_idle(struct agent_options *o, const char *text,
    sdc_error_t *err);
/* orphan_grace from text: seconds, 0.05 to 3600. */
int agent_options_orphan_grace(struct agent_options *o, const char *text,
    sdc_error_t *err);
/* exec_keep from text: seconds, 0.05 to 30 days. */
int agent_options_exec_keep(struct agent_options *o, const char *text,
    sdc_error_t *err);
/* The VTEP once the address is known: the setting, else the address's
 * host when it is an IPv4 address; NULL (networks across nodes off)
 * otherwise.  Not to be freed. */
const char *agent_options_vtep(struct agent_options *o);
/* Fill in what depends on the rest (TLS files under the data dir, the
 * hostname); refuse what cannot work. */
int agent_options_finish(struct agent_options *o, sdc_error_t *err);
void agent_options_free(struct agent_options *o);

/* --- the daemon --- */

struct net_dns_queue;
struct net_dns_wait;

struct agent {
	struct event_base *base;
	struct agent_options *opt;
	struct store *store;
	struct node self;               /* this node, as registered */
	struct event *heartbeat;
	bool registered;                /* the row is written */
	struct http_server *http;
	struct router *router;
	struct rt_config rt;            /* the node's runtime, zones root */
	struct netsync *netsync;        /* the node's networks from the store */
	struct agent_watch *watches;    /* exits.c: the runs it watches */
	struct event *exits_tick;
	struct event *net_tick;         /* container-net.c: names servers */
	struct net_dns_queue *dnsq;     /* container-net.c: names tables */
	struct images_node_store *layers; /* layers.c: the node's layer store */
	struct event *layer_sweep;      /* layers-sweep.c */
	struct event *orphan_sweep;     /* orphans-sweep.c */
	struct event *exec_sweep;       /* execs-sweep.c */
	bool exec_sweeping;             /* its pass is on a thread */
	struct usage_walk *usage_walk;  /* log-usage.c: the walk in flight */
};

/* node-id.c: this node's id, made once and kept in DATA/node-id. */
int agent_node_id(const char *data_dir, char out[37], sdc_error_t *err);

/* facts.c: what the node has (memory, cpus, its zones root's size, the
 * runtime), filled into a->self beside the id. */
int agent_facts(struct agent *a, sdc_error_t *err);

/* heartbeat.c: register now, then heartbeat every heartbeat_ms; a store
 * that fails is logged and tried again at the next beat. */
int agent_heartbeat_start(struct agent *a, sdc_error_t *err);
/* On the way out: the row says stopped. */
void agent_heartbeat_stop(struct agent *a);

/* netsync.c: the node's networks across nodes (VXLAN, forwarding
 * entries, VTEPs, names) kept equal to the store: a pass now, then on
 * every notification of the heads (PostgreSQL) and every netsync_ms.
 * Off (0, nothing made) when the node has no VTEP. */
int agent_netsync_start(struct agent *a, sdc_error_t *err);
void agent_netsync_stop(struct agent *a);
/* The names tables of the networks (NULL-terminated ids) computed now
 * from the store, uuid (or NULL) counted as running or not, whatever
 * its runtime says (its start plumbs before it runs; a forced rm takes
 * its network down before the delete kills it), and queued
 * (agent_dns_queue), each added to w if not NULL; works with netsync off
 * too. */
int agent_netsync_names(struct agent *a, const char *const *networks,
    const char *uuid, bool running, struct net_dns_wait *w,
    sdc_error_t *err);

/* container-net.c: a container's network plumbing on this node, from
 * the "Network" part of its start's body (checked against the store:
 * 400 and nothing changed when it is not what the store says), taken
 * down at its death and removal (nothing plumbed: nothing done), and
 * the names servers' periodic check. */
int agent_net_up(struct agent *a, const char *uuid, const json_t *doc,
    struct net_dns_wait *names, sdc_error_t *err);
/* The node's names queue (dockerapi/net/dns-queue.c): the tables are
 * applied off the loop, each network's in order; a start's thread waits
 * for its own (names, above) before the runtime runs it. */
struct net_dns_queue *agent_dns_queue(struct agent *a);
/* Taken down; the names tables it queues added to names (NULL: none). */
void agent_net_down(struct agent *a, const char *uuid,
    struct net_dns_wait *names);
/* docker network connect and disconnect of uuid while it runs here:
 * one endpoint plumbed from a connect's document (a start's with one
 * network and its interface's "Index", checked the same way), or taken
 * down once the store has released it ({"Version", "Account", "ID",
 * "Network"}); the record and the network's names table follow.  A
 * rename ({"Version", "Account", "ID", "Name"}, the store's new name of
 * it): its networks' names tables made again from the store.  The
 * tables queued are added to names, for the answer to wait on.  0, or
 * -1 with *err (400 a document that is not the store's, 404, 409). */
int agent_net_connect(struct agent *a, const char *uuid, const json_t *doc,
    struct net_dns_wait *names, sdc_error_t *err);
int agent_net_disconnect(struct agent *a, const char *uuid, const json_t *doc,
    struct net_dns_wait *names, sdc_error_t *err);
int agent_net_rename(struct agent *a, const char *uuid, const json_t *doc,
    struct net_dns_wait *names, sdc_error_t *err);
/* Whether uuid's network is plumbed here (from its start's plumbing to
 * its teardown). */
bool agent_net_plumbed(struct agent *a, const char *uuid);
void agent_net_start(struct agent *a);
void agent_net_stop(struct agent *a);

/* api.c: the routes the heads call. */
void agent_api_init(struct agent *a);
/* containers.c: the container routes (state, kill). */
extern const struct route agent_container_routes[];
/* A container's state as the routes answer it: Status, Pid, ExitCode,
 * Signal, OOMKilled, StartedAt, FinishedAt. */
json_t *agent_state_json(const struct rt_state *st);
/* container-list.c: GET /v1/containers, every container's state, and
 * GET /v1/log-bytes, every container's log's bytes. */
extern const struct route agent_container_list_routes[];
/* log-usage.c: GET /v1/log-usage, every container's live and rotated
 * logs of the node, measured off the loop, one walk at a time: a request
 * arriving while one runs gets its answer. */
extern const struct route agent_log_usage_routes[];
/* container-create.c: POST /v1/containers, the head's create document
 * made into a container; container-remove.c: DELETE /v1/containers/:uuid. */
extern const struct route agent_create_routes[];
extern const struct route agent_remove_routes[];
/* A create of uuid is under way on this node (its mark is there: made
 * before the runtime's work, gone once answered), or was cut short by a
 * kill and not yet taken back. */
bool agent_create_underway(struct agent *a, const char *uuid);
/* At start: the creates a killed agent left unfinished, taken back. */
void agent_create_recover(struct agent *a);
/* container-ops.c: start, pause, unpause, update of a container. */
extern const struct route agent_container_ops_routes[];
/* container-connect.c: docker network connect and disconnect. */
extern const struct route agent_connect_routes[];
/* container-attach.c: the attach and resize routes; and a start's attach
 * fd (what "start" or "attach") relayed to the head over req's
 * connection, answered 101 with the pid when pid > 0. */
extern const struct route agent_attach_routes[];
void agent_attach_relay(struct http_request *req, struct agent *a,
    const char *uuid, const char *what, int fd, pid_t pid);
/* container-exec.c: docker exec on the node, its stream relayed. */
extern const struct route agent_exec_routes[];

/* layers.c: PUT /v1/layers/DIFF_ID, a layer the node lacks sent by a
 * head, checked and unpacked into the node's layer store (--images). */
extern const struct route agent_layer_routes[];
/* A route whose body streams to its handler (api.c's head hook); what
 * of such a body no handler takes goes to agent_body_drop. */
#define AGENT_BODY_STREAM 0x1
int agent_body_drop(struct http_request *req, const char *data, size_t len,
    void *arg);
/* The agent's refusal: status with {"message": msg}, the shape of every
 * error the agent answers (and Docker's, which the head passes on). */
int agent_error(struct http_request *req, int status, const char *msg);
int agent_layers_open(struct agent *a, sdc_error_t *err);
void agent_layers_close(struct agent *a);
/* sweep-timer.c: fn(-1, 0, a) every half age_ms, at least every half
 * second and at most every most_ms; NULL when age_ms <= 0 (that sweep
 * off).  The stop frees it and sets *ev NULL. */
struct event *agent_sweep_timer(struct agent *a, int64_t age_ms,
    int64_t most_ms, void (*fn)(int, short, void *));
void agent_sweep_timer_stop(struct event **ev);
/* layers-sweep.c: the layers sent to this node (recorded in DATA/layers)
 * that no container of the node has used for layer_idle_ms, removed. */
void agent_layers_sent(struct agent *a, const char *diff_id);
void agent_layers_sweep_start(struct agent *a);
void agent_layers_sweep_stop(struct agent *a);
/* orphans-sweep.c: never-started containers with no row in the store,
 * removed once they are orphan_grace old. */
void agent_orphans_sweep_start(struct agent *a);
void agent_orphans_sweep_stop(struct agent *a);
/* execs-sweep.c: the folders of the node's execs finished for
 * exec_keep_ms, removed. */
void agent_execs_sweep_start(struct agent *a);
void agent_execs_sweep_stop(struct agent *a);
/* container-logs.c, container-stats.c: a container's log and readings,
 * streamed to the head in Docker's shapes. */
extern const struct route agent_logs_routes[];
extern const struct route agent_stats_routes[];
/* container-files.c: export, changes, top and size of a container. */
extern const struct route agent_files_routes[];
/* container-archive.c: docker cp's HEAD, GET and PUT of a container's
 * paths (its PUT's body streamed: AGENT_BODY_STREAM above). */
extern const struct route agent_archive_routes[];

/* exits.c: the node's containers' exits, written to the store for the
 * heads.  Start: the table, and a watch on every running container. */
int agent_exits_start(struct agent *a, sdc_error_t *err);
/* Watch the run of uuid whose init is pid, through fd (a start's attach
 * fd, taken over) or, with fd -1, a connection of its own. */
void agent_exits_watch(struct agent *a, const char *uuid, pid_t pid, int fd);
void agent_exits_stop(struct agent *a);

#endif
