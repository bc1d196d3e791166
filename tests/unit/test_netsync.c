/*
 * test_netsync.c: the agent's plan for a node's networks across nodes
 * (agent/netsync-plan.c), from rows as the store holds them: which
 * networks are this node's, which span nodes, the forwarding entries
 * and the names each gets, the VTEPs of the guard; a node not heard
 * from, one without a VTEP or with this node's, and a container that
 * records no node.  No store and no kernel: the agent's loop over the
 * real ones is tried by tests/integration/27-nodes-vxlan.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <string.h>
#include <cmocka.h>

#include "agent/netsync.h"

#define NET_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NET_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define NET_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static struct in_addr
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static const char *const names_x[] = { "x", "alias-x", NULL };
static const char *const names_y[] = { "y", NULL };
static const char *const names_z[] = { "z", NULL };

static struct netsync_endpoint
ep(const char *net, const char *ctr, const char *node, const char *addr,
    const char *mac, const char *const *names)
{
	struct netsync_endpoint e = { .network = net, .container = ctr,
		.node = node, .ip = ip(addr), .names = names };

	assert_int_equal(netsync_mac_parse(mac, e.mac), 0);
	return e;
}

static void
test_plan(void **state)
{
	struct netsync_node nodes[] = {
		{ "n1", ip("192.0.2.1"), true },        /* this one */
		{ "n2", ip("192.0.2.2"), true },
		{ "n3", ip("192.0.2.3"), true },
		{ "n4", ip("192.0.2.4"), false },       /* not heard from */
		{ "n5", { htonl(INADDR_ANY) }, true },  /* no VTEP */
		{ "n6", ip("192.0.2.1"), true },        /* this node's VTEP */
	};
	struct netsync_network nets[] = {
		{ .id = NET_B, .vni = 200 },
		{ .id = NET_A, .vni = 100 },
		{ .id = NET_C, .vni = 300 },
	};
	struct netsync_endpoint eps[] = {
		ep(NET_A, "c3", "n3", "10.9.0.13", "02:42:0a:09:00:0d", names_z),
		ep(NET_A, "c1", "n1", "10.9.0.11", "02:42:0a:09:00:0b", names_x),
		ep(NET_A, "c2", "n2", "10.9.0.12", "02:42:0a:09:00:0c", names_y),
		ep(NET_A, "c2b", "n2", "10.9.0.22", "02:42:0a:09:00:16", names_y),
		ep(NET_A, "c4", "n4", "10.9.0.14", "02:42:0a:09:00:0e", names_z),
		ep(NET_A, "c5", "n5", "10.9.0.15", "02:42:0a:09:00:0f", names_z),
		ep(NET_A, "c6", "n6", "10.9.0.16", "02:42:0a:09:00:10", names_z),
		ep(NET_A, "c0", "", "10.9.0.10", "02:42:0a:09:00:0a", names_z),
		/* B: this node only; C: other nodes only */
		ep(NET_B, "d1", "n1", "10.9.1.11", "02:42:0a:09:01:0b", names_x),
		ep(NET_C, "e2", "n2", "10.9.2.12", "02:42:0a:09:02:0c", names_y),
		ep(NET_C, "e3", "n3", "10.9.2.13", "02:42:0a:09:02:0d", names_y),
	};
	struct netsync_rows r = { .self = "n1", .self_vtep = ip("192.0.2.1"),
		.nodes = nodes, .nnodes = 6, .networks = nets, .nnetworks = 3,
		.eps = eps, .neps = sizeof eps / sizeof eps[0] };
	struct netsync_want w;
	const struct netsync_net *a, *b;

	(void)state;
	netsync_plan(&r, &w);
	/* A and B have an endpoint here, C does not; by id */
	assert_int_equal(w.n, 2);
	a = &w.v[0];
	b = &w.v[1];
	assert_string_equal(a->net->id, NET_A);
	assert_string_equal(b->net->id, NET_B);
	assert_false(b->spans);
	assert_int_equal(b->npeers, 0);
	assert_int_equal(b->nnames, 1);
	/* A spans n2 and n3: one all-zeros entry each, sorted, once */
	assert_true(a->spans);
	assert_int_equal(a->nvteps, 2);
	assert_true(a->vteps[0].s_addr == ip("192.0.2.2").s_addr);
	assert_true(a->vteps[1].s_addr == ip("192.0.2.3").s_addr);
	/* the endpoints there, each to its node's VTEP; not this node's,
	 * nor a gone node's, nor one with no VTEP or this node's VTEP */
	assert_int_equal(a->npeers, 3);
	for (size_t i = 0; i < a->npeers; i++) {
		const struct net_vxlan_peer *p = &a->peers[i];

		if (p->ip.s_addr == ip("10.9.0.13").s_addr) {
			assert_true(p->vtep.s_addr == ip("192.0.2.3").s_addr);
			assert_int_equal(p->mac[5], 0x0d);
		} else {
			assert_true(p->ip.s_addr == ip("10.9.0.12").s_addr ||
			    p->ip.s_addr == ip("10.9.0.22").s_addr);
			assert_true(p->vtep.s_addr == ip("192.0.2.2").s_addr);
		}
	}
	/* names: every available node's and the nodeless one, by id */
	assert_int_equal(a->nnames, 5);
	assert_string_equal(a->names[0].container_id, "c0");
	assert_string_equal(a->names[1].container_id, "c1");
	assert_string_equal(a->names[2].container_id, "c2");
	assert_string_equal(a->names[3].container_id, "c2b");
	assert_string_equal(a->names[4].container_id, "c3");
	assert_string_equal(a->names[1].names[1], "alias-x");
	assert_true(a->names[4].ip.s_addr == ip("10.9.0.13").s_addr);
	/* the guard: this node and the available ones with a VTEP */
	assert_int_equal(w.nvteps, 3);
	assert_true(w.vteps[0].s_addr == ip("192.0.2.1").s_addr);
	assert_true(w.vteps[2].s_addr == ip("192.0.2.3").s_addr);
	netsync_want_free(&w);

	/* n2 and n3 gone: A spans no more, its names are this node's */
	nodes[1].available = nodes[2].available = false;
	netsync_plan(&r, &w);
	assert_int_equal(w.n, 2);
	assert_false(w.v[0].spans);
	assert_int_equal(w.v[0].nvteps, 0);
	assert_int_equal(w.v[0].nnames, 2);          /* c0 and c1 */
	assert_int_equal(w.nvteps, 1);
	netsync_want_free(&w);

	/* this node's endpoint stopped: nothing of A or B here */
	r.neps = 0;
	netsync_plan(&r, &w);
	assert_int_equal(w.n, 0);
	netsync_want_free(&w);
}

