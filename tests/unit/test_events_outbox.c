/*
 * test_events_outbox.c: the queue of events a head owes the other heads
 * while the store is away (dockerapi/events-outbox.c): oldest first, its
 * bounds in events and bytes (the oldest dropped, counted), and the
 * receivers' skip of an id already heard (a send made again after its
 * outcome was unknown); and its file (events-outbox-file.c): read back
 * in order after a stop, a torn last record cut off, the bounds applied
 * on reload, what was sent forgotten.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dockerapi/events-outbox.h"
#include "buf.h"
#include "fsutil.h"
#include "xalloc.h"

static char *
ev(int i)
{
	char *s;

	xasprintf(&s, "event %d", i);
	return s;
}

static void
test_order(void **state)
{
	struct events_outbox o;

	(void)state;
	events_outbox_init(&o, 10, 1000);
	assert_null(events_outbox_oldest(&o));
	for (int i = 0; i < 5; i++)
		assert_int_equal(events_outbox_push(&o, ev(i), 100 + i), 0);
	assert_int_equal(o.count, 5);
	for (int i = 0; i < 5; i++) {
		char want[32];

		snprintf(want, sizeof want, "event %d", i);
		assert_string_equal(events_outbox_oldest(&o)->payload, want);
		assert_int_equal(events_outbox_oldest(&o)->at, 100 + i);
		events_outbox_pop(&o);
	}
	assert_null(events_outbox_oldest(&o));
	assert_int_equal(o.count, 0);
	assert_int_equal(o.bytes, 0);
	events_outbox_pop(&o);		/* empty: nothing */
	assert_int_equal(o.dropped, 0);
}

static void
test_bound_count(void **state)
{
	struct events_outbox o;

	(void)state;
	events_outbox_init(&o, 3, 1 << 20);
	for (int i = 0; i < 3; i++)
		assert_int_equal(events_outbox_push(&o, ev(i), i), 0);
	assert_int_equal(events_outbox_push(&o, ev(3), 3), 1);
	assert_int_equal(events_outbox_push(&o, ev(4), 4), 1);
	assert_int_equal(o.count, 3);
	assert_int_equal(o.dropped, 2);
	assert_int_equal(o.dropped_run, 2);
	/* the oldest went; the rest in order */
	assert_string_equal(events_outbox_oldest(&o)->payload, "event 2");
	events_outbox_clear(&o);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.bytes, 0);
}

static void
test_bound_bytes(void **state)
{
	struct events_outbox o;
	char *big = xmalloc(40);

	(void)state;
	events_outbox_init(&o, 100, 25);
	assert_int_equal(events_outbox_push(&o, ev(0), 0), 0);	/* 7 bytes */
	assert_int_equal(events_outbox_push(&o, ev(1), 1), 0);
	assert_int_equal(events_outbox_push(&o, ev(2), 2), 0);
	assert_int_equal(o.bytes, 21);
	assert_int_equal(events_outbox_push(&o, ev(3), 3), 1);	/* 28 bytes */
	assert_int_equal(o.bytes, 21);
	assert_string_equal(events_outbox_oldest(&o)->payload, "event 1");
	/* one alone over the bound: everything goes, itself too */
	memset(big, 'x', 39);
	big[39] = '\0';
	assert_int_equal(events_outbox_push(&o, big, 9), 4);
	assert_null(events_outbox_oldest(&o));
	assert_int_equal(o.count, 0);
	assert_int_equal(o.bytes, 0);
	assert_int_equal(o.dropped, 5);
}

static void
test_seen(void **state)
{
	struct events_seen s = { 0 };
	const char *a = "aaaa-origin:tail", *b = "bbbb-origin";

	(void)state;
	assert_true(events_seen_fresh(&s, a, 11, 1));
	assert_true(events_seen_fresh(&s, a, 11, 2));
	assert_false(events_seen_fresh(&s, a, 11, 2));	/* sent twice */
	assert_false(events_seen_fresh(&s, a, 11, 1));
	assert_true(events_seen_fresh(&s, b, 11, 1));	/* its own ids */
	assert_true(events_seen_fresh(&s, a, 11, 3));
	assert_false(events_seen_fresh(&s, b, 11, 1));
	/* past the origins kept, the least recently heard goes */
	for (int i = 0; i < EVENTS_SEEN_ORIGINS; i++) {
		char o[32];

		snprintf(o, sizeof o, "origin-%d", i);
		assert_true(events_seen_fresh(&s, o, strlen(o), 7));
		assert_false(events_seen_fresh(&s, a, 11, 3));	/* kept fresh */
	}
	assert_int_equal(s.n, EVENTS_SEEN_ORIGINS);
	assert_false(events_seen_fresh(&s, a, 11, 3));
	assert_true(events_seen_fresh(&s, "origin-0", 8, 7));	/* forgotten */
	events_seen_clear(&s);
	assert_int_equal(s.n, 0);
}

/* Bounds changed while events wait (the tunables, live): lowered, the
 * oldest go at once, counted; raised, what waits stays and more fits. */
