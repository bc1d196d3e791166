/*
 * build-context.c: the build context, once its tar has arrived, unpacked
 * into the build's folder on a thread of its own, so a large context
 * never holds the event loop (the other tenants' requests go on), the
 * way the image library's jobs run on workers.
 *
 * The worker touches only the build's folder and its own results (the
 * files' digests, its error); the loop hears its end through a pipe, as
 * container-archive.c's copies do, joins it, and goes on with the build
 * (build_context_done).  A client leaving meanwhile sets the stop flag
 * the worker reads between entries, and build_free joins it before
 * anything is freed.
 *
 * libarchive's secure flags refuse ".." and writes through a symlink;
 * entries with ".." are refused, devices, fifos and hard links dropped.
 * Each file's digest (name, mode, link target, bytes: not its times) is
 * kept for the step cache's COPY and ADD keys (build_context_digest).
 * Once the build is over its folder is removed on a detached thread
 * (build_context_remove).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "build-int.h"
#include "fsutil.h"
#include "log.h"
#include "xalloc.h"

struct build_unpacker {
	struct build *b;
	pthread_t thread;
	int note[2];
	struct event *ev;
	atomic_int stop;
	int rc;
	sdc_error_t err;
	struct build_file *files;
	size_t nfiles;
};

static int
file_cmp(const void *x, const void *y)
{
	return strcmp(((const struct build_file *)x)->rel,
	    ((const struct build_file *)y)->rel);
}

static int
unpack(struct build_unpacker *u, sdc_error_t *err)
{
	struct build *b = u->b;
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct archive_entry *e;
	int r, rc = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM |
	    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	lseek(b->tarfd, 0, SEEK_SET);
	if (b->got == 0)
		goto out;	/* an empty context */
	if (archive_read_open_fd(in, b->tarfd, 65536) != ARCHIVE_OK) {
		rc = sdc_make_error_code(err, 400, "the build context is not a tar: %s",
		    archive_error_string(in));
		goto out;
	}
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		char *clean = dockerignore_clean(p ? p : "");
		const char *rel = clean;
		mode_t type = archive_entry_filetype(e);
		if (u->stop) {
			free(clean);
			rc = sdc_make_error(err, 0, "the build was stopped");
			goto out;
		}
		while (*rel == '/')
			rel++;
		if (strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0) {
			rc = sdc_make_error_code(err, 400, "the build context holds a "
			    "path outside it: %s", p);
			free(clean);
			goto out;
		}
		if ((type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) ||
		    archive_entry_hardlink(e) != NULL || strcmp(rel, ".") == 0) {
			free(clean);
			continue;
		}
		char *dst;
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		xasprintf(&dst, "%s\n%o\n%s\n", rel, (unsigned)archive_entry_mode(e),
		    archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
		EVP_DigestUpdate(md, dst, strlen(dst));
		free(dst);
		u->files = xrealloc(u->files, (u->nfiles + 1) * sizeof *u->files);
		struct build_file *f = &u->files[u->nfiles++];
		f->rel = xstrdup(rel);
		xasprintf(&dst, "%s/%s", b->ctx, rel);
		archive_entry_set_pathname(e, dst);
		free(dst);
		free(clean);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		if (archive_write_header(out, e) != ARCHIVE_OK) {
			rc = sdc_make_error_code(err, 400, "the build context: %s",
			    archive_error_string(out));
			goto out;
		}
		const void *blk;
		size_t sz;
		int64_t off;
		while ((r = archive_read_data_block(in, &blk, &sz, &off)) == ARCHIVE_OK)
			if (EVP_DigestUpdate(md, blk, sz) != 1 ||
			    archive_write_data_block(out, blk, sz, off) != ARCHIVE_OK) {
				rc = sdc_make_error_code(err, 500, "the build context: %s",
				    archive_error_string(out));
				goto out;
			}
		if (r != ARCHIVE_EOF) {
			rc = sdc_make_error_code(err, 400, "the build context: %s",
			    archive_error_string(in));
			goto out;
		}
		unsigned int n = 0;
		EVP_DigestFinal_ex(md, f->md, &n);
		archive_write_finish_entry(out);
	}
	if (r != ARCHIVE_EOF)
		rc = sdc_make_error_code(err, 400, "the build context is not a "
		    "valid tar: %s", archive_error_string(in));
	else if (u->nfiles > 1)
		qsort(u->files, u->nfiles, sizeof *u->files, file_cmp);
