/*
 * test_images_node.c: a compute node's side of a layer sent by a head
 * (libsdcimages' layer-receive.c), through its public API only: a gzip
 * layer taken and unpacked, a second copy giving way to the first, and
 * what the sender can get wrong (a digest, a diff id, a length, a media
 * type, a gzip bomb past the node's bound) refused with nothing left in
 * the store or its .incoming.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <dirent.h>
#include <zlib.h>
#include <openssl/evp.h>

#include "buf.h"
#include "dockerapi/images/images.h"
#include "fsutil.h"
#include "xalloc.h"

#define GZ "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define TAR "application/vnd.docker.image.rootfs.diff.tar"

struct fixture {
	char dir[64];
	char *layers;
	struct images_node_store *ns;
};

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	sdc_error_t err = NULL;

	snprintf(fx->dir, sizeof fx->dir, "/tmp/test-images-node-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	xasprintf(&fx->layers, "%s/layers", fx->dir);
	if (images_node_store_open(&fx->ns, fx->layers, &err) < 0) {
		fprintf(stderr, "%s\n", sdc_error_msg(err));
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	sdc_error_t err = NULL;

	images_node_store_close(fx->ns);
	fs_rmtree(fx->dir, &err);
	sdc_error_release(&err);
	free(fx->layers);
	free(fx);
	return 0;
}

/* --- a ustar with one regular file, by hand --- */

static void
tar_file(struct buf *t, const char *name, const void *data, size_t len)
{
	unsigned char h[512] = { 0 };
	unsigned sum = 0;
	static const char zero[512];

	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011zo", len);
	snprintf((char *)h + 136, 12, "%011o", 1700000000);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar\0" "00", 8);
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	buf_append(t, h, 512);
	buf_append(t, data, len);
	buf_append(t, zero, (512 - len % 512) % 512);
}

static void
tar_end(struct buf *t)
{
	static const char zero[1024];

	buf_append(t, zero, sizeof zero);
}

static void
gz(const struct buf *in, struct buf *out)
{
	z_stream z = { 0 };
	unsigned char chunk[65536];
	int r;

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)in->data;
	z.avail_in = (uInt)in->len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof chunk;
		r = deflate(&z, Z_FINISH);
		buf_append(out, chunk, sizeof chunk - z.avail_out);
	} while (r != Z_STREAM_END);
	deflateEnd(&z);
}

