/*
 * test_runtime.c: libsdcnode's pieces that need no runc and no root:
 * config.json from a spec, users from an image's passwd and group, the
 * state file read back, ids, attach frames over a socketpair, and a
 * logs folder's bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fsutil.h"
#include "timeutil.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"
#include "dockerapi/runtime/logs-read.h"

static char tmpdir[64];

static void
put(const char *rel, const char *text)
{
	char *path;
	FILE *f;

	xasprintf(&path, "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static char *
in_tmp(const char *rel)
{
	char *p;

	xasprintf(&p, "%s/%s", tmpdir, rel);
	return p;
}

static int
setup(void **state)
{
	sdc_error_t err = NULL;
	char *p;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_runtime.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	p = in_tmp("c1/root/etc");
	assert_int_equal(mkdir_p(p, 0755, &err), 0);
	free(p);
	put("c1/root/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
	    "app:x:1000:1001:App:/home/app:/bin/sh\n");
	put("c1/root/etc/group", "root:x:0:\napp:x:1001:\nwheel:x:10:root,app\n"
	    "audio:x:29:app\n");
	return 0;
}

static int
teardown(void **state)
{
	sdc_error_t err = NULL;

	fs_rmtree(tmpdir, &err);
	sdc_error_release(&err);
	return 0;
}

static void
test_user(void **state)
{
	char *root = in_tmp("c1/root");
	sdc_error_t err = NULL;
	struct rt_user u;

	assert_int_equal(rt_user_resolve(root, "app", &u, &err), 0);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1001);
	assert_string_equal(u.home, "/home/app");
	assert_int_equal(u.ngids, 2);
	assert_int_equal(u.gids[0], 10);
	assert_int_equal(u.gids[1], 29);

	assert_int_equal(rt_user_resolve(root, "app:wheel", &u, &err), 0);
	assert_int_equal(u.gid, 10);
	assert_int_equal(rt_user_resolve(root, "4242:7", &u, &err), 0);
	assert_int_equal(u.uid, 4242);
	assert_int_equal(u.gid, 7);
	assert_string_equal(u.home, "/");
	assert_int_equal(rt_user_resolve(root, NULL, &u, &err), 0);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.home, "/root");

	assert_int_equal(rt_user_resolve(root, "nobody", &u, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "unable to find user nobody"));
	assert_int_equal(rt_user_resolve(root, "app:nogroup", &u, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "unable to find group"));
	sdc_error_release(&err);
	free(root);
}

static void
test_user_symlink_stays_inside(void **state)
{
	char *root = in_tmp("c2/root"), *etc = in_tmp("c2/root/etc"),
	    *link = in_tmp("c2/root/etc/passwd");
	sdc_error_t err = NULL;
	struct rt_user u;

	assert_int_equal(mkdir_p(etc, 0755, &err), 0);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	/* The host's passwd has root; the image has no passwd at all. */
	assert_int_equal(rt_user_resolve(root, "root", &u, &err), -1);
	sdc_error_release(&err);
	free(root);
	free(etc);
	free(link);
}

