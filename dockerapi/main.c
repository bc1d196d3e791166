/*
 * main.c: dockerapi, the Docker endpoint daemon.
 *
 * Reads top to bottom: settings, logging, the file descriptor limit, the
 * store, the tunables (so the first request already sees them), TLS, the
 * three listeners and their limits, signals, then the loop until SIGTERM
 * or SIGINT, which let requests in flight finish before the process exits.
 *
 * The soft limit on open files is raised to the hard one: every client
 * connection, followed log and running container's monitor socket is a
 * descriptor, and the usual soft limit of 1024 would be the real cap.
 * limits.c keeps the connection caps below it (see there and the systemd
 * unit's LimitNOFILE).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "build.h"
#include "certgen/certgen.h"
#include "dockerapi.h"
#include "fsutil.h"
#include "heads.h"
#include "log.h"
#include "nodes.h"
#include "volumes.h"
#include "xalloc.h"

static const char usage[] =
"usage: dockerapi [-f CONFIG.yaml] [options]\n"
"\n"
"The Docker Remote API endpoint of an sdc-docker data center.\n"
"With no options it serves on loopback, keeping its data under var/dockerapi\n"
"(or $XDG_STATE_HOME/sdc-docker/dockerapi).\n"
"\n"
"  -f, --config FILE         read settings from a YAML file\n"
"      --listen ADDR         Docker API (default 127.0.0.1:2376, or :2375\n"
"                            when USE_TLS is false)\n"
"      --cloudapi-listen ADDR  CloudAPI subset (default 127.0.0.1:8443)\n"
"      --admin-socket PATH   operators' API (default DATA/admin.sock, or\n"
"                            $DOCKERAPI_ADMIN)\n"
"      --data-dir DIR        where the store, TLS files and caches live\n"
"      --store WHERE         the store: a SQLite file (default\n"
"                            DATA/dockerapi.db) or a postgresql:// URI\n"
"      --sapi-url URL        the config service: unix:PATH or https://HOST:PORT\n"
"                            (default $SAPI_URL, else sapi's own default\n"
"                            socket, DATA/sapi.sock of sapi)\n"
"      --sapi-cert-path DIR  for https: the operator's cert.pem, key.pem and\n"
"                            ca.pem (default $SAPI_CERT_PATH)\n"
"      --zones DIR           container folders (default /zones)\n"
"      --agent-url URL       this machine's node agent, https://HOST:PORT\n"
"                            (containers record its node; default none)\n"
"      --agent-cert-path DIR the head's cert.pem, key.pem and ca.pem for it\n"
"      --log-level LEVEL     trace, debug, info, warn, error\n"
"  -h, --help                this text\n"
"  -V, --version             the version\n"
"\n"
"ADDR is HOST:PORT, [V6]:PORT or unix:PATH.  See dockerapi(8) and\n"
"sdc-docker-config(5).\n";

enum {
	OPT_LISTEN = 256, OPT_CLOUDAPI, OPT_ADMIN, OPT_DATA, OPT_SAPI, OPT_ZONES,
	OPT_LOGLEVEL, OPT_SAPI_CERTS, OPT_STORE, OPT_AGENT, OPT_AGENT_CERTS,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "cloudapi-listen", required_argument, NULL, OPT_CLOUDAPI },
	{ "admin-socket", required_argument, NULL, OPT_ADMIN },
	{ "data-dir", required_argument, NULL, OPT_DATA },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "sapi-url", required_argument, NULL, OPT_SAPI },
	{ "sapi-cert-path", required_argument, NULL, OPT_SAPI_CERTS },
	{ "zones", required_argument, NULL, OPT_ZONES },
	{ "agent-url", required_argument, NULL, OPT_AGENT },
	{ "agent-cert-path", required_argument, NULL, OPT_AGENT_CERTS },
	{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* Defaults, then the file, then flags: the flags are read twice so that
 * -f is known before the others are applied over it. */
