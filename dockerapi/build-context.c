/*
 * build-context.c: the build context, once its tar has arrived, read and
 * unpacked into the build's folder on a thread of its own, so a large
 * context never holds the event loop (the other tenants' requests go
 * on), the way the image library's jobs run on workers.
 *
 * The worker reads the tar twice.  First it lists it, writing nothing:
 * every entry checked, each file's digest taken, the Dockerfile and
 * .dockerignore kept; the loop hears of it through a pipe (as
 * api/containers-archive.c's copies do) and begins the build
 * (build_context_done), so the steps the cache has run while the files
 * are still being written, and a build whose every step is cached never waits for
 * them.  Then it unpacks; the loop hears of that too
 * (build_context_written), joins it, and a COPY or ADD that needs the
 * files (a cache miss, or sources the list alone cannot name) waits for
 * it.  The worker touches only the build's folder and its own results
 * (the list is handed to the loop before the unpacking starts).  A
 * build that ends meanwhile (all cached, failed, its client gone) sets
 * the stop flag the worker reads between entries, and build_free joins
 * it before anything is freed.
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
	int fd;				/* the context tar, the worker's own */
	char *ctx;			/* where it is unpacked */
	char *dockerfile;		/* its name in the context, cleaned */
	int note[2];
	struct event *ev;
	atomic_int stop;
	/* the first pass: the list, read before anything is written */
	int rc_list;
	sdc_error_t err_list;
	struct build_file *files;
	size_t nfiles;
	struct buf dockerfile_text, ignore_text;
	bool have_dockerfile, have_ignore;
	/* the second: the files written */
	int rc;
	sdc_error_t err;
};

static int
file_cmp(const void *x, const void *y)
{
	return strcmp(((const struct build_file *)x)->rel,
	    ((const struct build_file *)y)->rel);
}

/* The entry's name in the context, or NULL to skip it; -1 in *rc when
 * it leaves the context. */
static char *
entry_rel(struct archive_entry *e, int *rc, sdc_error_t *err)
{
	const char *p = archive_entry_pathname(e);
	char *clean = dockerignore_clean(p ? p : "");
	const char *rel = clean;
	mode_t type = archive_entry_filetype(e);
	char *out;

	while (*rel == '/')
		rel++;
	if (strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0) {
		*rc = sdc_make_error_code(err, 400, "the build context holds a "
		    "path outside it: %s", p);
		free(clean);
		return NULL;
	}
	if ((type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) ||
	    archive_entry_hardlink(e) != NULL || strcmp(rel, ".") == 0) {
		free(clean);
		return NULL;
	}
	out = xstrdup(rel);
	free(clean);
	return out;
}

static struct archive *
tar_open(struct build_unpacker *u, sdc_error_t *err)
{
	struct archive *in = archive_read_new();

	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	lseek(u->fd, 0, SEEK_SET);
	if (archive_read_open_fd(in, u->fd, 65536) != ARCHIVE_OK) {
		sdc_make_error_code(err, 400, "the build context is not a tar: %s",
		    archive_error_string(in));
		archive_read_free(in);
		return NULL;
	}
	return in;
}

/* The first pass: every entry checked and digested (its name, mode, link
 * target and bytes, not its times), the Dockerfile and .dockerignore
 * kept; nothing written. */
static int
list_context(struct build_unpacker *u, sdc_error_t *err)
{
	struct archive *in;
	struct archive_entry *e;
	int r, rc = 0;
	EVP_MD_CTX *md;

	if (u->b->got == 0)
		return 0;	/* an empty context */
	if ((in = tar_open(u, err)) == NULL)
		return -1;
	md = EVP_MD_CTX_new();
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		char *rel = entry_rel(e, &rc, err), *head;
		struct buf *keep = NULL;
		if (rc < 0 || u->stop) {
			if (rc == 0)
				rc = sdc_make_error(err, 0, "the build was stopped");
			free(rel);
			break;
		}
		if (rel == NULL)
			continue;
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFREG && strcmp(rel, u->dockerfile) == 0) {
			buf_reset(&u->dockerfile_text);
			keep = &u->dockerfile_text;
			u->have_dockerfile = true;
		} else if (type == AE_IFREG && strcmp(rel, ".dockerignore") == 0) {
			buf_reset(&u->ignore_text);
			keep = &u->ignore_text;
			u->have_ignore = true;
		}
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		xasprintf(&head, "%s\n%o\n%s\n", rel, (unsigned)archive_entry_mode(e),
		    archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
		EVP_DigestUpdate(md, head, strlen(head));
		free(head);
		u->files = xrealloc(u->files, (u->nfiles + 1) * sizeof *u->files);
		struct build_file *f = &u->files[u->nfiles++];
		f->rel = rel;
		f->type = type == AE_IFDIR ? 'd' : type == AE_IFLNK ? 'l' : 'f';
		const void *blk;
		size_t sz;
		int64_t off;
		while ((r = archive_read_data_block(in, &blk, &sz, &off)) == ARCHIVE_OK) {
			EVP_DigestUpdate(md, blk, sz);
			if (keep != NULL && keep->len < (4 << 20))
				buf_append(keep, blk, sz);
		}
		if (r != ARCHIVE_EOF) {
			rc = sdc_make_error_code(err, 400, "the build context: %s",
			    archive_error_string(in));
			break;
		}
		unsigned int n = 0;
		EVP_DigestFinal_ex(md, f->md, &n);
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = sdc_make_error_code(err, 400, "the build context is not a "
		    "valid tar: %s", archive_error_string(in));
	if (rc == 0 && u->nfiles > 1)
		qsort(u->files, u->nfiles, sizeof *u->files, file_cmp);
	EVP_MD_CTX_free(md);
	archive_read_free(in);
	return rc;
}

