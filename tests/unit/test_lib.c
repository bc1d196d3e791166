/*
 * test_lib.c: the small core modules — errors, buffers, JSON helpers, ids,
 * YAML config loading, the JSON log line and the heads' event payload.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base64.h"
#include "buf.h"
#include "error.h"
#include "events-payload.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "netns.h"
#include "yamlconf.h"

static int
fails_with_errno(sdc_error_t *err)
{
	return sdc_make_error(err, 2, "opening %s", "x.conf");
}

static void
test_error_wrap(void **state)
{
	sdc_error_t err = NULL;

	assert_int_equal(fails_with_errno(&err), -1);
	assert_int_equal(sdc_error_wrap(&err, "loading config"), -1);
	assert_string_equal(sdc_error_msg(err),
	    "loading config: opening x.conf: No such file or directory");
	assert_int_equal(err->errnum, 2);
	sdc_error_release(&err);
	assert_null(err);
	assert_string_equal(sdc_error_msg(err), "");
	sdc_make_error_code(&err, 404, "no such %s", "thing");
	assert_int_equal(err->code, 404);
	sdc_error_release(&err);
}

static void
test_buf(void **state)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len;

	assert_string_equal(buf_str(&b), "");
	buf_puts(&b, "hello");
	buf_putc(&b, ' ');
	buf_printf(&b, "%d %s", 42, "world");
	assert_string_equal(b.data, "hello 42 world");
	buf_consume(&b, 6);
	assert_string_equal(b.data, "42 world");
	for (int i = 0; i < 1000; i++)
		buf_append(&b, "x", 1);
	assert_int_equal(b.len, 1008);
	assert_int_equal(b.data[b.len], '\0');
	s = buf_detach(&b, &len);
	assert_int_equal(len, 1008);
	assert_null(b.data);
	free(s);
	s = buf_detach(&b, &len);       /* an empty buffer gives "" */
	assert_string_equal(s, "");
	free(s);
}

static void
test_json(void **state)
{
	sdc_error_t err = NULL;
	json_t *v;
	const char *s;
	json_int_t n;
	char *text;

	static const char doc[] = "{\"a\": 1, \"b\": \"x\", \"c\": true}";

	v = json_parse(doc, sizeof doc - 1, &err);
	assert_non_null(v);
	assert_int_equal(json_int(v, "a", 0), 1);
	assert_string_equal(json_str(v, "b", ""), "x");
	assert_string_equal(json_str(v, "a", "fallback"), "fallback");
	assert_true(json_bool(v, "c", false));
	assert_int_equal(json_str_req(v, "a", &s, &err), -1);
	assert_string_equal(sdc_error_msg(err), "a must be a string, not integer");
	sdc_error_release(&err);
	assert_int_equal(json_int_req(v, "zz", &n, &err), -1);
	assert_string_equal(sdc_error_msg(err), "zz is required");
	sdc_error_release(&err);
	text = json_text(v);
	assert_string_equal(text, "{\"a\":1,\"b\":\"x\",\"c\":true}");
	free(text);
	json_decref(v);

	assert_null(json_parse("{\"a\":", 5, &err));
	assert_non_null(strstr(sdc_error_msg(err), "invalid JSON at line 1"));
	assert_int_equal(err->code, 400);
	sdc_error_release(&err);
	assert_null(json_parse("{\"a\":1,\"a\":2}", 13, &err));
	sdc_error_release(&err);
}

static void
test_ids(void **state)
{
	char u[UUID_LEN + 1], d[DOCKER_ID_LEN + 1], d2[DOCKER_ID_LEN + 1];

	uuid_make(u);
	assert_true(uuid_valid(u));
	assert_false(uuid_valid("not-a-uuid"));
	assert_false(uuid_valid(NULL));
	docker_id_make(d);
	docker_id_make(d2);
	assert_true(docker_id_valid(d));
	assert_string_not_equal(d, d2);
	assert_true(docker_id_prefix_valid("abc123"));
	assert_false(docker_id_prefix_valid("ABC"));
	assert_false(docker_id_prefix_valid(""));
	assert_false(docker_id_valid("abc"));
}