static int
parse_args(int argc, char **argv, struct dockerapi_config *cfg, sdc_error_t *err)
{
	const char *file = NULL;
	int c, level;

	while ((c = getopt_long(argc, argv, "f:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'h': fputs(usage, stdout); exit(0);
		case 'V': printf("dockerapi %s\n", SDC_VERSION); exit(0);
		case '?': return sdc_make_error(err, 0, "see dockerapi --help");
		default: break;
		}
	}
	if (optind < argc)
		return sdc_make_error(err, 0, "unexpected argument \"%s\"; see "
		    "dockerapi --help", argv[optind]);
	config_defaults(cfg);
	if (file != NULL && config_load(cfg, file, err) < 0)
		return -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:hV", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN: set(&cfg->listen, optarg); break;
		case OPT_CLOUDAPI: set(&cfg->cloudapi_listen, optarg); break;
		case OPT_ADMIN: set(&cfg->admin_socket, optarg); break;
		case OPT_DATA: set(&cfg->data_dir, optarg); break;
		case OPT_STORE: set(&cfg->store, optarg); break;
		case OPT_SAPI: set(&cfg->sapi_url, optarg); break;
		case OPT_SAPI_CERTS: set(&cfg->sapi_cert_path, optarg); break;
		case OPT_ZONES: set(&cfg->zones, optarg); break;
		case OPT_AGENT: set(&cfg->agent_url, optarg); break;
		case OPT_AGENT_CERTS: set(&cfg->agent_cert_path, optarg); break;
		case OPT_LOGLEVEL:
			if ((level = log_level_parse(optarg)) < 0)
				return sdc_make_error(err, 0, "--log-level: unknown "
				    "level \"%s\"", optarg);
			cfg->log_level = level;
			break;
		default: break;
		}
	}
	if (*cfg->admin_socket == '\0') {
		const char *env = getenv("DOCKERAPI_ADMIN");

		free(cfg->admin_socket);
		if (env != NULL && *env != '\0')
			cfg->admin_socket = xstrdup(env);
		else
			xasprintf(&cfg->admin_socket, "%s/admin.sock", cfg->data_dir);
	}
	return 0;
}

static int
open_store(struct dockerapi *d, sdc_error_t *err)
{
	char *path;
	int rc;

	if (mkdir_p(d->cfg.data_dir, 0700, err) < 0 ||
	    dir_private(d->cfg.data_dir, err) < 0)
		return -1;
	/* absolute from here on: paths under it reach runc's hooks and the
	 * node's agent, which run in other folders (the default is
	 * var/dockerapi, relative to where the daemon was started) */
	if ((path = realpath(d->cfg.data_dir, NULL)) == NULL)
		return sdc_make_error(err, errno, "data dir %s", d->cfg.data_dir);
	free(d->cfg.data_dir);
	d->cfg.data_dir = path;
	if (d->cfg.store != NULL && *d->cfg.store != '\0')
		path = xstrdup(d->cfg.store);
	else
		xasprintf(&path, "%s/dockerapi.db", d->cfg.data_dir);
	rc = store_open(&d->store, path, err);
	free(path);
	if (rc < 0 || accounts_init(d, err) < 0)
		return -1;
	return 0;
}

static int
listen_on(struct dockerapi *d, struct http_server **srv, const char *name,
    const char *addr, SSL_CTX *tls, sdc_error_t *err)
{
	struct http_server_options opts = {
		.server_header = "sdc-docker/" SDC_VERSION " (linux)",
		.answer_plain_http = true,	/* as dockerd: the CLI shows it */
	};
	int idx;

	*srv = http_server_new(d->base, &opts);
	idx = http_server_listen(*srv, addr, tls, 0600, err);
	if (idx < 0)
		return sdc_error_wrap(err, "%s listener", name);
	if (strncmp(addr, "unix:", 5) == 0)
		log_emit(LOG_INFO, NULL, NULL, "%s listening on %s", name, addr);
	else
		log_emit(LOG_INFO, NULL, NULL, "%s listening on %s (port %d%s)", name,
		    addr, http_server_port(*srv, idx), tls != NULL ? ", TLS" : "");
	return 0;
}

static int
start_listeners(struct dockerapi *d, sdc_error_t *err)
{
	char *admin;
	const char *docker = d->cfg.listen;
	int rc;

	if (*docker == '\0')
		docker = d->use_tls ? "127.0.0.1:2376" : "127.0.0.1:2375";
	xasprintf(&admin, "unix:%s", d->cfg.admin_socket);
	rc = listen_on(d, &d->docker_srv, "docker", docker,
	    d->use_tls ? d->tls : NULL, err);
	if (rc == 0)
		rc = listen_on(d, &d->cloudapi_srv, "cloudapi", d->cfg.cloudapi_listen,
		    d->tls, err);
	if (rc == 0)
		rc = listen_on(d, &d->admin_srv, "admin", admin, NULL, err);
	free(admin);
	if (rc < 0)
		return -1;
	if (api_init(d, err) < 0 || cloudapi_init(d, err) < 0 ||
	    admin_init(d, err) < 0 || limits_init(d, err) < 0)
		return -1;
	return 0;
}

