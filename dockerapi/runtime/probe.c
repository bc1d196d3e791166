/*
 * probe.c: whether the configured OCI runtime can run containers here,
 * asked once at the daemon's start rather than found out at the first
 * `docker run`.
 *
 * runc and crun take the same commands and options for everything the
 * library and the monitor ask of them (run and exec --detach with a pid
 * file and a console socket, delete --force, pause, resume, update -r,
 * --root, --log, --log-format json), so the choice is a path and a
 * state folder.  What differs is the hosts they accept: crun 1.8 refuses
 * a v1/v2 hybrid whose v2 tree holds any controller ("cgroups in hybrid
 * mode not supported, drop all controllers from cgroupv2"), whatever
 * cgroup manager it is told to use, while runc 1.1 runs there.  A
 * controller sits in the v2 tree of a hybrid when no v1 hierarchy is
 * mounted with it (this build host's hugetlb: its systemd mounts none);
 * once one is (mount -t cgroup -o hugetlb cgroup <dir>), the v2 tree
 * is empty and crun runs a container there.  That is read from the
 * cgroup files here, the way crun reads it, so the daemon can say why,
 * and what to do, at its start instead of failing every start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "run-command.h"
#include "dockerapi/runtime/internal.h"

/* The controllers of a hybrid host's v2 tree ("" when it has none, or
 * the host is not a hybrid), as crun finds them. */
static void
rt_probe_hybrid_controllers(char *out, size_t len)
{
	struct statfs fs;
	FILE *f;

	out[0] = '\0';
	if (statfs("/sys/fs/cgroup", &fs) < 0 || fs.f_type == CGROUP2_SUPER_MAGIC ||
	    statfs("/sys/fs/cgroup/unified", &fs) < 0 ||
	    fs.f_type != CGROUP2_SUPER_MAGIC)
		return;
	if ((f = fopen("/sys/fs/cgroup/unified/cgroup.controllers", "re")) == NULL)
		return;
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

int
rt_runtime_probe(const struct rt_config *cfg, const char *name,
    char *version, size_t len, sdc_error_t *err)
{
	const char *argv[] = { rt_runtime(cfg), "--version", NULL };
	struct buf out = BUF_INIT;
	struct run_command rc = { .argv = argv, .timeout_ms = 10000, .out = &out };
	char ctl[256];

	if (access(rt_runtime(cfg), X_OK) < 0) {
		sdc_make_error(err, 0, "OCI_RUNTIME %s: %s is missing or not "
		    "executable (Debian's package %s installs it)", name,
		    rt_runtime(cfg), name);
		return -1;
	}
	if (run_command(&rc, err) < 0) {
		buf_free(&out);
		return sdc_error_wrap(err, "OCI_RUNTIME %s: %s --version", name,
		    rt_runtime(cfg));
	}
	snprintf(version, len, "%s", buf_str(&out));
	version[strcspn(version, "\n")] = '\0';
	buf_free(&out);
	if (strcmp(name, "crun") == 0) {
		rt_probe_hybrid_controllers(ctl, sizeof ctl);
		for (char *c = ctl; *c != '\0'; c++)
			if (*c == ' ')
				*c = ',';
		if (ctl[0] != '\0')
			return sdc_make_error(err, 0, "OCI_RUNTIME crun: this "
			    "host's cgroups refuse it: a v1/v2 hybrid whose v2 "
			    "tree (/sys/fs/cgroup/unified) holds the controllers "
			    "no v1 hierarchy has (%s), and crun then refuses "
			    "every container, whatever its cgroup manager "
			    "(\"cgroups in hybrid mode not supported, drop all "
			    "controllers from cgroupv2\"); use runc here, or "
			    "give those controllers a v1 hierarchy (mkdir "
			    "/sys/fs/cgroup/%s && mount -t cgroup -o %s cgroup "
			    "/sys/fs/cgroup/%s), or boot the host with cgroups "
			    "v2 only", ctl, ctl, ctl, ctl);
	}
	return 0;
}
