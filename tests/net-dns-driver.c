/*
 * net-dns-driver.c: the names part of libsdcnet (net_dns_set and the
 * sweep, ensure and stop calls) from the shell, for the integration tests;
 * built beside the unit tests, never installed.  Each call is one process,
 * as each daemon restart would be, so the tests also try finding the
 * running aardvark-dns again through its pid file.
 *
 *   net-dns-driver [-b BINARY] RUN_DIR set NETWORK_ID GATEWAY [ID=IP=NAME[,NAME...]...]
 *   net-dns-driver [-b BINARY] RUN_DIR remove NETWORK_ID
 *   net-dns-driver [-b BINARY] RUN_DIR sweep [NETWORK_ID...]
 *   net-dns-driver [-b BINARY] RUN_DIR ensure | stop
 *   net-dns-driver [-b BINARY] RUN_DIR bench NETWORK_ID GATEWAY ENTRIES ROUNDS
 *
 * set prints "ok <CLOCK_MONOTONIC ns>" when the call returned, so a test
 * can time how long a new name takes to resolve; ensure prints what it
 * returned; bench prints the cost of one net_dns_set of ENTRIES entries,
 * of a changed table (written, server reloaded) and of an unchanged one.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dockerapi/net/net.h"
#include "xalloc.h"

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
fail(sdc_error_t *err)
{
	fprintf(stderr, "net-dns-driver: %s\n", sdc_error_msg(*err));
	sdc_error_release(err);
	return 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: net-dns-driver [-b BINARY] RUN_DIR "
	    "set|remove|sweep|ensure|stop|bench ...\n");
	return 2;
}

static int
parse_bridge(struct net_bridge *b, const char *id, const char *gw)
{
	memset(b, 0, sizeof *b);
	b->id = id;
	b->prefix = 24;
	if (inet_pton(AF_INET, gw, &b->gateway) != 1) {
		fprintf(stderr, "net-dns-driver: bad gateway %s\n", gw);
		return -1;
	}
	b->subnet.s_addr = b->gateway.s_addr & htonl(0xffffff00u);
	return 0;
}

/* ID=IP=NAME,NAME: the strings stay in arg (split in place). */
static int
parse_entry(struct net_dns_entry *e, char *arg)
{
	char *ip = strchr(arg, '='), *names, *s;
	const char **v;
	size_t n = 1;

	if (ip == NULL || (names = strchr(ip + 1, '=')) == NULL) {
		fprintf(stderr, "net-dns-driver: entry %s is not ID=IP=NAMES\n", arg);
		return -1;
	}
	*ip++ = '\0';
	*names++ = '\0';
	e->container_id = arg;
	if (inet_pton(AF_INET, ip, &e->ip) != 1) {
		fprintf(stderr, "net-dns-driver: bad address %s\n", ip);
		return -1;
	}
	for (s = names; *s != '\0'; s++)
		n += *s == ',';
	v = xcalloc(n + 1, sizeof *v);
	n = 0;
	for (s = strtok(names, ","); s != NULL; s = strtok(NULL, ","))
		v[n++] = s;
	e->names = v;
	return 0;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Time rounds calls of net_dns_set; print the median, mean and max. */
static int
bench_rounds(const struct net_config *cfg, const struct net_bridge *b,
    struct net_dns_entry *e, int n, int rounds, char *round_name,
    const char *what)
{
	long long *t = xcalloc((size_t)rounds, sizeof *t), t0, sum = 0;
	sdc_error_t err = NULL;
	int i;

	for (i = 0; i < rounds; i++) {
		if (round_name != NULL)
			snprintf(round_name, 32, "round-%d", i);
		t0 = now_ns();
		if (net_dns_set(cfg, b, e, (size_t)n, &err) < 0) {
			free(t);
			return fail(&err);
		}
		t[i] = now_ns() - t0;
		sum += t[i];
	}
	qsort(t, (size_t)rounds, sizeof *t, cmp_ll);
	printf("net_dns_set, %d entries, %s: median %.1f us, mean %.1f us, "
	    "max %.1f us over %d calls\n", n, what, t[rounds / 2] / 1e3,
	    sum / 1e3 / rounds, t[rounds - 1] / 1e3, rounds);
	free(t);
	return 0;
}

/* ENTRIES containers bench-<i> at subnet+2+i; each round renames the first
 * one's alias, so that every call writes the table and reloads the server,
 * then the same table again (nothing to do). */
static int
bench(const struct net_config *cfg, const struct net_bridge *b, int n, int rounds)
{
	struct net_dns_entry *e = xcalloc((size_t)n, sizeof *e);
	const char ***names = xcalloc((size_t)n, sizeof *names);
	sdc_error_t err = NULL;
	char round_name[32] = "round-start";
	int i, rc = 0;

	for (i = 0; i < n; i++) {
		char *id, *name, *shortid;

		xasprintf(&id, "%064x", i + 1);
		xasprintf(&name, "bench-%d", i);
		xasprintf(&shortid, "%.12s", id);
		names[i] = xcalloc(4, sizeof **names);
		names[i][0] = name;
		names[i][1] = shortid;
		e[i].container_id = id;
		e[i].ip.s_addr = htonl(ntohl(b->subnet.s_addr) + 2 + (unsigned)i);
		e[i].names = names[i];
	}
	names[0][2] = round_name;
	if (net_dns_set(cfg, b, e, (size_t)n, &err) < 0)
		rc = fail(&err);
	else if (bench_rounds(cfg, b, e, n, rounds, round_name, "changed") != 0 ||
	    bench_rounds(cfg, b, e, n, rounds, NULL, "unchanged") != 0)
		rc = 1;
	for (i = 0; i < n; i++) {
		free((void *)e[i].container_id);
		free((void *)names[i][0]);
		free((void *)names[i][1]);
		free(names[i]);
	}
	free(names);
	free(e);
	return rc;
}

int
main(int argc, char **argv)
{
	struct net_config cfg = { NULL, NULL };
	struct net_bridge b;
	sdc_error_t err = NULL;
	const char *cmd;
	int opt, i, rc;

	while ((opt = getopt(argc, argv, "+b:")) != -1) {
		if (opt != 'b')
			return usage();
		cfg.dns_binary = optarg;
	}
	if (argc - optind < 2)
		return usage();
	cfg.run_dir = argv[optind];
	cmd = argv[optind + 1];
	argv += optind + 2;
	argc -= optind + 2;

	if (strcmp(cmd, "set") == 0 && argc >= 2) {
		struct net_dns_entry *e = xcalloc((size_t)argc, sizeof *e);

		if (parse_bridge(&b, argv[0], argv[1]) < 0)
			return 2;
		for (i = 2; i < argc; i++)
			if (parse_entry(&e[i - 2], argv[i]) < 0)
				return 2;
		rc = net_dns_set(&cfg, &b, e, (size_t)argc - 2, &err);
		for (i = 0; i < argc - 2; i++)
			free((void *)e[i].names);
		free(e);
		if (rc < 0)
			return fail(&err);
		printf("ok %lld\n", now_ns());
		return 0;
	}
	if (strcmp(cmd, "remove") == 0 && argc == 1) {
		if (net_dns_remove(&cfg, argv[0], &err) < 0)
			return fail(&err);
		return 0;
	}
	if (strcmp(cmd, "sweep") == 0) {
		const char **ids = xcalloc((size_t)argc + 1, sizeof *ids);

		for (i = 0; i < argc; i++)
			ids[i] = argv[i];
		rc = net_dns_sweep(&cfg, ids, &err);
		free(ids);
		return rc < 0 ? fail(&err) : 0;
	}
	if (strcmp(cmd, "ensure") == 0 && argc == 0) {
		if ((rc = net_dns_ensure(&cfg, &err)) < 0)
			return fail(&err);
		printf("%s\n", rc == 1 ? "started" : "unchanged");
		return 0;
	}
	if (strcmp(cmd, "stop") == 0 && argc == 0) {
		net_dns_stop(&cfg);
		return 0;
	}
	if (strcmp(cmd, "bench") == 0 && argc == 4) {
		if (parse_bridge(&b, argv[0], argv[1]) < 0)
			return 2;
		if (atoi(argv[2]) < 1 || atoi(argv[3]) < 1)
			return usage();
		return bench(&cfg, &b, atoi(argv[2]), atoi(argv[3]));
	}
	return usage();
}
