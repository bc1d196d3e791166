/*
 * logconfig.c: HostConfig.LogConfig, checked as Triton checked it.
 *
 * Five drivers exist (json-file, syslog, gelf, fluentd, none); an account
 * may use those in ENABLED_LOG_DRIVERS.  Each driver has a table of the
 * --log-opt names it takes and which of them are required; the network
 * drivers' own options and addresses are logship.c's (checked here at
 * create, judged again at each start, sent to by the monitor).  Whatever the driver, the monitor writes stdio.log (but
 * for `none`): its rotation size is the container's own max-size when
 * json-file was given one, else DEFAULT_MAX_LOG_SIZE, which is read
 * again whenever it changes and pushed to every running container that
 * follows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "jsonutil.h"
#include "log.h"

#define LOG_DEFAULT_SIZE 50000000

struct log_driver {
	const char *name;
	const char *const opts[10];
	const char *required;		/* an option that must be given */
};

static const struct log_driver log_drivers[] = {
	{ "json-file", { "max-size", "max-file", "labels", "env", NULL },
	    NULL },
	{ "syslog", { "syslog-address", "syslog-facility", "syslog-format",
	    "tag", NULL }, "syslog-address" },
	{ "gelf", { "gelf-address", "gelf-compression-type",
	    "gelf-compression-level", "tag", "labels", "env", NULL },
	    "gelf-address" },
	{ "fluentd", { "fluentd-address", "fluentd-async-connect",
	    "fluentd-buffer-limit", "fluentd-retry-wait", "fluentd-max-retries",
	    "tag", "labels", "env", NULL }, "fluentd-address" },
	{ "none", { NULL }, NULL },
};

static const struct log_driver *
log_driver_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof log_drivers / sizeof log_drivers[0]; i++)
		if (strcmp(log_drivers[i].name, name) == 0)
			return &log_drivers[i];
	return NULL;
}

static bool
log_driver_enabled(struct dockerapi *d, const char *name)
{
	const char *list = tunable_str(d, "ENABLED_LOG_DRIVERS", "json-file");
	size_t n = strlen(name);
	const char *p;

	for (p = list; *p != '\0'; p += strcspn(p, ",")) {
		p += strspn(p, ", ");
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == ' ' ||
		    p[n] == '\0'))
			return true;
	}
	return false;
}

static bool
log_opt_known(const struct log_driver *drv, const char *opt)
{
	const char *const *o;

	for (o = drv->opts; *o != NULL; o++)
		if (strcmp(*o, opt) == 0)
			return true;
	return false;
}

/* Docker's units for max-size: "10k", "20m", "1g", or bytes. */
static int64_t
log_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	int64_t mult = 1;

	if (end == s || v <= 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': mult = 1024; end++; break;
	case 'm': case 'M': mult = 1024 * 1024; end++; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; end++; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	return *end == '\0' ? (int64_t)(v * (double)mult) : -1;
}

static int
log_check_opts(const struct log_driver *drv, const json_t *opts,
    struct logconfig *out, sdc_error_t *err)
{
	const char *key, *v;
	json_t *val;
	char *end;

	json_object_foreach((json_t *)opts, key, val) {
		if (!log_opt_known(drv, key))
			return sdc_make_error_code(err, 422, "unknown log opt "
			    "'%s' for %s log driver", key, drv->name);
		if ((v = json_string_value(val)) == NULL)
			return sdc_make_error_code(err, 422, "log opt '%s' must "
			    "be a string", key);
		if (strcmp(key, "max-size") == 0 &&
		    (out->max_size = log_size(v)) < 0)
			return sdc_make_error_code(err, 422, "invalid log opt "
			    "max-size \"%s\": expected a size like 10k, 20m "
			    "or 1g", v);
		if (strcmp(key, "max-file") == 0 &&
		    ((out->max_file = (int)strtol(v, &end, 10)) < 1 || *end != '\0'))
			return sdc_make_error_code(err, 422, "invalid log opt "
			    "max-file \"%s\": max-file cannot be less than 1", v);
	}
	/* max-file alone is dockerd's too: the files then rotate at the
	 * operator's DEFAULT_MAX_LOG_SIZE. */
	if (drv->required != NULL && json_object_get(opts, drv->required) == NULL)
		return sdc_make_error_code(err, 422, "log opt '%s' is required "
		    "for the %s log driver", drv->required, drv->name);
	return 0;
}

