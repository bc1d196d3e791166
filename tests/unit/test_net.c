/*
 * test_net.c: the pure parts of libsdcnet's plumbing: the names kernel
 * objects get from ids (and back, as net_sweep reads them), id checks, and
 * the text of the nftables transactions, the plan the hook reads (written,
 * read back, refused when wrong before anything is done).  The kernel side is
 * tests/integration/40-net-plumbing.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>

#include "dockerapi/net/internal.h"

#define NID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CID "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void
test_ids(void **state)
{
	sdc_error_t err = NULL;

	assert_true(net_id_ok(NID));
	assert_true(net_id_ok("0123456789ab"));
	assert_false(net_id_ok("0123456789a"));		/* too short */
	assert_false(net_id_ok(NID "0"));		/* too long */
	assert_false(net_id_ok("0123456789AB"));	/* upper case */
	assert_false(net_id_ok("0123456789ab\"; flush ruleset"));
	assert_false(net_id_ok(NULL));
	assert_int_equal(net_id_check("network", "x y", &err), -1);
	assert_int_equal(err->code, 400);
	assert_non_null(strstr(sdc_error_msg(err), "invalid network id 'x y'"));
	sdc_error_release(&err);
}

static void
test_names(void **state)
{
	char a[16], b[16], cid[65], nid[65], *s;
	struct net_config cfg = { .run_dir = "/run/sdc-docker" };

	net_bridge_ifname(NID, a);
	assert_string_equal(a, "sdc0123456789ab");
	assert_true(net_bridge_ifname_ours(a));
	assert_false(net_bridge_ifname_ours("sdc0123"));
	assert_false(net_bridge_ifname_ours("docker0"));

	net_veth_ifname(CID, NID, a);
	assert_int_equal(strlen(a), 15);
	assert_true(net_veth_ifname_ours(a));
	net_veth_ifname(CID, NID, b);
	assert_string_equal(a, b);			/* deterministic */
	net_veth_ifname(NID, CID, b);
	assert_string_not_equal(a, b);			/* both ids count */
	net_veth_ifname(CID, "1123456789abcdef", b);
	assert_string_not_equal(a, b);

	s = net_veth_alias(CID, NID);
	assert_string_equal(s, "sdc " CID " " NID);
	assert_true(net_veth_alias_parse(s, cid, nid));
	assert_string_equal(cid, CID);
	assert_string_equal(nid, NID);
	free(s);
	assert_false(net_veth_alias_parse(NULL, cid, nid));
	assert_false(net_veth_alias_parse("sdc " CID, cid, nid));
	assert_false(net_veth_alias_parse("sdc xyz " NID, cid, nid));
	assert_false(net_veth_alias_parse("other " CID " " NID, cid, nid));

	s = net_ports_chain(CID, NID);
	assert_string_equal(s, "p_" CID "_" NID);
	assert_true(net_ports_chain_parse(s, cid, nid));
	assert_string_equal(cid, CID);
	assert_string_equal(nid, NID);
	free(s);
	assert_false(net_ports_chain_parse("ports", cid, nid));
	assert_false(net_ports_chain_parse("p_" CID, cid, nid));

	s = net_netns_path(&cfg, CID);
	assert_string_equal(s, "/run/sdc-docker/netns/" CID);
	free(s);
	s = net_network_marker(&cfg, NID);
	assert_string_equal(s, "/run/sdc-docker/networks/" NID);
	free(s);
	{
		const char *const ids[] = { NID, NULL };

		assert_true(net_id_in(NID, ids));
		assert_false(net_id_in(CID, ids));
		assert_false(net_id_in(CID, NULL));
	}
}

