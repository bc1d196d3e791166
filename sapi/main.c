/*
 * main.c: the sapi daemon: settings, store, bootstrap, server, signals.
 *
 * Everything of substance is in the modules (server.h); this file only
 * puts them together in order and takes them apart again.  SIGTERM and
 * SIGINT first answer the held long polls (304, so their clients simply
 * ask again, of the next sapi), then let the server finish what is in
 * flight, then leave the loop and exit 0.  A second signal exits at once.
 */
#include <event2/event.h>
#include <openssl/ssl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "server.h"
#include "xalloc.h"

struct sapi_main {
	struct sapi s;
	struct event *sigterm, *sigint;
	int signals;
};

static void
sapi_main_usage(FILE *f)
{
	fprintf(f,
	    "usage: sapi [-f sapi.yaml] [--listen unix:PATH|HOST:PORT]\n"
	    "            [--tls-cert FILE --tls-key FILE --tls-client-ca FILE]\n"
	    "            [--data-dir DIR] [--store postgresql://...]\n"
	    "            [--bootstrap FILE] [--log-level LEVEL]\n"
	    "       sapi --help | --version\n"
	    "The config service: applications, services, instances, manifests\n"
	    "and merged configs over HTTP.  Default: the unix socket\n"
	    "DATA_DIR/sapi.sock (0600); TCP only with mutual TLS.  See sapi(8).\n");
}

static int
sapi_main_args(int argc, char **argv, struct sapi_options *o, sdc_error_t *err)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "tls-client-ca", required_argument, NULL, 'a' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 's' },
		{ "bootstrap", required_argument, NULL, 'b' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *file = NULL;
	int c, level;

	/* The file first, so flags override it wherever they stand. */
	while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		if (c == 'f')
			file = optarg;
		else if (c == 'h') {
			sapi_main_usage(stdout);
			exit(0);
		} else if (c == 'V') {
			printf("sapi %s\n", SDC_VERSION);
			exit(0);
		} else if (c == '?') {
			sapi_main_usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		sapi_main_usage(stderr);
		exit(2);
	}
	if (sapi_options_load(o, file, err) < 0)
		return -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			free(o->listen);
			o->listen = xstrdup(optarg);
			break;
		case 'c':
			free(o->tls_cert);
			o->tls_cert = xstrdup(optarg);
			break;
		case 'k':
			free(o->tls_key);
			o->tls_key = xstrdup(optarg);
			break;
		case 'a':
			free(o->tls_client_ca);
			o->tls_client_ca = xstrdup(optarg);
			break;
		case 'd':
			free(o->data_dir);
			o->data_dir = xstrdup(optarg);
			break;
		case 's':
			free(o->store);
			o->store = xstrdup(optarg);
			break;
		case 'b':
			free(o->bootstrap);
			o->bootstrap = xstrdup(optarg);
			o->bootstrap_given = true;
			break;
		case 'L':
			if ((level = log_level_parse(optarg)) < 0)
				return sdc_make_error(err, 0,
				    "unknown log level \"%s\"", optarg);
			o->log_level = level;
			break;
		}
	}
	return sapi_options_finish(o, err);
}

static int
sapi_main_bootstrap(struct sapi *s, const struct sapi_options *o,
    sdc_error_t *err)
{
	bool empty;

	if (sapi_model_is_empty(s->model, &empty, err) < 0)
		return -1;
	if (!empty)
		return 0;
	if (o->bootstrap == NULL || (!o->bootstrap_given &&
	    access(o->bootstrap, R_OK) < 0)) {
		log_warn("empty store and no bootstrap file (%s): starting "
		    "with no objects", o->bootstrap != NULL ? o->bootstrap : "-");
		return 0;
	}
	if (sapi_bootstrap_load(s, o->bootstrap, err) < 0)
		return sdc_error_wrap(err, "the bootstrap");
	return 0;
}

static void
sapi_main_stopped(void *arg)
{
	struct sapi_main *m = arg;

	event_base_loopexit(m->s.base, NULL);
}

