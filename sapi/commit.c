/*
 * commit.c: group commit, and answers that wait for it.
 *
 * A write is answered only once it is on disk, and the fsync that puts it
 * there costs about a millisecond here, so one transaction and one fsync
 * per write would cap the daemon at a few hundred writes a second, however
 * many clients wait.  Instead, the first write of a loop iteration opens a
 * transaction and schedules one commit event.  Every request handled in
 * the same iteration (all the sockets that were ready) joins it, each
 * inside a SAVEPOINT so a refused write rolls back only itself.  Once they
 * have all run, the event commits (one fsync) and only then sends their
 * answers.  While the daemon is busy fsyncing, the next requests queue up
 * on their sockets, so the batch grows with the load.
 *
 * While a transaction is open, reads see writes that are not yet on disk.
 * So every answer given while one is open (reads too, and 304s) is held
 * with the writes and sent after the commit: no client ever sees a state
 * that a crash could take back.  If the commit fails, every held answer
 * becomes a 500.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <sys/queue.h>

#include "log.h"
#include "server.h"
#include "xalloc.h"

struct sapi_held {
	TAILQ_ENTRY(sapi_held) link;
	struct sapi_commit *c;
	struct http_request *req;
	int status;
	json_t *body;
};

struct sapi_commit {
	struct sapi *s;
	struct event *ev;
	bool open;                      /* a transaction is open */
	bool wrote;                     /* a write in it succeeded */
	int writes;
	TAILQ_HEAD(, sapi_held) held;
};

static void sapi_commit_run(evutil_socket_t fd, short what, void *arg);

struct sapi_commit *
sapi_commit_new(struct sapi *s)
{
	struct sapi_commit *c = xcalloc(1, sizeof *c);

	c->s = s;
	c->ev = event_new(s->base, -1, 0, sapi_commit_run, c);
	TAILQ_INIT(&c->held);
	return c;
}

void
sapi_commit_free(struct sapi_commit *c)
{
	if (c == NULL)
		return;
	sapi_commit_flush(c->s);
	event_free(c->ev);
	free(c);
}

static int
sapi_commit_send_now(struct http_request *req, int status, json_t *body)
{
	if (body != NULL)
		http_reply_json(req, status, body);
	else
		http_reply(req, status, NULL, NULL, 0);
	return HTTP_DONE;
}

static void
sapi_commit_dropped(struct http_request *req, void *arg)
{
	struct sapi_held *h = arg;

	TAILQ_REMOVE(&h->c->held, h, link);
	json_decref(h->body);
	free(h);
}

int
sapi_send(struct http_request *req, int status, json_t *body)
{
	struct sapi *s = req->data;
	struct sapi_commit *c = s != NULL ? s->commit : NULL;
	struct sapi_held *h;

	if (c == NULL || !c->open)
		return sapi_commit_send_now(req, status, body);
	h = xcalloc(1, sizeof *h);
	h->c = c;
	h->req = req;
	h->status = status;
	h->body = body;
	TAILQ_INSERT_TAIL(&c->held, h, link);
	http_on_close(req, sapi_commit_dropped, h);
	return HTTP_ASYNC;
}

int
sapi_commit_enter(struct sapi *s, sdc_error_t *err)
{
	struct sapi_commit *c = s->commit;

	if (!c->open) {
		if (sapi_model_begin(s->model, err) < 0)
			return -1;
		c->open = true;
		c->wrote = false;
		c->writes = 0;
		event_active(c->ev, EV_TIMEOUT, 0);
	}
	return sapi_model_savepoint(s->model, err);
}

int
sapi_commit_leave(struct sapi *s, bool keep, sdc_error_t *err)
{
	struct sapi_commit *c = s->commit;

	if (!keep) {
		sapi_model_rollback_savepoint(s->model);
		return 0;
	}
	if (sapi_model_release_savepoint(s->model, err) < 0) {
		sapi_model_rollback_savepoint(s->model);
		return -1;
	}
	c->wrote = true;
	c->writes++;
	return 0;
}

/* Commit, then send what was held: as it was, or 500 if the commit failed. */
void
sapi_commit_flush(struct sapi *s)
{
	struct sapi_commit *c = s->commit;
	struct sapi_held *h;
	sdc_error_t err = NULL;
	bool ok = true, wrote = c->wrote;
	json_t *e;

	if (!c->open)
		return;
	c->open = false;
	if (sapi_model_commit(s->model, &err) < 0) {
		log_error("commit of %d writes failed: %s", c->writes,
		    sdc_error_msg(err));
		ok = false;
	}
	if (c->writes > 1)
		log_emit(LOG_TRACE, NULL, NULL, "%d writes in one commit",
		    c->writes);
	while ((h = TAILQ_FIRST(&c->held)) != NULL) {
		TAILQ_REMOVE(&c->held, h, link);
		http_on_close(h->req, NULL, NULL);
		if (ok) {
			sapi_commit_send_now(h->req, h->status, h->body);
		} else {
			json_decref(h->body);
			e = json_pack("{s:s, s:s+}", "code", "InternalError",
			    "message", "the store failed to commit: ",
			    sdc_error_msg(err));
			sapi_commit_send_now(h->req, 500, e);
		}
		free(h);
	}
	sdc_error_release(&err);
	if (ok && wrote && sapi_model_notify(s->model, &err) < 0) {
		log_warn("telling other sapi processes: %s", sdc_error_msg(err));
		sdc_error_release(&err);
	}
	if (ok && wrote)
		sapi_configs_changed(s);
}

static void
sapi_commit_run(evutil_socket_t fd, short what, void *arg)
{
	struct sapi_commit *c = arg;

	sapi_commit_flush(c->s);
}
