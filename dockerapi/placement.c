/*
 * placement.c: choosing the node of a new container, as Triton's DAPI did.
 *
 * DAPI filtered the servers of the data center down to those that could
 * take the package (setup, not reserved, room for its memory, disk and
 * CPU within the overprovision ratios), applied the locality hints that
 * sdc-docker derived from Swarm's affinity filters, and then ranked what
 * was left by a policy: spread (the most unreserved memory first) or pack
 * (the least that still fits).  The same steps here, in one pass over the
 * nodes:
 *
 *  - a node that is drained or not heard from is never chosen;
 *  - room: memory and CPU in use plus the package's within the node's
 *    times the overprovision ratio, disk within the node's own (disk is
 *    never sold twice); a capacity of 0 is "not known" and not checked;
 *  - each hard rule (==, !=) keeps the nodes that hold one of the
 *    containers it names, or none of them.  A hard == that names no
 *    container at all is refused with Triton's "no active containers
 *    found" (no node could ever meet it); a != naming none is met
 *    everywhere;
 *  - among the nodes left, the one that meets the most soft rules (==~,
 *    !=~), then the policy's choice, then the smallest id, so that a tie
 *    is always decided the same way (the tests and the operators can
 *    tell in advance where a container goes).
 *
 * Triton dropped every soft rule when a hard one was given too (its
 * locality hints could not mix them); here they mix: the hard ones
 * filter, the soft ones rank.  Affinity sees only the containers the
 * caller passes: the account's own, so that no tenant can probe another's
 * names by where its containers land.
 *
 * The cost is one pass over the nodes and one over the account's
 * containers per rule: bench/placement measures it on 1,000 nodes.
 */
#include <string.h>
#include <stdlib.h>

#include "placement.h"
#include "xalloc.h"

int
placement_policy_parse(const char *s, enum placement_policy *out)
{
	if (s == NULL || *s == '\0' || strcmp(s, "spread") == 0)
		*out = PLACEMENT_SPREAD;
	else if (strcmp(s, "pack") == 0)
		*out = PLACEMENT_PACK;
	else
		return -1;
	return 0;
}

/* The nodes holding a container the rule names (mask[node] = 1), and how
 * many containers it names. */
static int
placement_rule_nodes(const struct affinity *a, const struct placement_ctr *ctrs,
    size_t nctrs, size_t nnodes, unsigned char *mask, size_t *found,
    sdc_error_t *err)
{
	size_t i, byname = 0, byid = 0, idnode = 0;
	int m;

	for (i = 0; i < nctrs; i++) {
		m = affinity_match(a, ctrs[i].id, ctrs[i].uuid, ctrs[i].name,
		    ctrs[i].labels);
		if (m == 0)
			continue;
		if (m == AFFINITY_BY_ID) {
			byid++;
			idnode = ctrs[i].node;
			continue;
		}
		byname++;
		if (ctrs[i].node < nnodes)
			mask[ctrs[i].node] = 1;
	}
	/* a name wins over an id prefix; a prefix must name one */
	if (byname == 0 && byid > 1)
		return sdc_make_error_code(err, 400, "Multiple IDs found with "
		    "provided prefix: %s (affinity \"%s\")", a->value, a->text);
	if (byname == 0 && byid == 1 && idnode < nnodes)
		mask[idnode] = 1;
	*found = byname > 0 ? byname : byid;
	return 0;
}

static bool
placement_room(const struct placement_node *n, const struct placement_want *w,
    double ratio)
{
	if (n->memory_mib > 0 && (double)(n->memory_used_mib + w->memory_mib) >
	    (double)n->memory_mib * ratio)
		return false;
	if (n->disk_mib > 0 && n->disk_used_mib + w->disk_mib > n->disk_mib)
		return false;
	if (n->cpus > 0 && n->cpus_used + w->cpus > n->cpus * ratio + 1e-9)
		return false;
	return true;
}

/* The memory a node would have left; unknown capacity: plenty. */
static double
placement_left(const struct placement_node *n, const struct placement_want *w,
    double ratio)
{
	if (n->memory_mib <= 0)
		return 1e18;
	return (double)n->memory_mib * ratio -
	    (double)(n->memory_used_mib + w->memory_mib);
}

/* Whether node a (meeting sa soft rules) ranks before node b. */
static bool
placement_better(const struct placement_node *a, int sa,
    const struct placement_node *b, int sb, const struct placement_want *w,
    double ratio)
{
	double la, lb;
	int c;

	if (sa != sb)
		return sa > sb;
	la = placement_left(a, w, ratio);
	lb = placement_left(b, w, ratio);
	if (la != lb)
		return w->policy == PLACEMENT_PACK ? la < lb : la > lb;
	c = strcmp(a->id != NULL ? a->id : "", b->id != NULL ? b->id : "");
	return c < 0;
}

static int
placement_no_match(const struct affinity *a, sdc_error_t *err)
{
	if (strcmp(a->key, "container") == 0)
		return sdc_make_error_code(err, 409, "no active containers "
		    "found matching \"%s\" for affinity \"%s\"", a->value,
		    a->text);
	return sdc_make_error_code(err, 409, "no active containers found "
	    "matching tag \"%s=%s\" for affinity \"%s\"", a->key, a->value,
	    a->text);
}

int
placement_choose(const struct placement_node *nodes, size_t nnodes,
    const struct placement_ctr *ctrs, size_t nctrs,
    const struct affinity_set *aff, const struct placement_want *want,
    size_t *chosen, sdc_error_t *err)
{
	size_t nrules = aff != NULL ? aff->n : 0, i, r, best = 0;
	double ratio = want->overprovision > 0 ? want->overprovision : 1.0;
	unsigned char *mask = NULL;
	bool *live = NULL, any = false, roomy = false;
	const struct affinity *excluded_by = NULL, *a;
	int score, best_score = 0, rc = -1;
	size_t found = 0;

	if (nrules > 0) {
		mask = xcalloc(nrules * nnodes + 1, 1);
		live = xcalloc(nrules + 1, sizeof *live);
	}
	for (r = 0; r < nrules; r++) {
		a = &aff->v[r];
		if (placement_rule_nodes(a, ctrs, nctrs, nnodes,
		    mask + r * nnodes, &found, err) < 0)
			goto out;
		if (found == 0 && !a->negate && !a->soft) {
			placement_no_match(a, err);
			goto out;
		}
		live[r] = found > 0;	/* else met everywhere, or dropped */
	}
	for (i = 0; i < nnodes; i++) {
		const struct placement_node *n = &nodes[i];
		const struct affinity *no = NULL;

		if (n->unavailable || !placement_room(n, want, ratio))
			continue;
		roomy = true;
		score = 0;
		for (r = 0; r < nrules && no == NULL; r++) {
			a = &aff->v[r];
			if (!live[r])
				continue;
			if ((mask[r * nnodes + i] != 0) != a->negate)
				score += a->soft;
			else if (!a->soft)
				no = a;
		}
		if (no != NULL) {
			if (excluded_by == NULL)
				excluded_by = no;
			continue;
		}
		if (!any || placement_better(n, score, &nodes[best], best_score,
		    want, ratio)) {
			best = i;
			best_score = score;
			any = true;
		}
	}
	if (!any) {
		if (roomy && excluded_by != NULL)
			sdc_make_error_code(err, 409, "No compute resources "
			    "available: no node with room for the container "
			    "meets the affinity \"%s\"", excluded_by->text);
		else
			sdc_make_error_code(err, 409, "No compute resources "
			    "available.");
		goto out;
	}
	*chosen = best;
	rc = 0;
out:
	free(mask);
	free(live);
	return rc;
}
