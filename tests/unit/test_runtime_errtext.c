/*
 * test_runtime_errtext.c: runtime errors as a tenant reads them
 * (dockerapi/runtime/errtext.c): host paths out, the reason and the
 * container's own paths kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dockerapi/runtime/runtime.h"

#define ID "0f9a7c1e-2b34-4c56-8d78-9abcdef01234"

static const struct rt_config cfg = { .zones = "/tmp/sdctest.x1/zones",
	.runtime_root = "/run/sdc-docker/runc" };

static void
check(const char *msg, const char *want)
{
	const char *layers[] = { "/var/lib/sdc/images/layers", NULL };
	char *got = rt_error_public(&cfg, ID, layers, msg);

	assert_string_equal(got, want);
	free(got);
}

static void
test_paths(void **state)
{
	(void)state;
	/* the container's own paths stay */
	check("runc run failed: unable to start container process: exec: "
	    "\"/nope\": stat /nope: no such file or directory",
	    "runc run failed: unable to start container process: exec: "
	    "\"/nope\": stat /nope: no such file or directory");
	/* the root filesystem's become the container's */
	check("open /tmp/sdctest.x1/zones/" ID "/root/etc/passwd: permission denied",
	    "open /etc/passwd: permission denied");
	check("chdir /tmp/sdctest.x1/zones/" ID "/root: not a directory",
	    "chdir /: not a directory");
	/* the rest of the host's go */
	check("error mounting \"/tmp/sdctest.x1/zones/" ID "/volumes/0\" to rootfs "
	    "at \"/bin/sh\": mount /proc/self/fd/7:/bin/sh (via /proc/self/fd/9), "
	    "flags: 0x5000: not a directory",
	    "error mounting \"(host path)\" to rootfs at \"/bin/sh\": mount "
	    "(host path):/bin/sh (via (host path)), flags: 0x5000: not a directory");
	check("creating /tmp/sdctest.x1/zones: File exists",
	    "creating (host path): File exists");
	check("lstat /var/lib/sdc/images/layers/sha256-abc/etc: no such file",
	    "lstat (host path): no such file");
	check("container state /run/sdc-docker/runc/" ID "/state.json missing; "
	    "console /proc/1234/fd/5/console.sock",
	    "container state (host path) missing; console (host path)");
	/* only whole path components match */
	check("open /tmp/sdctest.x1/zonesX/a and /run/sdc-docker/runcx",
	    "open /tmp/sdctest.x1/zonesX/a and /run/sdc-docker/runcx");
	check("", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
