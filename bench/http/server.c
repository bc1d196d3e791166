/*
 * sdc-http-bench: the bare HTTP server of lib/http*.c answering every
 * request with the same small JSON body, for bench/http/run to measure
 * against dockerd's /_ping.  No router, no store, no logging on the way:
 * what is measured is the connection, parser and response layers.
 *
 *     sdc-http-bench [HOST:PORT]      (default 127.0.0.1:2375)
 *
 * SIGTERM or SIGINT shuts it down gracefully.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "http.h"
#include "log.h"

static const char bench_body[] =
    "{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.20\",\"Os\":\"linux\"}";

static int
bench_handle(struct http_request *req, void *arg)
{
	http_reply(req, 200, "application/json", bench_body,
	    sizeof bench_body - 1);
	return HTTP_DONE;
}

static struct {
	struct event_base *base;
	struct http_server *srv;
} bench;

static void
bench_done(void *arg)
{
	event_base_loopexit(bench.base, NULL);
}

static void
bench_signal(evutil_socket_t sig, short what, void *arg)
{
	http_server_shutdown(bench.srv, 2, bench_done, NULL);
}

int
main(int argc, char **argv)
{
	const char *addr = argc > 1 ? argv[1] : "127.0.0.1:2375";
	struct http_server_options opts = { .server_header = "sdc-http-bench" };
	struct event_base *base;
	struct http_server *srv;
	struct event *sigterm, *sigint;
	sdc_error_t err = NULL;

	/* info level: what the server says as it starts */
	log_init("sdc-http-bench", 2, LOG_INFO);
	base = event_base_new();
	srv = http_server_new(base, &opts);
	bench.base = base;
	bench.srv = srv;
	http_server_set_handler(srv, bench_handle, NULL);
	if (http_server_listen(srv, addr, NULL, 0, &err) < 0) {
		fprintf(stderr, "sdc-http-bench: %s\n", sdc_error_msg(err));
		sdc_error_release(&err);
		return 1;
	}
	sigterm = evsignal_new(base, SIGTERM, bench_signal, NULL);
	sigint = evsignal_new(base, SIGINT, bench_signal, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	event_base_dispatch(base);
	event_free(sigterm);
	event_free(sigint);
	http_server_free(srv);
	event_base_free(base);
	return 0;
}
