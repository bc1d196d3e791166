/*
 * bench/placement/placement.c: the time of one placement decision
 * (dockerapi/placement.c) in a simulated data center of NODES nodes
 * holding about PER_NODE containers each.
 *
 * Each node has 256 GiB, 48 CPUs and 8 TiB, and its usage is the sum of
 * its containers' packages (a mix of the t4-standard ones from 256M to
 * 2G, half of them running), as the store's nodes table would keep it; a decision then places
 * a 1G package and the chosen node's usage grows, so every decision sees
 * a different data center.  A few nodes are drained.  Four cases:
 *
 *   spread, pack      no affinity: one pass over the nodes;
 *   affinity          two hard rules and one soft one, by name and by
 *                     label, over an account of 1,000 containers;
 *   affinity, all     the same rules over every container of the data
 *                     center as one account's (the worst case);
 *
 * and the peer: a plain linear scan over the same nodes for the one with
 * the most memory left (the least any placement can do: look at every
 * node once), in the same run.
 * There is no other open placement engine to call from C with the same
 * inputs (DAPI is JavaScript inside Triton), so the scan is the floor to
 * compare against.  Prints the median and p99 of each, in microseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dockerapi/placement.h"

#define NODES 1000
#define PER_NODE 300
#define DECISIONS 2000
#define ACCOUNT 1000

static const int64_t pkg_mib[] = { 256, 512, 1024, 2048 };

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
report(const char *what, int64_t *t, size_t n)
{
	qsort(t, n, sizeof *t, cmp64);
	printf("%-28s median %9.2f us   p99 %9.2f us\n", what,
	    (double)t[n / 2] / 1000, (double)t[n * 99 / 100] / 1000);
}

struct dc {
	struct placement_node nodes[NODES];
	char ids[NODES][40];
	struct placement_ctr *ctrs;
	size_t nctrs;
	char (*names)[32];
	char (*cids)[65];
	json_t *labels;
};

static void
dc_make(struct dc *dc)
{
	size_t i, j, k = 0;

	srandom(42);
	dc->ctrs = calloc((size_t)NODES * PER_NODE, sizeof *dc->ctrs);
	dc->names = calloc((size_t)NODES * PER_NODE, sizeof *dc->names);
	dc->cids = calloc((size_t)NODES * PER_NODE, sizeof *dc->cids);
	dc->labels = json_pack("[{s:s},{s:s},{s:s}]", "role", "web", "role",
	    "db", "role", "cache");
	for (i = 0; i < NODES; i++) {
		struct placement_node *n = &dc->nodes[i];

		snprintf(dc->ids[i], sizeof dc->ids[i], "node-%04zu", i);
		n->id = dc->ids[i];
		n->memory_mib = 256 * 1024;
		n->cpus = 48;
		n->disk_mib = 8 * 1024 * 1024;
		n->unavailable = i % 97 == 0;
		for (j = 0; j < PER_NODE - 30 + (size_t)(random() % 60) &&
		    j < PER_NODE + 30; j++) {
			int64_t m = pkg_mib[random() % 4];

			n->memory_used_mib += m / 2;	/* half of them run */
			n->cpus_used += (double)m / 8192;
			n->disk_used_mib += m * 25;
			snprintf(dc->names[k], sizeof dc->names[k], "c%zu", k);
			snprintf(dc->cids[k], sizeof dc->cids[k],
			    "%016lx%016lx%016lx%016lx", random(), random(),
			    random(), (unsigned long)k);
			dc->ctrs[k] = (struct placement_ctr){ dc->cids[k], NULL,
				dc->names[k], json_array_get(dc->labels,
				k % 500 == 0 ? 1 : k % 2 * 2), i };
			k++;
		}
	}
	dc->nctrs = k;
}

/* The floor: one look at every node, keeping the available one with
 * the most memory left that has room for the package's. */
static size_t
linear_scan(const struct placement_node *n, size_t nn, int64_t mib)
{
	int64_t left, best_left = -1;
	size_t i, best = nn;

	for (i = 0; i < nn; i++) {
		if (n[i].unavailable)
			continue;
		left = n[i].memory_mib - n[i].memory_used_mib - mib;
		if (left >= 0 && left > best_left) {
			best = i;
			best_left = left;
		}
	}
	return best;
}

static void
run(struct dc *dc, const char *what, enum placement_policy p,
    const struct affinity_set *aff, size_t nctrs, int64_t *t)
{
	struct placement_want w = { .memory_mib = 1024, .disk_mib = 25600,
		.cpus = 0.5, .overprovision = 1.0, .policy = p };
	struct placement_node saved[NODES];
	sdc_error_t err = NULL;
	size_t i, at;
	int64_t t0;

	memcpy(saved, dc->nodes, sizeof saved);
	for (i = 0; i < DECISIONS; i++) {
		t0 = now_ns();
		if (placement_choose(dc->nodes, NODES, dc->ctrs, nctrs, aff, &w,
		    &at, &err) < 0) {
			fprintf(stderr, "%s: %s\n", what, sdc_error_msg(err));
			exit(1);
		}
		t[i] = now_ns() - t0;
		dc->nodes[at].memory_used_mib += w.memory_mib;
		dc->nodes[at].cpus_used += w.cpus;
		dc->nodes[at].disk_used_mib += w.disk_mib;
	}
	memcpy(dc->nodes, saved, sizeof saved);
	report(what, t, DECISIONS);
}

int
main(void)
{
	static struct dc dc;
	static const char *const rules[] = {
		"container!=c17", "role!=db", "container==~c2*",
	};
	struct affinity_set aff = { calloc(3, sizeof *aff.v), 0 };
	int64_t *t = calloc(DECISIONS, sizeof *t), t0;
	static struct placement_node saved[NODES];
	sdc_error_t err = NULL;
	size_t i, at;

	dc_make(&dc);
	for (i = 0; i < 3; i++) {
		if (affinity_parse(rules[i], &aff.v[i], &err) < 0) {
			fprintf(stderr, "%s\n", sdc_error_msg(err));
			return 1;
		}
		aff.n++;
	}
	printf("%d nodes, %zu containers; %d decisions each\n", NODES,
	    dc.nctrs, DECISIONS);
	memcpy(saved, dc.nodes, sizeof saved);
	for (i = 0; i < DECISIONS; i++) {
		t0 = now_ns();
		at = linear_scan(dc.nodes, NODES, 1024);
		t[i] = now_ns() - t0;
		if (at == NODES)
			return 1;
		dc.nodes[at].memory_used_mib += 1024;
	}
	memcpy(dc.nodes, saved, sizeof saved);
	report("peer: linear scan (memory)", t, DECISIONS);
	run(&dc, "spread", PLACEMENT_SPREAD, NULL, 0, t);
	run(&dc, "pack", PLACEMENT_PACK, NULL, 0, t);
	/* an account's 1,000 containers spread over the nodes */
	for (i = 0; i < ACCOUNT; i++)
		dc.ctrs[i].node = (i * 7919) % NODES;
	run(&dc, "affinity (1,000 of acct)", PLACEMENT_SPREAD, &aff, ACCOUNT, t);
	run(&dc, "affinity (all containers)", PLACEMENT_SPREAD, &aff, dc.nctrs, t);
	affinity_set_clear(&aff);
	free(t);
	return 0;
}
