/*
 * dns-queue.c: the names tables (dns.c) applied off the daemon's loop
 * thread, in the order they were computed.
 *
 * Why: a table is computed on the loop, from the store, at each change of
 * a network's running containers; applying it may start that network's
 * aardvark-dns (up to 5 s) and waits for the socket a reload binds again
 * (up to 2 s).  On the loop a slow or stopped aardvark-dns held every
 * client of the daemon, every tenant's, for that long.  So the loop
 * formats the table (a name the format cannot carry is still refused at
 * once) and queues it here; a thread applies it.
 *
 * Why a queue per network, and one job at a time on each: two tables
 * computed one after the other for a network must be applied in that
 * order, else the older could be written last and a started container's
 * name be lost until the next change; different networks have separate
 * servers and files, so one stuck network holds only its own queue.  A
 * table queued while an older one for the network still waits to begin
 * replaces it (only the newest matters: each is the whole table), so a
 * burst of starts on a network costs one reload, and a stuck server
 * leaves at most one table waiting behind the one it holds.
 *
 * Each network's jobs are run by a thread of its own (lib/rtcall.c, as
 * the runtime's calls are) that takes them from the queue until it is
 * empty: the loop starts one when a job arrives and none runs.  The
 * queue's state is shared with those threads and the starts' threads
 * under one mutex; a thread ending wakes the ones waiting on it through
 * a condition variable.
 *
 * The contract of dns.c stays: a container's names are in its networks'
 * servers before its process starts.  A start notes, on the loop, the
 * last job queued for each of its networks (net_dns_wait_add, after its
 * tables are queued) and its thread, the one that then runs the runtime,
 * waits until each is applied (net_dns_wait_start, a head's start and an
 * agent's alike) before it does; a table not applied is logged and the
 * start goes on, so one server stuck or dead for a while fails no run on
 * its network (its names come with the next check).  A head's
 * rm, rename, connect and disconnect are answered once their tables are
 * applied, a thread of their own waiting the same way
 * (names-reply.c): the request is deferred, not the loop.
 *
 * A network's removal is queued on its own queue too, and a later job
 * that may start a server on another network waits for the removals
 * queued before it: a new network may be given a gone one's subnet, and
 * its server must not find the old one still bound on the gateway's
 * port 53 (dns.c would take the old socket for the new server's).
 *
 * Without a loop (the tests' drivers) or when no thread can be made, the
 * jobs run at once on the caller's thread, as before.
 */
#include <errno.h>
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rtcall.h"
#include "timeutil.h"
#include "xalloc.h"
#include "dockerapi/net/dns.h"

#define DNS_QUEUE_REMOVAL_MS 10000	/* the longest wait for removals */
#define DNS_QUEUE_RESULTS 8		/* tables' results kept per network */

enum dns_kind { DNS_JOB_SET, DNS_JOB_REMOVE, DNS_JOB_ENSURE };

struct dns_job {
	struct dns_job *next;
	enum dns_kind kind;
	uint64_t seq;			/* the queue's count when queued */
	struct in_addr gw;		/* a set's */
	struct buf table;
	bool names;			/* the table names someone */
};

/* One network's queue; everything under the queue's mutex. */
struct dns_net {
	struct dns_net *next;
	char id[65];
	struct dns_job *jobs;		/* waiting to begin, oldest first */
	struct dns_job *cur;		/* being applied */
	bool running;			/* a thread drains jobs */
	bool gone;			/* removed: freed once idle */
	uint64_t queued;		/* the seq of the last job queued */
	uint64_t applied;		/* of the last one applied */
	/* the last tables' results, for the starts waiting on them: a
	 * start's is its table's (or the one that replaced it), not that
	 * of a job after it (the same table again finds it written and
	 * the server running, even a stopped one) */
	struct dns_result {
		uint64_t seq;
		int rc;
		char msg[200];
	} results[DNS_QUEUE_RESULTS];
	unsigned nresults;		/* ever recorded */
};