static void
test_mac(void **state)
{
	uint8_t m[6];

	(void)state;
	assert_int_equal(netsync_mac_parse("02:42:0a:ff:00:01", m), 0);
	assert_int_equal(m[3], 0xff);
	assert_int_equal(netsync_mac_parse("", m), -1);
	assert_int_equal(netsync_mac_parse("02:42:0a:ff:00", m), -1);
	assert_int_equal(netsync_mac_parse("02:42:0a:ff:00:01:02", m), -1);
	assert_int_equal(netsync_mac_parse(NULL, m), -1);
}

/* The payloads as the heads send them (dockerapi/events-notify.c):
 * "seq\norigin:id\naccount\nmessage"; the head_events row's without
 * its seq; a sender's from before either. */
static void
test_event_moves(void **state)
{
	(void)state;
	assert_true(netsync_event_moves("42\n6f1c0d3e-aaaa:7\nalice\n"
	    "{\"Type\":\"container\",\"Action\":\"rename\"}"));
	assert_true(netsync_event_moves("42\n6f1c0d3e-aaaa:7\nalice\n"
	    "{\"Type\":\"container\",\"Action\":\"destroy\"}"));
	assert_true(netsync_event_moves("9\n6f1c0d3e-aaaa:1\nbob\n"
	    "{\"Type\":\"network\",\"Action\":\"disconnect\"}"));
	assert_true(netsync_event_moves("6f1c0d3e-aaaa:7\nalice\n"
	    "{\"Type\":\"container\",\"Action\":\"start\"}"));
	assert_true(netsync_event_moves("6f1c0d3e-aaaa\nalice\n"
	    "{\"Type\":\"container\",\"Action\":\"die\"}"));
	assert_false(netsync_event_moves("42\n6f1c0d3e-aaaa:7\nalice\n"
	    "{\"Type\":\"container\",\"Action\":\"exec_start: sh\"}"));
	assert_false(netsync_event_moves("42\n6f1c0d3e-aaaa:7\nalice\n"
	    "{\"Type\":\"image\",\"Action\":\"pull\"}"));
	assert_false(netsync_event_moves("42\nalice\n{\"Type\":\"network\"}"
	    "trailing"));
	assert_false(netsync_event_moves("42"));
	assert_false(netsync_event_moves(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_event_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
