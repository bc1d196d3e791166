/*
 * placement.h: which node a new container goes to.
 *
 * A pure function over the candidate nodes (what each holds and has in
 * use), the package asked for, the policy and the affinity rules; no I/O,
 * so that the unit tests and bench/placement call it as the daemon does.
 * Where the candidates come from (this machine today, the store's nodes
 * table in a data center) is container-place.c's business.
 */
#ifndef SDC_DOCKERAPI_PLACEMENT_H
#define SDC_DOCKERAPI_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "affinity.h"
#include "error.h"

enum placement_policy {
	PLACEMENT_SPREAD,	/* the node with the most memory left */
	PLACEMENT_PACK,		/* the node with the least that still fits */
};

struct placement_node {
	const char *id;
	/* what the node has; 0: not known, and not checked */
	int64_t memory_mib, disk_mib;
	double cpus;
	/* what its containers take */
	int64_t memory_used_mib, disk_used_mib;
	double cpus_used;
	bool unavailable;	/* drained, or not heard from: never chosen */
};

/* One of the account's containers, for its affinity rules. */
struct placement_ctr {
	const char *id;		/* docker id */
	const char *uuid;
	const char *name;
	const json_t *labels;
	size_t node;		/* index in the nodes array */
};

struct placement_want {
	int64_t memory_mib, disk_mib;
	double cpus;
	/* memory and CPUs may be sold this many times over (disk never);
	 * <= 0 is taken as 1 */
	double overprovision;
	enum placement_policy policy;
};

/* "spread" or "pack" (NULL or "": spread); -1 for anything else. */
int placement_policy_parse(const char *s, enum placement_policy *out);

/*
 * The index of the chosen node in *chosen, or 409 "No compute resources
 * available." (Triton's words) when no available node has room, or none
 * with room meets the hard affinities; a hard == naming no container of
 * the account is a 409 naming the rule; an id prefix naming several, a
 * 400.  Order: the hard rules and the room filter the nodes; among those
 * left, the one meeting the most soft rules, then the policy's choice,
 * then the smallest id (a tie is always decided the same way).
 */
int placement_choose(const struct placement_node *nodes, size_t nnodes,
    const struct placement_ctr *ctrs, size_t nctrs,
    const struct affinity_set *aff, const struct placement_want *want,
    size_t *chosen, sdc_error_t *err);

#endif
