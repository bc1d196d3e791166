/*
 * pause.c: freezing and thawing a container.
 *
 * Through `runc pause` and `runc resume`, which write the freezer cgroup
 * and keep runc's own idea of the container's state in step (a later
 * `runc exec` or `runc delete` checks it).  rt_state_read() reads the
 * freezer itself, so "paused" survives a daemon restart.
 */
#include "dockerapi/runtime/internal.h"

static int
rt_pause_run(const struct rt_config *cfg, const char *id, const char *verb,
    enum rt_status want, sdc_error_t *err)
{
	const char *args[] = { verb, id, NULL };
	struct rt_state st;

	if (rt_state_read(cfg, id, &st, err) < 0)
		return -1;
	if (st.status != want)
		return sdc_make_error(err, 0, want == RT_RUNNING ?
		    "Container %s is not running" : "Container %s is not paused",
		    id);
	if (rt_runc(cfg, args, err) < 0)
		return sdc_error_wrap(err, "%s %s", verb, id);
	return 0;
}

int
rt_pause(const struct rt_config *cfg, const char *id, sdc_error_t *err)
{
	return rt_pause_run(cfg, id, "pause", RT_RUNNING, err);
}

int
rt_resume(const struct rt_config *cfg, const char *id, sdc_error_t *err)
{
	return rt_pause_run(cfg, id, "resume", RT_PAUSED, err);
}
