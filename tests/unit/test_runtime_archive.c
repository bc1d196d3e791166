/*
 * test_runtime_archive.c: docker cp's file work (dockerapi/runtime/
 * archive.c) on a made-up root beside a folder it must never reach:
 * paths cleaned as Go cleans them, tars whose names climb out refused,
 * symlinks planted in the root (absolute, and a ../../.. chain) followed
 * only inside it, hard links out and device nodes refused, a read-only
 * volume refused as a destination however it is reached, a tar of the
 * root through a link holding nothing of the folder beside it, and a tar
 * of a folder read back entry by entry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "buf.h"
#include "xalloc.h"
#include "dockerapi/runtime/runtime.h"

static char top[] = "/tmp/sdc-archive-XXXXXX";
static char *rootdir, *outside;
static struct rt_root root;

static void
put_file(const char *dir, const char *name, const char *text)
{
	char *p;
	FILE *f;

	xasprintf(&p, "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

/* A link at dir/name to target, as a tenant plants one. */
static void
plant(const char *dir, const char *name, const char *target)
{
	char *p;

	xasprintf(&p, "%s/%s", dir, name);
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static int
setup(void **state)
{
	char *p;

	(void)state;
	assert_non_null(mkdtemp(top));
	xasprintf(&rootdir, "%s/root", top);
	xasprintf(&outside, "%s/outside", top);
	assert_int_equal(mkdir(rootdir, 0755), 0);
	assert_int_equal(mkdir(outside, 0755), 0);
	put_file(outside, "canary", "secret");
	xasprintf(&p, "%s/etc", rootdir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	put_file(rootdir, "etc/passwd", "root:x:0:0::/:/bin/sh\n");
	/* what a tenant plants */
	plant(rootdir, "x", "/");
	plant(rootdir, "up", "../../../..");
	root.fd = open(rootdir, O_PATH | O_DIRECTORY);
	assert_true(root.fd >= 0);
	root.host = xstrdup(rootdir);
	root.idmap.count = 0;	/* the host's ids */
	return 0;
}

static int
teardown(void **state)
{
	char *cmd;

	(void)state;
	rt_root_close(&root);
	xasprintf(&cmd, "rm -rf %s", top);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(rootdir);
	free(outside);
	return 0;
}

/* A tar of (type, name, link or data) triples, in a file; its fd. */
static int
tar_fd(const char *const *spec)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char path[] = "/tmp/sdc-archive-tar-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (; spec[0] != NULL; spec += 3) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, spec[1]);
		archive_entry_set_perm(e, 0644);
		switch (spec[0][0]) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)strlen(spec[2]));
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, spec[2]);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, spec[2]);
			break;
		case 'c':
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdevmajor(e, 1);
			archive_entry_set_rdevminor(e, 3);
			break;
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (spec[0][0] == 'f')
			archive_write_data(a, spec[2], strlen(spec[2]));
	}
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static int
put_in(const struct rt_root *r, const char *dest, const char *const *spec,
    int *code)
{
	struct rt_put_opts o = { 0 };
	sdc_error_t err = NULL;
	int fd = tar_fd(spec), rc;

	rc = rt_archive_put(r, dest, &o, fd, &err);
	close(fd);
	*code = err != NULL ? err->code : 0;
	sdc_error_release(&err);
	return rc;
}

static int
put(const char *dest, const char *const *spec, int *code)
{
	return put_in(&root, dest, spec, code);
}

static bool
exists(const char *dir, const char *name)
{
	struct stat st;
	char *p;
	bool r;

	xasprintf(&p, "%s/%s", dir, name);
	r = lstat(p, &st) == 0;
	free(p);
	return r;
}

