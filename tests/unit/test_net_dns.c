/*
 * test_net_dns.c: the names part of libsdcnet without a server: the table
 * in aardvark-dns 1.4's format, what it refuses, and the check that a pid
 * file names our aardvark-dns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dockerapi/net/dns.h"

#define NET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define C1 "1111111111111111111111111111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222222222222222222222222222"

static struct net_bridge
bridge(const char *id, const char *gw)
{
	struct net_bridge b = { .id = id, .prefix = 24 };

	inet_pton(AF_INET, gw, &b.gateway);
	return b;
}

static struct net_dns_entry
entry(const char *id, const char *ip, const char *const *names)
{
	struct net_dns_entry e = { .container_id = id, .names = names };

	inet_pton(AF_INET, ip, &e.ip);
	return e;
}

static void
test_format(void **state)
{
	const char *n1[] = { "web", "alias-1", "111111111111", NULL };
	const char *n2[] = { "Db_2.svc", NULL };
	struct net_bridge b = bridge(NET, "10.88.3.1");
	struct net_dns_entry e[] = { entry(C1, "10.88.3.2", n1), entry(C2, "10.88.3.254", n2) };
	struct buf out = BUF_INIT;
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(net_dns_format(&b, e, 2, &out, &err), 0);
	/* Gateway line, then "<id> <ipv4> <no ipv6> <names>": two spaces. */
	assert_string_equal(buf_str(&out),
	    "10.88.3.1\n"
	    C1 " 10.88.3.2  web,alias-1,111111111111\n"
	    C2 " 10.88.3.254  Db_2.svc\n");
	buf_reset(&out);
	assert_int_equal(net_dns_format(&b, e, 0, &out, &err), 0);
	assert_string_equal(buf_str(&out), "10.88.3.1\n");
	buf_free(&out);
}

/* A container's --dns servers: aardvark-dns's fifth column, where the
 * names the network does not know are forwarded for that container. */
static void
test_format_servers(void **state)
{
	const char *n1[] = { "web", NULL };
	struct net_bridge b = bridge(NET, "10.88.3.1");
	struct net_dns_entry e[] = { entry(C1, "10.88.3.2", n1),
	    entry(C2, "10.88.3.3", n1) };
	struct in_addr s[2];
	struct buf out = BUF_INIT;
	sdc_error_t err = NULL;

	(void)state;
	inet_pton(AF_INET, "192.0.2.53", &s[0]);
	inet_pton(AF_INET, "198.51.100.1", &s[1]);
	e[0].servers = s;
	e[0].nservers = 2;
	assert_int_equal(net_dns_format(&b, e, 2, &out, &err), 0);
	assert_string_equal(buf_str(&out),
	    "10.88.3.1\n"
	    C1 " 10.88.3.2  web 192.0.2.53,198.51.100.1\n"
	    C2 " 10.88.3.3  web\n");
	buf_free(&out);
}

static void
expect_refused(const struct net_bridge *b, const struct net_dns_entry *e,
    const char *words)
{
	struct buf out = BUF_INIT;
	sdc_error_t err = NULL;

	assert_int_equal(net_dns_format(b, e, 1, &out, &err), -1);
	assert_int_equal(err->code, 400);
	if (strstr(sdc_error_msg(err), words) == NULL)
		fail_msg("\"%s\" does not say %s", sdc_error_msg(err), words);
	sdc_error_release(&err);
	buf_free(&out);
}