static void
test_bundle(void **state)
{
	static const char *const argv[] = { "sh", "-c", "echo hi", NULL };
	static const char *const env[] = { "FOO=bar", "PATH=/bin", NULL };
	struct rt_mount m = { "/srv/vol", "/data", true };
	struct rt_spec spec = { .id = "c1", .argv = argv, .env = env,
	    .user = "app", .cwd = "/work", .tty = true, .mounts = &m,
	    .nmounts = 1, .memory = 64 << 20, .cpu_quota = 50000,
	    .pids_limit = 100 };
	struct rt_config cfg = { .zones = tmpdir };
	char *dir = in_tmp("c1"), *path = in_tmp("c1/config.json"), *text;
	sdc_error_t err = NULL;
	json_t *c, *p, *r;

	assert_int_equal(rt_bundle_write(&cfg, &spec, dir, &err), 0);
	c = rt_json_read(path, &err);
	assert_non_null(c);
	p = json_object_get(c, "process");
	assert_true(json_is_true(json_object_get(p, "terminal")));
	assert_string_equal(json_string_value(json_object_get(p, "cwd")), "/work");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p,
	    "user"), "uid")), 1000);
	text = json_dumps(json_object_get(p, "env"), 0);
	assert_string_equal(text, "[\"FOO=bar\", \"PATH=/bin\", \"HOSTNAME=c1\", "
	    "\"TERM=xterm\", \"HOME=/home/app\"]");
	free(text);
	assert_string_equal(json_string_value(json_object_get(c, "hostname")), "c1");
	r = json_object_get(json_object_get(c, "linux"), "resources");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r,
	    "memory"), "limit")), 64 << 20);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r,
	    "cpu"), "period")), 100000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r,
	    "pids"), "limit")), 100);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c,
	    "linux"), "cgroupsPath")), "/sdc-docker/c1");
	text = json_dumps(json_object_get(c, "mounts"), 0);
	assert_non_null(strstr(text, "\"destination\": \"/data\", \"type\": "
	    "\"bind\", \"source\": \"/srv/vol\", \"options\": [\"rbind\", "
	    "\"rprivate\", \"ro\"]"));
	free(text);
	json_decref(c);
	free(dir);
	free(path);
}

/* A sandbox's namespace is joined by path; with a user namespace, /sys is
 * the sandbox's sysfs bound from the folder (sysfs.c), else sysfs. */
static void
test_bundle_netns(void **state)
{
	static const char *const argv[] = { "true", NULL };
	struct rt_spec spec = { .id = "c1", .argv = argv,
	    .netns_path = "/run/sdc-docker/netns/c1" };
	struct rt_config cfg = { .zones = tmpdir };
	char *dir = in_tmp("c1"), *path = in_tmp("c1/config.json"), *text;
	sdc_error_t err = NULL;
	json_t *c;

	assert_int_equal(rt_bundle_write(&cfg, &spec, dir, &err), 0);
	c = rt_json_read(path, &err);
	text = json_dumps(json_object_get(json_object_get(c, "linux"),
	    "namespaces"), 0);
	assert_non_null(strstr(text, "{\"type\": \"network\", \"path\": "
	    "\"/run/sdc-docker/netns/c1\"}"));
	free(text);
	text = json_dumps(json_object_get(c, "mounts"), 0);
	assert_non_null(strstr(text, "\"destination\": \"/sys\", \"type\": "
	    "\"sysfs\""));
	free(text);
	json_decref(c);

	spec.idmap = (struct rt_idmap){ .uid = 100000, .gid = 100000,
	    .count = 65536 };
	assert_int_equal(rt_bundle_write(&cfg, &spec, dir, &err), 0);
	c = rt_json_read(path, &err);
	text = json_dumps(json_object_get(c, "mounts"), 0);
	assert_non_null(strstr(text, "\"destination\": \"/sys\", \"type\": "
	    "\"bind\", \"source\": \""));
	assert_non_null(strstr(text, "/c1/sysfs\", \"options\": [\"rbind\", "
	    "\"rprivate\", \"nosuid\", \"noexec\", \"nodev\", \"ro\"]"));
	free(text);
	json_decref(c);
	free(dir);
	free(path);
}

