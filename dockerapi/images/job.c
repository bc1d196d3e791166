/*
 * job.c: a worker thread, its queue of events, and the hand-back to the
 * owner thread.
 *
 * The worker queues events under a mutex and writes one byte to a pipe
 * whenever the queue goes from empty to not empty, so the owner's event
 * loop wakes once per batch and not once per event.  The owner drains the
 * pipe, takes the whole queue and calls the callback outside the lock.
 * When the worker is done, dispatch() joins it and runs the job's commit
 * on the owner thread (the only thread that may touch the store), or, on
 * failure, removes every blob and layer the job created that no image
 * uses.  The result is known only after that, which is why success is
 * reported by dispatch() and not by the worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images-int.h"
#include "xalloc.h"

struct job_event {
	enum images_ev kind;
	char *id;
	char *text;
	int64_t current, total;
};

struct images_job *
job_new(struct images *im, const char *account, images_event_fn *cb, void *arg)
{
	struct images_job *job = xcalloc(1, sizeof *job);

	job->im = im;
	job->account = xstrdup(account);
	job->cb = cb;
	job->arg = arg;
	job->pipe[0] = job->pipe[1] = -1;
	pthread_mutex_init(&job->lock, NULL);
	pthread_mutex_init(&job->rec_lock, NULL);
	atomic_init(&job->cancel, 0);
	budget_init(job);
	im->jobs++;
	return job;
}

static void *
job_main(void *arg)
{
	struct images_job *job = arg;
	sdc_error_t err = NULL;
	int rc = job->run(job, &err);
	char c = 'd';

	pthread_mutex_lock(&job->lock);
	job->rc = rc;
	job->werr = err;
	job->done = true;
	pthread_mutex_unlock(&job->lock);
	while (write(job->pipe[1], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

int
job_start(struct images_job *job, struct images_job **out, sdc_error_t *err)
{
	int r;

	if (pipe2(job->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		sdc_make_error(err, errno, "starting an image job");
		images_job_free(job);
		return -1;
	}
	r = pthread_create(&job->thread, NULL, job_main, job);
	if (r != 0) {
		sdc_make_error(err, r, "starting an image job");
		images_job_free(job);
		return -1;
	}
	job->started = true;
	*out = job;
	return 0;
}

void
job_event(struct images_job *job, enum images_ev kind, const char *id,
    const char *text, int64_t current, int64_t total)
{
	struct job_event *ev;
	bool wake;
	char c = 'e';

	pthread_mutex_lock(&job->lock);
	if (job->nqueue == job->capqueue) {
		job->capqueue = job->capqueue ? 2 * job->capqueue : 32;
		job->queue = xrealloc(job->queue, job->capqueue * sizeof *job->queue);
	}
	ev = &job->queue[job->nqueue++];
	ev->kind = kind;
	ev->id = id ? xstrdup(id) : NULL;
	ev->text = text ? xstrdup(text) : NULL;
	ev->current = current;
	ev->total = total;
	wake = job->nqueue == 1;
	pthread_mutex_unlock(&job->lock);
	if (wake)
		while (write(job->pipe[1], &c, 1) < 0 && errno == EINTR)
			;
}

static void
job_record(struct images_job *job, struct strvec *sv, const char *digest)
{
	pthread_mutex_lock(&job->rec_lock);
	strvec_push(sv, digest);
	pthread_mutex_unlock(&job->rec_lock);
}

void
job_pin(struct images_job *job, const char *digest)
{
	images_pin(job->im, digest);
	job_record(job, &job->pins, digest);
}

void
job_created_blob(struct images_job *job, const char *digest)
{
	job_record(job, &job->new_blobs, digest);
}

void
job_created_layer(struct images_job *job, const char *diff_id)
{
	job_record(job, &job->new_layers, diff_id);
}

void
job_proved(struct images_job *job, const char *diff_id)
{
	job_record(job, &job->proved, diff_id);
}

struct job_image *
job_add_image(struct images_job *job)
{
	job->images = xrealloc(job->images, (job->nimages + 1) * sizeof *job->images);
	memset(&job->images[job->nimages], 0, sizeof *job->images);
	return &job->images[job->nimages++];
}

bool
job_cancelled(struct images_job *job)
{
	return atomic_load(&job->cancel) != 0;
}

int
images_job_fd(struct images_job *job)
{
	return job->pipe[0];
}

static void
job_deliver(struct images_job *job)
{
	struct job_event *q;
	size_t n;
	char drain[64];

	while (read(job->pipe[0], drain, sizeof drain) > 0)
		;
	pthread_mutex_lock(&job->lock);
	q = job->queue;
	n = job->nqueue;
	job->queue = NULL;
	job->nqueue = job->capqueue = 0;
	pthread_mutex_unlock(&job->lock);
	for (size_t i = 0; i < n; i++) {
		struct images_event ev = { q[i].kind, q[i].id, q[i].text,
		    q[i].current, q[i].total };
		if (job->cb != NULL)
			job->cb(job->arg, &ev);
		free(q[i].id);
		free(q[i].text);
	}
	free(q);
}

static void
job_release_pins(struct images_job *job)
{
	for (size_t i = 0; i < job->pins.n; i++)
		images_unpin(job->im, job->pins.v[i]);
	strvec_clear(&job->pins);
}

/* After a job, whatever it created that no image uses goes again: all of
 * it when the job failed, the leftovers (a docker-archive's extra files)
 * when it succeeded. */