/* The second pass: the files written, with libarchive's secure flags. */
static int
unpack(struct build_unpacker *u, sdc_error_t *err)
{
	struct archive *in, *out;
	struct archive_entry *e;
	int r, rc = 0;

	if (u->b->got == 0)
		return 0;
	if ((in = tar_open(u, err)) == NULL)
		return -1;
	out = archive_write_disk_new();
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM |
	    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		char *rel = entry_rel(e, &rc, err), *dst;
		if (rc < 0 || u->stop) {
			if (rc == 0)
				rc = sdc_make_error(err, 0, "the build was stopped");
			free(rel);
			goto out;
		}
		if (rel == NULL)
			continue;
		xasprintf(&dst, "%s/%s", u->ctx, rel);
		archive_entry_set_pathname(e, dst);
		free(dst);
		free(rel);
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
			if (archive_write_data_block(out, blk, sz, off) != ARCHIVE_OK) {
				rc = sdc_make_error_code(err, 500, "the build context: %s",
				    archive_error_string(out));
				goto out;
			}
		if (r != ARCHIVE_EOF) {
			rc = sdc_make_error_code(err, 400, "the build context: %s",
			    archive_error_string(in));
			goto out;
		}
		archive_write_finish_entry(out);
	}
	if (r != ARCHIVE_EOF)
		rc = sdc_make_error_code(err, 400, "the build context is not a "
		    "valid tar: %s", archive_error_string(in));
out:
	archive_read_free(in);
	archive_write_close(out);
	archive_write_free(out);
	return rc;
}

static void
note(struct build_unpacker *u, char c)
{
	if (write(u->note[1], &c, 1) < 0)
		log_emit(LOG_WARN, NULL, NULL, "build: the unpacker's note: %s",
		    strerror(errno));
}

static void *
unpack_main(void *arg)
{
	struct build_unpacker *u = arg;

	u->rc_list = list_context(u, &u->err_list);
	note(u, 'L');
	if (u->rc_list == 0)
		u->rc = unpack(u, &u->err);
	note(u, 'U');
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
	close(u->fd);
}

static void
unpacker_free(struct build_unpacker *u)
{
	for (size_t i = 0; i < u->nfiles; i++)
		free(u->files[i].rel);
	free(u->files);
	buf_free(&u->dockerfile_text);
	buf_free(&u->ignore_text);
	sdc_error_release(&u->err_list);
	sdc_error_release(&u->err);
	free(u->ctx);
	free(u->dockerfile);
	free(u);
}

/* The list is read: the build may begin (and its cached steps run)
 * while the files are written.  Then the files are there. */
static void
unpack_note(evutil_socket_t fd, short what, void *arg)
{
	struct build *b = arg;
	struct build_unpacker *u = b->unpacker;
	sdc_error_t err = NULL;
	char c = 0;

	(void)what;
	if (read(fd, &c, 1) != 1)
		return;
	if (c == 'L') {
		struct build_context_list l = {
			.dockerfile = u->have_dockerfile ? &u->dockerfile_text : NULL,
			.ignore = u->have_ignore ? &u->ignore_text : NULL,
		};
		b->files = u->files;
		b->nfiles = u->nfiles;
		u->files = NULL;
		u->nfiles = 0;
		err = u->err_list;
		u->err_list = NULL;
		/* may end the build, and free b: nothing after it */
		build_context_done(b, u->rc_list, &l, &err);
		return;
	}
	unpacker_join(u);
	b->unpacker = NULL;
	b->unpacked = true;
	int rc = u->rc;
	err = u->err;
	u->err = NULL;
	unpacker_free(u);
	build_context_written(b, rc, &err);
}

/* List, then unpack, on a worker; build_context_done follows on the
 * loop once the list is read, build_context_written once the files
 * are. */
int
build_context_start(struct build *b, const char *dockerfile, sdc_error_t *err)
{
	struct build_unpacker *u = xcalloc(1, sizeof *u);
	int r;

	u->b = b;
	u->fd = dup(b->tarfd);
	u->ctx = xstrdup(b->ctx);
	u->dockerfile = xstrdup(dockerfile);
	if (u->fd < 0 || pipe2(u->note, O_CLOEXEC) < 0) {
		r = sdc_make_error(err, errno, "unpacking the build context");
		if (u->fd >= 0)
			close(u->fd);
		u->fd = -1;
		unpacker_free(u);
		return r;
	}
	if ((r = pthread_create(&u->thread, NULL, unpack_main, u)) != 0) {
		close(u->note[0]);
		close(u->note[1]);
		close(u->fd);
		unpacker_free(u);
		return sdc_make_error(err, r, "unpacking the build context");
	}
	u->ev = event_new(b->d->base, u->note[0], EV_READ | EV_PERSIST,
	    unpack_note, b);
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
	unpacker_free(u);
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

/* The index of the first listed name not below rel (the list is sorted). */
size_t
build_context_first(const struct build *b, const char *rel)
{
	size_t lo = 0, hi = b->nfiles;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(b->files[mid].rel, rel) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry named rel, or NULL. */
const struct build_file *
build_context_find(const struct build *b, const char *rel)
{
	size_t i = build_context_first(b, rel);

	return i < b->nfiles && strcmp(b->files[i].rel, rel) == 0 ?
	    &b->files[i] : NULL;
}

/* The files under rel ("" the whole context), .dockerignore's left out,
 * into md: their names and digests. */
void
build_context_digest(struct build *b, const char *rel, EVP_MD_CTX *md)
{
	size_t rl = strlen(rel);

	for (size_t i = rl == 0 ? 0 : build_context_first(b, rel); i < b->nfiles; i++) {
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
