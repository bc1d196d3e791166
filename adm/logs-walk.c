/*
 * logs-walk.c: the walk of <zones>/<uuid>/logs/ that cannot be led astray.
 *
 * Cleanup runs as root from cron on trees whose leaves belong to container
 * users, so no path below the zones root is ever resolved as a string: the
 * root is opened once, and each container directory and its logs directory
 * are opened relative to that descriptor one component at a time with
 * O_NOFOLLOW | O_DIRECTORY.  Files are judged with fstatat(...,
 * AT_SYMLINK_NOFOLLOW) and removed with unlinkat() on the logs directory's
 * descriptor, so a directory swapped for a symlink after we looked at it
 * redirects nothing: we hold the directory, not its name.
 *
 * Unlinking is the cost, and most of it is waiting (on the journal, on
 * inode and directory locks), not CPU: on 2 CPUs one thread is as slow as
 * find, and 8 threads, each taking the next container from a shared
 * counter, remove the same files about twice as fast.  Separate
 * directories keep them off each other's locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adm.h"
#include "dockerapi/runtime/container-layout.h"
#include "ids.h"
#include "xalloc.h"

#define LOGS_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)


const char *
adm_zones(const struct adm_ctx *ctx)
{
	return ctx->zones != NULL ? ctx->zones : ADM_ZONES_DEFAULT;
}

static int
walk_cmp_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
logs_walk_open(struct logs_tree *t, const char *zones, sdc_error_t *err)
{
	memset(t, 0, sizeof *t);
	t->rootfd = open(zones, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->rootfd < 0)
		return sdc_make_error(err, errno, "cannot open %s", zones);
	t->path = xstrdup(zones);
	return 0;
}

int
logs_walk_list(struct logs_tree *t, sdc_error_t *err)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	strvec_clear(&t->ids);
	if ((fd = dup(t->rootfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		sdc_make_error(err, errno, "cannot read %s", t->path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* dup shares the offset: start from the top whatever happened. */
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL)
		if (uuid_valid(de->d_name) &&
		    (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN))
			strvec_push(&t->ids, de->d_name);
	closedir(dir);
	if (t->ids.n > 0)
		qsort(t->ids.v, t->ids.n, sizeof *t->ids.v, walk_cmp_ids);
	return 0;
}

void
logs_walk_close(struct logs_tree *t)
{
	if (t->rootfd >= 0)
		close(t->rootfd);
	t->rootfd = -1;
	free(t->path);
	t->path = NULL;
	strvec_clear(&t->ids);
}

int
logs_walk_open_dir(const struct logs_tree *t, size_t i)
{
	int cfd, lfd, saved;

	cfd = openat(t->rootfd, t->ids.v[i], LOGS_DIR_FLAGS);
	if (cfd < 0)
		return -1;
	lfd = openat(cfd, RT_LOG_DIR, LOGS_DIR_FLAGS);
	saved = errno;
	close(cfd);
	errno = saved;
	return lfd;
}

/* fstatat without following; false when it is not a regular file now. */
static bool
walk_stat_regular(int fd, const char *name, struct logs_file *f)
{
	struct stat st;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	f->size = (uint64_t)st.st_size;
	f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return true;
}

static void
walk_add_rotated(struct logs_dir *d, const char *name, const struct logs_file *f)
{
	if (d->nrot == d->caprot) {
		d->caprot = d->caprot ? d->caprot * 2 : 16;
		d->rot = xrealloc(d->rot, d->caprot * sizeof *d->rot);
	}
	d->rot[d->nrot] = *f;
	d->rot[d->nrot].name = xstrdup(name);
	d->nrot++;
}

/* Newest first; the name (its timestamp) breaks ties. */
static int
walk_cmp_newest(const void *a, const void *b)
{
	const struct logs_file *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns > y->mtime_ns ? -1 : 1;
	return -strcmp(x->name, y->name);
}

int
logs_walk_read_dir(int fd, struct logs_dir *d, sdc_error_t *err)
{
	struct logs_file f;
	struct dirent *de;

	memset(d, 0, sizeof *d);
	d->fd = fd;
	if ((d->dir = fdopendir(fd)) == NULL) {
		close(fd);
		d->fd = -1;
		return sdc_make_error(err, errno, "cannot read logs directory");
	}
	while ((de = readdir(d->dir)) != NULL) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		memset(&f, 0, sizeof f);
		if (strcmp(de->d_name, RT_LOG_FILE) == 0) {
			d->has_live = walk_stat_regular(fd, de->d_name, &d->live);
		} else if (rt_log_is_rotated(de->d_name) &&
		    walk_stat_regular(fd, de->d_name, &f)) {
			walk_add_rotated(d, de->d_name, &f);
		}
	}
	if (d->nrot > 1)
		qsort(d->rot, d->nrot, sizeof *d->rot, walk_cmp_newest);
	return 0;
}

void
logs_walk_free_dir(struct logs_dir *d)
{
	size_t i;

	for (i = 0; i < d->nrot; i++)
		free(d->rot[i].name);
	free(d->rot);
	if (d->dir != NULL)
		closedir(d->dir);
	memset(d, 0, sizeof *d);
	d->fd = -1;
}

struct walk_pool {
	atomic_size_t next;
	size_t njobs;
	logs_walk_job_fn fn;
	void *arg;
};

struct walk_worker {
	struct walk_pool *pool;
	unsigned id;
	pthread_t thread;
};

static void *
walk_worker_main(void *p)
{
	struct walk_worker *w = p;
	size_t job;

	while ((job = atomic_fetch_add(&w->pool->next, 1)) < w->pool->njobs)
		w->pool->fn(w->pool->arg, job, w->id);
	return NULL;
}

void
logs_walk_pool(unsigned nthreads, size_t njobs, logs_walk_job_fn fn, void *arg)
{
	struct walk_pool pool = { .njobs = njobs, .fn = fn, .arg = arg };
	struct walk_worker *w;
	unsigned i, started;

	atomic_init(&pool.next, 0);
	if (nthreads < 1)
		nthreads = 1;
	w = xcalloc(nthreads, sizeof *w);
	/* Worker 0 is this thread; a thread that fails to start leaves its
	 * share to the others. */
	for (i = 1, started = 1; i < nthreads; i++) {
		w[started].pool = &pool;
		w[started].id = started;
		if (pthread_create(&w[started].thread, NULL, walk_worker_main,
		    &w[started]) == 0)
			started++;
	}
	w[0].pool = &pool;
	w[0].id = 0;
	walk_worker_main(&w[0]);
	for (i = 1; i < started; i++)
		pthread_join(w[i].thread, NULL);
	free(w);
}

unsigned
logs_walk_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	n *= 4;
	return (unsigned)(n < 4 ? 4 : n > 16 ? 16 : n);
}
