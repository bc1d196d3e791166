/*
 * quota-claims.c: the containers quota decided in the store, so that
 * several heads on one PostgreSQL cannot each let one more pass.
 *
 * Counting an account's containers in a head's memory and then writing
 * the row lets two heads that count at once both pass a quota, and a
 * tenant who spreads its creates over the heads passes it by as many as
 * it has heads.  So the decision is one short transaction in the store:
 *
 *   BEGIN; the account's lock (store_lock: PostgreSQL's advisory
 *   transaction lock on "quota:<account>"; on SQLite BEGIN IMMEDIATE
 *   already holds the one write lock); count its rows in containers and
 *   its live rows in quota_claims; under the limit, INSERT a claim named
 *   by the new container's uuid; COMMIT.
 *
 * The claim stands for the container until its row exists: a node's
 * agent may take seconds to make it, and the claim is what another head
 * counts meanwhile.  It goes in the same transaction that inserts the
 * container's row (quota_claim_settle, from create_record), so at no
 * moment does the container count twice or not at all; a create that
 * fails drops it (quota_claim_drop).
 *
 * A head killed mid-create cannot drop its claims.  Each claim carries
 * its head (origin, drawn at start) and when that head last vouched for
 * it (seen, seconds): a head that has claims in flight touches them
 * every QUOTA_CLAIM_TOUCH_SECS, and a claim not touched for
 * QUOTA_CLAIM_STALE_SECS counts no more (and is deleted later).  So a head's death
 * frees its account's room within about ten seconds, while a live
 * head's create that takes minutes (a node fetching layers) keeps its
 * claim.  The heads' clocks are compared, which NTP keeps within far
 * less than the bound.
 *
 * Only an account that has a containers quota pays for this: without
 * one nothing is counted or claimed.  The claim's commit is not waited
 * to disk (store_begin_lazy): a crash of the machine ends the create it
 * stands for, and the row's own commit follows.  The transaction is five
 * short statements (about a millisecond on PostgreSQL over a unix
 * socket), but its lock waits for whoever holds the account's lock: the
 * other heads' claims of the same account (up to 95 ms seen when one
 * account's creates collide across heads), or any session of the
 * database that took it.  So it never runs on the loop: the create
 * prepares the claim on the loop (quota_claim_prepare: the limit), runs
 * it on a thread of its own (quota_claim_run, from the create's rtcall)
 * through a store connection of the claims' own, which a thread takes
 * from a small pool and gives back (a store is one thread's at a time),
 * and goes on on the loop once it is taken.  The rest (the settle in
 * the row's transaction, a failed create's drop, the touches) takes no
 * lock and stays on the loop's connection.  On SQLite (one machine: no
 * other head, its "lock" the file's write lock, which the agent beside
 * holds for a commit's span) the claim stays on the loop's connection:
 * a second connection of the process to the file would not be safe,
 * POSIX locks being the process's (a descriptor of the file closed
 * drops the other connection's).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "dockerapi.h"
#include "ids.h"
#include "log.h"
#include "xalloc.h"

#define QUOTA_CLAIM_TOUCH_SECS 2
#define QUOTA_CLAIM_STALE_SECS 10
#define QUOTA_CLAIM_SWEEP_TICKS 15	/* the stale rows deleted: 30 s */
#define QUOTA_CLAIM_POOL 4		/* idle connections kept for claims */

static const char *const claims_migrations[] = {
	"CREATE TABLE quota_claims ("
	" id TEXT PRIMARY KEY,"
	" account_uuid TEXT NOT NULL,"
	" origin TEXT NOT NULL,"
	" seen BIGINT NOT NULL);"
	"CREATE INDEX quota_claims_account ON quota_claims (account_uuid);",
	NULL,
};

struct quota_claims {
	char origin[UUID_LEN + 1];	/* this head's, for its claims */
	int held;			/* claims of this head in flight */
	int ticks;
	struct event *timer;
	char *where;			/* the store, for the claims' connections */
	pthread_mutex_t lock;		/* over the pool */
	struct store *pool[QUOTA_CLAIM_POOL];
	int npool;
};

/* One claim, prepared on the loop and taken on a thread. */
struct quota_claim {
	struct quota_claims *q;
	char *account;
	char id[UUID_LEN + 1];
	int64_t limit;
};

