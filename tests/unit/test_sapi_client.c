/*
 * test_sapi_client.c: libsapi without a service: URLs, the cache file,
 * and the watch's behaviour while the service is unreachable (the cache is
 * delivered at once, errors are reported, stop does not wait out a
 * backoff).
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
#include <cmocka.h>

#include "jsonutil.h"
#include "sapi-client/sapi.h"

static char dir[] = "/tmp/test_sapi_client.XXXXXX";
static char cache[256];

static int
setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cache, sizeof cache, "%s/sub/cache.json", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void
test_urls(void **state)
{
	sdc_error_t err = NULL;
	struct sapi_client *c;

	c = sapi_client_new("http://127.0.0.1:9/", &err);
	assert_non_null(c);
	assert_string_equal(sapi_client_url(c), "http://127.0.0.1:9/");
	sapi_client_free(c);
	c = sapi_client_new("unix:/tmp/nothing.sock", &err);
	assert_non_null(c);
	sapi_client_free(c);
	assert_null(sapi_client_new("ftp://x", &err));
	assert_non_null(err);
	assert_true(err->code > 0 && err->code < 100);  /* FETCH_E_URL */
	sdc_error_release(&err);
	assert_string_equal(sapi_object_path(SAPI_OBJ_INSTANCE), "instances");
	assert_string_equal(sapi_object_path(SAPI_OBJ_MANIFEST), "manifests");

	/* unix:///PATH too; "unix:" and "unix://" alone name no socket */
	c = sapi_client_new("unix:///tmp/nothing.sock", &err);
	assert_non_null(c);
	sapi_client_free(c);
	assert_null(sapi_client_new("unix:", &err));
	sdc_error_release(&err);
	assert_null(sapi_client_new("unix://tmp/x.sock", &err));
	sdc_error_release(&err);
	/* https with a certificate folder that lacks the files: named */
	assert_null(sapi_client_new_tls("https://127.0.0.1:9", "/nonexistent",
	    &err));
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "/nonexistent/cert.pem"));
	sdc_error_release(&err);
}

/* No URL and no $SAPI_URL: sapi's own default socket, here the source
 * tree's var/sapi/sapi.sock. */
static void
test_default_url(void **state)
{
	char *u;

	unsetenv("SAPI_URL");
	u = sapi_default_url();
	assert_true(strncmp(u, "unix:/", 6) == 0);
	assert_non_null(strstr(u, "/var/sapi/sapi.sock"));
	free(u);
}

static void
test_unreachable(void **state)
{
	sdc_error_t err = NULL;
	struct sapi_client *c = sapi_client_new("http://127.0.0.1:1", &err);
	json_t *j;

	assert_non_null(c);
	j = sapi_client_get(c, SAPI_OBJ_APPLICATION,
	    "aaaaaaaa-0000-4000-8000-000000000001", &err);
	assert_null(j);
	assert_non_null(err);
	assert_true(err->code > 0 && err->code < 100);
	assert_non_null(strstr(err->msg, "GET"));
	sdc_error_release(&err);
	sapi_client_free(c);
}

static void
test_cache_roundtrip(void **state)
{
	sdc_error_t err = NULL;
	json_t *cfg = json_pack("{s:{s:i}, s:[]}", "metadata", "A", 1,
	    "manifests"), *back;
	char *etag = NULL, *uuid = NULL, path[300];

	snprintf(path, sizeof path, "%s/c.json", dir);
	assert_int_equal(sapi_cache_write(path, cfg, "\"e1\"", "u1", &err), 0);
	back = sapi_cache_read(path, &etag, &uuid, &err);
	assert_non_null(back);
	assert_true(json_equal(cfg, back));
	assert_string_equal(etag, "\"e1\"");
	assert_string_equal(uuid, "u1");
	free(etag);
	free(uuid);
	json_decref(back);
	json_decref(cfg);
	snprintf(path, sizeof path, "%s/none.json", dir);
	assert_null(sapi_cache_read(path, NULL, NULL, &err));
	sdc_error_release(&err);
}

struct seen {
	int configs, from_cache, errors;
};

static void
on_config(const json_t *cfg, const char *etag, bool from_cache, void *arg)
{
	struct seen *s = arg;

	s->configs++;
	s->from_cache += from_cache;
}

static void
on_error(const struct sdc_error *err, void *arg)
{
	struct seen *s = arg;

	s->errors++;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_watch_down(void **state)
{
	struct seen s = { 0 };
	struct sapi_watch_options o = {
		.url = "http://127.0.0.1:1",
		.instance_uuid = "aaaaaaaa-0000-4000-8000-000000000003",
		.cache_path = cache,
		.backoff_min = 0.05,
		.backoff_max = 5,
		.on_config = on_config,
		.on_error = on_error,
		.arg = &s,
	};
	sdc_error_t err = NULL;
	struct sapi_watch *w;
	json_t *cfg = json_pack("{s:{s:s}}", "metadata", "K", "cached"), *got;
	char *etag = NULL;
	bool fc = false;
	double t;

	/* no instance named: refused */
	o.instance_uuid = NULL;
	assert_null(sapi_watch_start(&o, &err));
	sdc_error_release(&err);
	o.instance_uuid = "aaaaaaaa-0000-4000-8000-000000000003";

	/* a cache for this instance is delivered inside start */
	w = sapi_watch_start(&o, &err);       /* creates the cache's folder */
	assert_non_null(w);
	assert_int_equal(s.configs, 0);
	sapi_watch_stop(w);
	assert_int_equal(sapi_cache_write(cache, cfg, "\"c1\"", o.instance_uuid,
	    &err), 0);
	w = sapi_watch_start(&o, &err);
	assert_non_null(w);
	assert_int_equal(s.configs, 1);
	assert_int_equal(s.from_cache, 1);
	got = sapi_watch_take(w, &etag, &fc);
	assert_non_null(got);
	assert_true(fc);
	assert_string_equal(etag, "\"c1\"");
	assert_string_equal(json_str(json_object_get(got, "metadata"), "K", ""),
	    "cached");
	free(etag);
	json_decref(got);
	assert_null(sapi_watch_take(w, NULL, NULL));

	/* the service is down: errors, retried */
	t = now();
	while (s.errors < 2 && now() - t < 5)
		usleep(10000);
	assert_true(s.errors >= 2);
	/* stop does not wait out the backoff */
	usleep(300000);
	t = now();
	sapi_watch_stop(w);
	assert_true(now() - t < 1.0);

	/* a cache of another instance is not used */
	s.configs = 0;
	o.instance_uuid = "aaaaaaaa-0000-4000-8000-000000000009";
	w = sapi_watch_start(&o, &err);
	assert_non_null(w);
	assert_int_equal(s.configs, 0);
	sapi_watch_stop(w);
	json_decref(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_default_url),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_cache_roundtrip),
		cmocka_unit_test(test_watch_down),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
