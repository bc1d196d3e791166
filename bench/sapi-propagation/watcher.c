/*
 * watcher.c: the consumer side of bench/sapi-propagation.
 *
 * Watches one instance the way a daemon does (libsapi's watch, fd
 * interface) and prints "<metadata.seq> <CLOCK_MONOTONIC ns>" the moment
 * each new config is taken, so the driver, on the same clock, can subtract
 * the time its PUT returned.  With --poll SECONDS it is instead the peer:
 * a client that re-reads the config every SECONDS, the way Triton's
 * config-agent did (every 60-180 s there).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsonutil.h"
#include "sapi-client/sapi.h"

static long long
watcher_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
watcher_print(const json_t *cfg)
{
	printf("%lld %lld\n", (long long)json_int(json_object_get(cfg,
	    "metadata"), "seq", -1), watcher_now());
	fflush(stdout);
}

static int
watcher_watch(const char *url, const char *uuid)
{
	struct sapi_watch_options o = {
		.url = url, .instance_uuid = uuid, .wait = 60,
	};
	sdc_error_t err = NULL;
	struct sapi_watch *w;
	struct pollfd pfd;
	json_t *cfg;

	if ((w = sapi_watch_start(&o, &err)) == NULL) {
		fprintf(stderr, "watcher: %s\n", sdc_error_msg(err));
		return 1;
	}
	pfd.fd = sapi_watch_fd(w);
	pfd.events = POLLIN;
	while (poll(&pfd, 1, -1) >= 0) {
		if ((cfg = sapi_watch_take(w, NULL, NULL)) == NULL)
			continue;
		watcher_print(cfg);
		json_decref(cfg);
	}
	sapi_watch_stop(w);
	return 0;
}

static int
watcher_poll(const char *url, const char *uuid, double every)
{
	sdc_error_t err = NULL;
	struct sapi_client *c;
	json_t *cfg;
	char *etag = NULL, *next;
	int rc;

	if ((c = sapi_client_new(url, &err)) == NULL) {
		fprintf(stderr, "watcher: %s\n", sdc_error_msg(err));
		return 1;
	}
	for (;;) {
		rc = sapi_client_config(c, uuid, etag, 0, &cfg, &next, &err);
		if (rc < 0) {
			fprintf(stderr, "watcher: %s\n", sdc_error_msg(err));
			sdc_error_release(&err);
		} else if (rc == 1) {
			watcher_print(cfg);
			json_decref(cfg);
			free(etag);
			etag = next;
		}
		usleep((useconds_t)(every * 1e6));
	}
}

int
main(int argc, char **argv)
{
	if (argc == 3)
		return watcher_watch(argv[1], argv[2]);
	if (argc == 5 && strcmp(argv[3], "--poll") == 0)
		return watcher_poll(argv[1], argv[2], atof(argv[4]));
	fprintf(stderr, "usage: watcher URL INSTANCE_UUID [--poll SECONDS]\n");
	return 2;
}