struct net_dns_queue {
	struct event_base *base;
	struct net_config cfg;
	char *run_dir, *binary;		/* cfg's, owned */
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* a job applied */
	uint64_t seq;
	struct dns_net *nets;
};

/* What a thread is given: the network by id, since a gone network's
 * state is freed once idle, and so maybe before this is done with. */
struct dns_run {
	struct net_dns_queue *q;
	char id[65];
};

struct net_dns_queue *
net_dns_queue_new(struct event_base *base, const struct net_config *cfg)
{
	struct net_dns_queue *q = xcalloc(1, sizeof *q);
	pthread_condattr_t ca;

	q->base = base;
	q->run_dir = xstrdup(cfg->run_dir);
	q->binary = cfg->dns_binary != NULL ? xstrdup(cfg->dns_binary) : NULL;
	q->cfg.run_dir = q->run_dir;
	q->cfg.dns_binary = q->binary;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

static struct dns_net *
dns_net_find(struct net_dns_queue *q, const char *id)
{
	struct dns_net *ns;

	for (ns = q->nets; ns != NULL; ns = ns->next)
		if (strcmp(ns->id, id) == 0)
			return ns;
	return NULL;
}

static void
dns_job_free(struct dns_job *j)
{
	buf_free(&j->table);
	free(j);
}

/* Wait on the condition until deadline (CLOCK_MONOTONIC, ms). */
static void
dns_cond_wait(struct net_dns_queue *q, long deadline)
{
	struct timespec ts = { deadline / 1000, (deadline % 1000) * 1000000L };

	pthread_cond_timedwait(&q->cv, &q->mu, &ts);
}

/* The result of the first table applied at or after seq: the one that
 * applied a start's table, or replaced it.  None kept (a removal came
 * first, or many tables since): no failure to tell. */
static const struct dns_result *
dns_result_of(const struct dns_net *ns, uint64_t seq)
{
	const struct dns_result *best = NULL;
	unsigned i;

	for (i = 0; i < DNS_QUEUE_RESULTS && i < ns->nresults; i++)
		if (ns->results[i].seq >= seq &&
		    (best == NULL || ns->results[i].seq < best->seq))
			best = &ns->results[i];
	return best;
}

/* Whether a removal queued before seq is not applied yet. */
static bool
dns_removal_before(struct net_dns_queue *q, uint64_t seq)
{
	struct dns_net *ns;
	struct dns_job *j;

	for (ns = q->nets; ns != NULL; ns = ns->next) {
		if (ns->cur != NULL && ns->cur->kind == DNS_JOB_REMOVE &&
		    ns->cur->seq < seq)
			return true;
		for (j = ns->jobs; j != NULL; j = j->next)
			if (j->kind == DNS_JOB_REMOVE && j->seq < seq)
				return true;
	}
	return false;
}

static int
dns_job_run(struct net_dns_queue *q, const char *id, struct dns_job *j,
    sdc_error_t *err)
{
	switch (j->kind) {
	case DNS_JOB_SET:
		return net_dns_apply(&q->cfg, id, j->gw, &j->table, j->names, err);
	case DNS_JOB_REMOVE:
		return net_dns_remove(&q->cfg, id, err);
	case DNS_JOB_ENSURE:
		return net_dns_ensure_net(&q->cfg, id, err) < 0 ? -1 : 0;
	}
	return 0;
}

/* The network's jobs, oldest first, until none is left (on its thread,
 * or on the caller's without a loop). */
static int
dns_drain(void *arg, sdc_error_t *err)
{
	struct dns_run *r = arg;
	struct net_dns_queue *q = r->q;
	struct dns_net *ns;
	struct dns_job *j;
	sdc_error_t e = NULL;
	long deadline;
	int rc;

	(void)err;
	pthread_mutex_lock(&q->mu);
	ns = dns_net_find(q, r->id);
	while (ns != NULL && (j = ns->jobs) != NULL) {
		ns->jobs = j->next;
		ns->cur = j;
		deadline = time_mono_ms() + DNS_QUEUE_REMOVAL_MS;
		while (j->kind != DNS_JOB_REMOVE && dns_removal_before(q, j->seq) &&
		    time_mono_ms() < deadline)
			dns_cond_wait(q, deadline);
		pthread_mutex_unlock(&q->mu);
		rc = dns_job_run(q, ns->id, j, &e);
		if (rc < 0)
			log_warn("%s", sdc_error_msg(e));
		pthread_mutex_lock(&q->mu);
		ns->cur = NULL;
		ns->applied = j->seq;
		if (j->kind == DNS_JOB_SET) {
			struct dns_result *res = &ns->results[ns->nresults++ %
			    DNS_QUEUE_RESULTS];

			res->seq = j->seq;
			res->rc = rc;
			snprintf(res->msg, sizeof res->msg, "%s", rc < 0 ?
			    sdc_error_msg(e) : "");
		}
		sdc_error_release(&e);
		dns_job_free(j);
		pthread_cond_broadcast(&q->cv);
	}
	if (ns != NULL)
		ns->running = false;
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* On the loop, the thread ended: a gone network's state goes once idle. */
static void
dns_drained(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct dns_run *r = arg;
	struct net_dns_queue *q = r->q;
	struct dns_net **p, *ns;

	(void)req;
	(void)rc;
	(void)err;
	pthread_mutex_lock(&q->mu);
	for (p = &q->nets; (ns = *p) != NULL; p = &ns->next)
		if (strcmp(ns->id, r->id) == 0) {
			if (ns->gone && !ns->running && ns->jobs == NULL) {
				*p = ns->next;
				free(ns);
			}
			break;
		}
	pthread_mutex_unlock(&q->mu);
	free(r);
}

/* Queue j for network id (checked) and make sure a thread drains it. */
static void
dns_enqueue(struct net_dns_queue *q, const char *id, struct dns_job *j)
{
	struct dns_net *ns;
	struct dns_job **tail;
	struct dns_run *r;
	sdc_error_t err = NULL;
	bool start, removal = j->kind == DNS_JOB_REMOVE;

	pthread_mutex_lock(&q->mu);
	if ((ns = dns_net_find(q, id)) == NULL) {
		ns = xcalloc(1, sizeof *ns);
		snprintf(ns->id, sizeof ns->id, "%s", id);
		ns->next = q->nets;
		q->nets = ns;
	}
	j->seq = ++q->seq;
	for (tail = &ns->jobs; *tail != NULL && (*tail)->next != NULL;
	    tail = &(*tail)->next)
		;
	if (*tail != NULL && (*tail)->kind != DNS_JOB_REMOVE &&
	    j->kind != DNS_JOB_REMOVE) {
		/* the newest table (or check) replaces the one not begun */
		if (j->kind == DNS_JOB_SET || (*tail)->kind == DNS_JOB_ENSURE) {
			j->next = (*tail)->next;
			dns_job_free(*tail);
			*tail = j;
		} else {	/* a check behind a table: the table does it */
			(*tail)->seq = j->seq;
			dns_job_free(j);
		}
	} else if (*tail != NULL)
		(*tail)->next = j;
	else
		ns->jobs = j;
	ns->queued = q->seq;
	if (removal)		/* j may have been folded into the table */
		ns->gone = true;
	start = !ns->running;
	ns->running = true;
	pthread_mutex_unlock(&q->mu);
	if (!start)
		return;
	r = xcalloc(1, sizeof *r);
	r->q = q;
	snprintf(r->id, sizeof r->id, "%s", id);
	if (q->base != NULL && rtcall_start(q->base, NULL, "names of a network",
	    dns_drain, dns_drained, r, &err) == 0)
		return;
	if (err != NULL)
		log_warn("network %.12s: names applied on the loop: %s", id,
		    sdc_error_msg(err));
	sdc_error_release(&err);
	dns_drain(r, &err);
	dns_drained(r, NULL, 0, &err);
}

int
net_dns_queue_set(struct net_dns_queue *q, const struct net_bridge *b,
    const struct net_dns_entry *entries, size_t n, sdc_error_t *err)
{
	struct dns_job *j = xcalloc(1, sizeof *j);

	j->kind = DNS_JOB_SET;
	if (net_dns_format(b, entries, n, &j->table, err) < 0) {
		dns_job_free(j);
		return sdc_error_wrap(err, "names of network %.12s", b->id != NULL ?
		    b->id : "");
	}
	j->gw = b->gateway;
	j->names = n > 0;
	dns_enqueue(q, b->id, j);
	return 0;
}

int
net_dns_queue_remove(struct net_dns_queue *q, const char *network_id,
    sdc_error_t *err)
{
	struct dns_job *j;

	if (!net_dns_id_ok(network_id))
		return sdc_make_error_code(err, 400, "network id \"%s\" cannot name "
		    "a name table", network_id != NULL ? network_id : "");
	j = xcalloc(1, sizeof *j);
	j->kind = DNS_JOB_REMOVE;
	dns_enqueue(q, network_id, j);
	return 0;
}

void
net_dns_queue_ensure(struct net_dns_queue *q)
{
	struct dirent *de;
	struct dns_job *j;
	char *path;
	DIR *d;

	/* a listing of a few names: the networks' dirs (dns.c) */
	xasprintf(&path, "%s/dns/net", q->cfg.run_dir);
	d = opendir(path);
	free(path);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (!net_dns_id_ok(de->d_name))
			continue;
		j = xcalloc(1, sizeof *j);
		j->kind = DNS_JOB_ENSURE;
		dns_enqueue(q, de->d_name, j);
	}
	if (d != NULL)
		closedir(d);
}

void
net_dns_wait_add(struct net_dns_wait *w, struct net_dns_queue *q,
    const char *network_id)
{
	struct dns_net *ns;
	uint64_t seq;

	pthread_mutex_lock(&q->mu);
	ns = dns_net_find(q, network_id);
	seq = ns != NULL && ns->applied < ns->queued ? ns->queued : 0;
	pthread_mutex_unlock(&q->mu);
	if (seq == 0)
		return;		/* nothing of it to wait for */
	w->q = q;
	w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
	snprintf(w->v[w->n].id, sizeof w->v[w->n].id, "%s", network_id);
	w->v[w->n].seq = seq;
	w->n++;
}

int
net_dns_wait(const struct net_dns_wait *w, long timeout_ms, sdc_error_t *err)
{
	struct net_dns_queue *q = w->q;
	long deadline = time_mono_ms() + timeout_ms;
	const struct dns_result *res;
	struct dns_net *ns;
	size_t i;
	int rc = 0;

	if (w->n == 0)
		return 0;
	pthread_mutex_lock(&q->mu);
	for (i = 0; i < w->n; i++) {
		while ((ns = dns_net_find(q, w->v[i].id)) != NULL &&
		    ns->applied < w->v[i].seq && time_mono_ms() < deadline)
			dns_cond_wait(q, deadline);
		if (ns == NULL)
			continue;	/* removed meanwhile: nothing to name */
		if (ns->applied < w->v[i].seq) {
			rc = sdc_make_error(err, ETIMEDOUT, "names of network "
			    "%.12s not applied within %ld ms (its aardvark-dns "
			    "stuck?)", w->v[i].id, timeout_ms);
			break;
		}
		if ((res = dns_result_of(ns, w->v[i].seq)) != NULL &&
		    res->rc < 0) {
			rc = sdc_make_error(err, 0, "%s", res->msg);
			break;
		}
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void
net_dns_wait_start(const struct net_dns_wait *w, const char *uuid)
{
	sdc_error_t err = NULL;

	if (net_dns_wait(w, NET_DNS_WAIT_MS, &err) < 0) {
		log_warn("container %s: starting without all its names: %s",
		    uuid, sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

void
net_dns_wait_clear(struct net_dns_wait *w)
{
	free(w->v);
	memset(w, 0, sizeof *w);
}
