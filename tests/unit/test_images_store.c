/*
 * test_images_store.c: the on-disk half of libsdcimages without a network:
 * the blob store's verification, layer unpacking (whiteouts, opaque dirs,
 * owners, modes, xattrs, links, devices, refusals), and the per-account
 * tables with tag, list, remove and garbage collection.  Tars are written
 * here with libarchive, so each test says exactly which entries it feeds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "dockerapi/images/images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

struct fixture {
	char dir[64];
	struct store *st;
	struct images *im;
};

static char *
fx_path(struct fixture *fx, const char *rel)
{
	char *p;

	xasprintf(&p, "%s/%s", fx->dir, rel);
	return p;
}

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	struct images_opts o = { 0 };
	sdc_error_t err = NULL;
	char *db;

	snprintf(fx->dir, sizeof fx->dir, "/tmp/test-images-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	db = fx_path(fx, "store.db");
	o.datadir = fx->dir;
	if (store_open(&fx->st, db, &err) < 0 || images_open(&fx->im, fx->st, &o, &err) < 0) {
		fprintf(stderr, "%s\n", sdc_error_msg(err));
		return -1;
	}
	free(db);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	sdc_error_t err = NULL;

	images_close(fx->im);
	store_close(fx->st);
	fs_rmtree(fx->dir, &err);
	free(fx);
	return 0;
}

/* ---- a tiny tar writer ---- */

struct tar {
	struct archive *a;
	char *path;
};

static void
tar_open(struct tar *t, struct fixture *fx, const char *name)
{
	t->path = fx_path(fx, name);
	t->a = archive_write_new();
	archive_write_set_format_pax(t->a);
	assert_int_equal(archive_write_open_filename(t->a, t->path), ARCHIVE_OK);
}

static struct archive_entry *
tar_entry(const char *name, unsigned int type, int mode)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, mode);
	archive_entry_set_mtime(e, 1600000000, 0);
	return e;
}

static void
tar_put(struct tar *t, struct archive_entry *e, const char *data)
{
	size_t len = data ? strlen(data) : 0;

	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == NULL)
		archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
	if (len > 0)
		assert_int_equal(archive_write_data(t->a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

static void
tar_file(struct tar *t, const char *name, int mode, const char *data)
{
	tar_put(t, tar_entry(name, AE_IFREG, mode), data);
}

static void
tar_link(struct tar *t, const char *name, unsigned int type, const char *target)
{
	struct archive_entry *e = tar_entry(name, type, 0777);

	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, target);
	else {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, target);
	}
	tar_put(t, e, NULL);
}

static void
tar_close(struct tar *t)
{
	archive_write_close(t->a);
	archive_write_free(t->a);
}

static int
count_entries(struct fixture *fx, const char *rel)
{
	char *cmd, *p = fx_path(fx, rel);
	FILE *f;
	int n = -1;

	xasprintf(&cmd, "ls -A '%s' | wc -l", p);
	f = popen(cmd, "r");
	if (f != NULL && fscanf(f, "%d", &n) != 1)
		n = -1;
	if (f != NULL)
		pclose(f);
	free(cmd);
	free(p);
	return n;
}

/* ---- tests ---- */

static void
test_blob_verification(void **state)
{
	struct fixture *fx = *state;
	sdc_error_t err = NULL;
	char got[72], *d = digest_of("hello", 5);

	assert_int_equal(blobs_put(fx->im, "hellO", 5, d, NULL, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "verification failed"));
	sdc_error_release(&err);
	assert_false(blobs_exists(fx->im, d));
	assert_int_equal(count_entries(fx, "images/tmp"), 0);
	assert_int_equal(blobs_put(fx->im, "hello", 5, d, got, &err), 0);
	assert_string_equal(got, d);
	assert_true(blobs_exists(fx->im, d));
	free(d);
}