static void
test_state_file(void **state)
{
	char *dir = in_tmp("c1");
	struct rt_state st;
	sdc_error_t err = NULL;

	assert_int_equal(rt_state_file(dir, &st, &err), 0);
	assert_int_equal(st.status, RT_CREATED);
	put("c1/state.json", "{\"status\":\"exited\",\"pid\":42,\"pid_start\":1,"
	    "\"monitor_pid\":41,\"started_at\":\"2026-11-23T18:20:01.5Z\","
	    "\"finished_at\":\"2026-11-23T18:20:02.123456789Z\",\"exit_code\":137,"
	    "\"signal\":9,\"oom_killed\":true}\n");
	assert_int_equal(rt_state_file(dir, &st, &err), 0);
	assert_int_equal(st.status, RT_EXITED);
	assert_int_equal(st.exit_code, 137);
	assert_int_equal(st.signal, 9);
	assert_true(st.oom_killed);
	assert_int_equal(st.pid, 42);
	assert_int_equal(st.started_at.tv_nsec, 500000000);
	assert_int_equal(st.finished_at.tv_sec - st.started_at.tv_sec, 1);
	assert_int_equal(st.finished_at.tv_nsec, 123456789);
	/* Running, but no monitor and the pid is not that process: exited. */
	put("c1/state.json", "{\"status\":\"running\",\"pid\":1,\"pid_start\":-5,"
	    "\"monitor_pid\":41,\"started_at\":\"2026-11-23T18:20:01.5Z\"}\n");
	assert_int_equal(rt_state_file(dir, &st, &err), 0);
	assert_int_equal(st.status, RT_EXITED);
	assert_int_equal(st.exit_code, -1);
	assert_false(st.monitor_alive);
	free(dir);
	dir = in_tmp("c1/state.json");
	unlink(dir);
	free(dir);
}

static void
test_ids(void **state)
{
	sdc_error_t err = NULL;

	assert_int_equal(rt_id_check("id", "0123abcdef", &err), 0);
	assert_int_equal(rt_id_check("id", "a-b_c.d", &err), 0);
	assert_int_equal(rt_id_check("id", "../x", &err), -1);
	assert_int_equal(rt_id_check("id", "a/b", &err), -1);
	assert_int_equal(rt_id_check("id", "", &err), -1);
	assert_int_equal(rt_id_check("id", "-rf", &err), -1);
	assert_int_equal(rt_id_check("id", NULL, &err), -1);
	sdc_error_release(&err);
}

static void
test_attach_frames(void **state)
{
	struct rt_frame *f = xmalloc(sizeof *f);
	char big[RT_FRAME_MAX * 2], pkt[RT_FRAME_MAX + 1];
	sdc_error_t err = NULL;
	struct rt_state st;
	int sp[2];
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	memset(big, 'x', sizeof big);
	assert_int_equal(rt_attach_send(sp[0], RT_FRAME_STDIN, big, sizeof big,
	    &err), 0);
	n = recv(sp[1], pkt, sizeof pkt, 0);
	assert_int_equal(n, RT_FRAME_MAX);
	assert_int_equal(pkt[0], RT_FRAME_STDIN);
	n = recv(sp[1], pkt, sizeof pkt, 0);
	assert_int_equal(n, RT_FRAME_MAX);
	n = recv(sp[1], pkt, sizeof pkt, 0);
	assert_int_equal(n, sizeof big - 2 * (RT_FRAME_MAX - 1) + 1);
	assert_int_equal(rt_attach_resize(sp[0], 24, 80, &err), 0);
	n = recv(sp[1], pkt, sizeof pkt, 0);
	assert_int_equal(n, 6);
	assert_memory_equal(pkt, "\00524 80", 6);

	assert_int_equal(send(sp[1], "\002oops\n", 6, 0), 6);
	assert_int_equal(rt_attach_recv(sp[0], f, &err), 1);
	assert_int_equal(f->type, RT_FRAME_STDERR);
	assert_int_equal(f->len, 5);
	assert_string_equal(f->data, "oops\n");
	assert_int_equal(send(sp[1], "\003{\"status\":\"exited\",\"exit_code\":3}", 34,
	    0), 34);
	assert_int_equal(rt_attach_recv(sp[0], f, &err), 1);
	assert_int_equal(rt_attach_exit_state(f, &st, &err), 0);
	assert_int_equal(st.exit_code, 3);
	close(sp[1]);
	assert_int_equal(rt_attach_recv(sp[0], f, &err), 0);
	close(sp[0]);
	free(f);
}

/* A logs folder's bytes: the live file and the rotated ones, not a link
 * nor a file of another name; a folder that is not there, 0. */
