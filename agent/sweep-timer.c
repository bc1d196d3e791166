/*
 * sweep-timer.c: the timer the node's sweeps run by (layers-sweep.c,
 * orphans-sweep.c, execs-sweep.c).
 *
 * Each sweep takes what has been idle longer than an age of its own, so
 * it looks every half that age: nothing outlives its age by more than
 * half again.  The period is bounded below (an age of a fraction of a
 * second, for tests, must not spin the loop) and above (a day's age must
 * still be looked at within minutes of an agent's start).
 */
#include <event2/event.h>

#include "agent/agent.h"

struct event *
agent_sweep_timer(struct agent *a, int64_t age_ms, int64_t most_ms,
    void (*fn)(int, short, void *))
{
	int64_t ms = age_ms / 2;
	struct timeval tv;
	struct event *ev;

	if (age_ms <= 0)
		return NULL;    /* that sweep is off */
	ms = ms < 500 ? 500 : ms > most_ms ? most_ms : ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	ev = event_new(a->base, -1, EV_PERSIST, fn, a);
	if (ev != NULL)
		event_add(ev, &tv);
	return ev;
}

void
agent_sweep_timer_stop(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}
