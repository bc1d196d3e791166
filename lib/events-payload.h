/*
 * events-payload.h: a head's event as NOTIFY dockerapi_events carries it
 * between the processes sharing one PostgreSQL store.
 *
 * The payload is "seq\norigin:id\naccount\nmessage": the head_events
 * row's seq (absent from a sender before that table), the sending
 * head's origin and its own counter (absent, with the colon, from a
 * sender before the outbox), the account, and the message as GET
 * /events writes it (JSON).  The heads (dockerapi/events-notify.c) and
 * the agents (agent/netsync.c) both read it, so its layout is read in
 * this one place.
 */
#ifndef SDC_EVENTS_PAYLOAD_H
#define SDC_EVENTS_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The parts point into the payload given; origin and account are not
 * NUL-terminated (their lengths say where they end), message runs to
 * the payload's end. */
struct events_payload {
	int64_t seq;		/* 0: none */
	const char *origin;
	size_t origin_len;
	bool has_id;
	uint64_t id;
	const char *account;
	size_t account_len;
	const char *message;
};

/* The payload's parts; -1 (*err says why) when it lacks the origin's,
 * the account's or the message's line. */
int events_payload_split(const char *payload, struct events_payload *out,
    sdc_error_t *err);

#endif