static void
test_logs_bytes(void **state)
{
	sdc_error_t err = NULL;
	char *dir = in_tmp("c2/logs"), *link;

	assert_int_equal(mkdir_p(dir, 0755, &err), 0);
	put("c2/logs/stdio.log", "12345");
	put("c2/logs/stdio.log.2026-11-23T18:20:01.123456789Z", "abc");
	put("c2/logs/stdio.log.gz", "not a log");
	put("c2/logs/stdio.log.tmp", "nor this");
	link = in_tmp("c2/logs/stdio.log.2026-11-23T18:20:02Z");
	assert_int_equal(symlink("/bin/sh", link), 0);
	assert_int_equal(logs_bytes(dir), 8);
	unlink(link);
	free(link);
	free(dir);
	dir = in_tmp("c3/logs");
	assert_int_equal(logs_bytes(dir), 0);
	free(dir);
}

/* A logs folder's usage: the live file, the rotated ones and how many,
 * not a link nor a file of another name; a logs folder that is a link
 * (to another container's, say) counts nothing; and a zones root's
 * every container folder, one not a container's left out. */
static void
test_logs_usage(void **state)
{
	struct rt_config cfg = { 0 };
	struct logs_usage u;
	sdc_error_t err = NULL;
	char *dir = in_tmp("z/11111111-1111-4111-8111-111111111111/logs");
	char *link, *zones = in_tmp("z");
	bool complete;
	json_t *all;

	assert_int_equal(mkdir_p(dir, 0755, &err), 0);
	put("z/11111111-1111-4111-8111-111111111111/logs/stdio.log", "12345");
	put("z/11111111-1111-4111-8111-111111111111/logs/"
	    "stdio.log.2026-11-23T18:20:01.1Z", "abc");
	put("z/11111111-1111-4111-8111-111111111111/logs/"
	    "stdio.log.2026-11-23T18:20:02Z", "abcdefg");
	put("z/11111111-1111-4111-8111-111111111111/logs/stdio.log.gz", "no");
	link = in_tmp("z/11111111-1111-4111-8111-111111111111/logs/"
	    "stdio.log.2026-11-23T18:20:03Z");
	assert_int_equal(symlink("/bin/sh", link), 0);
	free(link);
	logs_usage(dir, &u);
	assert_int_equal(u.live, 5);
	assert_int_equal(u.rotated, 10);
	assert_int_equal(u.rotated_files, 2);
	free(dir);

	dir = in_tmp("z/22222222-2222-4222-8222-222222222222");
	assert_int_equal(mkdir_p(dir, 0755, &err), 0);
	link = in_tmp("z/22222222-2222-4222-8222-222222222222/logs");
	assert_int_equal(symlink(
	    "../11111111-1111-4111-8111-111111111111/logs", link), 0);
	logs_usage(link, &u);
	assert_int_equal(u.live + u.rotated + u.rotated_files, 0);
	free(link);
	free(dir);
	dir = in_tmp("z/not-a-container/logs");
	assert_int_equal(mkdir_p(dir, 0755, &err), 0);
	free(dir);

	cfg.zones = zones;
	all = logs_usage_zones(&cfg, time_mono_ms() + 10000, &complete, &err);
	assert_non_null(all);
	assert_true(complete);
	assert_int_equal(json_object_size(all), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    all, "11111111-1111-4111-8111-111111111111"), "RotatedFiles")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    all, "22222222-2222-4222-8222-222222222222"), "Live")), 0);
	json_decref(all);
	/* a deadline passed: nothing measured, and said so */
	all = logs_usage_zones(&cfg, time_mono_ms() - 1, &complete, &err);
	assert_false(complete);
	assert_int_equal(json_object_size(all), 0);
	json_decref(all);
	free(zones);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_user_symlink_stays_inside),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_bundle_netns),
		cmocka_unit_test(test_state_file),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_attach_frames),
		cmocka_unit_test(test_logs_bytes),
		cmocka_unit_test(test_logs_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