static void
sapi_main_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sapi_main *m = arg;

	if (m->signals++ > 0) {
		log_warn("second signal: exiting now");
		event_base_loopbreak(m->s.base);
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	sapi_commit_flush(&m->s);
	sapi_configs_flush(&m->s);
	http_server_shutdown(m->s.http, 5, sapi_main_stopped, m);
}

static int
sapi_main_serve(struct sapi_main *m, const struct sapi_options *o,
    sdc_error_t *err)
{
	struct http_server_options hopts = {
		.max_body_bytes = o->max_body,
		.server_header = "sapi/" SDC_VERSION,
	};
	struct sapi *s = &m->s;
	SSL_CTX *tls = NULL;
	int l;

	if (o->tls_cert != NULL && (tls = sapi_tls_context(o, err)) == NULL)
		return -1;
	s->http = http_server_new(s->base, &hopts);
	http_server_set_handler(s->http, sapi_dispatch, s);
	l = http_server_listen(s->http, o->listen, tls, 0600, err);
	SSL_CTX_free(tls);              /* the listener holds its own ref */
	if (l < 0)
		return sdc_error_wrap(err, "listening on %s", o->listen);
	if (strncmp(o->listen, "unix:", 5) == 0)
		log_info("listening on %s", o->listen);
	else
		log_info("listening on %s (port %d, mutual TLS)", o->listen,
		    http_server_port(s->http, l));
	m->sigterm = evsignal_new(s->base, SIGTERM, sapi_main_signal, m);
	m->sigint = evsignal_new(s->base, SIGINT, sapi_main_signal, m);
	event_add(m->sigterm, NULL);
	event_add(m->sigint, NULL);
	event_base_dispatch(s->base);
	return 0;
}

static void
sapi_main_free(struct sapi_main *m)
{
	if (m->sigterm != NULL)
		event_free(m->sigterm);
	if (m->sigint != NULL)
		event_free(m->sigint);
	sapi_commit_free(m->s.commit);     /* answers what it still holds */
	if (m->s.http != NULL)
		http_server_free(m->s.http);
	sapi_notify_free(m->s.notify);
	sapi_waiters_free(m->s.waiters);
	if (m->s.router != NULL)
		router_free(m->s.router);
	sapi_model_close(m->s.model);
	if (m->s.base != NULL)
		event_base_free(m->s.base);
}

int
main(int argc, char **argv)
{
	struct sapi_options o;
	struct sapi_main m;
	sdc_error_t err = NULL;
	int rc = 1;

	memset(&m, 0, sizeof m);
	memset(&o, 0, sizeof o);
	signal(SIGPIPE, SIG_IGN);
	log_init("sapi", 2, LOG_INFO);
	if (sapi_main_args(argc, argv, &o, &err) < 0)
		goto out;
	log_set_level(o.log_level);
	m.s.max_wait = o.max_wait;
	m.s.waiters = sapi_waiters_new();
	if (mkdir_p(o.data_dir, 0700, &err) < 0 ||
	    dir_private(o.data_dir, &err) < 0 ||
	    (o.store != NULL && *o.store != '\0' ?
	    sapi_model_open_at(&m.s.model, o.store, &err) :
	    sapi_model_open(&m.s.model, o.data_dir, &err)) < 0 ||
	    sapi_main_bootstrap(&m.s, &o, &err) < 0)
		goto out;
	if (o.store != NULL && *o.store != '\0')
		log_info("data in %s (%s)", o.data_dir, sapi_model_backend(m.s.model));
	else
		log_info("data in %s/sapi.db", o.data_dir);
	m.s.base = event_base_new();
	/* serving: a store that does not answer must not hold /ping */
	sapi_model_connect_off_loop(m.s.model, m.s.base);
	m.s.commit = sapi_commit_new(&m.s);
	if ((m.s.notify = sapi_notify_start(&m.s, o.store, &err)) == NULL &&
	    err != NULL)
		goto out;
	sapi_dispatch_init(&m.s);
	if (sapi_main_serve(&m, &o, &err) < 0)
		goto out;
	log_info("stopped");
	rc = 0;
out:
	if (err != NULL)
		log_error("%s", sdc_error_msg(err));
	sdc_error_release(&err);
	sapi_main_free(&m);
	sapi_options_free(&o);
	return rc;
}
