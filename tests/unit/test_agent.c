/*
 * test_agent.c: the node agent's pieces without the daemon: the nodes
 * table (registration, heartbeat, the "available" judgement, a drain
 * that a registration keeps, leaving), the node id kept in the data dir,
 * the settings file's refusals, and the exits table's once-only hand-over
 * from an agent to one of several heads.  On SQLite; 37-nodes-postgres runs
 * the same statements on PostgreSQL through the daemons.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/agent.h"
#include "agent/exits-table.h"
#include "fsutil.h"
#include "store.h"

static char dir[] = "/tmp/test_agent.XXXXXX";

static int
setup(void **state)
{
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	sdc_error_t err = NULL;

	return fs_rmtree(dir, &err);
}

static struct store *
open_store(const char *name)
{
	struct store *st = NULL;
	sdc_error_t err = NULL;
	char path[256];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(store_open(&st, path, &err), 0);
	assert_int_equal(nodes_table_migrate(st, &err), 0);
	/* twice, as an agent and a head starting on one file do */
	assert_int_equal(nodes_table_migrate(st, &err), 0);
	return st;
}

static void
test_register_heartbeat(void **state)
{
	struct store *st = open_store("n.db");
	struct node n = {
		.id = "0b7e2f4c-5b6a-4e8b-9c1d-2e3f4a5b6c7d",
		.hostname = "cn1", .address = "10.0.0.5:2380", .memory = 1 << 30,
		.disk = (int64_t)1 << 40, .cpus = 8, .runtime = "runc",
		.heartbeat_interval_ms = 1000, .last_heartbeat_ms = 100000,
		.vtep = "10.0.0.5", .zones = "/zones",
	};
	struct node_list l;
	sdc_error_t err = NULL;

	assert_int_equal(nodes_table_register(st, &n, &err), 0);
	assert_int_equal(nodes_table_read(st, NULL, 100500, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].hostname, "cn1");
	assert_string_equal(l.v[0].address, "10.0.0.5:2380");
	assert_string_equal(l.v[0].vtep, "10.0.0.5");
	assert_string_equal(l.v[0].zones, "/zones");
	assert_int_equal(l.v[0].cpus, 8);
	assert_true(l.v[0].disk == (int64_t)1 << 40);
	assert_string_equal(l.v[0].state, "running");
	assert_true(l.v[0].available);
	assert_false(l.v[0].drained);
	node_list_free(&l);
	/* three intervals missed: unavailable; a beat brings it back */
	assert_int_equal(nodes_table_read(st, NULL, 103001, &l, &err), 0);
	assert_false(l.v[0].available);
	node_list_free(&l);
	assert_int_equal(nodes_table_heartbeat(st, n.id, 103000, &err), 0);
	assert_int_equal(nodes_table_read(st, "cn1", 103001, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].available);
	node_list_free(&l);
	/* a prefix of the id finds it, another id does not */
	assert_int_equal(nodes_table_read(st, "0b7e2f", 103001, &l, &err), 0);
	assert_int_equal(l.n, 1);
	node_list_free(&l);
	assert_int_equal(nodes_table_read(st, "ffff", 103001, &l, &err), 0);
	assert_int_equal(l.n, 0);
	node_list_free(&l);
	/* the operator's drain survives the agent registering again */
	assert_int_equal(nodes_table_set_drained(st, n.id, true, &err), 0);
	n.cpus = 16;
	n.zones = "/data/zones";	/* the agent started on another root */
	n.last_heartbeat_ms = 200000;
	assert_int_equal(nodes_table_register(st, &n, &err), 0);
	assert_int_equal(nodes_table_read(st, NULL, 200000, &l, &err), 0);
	assert_true(l.v[0].drained);
	assert_int_equal(l.v[0].cpus, 16);
	assert_string_equal(l.v[0].zones, "/data/zones");
	assert_true(l.v[0].registered_ms == 100000);   /* first seen kept */
	node_list_free(&l);
	/* leaving: stopped, unavailable at once */
	assert_int_equal(nodes_table_leave(st, n.id, &err), 0);
	assert_int_equal(nodes_table_read(st, NULL, 200000, &l, &err), 0);
	assert_string_equal(l.v[0].state, "stopped");
	assert_false(l.v[0].available);
	node_list_free(&l);
	/* no such node */
	assert_int_equal(nodes_table_set_drained(st, "nope", true, &err), -1);
	assert_int_equal(err->code, 404);
	sdc_error_release(&err);
	/* a heartbeat for a row that is gone asks for a registration */
	assert_int_equal(store_exec(st, "DELETE FROM nodes", &err), 0);
	assert_int_equal(nodes_table_heartbeat(st, n.id, 200000, &err), 1);
	store_close(st);
}

