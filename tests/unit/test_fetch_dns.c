/*
 * test_fetch_dns.c: lib/fetch's name lookups against a DNS
 * server that never answers.
 *
 * The process moves into a mount namespace of its own and binds its own
 * resolv.conf (a silent UDP server on a loopback address, a resolver that
 * retries for 20 s), nsswitch.conf and hosts over /etc's, before any
 * thread starts (unshare refuses a process with threads).  Nothing outside
 * the process sees them.  Root only: skipped otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <sched.h>
#include <sys/mount.h>

#include "test_http_util.h"
#include "fetch.h"

#define DNS_ADDR "127.53.53.53"

static struct ts *g_srv;
static int g_dns = -1;
static char g_dir[] = "/tmp/test_fetch_dns.XXXXXX";

static int
handler(struct http_request *req, void *arg)
{
	http_reply(req, 200, "text/plain", "found", 5);
	return HTTP_DONE;
}

static int
bind_over(const char *name, const char *text, const char *target)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", g_dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	if (mount(path, target, NULL, MS_BIND, NULL) < 0) {
		fprintf(stderr, "bind %s over %s: %s\n", path, target,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* A UDP socket on port 53 that takes queries and answers none. */
static int
silent_dns(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	int one = 1;

	inet_pton(AF_INET, DNS_ADDR, &sa.sin_addr);
	g_dns = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(g_dns, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(g_dns, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "bind %s:53: %s\n", DNS_ADDR, strerror(errno));
		return -1;
	}
	return 0;
}

static bool
dns_was_asked(void)
{
	char q[512];

	return recv(g_dns, q, sizeof q, MSG_DONTWAIT) > 0;
}

static void
expect_stuck(struct fetch *c, const char *u, int code, const char *text)
{
	struct fetch_request rq = { .url = u };
	struct fetch_response r;
	sdc_error_t err = NULL;
	double t0 = tc_now();

	assert_int_equal(fetch_request(c, &rq, &r, &err), -1);
	if (err->code != code || strstr(err->msg, text) == NULL)
		fail_msg("%s: code %d, \"%s\"; wanted %d, \"%s\"", u, err->code,
		    err->msg, code, text);
	assert_true(tc_now() - t0 < 2);         /* the resolver's 20 s: not waited */
	assert_true(dns_was_asked());           /* and it was really asked */
	sdc_error_release(&err);
}

static void
test_connect_timeout(void **state)
{
	struct fetch_options o = { .connect_timeout_ms = 300 };
	struct fetch *c = fetch_new(&o);

	expect_stuck(c, "http://registry.hung.test/v2/", FETCH_E_TIMEOUT,
	    "Resolving timed out after 3");
	fetch_free(c);
}

static void
test_proxy_timeout(void **state)
{
	struct fetch_options o = { .connect_timeout_ms = 300,
	    .use_proxy_env = true };
	struct fetch *c = fetch_new(&o);

	setenv("http_proxy", "http://proxy.hung.test:3128", 1);
	expect_stuck(c, "http://registry.hung.test/v2/", FETCH_E_TIMEOUT,
	    "through the proxy: Resolving timed out after 3");
	unsetenv("http_proxy");
	fetch_free(c);
}

static void *
interrupter(void *arg)
{
	usleep(200000);
	fetch_interrupt(arg);
	return NULL;
}

static void
test_interrupt(void **state)
{
	struct fetch *c = fetch_new(NULL);        /* 30 s */
	pthread_t t;

	pthread_create(&t, NULL, interrupter, c);
	expect_stuck(c, "http://registry.hung.test/v2/", FETCH_E_ABORTED,
	    "registry.hung.test/v2/: interrupted");
	pthread_join(t, NULL);
	fetch_free(c);
}

/* A name the lookup thread does find (in hosts) is used as before. */
static void
test_found(void **state)
{
	struct fetch *c = fetch_new(NULL);
	struct fetch_response r;
	sdc_error_t err = NULL;
	char u[128];
	struct fetch_request rq = { .url = u };

	snprintf(u, sizeof u, "http://registry.local.test:%d/", g_srv->port);
	if (fetch_request(c, &rq, &r, &err) < 0)
		fail_msg("%s", sdc_error_msg(err));
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_str(&r.body), "found");
	fetch_response_free(&r);
	fetch_free(c);
}

static int
setup(void **state)
{
	if (mkdtemp(g_dir) == NULL || silent_dns() < 0 ||
	    bind_over("resolv.conf", "nameserver " DNS_ADDR "\n"
	    "options timeout:10 attempts:2\n", "/etc/resolv.conf") < 0 ||
	    bind_over("nsswitch.conf", "hosts: files dns\n",
	    "/etc/nsswitch.conf") < 0 ||
	    bind_over("hosts", "127.0.0.1 registry.local.test\n",
	    "/etc/hosts") < 0)
		return -1;
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	g_srv = ts_new(NULL, handler, NULL);
	ts_listen(g_srv, NULL);
	ts_start(g_srv);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	ts_free(g_srv);
	snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
	return system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_proxy_timeout),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_found),
	};

	if (geteuid() != 0) {
		printf("needs root (a mount namespace of its own)\n");
		return 77;
	}
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("no mount namespace: %s\n", strerror(errno));
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
