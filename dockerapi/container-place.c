/*
 * container-place.c: the node a container being created goes to.
 *
 * placement.c decides, over arrays; this file fills them: the candidate
 * nodes with what each has and has in use, and the account's own
 * containers with the node each is on (affinity sees no one else's, so
 * that no tenant learns another's names from where its containers land
 * or from an error).  Both come from placement_candidates(), the one
 * place that knows where nodes are listed: today this machine alone (the
 * head still runs containers itself), named by its agent's node id when
 * it has one and out of placement while the operator drains it, its
 * memory and what the running containers take as capacity.c counts them
 * (disk and CPUs are not known here, so not checked).  Once creates go
 * through agents, nodes_list_available() gives the same arrays.  The policy is the
 * PLACEMENT_POLICY tunable, read at each create.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containers.h"
#include "jsonutil.h"
#include "log.h"
#include "nodes.h"
#include "placement.h"
#include "xalloc.h"

struct place_input {
	struct placement_node *nodes;
	size_t nnodes;
	struct placement_ctr *ctrs;
	size_t nctrs;
	char host[256];			/* the local node's id */
};

static void
place_input_free(struct place_input *in)
{
	free(in->nodes);
	free(in->ctrs);
}

/* The candidates and the account's containers (each on its node). */
static void
placement_candidates(struct dockerapi *d, const char *account,
    struct place_input *in)
{
	struct containers *cs = d->containers;
	struct placement_node *n;
	struct ctr *c;
	size_t count = 0;

	memset(in, 0, sizeof *in);
	if (nodes_local_id(d) != NULL)
		snprintf(in->host, sizeof in->host, "%s", nodes_local_id(d));
	else if (gethostname(in->host, sizeof in->host - 1) != 0 ||
	    in->host[0] == '\0')
		snprintf(in->host, sizeof in->host, "local");
	in->nodes = n = xcalloc(1, sizeof *n);
	in->nnodes = 1;
	n->id = in->host;
	n->unavailable = nodes_local_drained(d);
	n->memory_mib = capacity_node_mib();
	n->memory_used_mib = capacity_used_mib(d, NULL);
	for (c = cs != NULL ? cs->list : NULL; c != NULL; c = c->next)
		count++;
	in->ctrs = xcalloc(count + 1, sizeof *in->ctrs);
	for (c = cs != NULL ? cs->list : NULL; c != NULL; c = c->next) {
		if (c->removing || strcmp(c->account, account) != 0)
			continue;
		in->ctrs[in->nctrs++] = (struct placement_ctr){
			.id = c->id, .uuid = c->uuid, .name = c->name,
			.labels = ctr_labels(c), .node = 0,
		};
	}
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

int
place_container(struct dockerapi *d, const char *account,
    const struct package *pkg, const struct affinity_set *aff, char **node,
    sdc_error_t *err)
{
	struct placement_want want = {
		.memory_mib = pkg->memory, .disk_mib = pkg->disk,
		.cpus = pkg->vcpus, .overprovision = capacity_ratio(d),
		.policy = place_policy(d),
	};
	struct place_input in;
	size_t i;
	int rc;

	placement_candidates(d, account, &in);
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
