/*
 * container-restart.c: restart policies (HostConfig.RestartPolicy), applied
 * as Docker's restart manager applies them.
 *
 * "always" restarts after every exit, "unless-stopped" too, and
 * "on-failure[:N]" after a non-zero exit, at most N times (0: no limit).
 * An exit the user caused (stop, kill) is never followed by a restart;
 * for a container with a stop signal of its own, a kill with another
 * signal (a reload) does not count (api/containers-lifecycle.c sets
 * c->stopping).
 * Restarts wait 100 ms, then twice as long each time, up to a minute; a
 * run of ten seconds or more starts the wait over.  While it waits, and
 * then until its start has answered (after any runtime call on the
 * container still under way), the container is "restarting": stop and
 * kill cancel the restart, rm refuses without force, and an exit this
 * head shows "exited" is final.
 *
 * When the daemon starts, "always" containers that are not running are
 * started, and "unless-stopped" ones unless their last stop was the
 * user's: the one fact about a container's runs kept in its row
 * (stopped_by_user), since a daemon that was away cannot tell a crash from
 * a stop otherwise.  RestartCount counts the policy's restarts since the
 * user's last start, as in Docker, in memory.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "containers.h"
#include "jsonutil.h"
#include "log.h"

#define RESTART_FIRST_MS 100
#define RESTART_MAX_MS 60000
#define RESTART_RESET_SECS 10

enum restart_kind { RESTART_NO, RESTART_ALWAYS, RESTART_UNLESS_STOPPED,
    RESTART_ON_FAILURE };

struct restart_policy {
	enum restart_kind kind;
	int64_t max;			/* on-failure's retries; 0: no limit */
};

static int
restart_policy(const json_t *host_config, struct restart_policy *p,
    sdc_error_t *err)
{
	json_t *rp = json_object_get(host_config, "RestartPolicy");
	const char *name = json_str(rp, "Name", "");

	p->kind = RESTART_NO;
	p->max = json_int(rp, "MaximumRetryCount", 0);
	if (*name == '\0' || strcmp(name, "no") == 0)
		p->kind = RESTART_NO;
	else if (strcmp(name, "always") == 0)
		p->kind = RESTART_ALWAYS;
	else if (strcmp(name, "unless-stopped") == 0)
		p->kind = RESTART_UNLESS_STOPPED;
	else if (strcmp(name, "on-failure") == 0)
		p->kind = RESTART_ON_FAILURE;
	else
		return sdc_make_error_code(err, 400, "invalid restart policy: "
		    "unknown policy '%s'; use one of 'no', 'always', "
		    "'on-failure', or 'unless-stopped'", name);
	if (p->max < 0)
		return sdc_make_error_code(err, 400, "invalid restart policy: "
		    "maximum retry count cannot be negative");
	if (p->max > 0 && p->kind != RESTART_ON_FAILURE)
		return sdc_make_error_code(err, 400, "invalid restart policy: "
		    "maximum retry count can only be used with 'on-failure'");
	return 0;
}

int
restart_validate(const json_t *host_config, sdc_error_t *err)
{
	struct restart_policy p;

	if (restart_policy(host_config, &p, err) < 0)
		return -1;
	if (p.kind != RESTART_NO &&
	    json_is_true(json_object_get(host_config, "AutoRemove")))
		return sdc_make_error_code(err, 400, "conflicting options: "
		    "cannot specify both --restart and --rm");
	return 0;
}

bool
ctr_restarting(const struct ctr *c)
{
	return c->restart_timer != NULL || c->restart_underway;
}

void
restart_cancel(struct ctr *c)
{
	if (c->restart_timer != NULL)
		event_free(c->restart_timer);
	c->restart_timer = NULL;
	c->restart_underway = false;
}

static void restart_timer_cb(evutil_socket_t fd, short what, void *arg);

/* The container was busy with another runtime call (a signal still being
 * answered): the start follows that call's end; nothing if it went, or if
 * the restart was cancelled meanwhile (a stop, a kill, a start: it was
 * "restarting" all along, as while it waited). */
static void
restart_after_call(struct ctr *c, void *arg)
{
	(void)arg;
	if (c != NULL && c->restart_underway)
		restart_timer_cb(-1, 0, c);
}

static void
restart_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctr *c = arg;
	sdc_error_t err = NULL;

	(void)fd;
	(void)what;
	restart_cancel(c);
	if (ctr_running(c) || c->removing)
		return;
	if (c->busy != NULL) {
		c->restart_underway = true;
		ctr_after_call(c, restart_after_call, NULL);
		return;
	}
	/* counted when the runtime has answered (ops_start_done, which
	 * calls restart_policy_answered), so a count seen by inspect always
	 * has its start event */
	if (ctr_start_policy(c->cs, c, &err) < 0) {
		c->restart_count++;
		log_warn("container %s: restart (policy): %s", c->id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	} else
		c->restart_underway = true;
}

