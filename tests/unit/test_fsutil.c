/*
 * test_fsutil.c: lib/fsutil.h's recursive remove: it empties deep trees,
 * removes a symlink and never what it points at, and takes a missing
 * path as already removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fsutil.h"
#include "xalloc.h"

static char *
mkpath(const char *top, const char *rel)
{
	char *p;

	xasprintf(&p, "%s/%s", top, rel);
	return p;
}

static void
touch(const char *top, const char *rel)
{
	char *p = mkpath(top, rel);
	int fd = open(p, O_WRONLY | O_CREAT, 0600);

	assert_true(fd >= 0);
	close(fd);
	free(p);
}

static bool
exists(const char *top, const char *rel)
{
	struct stat st;
	char *p = mkpath(top, rel);
	bool ok = lstat(p, &st) == 0;

	free(p);
	return ok;
}

static void
test_rmtree(void **state)
{
	char top[] = "/tmp/test-fsutil-XXXXXX", *p, *outside, *tree;
	sdc_error_t err = NULL;

	(void)state;
	assert_non_null(mkdtemp(top));
	outside = mkpath(top, "outside");
	tree = mkpath(top, "tree");
	assert_int_equal(mkdir(outside, 0700), 0);
	touch(top, "outside/keep");
	p = mkpath(top, "tree/a/b/c/d");
	assert_int_equal(mkdir_p(p, 0700, &err), 0);
	free(p);
	touch(top, "tree/a/b/c/d/f");
	touch(top, "tree/a/f");
	/* links to a folder and a file outside: only the links go */
	p = mkpath(top, "tree/a/b/out");
	assert_int_equal(symlink(outside, p), 0);
	free(p);
	p = mkpath(top, "tree/keep");
	assert_int_equal(symlink("../outside/keep", p), 0);
	free(p);

	assert_int_equal(fs_rmtree(tree, &err), 0);
	assert_null(err);
	assert_false(exists(top, "tree"));
	assert_true(exists(top, "outside/keep"));
	/* missing: already removed */
	assert_int_equal(fs_rmtree(tree, &err), 0);

	/* a symlink at the top is removed, not followed */
	p = mkpath(top, "link");
	assert_int_equal(symlink(outside, p), 0);
	assert_int_equal(fs_rmtree(p, &err), 0);
	assert_false(exists(top, "link"));
	assert_true(exists(top, "outside/keep"));
	free(p);

	/* a plain file */
	assert_int_equal(fs_rmtree_at(AT_FDCWD, outside, &err), 0);
	assert_false(exists(top, "outside"));
	assert_int_equal(rmdir(top), 0);
	free(outside);
	free(tree);
}

static void
test_rmtree_deep(void **state)
{
	char top[] = "/tmp/test-fsutil-XXXXXX";
	sdc_error_t err = NULL;
	int fd, next;

	(void)state;
	assert_non_null(mkdtemp(top));
	/* 200 levels, made through descriptors so no path grows long */
	fd = open(top, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(mkdirat(fd, "d", 0700), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	close(fd);
	assert_int_equal(fs_rmtree(top, &err), 0);
	assert_false(access(top, F_OK) == 0);
}

static void
test_rmtree_error_names_path(void **state)
{
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(fs_rmtree("/proc/self/nope/x", &err), 0);
	/* not removable, even by root */
	assert_int_equal(fs_rmtree("/proc/self/comm", &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "/proc/self/comm"));
	sdc_error_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rmtree),
		cmocka_unit_test(test_rmtree_deep),
		cmocka_unit_test(test_rmtree_error_names_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
