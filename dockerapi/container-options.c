/*
 * container-options.c: every field of a container create body, and what
 * this daemon does with it.
 *
 * Docker's create body has some seventy fields (Config, HostConfig with
 * its Resources, NetworkingConfig; API 1.41 and the newest).  A daemon
 * that runs strangers' containers side by side must not accept one and
 * quietly do nothing: a user who asked for --pids-limit or --read-only
 * believes it is in force.  So the fields are a table, one entry a
 * field, each saying how it is handled: applied as Docker applies it,
 * applied within the package's limits or a fixed cap, refused unless at
 * its default (with why), or accepted with no effect here (with why:
 * AttachStdin says what the client attaches, Shell matters to builds).
 * Create walks the body against the table before anything is made; a
 * refusal is a 400 naming the field and the docker flag that sets it.  A
 * field at its zero value (what the docker CLI and docker-py send when the
 * user gave nothing: null, false, 0, "", [], {}) is always accepted, and a
 * field the table does not know is refused unless it is zero.
 *
 * The same table renders the list in docs/container-options.md and
 * dockerapi(8) (options_doc); a unit test checks both are what it
 * renders, and the integration test walks the table, so the code, the
 * pages and the tests cannot drift apart.
 *
 * What the checks accept is carried in struct ctr_opts into the runtime
 * spec (runtime/bundle-options.c writes it into config.json).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "containers.h"
#include "jsonutil.h"
#include "volumes.h"
#include "xalloc.h"

#define MIB (1024LL * 1024)
/* Debian's tini, bound read-only into the container for --init. */
#define OPTIONS_INIT "/usr/bin/tini-static"

struct opt_ctx {
	struct dockerapi *d;
	const json_t *hc;
	const struct package *pkg;
	struct ctr_opts *o;
	const struct ctr_option *opt;	/* the entry being checked */
};

typedef int opt_check_fn(struct opt_ctx *x, const json_t *v, sdc_error_t *err);

enum opt_how {
	OPT_APPLIED,		/* applied as Docker applies it */
	OPT_LIMITED,		/* applied within the package or a cap */
	OPT_SOME,		/* some values applied, the others refused */
	OPT_REFUSED,		/* refused unless at its default */
	OPT_INERT,		/* accepted, kept for inspect, no effect here */
};

struct ctr_option {
	const char *field;	/* "HostConfig.Privileged" */
	const char *flag;	/* the docker CLI's, or "" */
	enum opt_how how;
	opt_check_fn *check;	/* NULL: by how (refused: zero only) */
	const char *doc;	/* what happens; for a refusal, why */
	const char *ok;		/* JSON of a non-default value accepted */
	const char *bad;	/* JSON of a value refused, or NULL */
};

static const char *const opt_how_name[] = {
	[OPT_APPLIED] = "applied",
	[OPT_LIMITED] = "applied within limits",
	[OPT_SOME] = "some values refused",
	[OPT_REFUSED] = "refused",
	[OPT_INERT] = "no effect",
};

/* --- helpers --- */

/* What a client sends for "not given": null, false, 0, "", and arrays
 * or objects of nothing else (the CLI sends every field). */
bool
opt_unset(const json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (v == NULL || json_is_null(v) || json_is_false(v))
		return true;
	if (json_is_integer(v))
		return json_integer_value(v) == 0;
	if (json_is_real(v))
		return json_real_value(v) == 0;
	if (json_is_string(v))
		return json_string_length(v) == 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (!opt_unset(e))
				return false;
		return true;
	}
	if (!json_is_object(v))
		return false;		/* true */
	json_object_foreach((json_t *)v, k, e)
		if (!opt_unset(e))
			return false;
	return true;
}

static int
opt_fail(struct opt_ctx *x, sdc_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "HostConfig.PidsLimit (--pids-limit): ..." */
int
opt_field_vfail(sdc_error_t *err, const char *field, const char *flag,
    const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;
	char *text;
	int rc;

	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	buf_puts(&b, field);
	if (flag[0] != '\0')
		buf_printf(&b, " (%s)", flag);
	buf_printf(&b, ": %s", text != NULL ? text : "invalid");
	rc = sdc_make_error_code(err, 400, "%s", buf_str(&b));
	free(text);
	buf_free(&b);
	return rc;
}

static int
opt_fail(struct opt_ctx *x, sdc_error_t *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = opt_field_vfail(err, x->opt->field, x->opt->flag, fmt, ap);
	va_end(ap);
	return rc;
}

/* The entry's own reason, for a value it refuses. */
static int
opt_refuse(struct opt_ctx *x, const char *value, sdc_error_t *err)
{
	if (value != NULL)
		return opt_fail(x, err, "\"%s\" is not supported: %s", value,
		    x->opt->doc);
	return opt_fail(x, err, "not supported: %s", x->opt->doc);
}

static int
opt_want_string(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return opt_fail(x, err, "must be a string");
	return 0;
}

static int
opt_want_strings(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_t *e;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return opt_fail(x, err, "must be an array of strings");
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return opt_fail(x, err, "must be an array of strings");
	return 0;
}

static int
opt_want_int(struct opt_ctx *x, const json_t *v, json_int_t min,
    json_int_t max, json_int_t *out, sdc_error_t *err)
{
	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return opt_fail(x, err, "must be an integer");
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return opt_fail(x, err, "%lld is out of range (%lld to %lld)",
		    (long long)*out, (long long)min, (long long)max);
	return 0;
}

static int64_t
opt_memory(const struct opt_ctx *x)
{
	return x->pkg->memory * MIB;
}

int64_t
opt_size(const char *s)
{
	char *end;
	double v;
	int64_t mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtod(s, &end);
	switch (tolower((unsigned char)*end)) {
	case 'k': mult = 1024; break;
	case 'm': mult = MIB; break;
	case 'g': mult = MIB * 1024; break;
	case '\0': break;
	default: return -1;
	}
	if (*end != '\0' && end[1] != '\0' &&
	    (tolower((unsigned char)end[1]) != 'b' || end[2] != '\0'))
		return -1;
	v *= (double)mult;
	/* 2^63 and more (or inf) has no int64_t: converting it is undefined */
	if (!(v < 9223372036854775808.0))
		return -1;
	return (int64_t)v;
}

/* --- fields with checks of their own --- */

static int
opt_string(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	return opt_want_string(x, v, err);
}

static int
opt_strings(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	return opt_want_strings(x, v, err);
}

static int
opt_bool(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v))
		return opt_fail(x, err, "must be true or false");
	return 0;
}

static int
opt_null_only(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	if (v == NULL || json_is_null(v))
		return 0;
	return opt_refuse(x, NULL, err);
}

/* A string whose default is one of "", and the words in ok; the words in
 * no are refused with the entry's reason; others are invalid. */
static int
opt_mode(struct opt_ctx *x, const json_t *v, const char *const *ok,
    sdc_error_t *err)
{
	const char *s;

	if (opt_want_string(x, v, err) < 0)
		return -1;
	s = json_string_value(v);
	if (s == NULL || *s == '\0')
		return 0;
	for (; *ok != NULL; ok++)
		if (strcmp(s, *ok) == 0)
			return 0;
	return opt_refuse(x, s, err);
}

static int
opt_private_only(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	static const char *const ok[] = { "private", NULL };

	return opt_mode(x, v, ok, err);
}