void
restart_policy_answered(struct ctr *c)
{
	c->restart_count++;
	c->restart_underway = false;
}

/* Docker's decision for an exit with code `code`, and the wait before. */
static bool
restart_due(struct ctr *c, const struct restart_policy *p, int code)
{
	int64_t ran = c->st.finished_at.tv_sec - c->st.started_at.tv_sec;

	if (ran >= RESTART_RESET_SECS || c->restart_delay_ms == 0)
		c->restart_delay_ms = RESTART_FIRST_MS;
	else if (c->restart_delay_ms < RESTART_MAX_MS)
		c->restart_delay_ms *= 2;
	if (c->restart_delay_ms > RESTART_MAX_MS)
		c->restart_delay_ms = RESTART_MAX_MS;
	switch (p->kind) {
	case RESTART_ALWAYS:
	case RESTART_UNLESS_STOPPED:
		return true;
	case RESTART_ON_FAILURE:
		return code != 0 && (p->max == 0 || c->restart_count < p->max);
	default:
		return false;
	}
}

bool
restart_after_exit(struct containers *cs, struct ctr *c)
{
	struct restart_policy p;
	struct timeval tv;

	if (c->stopping || c->removing || ctr_running(c) ||
	    restart_policy(c->host_config, &p, NULL) < 0 ||
	    !restart_due(c, &p, c->st.exit_code))
		return false;
	tv.tv_sec = c->restart_delay_ms / 1000;
	tv.tv_usec = (c->restart_delay_ms % 1000) * 1000;
	restart_cancel(c);
	c->restart_timer = evtimer_new(cs->d->base, restart_timer_cb, c);
	evtimer_add(c->restart_timer, &tv);
	return true;
}

/* The row says whether the last stop was the user's.  A failed write only
 * costs the choice at the next daemon start, so it is logged, not fatal. */
static void
restart_record_user_stop(struct containers *cs, struct ctr *c, bool stopped)
{
	sdc_error_t err = NULL;

	if (c->stopped_by_user == stopped)
		return;
	if (ctr_stopped_row(cs, c, stopped, &err) < 0) {
		log_warn("container %s: %s", c->id, sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	c->stopped_by_user = stopped;
}

void
restart_user_started(struct containers *cs, struct ctr *c)
{
	c->restart_count = 0;
	c->restart_delay_ms = 0;
	restart_record_user_stop(cs, c, false);
}

bool
restart_user_stopped(struct containers *cs, struct ctr *c)
{
	bool pending = ctr_restarting(c);

	restart_cancel(c);
	restart_record_user_stop(cs, c, true);
	return pending;
}

/* Whether the daemon's start starts c again (its policy always, or
 * unless-stopped and not stopped by its user), and which. */
static bool
restart_at_start_wanted(const struct ctr *c, struct restart_policy *p)
{
	/* c->removing: its removal is under way (recovery) */
	if (ctr_running(c) || c->removing || c->busy != NULL ||
	    c->st.status == RT_CREATED ||
	    restart_policy(c->host_config, p, NULL) < 0)
		return false;
	return p->kind == RESTART_ALWAYS || (p->kind == RESTART_UNLESS_STOPPED &&
	    !c->stopped_by_user);
}

/* A container of the start whose state its node told after the start
 * (ctr_recover_learned): started as restart_at_daemon_start would have,
 * through its node's agent, off the loop. */
void
restart_learned(struct containers *cs, struct ctr *c)
{
	struct restart_policy p;
	sdc_error_t err = NULL;

	if (!restart_at_start_wanted(c, &p))
		return;
	if (ctr_start_policy(cs, c, &err) < 0) {
		log_warn("container %s: start (restart policy): %s", c->id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	} else
		log_info("container %s: starting (restart policy)", c->id);
}

void
restart_at_daemon_start(struct containers *cs)
{
	struct restart_policy p;
	sdc_error_t err = NULL;

	for (struct ctr *c = cs->list; c != NULL; c = c->next) {
		if (!restart_at_start_wanted(c, &p))
			continue;
		if (ctr_start_one(cs, c, &err) < 0) {
			log_warn("container %s: start (restart policy %s): %s",
			    c->id, p.kind == RESTART_ALWAYS ? "always" :
			    "unless-stopped", sdc_error_msg(err));
			sdc_error_release(&err);
		} else
			log_info("container %s: started (restart policy)", c->id);
	}
}