/* Soft limit up to the hard one; the limit we end up with. */
static long
raise_fd_limit(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("file descriptors: getrlimit: %s", strerror(errno));
		return 0;
	}
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			log_warn("file descriptors: cannot raise the limit from "
			    "%llu to %llu: %s", (unsigned long long)was,
			    (unsigned long long)rl.rlim_max, strerror(errno));
			rl.rlim_cur = was;
		}
	}
	if (rl.rlim_cur != was)
		log_info("file descriptors: limit raised from %llu to %llu",
		    (unsigned long long)was, (unsigned long long)rl.rlim_cur);
	else
		log_info("file descriptors: limit %llu (the hard limit)",
		    (unsigned long long)rl.rlim_cur);
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)1 << 30)
		return 1L << 30;
	return (long)rl.rlim_cur;
}

/* --- shutdown: each server finishes what it has, then the loop ends --- */

static int servers_running;

static void
server_done(void *arg)
{
	struct dockerapi *d = arg;

	if (--servers_running == 0)
		event_base_loopexit(d->base, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct dockerapi *d = arg;

	if (servers_running > 0)
		return;         /* already shutting down */
	log_info("%s: finishing requests in flight, then exiting",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	servers_running = 3;
	http_server_shutdown(d->docker_srv, 10, server_done, d);
	http_server_shutdown(d->cloudapi_srv, 10, server_done, d);
	http_server_shutdown(d->admin_srv, 10, server_done, d);
}

static void
daemon_free(struct dockerapi *d)
{
	tunables_stop(d);
	if (d->docker_srv) http_server_free(d->docker_srv);
	if (d->cloudapi_srv) http_server_free(d->cloudapi_srv);
	if (d->admin_srv) http_server_free(d->admin_srv);
	if (d->docker_router) router_free(d->docker_router);
	api_unsupported_free();
	if (d->cloudapi_router) router_free(d->cloudapi_router);
	if (d->admin_router) router_free(d->admin_router);
	limits_free(d);
	SSL_CTX_free(d->tls);
	certgen_memo_free(d->cert_memo);
	free(d->ca_pem);
	heads_sync_free(d);
	quota_claims_free(d);
	containers_free(d);
	nodes_free(d);
	if (d->images) images_api_free(d);
	store_close(d->store);
	config_free(&d->cfg);
	if (d->base) event_base_free(d->base);
}

int
main(int argc, char **argv)
{
	struct dockerapi d = { 0 };
	struct event *sigterm = NULL, *sigint = NULL;
	sdc_error_t err = NULL;
	int status = 1;

	signal(SIGPIPE, SIG_IGN);
	log_init(DOCKERAPI_NAME, 2, LOG_INFO);
	if (parse_args(argc, argv, &d.cfg, &err) < 0) {
		fprintf(stderr, "dockerapi: %s\n", sdc_error_msg(err));
		sdc_error_release(&err);
		config_free(&d.cfg);
		return 2;
	}
	log_set_level(d.cfg.log_level);
	d.started = time(NULL);
	d.fd_limit = raise_fd_limit();
	d.base = event_base_new();
	if (open_store(&d, &err) < 0 || tunables_start(&d, &err) < 0 ||
	    images_api_init(&d, &err) < 0 || build_cache_init(&d, &err) < 0 ||
	    quota_init(&d, &err) < 0 || quota_claims_init(&d, &err) < 0 ||
	    volumes_init(&d, &err) < 0 || nodes_init(&d, &err) < 0 ||
	    heads_sync_init(&d, &err) < 0 || containers_init(&d, &err) < 0)
		goto out;
	heads_sync_start(&d);
	quota_claims_start(&d);
	d.use_tls = tunable_bool(&d, "USE_TLS", true);
	if (tls_setup(&d, &err) < 0 || start_listeners(&d, &err) < 0)
		goto out;
	sigterm = evsignal_new(d.base, SIGTERM, on_signal, &d);
	sigint = evsignal_new(d.base, SIGINT, on_signal, &d);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	/* serving from here: a store that does not answer must not hold
	 * every client; before, a connect lost in start-up is made again in
	 * place, as nothing is served yet and the loop does not run */
	store_connect_off_loop(d.store, d.base);
	log_info("dockerapi %s ready (tunables from %s)", SDC_VERSION, tunables_source(&d));
	event_base_dispatch(d.base);
	log_info("dockerapi stopped");
	status = 0;
out:
	if (err != NULL) {
		log_error("cannot start: %s", sdc_error_msg(err));
		fprintf(stderr, "dockerapi: %s\n", sdc_error_msg(err));
		sdc_error_release(&err);
	}
	if (sigterm) event_free(sigterm);
	if (sigint) event_free(sigint);
	daemon_free(&d);
	return status;
}
