/*
 * events-notify.c: the events of the other dockerapi processes sharing
 * one PostgreSQL store.
 *
 * `docker events` through one head must show what happens through the
 * others (a container made, started, killed elsewhere).  Each event a
 * process makes is sent, after it is published locally, as the payload of
 * NOTIFY dockerapi_events (PostgreSQL's pg_notify on the store's
 * connection): the sender's origin (a uuid drawn at start), the account,
 * and the message as GET /events writes it.  Each process LISTENs on a
 * connection of its own, opened on the same URI, whose socket is in the
 * event loop (lib/store-listen.c, as SAPI's watch does); a message from
 * another origin is published as if it had been made here: into the
 * account's history (so a later `--since` sees it) and to the account's
 * subscribers whose filters it passes.  Its own come back too and are
 * skipped.
 *
 * A payload must stay under PostgreSQL's 8000 bytes: an event whose
 * labels make it longer is sent with the name and image only among its
 * attributes (a label filter on another head then misses it), and one
 * still too long is not sent, with a warning.
 *
 * A head that was not listening (PostgreSQL restarted, a failover, its
 * listening connection back a moment after the sender's) would miss
 * what was sent meanwhile: a container's die made by the head that
 * claimed the exit just after PostgreSQL came back.  So each event is
 * also a row of head_events (heads-sync.c makes the table and prunes it
 * after ten minutes), inserted by the statement that notifies, whose
 * seq leads the payload.  Once the listener is back, the rows after the
 * last seq heard (and a margin before it: identity values commit out of
 * order) made since this head started are published, but for the seqs
 * already heard (the last EVENTS_RECENT) and this head's own; that read
 * is tried again every second until the store answers it (the
 * listener's connection is its own, made again apart from the store's).
 *
 * Events made while PostgreSQL itself is away (no request then, each is
 * refused; but an attach detached, an exec's end: an exit's die waits
 * for its claim, heads-sync.c) would be lost: so each event goes
 * through an outbox (events-outbox.c).  A send that fails leaves it
 * there; later events wait behind it, and a timer (every
 * EVENTS_RETRY_SECS) and the listener's return send them, oldest
 * first, up to the first failure.
 * Their rows keep the event's own time, so pruning and a receiver's
 * --since (its history is kept in the order of the times) stay right.
 * The outbox is bounded (the tunables EVENTS_OUTBOX_MAX_EVENTS and
 * EVENTS_OUTBOX_MAX_BYTES, applied live): past either the oldest go,
 * counted and logged.  A send whose link broke
 * once sent (STORE_UNKNOWN) may have landed and is sent again, so the
 * payload's first line is "origin:id", the id a counter of the origin's
 * own, and a receiver skips an id of an origin not above the last it
 * heard.  The outbox is kept in DATA/events-outbox as well
 * (events-outbox-file.c), written before an event counts as waiting:
 * a head killed or restarted during the outage sends, once the store
 * answers, what its last run left there, with the origin and ids those
 * events were made with (a receiver, this head too, publishes them as
 * another origin's).  On SQLite none of this runs: one daemon, one file, nobody
 * else to tell.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "containers.h"
#include "events-outbox.h"
#include "events-payload.h"
#include "heads.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "store-listen.h"
#include "xalloc.h"

#define EVENTS_CHANNEL "dockerapi_events"
#define EVENTS_PAYLOAD_MAX 7999
#define EVENTS_SEQ_MAX 21		/* "seq\n" before the payload */
#define EVENTS_RECENT 512		/* seqs heard, kept to skip again */
/* The outbox's bounds when the tunables lack them (etc/sapi-bootstrap.yaml
 * gives the same): events waiting for the store, and their bytes. */
#define EVENTS_WAIT_MAX 10000
#define EVENTS_WAIT_BYTES (8 << 20)
#define EVENTS_RETRY_SECS 1		/* between sends of the waiting */
#define EVENTS_OUTBOX_FILE "events-outbox"	/* in the data dir */
#define EVENTS_OUTBOX_FILES 16	/* heads sharing a data dir, at most */

struct events_notify {
	struct containers *cs;
	struct store_listener *l;	/* lib/store-listen.c */
	char origin[UUID_LEN + 1];
	int64_t started;		/* time(): rows before are not ours */
	int64_t top;			/* the highest seq heard */
	int64_t recent[EVENTS_RECENT];	/* a ring of the seqs heard */
	size_t next;
	uint64_t ids;			/* the last id given to an event */
	struct events_outbox out;	/* not sent yet, oldest first */
	struct event *retry;		/* sends them again while any wait */
	bool waiting;			/* since a send failed, told once */
	bool missed;			/* listening again, not yet caught up */
	size_t late;			/* sent after waiting */
	struct events_seen seen;	/* each origin's last id heard */
};

