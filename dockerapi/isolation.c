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
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "containers.h"
#include "fsutil.h"
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

/* Raise one /proc/sys/kernel/keys setting to at least floor; never lower. */
static void
key_quota_floor(const char *name, long floor)
{
	struct buf b = BUF_INIT;
	sdc_error_t err = NULL;
	char path[64], value[32];
	long now;
	int fd, n;

	snprintf(path, sizeof path, "/proc/sys/kernel/keys/%s", name);
	if (file_read(path, &b, 64, &err) < 0) {
		log_warn("kernel.keys.%s: %s", name, sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	now = strtol(buf_str(&b), NULL, 10);
	buf_free(&b);
	if (now >= floor)
		return;
	n = snprintf(value, sizeof value, "%ld\n", floor);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || fd_write_all(fd, value, (size_t)n) < 0)
		log_warn("kernel.keys.%s: cannot raise %ld to %ld: %s", name, now,
		    floor, strerror(errno));
	else
		log_info("kernel.keys.%s raised from %ld to %ld (one uid per "
		    "account)", name, now, floor);
	if (fd >= 0)
		close(fd);
}

/* All of an account's containers run as its one host uid, and runc gives
 * each a session keyring: the kernel's per-uid key quota (200 keys and
 * 20000 bytes by default) stops an account near 200 containers with
 * "unable to create session key: disk quota exceeded".  The floor fits
 * thousands of containers; the quota still bounds what one account can
 * pin in kernel memory (2 MB). */
static void
isolation_key_quota(void)
{
	key_quota_floor("maxkeys", 20000);
	key_quota_floor("maxbytes", 2000000);
}

void
isolation_init(struct containers *cs)
{
	if (!isolation_bench_without("userns"))
		isolation_key_quota();
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