static void
test_bounds_changed(void **state)
{
	struct events_outbox o;

	(void)state;
	events_outbox_init(&o, 10, 1000);
	for (int i = 0; i < 5; i++)
		assert_int_equal(events_outbox_push(&o, ev(i), i), 0);
	assert_int_equal(events_outbox_set_bounds(&o, 3, 1000), 2);
	assert_int_equal(o.count, 3);
	assert_int_equal(o.dropped, 2);
	assert_string_equal(events_outbox_oldest(&o)->payload, "event 2");
	/* 7 bytes each: 14 keeps two */
	assert_int_equal(events_outbox_set_bounds(&o, 3, 14), 1);
	assert_int_equal(o.bytes, 14);
	assert_string_equal(events_outbox_oldest(&o)->payload, "event 3");
	assert_int_equal(events_outbox_set_bounds(&o, 5, 1000), 0);
	assert_int_equal(o.count, 2);
	for (int i = 5; i < 8; i++)
		assert_int_equal(events_outbox_push(&o, ev(i), i), 0);
	assert_int_equal(events_outbox_push(&o, ev(8), 8), 1);
	assert_int_equal(o.count, 5);
	assert_int_equal(o.dropped, 4);
	events_outbox_clear(&o);
}

/* --- the file --- */

struct outbox_dir {
	char dir[64];
	char path[96];
};