out:
	EVP_MD_CTX_free(md);
	archive_read_free(in);
	archive_write_close(out);
	archive_write_free(out);
	return rc;
}

static void *
unpack_main(void *arg)
{
	struct build_unpacker *u = arg;
	char c = 1;

	u->rc = unpack(u, &u->err);
	if (write(u->note[1], &c, 1) < 0)
		log_emit(LOG_WARN, NULL, NULL, "build: the unpacker's note: %s",
		    strerror(errno));
	return NULL;
}

static void
unpacker_join(struct build_unpacker *u)
{
	pthread_join(u->thread, NULL);
	if (u->ev != NULL)
		event_free(u->ev);
	close(u->note[0]);
	close(u->note[1]);
}

static void
unpack_note(evutil_socket_t fd, short what, void *arg)
{
	struct build *b = arg;
	struct build_unpacker *u = b->unpacker;
	sdc_error_t err = NULL;
	int rc;

	(void)fd;
	(void)what;
	unpacker_join(u);
	b->unpacker = NULL;
	b->files = u->files;
	b->nfiles = u->nfiles;
	rc = u->rc;
	err = u->err;
	free(u);
	build_context_done(b, rc, &err);
}

/* Unpack on a worker; build_context_done follows on the loop. */
int
build_context_start(struct build *b, sdc_error_t *err)
{
	struct build_unpacker *u = xcalloc(1, sizeof *u);
	int r;

	u->b = b;
	if (pipe2(u->note, O_CLOEXEC) < 0) {
		free(u);
		return sdc_make_error(err, errno, "unpacking the build context");
	}
	if ((r = pthread_create(&u->thread, NULL, unpack_main, u)) != 0) {
		close(u->note[0]);
		close(u->note[1]);
		free(u);
		return sdc_make_error(err, r, "unpacking the build context");
	}
	u->ev = event_new(b->d->base, u->note[0], EV_READ, unpack_note, b);
	event_add(u->ev, NULL);
	b->unpacker = u;
	return 0;
}

/* The build ends while the context is unpacked: stop and join. */
void
build_context_stop(struct build *b)
{
	struct build_unpacker *u = b->unpacker;

	if (u == NULL)
		return;
	u->stop = 1;
	unpacker_join(u);
	for (size_t i = 0; i < u->nfiles; i++)
		free(u->files[i].rel);
	free(u->files);
	sdc_error_release(&u->err);
	free(u);
	b->unpacker = NULL;
}

void
build_context_free(struct build *b)
{
	build_context_stop(b);
	for (size_t i = 0; i < b->nfiles; i++)
		free(b->files[i].rel);
	free(b->files);
	b->files = NULL;
	b->nfiles = 0;
}

/* The files under rel ("" the whole context), .dockerignore's left out,
 * into md: their names and digests. */
void
build_context_digest(struct build *b, const char *rel, EVP_MD_CTX *md)
{
	size_t rl = strlen(rel), lo = 0, hi = b->nfiles;

	/* the first name >= rel */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(b->files[mid].rel, rel) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = rl == 0 ? 0 : lo; i < b->nfiles; i++) {
		const struct build_file *f = &b->files[i];
		if (rl > 0 && strncmp(f->rel, rel, rl) != 0)
			break;
		if (rl > 0 && f->rel[rl] != '\0' && f->rel[rl] != '/')
			continue;	/* "a.txt" beside "a", sorted between */
		if (dockerignore_excluded(&b->di, f->rel))
			continue;
		EVP_DigestUpdate(md, f->rel, strlen(f->rel) + 1);
		EVP_DigestUpdate(md, f->md, sizeof f->md);
	}
}

static void *
remove_main(void *arg)
{
	char *dir = arg;
	sdc_error_t err = NULL;

	if (fs_rmtree(dir, &err) < 0) {
		log_emit(LOG_WARN, NULL, NULL, "build: %s", sdc_error_msg(err));
		sdc_error_release(&err);
	}
	free(dir);
	return NULL;
}

/* The build's folder goes on a thread of its own, so the answer's end
 * and the next request wait for no unlink; dir is the thread's. */
void
build_context_remove(char *dir)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, remove_main, dir) != 0)
		remove_main(dir);
	pthread_attr_destroy(&attr);
}
