/*
 * sdc-docker-nethook: the runtime's createRuntime hook that gives a
 * container its networks before its process starts.
 *
 * runc runs it in the host's namespaces once it has made the container's
 * (its network namespace inside the account's user namespace), before
 * pivot_root, with the container's state (OCI JSON, "pid" its init) on
 * stdin:  sdc-docker-nethook <plan file>.  The plan (dockerapi/net/plan.c)
 * is written by dockerapi in the container's folder before each start;
 * the hook binds the namespace as the container's sandbox and attaches
 * every endpoint.  A failure exits 1 with the reason on stderr, which
 * runc reports, failing the start.  A process of its own, not the daemon:
 * the daemon's loop may be waiting for the runtime at that moment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "dockerapi/net/net.h"

#define STATE_MAX (1 << 20)

/* The container's init pid from the state on stdin. */
static pid_t
nethook_pid(sdc_error_t *err)
{
	struct buf text = { NULL, 0, 0 };
	json_t *st = NULL;
	json_int_t pid = 0;

	if (file_read("/dev/stdin", &text, STATE_MAX, err) < 0 ||
	    (st = json_parse(buf_str(&text), text.len, err)) == NULL)
		sdc_error_wrap(err, "the container's state on stdin");
	else if (json_int_req(st, "pid", &pid, err) < 0)
		sdc_error_wrap(err, "the container's state on stdin");
	else if (pid <= 0)
		sdc_make_error(err, 0, "the container's state on stdin: pid "
		    "%lld", (long long)pid);
	json_decref(st);
	buf_free(&text);
	return (pid_t)pid;
}

int
main(int argc, char **argv)
{
	sdc_error_t err = NULL;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: sdc-docker-nethook PLAN < STATE\n");
		return 2;
	}
	if ((pid = nethook_pid(&err)) <= 0 ||
	    net_plan_apply(argv[1], pid, &err) < 0) {
		fprintf(stderr, "networks of the container: %s\n",
		    sdc_error_msg(err));
		sdc_error_release(&err);
		return 1;
	}
	return 0;
}
