/*
 * packages.c: which package a new container gets.
 *
 * The table is the PACKAGES tunable (memory and disk in MiB, vcpus as a
 * fraction of CPUs), limited to names starting with PACKAGE_PREFIX.  A
 * request has up to three aspects: memory (-m, else DEFAULT_MEMORY), CPUs
 * (--cpus, or --cpu-shares with 1024 shares to a CPU as Docker counts
 * them) and disk (--storage-opt size).  The container gets the smallest
 * package that satisfies all of them, which is the smallest that fits the
 * largest; "smallest" is by memory, then CPUs, then disk, so the order
 * the table happens to be written in does not matter.  The label
 * com.joyent.package names one outright, by name, uuid or the uuid's
 * first 8 digits, as Triton allowed.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "jsonutil.h"
#include "xalloc.h"

#define MIB (1024LL * 1024)

void
package_clear(struct package *p)
{
	free(p->name);
	free(p->uuid);
	memset(p, 0, sizeof *p);
}

static void
package_from_json(const json_t *j, struct package *p)
{
	p->name = xstrdup(json_str(j, "name", ""));
	p->uuid = xstrdup(json_str(j, "uuid", ""));
	p->memory = json_int(j, "memory", 0);
	p->vcpus = json_number_value(json_object_get(j, "vcpus"));
	p->disk = json_int(j, "disk", 0);
	p->pids = json_int(j, "pids", 0);
}

/* Every container gets a pids limit: its package's, else the default. */
static void
package_pids(struct dockerapi *d, struct package *p)
{
	if (p->pids <= 0)
		p->pids = tunable_int(d, "DEFAULT_PIDS_LIMIT", 1024);
	if (p->pids <= 0)
		p->pids = 1024;
}

static bool
package_offered(struct dockerapi *d, const json_t *j)
{
	const char *prefix = tunable_str(d, "PACKAGE_PREFIX", "");
	const char *name = json_str(j, "name", NULL);

	return name != NULL && strncmp(name, prefix, strlen(prefix)) == 0;
}

static bool
package_named(const json_t *j, const char *want)
{
	const char *uuid = json_str(j, "uuid", "");

	return strcmp(json_str(j, "name", ""), want) == 0 ||
	    strcasecmp(uuid, want) == 0 ||
	    (strlen(want) == 8 && strncasecmp(uuid, want, 8) == 0);
}

static int
package_by_label(struct dockerapi *d, const json_t *table, const char *want,
    struct package *out, sdc_error_t *err)
{
	size_t i;
	json_t *j;

	json_array_foreach(table, i, j)
		if (package_offered(d, j) && package_named(j, want)) {
			package_from_json(j, out);
			return 0;
		}
	return sdc_make_error_code(err, 422, "invalid label: package \"%s\" "
	    "(com.joyent.package) does not exist", want);
}

/* "512m", "3g", "1024" (bytes) as Docker's RAMInBytes reads them. */
static int64_t
package_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	int64_t mult = 1;

	switch (tolower((unsigned char)*end)) {
	case 'k': mult = 1024; break;
	case 'm': mult = MIB; break;
	case 'g': mult = MIB * 1024; break;
	case 't': mult = MIB * 1024 * 1024; break;
	case '\0': break;
	default: return -1;
	}
	return v < 0 ? -1 : (int64_t)(v * (double)mult);
}

struct package_req {
	int64_t memory;		/* MiB, rounded up */
	double vcpus;
	int64_t disk;		/* MiB */
};

static int
package_request(struct dockerapi *d, const json_t *hc, struct package_req *r,
    sdc_error_t *err)
{
	json_int_t mem = json_int(hc, "Memory", 0);
	json_int_t nano = json_int(hc, "NanoCpus", 0);
	json_int_t shares = json_int(hc, "CpuShares", 0);
	const char *size = json_str(json_object_get(hc, "StorageOpt"), "size",
	    NULL);
	int64_t bytes;

	memset(r, 0, sizeof *r);
	r->memory = mem > 0 ? (mem + MIB - 1) / MIB :
	    tunable_int(d, "DEFAULT_MEMORY", 1024);
	if (nano > 0)
		r->vcpus = (double)nano / 1e9;
	else if (shares > 0)
		r->vcpus = (double)shares / 1024.0;
	if (size != NULL) {
		if ((bytes = package_size(size)) < 0)
			return sdc_make_error_code(err, 400, "invalid storage "
			    "size: %s", size);
		r->disk = (bytes + MIB - 1) / MIB;
	}
	return 0;
}

static bool
package_fits(const json_t *j, const struct package_req *r)
{
	return json_int(j, "memory", 0) >= r->memory &&
	    json_number_value(json_object_get(j, "vcpus")) + 1e-9 >= r->vcpus &&
	    json_int(j, "disk", 0) >= r->disk;
}

static bool
package_smaller(const json_t *a, const json_t *b)
{
	double va = json_number_value(json_object_get(a, "vcpus"));
	double vb = json_number_value(json_object_get(b, "vcpus"));

	if (json_int(a, "memory", 0) != json_int(b, "memory", 0))
		return json_int(a, "memory", 0) < json_int(b, "memory", 0);
	if (fabs(va - vb) > 1e-9)
		return va < vb;
	return json_int(a, "disk", 0) < json_int(b, "disk", 0);
}

static int
package_none(const struct package_req *r, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	int rc;

	buf_printf(&b, "memory=%lldM", (long long)r->memory);
	if (r->vcpus > 0)
		buf_printf(&b, ", cpus=%g", r->vcpus);
	if (r->disk > 0)
		buf_printf(&b, ", disk=%lldM", (long long)r->disk);
	rc = sdc_make_error_code(err, 422, "no package supports the given "
	    "container constraints: %s", buf_str(&b));
	buf_free(&b);
	return rc;
}

int
packages_choose(struct dockerapi *d, const json_t *host_config,
    const json_t *labels, struct package *out, sdc_error_t *err)
{
	const json_t *table = json_object_get(tunables_get(d), "PACKAGES");
	const char *want = json_str(labels, "com.joyent.package", NULL);
	const json_t *best = NULL, *j;
	struct package_req r;
	size_t i;

	memset(out, 0, sizeof *out);
	if (want != NULL) {
		if (package_by_label(d, table, want, out, err) < 0)
			return -1;
		package_pids(d, out);
		return 0;
	}
	if (package_request(d, host_config, &r, err) < 0)
		return -1;
	json_array_foreach(table, i, j)
		if (package_offered(d, j) && package_fits(j, &r) &&
		    (best == NULL || package_smaller(j, best)))
			best = j;
	if (best == NULL)
		return package_none(&r, err);
	package_from_json(best, out);
	package_pids(d, out);
	return 0;
}
