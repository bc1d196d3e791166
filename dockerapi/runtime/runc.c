/*
 * runc.c: running the OCI runtime for the short commands (pause, resume,
 * delete), from the library, through lib/run-command: the runtime's
 * stderr becomes the error message as it stands, since runc's wording is
 * what a user can act on, and a runtime that hangs is killed after
 * rt_config.timeout_ms (a minute by default) rather than holding the
 * daemon; the error then says so (errno ETIMEDOUT).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "run-command.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

int
rt_runc(const struct rt_config *cfg, const char *const *args, sdc_error_t *err)
{
	const char *argv[16];
	struct run_command rc = { .argv = argv,
	    .timeout_ms = rt_timeout_ms(cfg) };
	int n = 0, r;

	argv[n++] = rt_runtime(cfg);
	argv[n++] = "--root";
	argv[n++] = rt_runtime_root(cfg);
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	r = run_command(&rc, err);
	if (r < 0 && *err != NULL && (*err)->errnum == ETIMEDOUT)
		sdc_make_error(err, ETIMEDOUT, "the OCI runtime (%s %s) did not "
		    "answer within %d s and was killed", rt_runtime_name(cfg),
		    argv[3], rt_timeout_ms(cfg) / 1000);
	return r;
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