int
logconfig_validate(struct dockerapi *d, json_t *hc, struct logconfig *out,
    sdc_error_t *err)
{
	json_t *lc = json_object_get(hc, "LogConfig"), *opts;
	const char *type = json_str(lc, "Type", "");
	const struct log_driver *drv;

	memset(out, 0, sizeof *out);
	if (*type == '\0')
		type = "json-file";
	if ((drv = log_driver_find(type)) == NULL)
		return sdc_make_error_code(err, 400, "logger: no log driver "
		    "named '%s' is registered", type);
	if (!log_driver_enabled(d, type))
		return sdc_make_error_code(err, 422, "Log driver \"%s\" is not "
		    "enabled (enabled: %s)", type,
		    tunable_str(d, "ENABLED_LOG_DRIVERS", "json-file"));
	opts = json_object_get(lc, "Config");
	if (opts != NULL && !json_is_null(opts) && !json_is_object(opts))
		return sdc_make_error_code(err, 400, "LogConfig.Config must be "
		    "an object");
	if (json_is_object(opts) && log_check_opts(drv, opts, out, err) < 0)
		return -1;
	if (logship_check(d, NULL, type, opts, err) < 0)
		return -1;
	snprintf(out->driver, sizeof out->driver, "%s", type);
	out->no_log = strcmp(type, "none") == 0;
	json_object_set_new(hc, "LogConfig", json_pack("{s:s,s:o}", "Type",
	    type, "Config", json_is_object(opts) ? json_incref(opts) :
	    json_object()));
	return 0;
}

void
logconfig_of(const struct ctr *c, struct logconfig *out)
{
	const json_t *lc = json_object_get(c->host_config, "LogConfig");

	memset(out, 0, sizeof *out);
	snprintf(out->driver, sizeof out->driver, "%s",
	    json_str(lc, "Type", "json-file"));
	out->no_log = strcmp(out->driver, "none") == 0;
	out->max_size = json_int(c->extra, "LogMaxSize", 0);
	out->max_file = (int)json_int(c->extra, "LogMaxFile", 0);
}

int64_t
logconfig_max_size(struct dockerapi *d, const struct logconfig *lc)
{
	return lc->max_size > 0 ? lc->max_size :
	    tunable_int(d, "DEFAULT_MAX_LOG_SIZE", LOG_DEFAULT_SIZE);
}

/*
 * The container's logs count against its disk: LOG_DISK_PERCENT of the
 * package's disk is theirs (stdio.log and every rotated file together),
 * and the writable layer gets the rest (api/containers-create.c), so the two
 * never take more than the package's disk.  The share is fixed at create
 * (LogDiskBytes in the row); containers made before it existed get the
 * share of their DiskMiB as the tunable says now.
 */
int64_t
logconfig_disk_share(struct dockerapi *d, int64_t disk_mib, bool no_log)
{
	json_int_t pct = tunable_int(d, "LOG_DISK_PERCENT", 10);

	if (no_log || disk_mib <= 0 || pct <= 0)
		return 0;
	if (pct > 100)
		pct = 100;
	return disk_mib * 1024 * 1024 / 100 * pct;
}

int64_t
logconfig_budget(struct dockerapi *d, const struct ctr *c)
{
	json_t *v = json_object_get(c->extra, "LogDiskBytes");

	if (json_is_integer(v))
		return json_integer_value(v);
	return logconfig_disk_share(d, json_int(c->extra, "DiskMiB", 0), false);
}

/* DEFAULT_MAX_LOG_SIZE moved: tell every running container that uses it. */
static void
logconfig_changed(struct dockerapi *d, void *arg)
{
	static int64_t last = -1;
	int64_t size = tunable_int(d, "DEFAULT_MAX_LOG_SIZE", LOG_DEFAULT_SIZE);
	struct containers *cs = d->containers;
	sdc_error_t err = NULL;
	struct logconfig lc;
	struct ctr *c;

	if (size == last || cs == NULL)
		return;
	last = size;
	for (c = cs->list; c != NULL; c = c->next) {
		logconfig_of(c, &lc);
		if (!ctr_running(c) || lc.no_log || lc.max_size > 0)
			continue;
		if (rt_log_limits(&cs->rt, c->uuid, size, lc.max_file,
		    logconfig_budget(d, c), &err) < 0) {
			log_warn("container %s: new log size: %s", c->id,
			    sdc_error_msg(err));
			sdc_error_release(&err);
		}
	}
}

void
logconfig_init(struct dockerapi *d)
{
	logconfig_changed(d, NULL);
	tunables_on_change(d, logconfig_changed, NULL);
}
