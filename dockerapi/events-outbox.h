/*
 * events-outbox.h: the events a head owes the other heads (a bounded
 * queue, oldest first), and the ids of the events it heard from them.
 */
#ifndef SDC_DOCKERAPI_EVENTS_OUTBOX_H
#define SDC_DOCKERAPI_EVENTS_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct events_outbox_entry {
	struct events_outbox_entry *next;
	int64_t at;			/* the event's own time, seconds */
	size_t len;
	char *payload;
	bool saved;			/* in the file (events-outbox-file.c) */
};

struct events_outbox {
	struct events_outbox_entry *first, *last;
	size_t count, bytes;		/* held now */
	size_t max_count, max_bytes;
	uint64_t dropped;		/* since the start */
	uint64_t dropped_run;		/* since the caller last said so */
	/* events-outbox-file.c's copy on disk: none while fd is -1 */
	int fd;
	int lock_fd;			/* path".lock", held while open */
	char *path;
	size_t file_bytes;		/* its length, all whole records */
	size_t file_dead;		/* its records gone from the queue */
};

void events_outbox_init(struct events_outbox *o, size_t max_count,
    size_t max_bytes);
void events_outbox_clear(struct events_outbox *o);
/* New bounds; the oldest go while one is passed: returns how many went. */
size_t events_outbox_set_bounds(struct events_outbox *o, size_t max_count,
    size_t max_bytes);
/* Appends payload (taken), then drops the oldest while a bound is
 * passed (a payload alone over max_bytes is dropped itself): returns how
 * many went. */
size_t events_outbox_push(struct events_outbox *o, char *payload,
    int64_t at);
/* The oldest, or NULL when empty; pop removes it. */
const struct events_outbox_entry *events_outbox_oldest(
    const struct events_outbox *o);
void events_outbox_pop(struct events_outbox *o);

/* events-outbox-file.c: the queue kept in the file path too, so that a
 * head killed while the store is away still sends its events.  Opening
 * loads what the file holds (oldest first, within the bounds; a torn
 * last record is cut off: *torn says how many bytes) and returns 0, or
 * returns 1 when another process holds the file (its path".lock"),
 * opening nothing; save writes what was pushed since, and forgets what
 * was popped; close leaves the file as it is and lets it go. */
int events_outbox_open(struct events_outbox *o, const char *path,
    size_t *torn, sdc_error_t *err);
int events_outbox_save(struct events_outbox *o, sdc_error_t *err);
void events_outbox_close(struct events_outbox *o);

/* The last event id heard of each origin (an origin's ids rise in the
 * order its events are sent): the most recently heard origins are kept. */
#define EVENTS_SEEN_ORIGINS 64

struct events_seen {
	struct {
		char *origin;
		uint64_t last;
		uint64_t used;		/* tick of the last hearing */
	} v[EVENTS_SEEN_ORIGINS];
	size_t n;
	uint64_t tick;
};

/* Whether event id of origin (len bytes) is new; it is heard now. */
bool events_seen_fresh(struct events_seen *s, const char *origin,
    size_t len, uint64_t id);
void events_seen_clear(struct events_seen *s);

#endif
