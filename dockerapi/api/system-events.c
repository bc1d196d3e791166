/*
 * system-events.c: GET /events, the container lifecycle as Docker reports it.
 *
 * Every event is kept for since= in a history of its account's own, and
 * written to each subscriber of the same account whose filters it passes.
 * Events are per account like everything else: one account never sees
 * another's containers come and go, and one account's flood of events
 * never pushes another's out of its history.  Each account keeps its last
 * EVENTS_KEEP (dockerd keeps 256 for a whole host), and all of them
 * together at most EVENTS_KEEP_TOTAL: past that the account with the
 * longest history loses its oldest event, so the memory is bounded and a
 * flood costs the flooder.  The message has both shapes clients read:
 * the old one (status, id, from) that the docker CLI's `run --rm` below
 * API 1.25 waits on, and the newer Type/Action/Actor.  With several
 * processes on one PostgreSQL store each one's events reach the others'
 * subscribers and histories (events-notify.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "containers.h"
#include "heads.h"
#include "jsonutil.h"
#include "xalloc.h"

#define EVENTS_KEEP 1024
#define EVENTS_KEEP_TOTAL 65536

struct ev_sub {
	struct ev_sub *next;
	struct events *ev;
	struct http_request *req;
	char *account;
	json_t *filters;
	int64_t until;			/* ns; 0: none */
	struct event *timer;
};

struct events {
	json_t *hist;			/* account uuid -> its messages, oldest
					 * first */
	size_t total;			/* messages in all of them */
	struct ev_sub *subs;
	struct events_notify *notify;	/* events-notify.c; NULL on SQLite */
};

void
events_init(struct containers *cs)
{
	cs->events = xcalloc(1, sizeof *cs->events);
	cs->events->hist = json_object();
	cs->events->notify = events_notify_start(cs);
}

static void
events_sub_free(struct ev_sub *s)
{
	struct ev_sub **p;

	for (p = &s->ev->subs; *p != NULL; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	if (s->timer != NULL)
		event_free(s->timer);
	json_decref(s->filters);
	free(s->account);
	free(s);
}

static void
events_sub_end(struct ev_sub *s)
{
	http_on_close(s->req, NULL, NULL);
	http_stream_end(s->req);
	events_sub_free(s);
}

void
events_free(struct containers *cs)
{
	struct events *ev = cs->events;

	if (ev == NULL)
		return;
	while (ev->subs != NULL)
		events_sub_end(ev->subs);
	events_notify_free(ev->notify);
	json_decref(ev->hist);
	free(ev);
	cs->events = NULL;
}

/* --- filters --- */

static bool
events_any(const json_t *filters, const char *key, const char *const *cands)
{
	json_t *v = json_object_get(filters, key), *x;
	const char *k, *want;
	size_t i, j;

	if (v == NULL || (json_is_array(v) && json_array_size(v) == 0))
		return true;
	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			for (j = 0; cands[j] != NULL; j++)
				if (strcmp(k, cands[j]) == 0)
					return true;
		return false;
	}
	json_array_foreach(v, i, x) {
		want = json_string_value(x);
		for (j = 0; want != NULL && cands[j] != NULL; j++)
			if (strcmp(want, cands[j]) == 0)
				return true;
	}
	return false;
}

static bool
events_labels(const json_t *filters, const json_t *attrs)
{
	json_t *v = json_object_get(filters, "label"), *x;
	const char *k;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			if (!labels_match(attrs, k))
				return false;
	} else
		json_array_foreach(v, i, x)
			if (!labels_match(attrs, json_string_value(x) ?: ""))
				return false;
	return true;
}

static bool
events_match(const json_t *filters, const json_t *msg)
{
	const json_t *actor = json_object_get(msg, "Actor");
	const json_t *attrs = json_object_get(actor, "Attributes");
	const char *id = json_str(actor, "ID", "");
	const char *action = json_str(msg, "Action", "");
	char shortid[13], verb[32];
	const char *type[] = { json_str(msg, "Type", ""), NULL };
	const char *ctr[] = { id, shortid, json_str(attrs, "name", ""), NULL };
	const char *act[] = { action, verb, NULL };
	const char *img[] = { json_str(msg, "from", ""), NULL };

	if (filters == NULL)
		return true;
	snprintf(shortid, sizeof shortid, "%s", id);
	snprintf(verb, sizeof verb, "%.*s", (int)strcspn(action, ":"), action);
	return events_any(filters, "type", type) &&
	    events_any(filters, "container", ctr) &&
	    events_any(filters, "event", act) &&
	    events_any(filters, "image", img) &&
	    events_labels(filters, attrs);
}

/* --- publishing --- */

static void
events_send(struct ev_sub *s, const json_t *msg)
{
	char *text = json_text(msg);

	http_stream_printf(s->req, "%s\n", text);
	free(text);
}

/* The oldest message of the account with the longest history goes. */
static void
events_trim_largest(struct events *ev)
{
	json_t *hist, *largest = NULL;
	const char *account, *which = NULL;

	json_object_foreach(ev->hist, account, hist)
		if (largest == NULL || json_array_size(hist) > json_array_size(largest)) {
			largest = hist;
			which = account;
		}
	if (largest == NULL)
		return;
	json_array_remove(largest, 0);
	ev->total--;
	if (json_array_size(largest) == 0)
		json_object_del(ev->hist, which);
}

