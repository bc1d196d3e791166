/*
 * oci-runtime.c: which OCI runtime runs this node's containers.
 *
 * OCI_RUNTIME names it, runc or crun (Debian's packages; OCI_RUNTIME_PATH
 * may name another binary of that kind, a wrapper say), and
 * RUNTIME_TIMEOUT bounds each of its calls.  They are read once, at the
 * daemon's start: a container's runtime state lives in that runtime's
 * state folder (/run/sdc-docker/<name>), so a change takes a restart of
 * the daemon with no container running.  The runtime is probed then
 * (rt_runtime_probe): a missing binary or a host whose cgroups it
 * refuses stops the daemon with a message saying which and why, rather
 * than failing every `docker run` later.  `docker info` and HostConfig's
 * Runtime name it.  SDC_BENCH_OCI_RUNTIME overrides OCI_RUNTIME for one
 * daemon, since bench/run's daemons share one config service.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "log.h"
#include "xalloc.h"

static const struct {
	const char *name;
	const char *path;
} oci_runtimes[] = {
	{ "runc", "/usr/sbin/runc" },
	{ "crun", "/usr/bin/crun" },
};

int
oci_runtime_init(struct containers *cs, sdc_error_t *err)
{
	struct dockerapi *d = cs->d;
	const char *name = tunable_str(d, "OCI_RUNTIME", "runc");
	const char *bench = getenv("SDC_BENCH_OCI_RUNTIME");
	const char *path = tunable_str(d, "OCI_RUNTIME_PATH", "");
	json_int_t secs = tunable_int(d, "RUNTIME_TIMEOUT", 60);
	char version[256];
	size_t i;

	/* bench/run's daemons share one config service */
	if (bench != NULL && *bench != '\0') {
		log_warn("SDC_BENCH_OCI_RUNTIME=%s over OCI_RUNTIME=%s, for "
		    "measuring only", bench, name);
		name = bench;
	}
	for (i = 0; i < sizeof oci_runtimes / sizeof oci_runtimes[0]; i++)
		if (strcmp(name, oci_runtimes[i].name) == 0)
			break;
	if (i == sizeof oci_runtimes / sizeof oci_runtimes[0])
		return sdc_make_error(err, 0, "OCI_RUNTIME: \"%s\" is neither "
		    "runc nor crun", name);
	if (*path != '\0' && path[0] != '/')
		return sdc_make_error(err, 0, "OCI_RUNTIME_PATH: \"%s\" is not "
		    "an absolute path", path);
	if (secs < 1 || secs > 3600)
		return sdc_make_error(err, 0, "RUNTIME_TIMEOUT: %lld is not "
		    "between 1 and 3600 seconds", (long long)secs);
	cs->runtime_name = oci_runtimes[i].name;
	cs->runtime_path = xstrdup(*path != '\0' ? path : oci_runtimes[i].path);
	xasprintf(&cs->runtime_root, "/run/sdc-docker/%s", cs->runtime_name);
	cs->rt.runtime = cs->runtime_path;
	cs->rt.runtime_root = cs->runtime_root;
	cs->rt.timeout_ms = (int)secs * 1000;
	if (rt_runtime_probe(&cs->rt, cs->runtime_name, version,
	    sizeof version, err) < 0)
		return -1;
	log_info("containers run under %s (%s, %s), its calls killed after "
	    "%lld s", cs->runtime_name, cs->runtime_path, version,
	    (long long)secs);
	return 0;
}

const char *
oci_runtime_name(struct dockerapi *d)
{
	/* no daemon: the options' checks alone (unit tests, fuzz_create_body) */
	struct containers *cs = d != NULL ? ctrs(d) : NULL;

	return cs != NULL && cs->runtime_name != NULL ? cs->runtime_name :
	    "runc";
}

void
oci_runtime_free(struct containers *cs)
{
	free(cs->runtime_path);
	free(cs->runtime_root);
}
