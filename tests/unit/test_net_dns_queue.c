/*
 * test_net_dns_queue.c: the names queue (dockerapi/net/dns-queue.c) with
 * a stand-in for aardvark-dns that takes its time and fails: tables are
 * applied in the order queued, a table not begun is replaced by a newer
 * one, a start's wait sees the last one's result or its own deadline, a
 * table the format refuses is refused at once, a removal is applied, a
 * check of the servers queued behind a table waiting is folded into it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <cmocka.h>

#include "buf.h"
#include "fsutil.h"
#include "xalloc.h"
#include "dockerapi/net/dns.h"

#define NET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define C1 "1111111111111111111111111111111111111111111111111111111111111111"

struct fixture {
	char dir[64];
	char *binary, *spawns;
	struct net_config cfg;
	struct event_base *base;
	struct net_dns_queue *q;
};

/* The stand-in: counts its runs, sleeps ms, fails (no server started). */
static int
setup_ms(void **state, int ms)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct buf script = BUF_INIT;
	sdc_error_t err = NULL;

	snprintf(f->dir, sizeof f->dir, "/tmp/test-dnsq.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	xasprintf(&f->binary, "%s/aardvark-dns", f->dir);
	xasprintf(&f->spawns, "%s/spawns", f->dir);
	buf_printf(&script, "#!/bin/sh\necho run >> %s\nsleep %d.%03d\n"
	    "echo 'stand-in: no server' >&2\nexit 1\n", f->spawns, ms / 1000,
	    ms % 1000);
	assert_int_equal(file_write_replace(f->binary, script.data, script.len,
	    0755, &err), 0);
	buf_free(&script);
	f->cfg.run_dir = f->dir;
	f->cfg.dns_binary = f->binary;
	f->base = event_base_new();
	f->q = net_dns_queue_new(f->base, &f->cfg);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_ms(state, 300);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	sdc_error_t err = NULL;

	/* the threads' ends handed back to the loop */
	event_base_dispatch(f->base);
	fs_rmtree(f->dir, &err);
	sdc_error_release(&err);
	free(f->binary);
	free(f->spawns);
	/* the queue lives as long as its daemon: not freed */
	return 0;
}

static int
set(struct fixture *f, const char *gw, const char *name, sdc_error_t *err)
{
	const char *names[] = { name, NULL };
	struct net_bridge b = { .id = NET, .prefix = 24 };
	struct net_dns_entry e = { .container_id = C1, .names = names };

	inet_pton(AF_INET, gw, &b.gateway);
	inet_pton(AF_INET, "10.1.0.2", &e.ip);
	return net_dns_queue_set(f->q, &b, &e, name != NULL ? 1 : 0, err);
}

