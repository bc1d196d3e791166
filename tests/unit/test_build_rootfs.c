/*
 * test_build_rootfs.c: dockerapi/build-rootfs.c reads an image's files
 * from its layers as overlayfs shows them (the top layer wins, a
 * whiteout hides, an opaque folder hides what is below it, folders
 * merge) and resolves links inside the image: a link pointing "out"
 * (../../../etc, an absolute /etc/...) reads the image's file, never
 * the host's, and a link loop is no file.
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
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "dockerapi/build-int.h"
#include "fsutil.h"
#include "xalloc.h"

static char top[] = "/tmp/test_build_rootfs.XXXXXX";
static struct rootfs rfs;

static void
put(const char *layer, const char *rel, const char *text)
{
	char *p, *dir;
	sdc_error_t err = NULL;

	xasprintf(&p, "%s/%s/%s", top, layer, rel);
	dir = xstrdup(p);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755, &err), 0);
	free(dir);
	if (strncmp(text, "->", 2) == 0)
		assert_int_equal(symlink(text + 2, p), 0);
	else if (strcmp(text, "WHITEOUT") == 0)
		assert_int_equal(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
	else if (strcmp(text, "DIR") == 0)
		assert_int_equal(mkdir(p, 0755), 0);
	else
		assert_int_equal(file_write_atomic(p, text, strlen(text), 0644, &err), 0);
	free(p);
}

static char *
read_in(const char *path)
{
	struct buf b = BUF_INIT;

	if (rootfs_read(&rfs, path, &b, 1 << 20) != 0) {
		buf_free(&b);
		return NULL;
	}
	buf_putc(&b, '\0');
	return buf_detach(&b, NULL);
}

static void
reads(const char *path, const char *want)
{
	char *got = read_in(path);

	if (want == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	free(got);
}

static int
setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(top));
	/* lower: the base; upper: what a later step changed */
	put("lower", "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	put("lower", "etc/group", "root:x:0:\n");
	put("lower", "old/gone.txt", "gone\n");
	put("lower", "opq/below", "below\n");
	put("lower", "merge/a", "a\n");
	put("upper", "merge/b", "b\n");
	put("upper", "etc/group", "WHITEOUT");
	put("upper", "opq/above", "above\n");
	put("upper", "out", "->../../../../../../etc");
	put("upper", "abs", "->/etc/passwd");
	put("upper", "loop1", "->loop2");
	put("upper", "loop2", "->loop1");
	put("upper", "old", "WHITEOUT");
	char *opq;
	xasprintf(&opq, "%s/upper/opq", top);
	if (setxattr(opq, "trusted.overlay.opaque", "y", 1, 0) < 0)
		fprintf(stderr, "(no trusted xattrs here: the opaque case is skipped)\n");
	free(opq);
	rfs.n = 2;
	rfs.layers = xcalloc(2, sizeof *rfs.layers);
	xasprintf(&rfs.layers[0], "%s/upper", top);
	xasprintf(&rfs.layers[1], "%s/lower", top);
	return 0;
}

static int
teardown(void **state)
{
	sdc_error_t err = NULL;

	(void)state;
	rootfs_free(&rfs);
	fs_rmtree(top, &err);
	sdc_error_release(&err);
	return 0;
}

static void
test_layers(void **state)
{
	(void)state;
	reads("etc/passwd", "root:x:0:0::/root:/bin/sh\n");	/* from below */
	reads("/etc/group", NULL);				/* whited out */
	reads("old/gone.txt", NULL);		/* its folder whited out */
	reads("merge/a", "a\n");
	reads("merge/b", "b\n");

	char **names;
	size_t n;
	assert_int_equal(rootfs_list(&rfs, "merge", &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_int_equal(rootfs_list(&rfs, "", &names, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(names[i], "old");	/* the whiteout */
		free(names[i]);
	}
	free(names);

	char opq[PATH_MAX], v[2];
	snprintf(opq, sizeof opq, "%s/upper/opq", top);
	if (getxattr(opq, "trusted.overlay.opaque", v, 1) == 1) {
		reads("opq/above", "above\n");
		reads("opq/below", NULL);
	}
}

static void
test_links_stay_inside(void **state)
{
	struct stat st;
	char *rel = NULL, *host = NULL;

	(void)state;
	/* out -> ../../../../../../etc: the image's /etc, not the host's */
	reads("out/passwd", "root:x:0:0::/root:/bin/sh\n");
	reads("out/hostname", NULL);
	reads("abs", "root:x:0:0::/root:/bin/sh\n");
	reads("../../../../etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	reads("loop1", NULL);
	assert_int_equal(rootfs_resolve(&rfs, "out/passwd", true, &rel, &host, &st), 0);
	assert_string_equal(rel, "etc/passwd");
	assert_true(strncmp(host, top, strlen(top)) == 0);
	free(rel);
	free(host);
	/* not following the last link: the link itself */
	assert_int_equal(rootfs_resolve(&rfs, "abs", false, &rel, NULL, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(rel, "abs");
	free(rel);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layers),
		cmocka_unit_test(test_links_stay_inside),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
