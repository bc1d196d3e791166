/*
 * netsync-plan.c: a node's networks across nodes as the store says they
 * should be (netsync.h), computed from rows alone.
 *
 * Kept apart from the loop that reads the store and drives the kernel
 * (netsync.c) so that the rules (who is a peer, which entries, which
 * names, what a gone node leaves) are one pure function the unit tests
 * try row by row, with no database and no root.  Everything comes out
 * sorted (networks by id, VTEPs by address, names by container), so the
 * same rows give the same plan and an unchanged names table is not
 * written again.  Which of the heads' events bring a pass
 * (netsync_event_moves) is a rule of the same kind, tried on payloads
 * as the heads send them.
 */
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "events-payload.h"
#include "jsonutil.h"
#include "netsync.h"
#include "xalloc.h"

bool
netsync_event_moves(const char *payload)
{
	static const char *const moves[] = { "start", "die", "destroy",
	    "rename", NULL };
	struct events_payload p;
	sdc_error_t err = NULL;
	const char *type, *action;
	bool yes = false;
	json_t *j;

	if (events_payload_split(payload, &p, &err) < 0) {
		sdc_error_release(&err);
		return false;
	}
	if ((j = json_loads(p.message, 0, NULL)) == NULL)
		return false;
	type = json_str(j, "Type", "");
	action = json_str(j, "Action", "");
	if (strcmp(type, "network") == 0)
		yes = true;
	else if (strcmp(type, "container") == 0)
		for (size_t i = 0; moves[i] != NULL && !yes; i++)
			yes = strcmp(action, moves[i]) == 0;
	json_decref(j);
	return yes;
}

int
netsync_mac_parse(const char *text, uint8_t mac[6])
{
	unsigned m[6];
	char tail;

	if (text == NULL || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0],
	    &m[1], &m[2], &m[3], &m[4], &m[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

/* The node of id, when it may carry frames to or from this one. */
static const struct netsync_node *
netsync_peer_node(const struct netsync_rows *r, const char *id)
{
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct netsync_node *n = &r->nodes[i];

		if (strcmp(n->id, id) != 0)
			continue;
		if (!n->available || strcmp(n->id, r->self) == 0 ||
		    n->vtep.s_addr == htonl(INADDR_ANY) ||
		    n->vtep.s_addr == r->self_vtep.s_addr)
			return NULL;
		return n;
	}
	return NULL;
}

static int
netsync_addr_cmp(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct in_addr *)a)->s_addr);
	uint32_t y = ntohl(((const struct in_addr *)b)->s_addr);

	return x < y ? -1 : x > y;
}

static int
netsync_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct net_dns_entry *)a)->container_id,
	    ((const struct net_dns_entry *)b)->container_id);
}

static int
netsync_net_cmp(const void *a, const void *b)
{
	return strcmp(((const struct netsync_net *)a)->net->id,
	    ((const struct netsync_net *)b)->net->id);
}

/* v (n sorted addresses) without repeats; the new count. */
static size_t
netsync_uniq(struct in_addr *v, size_t n)
{
	size_t k = 0;

	qsort(v, n, sizeof *v, netsync_addr_cmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[k - 1].s_addr != v[i].s_addr)
			v[k++] = v[i];
	return k;
}

static void
netsync_plan_net(const struct netsync_rows *r, const struct netsync_network *net,
    struct netsync_net *out)
{
	const struct netsync_node *node;
	size_t i;

	memset(out, 0, sizeof *out);
	out->net = net;
	out->vteps = xcalloc(r->neps + 1, sizeof *out->vteps);
	out->peers = xcalloc(r->neps + 1, sizeof *out->peers);
	out->names = xcalloc(r->neps + 1, sizeof *out->names);
	for (i = 0; i < r->neps; i++) {
		const struct netsync_endpoint *e = &r->eps[i];
		struct net_dns_entry *d;

		if (strcmp(e->network, net->id) != 0)
			continue;
		node = NULL;
		if (*e->node != '\0' && strcmp(e->node, r->self) != 0 &&
		    (node = netsync_peer_node(r, e->node)) == NULL)
			continue;       /* a gone node's: dropped */
		if (node != NULL) {
			struct net_vxlan_peer *p = &out->peers[out->npeers++];

			memcpy(p->mac, e->mac, sizeof p->mac);
			p->ip = e->ip;
			p->vtep = node->vtep;
			out->vteps[out->nvteps++] = node->vtep;
		}
		d = &out->names[out->nnames++];
		d->container_id = e->container;
		d->ip = e->ip;
		d->names = e->names;
		d->servers = e->servers;
		d->nservers = e->nservers;
	}
	out->nvteps = netsync_uniq(out->vteps, out->nvteps);
	out->spans = out->npeers > 0;
	qsort(out->names, out->nnames, sizeof *out->names, netsync_name_cmp);
}

static void
netsync_net_free(struct netsync_net *n)
{
	free(n->vteps);
	free(n->peers);
	free(n->names);
}

void
netsync_plan(const struct netsync_rows *r, struct netsync_want *out)
{
	size_t i, k;

	memset(out, 0, sizeof *out);
	out->v = xcalloc(r->nnetworks + 1, sizeof *out->v);
	for (i = 0; i < r->nnetworks; i++) {
		bool here = false;

		for (k = 0; k < r->neps && !here; k++)
			here = strcmp(r->eps[k].network, r->networks[i].id) == 0 &&
			    strcmp(r->eps[k].node, r->self) == 0;
		if (here)
			netsync_plan_net(r, &r->networks[i], &out->v[out->n++]);
	}
	qsort(out->v, out->n, sizeof *out->v, netsync_net_cmp);
	out->vteps = xcalloc(r->nnodes + 1, sizeof *out->vteps);
	if (r->self_vtep.s_addr != htonl(INADDR_ANY))
		out->vteps[out->nvteps++] = r->self_vtep;
	for (i = 0; i < r->nnodes; i++)
		if (netsync_peer_node(r, r->nodes[i].id) != NULL)
			out->vteps[out->nvteps++] = r->nodes[i].vtep;
	out->nvteps = netsync_uniq(out->vteps, out->nvteps);
}

void
netsync_want_free(struct netsync_want *w)
{
	for (size_t i = 0; i < w->n; i++)
		netsync_net_free(&w->v[i]);
	free(w->v);
	free(w->vteps);
	memset(w, 0, sizeof *w);
}