static void
test_yaml(void **state)
{
	static const char doc[] =
	    "listen: 127.0.0.1:9080\n"
	    "port: 2376\n"
	    "ratio: 1.5\n"
	    "tls: true\n"
	    "quoted: \"true\"\n"
	    "empty:\n"
	    "list: [a, 2, null]\n"
	    "nested:\n"
	    "  key: value\n";
	sdc_error_t err = NULL;
	json_t *v;

	v = yaml_load_string(doc, sizeof doc - 1, &err);
	assert_non_null(v);
	assert_string_equal(json_str(v, "listen", ""), "127.0.0.1:9080");
	assert_int_equal(json_int(v, "port", 0), 2376);
	assert_true(json_is_real(json_object_get(v, "ratio")));
	assert_true(json_is_true(json_object_get(v, "tls")));
	assert_string_equal(json_str(v, "quoted", ""), "true");
	assert_true(json_is_null(json_object_get(v, "empty")));
	assert_int_equal(json_array_size(json_object_get(v, "list")), 3);
	assert_string_equal(json_str(json_object_get(v, "nested"), "key", ""), "value");
	json_decref(v);

	v = yaml_load_string("a: &x 1\nb: *x\n", 14, &err);
	assert_null(v);
	assert_non_null(strstr(sdc_error_msg(err), "aliases are not supported"));
	sdc_error_release(&err);

	v = yaml_load_string("a: [1, 2\n", 9, &err);
	assert_null(v);
	assert_non_null(strstr(sdc_error_msg(err), "line"));
	sdc_error_release(&err);

	v = yaml_load_file("/nonexistent.yaml", &err);
	assert_null(v);
	assert_non_null(strstr(sdc_error_msg(err), "/nonexistent.yaml"));
	sdc_error_release(&err);

	v = yaml_load_string("", 0, &err);
	assert_true(json_is_object(v));
	json_decref(v);
}

static void
test_log_line(void **state)
{
	int fds[2];
	char line[1024];
	ssize_t n;
	json_t *v, *fields;
	sdc_error_t err = NULL;

	assert_int_equal(pipe(fds), 0);
	log_init("testd", fds[1], LOG_INFO);
	log_debug("not shown");
	fields = json_pack("{s:i}", "status", 200);
	log_emit(LOG_INFO, "req-1", fields, "hello %s \xff", "world");
	json_decref(fields);
	n = read(fds[0], line, sizeof line - 1);
	assert_true(n > 0);
	line[n] = '\0';
	assert_int_equal(line[n - 1], '\n');
	v = json_parse(line, (size_t)n, &err);
	assert_non_null(v);
	assert_string_equal(json_str(v, "name", ""), "testd");
	assert_int_equal(json_int(v, "level", 0), 30);
	assert_string_equal(json_str(v, "msg", ""), "hello world ?");
	assert_string_equal(json_str(v, "req_id", ""), "req-1");
	assert_int_equal(json_int(v, "status", 0), 200);
	assert_int_equal(json_int(v, "pid", 0), getpid());
	assert_non_null(json_str(v, "time", NULL));
	json_decref(v);
	assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
	assert_int_equal(log_level_parse("40"), LOG_WARN);
	assert_int_equal(log_level_parse("loud"), -1);
	close(fds[0]);
	close(fds[1]);
	log_init("testd", 2, LOG_INFO);
}

static int
netns_probe(void *arg, sdc_error_t *err)
{
	char buf[64];
	ssize_t n = readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (strcmp(buf, arg) != 0)
		return sdc_make_error(err, 0, "in %s, not %s", buf,
		    (const char *)arg);
	return 0;
}

/* The function runs in the namespace at the path (here our own, which
 * any process may join again), and its error comes back; a path that is
 * not a namespace is named. */
static void
test_netns_run(void **state)
{
	sdc_error_t err = NULL;
	char self[64];
	ssize_t n = readlink("/proc/self/ns/net", self, sizeof self - 1);

	assert_true(n > 0);
	self[n] = '\0';
	if (netns_run("/proc/self/ns/net", netns_probe, self, &err) < 0) {
		/* setns needs CAP_SYS_ADMIN even for our own namespace */
		assert_non_null(strstr(sdc_error_msg(err), "joining"));
		sdc_error_release(&err);
	}
	assert_int_equal(netns_run("/proc/self/ns/net", netns_probe, "net:[0]",
	    &err), -1);
	sdc_error_release(&err);
	assert_int_equal(netns_run("/nonexistent/ns", netns_probe, self, &err),
	    -1);
	assert_non_null(strstr(sdc_error_msg(err), "joining the network "
	    "namespace /nonexistent/ns"));
	sdc_error_release(&err);
}

