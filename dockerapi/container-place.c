/*
 * container-place.c: the node a container being created goes to.
 *
 * placement.c decides, over arrays; this file fills them: the candidate
 * nodes with what each has and has in use, and the account's own
 * containers with the node each is on (affinity sees no one else's, so
 * that no tenant learns another's names from where its containers land
 * or from an error).  Both come from placement_candidates(), the one
 * place that knows where nodes are listed:
 *
 *  - a head in a data center (its local agent answered, so it makes its
 *    containers through agents): every node of nodes_list_available()
 *    (running, heard from in time, not drained), each with the memory,
 *    CPUs its agent registered, and in use what the containers recorded
 *    on it take: the memory and CPUs of those that run (or are about to,
 *    restarting), as capacity.c counts them on one machine.  Disk is not
 *    counted: a container's package disk bounds its writable layer, a
 *    tmpfs of that size (runtime/rootfs.c) whose pages are taken as they
 *    are written, never blocks of the node's zones root, so reserving it
 *    there would refuse the eleventh container of a 250 GiB machine
 *    while the disk stays empty.  The
 *    containers are the store's rows as this head holds them, brought up
 *    to date with the other heads' changes before every request
 *    (heads-sync.c), so no query is made per create;
 *  - a head without a node (no agent_url, or its agent has not answered
 *    yet): this machine alone, as before nodes, weighed as a node is:
 *    its memory and CPUs read as a node's agent reads its node's
 *    (machine_size_read), and in use the memory and CPUs of every
 *    container that runs or is about to.  One rule on both paths, so a
 *    package refused on a node of this machine's size is refused here
 *    too (CPUs sold NODE_OVERPROVISION_RATIO times over at most).
 *
 * A container goes to any node whatever its network: the node's agent
 * plumbs it at start, and a network spans the nodes of its containers
 * over VXLAN (agent/netsync.c).  The one exception is a container in
 * another's network namespace (--network container:X): a namespace is
 * one node's, so the caller names X's node as the only candidate.
 *
 * The policy is the PLACEMENT_POLICY tunable, read at each create.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containers.h"
#include "jsonutil.h"
#include "log.h"
#include "machine.h"
#include "nodes.h"
#include "placement.h"
#include "xalloc.h"

#define MIB (1024LL * 1024)

struct place_input {
	struct placement_node *nodes;
	size_t nnodes;
	struct placement_ctr *ctrs;
	size_t nctrs;
	char host[256];			/* this machine, without nodes */
	struct node_list list;		/* the data center's nodes */
};

static void
place_input_free(struct place_input *in)
{
	free(in->nodes);
	free(in->ctrs);
	node_list_free(&in->list);
}

/* The index of node id in in->nodes, in->nnodes for none: the nodes
 * are sorted by id (placement_nodes), so a create over many containers
 * and nodes costs a binary search per container. */
static size_t
place_node_index(const struct place_input *in, const char *id)
{
	size_t lo = 0, hi = in->nnodes, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(in->nodes[mid].id, id);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return in->nnodes;
}

/* The account's containers for affinity, each with the index of its
 * node in in->nodes (in->nnodes: on none of them). */
static void
placement_account_ctrs(struct dockerapi *d, const char *account,
    struct place_input *in, bool by_node)
{
	struct containers *cs = d->containers;
	struct ctr *c;
	size_t count = 0, k;

	for (c = cs != NULL ? cs->list : NULL; c != NULL; c = c->next)
		count++;
	in->ctrs = xcalloc(count + 1, sizeof *in->ctrs);
	for (c = cs != NULL ? cs->list : NULL; c != NULL; c = c->next) {
		if (c->removing || strcmp(c->account, account) != 0)
			continue;
		k = by_node ? place_node_index(in, json_str(c->extra, "Node",
		    "")) : 0;
		in->ctrs[in->nctrs++] = (struct placement_ctr){
			.id = c->id, .uuid = c->uuid, .name = c->name,
			.labels = ctr_labels(c), .node = k,
		};
	}
}

/* A candidate of `memory` bytes and `cpus` CPUs, nothing in use yet;
 * disk 0: not checked (above). */
static void
place_node_set(struct placement_node *p, const char *id, int64_t memory,
    int cpus)
{
	*p = (struct placement_node){
		.id = id, .memory_mib = memory / MIB, .cpus = cpus,
	};
}

/* What container c takes of its node: its package's memory and CPUs
 * while it runs (or waits for its policy's restart), nothing else. */
static void
place_add_use(struct placement_node *p, const struct ctr *c)
{
	if (c->removing || (!ctr_running(c) && !ctr_restarting(c)))
		return;
	p->memory_used_mib += json_int(c->host_config, "Memory", 0) / MIB;
	p->cpus_used += (double)json_int(c->host_config, "NanoCpus", 0) / 1e9;
}

static int
place_node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct placement_node *)a)->id,
	    ((const struct placement_node *)b)->id);
}

