/*
 * main.c: sdc-docker-agent, the daemon on each compute node.
 *
 * Reads top to bottom: settings (defaults, -f FILE, flags), logging, the
 * node's id from its data dir, the store (the nodes table brought up to
 * date), the mutual-TLS listener, the registration and its heartbeat,
 * the node's networks across nodes kept to the store (netsync.c), then
 * the loop until SIGTERM or SIGINT, which mark the node stopped in
 * the store and let requests in flight finish.  A second signal exits at
 * once.  Once the loop serves, the store connects again on a thread
 * (store_connect_off_loop): a PostgreSQL host that drops packets fails a
 * heartbeat at once instead of holding the node's API connect_timeout.
 */
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "fsutil.h"
#include "http.h"
#include "log.h"
#include "router.h"
#include "store.h"
#include "tls-mutual.h"
#include "xalloc.h"

static const char usage[] =
"usage: sdc-docker-agent [-f agent.yaml] [options]\n"
"\n"
"The node agent of an sdc-docker data center: registers this compute node\n"
"in the store, heartbeats it, and serves the heads over mutual TLS.\n"
"\n"
"  -f, --config FILE           read settings from a YAML file\n"
"      --listen HOST:PORT      the API (default 127.0.0.1:2380)\n"
"      --address HOST:PORT     how heads reach it (default: --listen)\n"
"      --tls-cert FILE         the node's certificate (DATA/tls/node-cert.pem)\n"
"      --tls-key FILE          its key (DATA/tls/node-key.pem)\n"
"      --tls-client-ca FILE    the operator's CA (DATA/tls/ca.pem)\n"
"      --data-dir DIR          the node id and the node's own files\n"
"      --store WHERE           a SQLite file (default: the head's\n"
"                              var/dockerapi/dockerapi.db) or postgresql://...\n"
"      --zones DIR             the node's zones root (default /zones)\n"
"      --images DIR            the layer store (default: the head's)\n"
"      --volumes DIR           the volumes' root (default: the head's)\n"
"      --net-dir DIR           the network plumbing's (default: the head's)\n"
"      --runtime NAME          the OCI runtime (default runc)\n"
"      --hostname NAME         the node's name (default: this host's)\n"
"      --heartbeat-interval S  seconds between heartbeats (default 5)\n"
"      --vtep ADDRESS          the node's IPv4 address for VXLAN between\n"
"                              nodes (default: --address's)\n"
"      --netsync-interval S    seconds between passes over the store's\n"
"                              networks (default 5)\n"
"      --layer-idle S          seconds a layer sent to this node and used by\n"
"                              no container is kept (default 86400; 0: always)\n"
"      --orphan-grace S        seconds before a never-started container no\n"
"                              head recorded is removed (default 60)\n"
"      --exec-keep S           seconds a finished exec's folder is kept\n"
"                              (default 3600)\n"
"      --log-level LEVEL       trace, debug, info, warn, error\n"
"  -h, --help                  this text\n"
"  -V, --version               the version\n"
"\n"
"See sdc-docker-agent(8).\n";

enum {
	OPT_INTERVAL = 256, OPT_LOGLEVEL, OPT_VTEP, OPT_NETSYNC, OPT_LAYER_IDLE,
	OPT_ORPHAN_GRACE, OPT_EXEC_KEEP,
};