int
quota_claims_init(struct dockerapi *d, sdc_error_t *err)
{
	struct quota_claims *q;

	if (store_migrate(d->store, "quota_claims", claims_migrations,
	    err) < 0)
		return sdc_error_wrap(err, "quota claims");
	q = xcalloc(1, sizeof *q);
	uuid_make(q->origin);
	if (d->cfg.store != NULL && *d->cfg.store != '\0')
		q->where = xstrdup(d->cfg.store);
	else
		xasprintf(&q->where, "%s/dockerapi.db", d->cfg.data_dir);
	pthread_mutex_init(&q->lock, NULL);
	d->quota_claims = q;
	return 0;
}

/* Every few seconds this head's claims touched; now and then the stale
 * deleted (by every head; they count no more once stale, so this only
 * keeps the table to the creates in flight). */
static void
claims_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dockerapi *d = arg;
	struct quota_claims *q = d->quota_claims;
	struct store_stmt *st;
	sdc_error_t err = NULL;
	int64_t now = (int64_t)time(NULL);

	(void)fd;
	(void)what;
	if (q->held > 0 && store_prepare(d->store, &st, "UPDATE quota_claims "
	    "SET seen = ? WHERE origin = ?", &err) == 0) {
		if (store_bind_int64(st, 1, now, &err) == 0 &&
		    store_bind_text(st, 2, q->origin, &err) == 0)
			(void)store_step(st, &err);
		store_finalize(st);
	}
	if (err == NULL && ++q->ticks % QUOTA_CLAIM_SWEEP_TICKS == 0 &&
	    store_prepare(d->store, &st, "DELETE FROM "
	    "quota_claims WHERE seen < ?", &err) == 0) {
		if (store_bind_int64(st, 1, now - QUOTA_CLAIM_STALE_SECS,
		    &err) == 0)
			(void)store_step(st, &err);
		store_finalize(st);
	}
	if (err != NULL) {
		log_warn("quota claims: %s", sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

void
quota_claims_start(struct dockerapi *d)
{
	struct quota_claims *q = d->quota_claims;
	struct timeval tv = { QUOTA_CLAIM_TOUCH_SECS, 0 };

	if (q == NULL || d->base == NULL || q->timer != NULL)
		return;
	q->timer = event_new(d->base, -1, EV_PERSIST, claims_tick, d);
	event_add(q->timer, &tv);
}

void
quota_claims_free(struct dockerapi *d)
{
	struct quota_claims *q = d->quota_claims;

	if (q == NULL)
		return;
	if (q->timer != NULL)
		event_free(q->timer);
	while (q->npool > 0)
		store_close(q->pool[--q->npool]);
	pthread_mutex_destroy(&q->lock);
	free(q->where);
	free(q);
	d->quota_claims = NULL;
}

/* The account's containers and live claims, inside the transaction. */
static int
claims_count(struct store *sto, const char *account, int64_t *out,
    sdc_error_t *err)
{
	struct store_stmt *st;
	int rc;

	if (store_prepare(sto, &st, "SELECT (SELECT COUNT(*) FROM "
	    "containers WHERE account = ?1) + (SELECT COUNT(*) FROM "
	    "quota_claims WHERE account_uuid = ?1 AND seen >= ?2)",
	    err) < 0)
		return -1;
	if ((rc = store_bind_text(st, 1, account, err)) == 0 &&
	    (rc = store_bind_int64(st, 2, (int64_t)time(NULL) -
	    QUOTA_CLAIM_STALE_SECS, err)) == 0 &&
	    (rc = store_step(st, err)) == 1)
		*out = store_col_int64(st, 0);
	store_finalize(st);
	return rc < 0 ? -1 : 0;
}

static int
claims_insert(struct store *sto, const char *origin, const char *account,
    const char *id, sdc_error_t *err)
{
	struct store_stmt *st;
	int rc;

	if (store_prepare(sto, &st, "INSERT INTO quota_claims (id, "
	    "account_uuid, origin, seen) VALUES (?, ?, ?, ?)", err) < 0)
		return -1;
	if ((rc = store_bind_text(st, 1, id, err)) == 0 &&
	    (rc = store_bind_text(st, 2, account, err)) == 0 &&
	    (rc = store_bind_text(st, 3, origin, err)) == 0 &&
	    (rc = store_bind_int64(st, 4, (int64_t)time(NULL), err)) == 0)
		rc = store_step(st, err);
	store_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* The claim's transaction on st: 0, or -1 with *err (403: no room);
 * st's transaction ended either way. */
static int
claims_take(struct store *st, const struct quota_claim *c, sdc_error_t *err)
{
	int64_t n = 0;
	char *lock;
	int rc;

	/* not waited to disk: a crash of the machine ends the create too */
	if (store_begin_lazy(st, err) < 0)
		return sdc_error_wrap(err, "quota containers");
	xasprintf(&lock, "quota:%s", c->account);
	rc = store_lock(st, lock, err);
	free(lock);
	if (rc == 0)
		rc = claims_count(st, c->account, &n, err);
	if (rc == 0 && n >= c->limit) {
		store_rollback(st);
		return sdc_make_error_code(err, 403, "quota exceeded: this "
		    "account may have at most %" PRId64 " containers (quota "
		    "containers); remove one first", c->limit);
	}
	if (rc == 0 && (rc = claims_insert(st, c->q->origin, c->account,
	    c->id, err)) == 0)
		rc = store_commit(st, err);
	if (rc < 0) {
		store_rollback(st);
		return sdc_error_wrap(err, "quota containers");
	}
	return 0;
}

int
quota_claim_prepare(struct dockerapi *d, const char *account,
    const char *id, struct quota_claim **out, bool *claimed,
    sdc_error_t *err)
{
	int64_t limit = quota_limit(d, account, QUOTA_CONTAINERS);
	struct quota_claim *c;
	int rc;

	*out = NULL;
	*claimed = false;
	if (limit < 0)
		return 0;
	if (d->quota_claims == NULL)
		return sdc_make_error_code(err, 500, "quota claims: not "
		    "initialised");
	c = xcalloc(1, sizeof *c);
	c->q = d->quota_claims;
	c->account = xstrdup(account);
	snprintf(c->id, sizeof c->id, "%s", id);
	c->limit = limit;
	if (strcmp(store_backend(d->store), "sqlite") != 0) {
		*out = c;	/* quota_claim_run, on a thread */
		return 0;
	}
	rc = claims_take(d->store, c, err);
	quota_claim_free(c);
	if (rc < 0)
		return -1;
	*claimed = true;
	quota_claim_taken(d);
	return 0;
}

void
quota_claim_free(struct quota_claim *c)
{
	if (c == NULL)
		return;
	free(c->account);
	free(c);
}

/* A connection of the claims' own, from the pool or opened now. */
static struct store *
claims_store_take(struct quota_claims *q, sdc_error_t *err)
{
	struct store *st = NULL;

	pthread_mutex_lock(&q->lock);
	if (q->npool > 0)
		st = q->pool[--q->npool];
	pthread_mutex_unlock(&q->lock);
	if (st == NULL && store_open(&st, q->where, err) < 0)
		return NULL;
	return st;
}

static void
claims_store_give(struct quota_claims *q, struct store *st)
{
	pthread_mutex_lock(&q->lock);
	if (q->npool < QUOTA_CLAIM_POOL) {
		q->pool[q->npool++] = st;
		st = NULL;
	}
	pthread_mutex_unlock(&q->lock);
	if (st != NULL)
		store_close(st);
}

int
quota_claim_run(struct quota_claim *c, sdc_error_t *err)
{
	struct store *st;

	if ((st = claims_store_take(c->q, err)) == NULL)
		return sdc_error_wrap(err, "quota containers");
	if (claims_take(st, c, err) < 0) {
		/* a connection that failed is not given back */
		if ((*err)->code != 403) {
			store_close(st);
			return -1;
		}
		claims_store_give(c->q, st);
		return -1;
	}
	claims_store_give(c->q, st);
	return 0;
}

void
quota_claim_taken(struct dockerapi *d)
{
	if (d->quota_claims != NULL)
		d->quota_claims->held++;
}

static int
claims_delete(struct dockerapi *d, const char *id, sdc_error_t *err)
{
	struct store_stmt *st;
	int rc;

	if (store_prepare(d->store, &st, "DELETE FROM quota_claims WHERE "
	    "id = ?", err) < 0)
		return -1;
	if ((rc = store_bind_text(st, 1, id, err)) == 0)
		rc = store_step(st, err);
	store_finalize(st);
	return rc < 0 ? -1 : 0;
}

int
quota_claim_settle(struct dockerapi *d, const char *id, sdc_error_t *err)
{
	return claims_delete(d, id, err);
}

void
quota_claim_done(struct dockerapi *d)
{
	if (d->quota_claims != NULL && d->quota_claims->held > 0)
		d->quota_claims->held--;
}

void
quota_claim_drop(struct dockerapi *d, const char *id)
{
	sdc_error_t err = NULL;

	if (claims_delete(d, id, &err) < 0) {
		/* it stops counting QUOTA_CLAIM_STALE_SECS after this
		 * head's last claim in flight ends (no longer touched) */
		log_warn("quota claim %s: %s", id, sdc_error_msg(err));
		sdc_error_release(&err);
	}
	quota_claim_done(d);
}