static void
test_base_rules(void **state)
{
	struct buf b = { NULL, 0, 0 };
	const char *t;

	net_nft_base_text(&b);
	t = buf_str(&b);
	/* one table of ours, base chains rewritten whole */
	assert_non_null(strstr(t, "add table inet sdc_docker\n"));
	assert_non_null(strstr(t, "flush chain inet sdc_docker forward\n"));
	/* nothing between two networks, nothing to link-local */
	assert_non_null(strstr(t, "forward iifname @bridges oifname @bridges drop\n"));
	assert_non_null(strstr(t, "forward iifname @bridges ip daddr 169.254.0.0/16 drop\n"));
	/* same network first, internal before anything that accepts */
	assert_true(strstr(t, "forward iifname . oifname @same accept") <
	    strstr(t, "forward iifname @internal drop"));
	/* a source a bridge does not route back to (another network's
	 * address) is dropped before anything is accepted */
	assert_non_null(strstr(t, "forward iifname @bridges fib saddr . iif oif "
	    "missing drop\n"));
	assert_true(strstr(t, "forward iifname @bridges fib saddr . iif oif "
	    "missing drop") < strstr(t, "forward iifname . oifname @same accept"));
	assert_true(strstr(t, "input iifname @bridges fib saddr . iif oif "
	    "missing drop") < strstr(t, "input iifname @bridges ct state "
	    "established,related accept"));
	assert_true(strstr(t, "forward oifname @internal drop") <
	    strstr(t, "forward oifname @bridges ct status dnat accept"));
	assert_true(strstr(t, "forward iifname @bridges oifname @bridges drop") <
	    strstr(t, "forward iifname @bridges accept"));
	/* the host: only DNS on the gateway of the bridge it came in on */
	assert_non_null(strstr(t, "input iifname @bridges fib daddr . iif type "
	    "local udp dport 53 accept\n"));
	assert_non_null(strstr(t, "input iifname @bridges drop\n"));
	/* published ports never from outside to 127/8 (route_localnet) */
	assert_true(strstr(t, "prerouting ip daddr 127.0.0.0/8 return") <
	    strstr(t, "prerouting fib daddr type local jump ports"));
	assert_non_null(strstr(t, "postrouting oifname @bridges ip saddr "
	    "127.0.0.0/8 masquerade\n"));
	buf_free(&b);
}

static void
test_bridge_rules(void **state)
{
	struct buf b = { NULL, 0, 0 };

	net_nft_bridge_text(&b, "sdc0123456789ab", false);
	assert_string_equal(buf_str(&b),
	    "add element inet sdc_docker bridges { \"sdc0123456789ab\" }\n"
	    "add element inet sdc_docker same { \"sdc0123456789ab\" . \"sdc0123456789ab\" }\n"
	    "add element inet sdc_docker internal { \"sdc0123456789ab\" }\n"
	    "delete element inet sdc_docker internal { \"sdc0123456789ab\" }\n"
	    "add element inet sdc_docker natifs { \"sdc0123456789ab\" }\n");
	buf_reset(&b);
	net_nft_bridge_text(&b, "sdc0123456789ab", true);
	assert_non_null(strstr(buf_str(&b), "delete element inet sdc_docker "
	    "natifs { \"sdc0123456789ab\" }\nadd element inet sdc_docker "
	    "internal { \"sdc0123456789ab\" }\n"));
	buf_reset(&b);
	net_nft_bridge_remove_text(&b, "sdc0123456789ab");
	assert_non_null(strstr(buf_str(&b), "delete element inet sdc_docker "
	    "same { \"sdc0123456789ab\" . \"sdc0123456789ab\" }\n"));
	buf_free(&b);
}

