/*
 * archive-job.c: docker cp's transfers joined to an HTTP request, one
 * piece of code for the head (api/containers-archive.c, a container on
 * its own machine) and the node's agent (agent/container-archive.c, a
 * container on the node), so that both copy alike; each keeps what is
 * its own: how it finds the container and its mounts, and how it words
 * an error.
 *
 * A tar can be large and the file calls (archive.c) block, so they run on
 * a thread of the job's own, joined to the loop by pipes: GET's tar is
 * written on lib/thread-stream.c's thread and copied to the client while
 * it keeps up; PUT's body is fed by lib/body-pipe.c into a pipe the
 * extraction reads, and the end comes once both the extraction and the
 * body are over.  A client that leaves closes the body's pipe, which
 * stops the extraction at its next read; the job waits for the thread's
 * end (never joined on the loop while it runs) and is then freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <event2/event.h>

#include "dockerapi/runtime/archive-job.h"
#include "http.h"
#include "thread-stream.h"
#include "xalloc.h"

static void
cp_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void
rt_cp_init(struct rt_cp *cp)
{
	*cp = (struct rt_cp){ .in = -1, .note = { -1, -1 } };
	cp->body.fd = -1;
	cp->root.fd = -1;
}

void
rt_cp_release(struct rt_cp *cp)
{
	if (cp->note_ev != NULL)
		event_free(cp->note_ev);
	cp->note_ev = NULL;
	/* the loop's end first: the thread then stops at its next read */
	body_pipe_close(&cp->body);
	if (cp->running)
		pthread_join(cp->thread, NULL);
	cp->running = false;
	cp_close(&cp->in);
	cp_close(&cp->note[0]);
	cp_close(&cp->note[1]);
	rt_root_close(&cp->root);
	sdc_error_release(&cp->err);
	free(cp->path);
	cp->path = NULL;
}

int
rt_cp_stat_header(struct rt_cp *cp, struct http_request *req,
    sdc_error_t *err)
{
	struct rt_path_stat st;
	char *b64;

	if (rt_archive_stat(&cp->root, cp->path, &st, err) < 0)
		return -1;
	b64 = rt_path_stat_header(&st);
	http_set_header(req, "X-Docker-Container-Path-Stat", b64);
	free(b64);
	rt_path_stat_free(&st);
	return 0;
}

/* --- GET: the tar out --- */

static int
cp_get_run(void *arg, thread_stream_write_fn *write, void *warg,
    sdc_error_t *err)
{
	struct rt_cp *cp = arg;

	return rt_archive_get(&cp->root, cp->path, write, warg, err);
}

static void
cp_get_end(void *arg)
{
	struct rt_cp *cp = arg;

	cp->get_done(cp->owner);
}

int
rt_cp_get_start(struct rt_cp *cp, struct http_request *req,
    struct event_base *base, rt_cp_get_done_fn *done, void *owner,
    sdc_error_t *err)
{
	cp->get_done = done;
	cp->owner = owner;
	return thread_stream_start(req, base, "docker cp", "application/x-tar",
	    cp_get_run, cp_get_end, cp, err);
}

/* --- PUT: a tar in --- */

int
rt_cp_put_check(struct rt_cp *cp, sdc_error_t *err)
{
	struct rt_path_stat st;
	char *dir;
	int rc = 0;

	xasprintf(&dir, "%s/", cp->path);
	rc = rt_archive_stat(&cp->root, dir, &st, err);
	free(dir);
	if (rc < 0) {
		if (*err == NULL || (*err)->errnum != ENOTDIR)
			return -1;
		sdc_error_release(err);
		return sdc_make_error_code(err, 400, "extraction point is not "
		    "a directory");
	}
	if (!(st.mode & (1u << 31)))
		rc = sdc_make_error_code(err, 400, "extraction point is not a "
		    "directory");
	rt_path_stat_free(&st);
	return rc;
}

/* Both the extraction and the body are over: the owner's end. */
static void
cp_put_maybe_end(struct rt_cp *cp)
{
	struct http_request *req = cp->req;

	if (!cp->finished || !cp->body.done)
		return;
	if (req != NULL)
		http_on_close(req, NULL, NULL);
	cp->req = NULL;
	cp->body.req = NULL;
	cp->put_done(cp->owner, req, cp->rc, &cp->err);
}

/* The client has gone: the body's end closed, so the extraction reads
 * its end and stops; the owner's end once it has. */
static void
cp_put_closed(struct http_request *req, void *arg)
{
	struct rt_cp *cp = arg;

	(void)req;
	cp->req = NULL;
	cp->body.req = NULL;
	body_pipe_close(&cp->body);
	if (cp->finished)
		cp->put_done(cp->owner, NULL, cp->rc, &cp->err);
}

static void
cp_put_body_end(void *arg)
{
	cp_put_maybe_end(arg);
}

static void *
cp_put_main(void *arg)
{
	struct rt_cp *cp = arg;
	char drain[4096];

	cp->rc = rt_archive_put(&cp->root, cp->path, &cp->put, cp->in,
	    &cp->err);
	/* the loop sees the end as EOF on note: close the body's end first,
	 * so that what the client still sends is dropped, not queued */
	while (cp->rc == 0 && read(cp->in, drain, sizeof drain) > 0)
		;
	cp_close(&cp->in);
	cp_close(&cp->note[1]);
	return NULL;
}

static void
cp_put_note(evutil_socket_t fd, short what, void *arg)
{
	struct rt_cp *cp = arg;
	char c;

	(void)what;
	if (read(fd, &c, 1) != 0 && errno == EAGAIN)
		return;
	event_free(cp->note_ev);
	cp->note_ev = NULL;
	pthread_join(cp->thread, NULL);
	cp->running = false;
	cp->finished = true;
	if (cp->req == NULL) {
		cp->put_done(cp->owner, NULL, cp->rc, &cp->err);
		return;
	}
	body_pipe_close(&cp->body);	/* the rest of the body is dropped */
	cp_put_maybe_end(cp);
}

int
rt_cp_put_start(struct rt_cp *cp, struct http_request *req,
    struct event_base *base, rt_cp_put_done_fn *done, void *owner,
    sdc_error_t *err)
{
	int r;

	cp->put_done = done;
	cp->owner = owner;
	if (body_pipe_open(&cp->body, &cp->in, err) < 0)
		return -1;
	if (pipe2(cp->note, O_CLOEXEC) < 0)
		return sdc_make_error(err, errno, "a pipe");
	(void)fcntl(cp->note[0], F_SETFL, O_NONBLOCK);
	if ((r = pthread_create(&cp->thread, NULL, cp_put_main, cp)) != 0)
		return sdc_make_error(err, r, "a thread");
	cp->running = true;
	cp->req = req;
	cp->note_ev = event_new(base, cp->note[0], EV_READ | EV_PERSIST,
	    cp_put_note, cp);
	event_add(cp->note_ev, NULL);
	http_on_close(req, cp_put_closed, cp);
	body_pipe_start(&cp->body, req, base, cp_put_body_end, cp);
	return 0;
}
