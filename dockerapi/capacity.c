/*
 * capacity.c: whether this node has room for one more container's memory.
 *
 * Triton placed a container on a server at create (DAPI) and answered
 * "No compute resources available." (409) when no server had room.  Here
 * the data center is one node, so the rule is: the memory of the packages
 * of the containers that hold memory (running, paused, or waiting for a
 * restart by their policy) plus the new one's never passes the node's
 * memory times NODE_OVERPROVISION_RATIO (1.0 by default: no
 * overprovisioning).  A package larger than that is refused whatever runs.
 *
 * The check runs at create, so that `docker run` on a full node leaves
 * nothing behind, and again at every start (the user's, a restart
 * policy's), because a stopped container holds no memory and the node
 * may have filled up since it was created.  Starts are made one at a time
 * on the loop thread, so no two can both take the last room.  The
 * tunable is read at each check: a change applies to the next request.
 * At create the same figures are this node's entry among the candidates
 * of placement (container-place.c), which makes the create's check.
 *
 * A container that records a node (a head whose containers run behind
 * agents) is judged on that node: the memory its agent registered, and
 * the containers recorded on it, not the machine the head runs on nor
 * the other nodes' containers.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "jsonutil.h"
#include "log.h"
#include "machine.h"
#include "nodes.h"

#define MIB (1024LL * 1024)

double
capacity_ratio(struct dockerapi *d)
{
	const json_t *v = json_object_get(tunables_get(d),
	    "NODE_OVERPROVISION_RATIO");
	const char *s = json_string_value(v);
	double r = 1.0;
	char *end;

	if (json_is_number(v))
		r = json_number_value(v);
	else if (s != NULL) {
		r = strtod(s, &end);
		if (end == s || *end != '\0')
			r = 1.0;
	}
	return r > 0 ? r : 1.0;
}

/* The MiB the containers that hold memory now take, self aside. */
static int64_t
capacity_used_mib(struct dockerapi *d, const struct ctr *self)
{
	int64_t used = 0;
	struct ctr *c;

	if (d->containers == NULL)
		return 0;
	for (c = d->containers->list; c != NULL; c = c->next)
		if (c != self && (ctr_running(c) || ctr_restarting(c)))
			used += json_int(c->host_config, "Memory", 0) / MIB;
	return used;
}

/* The node self records, when its agent is the head's to ask: its id,
 * and its memory (MiB) in *mib; NULL for this machine. */
static const char *
capacity_node_of(struct dockerapi *d, const struct ctr *self, int64_t *mib)
{
	const char *id = self != NULL ? json_str(self->extra, "Node", "") : "";
	json_t *j;

	if (*id == '\0' || !nodes_have_agents(d))
		return NULL;
	j = nodes_container_json(d, id, NULL);
	*mib = json_int(j, "Memory", 0) / MIB;
	json_decref(j);
	return id;
}

/* capacity_used_mib() of the containers recorded on node id. */
static int64_t
capacity_used_on(struct dockerapi *d, const char *id, const struct ctr *self)
{
	int64_t used = 0;

	for (struct ctr *c = d->containers != NULL ? d->containers->list : NULL;
	    c != NULL; c = c->next)
		if (c != self && (ctr_running(c) || ctr_restarting(c)) &&
		    strcmp(json_str(c->extra, "Node", ""), id) == 0)
			used += json_int(c->host_config, "Memory", 0) / MIB;
	return used;
}

int
capacity_check(struct dockerapi *d, int64_t mib, const struct ctr *self,
    sdc_error_t *err)
{
	struct machine_size m = { 0 };
	int64_t node, cap, used;
	const char *id = capacity_node_of(d, self, &node);

	if (id == NULL) {
		if (machine_size_read(&m, err) < 0)
			return -1;
		node = m.memory / MIB;
	}
	cap = (int64_t)((double)node * capacity_ratio(d));
	if (node <= 0)
		return 0;	/* no figure: nothing to go by */
	if (mib > cap)
		return sdc_make_error_code(err, 409, "No compute resources "
		    "available: a package of %" PRId64 " MiB of memory does "
		    "not fit on this node", mib);
	used = id != NULL ? capacity_used_on(d, id, self) :
	    capacity_used_mib(d, self);
	if (used + mib > cap) {
		log_info("no room for %" PRId64 " MiB: %" PRId64 " of %" PRId64
		    " MiB taken", mib, used, cap);
		return sdc_make_error_code(err, 409, "No compute resources "
		    "available.");
	}
	return 0;
}
