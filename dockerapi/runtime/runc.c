/*
 * runc.c: running the OCI runtime for the short commands (pause, resume,
 * delete), from the library, through lib/run-command: the runtime's
 * stderr becomes the error message as it stands, since runc's wording is
 * what a user can act on, and a runtime that hangs is killed after
 * RT_RUNC_TIMEOUT_MS rather than holding the daemon.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "run-command.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

/* pause, resume and delete take milliseconds; a minute is a hang. */
#define RT_RUNC_TIMEOUT_MS 60000

int
rt_runc(const struct rt_config *cfg, const char *const *args, sdc_error_t *err)
{
	const char *argv[16];
	struct run_command rc = { .argv = argv, .timeout_ms = RT_RUNC_TIMEOUT_MS };
	int n = 0;

	argv[n++] = rt_runtime(cfg);
	argv[n++] = "--root";
	argv[n++] = rt_runtime_root(cfg);
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	return run_command(&rc, err);
}

/* Whether the runtime still has state for id (a container it knows). */
bool
rt_runc_known(const struct rt_config *cfg, const char *id)
{
	struct stat st;
	char *path;
	bool known;

	xasprintf(&path, "%s/%s", rt_runtime_root(cfg), id);
	known = stat(path, &st) == 0;
	free(path);
	return known;
}