static void
test_port_rules(void **state)
{
	struct net_bridge br = { .id = NID, .prefix = 24 };
	struct net_port ports[2] = {
		{ .proto = IPPROTO_TCP, .host_port = 8080, .container_port = 80 },
		{ .proto = IPPROTO_UDP, .host_port = 5353, .container_port = 53 },
	};
	struct net_endpoint ep = { .bridge = &br, .ifname = "eth0",
	    .ports = ports, .nports = 2 };
	struct buf b = { NULL, 0, 0 };
	sdc_error_t err = NULL;

	inet_pton(AF_INET, "10.1.1.2", &ep.ip);
	inet_pton(AF_INET, "127.0.0.1", &ports[1].host_ip);
	assert_int_equal(net_nft_ports_text(&b, CID, NID, &ep, true, &err), 0);
	assert_string_equal(buf_str(&b),
	    "add chain inet sdc_docker p_" CID "_" NID "\n"
	    "flush chain inet sdc_docker p_" CID "_" NID "\n"
	    "add rule inet sdc_docker p_" CID "_" NID " tcp dport 8080 dnat ip to 10.1.1.2:80\n"
	    "add rule inet sdc_docker p_" CID "_" NID " ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.1.1.2:53\n"
	    "add rule inet sdc_docker ports jump p_" CID "_" NID "\n");
	buf_reset(&b);
	assert_int_equal(net_nft_ports_text(&b, CID, NID, &ep, false, &err), 0);
	assert_null(strstr(buf_str(&b), "jump"));
	buf_reset(&b);
	ports[0].proto = 132;		/* sctp: not ours */
	assert_int_equal(net_nft_ports_text(&b, CID, NID, &ep, true, &err), -1);
	assert_int_equal(err->code, 400);
	assert_non_null(strstr(sdc_error_msg(err), "tcp or udp"));
	sdc_error_release(&err);
	buf_reset(&b);
	net_nft_ports_remove_text(&b, "p_x", 42);
	assert_string_equal(buf_str(&b),
	    "delete rule inet sdc_docker ports handle 42\n"
	    "flush chain inet sdc_docker p_x\ndelete chain inet sdc_docker p_x\n");
	buf_reset(&b);
	net_nft_foreign_text(&b, "ip filter", "DOCKER-USER");
	assert_non_null(strstr(buf_str(&b), "insert rule ip filter DOCKER-USER "
	    "iifname \"sdc*\" accept comment \"sdc-docker\"\n"));
	buf_free(&b);
}

/* A network across nodes: its vxlan device's name, the guard of UDP 4789,
 * and bad input refused before any system call, naming what was wrong. */
static void
test_vxlan(void **state)
{
	struct net_config cfg = { .run_dir = "/nonexistent/run" };
	struct net_vxlan v = { .network_id = NID, .vni = 0 };
	struct net_vxlan_peer peer = { .mac = { 0x03, 0x42, 10, 1, 2, 3 } };
	struct in_addr vtep = { 0 };
	struct buf b = { NULL, 0, 0 };
	sdc_error_t err = NULL;
	char name[16];

	(void)state;
	net_vxlan_ifname(NID, name);
	assert_string_equal(name, "sdx0123456789ab");
	assert_true(net_vxlan_ifname_ours(name));
	assert_false(net_vxlan_ifname_ours("sdx0123"));
	assert_false(net_bridge_ifname_ours(name));

	net_nft_vxlan_text(&b);
	assert_non_null(strstr(buf_str(&b), "add rule inet sdc_docker vxlan_in "
	    "udp dport 4789 ip saddr != @vteps drop\n"));
	assert_non_null(strstr(buf_str(&b), "add rule inet sdc_docker "
	    "vxlan_fwd iifname @bridges udp dport 4789 drop\n"));
	/* the set keeps its elements: only net_vxlan_vteps_set flushes it */
	assert_null(strstr(buf_str(&b), "flush set"));
	buf_free(&b);

	assert_int_equal(net_vxlan_ensure(&cfg, &v, &err), -1);
	assert_int_equal(err->code, 400);
	assert_non_null(strstr(sdc_error_msg(err), "VNI 0"));
	sdc_error_release(&err);
	v.vni = NET_VXLAN_VNI_MAX + 1;
	assert_int_equal(net_vxlan_ensure(&cfg, &v, &err), -1);
	sdc_error_release(&err);
	v.vni = 100;
	assert_int_equal(net_vxlan_ensure(&cfg, &v, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "no local VTEP"));
	sdc_error_release(&err);
	assert_int_equal(net_vxlan_fdb_set(&cfg, NID, &vtep, 1, NULL, 0, &err),
	    -1);
	assert_non_null(strstr(sdc_error_msg(err), "VTEP 0.0.0.0"));
	sdc_error_release(&err);
	inet_pton(AF_INET, "192.0.2.2", &peer.vtep);
	inet_pton(AF_INET, "10.1.2.3", &peer.ip);
	assert_int_equal(net_vxlan_fdb_set(&cfg, NID, NULL, 0, &peer, 1, &err),
	    -1);
	assert_non_null(strstr(sdc_error_msg(err), "10.1.2.3: MAC "
	    "03:42:0a:01:02:03 is not a unicast address"));
	sdc_error_release(&err);
	assert_int_equal(net_vxlan_remove(&cfg, "NOT-HEX", &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "invalid network id"));
	sdc_error_release(&err);
}

