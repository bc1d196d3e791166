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
 * still too long is not sent, with a warning.  Events are not kept in
 * the store: a head that was not listening (PostgreSQL restarted, a
 * failover) misses what happened meanwhile, logs it, and listens again
 * every second until it can.  On SQLite none of this runs: one daemon,
 * one file, nobody else to tell.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "store-listen.h"
#include "xalloc.h"

#define EVENTS_CHANNEL "dockerapi_events"
#define EVENTS_PAYLOAD_MAX 7999

struct events_notify {
	struct containers *cs;
	struct store_listener *l;	/* lib/store-listen.c */
	char origin[UUID_LEN + 1];
};

/* "origin\naccount\nmessage" from another process: published here. */
static void
events_notify_got(void *arg, const char *channel, const char *payload)
{
	struct events_notify *n = arg;
	const char *acct, *text;
	char *account;
	json_t *msg;

	(void)channel;
	if ((acct = strchr(payload, '\n')) == NULL ||
	    (text = strchr(acct + 1, '\n')) == NULL)
		return;
	if ((size_t)(acct - payload) == strlen(n->origin) &&
	    strncmp(payload, n->origin, strlen(n->origin)) == 0)
		return;		/* our own */
	if ((msg = json_loads(text + 1, 0, NULL)) == NULL ||
	    !json_is_object(msg)) {
		json_decref(msg);
		log_warn("events of other dockerapi processes: a message that "
		    "is not JSON, dropped");
		return;
	}
	account = xstrndup(acct + 1, (size_t)(text - acct - 1));
	events_publish_from(n->cs, account, msg);
	free(account);
}

static const struct store_listen_ops events_notify_ops = {
	.channel = EVENTS_CHANNEL,
	.what = "events of other dockerapi processes (missed until heard "
	    "again)",
	.again = "listening to other dockerapi processes' events again",
	.each = events_notify_got,
};

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
	n->l = store_listener_start(cs->d->base, where, &events_notify_ops, n);
	return n;
}

void
events_notify_free(struct events_notify *n)
{
	if (n == NULL)
		return;
	store_listener_free(n->l);
	free(n);
}

static char *
events_notify_payload(const struct events_notify *n, const char *account,
    const json_t *msg)
{
	char *text = json_text(msg), *payload;

	xasprintf(&payload, "%s\n%s\n%s", n->origin, account, text);
	free(text);
	return payload;
}

void
events_notify_send(struct events_notify *n, const char *account,
    const json_t *msg)
{
	const json_t *attrs;
	json_t *small;
	sdc_error_t err = NULL;
	char *payload;

	if (n == NULL)
		return;
	payload = events_notify_payload(n, account, msg);
	if (strlen(payload) > EVENTS_PAYLOAD_MAX) {
		free(payload);
		small = json_deep_copy(msg);
		attrs = json_object_get(json_object_get(msg, "Actor"),
		    "Attributes");
		json_object_set_new(json_object_get(small, "Actor"),
		    "Attributes", json_pack("{s:O?,s:O?}", "name",
		    json_object_get(attrs, "name"), "image",
		    json_object_get(attrs, "image")));
		payload = events_notify_payload(n, account, small);
		json_decref(small);
		if (strlen(payload) > EVENTS_PAYLOAD_MAX) {
			log_warn("an event of %s too long for the other "
			    "dockerapi processes: not sent", account);
			free(payload);
			return;
		}
	}
	if (store_notify_payload(n->cs->d->store, EVENTS_CHANNEL, payload,
	    &err) < 0) {
		log_warn("an event not sent to the other dockerapi processes: "
		    "%s", sdc_error_msg(err));
		sdc_error_release(&err);
	}
	free(payload);
}