/* Whether seq was heard already; it is now. */
static bool
events_notify_heard(struct events_notify *n, int64_t seq)
{
	for (size_t i = 0; i < EVENTS_RECENT; i++)
		if (n->recent[i] == seq)
			return true;
	n->recent[n->next++ % EVENTS_RECENT] = seq;
	if (seq > n->top)
		n->top = seq;
	return false;
}

/* Another process's event (events-payload.h): published here, unless
 * it is our own or its id was already. */
static void
events_notify_publish(struct events_notify *n, const struct events_payload *p)
{
	char *account;
	json_t *msg;

	if (p->origin_len == strlen(n->origin) &&
	    strncmp(p->origin, n->origin, p->origin_len) == 0)
		return;		/* our own */
	if (p->has_id && !events_seen_fresh(&n->seen, p->origin,
	    p->origin_len, p->id))
		return;		/* sent twice: a send whose outcome was unknown */
	if ((msg = json_loads(p->message, 0, NULL)) == NULL ||
	    !json_is_object(msg)) {
		json_decref(msg);
		log_warn("events of other dockerapi processes: a message that "
		    "is not JSON, dropped");
		return;
	}
	account = xstrndup(p->account, p->account_len);
	events_publish_from(n->cs, account, msg);
	free(account);
}

/* A payload as the store gives it, split; false (logged) when it does
 * not split. */
static bool
events_notify_split(const char *payload, struct events_payload *p)
{
	sdc_error_t err = NULL;

	if (events_payload_split(payload, p, &err) < 0) {
		log_warn("events of other dockerapi processes: %s, dropped",
		    sdc_error_msg(err));
		sdc_error_release(&err);
		return false;
	}
	return true;
}

static void
events_notify_got(void *arg, const char *channel, const char *payload)
{
	struct events_notify *n = arg;
	struct events_payload p;

	(void)channel;
	if (!events_notify_split(payload, &p) ||
	    (p.seq > 0 && events_notify_heard(n, p.seq)))
		return;
	events_notify_publish(n, &p);
}

static void events_notify_flush(struct events_notify *n);

/* The outbox's file as the queue is now; a disk that fails costs the
 * copy (the queue in memory still waits), told. */
