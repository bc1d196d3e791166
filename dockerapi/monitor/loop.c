/*
 * loop.c: a poll() loop with one housekeeping tick.
 *
 * The monitor watches at most a few dozen descriptors, so a fixed table
 * scanned on each pass costs less than any event library would in code
 * and memory.  The tick runs only while it is wanted (a partial log line
 * waits, or output is draining), so an idle monitor never wakes up.  Callbacks may add and remove entries while the loop runs:
 * a removed entry is marked and skipped, and the table is compacted only
 * between passes.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "monitor.h"

#define LOOP_MAX 48

struct loop_entry {
	int fd;
	short events;
	loop_cb cb;
	void *arg;
};

static struct loop_entry loop_table[LOOP_MAX];
static int loop_count;
static bool loop_stop;
static int loop_tick_ms;
static void (*loop_tick_cb)(void);
static bool (*loop_tick_wanted)(void);

static struct loop_entry *
loop_find(int fd)
{
	int i;

	for (i = 0; i < loop_count; i++)
		if (loop_table[i].fd == fd)
			return &loop_table[i];
	return NULL;
}

void
loop_add(int fd, short events, loop_cb cb, void *arg)
{
	struct loop_entry *e;

	if ((e = loop_find(fd)) == NULL) {
		if (loop_count == LOOP_MAX)
			return;
		e = &loop_table[loop_count++];
	}
	e->fd = fd;
	e->events = events;
	e->cb = cb;
	e->arg = arg;
}

void
loop_events(int fd, short events)
{
	struct loop_entry *e;

	if ((e = loop_find(fd)) != NULL)
		e->events = events;
}

void
loop_del(int fd)
{
	struct loop_entry *e;

	if ((e = loop_find(fd)) != NULL)
		e->fd = -1;
}

void
loop_tick(int ms, void (*tick)(void), bool (*wanted)(void))
{
	loop_tick_ms = ms;
	loop_tick_cb = tick;
	loop_tick_wanted = wanted;
}

void
loop_break(void)
{
	loop_stop = true;
}

static void
loop_compact(void)
{
	int i, j;

	for (i = j = 0; i < loop_count; i++)
		if (loop_table[i].fd >= 0)
			loop_table[j++] = loop_table[i];
	loop_count = j;
}

static void
loop_dispatch(struct pollfd *pfd, int n)
{
	struct loop_entry *e;
	int i;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0 || (e = loop_find(pfd[i].fd)) == NULL ||
		    e->events == 0)
			continue;
		e->cb(e->fd, pfd[i].revents, e->arg);
		if (loop_stop)
			return;
	}
}

void
loop_run(void)
{
	struct pollfd pfd[LOOP_MAX];
	long long next = 0;
	int i, n, timeout;
	bool ticking;

	while (!loop_stop) {
		loop_compact();
		for (i = n = 0; i < loop_count; i++) {
			/* A descriptor nobody wants events from is left out, so
			 * a hang-up on a paused pipe does not spin the loop. */
			pfd[n].fd = loop_table[i].events != 0 ?
			    loop_table[i].fd : -loop_table[i].fd - 1;
			pfd[n].events = loop_table[i].events;
			pfd[n++].revents = 0;
		}
		timeout = -1;
		ticking = loop_tick_ms > 0 && loop_tick_wanted();
		if (!ticking)
			next = 0;
		else {
			if (next == 0)
				next = time_mono_ms() + loop_tick_ms;
			timeout = (int)(next - time_mono_ms());
			if (timeout < 0)
				timeout = 0;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			return;
		loop_dispatch(pfd, n);
		if (ticking && time_mono_ms() >= next) {
			next = 0;
			loop_tick_cb();
		}
	}
}