static void
test_node_id(void **state)
{
	char a[37], b[37], path[256];
	sdc_error_t err = NULL;
	FILE *f;

	assert_int_equal(agent_node_id(dir, a, &err), 0);
	assert_int_equal(agent_node_id(dir, b, &err), 0);
	assert_string_equal(a, b);              /* kept across restarts */
	snprintf(path, sizeof path, "%s/node-id", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("not-a-uuid\n", f);
	fclose(f);
	assert_int_equal(agent_node_id(dir, b, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "holds no node id"));
	sdc_error_release(&err);
}

static void
test_options(void **state)
{
	struct agent_options o;
	sdc_error_t err = NULL;
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/agent.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("listen: 127.0.0.1:0\nheartbeat_interval: 0.5\nhostname: cn9\n"
	    "exec_keep: 2.5\n", f);
	fclose(f);
	assert_int_equal(agent_options_load(&o, path, &err), 0);
	assert_int_equal(agent_options_finish(&o, &err), 0);
	assert_true(o.heartbeat_ms == 500);
	assert_true(o.exec_keep_ms == 2500);
	assert_int_equal(agent_options_exec_keep(&o, "0", &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "exec_keep \"0\""));
	sdc_error_release(&err);
	assert_string_equal(o.hostname, "cn9");
	assert_non_null(strstr(o.tls_cert, "/tls/node-cert.pem"));
	/* the networking state beside the head's SQLite file */
	assert_non_null(strstr(o.net_dir, "/dockerapi/net"));
	assert_int_equal(agent_options_interval(&o, "0", &err), -1);
	sdc_error_release(&err);
	assert_int_equal(agent_options_interval(&o, "5s", &err), -1);
	sdc_error_release(&err);
	/* the VTEP: the address's host unless set; an IPv4 address only */
	assert_true(o.netsync_ms == 5000);
	assert_int_equal(agent_options_netsync_interval(&o, "0.5", &err), 0);
	assert_true(o.netsync_ms == 500);
	o.address = strdup("192.0.2.7:2380");
	assert_string_equal(agent_options_vtep(&o), "192.0.2.7");
	free(o.vtep);
	free(o.address);
	o.vtep = NULL;
	o.address = strdup("cn9.example:2380");
	assert_null(agent_options_vtep(&o));
	o.vtep = strdup("cn9.example");
	assert_int_equal(agent_options_finish(&o, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "vtep \"cn9.example\""));
	sdc_error_release(&err);
	agent_options_free(&o);
	assert_non_null(f = fopen(path, "w"));
	fputs("listn: 127.0.0.1:0\n", f);
	fclose(f);
	assert_int_equal(agent_options_load(&o, path, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "unknown setting \"listn\""));
	sdc_error_release(&err);
	agent_options_free(&o);
	assert_int_equal(agent_options_load(&o, NULL, &err), 0);
	agent_options_flag(&o, "listen", "unix:/tmp/x.sock");
	assert_int_equal(agent_options_finish(&o, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "mutual TLS"));
	sdc_error_release(&err);
	agent_options_free(&o);
}

/* A container's exit, from the agent to one head: written twice (an
 * agent restarted, not knowing it wrote it), it is one row; of two heads
 * on the store, one takes it; taken, it is pending for none; pruned. */
static void
test_exits_once(void **state)
{
	struct store *agent = open_store("x.db"), *h1 = open_store("x.db"),
	    *h2 = open_store("x.db");
	struct node_exit e = {
		.uuid = "5f0b6a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b", .pid = 4242,
		.node = "0b7e2f4c-5b6a-4e8b-9c1d-2e3f4a5b6c7d", .exit_code = 137,
		.signal = 9, .started_ns = 1000, .finished_ns = 2000,
	}, v[4];
	sdc_error_t err = NULL;
	size_t n;

	assert_int_equal(exits_table_migrate(agent, &err), 0);
	assert_int_equal(exits_table_migrate(h1, &err), 0);
	assert_int_equal(exits_table_record(agent, &e, 10, &err), 1);
	assert_int_equal(exits_table_record(agent, &e, 20, &err), 0);
	e.pid = 4343;                   /* the next run's exit is another */
	e.exit_code = 3;
	assert_int_equal(exits_table_record(agent, &e, 30, &err), 1);
	assert_int_equal(exits_table_pending(h1, v, 4, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].uuid, e.uuid);
	assert_int_equal(v[0].pid, 4242);
	assert_int_equal(v[0].exit_code, 137);
	assert_int_equal(v[0].signal, 9);
	assert_int_equal(v[1].pid, 4343);
	assert_int_equal(exits_table_claim(h2, e.uuid, 4242, "h2", 40, &err), 1);
	assert_int_equal(exits_table_claim(h1, e.uuid, 4242, "h1", 41, &err), 0);
	assert_int_equal(exits_table_pending(h1, v, 4, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, 4343);
	/* taken before 45 goes; the other, recorded at 30, stays till a day */
	assert_int_equal(exits_table_prune(h1, 45, 0, &err), 0);
	assert_int_equal(exits_table_record(agent, &e, 50, &err), 0);
	e.pid = 4242;                   /* gone: a late report is new again */
	assert_int_equal(exits_table_record(agent, &e, 60, &err), 1);
	assert_int_equal(exits_table_prune(h1, 0, 100, &err), 0);
	assert_int_equal(exits_table_pending(h2, v, 4, &n, &err), 0);
	assert_int_equal(n, 0);
	store_close(agent);
	store_close(h1);
	store_close(h2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_heartbeat),
		cmocka_unit_test(test_node_id),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_exits_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
