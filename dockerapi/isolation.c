/*
 * isolation.c: what keeps an account's containers from the host and from
 * other accounts, as the container routes hand it to the runtime: the
 * account's user namespace (its host id range from the store, see
 * account_id_range), with the seccomp profile and Docker's capability
 * set applied by the runtime itself (dockerapi/runtime/seccomp.c,
 * bundle.c).
 *
 * Nothing a tenant sends turns these off.  The one way around them is
 * SDC_BENCH_WITHOUT in the daemon's own environment ("seccomp",
 * "userns", or both, comma-separated), which bench/run sets to measure
 * what each costs; the daemon logs a warning at start when it is set.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "log.h"

bool
isolation_bench_without(const char *what)
{
	const char *v = getenv("SDC_BENCH_WITHOUT"), *p;
	size_t n = strlen(what);

	for (p = v; p != NULL && (p = strstr(p, what)) != NULL; p += n)
		if ((p == v || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

void
isolation_init(struct containers *cs)
{
	cs->rt.no_seccomp = isolation_bench_without("seccomp");
	if (cs->rt.no_seccomp || isolation_bench_without("userns"))
		log_warn("SDC_BENCH_WITHOUT=%s: containers run without %s, "
		    "for measuring only", getenv("SDC_BENCH_WITHOUT"),
		    cs->rt.no_seccomp ? "seccomp" : "a user namespace");
}

int
isolation_idmap(struct containers *cs, const char *account,
    struct rt_idmap *out, sdc_error_t *err)
{
	uint32_t base, count;

	memset(out, 0, sizeof *out);
	if (isolation_bench_without("userns"))
		return 0;
	if (account_id_range(cs->d, account, &base, &count, err) < 0)
		return -1;
	out->uid = base;
	out->gid = base;
	out->count = count;
	return 0;
}