static int
opt_ipc_mode(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	static const char *const ok[] = { "private", "shareable", NULL };

	return opt_mode(x, v, ok, err);
}

static int
opt_isolation(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	static const char *const ok[] = { "default", NULL };

	return opt_mode(x, v, ok, err);
}

static int
opt_runtime(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	const char *const ok[] = { oci_runtime_name(x->d), NULL };

	return opt_mode(x, v, ok, err);
}

static int
opt_cgroupns(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	if (opt_private_only(x, v, err) < 0)
		return -1;
	x->o->cgroupns = json_string_value(v) != NULL &&
	    strcmp(json_string_value(v), "private") == 0;
	return 0;
}

/* The network itself is checked in the caller's account by
 * container-net.c; here only what is never offered. */
static int
opt_network_mode(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	if (opt_want_string(x, v, err) < 0)
		return -1;
	if (json_string_value(v) != NULL &&
	    strcmp(json_string_value(v), "host") == 0)
		return opt_fail(x, err, "host is not supported: a container must "
		    "not share the host's network; publish ports with -p");
	return 0;
}

static int
opt_endpoints(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	if (v != NULL && !json_is_null(v) && !json_is_object(v))
		return opt_fail(x, err, "must be an object");
	return 0;
}

static int
opt_stop_signal(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	const char *s;

	if (opt_want_string(x, v, err) < 0)
		return -1;
	s = json_string_value(v);
	if (s != NULL && *s != '\0' && signal_parse(s) < 0)
		return opt_fail(x, err, "Invalid signal: %s", s);
	return 0;
}

static int
opt_stop_timeout(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_int_t n;

	return opt_want_int(x, v, 0, 86400, &n, err);
}

static int
opt_healthcheck(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	const json_t *test = json_object_get(v, "Test");

	if (opt_unset(v))
		return 0;
	if (json_array_size(test) == 1 && strcmp(json_string_value(
	    json_array_get(test, 0)) ?: "", "NONE") == 0)
		return 0;
	return opt_refuse(x, NULL, err);
}

static int
opt_console(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_int_t h, w;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) != 2 ||
	    opt_want_int(x, json_array_get(v, 0), 0, 65535, &h, err) < 0 ||
	    opt_want_int(x, json_array_get(v, 1), 0, 65535, &w, err) < 0) {
		if (*err == NULL)
			opt_fail(x, err, "must be [height, width]");
		return -1;
	}
	x->o->console_height = (unsigned)h;
	x->o->console_width = (unsigned)w;
	return 0;
}

static int
opt_readonly_rootfs(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	if (opt_bool(x, v, err) < 0)
		return -1;
	x->o->readonly_rootfs = json_is_true(v);
	return 0;
}

static int
opt_init(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	if (opt_bool(x, v, err) < 0)
		return -1;
	if (!json_is_true(v))
		return 0;
	if (access(OPTIONS_INIT, R_OK | X_OK) < 0)
		return opt_fail(x, err, "no init on this node (%s is missing)",
		    OPTIONS_INIT);
	x->o->init = OPTIONS_INIT;
	return 0;
}

static int
opt_oom_score(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_int_t n;

	if (opt_want_int(x, v, -1000, 1000, &n, err) < 0)
		return -1;
	if (n < 0)
		return opt_fail(x, err, "%lld is not supported: %s",
		    (long long)n, x->opt->doc);
	x->o->oom_score_adj = (int)n;
	return 0;
}

static int
opt_cpu_shares(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_int_t n;

	return opt_want_int(x, v, 0, 262144, &n, err);
}

/* A request the package is chosen from (packages.c). */
static int
opt_asked(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_int_t n;

	return opt_want_int(x, v, 0, INT64_MAX, &n, err);
}

static int
opt_within_memory(struct opt_ctx *x, const json_t *v, int64_t *out,
    sdc_error_t *err)
{
	json_int_t n;

	if (opt_want_int(x, v, 0, INT64_MAX, &n, err) < 0)
		return -1;
	if (n > opt_memory(x))
		return opt_fail(x, err, "%lld bytes is more than the package's "
		    "memory (%s, %lld MiB)", (long long)n, x->pkg->name,
		    (long long)x->pkg->memory);
	*out = n;
	return 0;
}

static int
opt_shm_size(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	return opt_within_memory(x, v, &x->o->shm_size, err);
}

static int
opt_memory_reservation(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	return opt_within_memory(x, v, &x->o->memory_reservation, err);
}

static int
opt_memory_swap(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_int_t n;

	if (opt_want_int(x, v, -1, INT64_MAX, &n, err) < 0)
		return -1;
	if (n == 0 || n == json_int(x->hc, "Memory", 0))
		return 0;
	return opt_fail(x, err, "%lld is not supported: %s", (long long)n,
	    x->opt->doc);
}

static int
opt_swappiness(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_int_t n;

	return opt_want_int(x, v, -1, 100, &n, err);
}

static int
opt_pids_limit(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_int_t n;
	int64_t cap;

	if (opt_want_int(x, v, INT64_MIN, INT64_MAX, &n, err) < 0)
		return -1;
	if (n == 0)
		return 0;
	cap = x->pkg->pids;	/* packages_choose filled it in */
	if (cap > 0 && (n < 0 || n > cap))
		return opt_fail(x, err, "%s is more than the package's limit "
		    "(%s: %lld)", n < 0 ? "unlimited" : "the value", x->pkg->name,
		    (long long)cap);
	x->o->pids_limit = n > 0 ? n : 0;
	return 0;
}

/* --- capabilities --- */

static const char *const opt_all_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE", NULL,
};

static bool
opt_in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* "net_raw", "NET_RAW" or "CAP_NET_RAW" as "CAP_NET_RAW" ("ALL" stays). */
static void
opt_cap_name(const char *in, char *out, size_t len)
{
	size_t i;

	snprintf(out, len, "%s%s", strcasecmp(in, "ALL") == 0 ||
	    strncasecmp(in, "CAP_", 4) == 0 ? "" : "CAP_", in);
	for (i = 0; out[i] != '\0'; i++)
		out[i] = (char)toupper((unsigned char)out[i]);
}

static int
opt_cap_list(struct opt_ctx *x, const json_t *v, bool add, sdc_error_t *err)
{
	char name[64];
	json_t *e;
	size_t i;

	if (opt_want_strings(x, v, err) < 0)
		return -1;
	json_array_foreach(v, i, e) {
		opt_cap_name(json_string_value(e), name, sizeof name);
		if (strcmp(name, "ALL") == 0) {
			if (add)
				return opt_refuse(x, "ALL", err);
			continue;
		}
		if (!opt_in(opt_all_caps, name))
			return opt_fail(x, err, "unknown capability: \"%s\"", name);
		if (add && !opt_in(rt_default_caps, name))
			return opt_refuse(x, name, err);
	}
	return 0;
}

static bool
opt_cap_listed(const json_t *v, const char *cap)
{
	char name[64];
	json_t *e;
	size_t i;

	json_array_foreach(v, i, e) {
		opt_cap_name(json_string_value(e), name, sizeof name);
		if (strcmp(name, cap) == 0)
			return true;
	}
	return false;
}

/* The set: Docker's default less CapDrop, plus CapAdd (only ever a
 * capability of the default set: `--cap-drop ALL --cap-add CHOWN`). */