static void
test_clean(void **state)
{
	static const char *const cases[][2] = {
		{ "", "/" }, { "/", "/" }, { "a/../../b", "/b" },
		{ "//x/./y/", "/x/y" }, { "/..", "/" }, { "../../etc", "/etc" },
		{ "a/b/../c/.", "/a/c" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *c = rt_path_clean(cases[i][0]);

		assert_string_equal(c, cases[i][1]);
		free(c);
	}
}

static void
test_refused(void **state)
{
	static const char *const dotdot[] = { "f", "../outside/evil", "x", NULL };
	static const char *const dotdot2[] = { "f", "a/../../outside/evil", "x",
		NULL };
	static const char *const hard[] = { "h", "h", "../outside/canary", NULL };
	static const char *const hard2[] = { "h", "h2", "/outside/canary", NULL };
	static const char *const dev[] = { "c", "null", "", NULL };
	int code;

	(void)state;
	assert_int_equal(put("/", dotdot, &code), -1);
	assert_int_equal(code, 400);
	assert_int_equal(put("/etc", dotdot2, &code), -1);
	assert_int_equal(code, 400);
	assert_int_equal(put("/", hard, &code), -1);
	assert_int_equal(code, 400);
	assert_int_equal(put("/", hard2, &code), -1);
	assert_int_equal(code, 400);
	assert_int_equal(put("/", dev, &code), -1);
	assert_int_equal(code, 400);
	assert_false(exists(rootdir, "null"));
	assert_false(exists(outside, "evil"));
	assert_false(exists(rootdir, "h"));
	/* a destination through a link to nowhere in the root */
	assert_int_equal(put("/x/../outside", dotdot, &code), -1);
	assert_int_equal(code, 404);
}

static void
test_links_stay_inside(void **state)
{
	static const char *const through[] = {
		"f", "up/outside/e1", "1",		/* planted ../../.. */
		"f", "x/outside/e2", "2",		/* planted / */
		"l", "s", "/outside", "f", "s/e3", "3",	/* a link in the tar */
		"f", "/outside/e4", "4",		/* absolute: relative */
		NULL };
	static const char *const over[] = {
		"l", "v", "/outside/canary", "f", "v", "replaced", NULL };
	char *inside;
	int code;

	(void)state;
	assert_int_equal(put("/", through, &code), 0);
	xasprintf(&inside, "%s/outside", rootdir);
	assert_true(exists(inside, "e1"));
	assert_true(exists(inside, "e2"));
	assert_true(exists(inside, "e3"));
	assert_true(exists(inside, "e4"));
	free(inside);
	assert_false(exists(outside, "e1"));
	assert_false(exists(outside, "e2"));
	assert_false(exists(outside, "e3"));
	assert_false(exists(outside, "e4"));
	/* through the planted links as destinations too */
	assert_int_equal(put("/up/etc", over, &code), 0);
	assert_int_equal(put("/x/x/etc/", over, &code), 0);
	assert_true(exists(rootdir, "etc/v"));
	{
		char buf[16] = { 0 };
		int fd;
		char *p;

		xasprintf(&p, "%s/canary", outside);
		fd = open(p, O_RDONLY);
		free(p);
		assert_true(read(fd, buf, sizeof buf - 1) == 6);
		close(fd);
		assert_string_equal(buf, "secret");
	}
}

/* A folder under top, made, its O_PATH fd. */
static int
volume_dir(const char *name)
{
	char *p;
	int fd;

	xasprintf(&p, "%s/%s", top, name);
	assert_int_equal(mkdir(p, 0755), 0);
	fd = open(p, O_PATH | O_DIRECTORY);
	assert_true(fd >= 0);
	free(p);
	return fd;
}

/* A read-only volume the tenant's link leads to: the caller finds the
 * mount a path is in by the path's text, so "/toro" (a link to /ro)
 * reaches the extraction, which refuses it once resolved (found by
 * fuzz_cp_put, which wrote into the read-only volume). */
static void
test_read_only_through_link(void **state)
{
	static const char *const one[] = { "f", "new", "n", NULL };
	static const char *const via[] = { "f", "toro/new", "n", NULL };
	static const char *const dests[] = { "/ro", "/toro", "/toro/",
		"/torel/.", "/x/ro", "/rw/back", NULL };
	struct rt_root r = { .host = rootdir };
	char *ro, *p;
	int code;

	(void)state;
	r.fd = open(rootdir, O_PATH | O_DIRECTORY);
	assert_true(r.fd >= 0);
	rt_root_graft(&r, "/ro", volume_dir("ro"), true);
	rt_root_graft(&r, "/rw", volume_dir("rw"), false);
	xasprintf(&ro, "%s/ro", top);
	put_file(ro, "keep", "kept");
	for (size_t i = 0; i < 2; i++) {
		xasprintf(&p, "%s/%s", rootdir, i == 0 ? "ro" : "rw");
		assert_int_equal(mkdir(p, 0755), 0);
		free(p);
	}
	plant(rootdir, "toro", "/ro");
	plant(rootdir, "torel", "ro");
	xasprintf(&p, "%s/rw", top);
	plant(p, "back", "../ro");
	free(p);
	for (size_t i = 0; dests[i] != NULL; i++) {
		assert_int_equal(put_in(&r, dests[i], one, &code), -1);
		assert_int_equal(code, 403);
	}
	assert_int_equal(put_in(&r, "/", via, &code), -1);
	assert_int_equal(code, 400);	/* a link to nothing it may hold */
	assert_false(exists(ro, "new"));
	assert_true(exists(ro, "keep"));
	/* the writable one takes it, its own name and through a link */
	assert_int_equal(put_in(&r, "/rw", one, &code), 0);
	xasprintf(&p, "%s/rw", top);
	assert_true(exists(p, "new"));
	free(p);
	r.host = NULL;		/* rootdir is the suite's */
	rt_root_close(&r);
	free(ro);
}

static int
collect(void *arg, const void *data, size_t len)
{
	buf_append(arg, data, len);
	return 0;
}

static void
test_get_through_links(void **state)
{
	struct rt_path_stat st;
	struct buf b = BUF_INIT;
	sdc_error_t err = NULL;

	(void)state;
	assert_int_equal(rt_archive_get(&root, "/up/", collect, &b, &err), 0);
	assert_true(b.len > 1024);
	assert_null(memmem(b.data, b.len, "secret", 6));
	assert_non_null(memmem(b.data, b.len, "etc/passwd", 10));
	buf_free(&b);
	assert_int_equal(rt_archive_get(&root, "/x/../outside/canary", collect, &b,
	    &err), -1);
	assert_int_equal(err->code, 404);
	sdc_error_release(&err);
	buf_free(&b);
	assert_int_equal(rt_archive_stat(&root, "/up", &st, &err), 0);
	assert_string_equal(st.link_target, "/");
	assert_string_equal(st.name, "up");
	assert_true(st.mode & (1u << 27));
	rt_path_stat_free(&st);
	assert_int_equal(rt_archive_stat(&root, "/x/etc/", &st, &err), 0);
	assert_true(st.mode & (1u << 31));
	assert_string_equal(st.name, "etc");
	rt_path_stat_free(&st);
}

/* A tar of a folder read back: Docker's names ("long/", "long/<name>"),
 * a name over ustar's 100 bytes and an id over its 7 octal digits in a
 * pax header, setuid kept, a symlink's target, and the stream ending
 * with the two zero blocks of the trailer, unpadded. */
static void
test_get_entries(void **state)
{
	char name[121], *dir, *p;
	struct buf b = BUF_INIT;
	sdc_error_t err = NULL;
	struct archive *a;
	struct archive_entry *e;
	int seen = 0;

	(void)state;
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	xasprintf(&dir, "%s/long", rootdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	put_file(dir, name, "hello");
	xasprintf(&p, "%s/%s", dir, name);
	assert_int_equal(chown(p, 5000000, 7), 0);	/* clears setuid */
	assert_int_equal(chmod(p, 04755), 0);
	free(p);
	xasprintf(&p, "%s/ln", dir);
	assert_int_equal(symlink("../etc/passwd", p), 0);
	free(p);

	assert_int_equal(rt_archive_get(&root, "/long", collect, &b, &err), 0);
	assert_int_equal(b.len % 512, 0);
	for (size_t i = b.len - 1024; i < b.len; i++)
		assert_int_equal(b.data[i], 0);
	a = archive_read_new();
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_memory(a, b.data, b.len), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *n = archive_entry_pathname(e);

		if (strcmp(n, "long/") == 0) {
			assert_int_equal(archive_entry_filetype(e), AE_IFDIR);
			assert_int_equal(archive_entry_perm(e), 0755);
			seen |= 1;
		} else if (strncmp(n, "long/", 5) == 0 &&
		    strcmp(n + 5, name) == 0) {
			char data[8] = { 0 };

			assert_int_equal(archive_entry_mode(e) & 07777, 04755);
			assert_int_equal(archive_entry_uid(e), 5000000);
			assert_int_equal(archive_entry_gid(e), 7);
			assert_true(archive_entry_uname(e) == NULL ||
			    *archive_entry_uname(e) == '\0');
			assert_int_equal(archive_read_data(a, data, sizeof data), 5);
			assert_string_equal(data, "hello");
			seen |= 2;
		} else if (strcmp(n, "long/ln") == 0) {
			assert_int_equal(archive_entry_filetype(e), AE_IFLNK);
			assert_string_equal(archive_entry_symlink(e),
			    "../etc/passwd");
			seen |= 4;
		} else
			fail_msg("unexpected entry %s", n);
	}
	assert_int_equal(seen, 7);
	archive_read_free(a);
	buf_free(&b);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_links_stay_inside),
		cmocka_unit_test(test_read_only_through_link),
		cmocka_unit_test(test_get_through_links),
		cmocka_unit_test(test_get_entries),
	};

	if (geteuid() != 0) {
		printf("needs root (files owned by root are made)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