static void
events_publish(struct events *ev, const char *account, json_t *msg)
{
	json_t *hist = json_object_get(ev->hist, account);
	struct ev_sub *s;

	size_t at;

	if (hist == NULL) {
		hist = json_array();
		json_object_set_new(ev->hist, account, hist);
	}
	/* in the order of their times: another head's event may come late
	 * (made while the store was away), and since= reads them in order */
	at = json_array_size(hist);
	while (at > 0 && json_int(json_array_get(hist, at - 1), "timeNano", 0) >
	    json_int(msg, "timeNano", 0))
		at--;
	json_array_insert(hist, at, msg);
	ev->total++;
	if (json_array_size(hist) > EVENTS_KEEP) {
		json_array_remove(hist, 0);
		ev->total--;
	}
	while (ev->total > EVENTS_KEEP_TOTAL)
		events_trim_largest(ev);
	for (s = ev->subs; s != NULL; s = s->next)
		if (strcmp(s->account, account) == 0 &&
		    events_match(s->filters, msg))
			events_send(s, msg);
	json_decref(msg);
}

void
events_container(struct containers *cs, const struct ctr *c,
    const char *action, json_t *attrs)
{
	const json_t *labels = ctr_labels(c);
	struct timespec now;
	const char *k;
	json_t *v, *msg;
	int64_t ns;

	if (cs->events == NULL)
		return;
	heads_changed(cs->d, c);	/* before the NOTIFY that wakes them */
	if (attrs == NULL)
		attrs = json_object();
	json_object_foreach((json_t *)labels, k, v)
		json_object_set(attrs, k, v);
	json_object_set_new(attrs, "image", json_string(c->image));
	json_object_set_new(attrs, "name", json_string(c->name));
	clock_gettime(CLOCK_REALTIME, &now);
	ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	msg = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:o},s:s,s:I,s:I}",
	    "status", action, "id", c->id, "from", c->image,
	    "Type", "container", "Action", action,
	    "Actor", "ID", c->id, "Attributes", attrs, "scope", "local",
	    "time", (json_int_t)now.tv_sec, "timeNano", (json_int_t)ns);
	events_notify_send(cs->events->notify, c->account, msg);
	events_publish(cs->events, c->account, msg);
}

void
events_network(struct containers *cs, const char *account,
    const char *network_id, const char *network_name, const char *action,
    const char *container_id)
{
	struct timespec now;
	json_t *msg;
	int64_t ns;

	if (cs->events == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	msg = json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s}},s:s,s:I,s:I}",
	    "Type", "network", "Action", action, "Actor", "ID", network_id,
	    "Attributes", "container", container_id, "name", network_name,
	    "type", "bridge", "scope", "local", "time", (json_int_t)now.tv_sec,
	    "timeNano", (json_int_t)ns);
	events_notify_send(cs->events->notify, account, msg);
	events_publish(cs->events, account, msg);
}

void
events_publish_from(struct containers *cs, const char *account, json_t *msg)
{
	if (cs->events == NULL) {
		json_decref(msg);
		return;
	}
	events_publish(cs->events, account, msg);
}

/* --- GET /events --- */

/* since/until as Docker takes them (timeutil.h), in ns; 0 for none. */
static int
events_time_arg(const char *s, int64_t *ns, sdc_error_t *err)
{
	*ns = 0;
	if (s == NULL || *s == '\0')
		return 0;
	return time_parse_docker(s, time_now_ns(), ns, err);
}

static void
events_closed(struct http_request *req, void *arg)
{
	events_sub_free(arg);
}

static void
events_until_cb(evutil_socket_t fd, short what, void *arg)
{
	events_sub_end(arg);
}

int
events_get(struct http_request *req, void *arg)
{
	struct events *ev = ctrs(arg)->events;
	const char *f = http_query(req, "filters");
	int64_t since, until;
	sdc_error_t err = NULL;
	struct ev_sub *s;
	json_t *hist, *msg;
	struct timespec now;
	struct timeval tv;
	int64_t wait, ns;
	size_t i;

	if (events_time_arg(http_query(req, "since"), &since, &err) < 0 ||
	    events_time_arg(http_query(req, "until"), &until, &err) < 0)
		return api_error_from(req, &err);
	s = xcalloc(1, sizeof *s);
	s->ev = ev;
	s->req = req;
	s->account = xstrdup(ctr_account(req));
	s->until = until;
	if (f != NULL && *f != '\0' && (s->filters = json_loads(f, 0, NULL)) == NULL) {
		free(s->account);
		free(s);
		return api_error(req, 400, "invalid filters: %s", f);
	}
	http_stream_start(req, 200, "application/json");
	hist = since > 0 ? json_object_get(ev->hist, s->account) : NULL;
	json_array_foreach(hist, i, msg) {
		ns = json_int(msg, "timeNano", 0);
		if (ns >= since && (s->until == 0 || ns <= s->until) &&
		    events_match(s->filters, msg))
			events_send(s, msg);
	}
	s->next = ev->subs;
	ev->subs = s;
	http_on_close(req, events_closed, s);
	if (s->until != 0) {
		clock_gettime(CLOCK_REALTIME, &now);
		wait = s->until - ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
		if (wait <= 0) {
			events_sub_end(s);
			return HTTP_ASYNC;
		}
		tv.tv_sec = (time_t)(wait / 1000000000);
		tv.tv_usec = (long)(wait % 1000000000 / 1000);
		s->timer = evtimer_new(ctrs(arg)->d->base, events_until_cb, s);
		evtimer_add(s->timer, &tv);
	}
	return HTTP_ASYNC;
}

const struct api_endpoint system_events_routes[] = {
	{ { "GET", "/events", events_get, API_LONG, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
