/*
 * test_sapi_calls.c: libsapi's calls and watch against a real sapi.
 *
 * The daemon's modules are a library (libsapid.a), so the test runs one in
 * a thread of its own, with its own event loop, on a free loopback port
 * and a temporary store, and drives it with libsapi from the test's
 * thread: every call, If-Match, the ETag and the long poll of configs, and
 * a watch that sees each change and keeps the cache file.  The server's
 * thread is stopped through a pipe, the one safe way into its loop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <event2/event.h>
#include <cmocka.h>

#include "jsonutil.h"
#include "log.h"
#include "sapi/server.h"
#include "sapi-client/sapi.h"

static char dir[] = "/tmp/test_sapi_calls.XXXXXX";
static struct sapi srv;
static pthread_t srv_thread;
static int stop_pipe[2];
static struct event *stop_ev;
static char url[64];

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	sapi_commit_flush(&srv);
	sapi_configs_flush(&srv);
	event_base_loopbreak(srv.base);
}

static void *
serve(void *arg)
{
	event_base_dispatch(srv.base);
	return NULL;
}

static int
setup(void **state)
{
	struct http_server_options o = { 0 };
	sdc_error_t err = NULL;
	int l;

	if (mkdtemp(dir) == NULL || pipe(stop_pipe) < 0)
		return -1;
	log_init("test_sapi_calls", 2, LOG_WARN);
	memset(&srv, 0, sizeof srv);
	srv.max_wait = 30;
	srv.waiters = sapi_waiters_new();
	if (sapi_model_open(&srv.model, dir, &err) < 0) {
		fprintf(stderr, "%s\n", sdc_error_msg(err));
		return -1;
	}
	srv.base = event_base_new();
	srv.commit = sapi_commit_new(&srv);
	sapi_dispatch_init(&srv);
	srv.http = http_server_new(srv.base, &o);
	http_server_set_handler(srv.http, sapi_dispatch, &srv);
	if ((l = http_server_listen(srv.http, "127.0.0.1:0", NULL, 0, &err)) < 0) {
		fprintf(stderr, "%s\n", sdc_error_msg(err));
		return -1;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d",
	    http_server_port(srv.http, l));
	stop_ev = event_new(srv.base, stop_pipe[0], EV_READ, stop_cb, NULL);
	event_add(stop_ev, NULL);
	return pthread_create(&srv_thread, NULL, serve, NULL) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	if (write(stop_pipe[1], "x", 1) != 1)
		return -1;
	pthread_join(srv_thread, NULL);
	event_free(stop_ev);
	sapi_commit_free(srv.commit);
	http_server_free(srv.http);
	sapi_waiters_free(srv.waiters);
	router_free(srv.router);
	sapi_model_close(srv.model);
	event_base_free(srv.base);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static json_t *
J(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	assert_non_null(v);
	return v;
}

/* Shared by the tests below, in order. */
static char app_uuid[37], inst_uuid[37];

