/*
 * heads-sync.c: any number of heads on one PostgreSQL store, each serving
 * any account, each with the same containers.
 *
 * A head keeps every container in memory (containers.c: ps and inspect
 * never touch the store or the disk), so what another head did must
 * reach it.  Networks, volumes, images and accounts need nothing here:
 * they are read from the store at each request.  For containers:
 *
 *  - A change log.  Every container event a head makes (create, start,
 *    die, pause, rename, update, destroy...) also inserts a row into
 *    head_changes (seq, container id, the head's origin), before the
 *    event's NOTIFY.  Before each request a head reads the rows past the
 *    last it applied (one indexed query, empty when nothing happened)
 *    and reloads each container another head changed: its row from the
 *    store, its state from its folder (the heads of one node share its
 *    zones root), a watcher opened when it runs, dropped when its row is
 *    gone.  So a client answered by head A finds the change at its next
 *    request to head B, whatever the order the notifications arrive in.
 *    The events channel (NOTIFY dockerapi_events) and a one-second timer
 *    apply the log between requests too, for the waits, follows and
 *    attaches an idle head holds.
 *
 *  - Sequence numbers come from an identity column, so a row may become
 *    visible after a higher one (two heads inserting together): rows
 *    beyond a hole are applied and remembered, and a hole that stays
 *    five seconds (an insert rolled back) is passed over.  Reloading is
 *    idempotent, so a change applied twice costs a query, nothing more.
 *
 *  - Exec instances are rows too (head_execs: the container, the create
 *    body, whether a head started it): a head asked about an exec it
 *    does not know takes it from the row, and reads the state of one
 *    another head started from its folder.  Starting it flips the row's
 *    flag, so one head starts it.
 *
 *  - A node's agent logs each start it made too (origin "node:ID",
 *    agent/container-ops.c): a head killed between its start call and
 *    its own row would leave the others showing the container created
 *    while it runs.  Such a row reloads the container's state and keeps
 *    the restart count, which is the heads' to count.
 *
 *  - Exactly one head reacts to an exit.  Every head watches every
 *    running container (its own muted monitor connection: waits, logs -f
 *    and attach through any head end at the exit), but die, the restart
 *    policy and AutoRemove belong to the head that claims the exit: an
 *    upsert keyed by the container and its run's start time whose WHERE
 *    lets only the first writer change the row (head_exits).  A head
 *    killed leaves the claims to the others; no lock outlives it.  A
 *    claim the store did not answer (PostgreSQL away) is made again
 *    every second: the head tells its own clients at once and reacts
 *    only if its claim takes the row then (the row's origin tells a
 *    claim sent twice its own), so each exit has one reaction.
 *
 *  - A change row the store did not take is owed: one per container,
 *    written when the store answers, so the others reload what changed
 *    here meanwhile.
 *
 * Races between heads are the store's: a container name is unique per
 * account (the loser of two creates gets Docker's 409), leases and
 * published ports are unique rows.  On SQLite a second head on one file
 * is refused at start (a lock file beside it): SQLite is one head's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "containers.h"
#include "heads.h"
#include "ids.h"
#include "log.h"
#include "node-states.h"
#include "store-listen.h"
#include "timeutil.h"
#include "xalloc.h"

/* PostgreSQL only: on SQLite the component is never migrated. */
static const char *const heads_migrations[] = {
	"CREATE TABLE head_changes ("
	" seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" ref TEXT NOT NULL,"
	" origin TEXT NOT NULL,"
	" at BIGINT NOT NULL,"
	" restarts INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE head_exits ("
	" id TEXT PRIMARY KEY,"
	" run BIGINT NOT NULL);",
	/* exec instances, for a start or inspect through another head */
	"CREATE TABLE head_execs ("
	" id TEXT PRIMARY KEY,"
	" container TEXT NOT NULL,"
	" config TEXT NOT NULL,"
	" started INTEGER NOT NULL DEFAULT 0);",
	/* the events sent to the other heads, for one that was not
	 * listening when they were (events-notify.c) */
	"CREATE TABLE head_events ("
	" seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" origin TEXT NOT NULL,"
	" payload TEXT NOT NULL,"
	" at BIGINT NOT NULL);"
	"CREATE INDEX head_events_at ON head_events (at);",
	/* the head whose claim took an exit: a claim made again after
	 * the store was away finds its own row (heads_claims_send) */
	"ALTER TABLE head_exits ADD COLUMN origin TEXT;",
	NULL,
};