static void
job_collect(struct images_job *job)
{
	job_release_pins(job);
	for (size_t i = 0; i < job->new_layers.n; i++)
		meta_gc_layer(job->im, job->new_layers.v[i]);
	for (size_t i = 0; i < job->new_blobs.n; i++)
		meta_gc_blob(job->im, job->new_blobs.v[i]);
	strvec_clear(&job->new_layers);
	strvec_clear(&job->new_blobs);
}

static int
job_finish(struct images_job *job, sdc_error_t *err)
{
	int rc;

	pthread_join(job->thread, NULL);
	job->started = false;
	job_deliver(job);
	rc = job->rc;
	if (rc < 0) {
		sdc_error_release(err);
		*err = job->werr;
		job->werr = NULL;
	} else if (job->commit != NULL)
		rc = budget_commit(job, err);
	job_collect(job);
	job->finished = true;
	job->rc = rc < 0 ? -1 : 1;
	return job->rc;
}

int
images_job_dispatch(struct images_job *job, sdc_error_t *err)
{
	bool done;

	if (job->finished)
		return job->rc;
	job_deliver(job);
	pthread_mutex_lock(&job->lock);
	done = job->done;
	pthread_mutex_unlock(&job->lock);
	return done ? job_finish(job, err) : 0;
}

int
images_job_wait(struct images_job *job, sdc_error_t *err)
{
	struct pollfd p = { .fd = job->pipe[0], .events = POLLIN };
	int r;

	while ((r = images_job_dispatch(job, err)) == 0)
		poll(&p, 1, 1000);
	return r;
}

const char *
images_job_image_id(struct images_job *job)
{
	return job->nimages > 0 ? job->images[job->nimages - 1].id : NULL;
}

void
job_layers_free(struct job_layer *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].digest);
		free(l[i].media_type);
		free(l[i].diff_id);
	}
	free(l);
}

void
images_job_free(struct images_job *job)
{
	if (job == NULL)
		return;
	if (job->started) {
		atomic_store(&job->cancel, 1);
		pthread_join(job->thread, NULL);
		job->started = false;
	}
	if (!job->finished) {
		/* events nobody will read, a result nobody will commit */
		job->cb = NULL;
		job_deliver(job);
		job_collect(job);
	}
	if (job->free_data != NULL)
		job->free_data(job);
	for (size_t i = 0; i < job->nimages; i++) {
		struct job_image *img = &job->images[i];
		free(img->id);
		free(img->config);
		job_layers_free(img->layers, img->nlayers);
		strvec_clear(&img->tags);
		free(img->repo);
		free(img->digest);
	}
	free(job->images);
	sdc_error_release(&job->werr);
	strvec_clear(&job->pins);
	strvec_clear(&job->new_blobs);
	strvec_clear(&job->new_layers);
	strvec_clear(&job->proved);
	if (job->pipe[0] >= 0)
		close(job->pipe[0]);
	if (job->pipe[1] >= 0)
		close(job->pipe[1]);
	pthread_mutex_destroy(&job->lock);
	pthread_mutex_destroy(&job->rec_lock);
	job->im->jobs--;
	free(job->account);
	free(job);
}