static char *
build_rich_layer(struct fixture *fx)
{
	struct tar t;
	struct archive_entry *e;

	tar_open(&t, fx, "rich.tar");
	e = tar_entry("./etc/", AE_IFDIR, 0750);
	archive_entry_set_uid(e, 1000);
	tar_put(&t, e, NULL);
	e = tar_entry("etc/f", AE_IFREG, 04755);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 1001);
	archive_entry_xattr_add_entry(e, "user.k", "v", 1);
	archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/x", 2);
	tar_put(&t, e, "content\n");
	tar_link(&t, "etc/g", AE_IFREG, "etc/f");
	tar_link(&t, "etc/s", AE_IFLNK, "/abs/target");
	tar_put(&t, tar_entry("dev", AE_IFDIR, 0755), NULL);
	e = tar_entry("dev/null", AE_IFCHR, 0666);
	archive_entry_set_rdev(e, makedev(1, 3));
	tar_put(&t, e, NULL);
	e = tar_entry("dev/sda", AE_IFBLK, 0660);
	archive_entry_set_rdev(e, makedev(8, 0));
	tar_put(&t, e, NULL);
	tar_link(&t, "dev/disk", AE_IFREG, "dev/sda");
	e = tar_entry("dev/wh", AE_IFCHR, 0);
	archive_entry_set_rdev(e, makedev(0, 0));
	tar_put(&t, e, NULL);
	tar_put(&t, tar_entry("dev/fifo", AE_IFIFO, 0600), NULL);
	tar_file(&t, ".wh.gone", 0644, NULL);
	tar_put(&t, tar_entry("opq", AE_IFDIR, 0755), NULL);
	tar_file(&t, "opq/.wh..wh..opq", 0644, NULL);
	tar_file(&t, "opq/kept", 0644, "k");
	tar_close(&t);
	return t.path;
}

static int
hash_cb(void *arg, const void *data, size_t len)
{
	EVP_DigestUpdate(arg, data, len);
	return 0;
}

/* The tar rebuilt from the tar-split is the tar we unpacked, byte for byte. */
static void
check_rebuild(struct fixture *fx, const char *diff_id, const char *tar)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	sdc_error_t err = NULL;
	int64_t size, want;
	char got[72];
	struct stat sb;

	assert_int_equal(stat(tar, &sb), 0);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (layers_copy_tar(fx->im, diff_id, "sha256:none", hash_cb, md, &size, &err) < 0)
		fail_msg("%s", sdc_error_msg(err));
	digest_final(md, got);
	EVP_MD_CTX_free(md);
	assert_string_equal(got, diff_id);
	assert_int_equal(size, sb.st_size);
	assert_int_equal(layers_tar_size(fx->im, diff_id, "sha256:none", &want, &err), 0);
	assert_int_equal(want, sb.st_size);
}

