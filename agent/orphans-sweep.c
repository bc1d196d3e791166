/*
 * orphans-sweep.c: containers made on this node for a create no head
 * recorded, taken back.
 *
 * A head asks the node to make a container, then writes the container's
 * row once the agent answered (dockerapi/api/containers-create.c).  A
 * head killed between the two leaves the node a container no head knows:
 * the head's own list of creates it lost track of (dockerapi/
 * node-create.c) died with it, and no other head ever heard of that
 * create.  Nothing would remove it, its name would be free for another
 * create, its disk and memory counted on the node by nobody.
 *
 * So every half orphan_grace (half a second to a minute) the agent looks
 * at its never-started containers (a head records a container before it
 * starts it, so only those can lack a row) whose folder has not changed
 * for orphan_grace, and asks the store for each one's row; one with no
 * row is removed, as a forced DELETE would.  A create still being made
 * here (its DATA/creating mark) is left alone, and a pass the store
 * cannot answer removes nothing.  orphan_grace (60 s by default) is
 * longer than a head takes between the agent's answer and its row.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "agent.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

/* 1 a row, 0 none, -1 the store did not answer. */
static int
orphans_has_row(struct agent *a, const char *uuid, sdc_error_t *err)
{
	struct store_stmt *s;
	int rc;

	if (store_prepare(a->store, &s, "SELECT 1 FROM containers WHERE "
	    "uuid = ?", err) < 0)
		return -1;
	rc = store_bind_text(s, 1, uuid, err) < 0 ? -1 : store_step(s, err);
	store_finalize(s);
	return rc;
}

/* Seconds since the container's folder last changed; -1 none. */
static int64_t
orphans_age(struct agent *a, const char *uuid, time_t now)
{
	struct stat st;
	char *dir;
	time_t t;
	int rc;

	xasprintf(&dir, "%s/%s", a->rt.zones, uuid);
	rc = stat(dir, &st);
	free(dir);
	if (rc < 0)
		return -1;
	t = st.st_mtime > st.st_ctime ? st.st_mtime : st.st_ctime;
	return now > t ? (int64_t)(now - t) : 0;
}

static void
orphans_run(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	sdc_error_t err = NULL;
	struct rt_state st;
	time_t now = time(NULL);
	char **ids;
	size_t n;
	int64_t age;
	int rc;

	(void)fd;
	(void)what;
	if (rt_list(&a->rt, &ids, &n, &err) < 0) {
		sdc_error_release(&err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (agent_create_underway(a, ids[i]) ||
		    rt_state_read(&a->rt, ids[i], &st, &err) < 0 ||
		    st.status != RT_CREATED ||
		    (age = orphans_age(a, ids[i], now)) < 0 ||
		    age * 1000 < a->opt->orphan_grace_ms) {
			sdc_error_release(&err);
			continue;
		}
		if ((rc = orphans_has_row(a, ids[i], &err)) < 0) {
			log_debug("orphans: the store did not answer: %s",
			    sdc_error_msg(err));
			sdc_error_release(&err);
			break;          /* nothing removed on a guess */
		}
		if (rc == 1)
			continue;
		agent_net_down(a, ids[i], NULL);
		if (rt_delete(&a->rt, ids[i], true, &err) < 0) {
			log_warn("container %s: no head recorded its create; "
			    "not removed: %s", ids[i], sdc_error_msg(err));
			sdc_error_release(&err);
			continue;
		}
		log_warn("container %s: no head recorded its create (made %lld "
		    "s ago): taken back", ids[i], (long long)age);
	}
	rt_list_free(ids, n);
}

void
agent_orphans_sweep_start(struct agent *a)
{
	a->orphan_sweep = agent_sweep_timer(a, a->opt->orphan_grace_ms, 60000,
	    orphans_run);
}

void
agent_orphans_sweep_stop(struct agent *a)
{
	agent_sweep_timer_stop(&a->orphan_sweep);
}