/* The data center's nodes that may take a container, with what the
 * containers recorded on each take; -1 when the store cannot say. */
static int
placement_nodes(struct dockerapi *d, struct place_input *in, const char *only,
    sdc_error_t *err)
{
	struct ctr *c;
	size_t k = 0;

	if (nodes_list_available(d, &in->list, err) < 0)
		return -1;
	for (size_t i = 0; only != NULL && i < in->list.n; i++) {
		if (strcmp(in->list.v[i].id, only) == 0)
			in->list.v[k++] = in->list.v[i];
		else
			node_clear(&in->list.v[i]);
	}
	if (only != NULL)
		in->list.n = k;
	in->nodes = xcalloc(in->list.n + 1, sizeof *in->nodes);
	in->nnodes = in->list.n;
	for (size_t i = 0; i < in->list.n; i++)
		place_node_set(&in->nodes[i], in->list.v[i].id,
		    in->list.v[i].memory, in->list.v[i].cpus);
	qsort(in->nodes, in->nnodes, sizeof *in->nodes, place_node_cmp);
	for (c = d->containers != NULL ? d->containers->list : NULL; c != NULL;
	    c = c->next) {
		size_t k = place_node_index(in, json_str(c->extra, "Node", ""));

		if (k < in->nnodes)
			place_add_use(&in->nodes[k], c);
	}
	return 0;
}

/* This machine as the one candidate of a head without a node: its size
 * read as a node's agent reads its node's, and what every container
 * takes of it, so a package is weighed here as it is on a node. */
static int
placement_this_machine(struct dockerapi *d, struct place_input *in,
    sdc_error_t *err)
{
	struct machine_size m;
	struct ctr *c;

	if (machine_size_read(&m, err) < 0)
		return -1;
	if (gethostname(in->host, sizeof in->host - 1) != 0 ||
	    in->host[0] == '\0')
		snprintf(in->host, sizeof in->host, "local");
	in->nodes = xcalloc(1, sizeof *in->nodes);
	in->nnodes = 1;
	place_node_set(&in->nodes[0], in->host, m.memory, m.cpus);
	for (c = d->containers != NULL ? d->containers->list : NULL; c != NULL;
	    c = c->next)
		place_add_use(&in->nodes[0], c);
	return 0;
}

/* The candidates and the account's containers (each on its node). */
static int
placement_candidates(struct dockerapi *d, const char *account,
    struct place_input *in, const char *only, sdc_error_t *err)
{
	memset(in, 0, sizeof *in);
	if (nodes_local_id(d) != NULL) {
		if (placement_nodes(d, in, only, err) < 0)
			return -1;
		placement_account_ctrs(d, account, in, true);
		return 0;
	}
	if (placement_this_machine(d, in, err) < 0)
		return -1;
	placement_account_ctrs(d, account, in, false);
	return 0;
}

static enum placement_policy
place_policy(struct dockerapi *d)
{
	const char *s = json_string_value(json_object_get(tunables_get(d),
	    "PLACEMENT_POLICY"));
	enum placement_policy p;

	if (placement_policy_parse(s, &p) < 0) {
		log_warn("PLACEMENT_POLICY \"%s\" is neither spread nor pack: "
		    "spreading", s);
		p = PLACEMENT_SPREAD;
	}
	return p;
}

/* Nodes registered and none heard from (agents down, or the store's
 * heartbeats late): a fault that passes, "node unavailable" (503) as for
 * an operation on a container of such a node, rather than Triton's "No
 * compute resources available" for a data center without room. */
static int
place_none_heard(struct dockerapi *d, const struct place_input *in,
    sdc_error_t *err)
{
	struct nodes_totals t;

	if (nodes_local_id(d) == NULL || in->nnodes > 0)
		return 0;
	nodes_totals(d, &t);
	if (t.nodes == 0 || t.available > 0)
		return 0;
	return sdc_make_error_code(err, 503, "node unavailable: no compute "
	    "node is heard from; try again when one is back");
}

int
place_container(struct dockerapi *d, const char *account,
    const struct package *pkg, const struct affinity_set *aff,
    const char *only, char **node, sdc_error_t *err)
{
	struct placement_want want = {
		.memory_mib = pkg->memory, .disk_mib = pkg->disk,
		.cpus = pkg->vcpus, .overprovision = capacity_ratio(d),
		.policy = place_policy(d),
	};
	struct place_input in;
	size_t i;
	int rc;

	if (placement_candidates(d, account, &in, only, err) < 0 ||
	    place_none_heard(d, &in, err) < 0) {
		place_input_free(&in);
		return -1;
	}
	rc = placement_choose(in.nodes, in.nnodes, in.ctrs, in.nctrs, aff,
	    &want, &i, err);
	if (rc == 0 && node != NULL)
		*node = xstrdup(in.nodes[i].id);
	else if (rc < 0)
		log_info("no node for a package of %lld MiB: %s",
		    (long long)pkg->memory, sdc_error_msg(*err));
	place_input_free(&in);
	return rc;
}
