/*
 * test_runtime_volume.c: a volume's files (dockerapi/runtime/volume.c):
 * the first copy from a container's root, symlinks copied as links and
 * never followed (the image's, and ones planted in the volume), removal
 * that takes a link and not what it points to, the size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dockerapi/runtime/runtime.h"

#define ID "0f9a7c1e-2b34-4c56-8d78-9abcdef01234"

static char top[] = "/tmp/test_runtime_volume.XXXXXX";

static void
put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", top, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", top, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void
link_(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", top, rel);
	assert_int_equal(symlink(target, path), 0);
}

static bool
exists(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", top, rel);
	return lstat(path, &st) == 0;
}

static bool
is_link(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", top, rel);
	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static void
test_copy_and_remove(void **state)
{
	struct rt_config cfg = { 0 };
	struct rt_idmap none = { 0 };
	struct rt_copy_progress progress = { 0 };
	sdc_error_t err = NULL;
	char zones[512], vol[512], outside[512];
	int64_t size;

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(zones, sizeof zones, "%s/zones", top);
	cfg.zones = zones;
	dir("zones");
	dir("zones/" ID);
	dir("zones/" ID "/root");
	dir("zones/" ID "/root/seed");
	dir("zones/" ID "/root/seed/sub");
	put("zones/" ID "/root/seed/hello", "hello\n");
	put("zones/" ID "/root/seed/sub/deep", "deep!\n");
	link_("/", "zones/" ID "/root/seed/root");
	/* a folder of the image that is a symlink out: resolved in the root */
	link_("/seed", "zones/" ID "/root/alias");
	dir("outside");
	put("outside/keep", "host\n");
	snprintf(outside, sizeof outside, "%s/outside", top);

	snprintf(vol, sizeof vol, "%s/vol", top);
	assert_int_equal(rt_volume_make(vol, &none, &err), 0);
	assert_int_equal(rt_volume_populate(&cfg, ID, "/alias", vol, &none,
	    &progress, &err), 0);
	/* hello, sub, sub/deep and the link root, and their 12 bytes */
	assert_int_equal(progress.entries, 4);
	assert_int_equal(progress.bytes, 12);
	assert_true(exists("vol/_data/hello"));
	assert_true(exists("vol/_data/sub/deep"));
	assert_true(is_link("vol/_data/root"));
	assert_int_equal(rt_volume_size(vol, &size, &err), 0);
	assert_int_equal(size, 6 + 6 + 1);	/* two files and the link "/" */

	/* not empty: no second copy */
	put("zones/" ID "/root/seed/later", "x\n");
	assert_int_equal(rt_volume_populate(&cfg, ID, "/seed", vol, &none,
	    NULL, &err), 0);
	assert_false(exists("vol/_data/later"));
	/* nothing at the path: nothing to do */
	assert_int_equal(rt_volume_populate(&cfg, ID, "/nope", vol, &none,
	    NULL, &err), 0);

	/* links planted by the tenant: removal takes them, not their targets */
	link_(outside, "vol/_data/out");
	link_("/", "vol/_data/sub/slash");
	assert_int_equal(rt_volume_remove(vol, &err), 0);
	assert_false(exists("vol"));
	assert_true(exists("outside/keep"));
	assert_int_equal(access("/etc/passwd", F_OK), 0);

	/* a copy into a volume whose _data a tenant filled with links */
	assert_int_equal(rt_volume_make(vol, &none, &err), 0);
	link_(outside, "vol/_data/hello");
	assert_int_equal(rt_volume_populate(&cfg, ID, "/seed", vol, &none,
	    NULL, &err), 0);
	assert_false(exists("outside/hello"));
	assert_int_equal(rt_volume_remove(vol, &err), 0);
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "rm -rf %s", top);
		assert_int_equal(system(cmd), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_and_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