static char *
table(struct fixture *f)
{
	struct buf b = BUF_INIT;
	sdc_error_t err = NULL;
	char *path, *s;

	xasprintf(&path, "%s/dns/net/%s/%s", f->dir, NET, NET);
	if (file_read(path, &b, 4096, &err) < 0) {
		sdc_error_release(&err);
		buf_free(&b);
		free(path);
		return NULL;
	}
	free(path);
	s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

static int
lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	int n = 0, c;

	if (fp == NULL)
		return 0;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

static void
test_order_and_replacement(void **state)
{
	struct fixture *f = *state;
	struct net_dns_wait w = { 0 };
	sdc_error_t err = NULL;
	char gw[16], *t;
	int i;

	/* the first begins (at once, or after a few more replaced it) and
	 * takes its time; the ones after it wait, each replacing the one
	 * before */
	for (i = 1; i <= 10; i++) {
		snprintf(gw, sizeof gw, "10.1.0.%d", 100 + i);
		assert_int_equal(set(f, gw, "web", &err), 0);
	}
	net_dns_wait_add(&w, f->q, NET);
	assert_int_equal(w.n, 1);
	assert_int_equal(net_dns_wait(&w, 10000, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "stand-in: no server"));
	sdc_error_release(&err);
	t = table(f);
	assert_non_null(t);
	assert_string_equal(t, "10.1.0.110\n" C1 " 10.1.0.2  web\n");
	free(t);
	/* one start of the stand-in for the first table begun, one for the
	 * last (the same one when the thread began after the tenth) */
	assert_in_range(lines(f->spawns), 1, 2);
	net_dns_wait_clear(&w);
	/* all applied: a new start waits for nothing */
	net_dns_wait_add(&w, f->q, NET);
	assert_int_equal(w.n, 0);
	assert_int_equal(net_dns_wait(&w, 10, &err), 0);
	net_dns_wait_clear(&w);
}

static void
test_wait_deadline(void **state)
{
	struct fixture *f = *state;
	struct net_dns_wait w = { 0 };
	sdc_error_t err = NULL;

	assert_int_equal(set(f, "10.1.0.1", "web", &err), 0);
	net_dns_wait_add(&w, f->q, NET);
	assert_int_equal(net_dns_wait(&w, 50, &err), -1);
	assert_int_equal(err->errnum, ETIMEDOUT);
	sdc_error_release(&err);
	/* and once it has ended, its result */
	assert_int_equal(net_dns_wait(&w, 10000, &err), -1);
	sdc_error_release(&err);
	net_dns_wait_clear(&w);
}

/* A start's result is its table's, not that of a table after it. */
static void
test_result_is_the_starts(void **state)
{
	struct fixture *f = *state;
	struct net_dns_wait first = { 0 }, last = { 0 };
	sdc_error_t err = NULL;
	int i;

	assert_int_equal(set(f, "10.1.0.1", "web", &err), 0);
	net_dns_wait_add(&first, f->q, NET);
	for (i = 0; i < 2000 && lines(f->spawns) == 0; i++)
		usleep(1000);	/* begun: the stand-in runs */
	assert_int_equal(lines(f->spawns), 1);
	/* no one named any more: no server to start, applied fine */
	assert_int_equal(set(f, "10.1.0.1", NULL, &err), 0);
	net_dns_wait_add(&last, f->q, NET);
	assert_int_equal(net_dns_wait(&last, 10000, &err), 0);
	assert_int_equal(net_dns_wait(&first, 10000, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "stand-in: no server"));
	sdc_error_release(&err);
	net_dns_wait_clear(&first);
	net_dns_wait_clear(&last);
}

static void
test_refused_at_once(void **state)
{
	struct fixture *f = *state;
	struct net_dns_wait w = { 0 };
	sdc_error_t err = NULL;
	char *t;

	assert_int_equal(set(f, "10.1.0.1", "no spaces", &err), -1);
	assert_int_equal(err->code, 400);
	assert_non_null(strstr(sdc_error_msg(err), "no spaces"));
	sdc_error_release(&err);
	net_dns_wait_add(&w, f->q, NET);
	assert_int_equal(w.n, 0);
	net_dns_wait_clear(&w);
	assert_null(t = table(f));
	free(t);
}

/* A check of every network's server (net_dns_queue_ensure, a node's
 * periodic pass) queued behind a table not begun is folded into it: its
 * wait is the table's, and the table is applied once. */
static void
test_check_behind_a_table(void **state)
{
	struct fixture *f = *state;
	struct net_dns_wait w = { 0 };
	sdc_error_t err = NULL;
	char *dir, *t;

	xasprintf(&dir, "%s/dns/net/%s", f->dir, NET);
	assert_int_equal(mkdir_p(dir, 0755, &err), 0);
	free(dir);
	/* the first table takes its time; the second waits to begin */
	assert_int_equal(set(f, "10.1.0.1", "web", &err), 0);
	assert_int_equal(set(f, "10.1.0.2", "web", &err), 0);
	net_dns_queue_ensure(f->q);
	net_dns_wait_add(&w, f->q, NET);
	assert_int_equal(w.n, 1);
	assert_int_equal(net_dns_wait(&w, 10000, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "stand-in: no server"));
	sdc_error_release(&err);
	net_dns_wait_clear(&w);
	assert_non_null(t = table(f));
	assert_string_equal(t, "10.1.0.2\n" C1 " 10.1.0.2  web\n");
	free(t);
}

static void
test_removal(void **state)
{
	struct fixture *f = *state;
	struct net_dns_wait w = { 0 };
	sdc_error_t err = NULL;
	struct stat st;
	char *conf, *t;

	/* no one named: no server to start, the table written */
	assert_int_equal(set(f, "10.1.0.1", NULL, &err), 0);
	net_dns_wait_add(&w, f->q, NET);
	assert_int_equal(net_dns_wait(&w, 10000, &err), 0);
	net_dns_wait_clear(&w);
	assert_non_null(t = table(f));
	assert_string_equal(t, "10.1.0.1\n");
	free(t);
	assert_int_equal(net_dns_queue_remove(f->q, NET, &err), 0);
	assert_int_equal(net_dns_queue_remove(f->q, "../x", &err), -1);
	assert_int_equal(err->code, 400);
	sdc_error_release(&err);
	net_dns_wait_add(&w, f->q, NET);
	assert_int_equal(net_dns_wait(&w, 10000, &err), 0);
	net_dns_wait_clear(&w);
	xasprintf(&conf, "%s/dns/net/%s", f->dir, NET);
	assert_int_equal(stat(conf, &st), -1);
	free(conf);
	assert_int_equal(lines(f->spawns), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_replacement,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_deadline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_result_is_the_starts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_at_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_removal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_behind_a_table, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