static void
opt_caps_final(struct opt_ctx *x)
{
	const json_t *drop = json_object_get(x->hc, "CapDrop");
	const json_t *add = json_object_get(x->hc, "CapAdd");
	bool all = false;
	char name[64];
	size_t i, n = 0;
	json_t *e;

	if (json_array_size(drop) == 0 && json_array_size(add) == 0)
		return;
	json_array_foreach(drop, i, e) {
		opt_cap_name(json_string_value(e), name, sizeof name);
		all |= strcmp(name, "ALL") == 0;
	}
	for (i = 0; rt_default_caps[i] != NULL; i++)
		;
	x->o->caps = xcalloc(i + 1, sizeof *x->o->caps);
	for (i = 0; rt_default_caps[i] != NULL; i++)
		if (opt_cap_listed(add, rt_default_caps[i]) ||
		    (!all && !opt_cap_listed(drop, rt_default_caps[i])))
			x->o->caps[n++] = xstrdup(rt_default_caps[i]);
}

static int
opt_cap_add(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	return opt_cap_list(x, v, true, err);
}

static int
opt_cap_drop(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	return opt_cap_list(x, v, false, err);
}

/* --- security options, sysctls, ulimits, tmpfs, hosts, groups --- */

static int
opt_security(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	static const char *const refused[] = { "seccomp", "apparmor", "label",
	    "systempaths", "writable-cgroups", NULL };
	char key[64];
	const char *s, *val;
	size_t i, n;
	json_t *e;

	if (opt_want_strings(x, v, err) < 0)
		return -1;
	json_array_foreach(v, i, e) {
		s = json_string_value(e);
		n = strcspn(s, "=:");
		val = s[n] != '\0' ? s + n + 1 : NULL;
		snprintf(key, sizeof key, "%.*s", (int)(n < 63 ? n : 63), s);
		if (strcmp(key, "no-new-privileges") == 0) {
			if (val == NULL || strcmp(val, "true") == 0)
				x->o->no_new_privileges = true;
			else if (strcmp(val, "false") != 0)
				return opt_fail(x, err, "invalid no-new-privileges "
				    "value \"%s\"", val);
			continue;
		}
		if (opt_in(refused, key) && val != NULL)
			return opt_refuse(x, s, err);
		return opt_fail(x, err, "Invalid --security-opt: \"%s\"", s);
	}
	return 0;
}

static const char *const opt_safe_sysctls[] = {
	"kernel.shmmax", "kernel.shmall", "kernel.shmmni",
	"kernel.shm_rmid_forced", "kernel.msgmax", "kernel.msgmnb",
	"kernel.msgmni", "kernel.sem", NULL,
};

static int
opt_sysctls(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	const char *k, *val;
	size_t i = 0;
	json_t *e;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return opt_fail(x, err, "must be an object of strings");
	x->o->sysctls = xcalloc(json_object_size(v) + 1, sizeof *x->o->sysctls);
	json_object_foreach((json_t *)v, k, e) {
		if ((val = json_string_value(e)) == NULL ||
		    strpbrk(val, "\n\r") != NULL)
			return opt_fail(x, err, "the value of \"%s\" must be "
			    "a string of one line", k);
		if (strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_.-") !=
		    strlen(k) || strstr(k, "..") != NULL ||
		    (!opt_in(opt_safe_sysctls, k) &&
		    strncmp(k, "fs.mqueue.", 10) != 0 &&
		    strncmp(k, "net.", 4) != 0))
			return opt_refuse(x, k, err);
		xasprintf(&x->o->sysctls[i++], "%s=%s", k, val);
	}
	return 0;
}

/* Docker's ulimit names and the most a tenant may ask: a fixed cap, the
 * package's memory, nothing above 0 (a raised nice or rtprio would let
 * the container's processes run ahead of other tenants'), or no cap (the
 * limit binds only the container's own processes). */
#define UL_FREE 0
#define UL_MEMORY (-1)
#define UL_ZERO (-2)
static const struct {
	const char *name, *type;
	int64_t max;
} opt_ulimits[] = {
	{ "as", "RLIMIT_AS", UL_FREE }, { "core", "RLIMIT_CORE", UL_FREE },
	{ "cpu", "RLIMIT_CPU", UL_FREE }, { "data", "RLIMIT_DATA", UL_FREE },
	{ "fsize", "RLIMIT_FSIZE", UL_FREE },
	{ "locks", "RLIMIT_LOCKS", UL_FREE },
	{ "memlock", "RLIMIT_MEMLOCK", UL_MEMORY },
	{ "msgqueue", "RLIMIT_MSGQUEUE", UL_MEMORY },
	{ "nice", "RLIMIT_NICE", UL_ZERO },
	{ "nofile", "RLIMIT_NOFILE", 1048576 },
	{ "nproc", "RLIMIT_NPROC", 65536 },
	{ "rss", "RLIMIT_RSS", UL_FREE }, { "rtprio", "RLIMIT_RTPRIO", UL_ZERO },
	{ "rttime", "RLIMIT_RTTIME", UL_FREE },
	{ "sigpending", "RLIMIT_SIGPENDING", 65536 },
	{ "stack", "RLIMIT_STACK", UL_FREE },
};
#define OPT_NULIMITS (sizeof opt_ulimits / sizeof opt_ulimits[0])

static int
opt_ulimit_one(struct opt_ctx *x, const json_t *u, sdc_error_t *err)
{
	const char *name = json_str(u, "Name", "");
	json_int_t soft, hard;
	int64_t max;
	size_t i;

	for (i = 0; i < OPT_NULIMITS; i++)
		if (strcmp(opt_ulimits[i].name, name) == 0)
			break;
	if (i == OPT_NULIMITS)
		return opt_fail(x, err, "invalid ulimit type: %s", name);
	if (opt_want_int(x, json_object_get(u, "Soft"), -1, INT64_MAX, &soft,
	    err) < 0 || opt_want_int(x, json_object_get(u, "Hard"), -1,
	    INT64_MAX, &hard, err) < 0)
		return -1;
	if (soft < 0)
		soft = INT64_MAX;
	if (hard < 0)
		hard = INT64_MAX;
	if (soft > hard)
		return opt_fail(x, err, "ulimit soft limit must be less than or "
		    "equal to hard limit: %lld > %lld", (long long)soft,
		    (long long)hard);
	max = opt_ulimits[i].max;
	if (max == UL_MEMORY)
		max = opt_memory(x);
	else if (max == UL_ZERO)
		max = 0;
	if (opt_ulimits[i].max != UL_FREE && hard > max)
		return opt_fail(x, err, "%s above %lld is not allowed",
		    name, (long long)max);
	if (x->o->nrlimits < sizeof x->o->rlimits / sizeof x->o->rlimits[0]) {
		x->o->rlimits[x->o->nrlimits].type = opt_ulimits[i].type;
		x->o->rlimits[x->o->nrlimits].soft = (uint64_t)soft;
		x->o->rlimits[x->o->nrlimits].hard = (uint64_t)hard;
		x->o->nrlimits++;
	}
	return 0;
}

static int
opt_ulimit(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	json_t *u;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return opt_fail(x, err, "must be an array");
	json_array_foreach(v, i, u)
		if (opt_ulimit_one(x, u, err) < 0)
			return -1;
	return 0;
}

static const char *const opt_tmpfs_flags[] = {
	"ro", "rw", "exec", "noexec", "nosuid", "nodev", "atime", "noatime",
	"diratime", "nodiratime", "relatime", "norelatime", "strictatime",
	"nostrictatime", NULL,
};