static void
test_calls(void **state)
{
	struct sapi_client *c;
	sdc_error_t err = NULL;
	json_t *app, *svc, *inst, *got, *list, *body;
	const char *byname[] = { "name", "app", NULL };
	const char *bysvc[] = { "service_uuid", NULL, NULL };

	c = sapi_client_new(url, &err);
	assert_non_null(c);
	got = sapi_client_ping(c, &err);
	assert_non_null(got);
	assert_true(json_bool(got, "storAvailable", false));
	json_decref(got);

	body = J("{\"name\":\"app\",\"metadata\":{\"A\":1,\"B\":1}}");
	app = sapi_client_create(c, SAPI_OBJ_APPLICATION, body, &err);
	json_decref(body);
	assert_non_null(app);
	snprintf(app_uuid, sizeof app_uuid, "%s", json_str(app, "uuid", ""));
	body = json_pack("{s:s, s:s, s:{s:i}}", "name", "svc",
	    "application_uuid", app_uuid, "metadata", "B", 2);
	svc = sapi_client_create(c, SAPI_OBJ_SERVICE, body, &err);
	json_decref(body);
	assert_non_null(svc);
	body = json_pack("{s:s, s:s}", "name", "inst0", "service_uuid",
	    json_str(svc, "uuid", ""));
	inst = sapi_client_create(c, SAPI_OBJ_INSTANCE, body, &err);
	json_decref(body);
	assert_non_null(inst);
	snprintf(inst_uuid, sizeof inst_uuid, "%s", json_str(inst, "uuid", ""));

	/* a refusal carries the status and SAPI's code */
	body = J("{\"metadata\":{}}");
	assert_null(sapi_client_create(c, SAPI_OBJ_SERVICE, body, &err));
	assert_int_equal(err->code, 409);
	assert_non_null(strstr(err->msg, "MissingParameter"));
	sdc_error_release(&err);
	json_decref(body);

	/* get, list with filters (escaped), find by name */
	got = sapi_client_get(c, SAPI_OBJ_APPLICATION, app_uuid, &err);
	assert_non_null(got);
	assert_int_equal(json_int(got, "version", 0), 1);
	json_decref(got);
	assert_null(sapi_client_get(c, SAPI_OBJ_SERVICE, app_uuid, &err));
	assert_int_equal(err->code, 404);
	sdc_error_release(&err);
	assert_null(sapi_client_get(c, SAPI_OBJ_SERVICE, "../applications",
	    &err));
	assert_int_equal(err->code, 404);
	sdc_error_release(&err);
	list = sapi_client_list(c, SAPI_OBJ_APPLICATION, byname, &err);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	bysvc[1] = json_str(svc, "uuid", "");
	list = sapi_client_list(c, SAPI_OBJ_INSTANCE, bysvc, &err);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	byname[1] = "no such & name";
	list = sapi_client_list(c, SAPI_OBJ_APPLICATION, byname, &err);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	{
		char uuid[37];

		assert_int_equal(sapi_client_find_instance(c, "inst0", uuid,
		    &err), 0);
		assert_string_equal(uuid, inst_uuid);
		assert_int_equal(sapi_client_find_instance(c, "nope", uuid,
		    &err), -1);
		assert_int_equal(err->code, 404);
		sdc_error_release(&err);
	}

	/* update with If-Match: current, then stale */
	body = J("{\"metadata\":{\"C\":3}}");
	got = sapi_client_update(c, SAPI_OBJ_APPLICATION, app_uuid, body, 1,
	    &err);
	assert_non_null(got);
	assert_int_equal(json_int(got, "version", 0), 2);
	json_decref(got);
	assert_null(sapi_client_update(c, SAPI_OBJ_APPLICATION, app_uuid, body,
	    1, &err));
	assert_int_equal(err->code, 412);
	assert_non_null(strstr(err->msg, "PreconditionFailed"));
	sdc_error_release(&err);
	json_decref(body);

	/* delete: refused while it has children, If-Match honoured */
	assert_int_equal(sapi_client_delete(c, SAPI_OBJ_APPLICATION, app_uuid,
	    0, &err), -1);
	assert_int_equal(err->code, 409);
	sdc_error_release(&err);
	body = J("{\"name\":\"tmp\"}");
	got = sapi_client_create(c, SAPI_OBJ_APPLICATION, body, &err);
	json_decref(body);
	assert_int_equal(sapi_client_delete(c, SAPI_OBJ_APPLICATION,
	    json_str(got, "uuid", ""), 7, &err), -1);
	assert_int_equal(err->code, 412);
	sdc_error_release(&err);
	assert_int_equal(sapi_client_delete(c, SAPI_OBJ_APPLICATION,
	    json_str(got, "uuid", ""), 1, &err), 0);
	json_decref(got);

	json_decref(app);
	json_decref(svc);
	json_decref(inst);
	sapi_client_free(c);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Change the application's metadata.K from another client. */
static void
set_k(int k)
{
	sdc_error_t err = NULL;
	struct sapi_client *c = sapi_client_new(url, &err);
	json_t *body = json_pack("{s:{s:i}}", "metadata", "K", k), *r;

	r = sapi_client_update(c, SAPI_OBJ_APPLICATION, app_uuid, body, 0, &err);
	assert_non_null(r);
	json_decref(r);
	json_decref(body);
	sapi_client_free(c);
}

static void
test_config(void **state)
{
	struct sapi_client *c;
	sdc_error_t err = NULL;
	json_t *cfg, *md;
	char *etag, *etag2;
	double t;

	c = sapi_client_new(url, &err);
	assert_int_equal(sapi_client_config(c, inst_uuid, NULL, 0, &cfg, &etag,
	    &err), 1);
	md = json_object_get(cfg, "metadata");
	assert_int_equal(json_int(md, "A", 0), 1);
	assert_int_equal(json_int(md, "B", 0), 2);     /* the service wins */
	assert_non_null(etag);
	json_decref(cfg);
	/* the same ETag: 0, not modified */
	assert_int_equal(sapi_client_config(c, inst_uuid, etag, 0, &cfg,
	    &etag2, &err), 0);
	assert_null(cfg);
	/* a long poll that nothing answers times out: 0 */
	t = now();
	assert_int_equal(sapi_client_config(c, inst_uuid, etag, 0.3, &cfg,
	    &etag2, &err), 0);
	assert_true(now() - t >= 0.25);
	free(etag);
	sapi_client_free(c);
}

struct seen {
	pthread_mutex_t lock;
	int last_k, calls;
};

static void
on_config(const json_t *cfg, const char *etag, bool from_cache, void *arg)
{
	struct seen *s = arg;

	pthread_mutex_lock(&s->lock);
	s->last_k = (int)json_int(json_object_get(cfg, "metadata"), "K", -1);
	s->calls++;
	pthread_mutex_unlock(&s->lock);
}

static int
wait_k(struct seen *s, int k)
{
	double t = now();
	int got;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		got = s->last_k;
		pthread_mutex_unlock(&s->lock);
		if (got == k || now() - t > 5)
			return got;
		usleep(2000);
	}
}