static void
test_unpack_rich(void **state)
{
	struct fixture *fx = *state;
	struct layer_result res;
	sdc_error_t err = NULL;
	char *tar = build_rich_layer(fx), *dir, *p, buf[8];
	struct stat sb, sb2;

	if (layers_unpack(fx->im, tar, NULL, NULL, NULL, NULL, NULL, &res, &err) < 0)
		fail_msg("%s", sdc_error_msg(err));
	assert_true(res.created);
	assert_true(res.split);
	assert_int_equal(res.size, 8 + 1);
	check_rebuild(fx, res.diff_id, tar);
	dir = images_layer_dir(fx->im, res.diff_id);
	xasprintf(&p, "%s/etc", dir);
	assert_int_equal(lstat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_int_equal(sb.st_uid, 1000);
	free(p);
	xasprintf(&p, "%s/etc/f", dir);
	assert_int_equal(lstat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 04755);
	assert_int_equal(sb.st_uid, 1000);
	assert_int_equal(sb.st_gid, 1001);
	assert_int_equal(sb.st_mtime, 1600000000);
	assert_int_equal(sb.st_nlink, 2);
	assert_int_equal(lgetxattr(p, "user.k", buf, sizeof buf), 1);
	assert_int_equal(lgetxattr(p, "trusted.overlay.redirect", buf, sizeof buf), -1);
	free(p);
	xasprintf(&p, "%s/etc/g", dir);
	assert_int_equal(lstat(p, &sb2), 0);
	assert_int_equal(sb.st_ino, sb2.st_ino);
	free(p);
	xasprintf(&p, "%s/etc/s", dir);
	assert_int_equal(readlink(p, buf, sizeof buf), 8);
	assert_memory_equal(buf, "/abs/tar", 8);
	free(p);
	/* device nodes are not made in the store (a hard link to one
	 * neither); a 0/0 character device is a whiteout and is */
	for (const char *const *n = (const char *const[]){ "dev/null",
	    "dev/sda", "dev/disk", NULL }; *n != NULL; n++) {
		xasprintf(&p, "%s/%s", dir, *n);
		assert_int_equal(lstat(p, &sb), -1);
		free(p);
	}
	xasprintf(&p, "%s/dev/wh", dir);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISCHR(sb.st_mode));
	assert_int_equal(sb.st_rdev, 0);
	free(p);
	xasprintf(&p, "%s/dev/fifo", dir);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
	free(p);
	xasprintf(&p, "%s/gone", dir);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISCHR(sb.st_mode));
	assert_int_equal(sb.st_rdev, 0);
	assert_int_equal(sb.st_mode & 07777, 0);
	free(p);
	xasprintf(&p, "%s/.wh.gone", dir);
	assert_int_equal(lstat(p, &sb), -1);
	free(p);
	xasprintf(&p, "%s/opq", dir);
	assert_int_equal(lgetxattr(p, "trusted.overlay.opaque", buf, sizeof buf), 1);
	assert_int_equal(buf[0], 'y');
	free(p);
	xasprintf(&p, "%s/opq/.wh..wh..opq", dir);
	assert_int_equal(lstat(p, &sb), -1);
	free(p);
	assert_int_equal(count_entries(fx, "images/tmp"), 0);
	/* the same layer again: found, not created */
	assert_int_equal(layers_unpack(fx->im, tar, res.diff_id, NULL, NULL, NULL, NULL,
	    &res, &err), 0);
	assert_false(res.created);
	assert_int_equal(count_entries(fx, "images/layers"), 1);
	free(dir);
	free(tar);
}

/* GNU and ustar tars with long names, a hard link and an empty file all
 * rebuild from their tar-split. */
static void
test_tarsplit_formats(void **state)
{
	struct fixture *fx = *state;
	int formats[] = { ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FORMAT_TAR_USTAR,
	    ARCHIVE_FORMAT_TAR_PAX_RESTRICTED };
	char longname[200];

	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	memcpy(longname, "deep/", 5);
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		struct layer_result res;
		sdc_error_t err = NULL;
		struct tar t;
		char name[32];

		snprintf(name, sizeof name, "fmt%zu.tar", i);
		t.path = fx_path(fx, name);
		t.a = archive_write_new();
		archive_write_set_format(t.a, formats[i]);
		assert_int_equal(archive_write_open_filename(t.a, t.path), ARCHIVE_OK);
		tar_put(&t, tar_entry("deep", AE_IFDIR, 0755), NULL);
		tar_file(&t, formats[i] == ARCHIVE_FORMAT_TAR_USTAR ? "deep/short" :
		    longname, 0644, "long\n");
		tar_file(&t, "empty", 0600, NULL);
		tar_file(&t, "odd", 0600, "513 bytes? no, a few");
		tar_link(&t, "hard", AE_IFREG, "odd");
		tar_close(&t);
		if (layers_unpack(fx->im, t.path, NULL, NULL, NULL, NULL, NULL, &res, &err) < 0)
			fail_msg("%s: %s", name, sdc_error_msg(err));
		assert_true(res.split);
		check_rebuild(fx, res.diff_id, t.path);
		free(t.path);
	}
}

/* A header whose base-256 size overflows 64 bits makes the layer not
 * reproducible (no split kept), and a split that is empty or lacks the
 * magic is refused as damaged, not read before its start (both found by
 * fuzz/fuzz_tar_layer.c). */