/* One tmpfs's options, checked; the size within the package's memory
 * (a default of that much when none is given). */
static int
opt_tmpfs_options(struct opt_ctx *x, const char *dest, const char *in,
    struct buf *out, sdc_error_t *err)
{
	char *copy = xstrdup(in), *p, *save;
	bool sized = false;
	int64_t n;
	int rc = 0;

	for (p = strtok_r(copy, ",", &save); p != NULL && rc == 0;
	    p = strtok_r(NULL, ",", &save)) {
		if (strncmp(p, "size=", 5) == 0) {
			if ((n = opt_size(p + 5)) <= 0 || n > opt_memory(x))
				rc = opt_fail(x, err, "%s: size %s must be more "
				    "than 0 and at most the package's memory "
				    "(%lld MiB)", dest, p + 5,
				    (long long)x->pkg->memory);
			sized = true;
		} else if (strncmp(p, "mode=", 5) == 0 ||
		    strncmp(p, "uid=", 4) == 0 || strncmp(p, "gid=", 4) == 0 ||
		    strncmp(p, "nr_inodes=", 10) == 0) {
			if (strspn(strchr(p, '=') + 1, "0123456789kKmMgG") !=
			    strlen(strchr(p, '=') + 1) || p[strlen(p) - 1] == '=')
				rc = opt_fail(x, err, "%s: invalid option \"%s\"",
				    dest, p);
		} else if (!opt_in(opt_tmpfs_flags, p)) {
			rc = opt_fail(x, err, "%s: option \"%s\" is not "
			    "supported", dest, p);
		}
		if (rc == 0)
			buf_printf(out, "%s%s", out->len > 0 ? "," : "", p);
	}
	free(copy);
	if (rc == 0 && !sized)
		buf_printf(out, "%ssize=%lldk", out->len > 0 ? "," : "",
		    (long long)(opt_memory(x) / 1024));
	return rc;
}

/* One tmpfs at dest, its options checked. */
static int
opt_tmpfs_add(struct opt_ctx *x, const char *dest, const char *opts,
    sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (dest[0] != '/' || dest[1] == '\0' || strstr(dest, "..") ||
	    strcmp(dest, "/proc") == 0 || strncmp(dest, "/proc/", 6) == 0 ||
	    strcmp(dest, "/sys") == 0 || strncmp(dest, "/sys/", 5) == 0 ||
	    strpbrk(dest, ",\n") != NULL)
		return opt_fail(x, err, "invalid mount path \"%s\"", dest);
	for (i = 0; i < x->o->ntmpfs; i++)
		if (strcmp(x->o->tmpfs[i].destination, dest) == 0)
			return opt_fail(x, err, "Duplicate mount point: %s",
			    dest);
	if (opt_tmpfs_options(x, dest, opts, &b, err) < 0) {
		buf_free(&b);
		return -1;
	}
	x->o->tmpfs = xrealloc(x->o->tmpfs, (x->o->ntmpfs + 1) *
	    sizeof *x->o->tmpfs);
	x->o->tmpfs[x->o->ntmpfs].destination = xstrdup(dest);
	x->o->tmpfs[x->o->ntmpfs].options = xstrdup(buf_str(&b));
	x->o->ntmpfs++;
	buf_free(&b);
	return 0;
}

static int
opt_tmpfs(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	const char *dest;
	json_t *e;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return opt_fail(x, err, "must be an object of paths to options");
	json_object_foreach((json_t *)v, dest, e) {
		if (!json_is_string(e))
			return opt_fail(x, err, "the options of %s must be a "
			    "string", dest);
		if (opt_tmpfs_add(x, dest, json_string_value(e), err) < 0)
			return -1;
	}
	return 0;
}

static int
opt_extra_hosts(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	unsigned char addr[16];
	const char *s, *ip;
	char name[256];
	size_t i, n;
	json_t *e;

	if (opt_want_strings(x, v, err) < 0)
		return -1;
	json_array_foreach(v, i, e) {
		s = json_string_value(e);
		n = strcspn(s, ":=");
		ip = s[n] != '\0' ? s + n + 1 : "";
		snprintf(name, sizeof name, "%.*s", (int)(n < 255 ? n : 255), s);
		if (strcmp(ip, "host-gateway") == 0)
			return opt_refuse(x, s, err);
		if (n == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != n ||
		    (inet_pton(AF_INET, ip, addr) != 1 &&
		    inet_pton(AF_INET6, ip, addr) != 1))
			return opt_fail(x, err, "invalid IP address in "
			    "add-host: \"%s\"", s);
	}
	if (json_array_size(v) > 0)
		x->o->extra_hosts = create_strv(v);
	return 0;
}

static int
opt_group_add(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	const char *s;
	json_t *e;
	size_t i;

	if (opt_want_strings(x, v, err) < 0)
		return -1;
	json_array_foreach(v, i, e) {
		s = json_string_value(e);
		if (*s == '\0' || strpbrk(s, ":\n") != NULL)
			return opt_fail(x, err, "invalid group \"%s\"", s);
	}
	if (json_array_size(v) > 0)
		x->o->group_add = create_strv(v);
	return 0;
}

static int
opt_storage(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	const char *k;
	json_t *e;

	json_object_foreach((json_t *)v, k, e)
		if (strcmp(k, "size") != 0)
			return opt_refuse(x, k, err);
	return 0;
}

/* A check of container-volumes.c, its message under the field's name. */
static int
opt_cvol(struct opt_ctx *x, int (*check)(const json_t *, sdc_error_t *),
    const json_t *v, sdc_error_t *err)
{
	sdc_error_t e = NULL;
	int rc = 0;

	if (check(v, &e) < 0) {
		rc = opt_fail(x, err, "%s", e->msg);
		sdc_error_release(&e);
	}
	return rc;
}

/* -v NAME:/path (named volumes; host paths refused) */
static int
opt_binds(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	return opt_cvol(x, cvol_check_binds, v, err);
}

static int
opt_volumes_from(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	return opt_cvol(x, cvol_check_from, v, err);
}

static int
opt_volume_driver(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	if (opt_unset(v) || (json_is_string(v) &&
	    strcmp(json_string_value(v), "local") == 0))
		return 0;
	return opt_fail(x, err, "volume driver %s is not offered: only the "
	    "local driver is", json_is_string(v) ? json_string_value(v) :
	    "(not a string)");
}

