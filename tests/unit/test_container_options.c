/*
 * test_container_options.c: the create body's options table
 * (dockerapi/container-options.c).
 *
 * The pages list what the table says: docs/container-options.md and
 * dockerapi(8) hold, between their markers, exactly what options_doc
 * renders (SDC_WRITE_DOCS=1 writes it there instead of comparing).  And a
 * few checks that need no daemon: the zero values clients send pass, a
 * refusal names the field and the flag, capabilities are Docker's default
 * less the dropped plus the added back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "fsutil.h"
#include "xalloc.h"
#include "dockerapi/containers.h"
#include "test_top.h"

/* The text between the line `begin` and the line `end` of a page is what
 * options_doc renders. */
static void
check_page(const char *rel, bool roff, const char *begin, const char *end)
{
	char *path = test_top_path(rel), *text = test_slurp(path), *a, *z;
	struct buf want = BUF_INIT;
	FILE *f;

	options_doc(&want, roff);
	a = strstr(text, begin);
	assert_non_null(a);
	a += strlen(begin);
	z = strstr(a, end);
	assert_non_null(z);
	if (getenv("SDC_WRITE_DOCS") != NULL) {
		f = fopen(path, "w");
		assert_non_null(f);
		fwrite(text, 1, (size_t)(a - text), f);
		fputs(buf_str(&want), f);
		fputs(z, f);
		assert_int_equal(fclose(f), 0);
	} else {
		if ((size_t)(z - a) != want.len ||
		    memcmp(a, buf_str(&want), want.len) != 0)
			fail_msg("%s is not what the options table renders; run "
			    "SDC_WRITE_DOCS=1 build/tests/test_container_options",
			    rel);
	}
	buf_free(&want);
	free(text);
	free(path);
}

static void
test_pages(void **state)
{
	check_page("docs/container-options.md", false,
	    "<!-- the table: generated -->\n", "<!-- end of the table -->");
	check_page("man/dockerapi.8", true,
	    ".\\\" the options table: generated\n",
	    ".\\\" end of the options table");
}

static struct package pkg = { .name = "t4-standard-1G", .memory = 1024,
    .vcpus = 0.25, .disk = 25600 };

static int
check(const char *text, struct ctr_opts *o, sdc_error_t *err)
{
	json_t *body = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(body);
	rc = options_check(NULL, body, &pkg, o, err);
	json_decref(body);
	return rc;
}

