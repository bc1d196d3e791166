/*
 * test_events_outbox.c: the queue of events a head owes the other heads
 * while the store is away (dockerapi/events-outbox.c): oldest first, its
 * bounds in events and bytes (the oldest dropped, counted), and the
 * receivers' skip of an id already heard (a send made again after its
 * outcome was unknown).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dockerapi/events-outbox.h"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_bound_count),
		cmocka_unit_test(test_bound_bytes),
		cmocka_unit_test(test_bounds_changed),
		cmocka_unit_test(test_seen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