/* A type=tmpfs mount as --tmpfs options: size, mode (octal), ro. */
static int
opt_mount_tmpfs(struct opt_ctx *x, const json_t *m, sdc_error_t *err)
{
	const json_t *to = json_object_get(m, "TmpfsOptions");
	struct buf b = BUF_INIT;
	json_int_t size = json_int(to, "SizeBytes", 0);
	json_int_t mode = json_int(to, "Mode", 0);
	const char *k;
	json_t *e;
	int rc;

	json_object_foreach((json_t *)to, k, e)
		if (strcmp(k, "SizeBytes") != 0 && strcmp(k, "Mode") != 0 &&
		    !opt_unset(e))
			return opt_fail(x, err, "tmpfs option %s is not "
			    "supported (tmpfs-size and tmpfs-mode are)", k);
	json_object_foreach((json_t *)m, k, e)
		if (strcmp(k, "Type") != 0 && strcmp(k, "Target") != 0 &&
		    strcmp(k, "ReadOnly") != 0 &&
		    strcmp(k, "TmpfsOptions") != 0 && !opt_unset(e) &&
		    !(strcmp(k, "Consistency") == 0 && json_is_string(e) &&
		    strcmp(json_string_value(e), "default") == 0))
			return opt_fail(x, err, "mount option %s is not "
			    "supported for type=tmpfs", k);
	if (size < 0 || mode < 0 || mode > 07777)
		return opt_fail(x, err, "invalid tmpfs-size or tmpfs-mode");
	if (size > 0)
		buf_printf(&b, "size=%lld", (long long)size);
	if (mode > 0)
		buf_printf(&b, "%smode=%llo", b.len > 0 ? "," : "",
		    (unsigned long long)mode);
	if (json_bool(m, "ReadOnly", false))
		buf_printf(&b, "%sro", b.len > 0 ? "," : "");
	rc = opt_tmpfs_add(x, json_str(m, "Target", ""), buf_str(&b), err);
	buf_free(&b);
	return rc;
}

/* --mount: type=volume (container-volumes.c) and type=tmpfs here. */
static int
opt_mounts(struct opt_ctx *x, const json_t *v, sdc_error_t *err)
{
	const json_t *m;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return opt_fail(x, err, "must be an array");
	json_array_foreach(v, i, m) {
		if (json_is_object(m) &&
		    strcmp(json_str(m, "Type", ""), "tmpfs") == 0) {
			if (opt_mount_tmpfs(x, m, err) < 0)
				return -1;
			continue;
		}
		if (opt_cvol(x, cvol_check_mount, m, err) < 0)
			return -1;
	}
	return 0;
}

/* --- the table --- */

#define NO_HOST "the container must not reach the host or another container"
#define PKG "the package is chosen from it (see Packages), and its limits " \
	"are the container's"