/* Flags that set a string setting carry its key in the file. */
static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "listen", required_argument, NULL, 'l' },
	{ "address", required_argument, NULL, 'a' },
	{ "tls-cert", required_argument, NULL, 'c' },
	{ "tls-key", required_argument, NULL, 'k' },
	{ "tls-client-ca", required_argument, NULL, 'C' },
	{ "data-dir", required_argument, NULL, 'd' },
	{ "store", required_argument, NULL, 's' },
	{ "zones", required_argument, NULL, 'z' },
	{ "images", required_argument, NULL, 'i' },
	{ "volumes", required_argument, NULL, 'v' },
	{ "net-dir", required_argument, NULL, 'N' },
	{ "runtime", required_argument, NULL, 'r' },
	{ "hostname", required_argument, NULL, 'n' },
	{ "heartbeat-interval", required_argument, NULL, OPT_INTERVAL },
	{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
	{ "vtep", required_argument, NULL, OPT_VTEP },
	{ "netsync-interval", required_argument, NULL, OPT_NETSYNC },
	{ "layer-idle", required_argument, NULL, OPT_LAYER_IDLE },
	{ "orphan-grace", required_argument, NULL, OPT_ORPHAN_GRACE },
	{ "exec-keep", required_argument, NULL, OPT_EXEC_KEEP },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const struct { int opt; const char *key; } flag_keys[] = {
	{ 'l', "listen" }, { 'a', "address" }, { 'c', "tls_cert" },
	{ 'k', "tls_key" }, { 'C', "tls_client_ca" }, { 'd', "data_dir" },
	{ 's', "store" }, { 'z', "zones" }, { 'r', "runtime" },
	{ 'n', "hostname" }, { 'i', "images" }, { 'v', "volumes" },
	{ 'N', "net_dir" }, { OPT_VTEP, "vtep" },
};

/* The file first, so flags override it wherever they stand. */
static int
parse_args(int argc, char **argv, struct agent_options *o, sdc_error_t *err)
{
	const char *file = NULL;
	int c, level;

	while ((c = getopt_long(argc, argv, "f:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'h': fputs(usage, stdout); exit(0);
		case 'V': printf("sdc-docker-agent %s\n", SDC_VERSION); exit(0);
		case '?': return sdc_make_error(err, 0, "see sdc-docker-agent --help");
		default: break;
		}
	}
	if (optind < argc)
		return sdc_make_error(err, 0, "unexpected argument \"%s\"; see "
		    "sdc-docker-agent --help", argv[optind]);
	if (agent_options_load(o, file, err) < 0)
		return -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:hV", long_options, NULL)) != -1) {
		for (size_t i = 0; i < sizeof flag_keys / sizeof flag_keys[0]; i++)
			if (flag_keys[i].opt == c)
				agent_options_flag(o, flag_keys[i].key, optarg);
		if (c == OPT_INTERVAL &&
		    agent_options_interval(o, optarg, err) < 0)
			return -1;
		if (c == OPT_NETSYNC &&
		    agent_options_netsync_interval(o, optarg, err) < 0)
			return -1;
		if (c == OPT_LAYER_IDLE &&
		    agent_options_layer_idle(o, optarg, err) < 0)
			return -1;
		if (c == OPT_ORPHAN_GRACE &&
		    agent_options_orphan_grace(o, optarg, err) < 0)
			return -1;
		if (c == OPT_EXEC_KEEP &&
		    agent_options_exec_keep(o, optarg, err) < 0)
			return -1;
		if (c == OPT_LOGLEVEL) {
			if ((level = log_level_parse(optarg)) < 0)
				return sdc_make_error(err, 0, "--log-level: "
				    "unknown level \"%s\"", optarg);
			o->log_level = level;
		}
	}
	return agent_options_finish(o, err);
}

static int
open_store(struct agent *a, sdc_error_t *err)
{
	if (mkdir_p(a->opt->data_dir, 0700, err) < 0 ||
	    dir_private(a->opt->data_dir, err) < 0 ||
	    agent_node_id(a->opt->data_dir, a->self.id, err) < 0)
		return -1;
	if (store_open(&a->store, a->opt->store, err) < 0)
		return sdc_error_wrap(err, "the store %s", a->opt->store);
	if (nodes_table_migrate(a->store, err) < 0)
		return sdc_error_wrap(err, "the nodes table");
	return 0;
}

/* The API; the address heads use is the one listened on, its port as
 * bound (port 0 picks one), unless --address names another. */
static int
listen_api(struct agent *a, sdc_error_t *err)
{
	struct http_server_options hopts = {
		.server_header = "sdc-docker-agent/" SDC_VERSION,
	};
	struct agent_options *o = a->opt;
	SSL_CTX *tls;
	char *colon;
	int l;

	if ((tls = tls_mutual_server(o->tls_cert, o->tls_key, o->tls_client_ca,
	    "sdc-docker-agent", err)) == NULL)
		return sdc_error_wrap(err, "the node's TLS files (make them "
		    "with sdc-docker-certgen node)");
	a->http = http_server_new(a->base, &hopts);
	agent_api_init(a);
	l = http_server_listen(a->http, o->listen, tls, 0600, err);
	SSL_CTX_free(tls);              /* the listener holds its own ref */
	if (l < 0)
		return sdc_error_wrap(err, "listening on %s", o->listen);
	if (o->address == NULL) {
		colon = strrchr(o->listen, ':');
		xasprintf(&o->address, "%.*s:%d", (int)(colon - o->listen),
		    o->listen, http_server_port(a->http, l));
		/* every address of the machine is none a head can dial */
		if (strncmp(o->address, "0.0.0.0:", 8) == 0 ||
		    strncmp(o->address, "[::]:", 5) == 0 || *o->address == ':')
			return sdc_make_error(err, 0, "listening on %s: say with "
			    "--address (address:) how heads reach this node",
			    o->listen);
	}
	log_info("listening on %s (mutual TLS; heads reach it at %s)",
	    o->listen, o->address);
	return 0;
}

static int signals;

static void
stopped(void *arg)
{
	event_base_loopexit(((struct agent *)arg)->base, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;

	if (signals++ > 0) {
		log_warn("second signal: exiting now");
		event_base_loopbreak(a->base);
		return;
	}
	log_info("signal %d: the node leaves, then the agent exits", (int)sig);
	agent_netsync_stop(a);
	agent_net_stop(a);
	agent_heartbeat_stop(a);
	http_server_shutdown(a->http, 5, stopped, a);
}

int
main(int argc, char **argv)
{
	struct agent_options o;
	struct agent a;
	struct event *sigterm = NULL, *sigint = NULL;
	sdc_error_t err = NULL;
	int rc = 1;

	memset(&a, 0, sizeof a);
	memset(&o, 0, sizeof o);
	a.opt = &o;
	signal(SIGPIPE, SIG_IGN);
	log_init("sdc-docker-agent", 2, LOG_INFO);
	if (parse_args(argc, argv, &o, &err) < 0) {
		fprintf(stderr, "sdc-docker-agent: %s\n", sdc_error_msg(err));
		sdc_error_release(&err);
		agent_options_free(&o);
		return 2;
	}
	log_set_level(o.log_level);
	a.rt.zones = o.zones;
	if (strcmp(o.runtime, "runc") != 0)
		a.rt.runtime = o.runtime;
	a.base = event_base_new();
	if (open_store(&a, &err) < 0)
		goto out;
	agent_create_recover(&a);
	if (agent_layers_open(&a, &err) < 0 ||
	    listen_api(&a, &err) < 0 ||
	    agent_heartbeat_start(&a, &err) < 0 ||
	    agent_netsync_start(&a, &err) < 0 ||
	    agent_exits_start(&a, &err) < 0)
		goto out;
	agent_net_start(&a);
	sigterm = evsignal_new(a.base, SIGTERM, on_signal, &a);
	sigint = evsignal_new(a.base, SIGINT, on_signal, &a);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	agent_layers_sweep_start(&a);
	agent_orphans_sweep_start(&a);
	agent_execs_sweep_start(&a);
	/* serving: a store that does not answer must not hold the API */
	store_connect_off_loop(a.store, a.base);
	log_info("sdc-docker-agent %s ready: node %s, store %s", SDC_VERSION,
	    a.self.id, store_backend(a.store));
	event_base_dispatch(a.base);
	log_info("stopped");
	rc = 0;
out:
	if (err != NULL) {
		log_error("cannot start: %s", sdc_error_msg(err));
		sdc_error_release(&err);
	}
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	agent_netsync_stop(&a);
	agent_net_stop(&a);
	agent_exits_stop(&a);
	agent_layers_sweep_stop(&a);
	agent_orphans_sweep_stop(&a);
	agent_execs_sweep_stop(&a);
	if (a.heartbeat != NULL)
		event_free(a.heartbeat);
	if (a.http != NULL)
		http_server_free(a.http);
	if (a.router != NULL)
		router_free(a.router);
	agent_layers_close(&a);
	node_clear(&a.self);
	store_close(a.store);
	if (a.base != NULL)
		event_base_free(a.base);
	agent_options_free(&o);
	return rc;
}