static void
refused(const char *text, const char *words)
{
	sdc_error_t err = NULL;
	struct ctr_opts o;

	if (check(text, &o, &err) == 0)
		fail_msg("%s was accepted", text);
	assert_int_equal(err->code, 400);
	if (strstr(sdc_error_msg(err), words) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", sdc_error_msg(err), words);
	sdc_error_release(&err);
}

static void
test_zero_values(void **state)
{
	sdc_error_t err = NULL;
	struct ctr_opts o;

	assert_int_equal(check("{\"Image\": \"x\", \"Env\": null, \"Volumes\": "
	    "{}, \"HostConfig\": {\"NetworkMode\": \"default\", \"ConsoleSize\": "
	    "[0, 0], \"LogConfig\": {\"Type\": \"\", \"Config\": {}}, "
	    "\"MemorySwappiness\": -1, \"Devices\": [], \"CapAdd\": null, "
	    "\"Privileged\": false, \"PidsLimit\": 0, \"Isolation\": \"\"}, "
	    "\"NetworkingConfig\": {\"EndpointsConfig\": {\"default\": "
	    "{\"IPAMConfig\": null, \"GwPriority\": 0}}}}", &o, &err), 0);
	assert_null(o.caps);
	assert_false(o.no_new_privileges);
	options_clear(&o);
}

static void
test_refusals(void **state)
{
	refused("{\"HostConfig\": {\"Privileged\": true}}",
	    "HostConfig.Privileged (--privileged): not supported");
	refused("{\"HostConfig\": {\"PidMode\": \"host\"}}",
	    "HostConfig.PidMode (--pid): \"host\" is not supported");
	refused("{\"HostConfig\": {\"CapAdd\": [\"SYS_ADMIN\"]}}",
	    "\"CAP_SYS_ADMIN\" is not supported");
	refused("{\"HostConfig\": {\"CapDrop\": [\"BOGUS\"]}}",
	    "unknown capability: \"CAP_BOGUS\"");
	refused("{\"HostConfig\": {\"SecurityOpt\": [\"seccomp:unconfined\"]}}",
	    "seccomp:unconfined");
	refused("{\"HostConfig\": {\"SecurityOpt\": [\"bogus\"]}}",
	    "Invalid --security-opt");
	refused("{\"HostConfig\": {\"Sysctls\": {\"kernel.panic\": \"1\"}}}",
	    "kernel.panic");
	refused("{\"HostConfig\": {\"ShmSize\": 2147483648}}",
	    "more than the package's memory");
	refused("{\"HostConfig\": {\"Tmpfs\": {\"/proc/x\": \"\"}}}",
	    "invalid mount path");
	refused("{\"HostConfig\": {\"Ulimits\": [{\"Name\": \"nofile\", "
	    "\"Soft\": -1, \"Hard\": -1}]}}", "nofile above 1048576");
	refused("{\"HostConfig\": {\"Ulimits\": [{\"Name\": \"core\", "
	    "\"Soft\": 2, \"Hard\": 1}]}}", "soft limit");
	refused("{\"HostConfig\": {\"Binds\": [\"/:/host\"]}}",
	    "host paths are not offered");
	refused("{\"HostConfig\": {\"Binds\": [\"../x:/data\"]}}",
	    "host paths are not offered");
	refused("{\"HostConfig\": {\"Mounts\": [{\"Type\": \"bind\", "
	    "\"Source\": \"/etc\", \"Target\": \"/x\"}]}}",
	    "type=bind is not offered");
	refused("{\"HostConfig\": {\"Mounts\": [{\"Type\": \"tmpfs\", "
	    "\"Target\": \"/proc/x\"}]}}", "invalid mount path");
	refused("{\"HostConfig\": {\"Mounts\": [{\"Type\": \"volume\", "
	    "\"Source\": \"dd\", \"Target\": \"/x\", \"VolumeOptions\": "
	    "{\"DriverConfig\": {\"Options\": {\"o\": \"bind\"}}}}]}}",
	    "volume-opt is not offered");
	refused("{\"HostConfig\": {\"Bogus\": 1}}", "HostConfig.Bogus");
	refused("{\"Bogus\": \"x\"}", "Config.Bogus");
	refused("{\"HostConfig\": {\"NetworkMode\": \"host\"}}",
	    "host is not supported");
	refused("{\"StopSignal\": \"SIGNOPE\"}", "Invalid signal: SIGNOPE");
}

static void
test_applied(void **state)
{
	sdc_error_t err = NULL;
	struct ctr_opts o;
	struct rt_spec spec;

	assert_int_equal(check("{\"HostConfig\": {\"CapDrop\": [\"ALL\"], "
	    "\"CapAdd\": [\"chown\"], \"SecurityOpt\": [\"no-new-privileges\"], "
	    "\"Ulimits\": [{\"Name\": \"nofile\", \"Soft\": 10, \"Hard\": 20}], "
	    "\"Tmpfs\": {\"/run\": \"exec\"}, \"ShmSize\": 1048576, "
	    "\"Sysctls\": {\"net.ipv4.ip_forward\": \"1\"}}}", &o, &err), 0);
	assert_non_null(o.caps);
	assert_string_equal(o.caps[0], "CAP_CHOWN");
	assert_null(o.caps[1]);
	assert_true(o.no_new_privileges);
	assert_int_equal(o.nrlimits, 1);
	assert_string_equal(o.rlimits[0].type, "RLIMIT_NOFILE");
	assert_int_equal(o.rlimits[0].hard, 20);
	assert_int_equal(o.ntmpfs, 1);
	assert_string_equal(o.tmpfs[0].options, "exec,size=1048576k");
	assert_string_equal(o.sysctls[0], "net.ipv4.ip_forward=1");
	memset(&spec, 0, sizeof spec);
	options_spec(&o, &spec);
	assert_int_equal(spec.shm_size, 1048576);
	assert_string_equal(spec.caps[0], "CAP_CHOWN");
	options_clear(&o);

	assert_int_equal(check("{\"HostConfig\": {\"CapDrop\": [\"NET_RAW\"]}}",
	    &o, &err), 0);
	for (size_t i = 0; o.caps[i] != NULL; i++)
		assert_string_not_equal(o.caps[i], "CAP_NET_RAW");
	options_clear(&o);
}

/* Docker's sizes (tmpfs size=, --shm-size): a number and k, m or g with
 * an optional b; anything past int64_t is refused, not converted. */
static void
test_sizes(void **state)
{
	(void)state;
	assert_int_equal(opt_size("512"), 512);
	assert_int_equal(opt_size("64m"), 64 * 1024 * 1024);
	assert_int_equal(opt_size("1gb"), 1024LL * 1024 * 1024);
	assert_int_equal(opt_size("1.5k"), 1536);
	assert_int_equal(opt_size("1x"), -1);
	assert_int_equal(opt_size("1mbb"), -1);
	assert_int_equal(opt_size("k"), -1);
	assert_int_equal(opt_size("9223372036854775807000"), -1);
	assert_int_equal(opt_size("99999999999999999999999999999999999g"), -1);
	assert_int_equal(opt_size("1e400"), -1);
	assert_int_equal(opt_size("8589934592g"), -1);	/* 2^63 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_zero_values),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_applied),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
