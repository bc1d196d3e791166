/*
 * node-create.c: a container's create and rm as calls to its node's
 * agent.
 *
 * The head has checked the Docker body, chosen the package and the node
 * and resolved the image; what the node must make of it is the runtime's
 * spec (rt_spec), sent as the agent's create document, version 1
 * (agent/container-create.c checks it; docs/architecture.md, "Compute
 * nodes", lists the fields).  The document names none of the node's
 * files: the image's layers are their digests (the node's layer store
 * has them), a volume is "ACCOUNT/VOLUME", a joined network namespace is
 * the Docker id of the container that has it, and the init, the
 * network's hook and lxcfs are asked for by name; the agent puts its own
 * paths to them.
 *
 * The create's call is answered as a stream of its progress (the
 * volumes' first copy, as long as the image makes it: agent/container-
 * create.c), so it is bounded by the time it may go without a word
 * (RUNTIME_TIMEOUT's and the way's, as any other call), not by a total:
 * a copy of an image's many files that keeps moving is made, one that
 * is stuck ends as any lost call.
 *
 * A create whose call got no answer (the node died or stopped answering
 * or moving meanwhile) leaves no row on the head; the node may have made the
 * container all the same (it finished after the head gave up), so the
 * container is put on a list here and removed from the node as soon as
 * its agent answers again, tried once a second while the node is heard
 * from.  An agent killed in the middle of a create takes it back itself
 * at its next start.  Either way the container ends on no node, never
 * half-made.  The list is the head's memory alone: a head restarted
 * meanwhile forgets it (the node's folder then waits for an operator).
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "containers.h"
#include "dockerapi/net/net.h"
#include "jsonutil.h"
#include "log.h"
#include "node-request.h"
#include "nodes.h"
#include "volumes.h"
#include "xalloc.h"

static json_t *
nc_strv(const char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void
nc_set_str(json_t *doc, const char *key, const char *v)
{
	if (v != NULL && *v != '\0')
		json_object_set_new(doc, key, json_string(v));
}

/* The version 1 document (agent/container-create.c reads it). */
static json_t *
nc_doc(struct containers *cs, const struct rt_spec *s, const json_t *diff_ids,
    const struct cvol_set *vols)
{
	json_t *doc = json_pack("{s:i, s:s, s:O, s:o, s:o, s:b, s:b, s:b,"
	    " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:b, s:b,"
	    " s:i, s:i, s:{s:I, s:I, s:I}, s:b, s:b, s:o}",
	    "Version", 1, "ID", s->id, "Layers", (json_t *)diff_ids,
	    "Argv", nc_strv(s->argv), "Env", nc_strv(s->env),
	    "Tty", s->tty, "OpenStdin", s->open_stdin,
	    "ReadonlyRootfs", s->readonly_rootfs,
	    "Memory", (json_int_t)s->memory, "CpuQuota", (json_int_t)s->cpu_quota,
	    "CpuPeriod", (json_int_t)s->cpu_period,
	    "CpuShares", (json_int_t)s->cpu_shares,
	    "PidsLimit", (json_int_t)s->pids_limit, "Disk", (json_int_t)s->disk,
	    "MemoryReservation", (json_int_t)s->memory_reservation,
	    "ShmSize", (json_int_t)s->shm_size, "OomScoreAdj", s->oom_score_adj,
	    "NoNewPrivileges", s->no_new_privileges, "Init", s->init != NULL,
	    "Cgroupns", s->cgroupns,
	    "ConsoleHeight", (int)s->console_height,
	    "ConsoleWidth", (int)s->console_width,
	    "IDMap", "UID", (json_int_t)s->idmap.uid,
	    "GID", (json_int_t)s->idmap.gid, "Count", (json_int_t)s->idmap.count,
	    "NetworkHook", s->create_hook != NULL,
	    "Lxcfs", cs->rt.lxcfs_dir != NULL,
	    "Mounts", cvol_doc(vols));
	json_t *a;

	nc_set_str(doc, "Cwd", s->cwd);
	nc_set_str(doc, "User", s->user);
	nc_set_str(doc, "Hostname", s->hostname);
	if (s->caps != NULL)
		json_object_set_new(doc, "Caps", nc_strv(s->caps));
	json_object_set_new(doc, "GroupAdd", nc_strv(s->group_add));
	json_object_set_new(doc, "Sysctls", nc_strv(s->sysctls));
	json_object_set_new(doc, "ExtraHosts", nc_strv(s->extra_hosts));
	a = json_array();
	for (size_t i = 0; i < s->nrlimits; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "Type",
		    s->rlimits[i].type, "Soft", (json_int_t)s->rlimits[i].soft,
		    "Hard", (json_int_t)s->rlimits[i].hard));
	json_object_set_new(doc, "Rlimits", a);
	a = json_array();
	for (size_t i = 0; i < s->ntmpfs; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "Destination",
		    s->tmpfs[i].destination, "Options", s->tmpfs[i].options ?: ""));
	json_object_set_new(doc, "Tmpfs", a);
	/* <run_dir>/netns/<Docker id>: the agent has its own run_dir */
	if (s->netns_path != NULL && strrchr(s->netns_path, '/') != NULL)
		json_object_set_new(doc, "NetnsOf",
		    json_string(strrchr(s->netns_path, '/') + 1));
	return doc;
}

