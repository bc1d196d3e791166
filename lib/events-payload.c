/*
 * events-payload.c: a head's event as NOTIFY dockerapi_events carries it
 * (events-payload.h), split into its parts without copying them.
 *
 * The leading seq is told from an origin by being digits alone: an
 * origin is a uuid, never all digits, so a payload from a sender before
 * head_events (no seq line) still splits right.
 */
#include <stdlib.h>
#include <string.h>

#include "events-payload.h"

int
events_payload_split(const char *payload, struct events_payload *out,
    sdc_error_t *err)
{
	const char *nl = strchr(payload, '\n'), *acct, *text, *colon;

	memset(out, 0, sizeof *out);
	if (nl != NULL && nl > payload &&
	    (size_t)(nl - payload) == strspn(payload, "0123456789")) {
		out->seq = strtoll(payload, NULL, 10);
		payload = nl + 1;
	}
	if ((acct = strchr(payload, '\n')) == NULL ||
	    (text = strchr(acct + 1, '\n')) == NULL)
		return sdc_make_error(err, 0, "an event's payload without "
		    "its origin, account and message lines");
	colon = memchr(payload, ':', (size_t)(acct - payload));
	out->origin = payload;
	out->origin_len = (size_t)((colon != NULL ? colon : acct) - payload);
	if (colon != NULL) {
		out->has_id = true;
		out->id = strtoull(colon + 1, NULL, 10);
	}
	out->account = acct + 1;
	out->account_len = (size_t)(text - acct - 1);
	out->message = text + 1;
	return 0;
}