static void
test_tarsplit_hostile(void **state)
{
	struct fixture *fx = *state;
	struct tarsplit ts;
	unsigned char hdr[512];
	sdc_error_t err = NULL;
	int64_t size;
	char *split = fx_path(fx, "bad.split");

	memset(hdr, 0, sizeof hdr);
	memcpy(hdr, "big", 3);
	hdr[156] = '0';
	memset(hdr + 124, 0xff, 12);
	hdr[124] = 0x80 | 0x3f;
	tarsplit_init(&ts);
	tarsplit_feed(&ts, hdr, sizeof hdr);
	assert_true(ts.invalid);
	tarsplit_free(&ts);

	assert_int_equal(file_write_atomic(split, "", 0, 0644, &err), 0);
	assert_int_equal(tarsplit_size(split, &size, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "damaged tar-split"));
	sdc_error_release(&err);
	assert_int_equal(file_write_atomic(split, "SDCTS0\nP", 8, 0644, &err), 0);
	assert_int_equal(tarsplit_size(split, &size, &err), -1);
	sdc_error_release(&err);
	free(split);
}

/* The pull's reading of a manifest (manifest.c). */
static void
test_manifest(void **state)
{
	static const char d1[] = "sha256:"
	    "9c7a54a9a43cca047013b82af109fe963fde787f63f9e016fdc3384500c2823d";
	struct manifest_image mi;
	struct strvec ids = STRVEC_INIT;
	sdc_error_t err = NULL;
	char *text, *pick = NULL;
	json_t *m;

	xasprintf(&text, "{\"manifests\": [{\"digest\": \"%s\", \"platform\": "
	    "{\"os\": \"linux\", \"architecture\": \"arm64\"}}, {\"digest\": "
	    "\"%s\", \"platform\": {\"os\": \"linux\", \"architecture\": "
	    "\"amd64\"}}]}", "sha256:bad", d1);
	m = json_loads(text, 0, NULL);
	free(text);
	assert_true(manifest_is_index("", m));
	assert_int_equal(manifest_pick_platform(m, &pick, &err), 0);
	assert_string_equal(pick, d1);
	free(pick);
	assert_int_equal(manifest_image(m, "t", &mi, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "schema 1 or unknown"));
	sdc_error_release(&err);
	json_decref(m);

	xasprintf(&text, "{\"schemaVersion\": 2, \"config\": {\"digest\": "
	    "\"%s\", \"size\": 7}, \"layers\": [{\"digest\": \"%s\", "
	    "\"size\": 3}, {\"digest\": \"%s\", \"mediaType\": "
	    "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\"}]}",
	    d1, d1, d1);
	m = json_loads(text, 0, NULL);
	free(text);
	assert_false(manifest_is_index("", m));
	assert_int_equal(manifest_image(m, "t", &mi, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "foreign layers"));
	sdc_error_release(&err);
	json_array_remove(json_object_get(m, "layers"), 1);
	assert_int_equal(manifest_image(m, "t", &mi, &err), 0);
	assert_int_equal(mi.nlayers, 1);
	assert_string_equal(mi.config_digest, d1);
	assert_int_equal(mi.layers[0].size, 3);
	assert_string_equal(mi.layers[0].media_type, "");
	manifest_image_clear(&mi);
	json_decref(m);

	xasprintf(&text, "{\"rootfs\": {\"diff_ids\": [\"%s\"]}}", d1);
	assert_int_equal(manifest_diff_ids(text, strlen(text), 1, &ids, &err), 0);
	assert_int_equal(ids.n, 1);
	strvec_clear(&ids);
	assert_int_equal(manifest_diff_ids(text, strlen(text), 2, &ids, &err), -1);
	if (strstr(sdc_error_msg(err), "1 diff ids for 2 layers") == NULL)
		fail_msg("%s", sdc_error_msg(err));
	sdc_error_release(&err);
	free(text);
}

static void
expect_unpack_refused(struct fixture *fx, const char *tar, const char *msg)
{
	struct layer_result res;
	sdc_error_t err = NULL;

	assert_int_equal(layers_unpack(fx->im, tar, NULL, NULL, NULL, NULL, NULL, &res, &err), -1);
	if (strstr(sdc_error_msg(err), msg) == NULL)
		fail_msg("%s: %s", tar, sdc_error_msg(err));
	sdc_error_release(&err);
	assert_int_equal(count_entries(fx, "images/layers"), 0);
	assert_int_equal(count_entries(fx, "images/tmp"), 0);
}