/* A plan as the daemon writes it; one the hook cannot read fails before
 * it binds or attaches anything, naming what was wrong. */
static void
test_plan(void **state)
{
	char dir[] = "/tmp/test_net_plan.XXXXXX", path[64], *text;
	struct net_config cfg = { .run_dir = "/nonexistent/run" };
	struct net_bridge b = { .id = NID, .prefix = 24, .mtu = 1450 };
	struct net_port p = { .proto = IPPROTO_UDP, .host_port = 5353,
	    .container_port = 53 };
	struct net_endpoint e = { .bridge = &b, .ifname = "eth0",
	    .mac = { 0x02, 0x42, 10, 1, 2, 3 }, .default_route = true,
	    .ports = &p, .nports = 1 };
	sdc_error_t err = NULL;
	FILE *f;

	inet_pton(AF_INET, "10.1.2.0", &b.subnet);
	inet_pton(AF_INET, "10.1.2.1", &b.gateway);
	inet_pton(AF_INET, "10.1.2.3", &e.ip);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/netplan.json", dir);
	assert_int_equal(net_plan_write(&cfg, path, CID, &e, 1, &err), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, 4096);
	assert_true(fread(text, 1, 4095, f) > 0);
	fclose(f);
	assert_non_null(strstr(text, "\"ip\":\"10.1.2.3\""));
	assert_non_null(strstr(text, "\"gateway\":\"10.1.2.1\""));
	assert_non_null(strstr(text, "\"mac\":\"02:42:0a:01:02:03\""));
	assert_non_null(strstr(text, "\"proto\":\"udp\""));
	assert_non_null(strstr(text, "\"default_route\":true"));
	assert_non_null(strstr(text, "\"mtu\":1450"));
	free(text);
	/* a bad address: refused before the (absent) run dir is touched */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"run_dir\":\"/nonexistent/run\",\"container\":\"%s\","
	    "\"endpoints\":[{\"network\":\"%s\",\"subnet\":\"10.1.2.0\","
	    "\"prefix\":24,\"gateway\":\"10.1.2.1\",\"ifname\":\"eth0\","
	    "\"ip\":\"10.1.2.300\",\"mac\":\"02:42:0a:01:02:03\"}]}", CID, NID);
	fclose(f);
	assert_int_equal(net_plan_apply(path, 1, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "ip: not an IPv4 address: "
	    "'10.1.2.300'"));
	assert_non_null(strstr(sdc_error_msg(err), "netplan.json"));
	sdc_error_release(&err);
	unlink(path);
	assert_int_equal(net_plan_apply(path, 1, &err), -1);
	sdc_error_release(&err);
	rmdir(dir);
}

/* The ruleset's generation moves on with any change of any table (a
 * table of the test's own, in no family of ours), and only then: what
 * lets a start skip listing the table (bridge.c). */
static void
test_genid(void **state)
{
	sdc_error_t err = NULL;
	uint32_t a = 0, b = 0, c = 0;

	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(net_nft_genid(&a, &err), 0);
	assert_int_equal(net_nft_genid(&b, &err), 0);
	assert_int_equal(a, b);
	assert_int_equal(net_nft_run("add table netdev sdc_test_genid\n", &err),
	    0);
	assert_int_equal(net_nft_genid(&c, &err), 0);
	assert_int_not_equal(b, c);
	assert_int_equal(net_nft_run("delete table netdev sdc_test_genid\n",
	    &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_base_rules),
		cmocka_unit_test(test_bridge_rules),
		cmocka_unit_test(test_port_rules),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_genid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