static int
dir_make(void **state)
{
	struct outbox_dir *t = xcalloc(1, sizeof *t);

	snprintf(t->dir, sizeof t->dir, "/tmp/test_events_outbox.XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(t->path, sizeof t->path, "%s/events-outbox", t->dir);
	*state = t;
	return 0;
}

static int
dir_remove(void **state)
{
	struct outbox_dir *t = *state;
	sdc_error_t err = NULL;
	int rc = fs_rmtree(t->dir, &err);

	sdc_error_release(&err);
	free(t);
	return rc;
}

/* The outbox of the file at path, bounds (count, bytes): *torn bytes cut. */
static void
reopen(struct events_outbox *o, const char *path, size_t count,
    size_t bytes, size_t *torn)
{
	sdc_error_t err = NULL;

	events_outbox_init(o, count, bytes);
	assert_int_equal(events_outbox_open(o, path, torn, &err), 0);
}

static void
push_saved(struct events_outbox *o, int i)
{
	sdc_error_t err = NULL;

	events_outbox_push(o, ev(i), 100 + i);
	assert_int_equal(events_outbox_save(o, &err), 0);
}

static void
stop(struct events_outbox *o)
{
	events_outbox_close(o);
	events_outbox_clear(o);
}

static void
assert_holds(struct events_outbox *o, int from, int to)
{
	const struct events_outbox_entry *e = events_outbox_oldest(o);

	assert_int_equal(o->count, to - from);
	for (int i = from; i < to; i++, e = e->next) {
		char want[32];

		snprintf(want, sizeof want, "event %d", i);
		assert_non_null(e);
		assert_string_equal(e->payload, want);
		assert_int_equal(e->at, 100 + i);
	}
}

static off_t
file_size(const char *path)
{
	struct buf b = { 0 };
	sdc_error_t err = NULL;
	off_t n;

	assert_int_equal(file_read(path, &b, 0, &err), 0);
	n = (off_t)b.len;
	buf_free(&b);
	return n;
}

/* Saved, then stopped without a word (a kill): all back, in order, with
 * their times; a payload of several lines stays whole. */
static void
test_file_reopen(void **state)
{
	struct outbox_dir *t = *state;
	struct events_outbox o;
	sdc_error_t err = NULL;
	size_t torn;

	reopen(&o, t->path, 10, 1000, &torn);
	assert_int_equal(o.count, 0);
	for (int i = 0; i < 4; i++)
		push_saved(&o, i);
	events_outbox_push(&o, xstrdup("o:9\nacct\n{\"a\": 1}"), 50);
	assert_int_equal(events_outbox_save(&o, &err), 0);
	stop(&o);
	reopen(&o, t->path, 10, 1000, &torn);
	assert_int_equal(torn, 0);
	assert_int_equal(o.count, 5);
	assert_string_equal(o.first->payload, "event 0");
	assert_int_equal(o.first->at, 100);
	assert_string_equal(o.first->next->next->next->payload, "event 3");
	assert_string_equal(o.last->payload, "o:9\nacct\n{\"a\": 1}");
	assert_int_equal(o.last->at, 50);
	/* two sent: fewer gone than left, the file keeps them (sent again
	 * after a kill, skipped by the receivers) */
	events_outbox_pop(&o);
	events_outbox_pop(&o);
	assert_int_equal(events_outbox_save(&o, &err), 0);
	stop(&o);
	reopen(&o, t->path, 10, 1000, &torn);
	assert_int_equal(o.count, 5);
	/* three sent: as many gone as left, the file holds the two left */
	for (int i = 0; i < 3; i++)
		events_outbox_pop(&o);
	assert_int_equal(events_outbox_save(&o, &err), 0);
	stop(&o);
	reopen(&o, t->path, 10, 1000, &torn);
	assert_int_equal(o.count, 2);
	assert_string_equal(o.first->payload, "event 3");
	/* all sent, the file is empty */
	while (o.count > 0)
		events_outbox_pop(&o);
	assert_int_equal(events_outbox_save(&o, &err), 0);
	assert_int_equal(file_size(t->path), 0);
	stop(&o);
	reopen(&o, t->path, 10, 1000, &torn);
	assert_int_equal(o.count, 0);
	stop(&o);
}

/* A last record cut short at every byte (power lost mid-write): the
 * ones before stay, nothing else comes back, and it is cut off so that
 * the next ones follow whole records. */
static void
test_file_torn(void **state)
{
	struct outbox_dir *t = *state;
	struct events_outbox o;
	size_t torn, whole;
	off_t full;

	reopen(&o, t->path, 10, 1000, &torn);
	for (int i = 0; i < 3; i++)
		push_saved(&o, i);
	whole = o.file_bytes;
	push_saved(&o, 3);
	full = file_size(t->path);
	stop(&o);
	for (off_t cut = full - 1; cut > (off_t)whole; cut--) {
		assert_int_equal(truncate(t->path, cut), 0);
		reopen(&o, t->path, 10, 1000, &torn);
		assert_int_equal(torn, (size_t)cut - whole);
		assert_holds(&o, 0, 3);
		stop(&o);
		assert_int_equal(file_size(t->path), (off_t)whole);
	}
	/* garbage after the whole ones (a block of zeros, a stray line) */
	for (int k = 0; k < 2; k++) {
		FILE *f = fopen(t->path, "a");

		assert_non_null(f);
		if (k == 0)
			fwrite("\0\0\0\0\0\0\0\0", 1, 8, f);
		else
			fputs("12 x\nnot a record\n", f);
		fclose(f);
		reopen(&o, t->path, 10, 1000, &torn);
		assert_true(torn > 0);
		assert_holds(&o, 0, 3);
		push_saved(&o, 3);
		stop(&o);
		reopen(&o, t->path, 10, 1000, &torn);
		assert_int_equal(torn, 0);
		assert_holds(&o, 0, 4);
		while (o.count > 3)	/* the newest off again: pop all, push 3 */
			events_outbox_pop(&o);
		stop(&o);
		assert_int_equal(truncate(t->path, (off_t)whole), 0);
	}
}

/* Reloaded under lower bounds (the tunables changed meanwhile): the
 * oldest go, counted; what stays is in order, and the file, once as many
 * are gone as left, holds only what stays. */
static void
test_file_bounds(void **state)
{
	struct outbox_dir *t = *state;
	struct events_outbox o;
	sdc_error_t err = NULL;
	size_t torn;

	reopen(&o, t->path, 10, 1000, &torn);
	for (int i = 0; i < 8; i++)
		push_saved(&o, i);
	stop(&o);
	reopen(&o, t->path, 3, 1000, &torn);
	assert_int_equal(o.dropped, 5);
	assert_holds(&o, 5, 8);
	assert_int_equal(o.file_dead, 5);
	assert_int_equal(events_outbox_save(&o, &err), 0);	/* rewritten */
	assert_int_equal(o.file_dead, 0);
	push_saved(&o, 8);
	stop(&o);
	reopen(&o, t->path, 10, 1000, &torn);
	assert_int_equal(o.dropped, 0);
	assert_holds(&o, 5, 9);
	stop(&o);
	/* 7 bytes each: 14 keeps two */
	reopen(&o, t->path, 10, 14, &torn);
	assert_holds(&o, 7, 9);
	stop(&o);
}

/* One process at a time: a second open of a held file opens nothing;
 * once the first lets it go (a kill does too), it opens with the events
 * left in it. */
static void
test_file_held(void **state)
{
	struct outbox_dir *t = *state;
	struct events_outbox o, other;
	sdc_error_t err = NULL;
	size_t torn;

	reopen(&o, t->path, 10, 1000, &torn);
	push_saved(&o, 0);
	events_outbox_init(&other, 10, 1000);
	assert_int_equal(events_outbox_open(&other, t->path, &torn, &err), 1);
	assert_null(err);
	assert_int_equal(other.fd, -1);
	assert_int_equal(other.count, 0);
	stop(&o);
	assert_int_equal(events_outbox_open(&other, t->path, &torn, &err), 0);
	assert_holds(&other, 0, 1);
	stop(&other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_bound_count),
		cmocka_unit_test(test_bound_bytes),
		cmocka_unit_test(test_bounds_changed),
		cmocka_unit_test(test_seen),
		cmocka_unit_test_setup_teardown(test_file_reopen, dir_make,
		    dir_remove),
		cmocka_unit_test_setup_teardown(test_file_torn, dir_make,
		    dir_remove),
		cmocka_unit_test_setup_teardown(test_file_bounds, dir_make,
		    dir_remove),
		cmocka_unit_test_setup_teardown(test_file_held, dir_make,
		    dir_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