static void
test_unpack_refusals(void **state)
{
	struct fixture *fx = *state;
	struct layer_result res;
	sdc_error_t err = NULL;
	struct tar t;
	char *tar;

	tar_open(&t, fx, "a.tar");
	tar_file(&t, "ok", 0644, "x");
	tar_file(&t, "../../escape", 0644, "x");
	tar_close(&t);
	expect_unpack_refused(fx, t.path, "'..' component");
	free(t.path);

	tar_open(&t, fx, "b.tar");
	tar_file(&t, "/etc/passwd", 0644, "x");
	tar_close(&t);
	expect_unpack_refused(fx, t.path, "absolute path");
	free(t.path);

	tar_open(&t, fx, "c.tar");
	tar_link(&t, "lnk", AE_IFLNK, "/etc");
	tar_file(&t, "lnk/passwd", 0644, "x");
	tar_close(&t);
	expect_unpack_refused(fx, t.path, "symlink lnk");
	free(t.path);

	tar_open(&t, fx, "d.tar");
	tar_link(&t, "shadow", AE_IFREG, "/etc/shadow");
	tar_close(&t);
	expect_unpack_refused(fx, t.path, "absolute path");
	free(t.path);

	tar_open(&t, fx, "e.tar");
	tar_link(&t, "shadow", AE_IFREG, "missing");
	tar_close(&t);
	expect_unpack_refused(fx, t.path, "no such file in the layer");
	free(t.path);

	tar_open(&t, fx, "f.tar");
	tar_file(&t, "ok", 0644, "x");
	tar_close(&t);
	assert_int_equal(layers_unpack(fx->im, t.path, "sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    NULL, NULL, NULL, NULL, &res, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "diff id mismatch"));
	sdc_error_release(&err);
	assert_int_equal(count_entries(fx, "images/layers"), 0);
	free(t.path);

	tar = fx_path(fx, "junk.tar");
	assert_int_equal(file_write_atomic(tar, "junk junk junk", 14, 0644, &err), 0);
	expect_unpack_refused(fx, tar, "layer");
	free(tar);
}

/* An image of one layer made from a tar, recorded for `account`. */
static char *
make_image(struct fixture *fx, const char *account, const char *tag,
    const char *content, char **diff_out)
{
	struct strvec proved = { 0 };
	struct job_image img = { 0 };
	struct layer_result res;
	sdc_error_t err = NULL;
	struct tar t;
	char diff[72], id[72], *config;

	tar_open(&t, fx, "img.tar");
	tar_file(&t, "data", 0644, content);
	tar_close(&t);
	assert_int_equal(layers_unpack(fx->im, t.path, NULL, NULL, NULL, NULL, NULL, &res, &err), 0);
	memcpy(diff, res.diff_id, 72);
	{
		struct buf b = BUF_INIT;
		assert_int_equal(file_read(t.path, &b, 1 << 20, &err), 0);
		assert_int_equal(blobs_put(fx->im, b.data, b.len, diff, NULL, &err), 0);
		buf_free(&b);
	}
	xasprintf(&config, "{\"created\":\"2024-01-01T00:00:00Z\",\"config\":"
	    "{\"Labels\":{\"k\":\"%s\"}},\"rootfs\":{\"type\":\"layers\","
	    "\"diff_ids\":[\"%s\"]},\"history\":[{\"created_by\":\"test\"}]}",
	    content, diff);
	assert_int_equal(blobs_put(fx->im, config, strlen(config), NULL, id, &err), 0);
	img.id = xstrdup(id);
	img.config = config;
	img.nlayers = 1;
	img.layers = xcalloc(1, sizeof *img.layers);
	img.layers[0].digest = xstrdup(diff);
	img.layers[0].diff_id = xstrdup(diff);
	img.layers[0].media_type = xstrdup("application/vnd.docker.image.rootfs.diff.tar");
	img.layers[0].size = res.size;
	if (tag != NULL)
		strvec_push(&img.tags, tag);
	strvec_push(&proved, diff);
	if (meta_commit_image(fx->im, account, &img, &proved, &err) < 0)
		fail_msg("%s", sdc_error_msg(err));
	strvec_clear(&proved);
	job_layers_free(img.layers, 1);
	free(img.config);
	strvec_clear(&img.tags);
	free(t.path);
	if (diff_out != NULL)
		*diff_out = xstrdup(diff);
	return img.id;
}

/* The image-bytes budget: an unpack stops once it would pass what is left,
 * with the quota's error and nothing left in tmp/ or layers/; shared
 * layers count for each account that has them. */
static void
test_quota_budget(void **state)
{
	struct fixture *fx = *state;
	struct images_budget b = { .limit = 1000, .left = 1000 };
	struct layer_result res;
	sdc_error_t err = NULL;
	char big[8193], *id, *id2;
	int64_t bytes = -1;
	struct tar t;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	tar_open(&t, fx, "big.tar");
	tar_file(&t, "big", 0644, big);
	tar_close(&t);
	assert_int_equal(layers_unpack(fx->im, t.path, NULL, NULL, NULL, NULL, &b,
	    &res, &err), -1);
	assert_int_equal(err->code, 403);
	assert_non_null(strstr(sdc_error_msg(err), "quota image_bytes"));
	sdc_error_release(&err);
	assert_int_equal(count_entries(fx, "images/tmp"), 0);
	assert_int_equal(count_entries(fx, "images/layers"), 0);
	/* with room enough it goes in */
	b.left = 1 << 20;
	atomic_store(&b.unpacked, 0);
	assert_int_equal(layers_unpack(fx->im, t.path, NULL, NULL, NULL, NULL, &b,
	    &res, &err), 0);
	assert_true(atomic_load(&b.unpacked) >= 8192);
	free(t.path);

	id = make_image(fx, "acct-a", "docker.io/library/a:1", "shared", NULL);
	assert_int_equal(images_account_bytes(fx->im, "acct-a", &bytes, &err), 0);
	assert_int_equal(bytes, 6);
	id2 = make_image(fx, "acct-b", "docker.io/library/b:1", "shared", NULL);
	assert_int_equal(images_account_bytes(fx->im, "acct-b", &bytes, &err), 0);
	assert_int_equal(bytes, 6);		/* shared: counted for each */
	assert_int_equal(images_account_bytes(fx->im, "acct-c", &bytes, &err), 0);
	assert_int_equal(bytes, 0);
	free(id);
	free(id2);
}

static int
list_count(struct fixture *fx, const char *account, const struct images_filter *f)
{
	json_t *out;
	sdc_error_t err = NULL;
	int n;

	assert_int_equal(images_list(fx->im, account, f, &out, &err), 0);
	n = (int)json_array_size(out);
	json_decref(out);
	return n;
}

static void
test_accounts_and_tags(void **state)
{
	struct fixture *fx = *state;
	sdc_error_t err = NULL;
	char *id = make_image(fx, "acct-a", "docker.io/library/one:latest", "1", NULL);
	char *got, *prefix;
	const char *lab[] = { "k=1", NULL }, *nolab[] = { "k=2", NULL };
	const char *refs[] = { "on*", NULL }, *norefs[] = { "two", NULL };
	struct images_filter f = { false, -1, lab, NULL };

	assert_int_equal(images_resolve(fx->im, "acct-a", "one", &got, &err), 0);
	assert_string_equal(got, id);
	free(got);
	assert_int_equal(images_resolve(fx->im, "acct-a", id + 7, &got, &err), 0);
	free(got);
	prefix = xstrndup(id, 7 + 12);
	assert_int_equal(images_resolve(fx->im, "acct-a", prefix, &got, &err), 0);
	assert_string_equal(got, id);
	free(got);
	free(prefix);
	assert_int_equal(images_resolve(fx->im, "acct-b", "one", &got, &err), -1);
	assert_int_equal(err->code, 404);
	assert_string_equal(sdc_error_msg(err), "No such image: one");
	sdc_error_release(&err);
	assert_int_equal(images_resolve(fx->im, "acct-b", id, &got, &err), -1);
	sdc_error_release(&err);

	assert_int_equal(list_count(fx, "acct-a", NULL), 1);
	assert_int_equal(list_count(fx, "acct-b", NULL), 0);
	assert_int_equal(list_count(fx, "acct-a", &f), 1);
	f.labels = nolab;
	assert_int_equal(list_count(fx, "acct-a", &f), 0);
	f.labels = NULL;
	f.references = refs;
	assert_int_equal(list_count(fx, "acct-a", &f), 1);
	f.references = norefs;
	assert_int_equal(list_count(fx, "acct-a", &f), 0);
	f.references = NULL;
	f.dangling = 1;
	assert_int_equal(list_count(fx, "acct-a", &f), 0);

	assert_int_equal(images_tag(fx->im, "acct-a", "one", "two:v2", &err), 0);
	assert_int_equal(images_resolve(fx->im, "acct-a", "two:v2", &got, &err), 0);
	assert_string_equal(got, id);
	free(got);
	assert_int_equal(images_tag(fx->im, "acct-b", "one", "two:v2", &err), -1);
	sdc_error_release(&err);
	assert_int_equal(images_tag(fx->im, "acct-a", "one", "x@sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000", &err), -1);
	sdc_error_release(&err);
	free(id);
}

static void
test_remove_and_gc(void **state)
{
	struct fixture *fx = *state;
	sdc_error_t err = NULL;
	char *diff, *id = make_image(fx, "acct-a", "docker.io/library/one:latest", "1", &diff);
	char *id2 = make_image(fx, "acct-b", "docker.io/library/one:latest", "1", NULL);
	json_t *out;
	char *s;

	assert_string_equal(id, id2);	/* same content, same image */
	assert_int_equal(images_tag(fx->im, "acct-a", "one", "one:extra", &err), 0);
	/* one of two tags: untag only */
	assert_int_equal(images_remove(fx->im, "acct-a", "one:extra", false, false,
	    NULL, NULL, &out, &err), 0);
	s = json_dumps(out, JSON_COMPACT);
	assert_string_equal(s, "[{\"Untagged\":\"one:extra\"}]");
	free(s);
	json_decref(out);
	/* last tag of acct-a: the image leaves acct-a but stays for acct-b */
	assert_int_equal(images_remove(fx->im, "acct-a", "one", false, false,
	    NULL, NULL, &out, &err), 0);
	s = json_dumps(out, JSON_COMPACT);
	assert_non_null(strstr(s, "\"Untagged\":\"one:latest\""));
	assert_non_null(strstr(s, "\"Deleted\""));
	free(s);
	json_decref(out);
	assert_int_equal(list_count(fx, "acct-a", NULL), 0);
	assert_int_equal(list_count(fx, "acct-b", NULL), 1);
	assert_true(layers_exists(fx->im, diff));
	/* pinned: the layer survives the last owner's rmi until unpinned */
	images_pin(fx->im, diff);
	assert_int_equal(images_remove(fx->im, "acct-b", id, false, false,
	    NULL, NULL, &out, &err), 0);
	json_decref(out);
	assert_true(layers_exists(fx->im, diff));
	images_unpin(fx->im, diff);
	meta_gc_layer(fx->im, diff);
	meta_gc_blob(fx->im, diff);
	assert_false(layers_exists(fx->im, diff));
	assert_int_equal(count_entries(fx, "images/layers"), 0);
	assert_int_equal(count_entries(fx, "images/blobs/sha256"), 0);
	assert_int_equal(count_entries(fx, "images/tmp"), 0);
	free(diff);
	free(id);
	free(id2);
}

/* Two handles on one store stand for two heads sharing it: a pin taken
 * through one keeps the layer and its blob from the other's collector,
 * until it is let go. */
static void
test_pins_across_handles(void **state)
{
	struct fixture *fx = *state;
	struct images_opts o = { 0 };
	struct images *other;
	sdc_error_t err = NULL;
	char *diff, *id = make_image(fx, "acct-a", "docker.io/library/one:latest", "1", &diff);
	json_t *out;

	o.datadir = fx->dir;
	assert_int_equal(images_open(&other, fx->st, &o, &err), 0);
	images_pin(fx->im, diff);
	images_pin(fx->im, diff);	/* twice: the file is held once */
	assert_int_equal(images_remove(other, "acct-a", id, false, false,
	    NULL, NULL, &out, &err), 0);
	json_decref(out);
	assert_true(layers_exists(fx->im, diff));
	images_unpin(fx->im, diff);
	meta_gc_layer(other, diff);
	assert_true(layers_exists(fx->im, diff));
	images_unpin(fx->im, diff);
	meta_gc_layer(other, diff);
	meta_gc_blob(other, diff);
	assert_false(layers_exists(fx->im, diff));
	assert_int_equal(count_entries(fx, "images/layers"), 0);
	assert_int_equal(count_entries(fx, "images/pins"), 0);
	/* pinned again after the collection: a new file, held */
	images_pin(fx->im, diff);
	assert_int_equal(pinfile_exclusive(other, diff), PINFILE_TAKEN);
	images_unpin(fx->im, diff);
	images_close(other);
	free(diff);
	free(id);
}

static void
test_history_and_inspect(void **state)
{
	struct fixture *fx = *state;
	sdc_error_t err = NULL;
	char *id = make_image(fx, "acct-a", "docker.io/library/one:latest", "1", NULL);
	json_t *out, *top;

	assert_int_equal(images_history(fx->im, "acct-a", "one", &out, &err), 0);
	assert_int_equal(json_array_size(out), 1);
	top = json_array_get(out, 0);
	assert_string_equal(json_str(top, "Id", ""), id);
	assert_string_equal(json_str(top, "CreatedBy", ""), "test");
	assert_int_equal(json_int(top, "Size", 0), 1);
	json_decref(out);
	assert_int_equal(images_inspect(fx->im, "acct-a", "one", &out, &err), 0);
	assert_string_equal(json_str(out, "Id", ""), id);
	assert_string_equal(json_string_value(json_array_get(json_object_get(out,
	    "RepoTags"), 0)), "one:latest");
	assert_int_equal(json_array_size(json_object_get(json_object_get(out,
	    "RootFS"), "Layers")), 1);
	json_decref(out);
	free(id);
}

/* layers_verify: the same bytes prove a layer, others do not, and a
 * stream longer than the layer's own tar stops there. */
static void
test_verify(void **state)
{
	struct fixture *fx = *state;
	struct layer_result res;
	sdc_error_t err = NULL;
	struct tar t;
	char *big, *zeros;
	FILE *f;

	tar_open(&t, fx, "small.tar");
	tar_file(&t, "f", 0644, "small");
	tar_close(&t);
	assert_int_equal(layers_unpack(fx->im, t.path, NULL, NULL, NULL, NULL, NULL,
	    &res, &err), 0);
	assert_true(res.split);
	assert_int_equal(layers_verify(fx->im, t.path, res.diff_id, NULL, NULL,
	    NULL, &err), 0);
	/* a plain file of zeros far longer than that tar, claiming it */
	big = fx_path(fx, "big.bin");
	zeros = xcalloc(1, 1 << 20);
	assert_non_null(f = fopen(big, "w"));
	for (int i = 0; i < 16; i++)
		assert_int_equal(fwrite(zeros, 1, 1 << 20, f), 1 << 20);
	fclose(f);
	assert_int_equal(layers_verify(fx->im, big, res.diff_id, NULL, NULL,
	    NULL, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "more bytes than that layer"));
	sdc_error_release(&err);
	free(zeros);
	free(big);
	free(t.path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blob_verification, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpack_rich, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tarsplit_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tarsplit_hostile, setup, teardown),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test_setup_teardown(test_unpack_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accounts_and_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_and_gc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pins_across_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_and_inspect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_budget, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