#define HEADS_HOLE_MS 5000		/* a hole older is passed over */
#define HEADS_KEEP_SECS 600		/* change rows kept this long */
#define HEADS_PRUNE_TICKS 60		/* seconds between prunes */

struct heads {
	struct dockerapi *d;
	bool on;			/* PostgreSQL */
	char origin[UUID_LEN + 1];
	int64_t done;			/* every change up to it is applied */
	int64_t *seen;			/* applied, beyond a hole */
	size_t nseen, capseen;
	int64_t hole_since;		/* time_mono_ms the hole at done+1 was
					 * first met; 0: none */
	bool in_catch_up;
	struct store_listener *l;
	struct event *timer;
	int ticks;
	int lock_fd;			/* SQLite: the head lock */
	struct strvec owed;		/* containers whose change row did
					 * not land (the store away) */
	struct heads_claim {		/* exits seen while the store was
					 * away, to claim once it is back */
		char id[65];
		int64_t run;
	} *claims;
	size_t nclaims;
};

static struct heads *
heads_of(struct dockerapi *d)
{
	return d->heads;
}

/* --- SQLite: one head per file --- */

static int
heads_sqlite_lock(struct heads *h, sdc_error_t *err)
{
	const char *where = h->d->cfg.store;
	char *path;

	if (where != NULL && *where != '\0')
		xasprintf(&path, "%s-head.lock", where);
	else
		xasprintf(&path, "%s/dockerapi.db-head.lock", h->d->cfg.data_dir);
	h->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (h->lock_fd < 0) {
		sdc_make_error(err, errno, "the store's head lock %s", path);
		free(path);
		return -1;
	}
	if (flock(h->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e == EWOULDBLOCK)
			sdc_make_error(err, 0, "another dockerapi serves the "
			    "SQLite store beside %s: a SQLite store has one "
			    "head; several heads share a PostgreSQL store "
			    "(store: postgresql://...)", path);
		else
			sdc_make_error(err, e, "the store's head lock %s", path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/* --- the change log --- */

int
heads_sync_init(struct dockerapi *d, sdc_error_t *err)
{
	struct heads *h = xcalloc(1, sizeof *h);
	struct store_stmt *st = NULL;
	int rc;

	h->d = d;
	h->lock_fd = -1;
	d->heads = h;
	h->on = strcmp(store_backend(d->store), "postgresql") == 0;
	if (!h->on)
		return heads_sqlite_lock(h, err);
	uuid_make(h->origin);
	if (store_migrate(d->store, "heads", heads_migrations, err) < 0)
		return sdc_error_wrap(err, "heads");
	/* read before the containers are: what changes in between is
	 * applied again, harmlessly */
	if (store_prepare(d->store, &st, "SELECT COALESCE(MAX(seq), 0) FROM "
	    "head_changes", err) < 0)
		return sdc_error_wrap(err, "heads");
	if ((rc = store_step(st, err)) == 1)
		h->done = store_col_int64(st, 0);
	store_finalize(st);
	return rc < 0 ? sdc_error_wrap(err, "heads") : 0;
}

static int
heads_change_row(struct heads *h, const char *id, int restarts,
    sdc_error_t *err)
{
	struct store_stmt *st = NULL;
	int rc;

	if (store_prepare(h->d->store, &st, "INSERT INTO head_changes (ref, "
	    "origin, at, restarts) VALUES (?, ?, ?, ?)", err) < 0)
		return -1;
	rc = store_bind_text(st, 1, id, err) < 0 ||
	    store_bind_text(st, 2, h->origin, err) < 0 ||
	    store_bind_int64(st, 3, (int64_t)time(NULL), err) < 0 ||
	    store_bind_int64(st, 4, restarts, err) < 0 ? -1 :
	    store_step(st, err);
	store_finalize(st);
	return rc < 0 ? -1 : 0;
}

static struct ctr *heads_find(struct containers *cs, const char *id);

/* The rows owed since the store went away, one per container (a reload
 * reads the state as it is now), up to the first that fails.  A row
 * whose outcome was unknown may land twice: a reload more. */
static void
heads_owed_send(struct heads *h)
{
	struct containers *cs = h->d->containers;
	sdc_error_t err = NULL;
	const struct ctr *c;
	size_t sent = 0;

	while (h->owed.n > 0) {
		c = cs != NULL ? heads_find(cs, h->owed.v[0]) : NULL;
		/* one removed meanwhile: its row has the others drop it */
		if (heads_change_row(h, h->owed.v[0], c != NULL ?
		    c->restart_count : 0, &err) < 0) {
			sdc_error_release(&err);
			return;
		}
		strvec_remove_one(&h->owed, h->owed.v[0]);
		sent++;
	}
	if (sent > 0)
		log_info("heads: the other heads told of %zu containers changed "
		    "while the store was away", sent);
}

void
heads_changed_owed(struct dockerapi *d)
{
	struct heads *h = heads_of(d);

	if (h != NULL && h->on && h->owed.n > 0)
		heads_owed_send(h);
}

void
heads_changed(struct dockerapi *d, const struct ctr *c)
{
	struct heads *h = heads_of(d);
	sdc_error_t err = NULL;

	if (h == NULL || !h->on)
		return;
	if (h->owed.n > 0)
		heads_owed_send(h);	/* the older ones first */
	if (h->owed.n == 0 && heads_change_row(h, c->id, c->restart_count,
	    &err) == 0)
		return;
	if (err != NULL) {
		/* told again every second until the store answers */
		log_warn("container %s: telling the other heads (again once "
		    "the store answers): %s", c->id, sdc_error_msg(err));
		sdc_error_release(&err);
	}
	if (!strvec_has(&h->owed, c->id))
		strvec_push(&h->owed, c->id);
}

/* --- reloading one container --- */

static struct ctr *
heads_find(struct containers *cs, const char *id)
{
	for (struct ctr *c = cs->list; c != NULL; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

/* Removed through another head: what is left here goes, its clients
 * told as by a local rm (nothing of the node is touched: the remover
 * did it). */
static void
heads_drop(struct containers *cs, struct ctr *c)
{
	restart_cancel(c);
	watch_stop(c);
	watch_removed(cs, c);
	exec_forget(cs, c);
	ctr_unlink(cs, c);
	ctr_free(c);
}

/* Newest first, as the list is kept. */
static void
heads_link(struct containers *cs, struct ctr *c)
{
	struct ctr **p = &cs->list;

	while (*p != NULL && (*p)->created > c->created)
		p = &(*p)->next;
	c->next = *p;
	*p = c;
}

static void
heads_swap_str(char **a, char **b)
{
	char *t = *a;

	*a = *b;
	*b = t;
}

static void
heads_swap_json(json_t **a, json_t **b)
{
	json_t *t = *a;

	*a = *b;
	*b = t;
}

/* The state in the folder: what another head's start, pause or exit
 * left.  A watcher of ours is the better witness of an exit. */
static void
heads_state(struct containers *cs, struct ctr *c)
{
	sdc_error_t err = NULL;
	struct rt_state st;
	bool was = ctr_running(c);
	int fd;

	if (c->busy != NULL)
		return;		/* our own call's end sets it */
	if (node_states_remote(cs->d, c)) {	/* its node's agent tells */
		node_states_apply(cs->d, c, true);
		return;
	}
	if (rt_state_read(&cs->rt, c->uuid, &st, &err) < 0) {
		sdc_error_release(&err);
		return;
	}
	if (st.status != RT_RUNNING && st.status != RT_PAUSED) {
		if (c->watch_ev == NULL)
			c->st = st;
		return;
	}
	c->st = st;
	if (c->watch_ev != NULL)
		return;
	if (!was)
		c->stopping = false;	/* another head started it */
	if ((fd = rt_attach_open(&cs->rt, c->uuid, NULL, &err)) < 0 ||
	    watch_start(cs, c, fd, true) < 0) {
		sdc_error_release(&err);
		watch_orphan(cs, c);
	}
}

static void
heads_reload(struct heads *h, const char *id, int restarts)
{
	struct containers *cs = h->d->containers;
	struct ctr *c, *fresh;
	struct store_stmt *st = NULL;
	sdc_error_t err = NULL;
	int rc;

	if (cs == NULL)
		return;
	c = heads_find(cs, id);
	if (store_prepare(h->d->store, &st, "SELECT " CTR_ROW_COLUMNS " FROM "
	    "containers WHERE id = ?", &err) < 0 ||
	    store_bind_text(st, 1, id, &err) < 0 ||
	    (rc = store_step(st, &err)) < 0) {
		log_warn("container %s: reloading it: %s", id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
		store_finalize(st);
		return;
	}
	if (rc == 0) {
		store_finalize(st);
		if (c != NULL)
			heads_drop(cs, c);
		return;
	}
	fresh = ctr_from_row(st);
	store_finalize(st);
	fresh->cs = cs;
	fresh->restart_count = restarts > 0 ? restarts : 0;
	if (c == NULL) {
		heads_link(cs, fresh);
		ctr_recover(cs, fresh);
		return;
	}
	heads_swap_str(&c->name, &fresh->name);
	heads_swap_str(&c->image, &fresh->image);
	heads_swap_str(&c->image_id, &fresh->image_id);
	heads_swap_str(&c->package, &fresh->package);
	heads_swap_json(&c->config, &fresh->config);
	heads_swap_json(&c->host_config, &fresh->host_config);
	heads_swap_json(&c->extra, &fresh->extra);
	if (fresh->stopped_by_user && !c->stopped_by_user)
		c->stopping = true;	/* stopped through the other head */
	c->stopped_by_user = fresh->stopped_by_user;
	if (restarts >= 0)	/* the policy's, counted by its head */
		c->restart_count = restarts;
	if (fresh->removing)
		c->removing = true;
	ctr_free(fresh);
	/* ps's text of it is made again */
	free(c->ps_json);
	c->ps_json = NULL;
	heads_state(cs, c);
}

/* Every container again, from the store and the folders: after a hole
 * in the log passed over, which was an insert rolled back or rows
 * pruned while this head was cut from the store for minutes; the
 * changes themselves can no longer be read. */
static void
heads_reload_all(struct heads *h)
{
	struct containers *cs = h->d->containers;
	struct store_stmt *st = NULL;
	sdc_error_t err = NULL;
	struct strvec ids = { 0 };
	int rc;

	if (cs == NULL)
		return;
	if (store_prepare(h->d->store, &st, "SELECT id FROM containers", &err)
	    == 0) {
		while ((rc = store_step(st, &err)) == 1)
			strvec_push(&ids, store_col_text(st, 0));
	}
	store_finalize(st);
	if (err != NULL) {
		log_warn("heads: reloading the containers: %s",
		    sdc_error_msg(err));
		sdc_error_release(&err);
		strvec_clear(&ids);
		return;
	}
	for (struct ctr *c = cs->list; c != NULL; c = c->next)
		if (!strvec_has(&ids, c->id))
			strvec_push(&ids, c->id);
	h->in_catch_up = true;
	node_states_begin(h->d);	/* one question per node */
	for (size_t i = 0; i < ids.n; i++)
		heads_reload(h, ids.v[i], heads_find(cs, ids.v[i]) != NULL ?
		    heads_find(cs, ids.v[i])->restart_count : 0);
	node_states_end(h->d);
	h->in_catch_up = false;
	log_info("heads: behind the change log: %zu containers reloaded",
	    ids.n);
	strvec_clear(&ids);
}

/* --- catching up --- */

static bool
heads_seen(const struct heads *h, int64_t seq)
{
	for (size_t i = 0; i < h->nseen; i++)
		if (h->seen[i] == seq)
			return true;
	return false;
}

static void
heads_unsee(struct heads *h, int64_t seq)
{
	for (size_t i = 0; i < h->nseen; i++)
		if (h->seen[i] == seq) {
			h->seen[i] = h->seen[--h->nseen];
			return;
		}
}

/* done moves over what was applied, and over a hole that stayed: true
 * when it passed one. */
static bool
heads_advance(struct heads *h)
{
	bool passed = false;

	for (;;) {
		while (heads_seen(h, h->done + 1)) {
			heads_unsee(h, h->done + 1);
			h->done++;
			h->hole_since = 0;
		}
		if (h->nseen == 0) {
			h->hole_since = 0;
			return passed;
		}
		if (h->hole_since == 0)
			h->hole_since = time_mono_ms();
		if (time_mono_ms() - h->hole_since < HEADS_HOLE_MS)
			return passed;
		h->done++;	/* rolled back, or pruned: never to come */
		h->hole_since = 0;
		passed = true;
	}
}

void
heads_sync_catch_up(struct dockerapi *d)
{
	struct heads *h = heads_of(d);
	struct store_stmt *st = NULL;
	sdc_error_t err = NULL;
	struct strvec ids = { 0 };
	int *restarts = NULL;
	int rc;

	if (h == NULL || !h->on || h->in_catch_up)
		return;
	if (store_prepare(d->store, &st, "SELECT seq, ref, origin, restarts "
	    "FROM head_changes WHERE seq > ? ORDER BY seq", &err) < 0 ||
	    store_bind_int64(st, 1, h->done, &err) < 0) {
		store_finalize(st);
		goto fail;
	}
	/* the rows first, then the reloads: one statement at a time */
	while ((rc = store_step(st, &err)) == 1) {
		int64_t seq = store_col_int64(st, 0);

		if (heads_seen(h, seq))
			continue;
		if (h->nseen == h->capseen) {
			h->capseen = h->capseen ? h->capseen * 2 : 16;
			h->seen = xrealloc(h->seen, h->capseen * sizeof *h->seen);
		}
		h->seen[h->nseen++] = seq;
		if (strcmp(store_col_text(st, 2), h->origin) != 0) {
			strvec_push(&ids, store_col_text(st, 1));
			restarts = xrealloc(restarts, ids.n * sizeof *restarts);
			restarts[ids.n - 1] = (int)store_col_int64(st, 3);
			/* a node's agent's row (a start it made) says the
			 * state only: the count is a head's, kept */
			if (strncmp(store_col_text(st, 2), "node:", 5) == 0)
				restarts[ids.n - 1] = ids.n > 1 && strcmp(
				    ids.v[ids.n - 2], ids.v[ids.n - 1]) == 0 ?
				    restarts[ids.n - 2] : -1;
		}
	}
	store_finalize(st);
	if (rc < 0)
		goto fail;
	h->in_catch_up = true;
	/* a run of changes to one container: its last */
	for (size_t i = 0; i < ids.n; i++)
		if (i + 1 == ids.n || strcmp(ids.v[i], ids.v[i + 1]) != 0)
			heads_reload(h, ids.v[i], restarts[i]);
	h->in_catch_up = false;
	strvec_clear(&ids);
	free(restarts);
	/* what the hole was is not known: every container again */
	if (heads_advance(h))
		heads_reload_all(h);
	return;
fail:
	strvec_clear(&ids);
	free(restarts);
	log_warn("heads: reading the other heads' changes: %s",
	    sdc_error_msg(err));
	sdc_error_release(&err);
}

/* --- the exit's one reaction --- */

static int64_t
heads_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The row's word on a stop or rm made through another head. */
static void
heads_flags(struct heads *h, struct ctr *c)
{
	struct store_stmt *st = NULL;
	sdc_error_t err = NULL;

	if (store_prepare(h->d->store, &st, "SELECT stopped_by_user, removing "
	    "FROM containers WHERE id = ?", &err) == 0 &&
	    store_bind_text(st, 1, c->id, &err) == 0 &&
	    store_step(st, &err) == 1) {
		/* stopped through another head (ours set both itself) */
		if (store_col_int64(st, 0) != 0 && !c->stopped_by_user) {
			c->stopped_by_user = true;
			c->stopping = true;	/* the user's: no restart */
		}
		if (store_col_int64(st, 1) != 0)
			c->removing = true;
	}
	store_finalize(st);
	sdc_error_release(&err);
}

/* Whether the row of c's exit in run is this head's: a claim made again
 * whose first try landed before the link broke. */
static int
heads_claimed_here(struct heads *h, struct ctr *c, int64_t run,
    sdc_error_t *err)
{
	struct store_stmt *st = NULL;
	int rc;

	if (store_prepare(h->d->store, &st, "SELECT 1 FROM head_exits WHERE "
	    "id = ? AND run = ? AND origin = ?", err) < 0)
		return -1;
	rc = store_bind_text(st, 1, c->id, err) < 0 ||
	    store_bind_int64(st, 2, run, err) < 0 ||
	    store_bind_text(st, 3, h->origin, err) < 0 ? -1 :
	    store_step(st, err);
	store_finalize(st);
	return rc;
}

/* 1: the claim of c's exit in run took the row (or, again, had taken
 * it); 0: another head's did; -1: no store to ask. */
static int
heads_claim(struct heads *h, struct ctr *c, int64_t run, bool again,
    sdc_error_t *err)
{
	struct store_stmt *st = NULL;
	int rc;

	if (store_prepare(h->d->store, &st, "INSERT INTO head_exits (id, run, "
	    "origin) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET run = "
	    "excluded.run, origin = excluded.origin WHERE head_exits.run < "
	    "excluded.run", err) < 0)
		return -1;
	rc = store_bind_text(st, 1, c->id, err) < 0 ||
	    store_bind_int64(st, 2, run, err) < 0 ||
	    store_bind_text(st, 3, h->origin, err) < 0 ? -1 :
	    store_step(st, err);
	if (rc >= 0)
		rc = store_changes(h->d->store) > 0;
	store_finalize(st);
	if (rc == 0 && again)
		rc = heads_claimed_here(h, c, run, err);
	if (rc == 1)
		heads_flags(h, c);
	return rc;
}

static int64_t
heads_run(const struct ctr *c)
{
	int64_t run = heads_ns(&c->st.started_at);

	return run != 0 ? run : heads_ns(&c->st.finished_at);
}

bool
heads_exit_mine(struct dockerapi *d, struct ctr *c)
{
	struct heads *h = heads_of(d);
	sdc_error_t err = NULL;
	int64_t run;
	int rc;

	if (h == NULL || !h->on)
		return true;
	run = heads_run(c);
	if ((rc = heads_claim(h, c, run, false, &err)) >= 0)
		return rc == 1;
	/* no store to agree through: claimed again once it answers, so
	 * that one head reacts, once (its own clients are told meanwhile) */
	log_warn("container %s: claiming its exit (again once the store "
	    "answers): %s", c->id, sdc_error_msg(err));
	sdc_error_release(&err);
	h->claims = xrealloc(h->claims, (h->nclaims + 1) * sizeof *h->claims);
	snprintf(h->claims[h->nclaims].id, sizeof h->claims->id, "%s", c->id);
	h->claims[h->nclaims++].run = run;
	return false;
}

/* The exits seen while the store was away, claimed now, oldest first,
 * up to the first the store does not answer: the head whose claim takes
 * the row reacts, if the container is still at that run's end (a start
 * since, through any head, is a new run). */
static void
heads_claims_send(struct heads *h)
{
	struct containers *cs = h->d->containers;
	sdc_error_t err = NULL;
	struct ctr *c;
	int rc = 0;

	while (h->nclaims > 0) {
		c = cs != NULL ? heads_find(cs, h->claims[0].id) : NULL;
		if (c != NULL && c->busy != NULL)
			return;		/* its call's end first: kept */
		if (c != NULL && (heads_run(c) != h->claims[0].run ||
		    ctr_running(c)))
			c = NULL;	/* gone, or a new run since */
		if (c != NULL && (rc = heads_claim(h, c, h->claims[0].run,
		    true, &err)) < 0) {
			sdc_error_release(&err);
			return;
		}
		memmove(h->claims, h->claims + 1, (h->nclaims - 1) *
		    sizeof *h->claims);
		h->nclaims--;
		if (c != NULL && rc == 1)
			watch_exit_react(cs, c);
	}
}

/* --- exec instances --- */

void
heads_exec_created(struct dockerapi *d, const char *id, const char *container,
    const json_t *config)
{
	struct heads *h = heads_of(d);
	struct store_stmt *st = NULL;
	sdc_error_t err = NULL;
	char *text;

	if (h == NULL || !h->on)
		return;
	text = json_dumps(config, JSON_COMPACT);
	if (store_prepare(d->store, &st, "INSERT INTO head_execs (id, "
	    "container, config) VALUES (?, ?, ?)", &err) == 0 &&
	    store_bind_text(st, 1, id, &err) == 0 &&
	    store_bind_text(st, 2, container, &err) == 0 &&
	    store_bind_text(st, 3, text != NULL ? text : "{}", &err) == 0)
		(void)store_step(st, &err);
	store_finalize(st);
	free(text);
	if (err != NULL) {
		log_warn("exec %s: telling the other heads: %s", id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

int
heads_exec_get(struct dockerapi *d, const char *id, char **container,
    json_t **config, bool *started)
{
	struct heads *h = heads_of(d);
	struct store_stmt *st = NULL;
	sdc_error_t err = NULL;
	int rc = -1;

	if (h == NULL || !h->on)
		return -1;
	if (store_prepare(d->store, &st, "SELECT container, config, started "
	    "FROM head_execs WHERE id = ?", &err) == 0 &&
	    store_bind_text(st, 1, id, &err) == 0 &&
	    store_step(st, &err) == 1) {
		*container = xstrdup(store_col_text(st, 0));
		*config = json_loads(store_col_text(st, 1), 0, NULL);
		if (*config == NULL)
			*config = json_object();
		*started = store_col_int64(st, 2) != 0;
		rc = 0;
	}
	store_finalize(st);
	if (err != NULL) {
		log_warn("exec %s: asking the other heads: %s", id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	return rc;
}

bool
heads_exec_start(struct dockerapi *d, const char *id)
{
	struct heads *h = heads_of(d);
	struct store_stmt *st = NULL;
	sdc_error_t err = NULL;
	bool mine = true;

	if (h == NULL || !h->on)
		return true;
	if (store_prepare(d->store, &st, "UPDATE head_execs SET started = 1 "
	    "WHERE id = ? AND started = 0", &err) == 0 &&
	    store_bind_text(st, 1, id, &err) == 0 &&
	    store_step(st, &err) >= 0)
		mine = store_changes(d->store) > 0;
	store_finalize(st);
	if (err != NULL) {
		/* made before the table, or no store: this head's word */
		log_warn("exec %s: %s", id, sdc_error_msg(err));
		sdc_error_release(&err);
		return true;
	}
	return mine;
}

/* --- hearing the others between requests --- */

static void
heads_heard(void *arg, int count)
{
	(void)count;
	heads_sync_catch_up(arg);
}

static void
heads_back(void *arg)
{
	struct heads *h = heads_of(arg);

	heads_owed_send(h);
	heads_claims_send(h);
	heads_sync_catch_up(arg);
}

static const struct store_listen_ops heads_listen_ops = {
	.channel = "dockerapi_events",	/* events-notify.c's */
	.what = "the other heads' changes (applied at each request meanwhile)",
	.again = "hearing the other heads' changes again",
	.heard = heads_heard,
	.back = heads_back,
};

static void
heads_prune(struct heads *h)
{
	struct store_stmt *st = NULL;
	sdc_error_t err = NULL;

	/* the newest row stays: a head behind it tells by MIN(seq) */
	if (store_prepare(h->d->store, &st, "DELETE FROM head_changes WHERE "
	    "at < ? AND seq < (SELECT MAX(seq) FROM head_changes)", &err) == 0) {
		if (store_bind_int64(st, 1, (int64_t)time(NULL) - HEADS_KEEP_SECS,
		    &err) == 0)
			(void)store_step(st, &err);
		store_finalize(st);
	}
	if (err == NULL && store_prepare(h->d->store, &st, "DELETE FROM "
	    "head_exits WHERE id NOT IN (SELECT id FROM containers)", &err) == 0) {
		(void)store_step(st, &err);
		store_finalize(st);
	}
	if (err == NULL && store_prepare(h->d->store, &st, "DELETE FROM "
	    "head_execs WHERE container NOT IN (SELECT id FROM containers)",
	    &err) == 0) {
		(void)store_step(st, &err);
		store_finalize(st);
	}
	if (err == NULL && store_prepare(h->d->store, &st, "DELETE FROM "
	    "head_events WHERE at < ?", &err) == 0) {
		if (store_bind_int64(st, 1, (int64_t)time(NULL) - HEADS_KEEP_SECS,
		    &err) == 0)
			(void)store_step(st, &err);
		store_finalize(st);
	}
	if (err != NULL) {
		log_warn("heads: pruning the change log: %s", sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

static void
heads_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dockerapi *d = arg;
	struct heads *h = heads_of(d);

	(void)fd;
	(void)what;
	if (h->owed.n > 0)
		heads_owed_send(h);
	if (h->nclaims > 0)
		heads_claims_send(h);
	heads_sync_catch_up(d);
	if (++h->ticks % HEADS_PRUNE_TICKS == 0)
		heads_prune(h);
}

void
heads_sync_start(struct dockerapi *d)
{
	struct heads *h = heads_of(d);
	struct timeval tv = { 1, 0 };

	if (h == NULL || !h->on || d->base == NULL)
		return;
	h->l = store_listener_start(d->base, d->cfg.store, &heads_listen_ops, d);
	h->timer = event_new(d->base, -1, EV_PERSIST, heads_tick, d);
	event_add(h->timer, &tv);
	log_info("heads: sharing containers with the other heads of the store");
}

void
heads_sync_free(struct dockerapi *d)
{
	struct heads *h = heads_of(d);

	if (h == NULL)
		return;
	if (h->l != NULL)
		store_listener_free(h->l);
	if (h->timer != NULL)
		event_free(h->timer);
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	free(h->seen);
	strvec_clear(&h->owed);
	free(h->claims);
	free(h);
	d->heads = NULL;
}
