/*
 * fuzz_cp_put.c: arbitrary bytes as the tar of a docker cp into a
 * container (PUT /v1/containers/UUID/archive?path=P, on a node's agent,
 * agent/container-archive.c, or a head for a container on its own
 * machine): the body is the tenant's, so every entry's name, link,
 * type, ids and mode are hostile input.  It is extracted as the PUT's
 * thread extracts it (rt_archive_put, dockerapi/runtime/archive.c, with
 * the job's root, path and options), from a pipe as the body comes.
 *
 * The input's first byte chooses the options (bit 0
 * noOverwriteDirNonDir, bit 1 copyUIDGID) and the path (bits 2-5, one
 * of fuzz_paths); the rest is the body.  The container's root is a temp
 * folder holding what a tenant plants (links to "/", up out of the root,
 * to the host path of a folder beside it, to the read-only volume), with
 * a volume grafted at /vol and a read-only one at /ro, in a user
 * namespace's ids as a container has them.  After each input nothing outside the root and its volumes
 * may have changed: the folder beside the root keeps its one file with
 * no new link to it, the temp folder holds nothing new, the read-only
 * volume is as it was.  The root and volumes are made again for the
 * next input.  A file's size is bounded (RLIMIT_FSIZE, its signal
 * ignored: EFBIG, refused like a full disk), so that a compressed
 * body's expansion cannot fill the disk the temp folder is on.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerapi/runtime/runtime.h"
#include "fsutil.h"
#include "fuzz/fuzz-tmp.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_FILE_MAX (4 << 20)
#define FUZZ_CANARY "the node's own\n"

/* The PUT's path: a folder, a volume, and each of them through the
 * tenant's links; a file; nothing. */
static const char *const fuzz_paths[16] = {
	"/", "/data", "/x", "/vol", "/ro", "/up/data", "/vol/sub", "/etc/passwd",
	"/toro", "/toro/", "/vol/back/", "/x/ro/.", "/rel", "/out/",
	"/vol/up/data", "",
};

static const char *fuzz_top;

/* The container's root and volumes, as a tenant left them. */
static void
fuzz_make_root(void)
{
	char *outside = fuzz_tmp_path("outside");

	fuzz_tmp_mkdir("root/etc");
	fuzz_tmp_mkdir("root/data");
	fuzz_tmp_put("root/etc/passwd", "root:x:0:0::/:/bin/sh\n");
	fuzz_tmp_link("/", "root/x");
	fuzz_tmp_link("../../../..", "root/up");
	fuzz_tmp_link("../outside", "root/rel");
	fuzz_tmp_link(outside, "root/out");
	fuzz_tmp_link("/ro", "root/toro");
	fuzz_tmp_mkdir("root/vol");
	fuzz_tmp_mkdir("root/ro");
	fuzz_tmp_mkdir("vol/sub");
	fuzz_tmp_link("../../..", "vol/up");
	fuzz_tmp_link("../ro", "vol/back");
	fuzz_tmp_mkdir("ro");
	fuzz_tmp_put("ro/keep", "kept\n");
	free(outside);
}

static void
fuzz_setup(void)
{
	struct rlimit fsize = { FUZZ_FILE_MAX, FUZZ_FILE_MAX };

	fuzz_top = fuzz_tmp_dir("fuzz-cp-put");
	fuzz_tmp_mkdir("outside");
	fuzz_tmp_put("outside/canary", FUZZ_CANARY);
	fuzz_make_root();
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &fsize) < 0)
		abort();
}

static int
fuzz_open_dir(const char *sub)
{
	char *p = fuzz_tmp_path(sub);
	int fd = open(p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		abort();
	free(p);
	return fd;
}

/* The job's root as the agent opens it: the container's folder, its
 * ids, its volumes grafted where it has them. */
static void
fuzz_open_root(struct rt_root *r)
{
	memset(r, 0, sizeof *r);
	r->fd = fuzz_open_dir("root");
	r->host = fuzz_tmp_path("root");
	r->idmap = (struct rt_idmap){ .uid = 100000, .gid = 100000,
	    .count = 65536 };
	rt_root_graft(r, "/vol", fuzz_open_dir("vol"), false);
	rt_root_graft(r, "/ro", fuzz_open_dir("ro"), true);
}

/* The body as the PUT's thread reads it: a pipe holding all of it, its
 * write end closed; -1 when it is more than a pipe holds. */
static int
fuzz_body(const uint8_t *data, size_t size)
{
	int fds[2];

	if (size > 1 << 20 || pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if ((size > 65536 && fcntl(fds[1], F_SETPIPE_SZ, (int)size) < 0) ||
	    (size > 0 && write(fds[1], data, size) != (ssize_t)size)) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	return fds[0];
}

/* The names in folder sub, sorted, joined by spaces. */
static char *
fuzz_names(const char *sub)
{
	struct dirent **ents;
	struct buf b = BUF_INIT;
	char *p = fuzz_tmp_path(sub);
	int n = scandir(p, &ents, NULL, alphasort);

	if (n < 0)
		abort();
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0)
			buf_printf(&b, "%s ", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	free(p);
	return buf_detach(&b, NULL);
}

static void
fuzz_expect_names(const char *sub, const char *want)
{
	char *got = fuzz_names(sub);

	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%s/%s: holds \"%s\", not \"%s\"\n", fuzz_top,
		    sub, got, want);
		abort();
	}
	free(got);
}

/* Nothing outside the root and the writable volume changed. */
static void
fuzz_expect_untouched(void)
{
	struct stat st;
	char *p = fuzz_tmp_path("outside/canary");

	fuzz_expect_names("", "outside ro root vol ");
	fuzz_expect_names("outside", "canary ");
	fuzz_expect_names("ro", "keep ");
	if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_size != (off_t)strlen(FUZZ_CANARY) || st.st_uid != 0)
		abort();
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_put_opts o = { 0 };
	sdc_error_t err = NULL;
	struct rt_root r;
	int in;

	if (fuzz_top == NULL)
		fuzz_setup();
	if (size < 1 || (in = fuzz_body(data + 1, size - 1)) < 0)
		return 0;
	o.no_overwrite_dir_non_dir = data[0] & 1;
	o.copy_uidgid = data[0] & 2;
	fuzz_open_root(&r);
	if (rt_archive_put(&r, fuzz_paths[(data[0] >> 2) & 15], &o, in,
	    &err) < 0 && err == NULL)
		abort();        /* a refusal says why */
	sdc_error_release(&err);
	rt_root_close(&r);
	close(in);
	fuzz_expect_untouched();
	fuzz_tmp_rmtree("root");
	fuzz_tmp_rmtree("vol");
	fuzz_tmp_rmtree("ro");
	fuzz_make_root();
	return 0;
}