static const struct ctr_option options[] = {
	/* Config */
	{ "Config.ArgsEscaped", "", OPT_INERT, opt_bool,
	  "Windows only (how the command line is quoted)", "true", NULL },
	{ "Config.AttachStderr", "-a", OPT_INERT, opt_bool,
	  "the streams the client attaches to; the client attaches itself",
	  "true", NULL },
	{ "Config.AttachStdin", "-a", OPT_INERT, opt_bool,
	  "the streams the client attaches to; the client attaches itself",
	  "true", NULL },
	{ "Config.AttachStdout", "-a", OPT_INERT, opt_bool,
	  "the streams the client attaches to; the client attaches itself",
	  "true", NULL },
	{ "Config.Cmd", "", OPT_APPLIED, NULL,
	  "the command, merged with the image's as Docker does", "[\"true\"]",
	  NULL },
	{ "Config.Domainname", "--domainname", OPT_REFUSED, NULL,
	  "runc 1.1 sets a domain name only through /proc/sys, which the "
	  "container's user namespace may not write", NULL,
	  "\"example.com\"" },
	{ "Config.Entrypoint", "--entrypoint", OPT_APPLIED, NULL,
	  "replaces the image's entrypoint and drops its Cmd", "[\"true\"]",
	  NULL },
	{ "Config.Env", "-e", OPT_APPLIED, NULL,
	  "over the image's environment", "[\"A=b\"]", NULL },
	{ "Config.ExposedPorts", "--expose", OPT_APPLIED, NULL,
	  "merged with the image's EXPOSE; what -P publishes",
	  "{\"80/tcp\": {}}", NULL },
	{ "Config.Healthcheck", "--health-cmd", OPT_REFUSED, opt_healthcheck,
	  "health checks are not run here (Test [\"NONE\"] is accepted)",
	  "{\"Test\": [\"NONE\"]}", "{\"Test\": [\"CMD\", \"true\"]}" },
	{ "Config.Hostname", "-h", OPT_APPLIED, opt_string,
	  "the container's host name", "\"box\"", NULL },
	{ "Config.Image", "", OPT_APPLIED, NULL,
	  "the account's image by name or id", "\"busybox\"", NULL },
	{ "Config.Labels", "-l", OPT_APPLIED, NULL,
	  "the container's labels; reserved ones (triton.*, com.joyent.*) "
	  "are checked, and the image's reserved labels are dropped",
	  "{\"team\": \"blue\"}", "{\"triton.bogus\": \"1\"}" },
	{ "Config.MacAddress", "--mac-address", OPT_APPLIED, NULL,
	  "the MAC of the container's first network (else 02:42 and its "
	  "address, as Docker)", "\"02:42:ac:11:00:02\"", "\"zz\"" },
	{ "Config.NetworkDisabled", "--network none", OPT_INERT, opt_bool,
	  "checked only; --network none is what gives a container no "
	  "network", "true", NULL },
	{ "Config.OnBuild", "", OPT_INERT, opt_strings,
	  "used by image builds only", "[\"RUN true\"]", NULL },
	{ "Config.OpenStdin", "-i", OPT_APPLIED, opt_bool,
	  "the container's stdin is kept open for attach", "true", NULL },
	{ "Config.Shell", "", OPT_INERT, opt_strings,
	  "used by image builds only (commands in shell form)",
	  "[\"/bin/sh\", \"-c\"]", NULL },
	{ "Config.StdinOnce", "", OPT_APPLIED, opt_bool,
	  "the first attach's end of input closes stdin", "true", NULL },
	{ "Config.StopSignal", "--stop-signal", OPT_APPLIED, opt_stop_signal,
	  "the signal stop and restart send (the image's by default)",
	  "\"SIGHUP\"", "\"SIGNOPE\"" },
	{ "Config.StopTimeout", "--stop-timeout", OPT_APPLIED,
	  opt_stop_timeout, "the seconds stop and restart wait before SIGKILL",
	  "3", "-5" },
	{ "Config.Tty", "-t", OPT_APPLIED, opt_bool,
	  "a terminal for the container's stdio", "true", NULL },
	{ "Config.User", "-u", OPT_APPLIED, opt_string,
	  "user and group, names from the image's /etc/passwd and /etc/group",
	  "\"1000:1000\"", NULL },
	{ "Config.Volumes", "-v /path", OPT_APPLIED, NULL,
	  "an anonymous volume at each path (the image's VOLUME too) not "
	  "mounted otherwise, filled from the image; rm -v removes it",
	  "{\"/data\": {}}", "{\"data\": {}}" },
	{ "Config.WorkingDir", "-w", OPT_APPLIED, opt_string,
	  "the working folder", "\"/tmp\"", NULL },
	/* HostConfig */
	{ "HostConfig.Annotations", "--annotation", OPT_REFUSED, NULL,
	  "OCI annotations are the node's, for its runtime", NULL,
	  "{\"a\": \"b\"}" },
	{ "HostConfig.AutoRemove", "--rm", OPT_APPLIED, opt_bool,
	  "the container is removed when it exits (API 1.25 and later)",
	  "true", NULL },
	{ "HostConfig.Binds", "-v src:dst", OPT_SOME, opt_binds,
	  "named volumes (NAME:/path, then :ro, :rw or :nocopy) of the "
	  "account, made on first use and filled from the image; host "
	  "paths are not offered: " NO_HOST, "[\"data:/data:ro\"]",
	  "[\"/etc:/hostetc\"]" },
	{ "HostConfig.BlkioDeviceReadBps", "--device-read-bps", OPT_REFUSED,
	  NULL, "disk I/O limits are not offered: the writable layer is "
	  "memory-backed", NULL, "[{\"Path\": \"/dev/sda\", \"Rate\": 1}]" },
	{ "HostConfig.BlkioDeviceReadIOps", "--device-read-iops", OPT_REFUSED,
	  NULL, "disk I/O limits are not offered: the writable layer is "
	  "memory-backed", NULL, "[{\"Path\": \"/dev/sda\", \"Rate\": 1}]" },
	{ "HostConfig.BlkioDeviceWriteBps", "--device-write-bps", OPT_REFUSED,
	  NULL, "disk I/O limits are not offered: the writable layer is "
	  "memory-backed", NULL, "[{\"Path\": \"/dev/sda\", \"Rate\": 1}]" },
	{ "HostConfig.BlkioDeviceWriteIOps", "--device-write-iops",
	  OPT_REFUSED, NULL, "disk I/O limits are not offered: the writable "
	  "layer is memory-backed", NULL,
	  "[{\"Path\": \"/dev/sda\", \"Rate\": 1}]" },
	{ "HostConfig.BlkioWeight", "--blkio-weight", OPT_REFUSED, NULL,
	  "disk I/O weights are not offered: the writable layer is "
	  "memory-backed", NULL, "500" },
	{ "HostConfig.BlkioWeightDevice", "--blkio-weight-device",
	  OPT_REFUSED, NULL, "disk I/O weights are not offered: the writable "
	  "layer is memory-backed", NULL,
	  "[{\"Path\": \"/dev/sda\", \"Weight\": 10}]" },
	{ "HostConfig.CapAdd", "--cap-add", OPT_SOME, opt_cap_add,
	  "only capabilities of Docker's default set, which a --cap-drop may "
	  "have removed; others would let a container act on the host",
	  "[\"CHOWN\"]", "[\"NET_ADMIN\"]" },
	{ "HostConfig.CapDrop", "--cap-drop", OPT_APPLIED, opt_cap_drop,
	  "removed from Docker's default set (ALL: every one), also for exec",
	  "[\"NET_RAW\"]", "[\"NOPE\"]" },
	{ "HostConfig.Cgroup", "--cgroup", OPT_REFUSED, NULL, NO_HOST, NULL,
	  "\"container:x\"" },
	{ "HostConfig.CgroupParent", "--cgroup-parent", OPT_REFUSED, NULL,
	  "the node places containers' cgroups itself", NULL, "\"/x\"" },
	{ "HostConfig.CgroupnsMode", "--cgroupns", OPT_SOME, opt_cgroupns,
	  "private: a cgroup namespace of its own; host is refused: " NO_HOST,
	  "\"private\"", "\"host\"" },
	{ "HostConfig.ConsoleSize", "", OPT_APPLIED, opt_console,
	  "the TTY's first size", "[24, 80]", "[1]" },
	{ "HostConfig.ContainerIDFile", "--cidfile", OPT_INERT, opt_string,
	  "the client writes that file, not the daemon", "\"/tmp/cid\"",
	  NULL },
	{ "HostConfig.CpuCount", "--cpu-count", OPT_REFUSED, NULL,
	  "Windows only", NULL, "2" },
	{ "HostConfig.CpuPercent", "--cpu-percent", OPT_REFUSED, NULL,
	  "Windows only", NULL, "50" },
	{ "HostConfig.CpuPeriod", "--cpu-period", OPT_REFUSED, NULL,
	  "the package sets the CPU quota; ask with --cpus", NULL, "50000" },
	{ "HostConfig.CpuQuota", "--cpu-quota", OPT_REFUSED, NULL,
	  "the package sets the CPU quota; ask with --cpus", NULL, "50000" },
	{ "HostConfig.CpuRealtimePeriod", "--cpu-rt-period", OPT_REFUSED,
	  NULL, "real-time scheduling would starve the node", NULL, "1000" },
	{ "HostConfig.CpuRealtimeRuntime", "--cpu-rt-runtime", OPT_REFUSED,
	  NULL, "real-time scheduling would starve the node", NULL, "1000" },
	{ "HostConfig.CpuShares", "-c", OPT_LIMITED, opt_cpu_shares,
	  "CPUs asked, 1024 shares to a CPU: " PKG, "512", "-1" },
	{ "HostConfig.CpusetCpus", "--cpuset-cpus", OPT_REFUSED, NULL,
	  "the node places containers on its CPUs itself", NULL, "\"0\"" },
	{ "HostConfig.CpusetMems", "--cpuset-mems", OPT_REFUSED, NULL,
	  "the node places containers on its memory nodes itself", NULL,
	  "\"0\"" },
	{ "HostConfig.DeviceCgroupRules", "--device-cgroup-rule", OPT_REFUSED,
	  NULL, "host devices are not offered: " NO_HOST, NULL,
	  "[\"c 1:3 rwm\"]" },
	{ "HostConfig.DeviceRequests", "--gpus", OPT_REFUSED, NULL,
	  "host devices are not offered: " NO_HOST, NULL,
	  "[{\"Count\": -1, \"Capabilities\": [[\"gpu\"]]}]" },
	{ "HostConfig.Devices", "--device", OPT_REFUSED, NULL,
	  "host devices are not offered: " NO_HOST, NULL,
	  "[{\"PathOnHost\": \"/dev/null\", \"PathInContainer\": \"/dev/x\", "
	  "\"CgroupPermissions\": \"rwm\"}]" },
	{ "HostConfig.Dns", "--dns", OPT_APPLIED, NULL,
	  "on a network, where the network's name server (on its gateway, "
	  "alone in /etc/resolv.conf) forwards the names it does not know, as "
	  "Docker's embedded DNS; with --network none, /etc/resolv.conf's "
	  "nameservers",
	  "[\"1.1.1.1\"]", "[\"not-an-address\"]" },
	{ "HostConfig.DnsOptions", "--dns-option", OPT_APPLIED, NULL,
	  "the options line of /etc/resolv.conf", "[\"ndots:1\"]", NULL },
	{ "HostConfig.DnsSearch", "--dns-search", OPT_APPLIED, NULL,
	  "the search line of /etc/resolv.conf", "[\"example.com\"]", NULL },
	{ "HostConfig.ExtraHosts", "--add-host", OPT_SOME, opt_extra_hosts,
	  "lines added to /etc/hosts; host-gateway is refused: containers "
	  "do not reach the host's services",
	  "[\"db:10.0.0.5\"]", "[\"gw:host-gateway\"]" },
	{ "HostConfig.GroupAdd", "--group-add", OPT_APPLIED, opt_group_add,
	  "supplementary groups, names from the image's /etc/group",
	  "[\"10\"]", "[\"no-such-group\"]" },
	{ "HostConfig.IOMaximumBandwidth", "--io-maxbandwidth", OPT_REFUSED,
	  NULL, "Windows only", NULL, "1000" },
	{ "HostConfig.IOMaximumIOps", "--io-maxiops", OPT_REFUSED, NULL,
	  "Windows only", NULL, "1000" },
	{ "HostConfig.Init", "--init", OPT_APPLIED, opt_init,
	  "Debian's tini runs first as /sbin/docker-init, as dockerd's "
	  "docker-init", "true", NULL },
	{ "HostConfig.IpcMode", "--ipc", OPT_SOME, opt_ipc_mode,
	  "private and shareable are an IPC namespace of its own; host, none "
	  "and container: are refused: " NO_HOST, "\"shareable\"", "\"host\"" },
	{ "HostConfig.Isolation", "--isolation", OPT_SOME, opt_isolation,
	  "default only: the others are Windows'", "\"default\"",
	  "\"hyperv\"" },
	{ "HostConfig.KernelMemory", "--kernel-memory", OPT_REFUSED, NULL,
	  "kernel memory limits are deprecated by the kernel", NULL,
	  "4194304" },
	{ "HostConfig.KernelMemoryTCP", "", OPT_REFUSED, NULL,
	  "kernel memory limits are deprecated by the kernel", NULL,
	  "4194304" },
	{ "HostConfig.Links", "--link", OPT_SOME, NULL,
	  "the account's own containers only: /etc/hosts entries as Docker's "
	  "legacy links (no environment variables)", NULL,
	  "[\"nobody:alias\"]" },
	{ "HostConfig.LogConfig", "--log-driver", OPT_APPLIED, NULL,
	  "the drivers ENABLED_LOG_DRIVERS allows, their options checked; "
	  "syslog, gelf and fluentd send to their address (judged as a "
	  "registry's, LOG_ALLOW_PRIVATE) from the monitor",
	  "{\"Type\": \"json-file\", \"Config\": {\"max-size\": \"1m\"}}",
	  "{\"Type\": \"bogus\"}" },
	{ "HostConfig.MaskedPaths", "--security-opt systempaths", OPT_REFUSED,
	  opt_null_only, "the masked /proc and /sys paths are the node's",
	  NULL, "[]" },
	{ "HostConfig.Memory", "-m", OPT_LIMITED, opt_asked,
	  "memory asked: " PKG, "268435456", "-1" },
	{ "HostConfig.MemoryReservation", "--memory-reservation", OPT_LIMITED,
	  opt_memory_reservation, "a soft limit, at most the package's memory",
	  "67108864", "1099511627776" },
	{ "HostConfig.MemorySwap", "--memory-swap", OPT_SOME, opt_memory_swap,
	  "swap is not offered: only 0 or the same as Memory", NULL, "-1" },
	{ "HostConfig.MemorySwappiness", "--memory-swappiness", OPT_INERT,
	  opt_swappiness, "checked (0 to 100); no swap is offered, so it "
	  "changes nothing", "10", "101" },
	{ "HostConfig.Mounts", "--mount", OPT_SOME, opt_mounts,
	  "type=volume (src, dst, readonly, volume-nocopy, volume-label) "
	  "and type=tmpfs (tmpfs-size, tmpfs-mode, within the package's "
	  "memory); type=bind and volume-opt are refused: host paths are not "
	  "offered: " NO_HOST,
	  "[{\"Type\": \"volume\", \"Source\": \"data\", \"Target\": \"/x\"}]",
	  "[{\"Type\": \"bind\", \"Source\": \"/etc\", \"Target\": \"/x\"}]" },
	{ "HostConfig.NanoCpus", "--cpus", OPT_LIMITED, opt_asked,
	  "CPUs asked: " PKG, "500000000", "-1" },
	{ "HostConfig.NetworkMode", "--network", OPT_SOME, opt_network_mode,
	  "default and bridge (the account's default network), the account's "
	  "networks by name or id, none, container:<id> of the same account; "
	  "host is refused: " NO_HOST, "\"none\"", "\"host\"" },
	{ "HostConfig.OomKillDisable", "--oom-kill-disable", OPT_REFUSED,
	  NULL, "the node must be able to reclaim a container's memory",
	  NULL, "true" },
	{ "HostConfig.OomScoreAdj", "--oom-score-adj", OPT_SOME,
	  opt_oom_score, "0 to 1000 applied; below 0 would make other "
	  "tenants' containers die first", "500", "-500" },
	{ "HostConfig.PidMode", "--pid", OPT_REFUSED, opt_private_only,
	  "host and container: are refused: " NO_HOST, NULL, "\"host\"" },
	{ "HostConfig.PidsLimit", "--pids-limit", OPT_LIMITED, opt_pids_limit,
	  "applied; at most the package's pids limit (its pids in PACKAGES, "
	  "else DEFAULT_PIDS_LIMIT); more, or unlimited, is refused", "100",
	  NULL },
	{ "HostConfig.PortBindings", "-p", OPT_APPLIED, NULL,
	  "published on the host's addresses (IPv4, tcp and udp, one port "
	  "each); a port is held while the container runs, by one container "
	  "of one account", "{\"80/tcp\": [{\"HostPort\": \"8080\"}]}",
	  "{\"80/tcp\": [{\"HostPort\": \"99999\"}]}" },
	{ "HostConfig.Privileged", "--privileged", OPT_REFUSED, NULL, NO_HOST,
	  NULL, "true" },
	{ "HostConfig.PublishAllPorts", "-P", OPT_APPLIED, opt_bool,
	  "every exposed port on a free port of NETWORK_EPHEMERAL_PORTS",
	  "true", NULL },
	{ "HostConfig.ReadonlyPaths", "--security-opt systempaths",
	  OPT_REFUSED, opt_null_only, "the read-only /proc paths are the "
	  "node's", NULL, "[]" },
	{ "HostConfig.ReadonlyRootfs", "--read-only", OPT_APPLIED,
	  opt_readonly_rootfs, "the root filesystem is mounted read-only",
	  "true", NULL },
	{ "HostConfig.RestartPolicy", "--restart", OPT_APPLIED, NULL,
	  "no, always, unless-stopped, on-failure[:N] as Docker applies them",
	  "{\"Name\": \"on-failure\", \"MaximumRetryCount\": 2}",
	  "{\"Name\": \"sometimes\"}" },
	{ "HostConfig.Runtime", "--runtime", OPT_SOME, opt_runtime,
	  "the node's runtime only (OCI_RUNTIME: runc or crun)", "\"runc\"",
	  "\"runsc\"" },
	{ "HostConfig.SecurityOpt", "--security-opt", OPT_SOME, opt_security,
	  "no-new-privileges applied; seccomp, apparmor, label, systempaths "
	  "and writable-cgroups are refused: the node's confinement holds",
	  "[\"no-new-privileges\"]", "[\"seccomp=unconfined\"]" },
	{ "HostConfig.ShmSize", "--shm-size", OPT_LIMITED, opt_shm_size,
	  "the size of /dev/shm, at most the package's memory",
	  "16777216", "1099511627776" },
	{ "HostConfig.StorageOpt", "--storage-opt", OPT_SOME, opt_storage,
	  "size only: disk asked, the package is chosen from it", NULL,
	  "{\"dm.basesize\": \"1G\"}" },
	{ "HostConfig.Sysctls", "--sysctl", OPT_SOME, opt_sysctls,
	  "namespaced ones only: kernel.shm*, kernel.msg*, kernel.sem, "
	  "fs.mqueue.*, net.* (the network namespace is always the "
	  "container's own)", "{\"kernel.shmmni\": \"1000\"}",
	  "{\"kernel.core_pattern\": \"x\"}" },
	{ "HostConfig.Tmpfs", "--tmpfs", OPT_LIMITED, opt_tmpfs,
	  "tmpfs mounts, nosuid,nodev,noexec unless told otherwise; size at "
	  "most the package's memory (the default), pages charged to it; "
	  "suid and dev refused",
	  "{\"/run\": \"size=1m,exec\"}", "{\"/run\": \"suid\"}" },
	{ "HostConfig.UTSMode", "--uts", OPT_REFUSED, opt_private_only,
	  "host is refused: " NO_HOST, NULL, "\"host\"" },
	{ "HostConfig.Ulimits", "--ulimit", OPT_LIMITED, opt_ulimit,
	  "rlimits of the container's processes; nofile at most 1048576, "
	  "nproc and sigpending 65536, memlock and msgqueue the package's "
	  "memory, no raise of nice or rtprio; unlimited is refused where "
	  "capped",
	  "[{\"Name\": \"nofile\", \"Soft\": 100, \"Hard\": 200}]",
	  "[{\"Name\": \"nofile\", \"Soft\": 1, \"Hard\": 2000000}]" },
	{ "HostConfig.UsernsMode", "--userns", OPT_REFUSED, opt_private_only,
	  "host is refused: " NO_HOST, NULL, "\"host\"" },
	{ "HostConfig.VolumeDriver", "--volume-driver", OPT_SOME,
	  opt_volume_driver, "local only: no volume plugins", "\"local\"",
	  "\"nfs\"" },
	{ "HostConfig.VolumesFrom", "--volumes-from", OPT_SOME,
	  opt_volumes_from, "the volumes of another container of the same "
	  "account (:ro or :rw); another account's containers are not found",
	  NULL, "[\"other:bogus\"]" },
	/* NetworkingConfig */
	{ "NetworkingConfig.EndpointsConfig", "--network", OPT_SOME,
	  opt_endpoints, "the network of NetworkMode only, with Aliases, "
	  "IPAMConfig.IPv4Address (user networks) and MacAddress; more "
	  "networks through docker network connect",
	  "{\"default\": {}}", "{\"mynet\": {}}" },
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL },
};

