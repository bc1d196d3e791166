/*
 * facts.c: what this node has, as it registers: memory, CPUs, the size
 * of the file system under its zones root, the runtime.
 *
 * These are the figures placement weighs packages against and `docker
 * info` adds up over the data center, so they are the machine's own
 * (machine_size_read(), the one reading a head without a node places
 * by too, and statvfs), read at each registration; the
 * zones root need not exist yet (a fresh node), and then the nearest
 * folder above it that does is measured.  The zones root itself is
 * told too, absolute: the heads make the paths docker inspect shows of a
 * container (LogPath, HostsPath, ...) from the node's root, not their own.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent.h"
#include "machine.h"
#include "xalloc.h"

static int64_t
facts_disk(const char *zones)
{
	char *p = xstrdup(zones), *slash;
	struct statvfs sv;
	int64_t bytes = 0;

	for (;;) {
		if (statvfs(p, &sv) == 0) {
			bytes = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
			break;
		}
		if ((slash = strrchr(p, '/')) == NULL || slash == p)
			break;
		*slash = '\0';
	}
	if (bytes == 0 && statvfs("/", &sv) == 0)
		bytes = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
	free(p);
	return bytes;
}

/* The zones root as an absolute path (the agent's --zones may be
 * relative to the folder it started in). */
static char *
facts_zones(const char *zones)
{
	char cwd[4096], *p;

	if (zones[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return xstrdup(zones);
	xasprintf(&p, "%s/%s", cwd, zones);
	return p;
}

int
agent_facts(struct agent *a, sdc_error_t *err)
{
	struct node *n = &a->self;
	struct machine_size m;

	if (machine_size_read(&m, err) < 0)
		return -1;
	n->memory = m.memory;
	n->cpus = m.cpus;
	n->disk = facts_disk(a->opt->zones);
	free(n->hostname);
	n->hostname = xstrdup(a->opt->hostname);
	free(n->address);
	n->address = xstrdup(a->opt->address);
	free(n->runtime);
	n->runtime = xstrdup(a->opt->runtime);
	n->heartbeat_interval_ms = a->opt->heartbeat_ms;
	free(n->vtep);
	n->vtep = xstrdup(agent_options_vtep(a->opt) ?: "");
	free(n->zones);
	n->zones = facts_zones(a->opt->zones);
	return 0;
}