static void
events_notify_save(struct events_notify *n)
{
	sdc_error_t err = NULL;

	if (events_outbox_save(&n->out, &err) < 0) {
		log_warn("events waiting for the store not kept on disk "
		    "(lost if this head stops before the store answers): %s",
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
}
static void events_notify_bounds(struct dockerapi *d, void *arg);

/* What the others sent while this head was not listening, from the
 * store.  The listener's connection is its own: the store's may not be
 * back yet when it is, so a read that fails is tried again each second
 * (events_notify_retry) until one is done. */
static void
events_notify_catch_up(struct events_notify *n)
{
	struct timeval tv = { EVENTS_RETRY_SECS, 0 };
	struct store_stmt *st;
	struct events_payload p;
	sdc_error_t err = NULL;
	int count = 0, rc;

	if (store_prepare(n->cs->d->store, &st, "SELECT seq, payload FROM "
	    "head_events WHERE seq > ? AND at >= ? AND origin <> ? "
	    "ORDER BY seq", &err) < 0)
		goto out;
	if (store_bind_int64(st, 1, n->top > EVENTS_RECENT ? n->top -
	    EVENTS_RECENT : 0, &err) < 0 ||
	    store_bind_int64(st, 2, n->started, &err) < 0 ||
	    store_bind_text(st, 3, n->origin, &err) < 0) {
		store_finalize(st);
		goto out;
	}
	while ((rc = store_step(st, &err)) == 1)
		if (!events_notify_heard(n, store_col_int64(st, 0)) &&
		    events_notify_split(store_col_text(st, 1) ?: "", &p)) {
			events_notify_publish(n, &p);
			count++;
		}
	store_finalize(st);
out:
	if (err != NULL) {
		log_warn("events of other dockerapi processes sent while not "
		    "listening (read again in a second): %s",
		    sdc_error_msg(err));
		sdc_error_release(&err);
		if (!evtimer_pending(n->retry, NULL))
			evtimer_add(n->retry, &tv);
		return;
	}
	n->missed = false;
	if (count > 0)
		log_info("events of other dockerapi processes: %d sent while "
		    "not listening, published", count);
}

/* Listening again: what was sent meanwhile; and ours, the store back. */
static void
events_notify_back(void *arg)
{
	struct events_notify *n = arg;

	n->missed = true;
	events_notify_catch_up(n);
	events_notify_flush(n);
}

static const struct store_listen_ops events_notify_ops = {
	.channel = EVENTS_CHANNEL,
	.what = "events of other dockerapi processes (missed until heard "
	    "again)",
	.again = "listening to other dockerapi processes' events again",
	.each = events_notify_got,
	.back = events_notify_back,
};

static void
events_notify_retry(evutil_socket_t fd, short what, void *arg)
{
	struct events_notify *n = arg;

	(void)fd;
	(void)what;
	if (n->missed)
		events_notify_catch_up(n);
	events_notify_flush(n);
}

/* The first outbox file no other process holds (heads may share a data
 * dir: each takes its own; a restarted head, the one its last run left,
 * or another's that stopped, whose events it sends as well): 0, its
 * path in *path; 1 when every one is held. */
static int
events_notify_open_file(struct events_notify *n, char **path, size_t *torn,
    sdc_error_t *err)
{
	int rc = 1;

	for (int i = 1; i <= EVENTS_OUTBOX_FILES && rc == 1; i++) {
		if (i == 1)
			xasprintf(path, "%s/" EVENTS_OUTBOX_FILE,
			    n->cs->d->cfg.data_dir);
		else
			xasprintf(path, "%s/" EVENTS_OUTBOX_FILE "-%d",
			    n->cs->d->cfg.data_dir, i);
		if ((rc = events_outbox_open(&n->out, *path, torn, err)) != 0) {
			free(*path);
			*path = NULL;
		}
	}
	return rc;
}

/* What the last run of this head left in the outbox's file: sent now
 * (listening already, its own come back to it: their origin is the last
 * run's), or once the store answers. */
static void
events_notify_reload(struct events_notify *n)
{
	sdc_error_t err = NULL;
	size_t torn;
	char *path;
	int rc = events_notify_open_file(n, &path, &torn, &err);

	if (rc != 0) {
		log_warn("events waiting for the store will not be kept on "
		    "disk: %s", rc < 0 ? sdc_error_msg(err) : "every one of "
		    "the data dir's " EVENTS_OUTBOX_FILE " files is another "
		    "process's");
		sdc_error_release(&err);
		return;
	}
	if (torn > 0)
		log_warn("%s: a last event cut short (%zu bytes, written as "
		    "the head stopped) skipped", path, torn);
	free(path);
	if (n->out.count == 0)
		return;
	log_info("%zu events made before this head's start, while the store "
	    "was away, to send to the other dockerapi processes",
	    n->out.count);
	n->waiting = true;
	events_notify_flush(n);
}

struct events_notify *
events_notify_start(struct containers *cs)
{
	const char *where = cs->d->cfg.store;
	struct events_notify *n;

	if (where == NULL || !store_is_postgres_uri(where) ||
	    cs->d->base == NULL)
		return NULL;
	n = xcalloc(1, sizeof *n);
	n->cs = cs;
	uuid_make(n->origin);
	n->started = (int64_t)time(NULL);
	events_outbox_init(&n->out, EVENTS_WAIT_MAX, EVENTS_WAIT_BYTES);
	events_notify_bounds(cs->d, n);
	tunables_on_change(cs->d, events_notify_bounds, n);
	n->retry = evtimer_new(cs->d->base, events_notify_retry, n);
	n->l = store_listener_start(cs->d->base, where, &events_notify_ops, n);
	events_notify_reload(n);
	return n;
}

void
events_notify_free(struct events_notify *n)
{
	if (n == NULL)
		return;
	if (n->out.count > 0)
		log_warn("%zu events not sent to the other dockerapi "
		    "processes, the store away until the end: %s",
		    n->out.count, n->out.fd >= 0 ? "kept on disk for the "
		    "next start" : "lost");
	store_listener_free(n->l);
	event_free(n->retry);
	events_outbox_close(&n->out);	/* the file keeps what is unsent */
	events_outbox_clear(&n->out);
	events_seen_clear(&n->seen);
	free(n);
}

static char *
events_notify_payload(const struct events_notify *n, uint64_t id,
    const char *account, const json_t *msg)
{
	char *text = json_text(msg), *payload;

	xasprintf(&payload, "%s:%" PRIu64 "\n%s\n%s", n->origin, id, account,
	    text);
	free(text);
	return payload;
}

/* The row and its notification, in one statement; at is the event's own
 * time, so a late one is pruned and replayed by it. */
static int
events_notify_insert(struct events_notify *n, const char *payload,
    int64_t at, sdc_error_t *err)
{
	struct store_stmt *st;
	int rc;

	if (store_prepare(n->cs->d->store, &st, "WITH e AS (INSERT INTO "
	    "head_events (origin, payload, at) VALUES (?, ?, ?) RETURNING seq) "
	    "SELECT pg_notify('" EVENTS_CHANNEL "', e.seq::text || chr(10) || "
	    "?::text) FROM e", err) < 0)
		return -1;
	rc = store_bind_text(st, 1, n->origin, err) < 0 ||
	    store_bind_text(st, 2, payload, err) < 0 ||
	    store_bind_int64(st, 3, at, err) < 0 ||
	    store_bind_text(st, 4, payload, err) < 0 ? -1 :
	    store_step(st, err);
	store_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* The waiting events, oldest first, up to the first that fails (tried
 * again in a second, or when the store is heard again).  A send whose
 * outcome is unknown is sent again: the receivers skip its id if the
 * first one landed. */
static void
events_notify_flush(struct events_notify *n)
{
	const struct events_outbox_entry *e;
	struct timeval tv = { EVENTS_RETRY_SECS, 0 };
	sdc_error_t err = NULL;

	if (n->out.count > 0)	/* what the events say changed, first */
		heads_changed_owed(n->cs->d);
	while ((e = events_outbox_oldest(&n->out)) != NULL) {
		if (events_notify_insert(n, e->payload, e->at, &err) < 0)
			break;
		events_outbox_pop(&n->out);
		if (n->waiting)
			n->late++;
	}
	if (err != NULL) {
		if (!n->waiting)
			log_warn("events not sent to the other dockerapi "
			    "processes yet (sent in order once the store "
			    "answers): %s", sdc_error_msg(err));
		n->waiting = true;
		sdc_error_release(&err);
		events_notify_save(n);
		if (!evtimer_pending(n->retry, NULL))
			evtimer_add(n->retry, &tv);
		return;
	}
	if (n->waiting)
		log_info("%zu events made while the store was away sent to "
		    "the other dockerapi processes", n->late);
	if (n->out.dropped_run > 0)
		log_warn("%" PRIu64 " events made while the store was away "
		    "dropped, never sent to the other dockerapi processes "
		    "(more than %zu or %zu bytes waiting); %" PRIu64 " since "
		    "the start", n->out.dropped_run, n->out.max_count,
		    n->out.max_bytes, n->out.dropped);
	events_notify_save(n);
	n->out.dropped_run = 0;
	n->waiting = false;
	n->late = 0;
}

/* Each of an overflow's first, tenth, hundredth... drop is told. */
static void
events_notify_dropped(struct events_notify *n, size_t dropped)
{
	uint64_t run = n->out.dropped_run, tell = 1;

	while (tell * 10 <= run)
		tell *= 10;
	if (run - dropped < tell)
		log_warn("the events waiting for the store to be sent to the "
		    "other dockerapi processes passed %zu or %zu bytes: %"
		    PRIu64 " of the oldest dropped", n->out.max_count,
		    n->out.max_bytes, run);
}

/* The outbox's bounds as the tunables say now (their schema keeps
 * them in range). */
static void
events_notify_bounds(struct dockerapi *d, void *arg)
{
	struct events_notify *n = arg;
	size_t count = (size_t)tunable_int(d, "EVENTS_OUTBOX_MAX_EVENTS",
	    EVENTS_WAIT_MAX);
	size_t bytes = (size_t)tunable_int(d, "EVENTS_OUTBOX_MAX_BYTES",
	    EVENTS_WAIT_BYTES);
	size_t dropped;

	if (count == n->out.max_count && bytes == n->out.max_bytes)
		return;
	dropped = events_outbox_set_bounds(&n->out, count, bytes);
	log_info("events waiting for the store: at most %zu events or %zu "
	    "bytes", count, bytes);
	if (dropped > 0)
		events_notify_dropped(n, dropped);
	events_notify_save(n);
}

void
events_notify_send(struct events_notify *n, const char *account,
    const json_t *msg)
{
	const json_t *attrs;
	json_t *small;
	char *payload;
	uint64_t id;
	size_t dropped;
	bool idle;

	if (n == NULL)
		return;
	id = ++n->ids;
	payload = events_notify_payload(n, id, account, msg);
	if (strlen(payload) > EVENTS_PAYLOAD_MAX - EVENTS_SEQ_MAX) {
		free(payload);
		small = json_deep_copy(msg);
		attrs = json_object_get(json_object_get(msg, "Actor"),
		    "Attributes");
		json_object_set_new(json_object_get(small, "Actor"),
		    "Attributes", json_pack("{s:O?,s:O?}", "name",
		    json_object_get(attrs, "name"), "image",
		    json_object_get(attrs, "image")));
		payload = events_notify_payload(n, id, account, small);
		json_decref(small);
		if (strlen(payload) > EVENTS_PAYLOAD_MAX - EVENTS_SEQ_MAX) {
			log_warn("an event of %s too long for the other "
			    "dockerapi processes: not sent", account);
			free(payload);
			return;
		}
	}
	/* behind the ones waiting, if any: they go first, at the retry */
	idle = n->out.count == 0;
	dropped = events_outbox_push(&n->out, payload,
	    json_int(msg, "time", (json_int_t)time(NULL)));
	if (dropped > 0)
		events_notify_dropped(n, dropped);
	if (idle)
		events_notify_flush(n);
	else
		events_notify_save(n);
}