/* --- the walk --- */

static const struct ctr_option *
opt_find(const char *section, const char *key)
{
	size_t n = strlen(section);

	for (const struct ctr_option *o = options; o->field != NULL; o++)
		if (strncmp(o->field, section, n) == 0 && o->field[n] == '.' &&
		    strcmp(o->field + n + 1, key) == 0)
			return o;
	return NULL;
}

static int
opt_section(struct opt_ctx *x, const char *section, const json_t *obj,
    const char *const *skip, sdc_error_t *err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		if (skip != NULL && opt_in(skip, key))
			continue;
		x->opt = opt_find(section, key);
		if (x->opt == NULL) {
			if (opt_unset(v))
				continue;
			return sdc_make_error_code(err, 400, "unknown option "
			    "%s.%s: it is not one of Docker's", section, key);
		}
		if (x->opt->check != NULL) {
			if (x->opt->check(x, v, err) < 0)
				return -1;
		} else if (x->opt->how == OPT_REFUSED && !opt_unset(v))
			return opt_refuse(x, NULL, err);
	}
	return 0;
}

int
options_check(struct dockerapi *d, const json_t *body,
    const struct package *pkg, struct ctr_opts *o, sdc_error_t *err)
{
	/* "name": dockerode (docker-modem) sends the query's name in the
	 * body too; dockerd takes the query's and ignores it, as here. */
	static const char *const sub[] = { "HostConfig", "NetworkingConfig",
	    "name", NULL };
	struct opt_ctx x = { .d = d, .pkg = pkg, .o = o };

	memset(o, 0, sizeof *o);
	x.hc = json_object_get(body, "HostConfig");
	if (opt_section(&x, "Config", body, sub, err) < 0 ||
	    opt_section(&x, "HostConfig", x.hc, NULL, err) < 0 ||
	    opt_section(&x, "NetworkingConfig",
	    json_object_get(body, "NetworkingConfig"), NULL, err) < 0) {
		options_clear(o);
		return -1;
	}
	opt_caps_final(&x);
	return 0;
}

