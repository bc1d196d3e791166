/*
 * fuzz_agent_net.c: arbitrary bytes as the "Network" document of a
 * start a head sends a node's agent (agent/container-net.c): the
 * networks, endpoints, published ports and files the node plumbs.
 * Whoever holds a head's certificate may send a start, or a connect
 * (POST /v1/containers/UUID/connect, the same document with one network
 * and its interface's "Index"), so the agent checks the document's shape
 * and then every value against the store; that check (nodenet_check)
 * runs here on every input both ways, and so do a disconnect's
 * (nodenet_disconnect_check, then its container's row) and a rename's
 * (nodenet_rename_check), and nothing is plumbed.
 *
 * nodenet_check is the file's own (static), so the file is compiled into
 * this target.  The store is a SQLite file in a temp folder holding the
 * rows the seeds in fuzz/corpus/agent_net name (the container, its
 * network and lease, its port, and a second container whose files
 * FilesOf copies), in the columns the check reads, so a valid document
 * gets through the store's checks too.  The plumbing that follows a
 * check in the route is never reached (left unresolved, as
 * fuzz/Makefile says).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/container-net.c"
#include "fuzz/fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED_NODE "9d0e7c52-2f4b-4a8e-8d6c-5b1a3e2f4c7d"
#define SEED_ACCOUNT "6f1d2d6e-6a8b-4b8e-9c55-1d3c8c7a2b10"
#define SEED_UUID "3f2b6a1e-8c4d-4e5f-9a0b-1c2d3e4f5a6b"
#define SEED_ID "c0ffee0000000000000000000000000000000000000000000000000000000001"
#define SEED_UUID2 "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
#define SEED_ID2 "c0ffee0000000000000000000000000000000000000000000000000000000002"
#define SEED_NET "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define SEED_NET2 "b1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

static struct agent_options fuzz_opt;
static struct agent fuzz_agent;

static const char fuzz_rows[] =
	"CREATE TABLE containers (uuid TEXT, id TEXT, account TEXT, extra TEXT, "
	"name TEXT);"
	"CREATE TABLE networks (id TEXT, account TEXT, subnet TEXT, prefix "
	" INTEGER, gateway TEXT, internal INTEGER, vni INTEGER);"
	"CREATE TABLE network_endpoints (network TEXT, container TEXT, ip TEXT,"
	" mac TEXT);"
	"CREATE TABLE port_bindings (proto TEXT, host_port INTEGER, host_ip "
	" TEXT, container_port INTEGER, container TEXT, account TEXT);"
	"INSERT INTO containers VALUES ('" SEED_UUID "', '" SEED_ID "', '"
	SEED_ACCOUNT "', '{\"Node\": \"" SEED_NODE "\"}', 'web');"
	"INSERT INTO containers VALUES ('" SEED_UUID2 "', '" SEED_ID2 "', '"
	SEED_ACCOUNT "', '{\"Node\": \"" SEED_NODE "\"}', 'db');"
	"INSERT INTO networks VALUES ('" SEED_NET "', '" SEED_ACCOUNT "', "
	"'10.99.0.0', 24, '10.99.0.1', 0, NULL);"
	"INSERT INTO networks VALUES ('" SEED_NET2 "', '" SEED_ACCOUNT "', "
	"'10.98.0.0', 16, '10.98.0.1', 1, 4097);"
	"INSERT INTO network_endpoints VALUES ('" SEED_NET "', '" SEED_ID "', "
	"'10.99.0.5', '02:42:0a:63:00:05');"
	"INSERT INTO network_endpoints VALUES ('" SEED_NET2 "', '" SEED_ID "', "
	"'10.98.3.7', '02:42:0a:62:03:07');"
	"INSERT INTO port_bindings VALUES ('tcp', 8080, '0.0.0.0', 80, '"
	SEED_ID "', '" SEED_ACCOUNT "');"
	"INSERT INTO port_bindings VALUES ('udp', 5353, '127.0.0.1', 53, '"
	SEED_ID "', '" SEED_ACCOUNT "');";

static void
fuzz_setup(void)
{
	sdc_error_t err = NULL;
	char *p;

	fuzz_tmp_dir("fuzz-agent-net");
	fuzz_opt.zones = fuzz_tmp_path("zones");
	fuzz_opt.net_dir = fuzz_tmp_path("net");
	fuzz_tmp_mkdir("zones/" SEED_UUID2);
	fuzz_tmp_put("zones/" SEED_UUID2 "/" RT_FILE_HOSTS,
	    "127.0.0.1 localhost\n");
	fuzz_tmp_put("zones/" SEED_UUID2 "/" RT_FILE_RESOLV,
	    "nameserver 10.99.0.1\n");
	p = fuzz_tmp_path("store.db");
	if (store_open(&fuzz_agent.store, p, &err) < 0 ||
	    store_exec(fuzz_agent.store, fuzz_rows, &err) < 0)
		abort();
	free(p);
	snprintf(fuzz_agent.self.id, sizeof fuzz_agent.self.id, "%s", SEED_NODE);
	fuzz_agent.opt = &fuzz_opt;
}

/* doc checked as a start's (connect false) or a connect's Network
 * document; what a check lets through must be whole for the plumbing. */