static void
test_watch(void **state)
{
	struct seen s = { PTHREAD_MUTEX_INITIALIZER, -2, 0 };
	struct sapi_watch_options o = {
		.url = url, .instance_name = "inst0", .wait = 10,
		.on_config = on_config, .arg = &s,
	};
	char cache[300], *etag = NULL, *uuid = NULL;
	sdc_error_t err = NULL;
	struct sapi_watch *w;
	json_t *cfg;
	double t;
	int k;

	snprintf(cache, sizeof cache, "%s/watch/cache.json", dir);
	o.cache_path = cache;
	w = sapi_watch_start(&o, &err);
	assert_non_null(w);
	assert_int_equal(wait_k(&s, -1), -1);  /* the config as it is */
	for (k = 1; k <= 20; k++) {
		t = now();
		set_k(k);
		assert_int_equal(wait_k(&s, k), k);
		assert_true(now() - t < 1.0);
	}
	/* the fd interface holds the newest config only */
	cfg = sapi_watch_take(w, NULL, NULL);
	assert_non_null(cfg);
	assert_int_equal(json_int(json_object_get(cfg, "metadata"), "K", 0), 20);
	json_decref(cfg);
	assert_null(sapi_watch_take(w, NULL, NULL));
	sapi_watch_stop(w);
	/* the cache has the last config, for the instance found by name */
	cfg = sapi_cache_read(cache, &etag, &uuid, &err);
	assert_non_null(cfg);
	assert_int_equal(json_int(json_object_get(cfg, "metadata"), "K", 0), 20);
	assert_string_equal(uuid, inst_uuid);
	assert_true(etag[0] == '"');
	json_decref(cfg);
	free(etag);
	free(uuid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calls),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_watch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