void
options_spec(const struct ctr_opts *o, struct rt_spec *spec)
{
	spec->caps = (const char *const *)o->caps;
	spec->no_new_privileges = o->no_new_privileges;
	spec->oom_score_adj = o->oom_score_adj;
	spec->rlimits = o->rlimits;
	spec->nrlimits = o->nrlimits;
	spec->shm_size = o->shm_size;
	spec->tmpfs = o->tmpfs;
	spec->ntmpfs = o->ntmpfs;
	spec->group_add = (const char *const *)o->group_add;
	spec->sysctls = (const char *const *)o->sysctls;
	spec->extra_hosts = (const char *const *)o->extra_hosts;
	spec->init = o->init;
	spec->cgroupns = o->cgroupns;
	spec->console_height = o->console_height;
	spec->console_width = o->console_width;
	spec->memory_reservation = o->memory_reservation;
	spec->readonly_rootfs = o->readonly_rootfs;
	if (o->pids_limit > 0 && (spec->pids_limit <= 0 ||
	    o->pids_limit < spec->pids_limit))
		spec->pids_limit = o->pids_limit;
}

void
options_clear(struct ctr_opts *o)
{
	size_t i;

	strvec_array_free(o->caps);
	strvec_array_free(o->group_add);
	strvec_array_free(o->sysctls);
	strvec_array_free(o->extra_hosts);
	for (i = 0; o->tmpfs != NULL && i < o->ntmpfs; i++) {
		free((char *)o->tmpfs[i].destination);
		free((char *)o->tmpfs[i].options);
	}
	free(o->tmpfs);
	memset(o, 0, sizeof *o);
}

/* --- the pages --- */

/* roff text: hyphens and backslashes escaped, no line starting with '. */
static void
opt_roff(struct buf *b, const char *s)
{
	if (*s == '.' || *s == '\'')
		buf_puts(b, "\\&");
	for (; *s != '\0'; s++) {
		if (*s == '-')
			buf_puts(b, "\\-");
		else if (*s == '\\')
			buf_puts(b, "\\e");
		else
			buf_putc(b, *s);
	}
}

/* Markdown text: '*' would start emphasis. */
static void
opt_markdown(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '*')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

void
options_doc(struct buf *b, bool roff)
{
	const struct ctr_option *o;

	if (!roff)
		buf_puts(b, "| Field | docker flag | Handling | What happens "
		    "| Accepted (walked) | Refused (walked) |\n"
		    "| --- | --- | --- | --- | --- | --- |\n");
	for (o = options; o->field != NULL; o++) {
		if (!roff) {
			buf_printf(b, "| `%s` | %s%s%s | %s | ", o->field,
			    o->flag[0] != '\0' ? "`" : "", o->flag,
			    o->flag[0] != '\0' ? "`" : "", opt_how_name[o->how]);
			opt_markdown(b, o->doc);
			buf_printf(b, " | %s%s%s | %s%s%s |\n",
			    o->ok != NULL ? "`" : "", o->ok ?: "",
			    o->ok != NULL ? "`" : "", o->bad != NULL ? "`" : "",
			    o->bad ?: "", o->bad != NULL ? "`" : "");
			continue;
		}
		buf_puts(b, ".TP\n.B ");
		opt_roff(b, o->field);
		buf_puts(b, "\n");
		if (o->flag[0] != '\0') {
			buf_puts(b, "(");
			opt_roff(b, o->flag);
			buf_puts(b, ") ");
		}
		opt_roff(b, opt_how_name[o->how]);
		buf_puts(b, ": ");
		opt_roff(b, o->doc);
		buf_puts(b, ".\n");
	}
}