/* A create that keeps moving is let go on this long at most. */
#define NC_CREATE_MS (24L * 3600 * 1000)

/* RUNTIME_TIMEOUT's, and the way there and back. */
static long
nc_timeout_ms(const struct containers *cs)
{
	return (cs->rt.timeout_ms > 0 ? cs->rt.timeout_ms : 60000) +
	    NODE_REQUEST_SLACK_MS;
}

static const char *
nc_node(const struct ctr *c)
{
	return json_str(c->extra, "Node", "");
}

int
node_create_prepare(struct containers *cs, const struct ctr *c,
    const struct rt_spec *spec, const json_t *diff_ids,
    const struct cvol_set *vols, struct node_request **out, sdc_error_t *err)
{
	json_t *doc;
	int rc;

	if (*nc_node(c) == '\0')
		return NODES_LOCAL;
	doc = nc_doc(cs, spec, diff_ids, vols);
	rc = node_request_prepare(cs->d, nc_node(c), "POST",
	    "/v1/containers?progress=1", doc, NC_CREATE_MS, out, err);
	json_decref(doc);
	if (rc == 0)
		(*out)->idle_ms = nc_timeout_ms(cs);
	/* the layers the node may lack, sent on its 424 (node-layers.c) */
	if (rc == 0)
		(*out)->layers = node_layers_prepare(cs->d, diff_ids);
	return rc;
}

int
node_remove_prepare(struct containers *cs, const struct ctr *c, bool force,
    struct node_request **out, sdc_error_t *err)
{
	char *path;
	int rc;

	if (*nc_node(c) == '\0')
		return NODES_LOCAL;
	xasprintf(&path, "/v1/containers/%s%s", c->uuid,
	    force ? "?force=1" : "");
	/* the agent answers once its name servers have the tables without
	 * it (agent/container-remove.c), up to NET_DNS_WAIT_MS more */
	rc = node_request_prepare(cs->d, nc_node(c), "DELETE", path, NULL,
	    nc_timeout_ms(cs) + NET_DNS_WAIT_MS, out, err);
	free(path);
	return rc;
}

/* --- creates the head lost track of --- */

struct nc_orphan {
	struct nc_orphan *next;
	char node[37];
	char uuid[37];
};

static struct {
	struct nc_orphan *list;
	struct event *retry;
	struct dockerapi *d;
} nc_orphans;

static void
nc_orphans_retry(evutil_socket_t fd, short what, void *arg)
{
	struct nc_orphan **p = &nc_orphans.list, *o;
	sdc_error_t err = NULL;
	struct node_request *k;
	char path[64];
	int rc;

	(void)fd;
	(void)what;
	(void)arg;
	while ((o = *p) != NULL) {
		snprintf(path, sizeof path, "/v1/containers/%s?force=1", o->uuid);
		/* a node not heard from is not asked: no wait on the loop */
		if ((rc = node_request_prepare(nc_orphans.d, o->node, "DELETE", path,
		    NULL, 3000, &k, &err)) == 0) {
			rc = node_request_run(k, &err);
			if (rc < 0 && k->status == 404)
				rc = 0;
			node_request_free(k);
		}
		if (rc != 0 && rc != NODES_LOCAL) {
			sdc_error_release(&err);
			p = &o->next;
			continue;
		}
		log_info("container %s: the create its node did not answer for "
		    "is taken back from node %s", o->uuid, o->node);
		*p = o->next;
		free(o);
	}
	if (nc_orphans.list == NULL)
		event_del(nc_orphans.retry);
}

void
node_create_orphan(struct dockerapi *d, const char *node_id, const char *uuid)
{
	struct nc_orphan *o = xcalloc(1, sizeof *o);
	struct timeval second = { 1, 0 };

	snprintf(o->node, sizeof o->node, "%s", node_id);
	snprintf(o->uuid, sizeof o->uuid, "%s", uuid);
	o->next = nc_orphans.list;
	nc_orphans.list = o;
	nc_orphans.d = d;
	if (nc_orphans.retry == NULL)
		nc_orphans.retry = event_new(d->base, -1, EV_PERSIST,
		    nc_orphans_retry, NULL);
	event_add(nc_orphans.retry, &second);
	log_warn("container %s: node %s did not answer its create; it is "
	    "removed from the node once it answers", uuid, node_id);
}

void
node_create_orphans_free(void)
{
	struct nc_orphan *o;

	while ((o = nc_orphans.list) != NULL) {
		nc_orphans.list = o->next;
		free(o);
	}
	if (nc_orphans.retry != NULL)
		event_free(nc_orphans.retry);
	memset(&nc_orphans, 0, sizeof nc_orphans);
}