static void
test_refusals(void **state)
{
	const char *ok[] = { "web", NULL }, *none[] = { NULL };
	const char *space[] = { "web", "bad name", NULL }, *comma[] = { "a,b", NULL };
	const char *nl[] = { "a\nb", NULL }, *dots[] = { "a..b", NULL };
	const char *lead[] = { ".a", NULL }, *trail[] = { "a.", NULL };
	struct net_bridge b = bridge(NET, "10.88.3.1");
	struct net_bridge nogw = bridge(NET, "0.0.0.0");
	struct net_bridge badid = bridge("../../etc/passwd", "10.88.3.1");
	struct net_bridge pidid = bridge("aardvark.pid", "10.88.3.1");
	struct net_dns_entry e;

	(void)state;
	e = entry(C1, "10.88.3.2", space);
	expect_refused(&b, &e, "\"bad name\"");
	e = entry(C1, "10.88.3.2", comma);
	expect_refused(&b, &e, "\"a,b\"");
	e = entry(C1, "10.88.3.2", nl);
	expect_refused(&b, &e, "cannot be a DNS name");
	e = entry(C1, "10.88.3.2", dots);
	expect_refused(&b, &e, "\"a..b\"");
	e = entry(C1, "10.88.3.2", lead);
	expect_refused(&b, &e, "\".a\"");
	e = entry(C1, "10.88.3.2", trail);
	expect_refused(&b, &e, "\"a.\"");
	e = entry(C1, "10.88.3.2", none);
	expect_refused(&b, &e, "no name");
	e = entry(C1, "10.88.3.2", NULL);
	expect_refused(&b, &e, "no name");
	e = entry(C1, "0.0.0.0", ok);
	expect_refused(&b, &e, "no address");
	e = entry("abc def", "10.88.3.2", ok);
	expect_refused(&b, &e, "container id \"abc def\"");
	e = entry(NULL, "10.88.3.2", ok);
	expect_refused(&b, &e, "container id");
	e = entry(C1, "10.88.3.2", ok);
	expect_refused(&nogw, &e, "no gateway");
	expect_refused(&badid, &e, "network id \"../../etc/passwd\"");
	expect_refused(&pidid, &e, "network id \"aardvark.pid\"");
}

static void
test_names(void **state)
{
	char big[300];

	(void)state;
	assert_true(net_dns_name_ok("a"));
	assert_true(net_dns_name_ok("web.svc_1-x"));
	assert_true(net_dns_name_ok("ABC"));
	assert_false(net_dns_name_ok(""));
	assert_false(net_dns_name_ok(NULL));
	assert_false(net_dns_name_ok("-a"));
	assert_false(net_dns_name_ok("a/b"));
	assert_false(net_dns_name_ok("a b"));
	memset(big, 'a', 253);
	big[253] = '\0';
	assert_true(net_dns_name_ok(big));
	big[253] = 'a';
	big[254] = '\0';
	assert_false(net_dns_name_ok(big));
	assert_true(net_dns_id_ok(NET));
	assert_false(net_dns_id_ok(NET "0"));	/* 65 */
	assert_false(net_dns_id_ok(".hidden"));
	assert_false(net_dns_id_ok("a.tmp.12"));
	assert_false(net_dns_id_ok(""));
}

#define CMD(s) s, sizeof s - 1

static void
test_cmdline(void **state)
{
	const char *bin = "/usr/lib/podman/aardvark-dns", *conf = "/run/x/dns/aardvark-dns";

	(void)state;
	assert_true(net_dns_cmdline_ours(CMD("/usr/lib/podman/aardvark-dns\0--config\0"
	    "/run/x/dns/aardvark-dns\0-p\0" "53\0run\0"), bin, conf));
	/* Another path to the same program (upstream's, PATH's) is still it. */
	assert_true(net_dns_cmdline_ours(CMD("aardvark-dns\0-c\0/run/x/dns/aardvark-dns\0"
	    "run\0"), bin, conf));
	/* Another dir's server (netavark's, another daemon's): not ours. */
	assert_false(net_dns_cmdline_ours(CMD("/usr/lib/podman/aardvark-dns\0--config\0"
	    "/run/containers/networks/aardvark-dns\0-p\0" "53\0run\0"), bin, conf));
	/* A reused pid. */
	assert_false(net_dns_cmdline_ours(CMD("sleep\0" "60\0"), bin, conf));
	assert_false(net_dns_cmdline_ours(CMD("/bin/sh\0-c\0aardvark-dns --config "
	    "/run/x/dns/aardvark-dns run\0"), bin, conf));
	/* A zombie (empty), a version query, a cut cmdline. */
	assert_false(net_dns_cmdline_ours("", 0, bin, conf));
	assert_false(net_dns_cmdline_ours(CMD("aardvark-dns\0--config\0"
	    "/run/x/dns/aardvark-dns\0version\0"), bin, conf));
	assert_false(net_dns_cmdline_ours("aardvark-dns\0--config\0/run/x/dns/aard",
	    36, bin, conf));
	/* --config is the last word, with no dir after it. */
	assert_false(net_dns_cmdline_ours(CMD("aardvark-dns\0run\0--config\0"), bin, conf));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_servers),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cmdline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
