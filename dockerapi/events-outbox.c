/*
 * events-outbox.c: the events a head could not yet hand to the other
 * heads, and the ids that let a head skip one handed over twice.
 *
 * events-notify.c sends each event to the other heads through a row of
 * PostgreSQL.  While PostgreSQL is away the events a head still makes
 * (no request's, each is refused then, but an attach detached, an
 * exec's end) wait here, oldest first, to be
 * sent once it is back, in the order they were made.  The queue is
 * bounded in events and in bytes: past either bound the oldest goes,
 * counted (the caller says how many in its log), so a long outage costs
 * the oldest events, never the head's memory.  The bounds are the
 * operator's (tunables, read by events-notify.c) and may change while
 * events wait: lowered, the oldest go at once, as at the next push.
 *
 * A send whose link broke after the row was sent may have committed
 * (lib/store-postgres.c's STORE_UNKNOWN), and is sent again: the row may
 * then be there twice.  Each event carries its origin's id for it (the
 * origin's uuid and a counter the origin raises at each event), and an
 * origin's events are sent one at a time in order, so a receiver that
 * keeps the last id it heard of each origin skips any id not above it.
 * Nothing here touches the store or the loop: the test links it alone.
 */
#include <stdlib.h>
#include <string.h>

#include "events-outbox.h"
#include "xalloc.h"

void
events_outbox_init(struct events_outbox *o, size_t max_count,
    size_t max_bytes)
{
	memset(o, 0, sizeof *o);
	o->max_count = max_count;
	o->max_bytes = max_bytes;
	o->fd = -1;
	o->lock_fd = -1;
}

const struct events_outbox_entry *
events_outbox_oldest(const struct events_outbox *o)
{
	return o->first;
}

void
events_outbox_pop(struct events_outbox *o)
{
	struct events_outbox_entry *e = o->first;

	if (e == NULL)
		return;
	o->first = e->next;
	if (o->first == NULL)
		o->last = NULL;
	o->count--;
	o->bytes -= e->len;
	if (e->saved)
		o->file_dead++;
	free(e->payload);
	free(e);
}

void
events_outbox_clear(struct events_outbox *o)
{
	while (o->first != NULL)
		events_outbox_pop(o);
}

/* The oldest go while a bound is passed: how many went. */
static size_t
events_outbox_trim(struct events_outbox *o)
{
	size_t dropped = 0;

	while (o->count > 0 &&
	    (o->count > o->max_count || o->bytes > o->max_bytes)) {
		events_outbox_pop(o);
		o->dropped_run++;
		o->dropped++;
		dropped++;
	}
	return dropped;
}

size_t
events_outbox_set_bounds(struct events_outbox *o, size_t max_count,
    size_t max_bytes)
{
	o->max_count = max_count;
	o->max_bytes = max_bytes;
	return events_outbox_trim(o);
}

size_t
events_outbox_push(struct events_outbox *o, char *payload, int64_t at)
{
	struct events_outbox_entry *e = xcalloc(1, sizeof *e);

	e->payload = payload;
	e->len = strlen(payload);
	e->at = at;
	if (o->last != NULL)
		o->last->next = e;
	else
		o->first = e;
	o->last = e;
	o->count++;
	o->bytes += e->len;
	return events_outbox_trim(o);
}

/* --- the receiving side --- */

bool
events_seen_fresh(struct events_seen *s, const char *origin, size_t len,
    uint64_t id)
{
	size_t i, lru = 0;

	s->tick++;
	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i].origin) == len &&
		    memcmp(s->v[i].origin, origin, len) == 0) {
			s->v[i].used = s->tick;
			if (id <= s->v[i].last)
				return false;
			s->v[i].last = id;
			return true;
		}
	if (s->n < EVENTS_SEEN_ORIGINS)
		i = s->n++;
	else {			/* the origin heard longest ago goes */
		for (i = 1; i < s->n; i++)
			if (s->v[i].used < s->v[lru].used)
				lru = i;
		i = lru;
		free(s->v[i].origin);
	}
	s->v[i].origin = xstrndup(origin, len);
	s->v[i].last = id;
	s->v[i].used = s->tick;
	return true;
}

void
events_seen_clear(struct events_seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].origin);
	s->n = 0;
}