static void
fuzz_check(json_t *doc, bool connect)
{
	sdc_error_t err = NULL;
	struct nodenet nn;

	if (nodenet_check(&fuzz_agent, SEED_UUID, doc, connect, &nn,
	    &err) == 0) {
		if (strcmp(nn.id, SEED_ID) != 0 || nn.pub > nn.n ||
		    (nn.nports > 0 && nn.pub == nn.n))
			abort();
		if (connect ? nn.n != 1 || nn.nports != 0 :
		    nn.hosts == NULL || nn.resolv == NULL)
			abort();
		for (size_t i = 0; i < nn.n; i++)
			if (nn.e[i].bridge != &nn.b[i] || nn.b[i].prefix < 8 ||
			    nn.b[i].prefix > 30 ||
			    strncmp(nn.e[i].ifname, "eth", 3) != 0)
				abort();
	} else if (err == NULL || err->code < 400 || err->code >= 500)
		abort();        /* a refusal says why, as a 4xx */
	sdc_error_release(&err);
	nodenet_free(&nn);
}

/* doc checked as a disconnect's: its shape, then its container in the
 * store, as agent_net_disconnect begins (what follows is the
 * runtime's). */
static void
fuzz_disconnect(json_t *doc)
{
	const char *account, *id, *net;
	sdc_error_t err = NULL;
	char cid[65];

	if (nodenet_disconnect_check(doc, &account, &id, &net, &err) == 0 &&
	    nodenet_check_ids(&fuzz_agent, SEED_UUID, account, id, cid, NULL,
	    &err) == 0) {
		if (!uuid_valid(account) || !docker_id_valid(id) ||
		    strlen(net) != 64 || strcmp(cid, SEED_ID) != 0)
			abort();
	} else if (err == NULL || err->code < 400 || err->code >= 500)
		abort();        /* a refusal says why, as a 4xx */
	sdc_error_release(&err);
}

/* doc checked as a rename's, as agent_net_rename begins. */
static void
fuzz_rename(json_t *doc)
{
	sdc_error_t err = NULL;

	if (nodenet_rename_check(&fuzz_agent, SEED_UUID, doc, &err) == 0) {
		if (strcmp(json_string_value(json_object_get(doc, "Name")),
		    "web") != 0)
			abort();
	} else if (err == NULL || err->code < 400 || err->code >= 500)
		abort();        /* a refusal says why, as a 4xx */
	sdc_error_release(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sdc_error_t err = NULL;
	json_t *doc;

	if (fuzz_agent.opt == NULL)
		fuzz_setup();
	/* the start's body as the route reads it, its "Network" member; a
	 * connect's body, the same checks with one network and its Index */
	if ((doc = json_parse((const char *)data, size, &err)) == NULL) {
		sdc_error_release(&err);
		return 0;
	}
	fuzz_check(doc, false);
	fuzz_check(doc, true);
	fuzz_disconnect(doc);
	fuzz_rename(doc);
	json_decref(doc);
	return 0;
}