static void
sha(const struct buf *b, char out[72])
{
	unsigned char md[32];
	unsigned len;

	EVP_Digest(b->data, b->len, md, &len, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

/* The blob as a descriptor (a file: always readable). */
static int
blob_fd(struct fixture *fx, const struct buf *b)
{
	char *p;
	int fd;

	xasprintf(&p, "%s/blob", fx->dir);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
	lseek(fd, 0, SEEK_SET);
	unlink(p);
	free(p);
	return fd;
}

static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Nothing but an empty .incoming in the store. */
static void
assert_empty(struct fixture *fx)
{
	char *inc;

	xasprintf(&inc, "%s/" IMAGES_NODE_INCOMING, fx->layers);
	assert_int_equal(entries(fx->layers), 1);
	assert_int_equal(entries(inc), 0);
	free(inc);
}

static int
receive(struct fixture *fx, const struct buf *blob, const char *diff_id,
    const char *digest, const char *media, int64_t size, int64_t max,
    bool *created, sdc_error_t *err)
{
	struct images_node_upload up = {
		.diff_id = diff_id, .digest = digest, .media_type = media,
		.size = size, .max_unpacked = max, .idle_ms = 1000,
	};
	int fd = blob_fd(fx, blob), rc;

	rc = images_node_receive(fx->ns, fd, &up, created, err);
	close(fd);
	return rc;
}

static void
test_gzip_layer(void **state)
{
	struct fixture *fx = *state;
	struct buf t = BUF_INIT, g = BUF_INIT, got = BUF_INIT;
	char diff[72], digest[72], *path;
	sdc_error_t err = NULL;
	bool created;

	tar_file(&t, "etc/motd", "hello\n", 6);
	tar_end(&t);
	gz(&t, &g);
	sha(&t, diff);
	sha(&g, digest);
	assert_false(images_node_has_layer(fx->ns, diff));
	assert_int_equal(receive(fx, &g, diff, digest, GZ, (int64_t)g.len, -1,
	    &created, &err), 0);
	assert_true(created);
	assert_true(images_node_has_layer(fx->ns, diff));
	xasprintf(&path, "%s/%s/diff/etc/motd", fx->layers, diff + 7);
	assert_int_equal(file_read(path, &got, 100, &err), 0);
	assert_int_equal(got.len, 6);
	assert_memory_equal(got.data, "hello\n", 6);
	/* the same again (another upload raced it): it gives way */
	assert_int_equal(receive(fx, &g, diff, digest, GZ, (int64_t)g.len, -1,
	    &created, &err), 0);
	assert_false(created);
	free(path);
	buf_free(&t);
	buf_free(&g);
	buf_free(&got);
}

static void
test_refusals(void **state)
{
	struct fixture *fx = *state;
	struct buf t = BUF_INIT, g = BUF_INIT, other = BUF_INIT;
	char diff[72], digest[72], wrong[72];
	sdc_error_t err = NULL;
	bool created;

	tar_file(&t, "f", "data\n", 5);
	tar_end(&t);
	gz(&t, &g);
	sha(&t, diff);
	sha(&g, digest);
	buf_puts(&other, "other");
	sha(&other, wrong);

	/* the blob is not what its digest says */
	assert_int_equal(receive(fx, &g, diff, wrong, GZ, (int64_t)g.len, -1,
	    &created, &err), -1);
	assert_int_equal(err->code, 400);
	assert_non_null(strstr(sdc_error_msg(err), "verification failed"));
	sdc_error_release(&err);
	assert_empty(fx);
	/* the tar is not the layer it is named as */
	assert_int_equal(receive(fx, &g, wrong, digest, GZ, (int64_t)g.len, -1,
	    &created, &err), -1);
	assert_int_equal(err->code, 400);
	assert_non_null(strstr(sdc_error_msg(err), "diff id mismatch"));
	sdc_error_release(&err);
	assert_empty(fx);
	/* fewer bytes than declared; more */
	assert_int_equal(receive(fx, &g, diff, digest, GZ, (int64_t)g.len + 10,
	    -1, &created, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "truncated blob"));
	sdc_error_release(&err);
	assert_int_equal(receive(fx, &g, diff, digest, GZ, (int64_t)g.len - 1,
	    -1, &created, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "longer than"));
	sdc_error_release(&err);
	assert_empty(fx);
	/* a media type of no layer, a size not given, a diff id no digest */
	assert_int_equal(receive(fx, &g, diff, digest, "text/html",
	    (int64_t)g.len, -1, &created, &err), -1);
	assert_int_equal(err->code, 400);
	sdc_error_release(&err);
	assert_int_equal(receive(fx, &g, diff, digest, GZ, 0, -1, &created,
	    &err), -1);
	sdc_error_release(&err);
	assert_int_equal(receive(fx, &g, "sha256:../x", digest, GZ,
	    (int64_t)g.len, -1, &created, &err), -1);
	sdc_error_release(&err);
	assert_empty(fx);
	buf_free(&t);
	buf_free(&g);
	buf_free(&other);
}

/* 32 MiB of zeros gzip to some 32 kB: the node's bound stops it. */
static void
test_gzip_bomb(void **state)
{
	struct fixture *fx = *state;
	struct buf t = BUF_INIT, g = BUF_INIT;
	char diff[72], digest[72];
	char *zeros = xcalloc(1, 32 << 20);
	sdc_error_t err = NULL;
	bool created;

	tar_file(&t, "zeros", zeros, 32 << 20);
	tar_end(&t);
	gz(&t, &g);
	assert_true(g.len < 1 << 20);
	sha(&t, diff);
	sha(&g, digest);
	assert_int_equal(receive(fx, &g, diff, digest, GZ, (int64_t)g.len,
	    1 << 20, &created, &err), -1);
	assert_int_equal(err->code, 507);
	sdc_error_release(&err);
	assert_empty(fx);
	/* the same with room: taken */
	assert_int_equal(receive(fx, &g, diff, digest, GZ, (int64_t)g.len,
	    64 << 20, &created, &err), 0);
	assert_true(created);
	free(zeros);
	buf_free(&t);
	buf_free(&g);
}

/* A plain tar: the blob's digest and the diff id are one. */
static void
test_plain_tar(void **state)
{
	struct fixture *fx = *state;
	struct buf t = BUF_INIT;
	char diff[72];
	sdc_error_t err = NULL;
	bool created;

	tar_file(&t, "a/b", "x", 1);
	tar_end(&t);
	sha(&t, diff);
	assert_int_equal(receive(fx, &t, diff, diff, TAR, (int64_t)t.len, -1,
	    &created, &err), 0);
	assert_true(created && images_node_has_layer(fx->ns, diff));
	buf_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gzip_layer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip_bomb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_tar, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
