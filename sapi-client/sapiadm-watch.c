/*
 * sapiadm-watch.c: `sapiadm watch UUID|NAME`: print an instance's config
 * now and each time it changes, until interrupted (or -n N configs).
 *
 * It uses libsapi's watch exactly as a daemon would, through the fd
 * interface: poll() on the watch's fd, take the newest config, print it.
 * Connection trouble is reported on stderr and retried, never fatal, so the
 * command survives a restart of the service.  --cache FILE keeps the last
 * config as a daemon would, and prints it first, even with the service
 * down.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ids.h"
#include "sapiadm.h"

static volatile sig_atomic_t sapiadm_watch_stop;

static void
sapiadm_watch_signal(int sig)
{
	sapiadm_watch_stop = 1;
}

static void
sapiadm_watch_error(const struct sdc_error *err, void *arg)
{
	fprintf(stderr, "sapiadm: %s (retrying)\n", sdc_error_msg(
	    (sdc_error_t)err));
}

static int
sapiadm_watch(struct sapiadm *a, int argc, char **argv)
{
	struct sapi_watch_options o = {
		.url = a->url,
		.cert_path = a->cert_path,
		.wait = a->wait,
		.cache_path = a->cache,
		.backoff_max = 2,
		.on_error = sapiadm_watch_error,
	};
	struct sigaction sa;
	struct sapi_watch *w;
	struct pollfd pfd;
	sdc_error_t err = NULL;
	json_t *cfg;
	long seen = 0;

	if (argc != 1)
		return SAPIADM_USAGE;
	if (uuid_valid(argv[0]))
		o.instance_uuid = argv[0];
	else
		o.instance_name = argv[0];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sapiadm_watch_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((w = sapi_watch_start(&o, &err)) == NULL)
		return sapiadm_fail(&err);
	pfd.fd = sapi_watch_fd(w);
	pfd.events = POLLIN;
	while (!sapiadm_watch_stop && (a->count == 0 || seen < a->count)) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		if ((cfg = sapi_watch_take(w, NULL, NULL)) == NULL)
			continue;
		sapiadm_print(a, cfg);
		json_decref(cfg);
		seen++;
	}
	sapi_watch_stop(w);
	return SAPIADM_OK;
}

const struct sapiadm_cmd sapiadm_watch_cmd = {
	"watch", "UUID|NAME [-n COUNT] [--wait SECONDS] [--cache FILE]",
	"print the instance's merged config now and at each change",
	sapiadm_watch
};