/* base64.h: padding both ways, the URL-safe alphabet only when asked,
 * bad text refused; and the lengths EVP_DecodeBlock gets wrong alone. */
static void
test_base64(void **state)
{
	static const struct { const char *plain, *padded; } kat[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },	/* RFC 4648, section 10 */
	};
	struct buf out = BUF_INIT;
	sdc_error_t err = NULL;
	char *s;

	for (size_t i = 0; i < sizeof kat / sizeof *kat; i++) {
		s = base64_encode(kat[i].plain, strlen(kat[i].plain), true);
		assert_string_equal(s, kat[i].padded);
		free(s);
		s = base64_encode(kat[i].plain, strlen(kat[i].plain), false);
		assert_null(strchr(s, '='));
		if (*s != '\0') {
			buf_reset(&out);
			assert_int_equal(base64_decode(s, strlen(s), false, &out,
			    &err), 0);
			assert_string_equal(buf_str(&out), kat[i].plain);
			buf_reset(&out);
			assert_int_equal(base64_decode(kat[i].padded,
			    strlen(kat[i].padded), false, &out, &err), 0);
			assert_int_equal(out.len, strlen(kat[i].plain));
		}
		free(s);
	}
	/* 0xfb 0xff is "+/8=" in the standard alphabet, "-_8" in the URL one */
	buf_reset(&out);
	assert_int_equal(base64_decode("-_8", 3, true, &out, &err), 0);
	assert_int_equal(out.len, 2);
	assert_memory_equal(out.data, "\xfb\xff", 2);
	buf_reset(&out);
	assert_int_equal(base64_decode("+/8=", 4, true, &out, &err), 0);
	assert_memory_equal(out.data, "\xfb\xff", 2);
	assert_int_equal(base64_decode("-_8", 3, false, &out, &err), -1);
	assert_string_equal(sdc_error_msg(err), "invalid base64 text");
	sdc_error_release(&err);
	assert_int_equal(base64_decode("Y*I=", 4, false, &out, &err), -1);
	sdc_error_release(&err);
	assert_int_equal(base64_decode("", 0, false, &out, &err), -1);
	sdc_error_release(&err);
	assert_int_equal(base64_decode("Zm9vY", 5, false, &out, &err), -1);
	sdc_error_release(&err);
	buf_free(&out);
}

/* As the heads send it (dockerapi/events-notify.c), as a head_events
 * row keeps it (no seq), and as senders before the ids sent it. */
static void
test_events_payload(void **state)
{
	struct events_payload p;
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(events_payload_split("42\nab-12:7\nalice\n{}", &p,
	    &err), 0);
	assert_int_equal(p.seq, 42);
	assert_int_equal(p.origin_len, 5);
	assert_memory_equal(p.origin, "ab-12", 5);
	assert_true(p.has_id);
	assert_int_equal(p.id, 7);
	assert_int_equal(p.account_len, 5);
	assert_memory_equal(p.account, "alice", 5);
	assert_string_equal(p.message, "{}");
	assert_int_equal(events_payload_split("ab-12:7\nbob\n{\"a\":\"x\ny\"}",
	    &p, &err), 0);
	assert_int_equal(p.seq, 0);
	assert_memory_equal(p.account, "bob", p.account_len);
	assert_string_equal(p.message, "{\"a\":\"x\ny\"}");
	assert_int_equal(events_payload_split("ab-12\nbob\n{}", &p, &err), 0);
	assert_false(p.has_id);
	assert_int_equal(p.origin_len, 5);
	assert_int_equal(events_payload_split("42\nab-12:7\nalice", &p, &err),
	    -1);
	assert_non_null(err);
	sdc_error_release(&err);
	assert_int_equal(events_payload_split("", &p, &err), -1);
	sdc_error_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_wrap),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_netns_run),
		cmocka_unit_test(test_events_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
