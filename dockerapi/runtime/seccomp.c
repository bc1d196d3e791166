/*
 * seccomp.c: the OCI linux.seccomp of every container, generated from the
 * project's profile etc/seccomp.json.
 *
 * The profile has the rules of Docker's default, kept as data in a form
 * simpler than the OCI one: the syscalls allowed, those allowed on one
 * architecture or with one capability, the socket families refused, the
 * personality values allowed, and the clone flags refused without
 * CAP_SYS_ADMIN.  This file turns it into the OCI rules runc compiles:
 * default action errno EPERM, the host's architecture with its
 * sub-architectures (x86_64 with x86 and x32; aarch64 with arm), the
 * capability rules taken for the process's bounding set (a dropped
 * CAP_SYS_CHROOT also loses chroot, as with Docker), clone allowed only
 * without namespace flags and clone3 failing with ENOSYS so that libc
 * falls back to clone, whose flags the filter can see.
 *
 * The profile is embedded at build time (the Makefile writes it into
 * rt_seccomp_profile[], as it does the SAPI bootstrap file), not read
 * from a path at run time: it is part of what keeps tenants from the
 * kernel, so a missing, stale or writable file on the host must not be
 * able to weaken it, and every binary linking the library (dockerapi,
 * sdc-node) applies the same one.  Changing it means a rebuild, as
 * changing any other rule of the code does.  It is parsed on each create
 * (a few hundred names: well under a millisecond); the library keeps no
 * state between calls.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

/* $(BUILD)/gen/seccomp.c, from etc/seccomp.json. */
extern const char rt_seccomp_profile[];

#if defined(__x86_64__)
#define RT_SECCOMP_ARCH "x86_64"
#elif defined(__aarch64__)
#define RT_SECCOMP_ARCH "aarch64"
#else
#error "no seccomp architecture for this target: add one to etc/seccomp.json"
#endif

static const struct {
	const char *name;
	int value;
} rt_seccomp_errnos[] = {
	{ "EPERM", EPERM }, { "ENOSYS", ENOSYS }, { "EACCES", EACCES },
}, rt_seccomp_flags[] = {
	{ "CLONE_NEWNS", CLONE_NEWNS }, { "CLONE_NEWCGROUP", CLONE_NEWCGROUP },
	{ "CLONE_NEWUTS", CLONE_NEWUTS }, { "CLONE_NEWIPC", CLONE_NEWIPC },
	{ "CLONE_NEWUSER", CLONE_NEWUSER }, { "CLONE_NEWPID", CLONE_NEWPID },
	{ "CLONE_NEWNET", CLONE_NEWNET },
};

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

static int
rt_seccomp_errno(const json_t *v, const char *what, int *out, sdc_error_t *err)
{
	const char *s = json_string_value(v);

	for (size_t i = 0; s != NULL && i < NELEM(rt_seccomp_errnos); i++)
		if (strcmp(s, rt_seccomp_errnos[i].name) == 0) {
			*out = rt_seccomp_errnos[i].value;
			return 0;
		}
	return sdc_make_error(err, 0, "seccomp profile: %s must be an errno "
	    "name (EPERM, ENOSYS, EACCES), not '%s'", what, s != NULL ? s : "");
}

static bool
rt_seccomp_has(const json_t *a, const char *s)
{
	size_t i;

	for (i = 0; i < json_array_size(a); i++)
		if (json_is_string(json_array_get(a, i)) &&
		    strcmp(json_string_value(json_array_get(a, i)), s) == 0)
			return true;
	return false;
}

/* Append the strings of a profile list to names. */
static int
rt_seccomp_names(json_t *names, const json_t *list, const char *what,
    sdc_error_t *err)
{
	size_t i;

	if (list != NULL && !json_is_array(list))
		return sdc_make_error(err, 0, "seccomp profile: %s must be a "
		    "list of syscall names", what);
	for (i = 0; i < json_array_size(list); i++) {
		if (!json_is_string(json_array_get(list, i)))
			return sdc_make_error(err, 0, "seccomp profile: %s must "
			    "hold only syscall names", what);
		json_array_append(names, json_array_get(list, i));
	}
	return 0;
}

static json_t *
rt_seccomp_rule(const char *name, int index, json_int_t value,
    json_int_t value2, const char *op)
{
	return json_pack("{s:[s],s:s,s:[{s:i,s:I,s:I,s:s}]}", "names", name,
	    "action", "SCMP_ACT_ALLOW", "args", "index", index, "value", value,
	    "valueTwo", value2, "op", op);
}

/* socket() for every family but the refused ones (sorted, close together):
 * below the first, the values between, above the last. */
static int
rt_seccomp_socket(json_t *rules, const json_t *refused, sdc_error_t *err)
{
	json_int_t prev = -1, v;
	size_t i;

	if (json_array_size(refused) == 0) {
		json_array_append_new(rules, json_pack("{s:[s],s:s}", "names",
		    "socket", "action", "SCMP_ACT_ALLOW"));
		return 0;
	}
	for (i = 0; i < json_array_size(refused); i++) {
		v = json_integer_value(json_array_get(refused, i));
		if (!json_is_integer(json_array_get(refused, i)) || v <= prev ||
		    (prev >= 0 && v - prev > 64))
			return sdc_make_error(err, 0, "seccomp profile: "
			    "socket_families_refused must be increasing numbers "
			    "at most 64 apart");
		if (prev < 0)
			json_array_append_new(rules, rt_seccomp_rule("socket", 0,
			    v, 0, "SCMP_CMP_LT"));
		else
			for (json_int_t f = prev + 1; f < v; f++)
				json_array_append_new(rules, rt_seccomp_rule(
				    "socket", 0, f, 0, "SCMP_CMP_EQ"));
		prev = v;
	}
	json_array_append_new(rules, rt_seccomp_rule("socket", 0, prev, 0,
	    "SCMP_CMP_GT"));
	return 0;
}

/* clone without namespace flags, clone3 failing so libc uses clone. */
static int
rt_seccomp_no_admin(json_t *rules, const json_t *p, sdc_error_t *err)
{
	const json_t *flags = json_object_get(p, "clone_refused_flags");
	json_int_t mask = 0;
	const char *f;
	size_t i, j;
	int e;

	for (i = 0; i < json_array_size(flags); i++) {
		f = json_string_value(json_array_get(flags, i));
		for (j = 0; f != NULL && j < NELEM(rt_seccomp_flags); j++)
			if (strcmp(f, rt_seccomp_flags[j].name) == 0)
				break;
		if (f == NULL || j == NELEM(rt_seccomp_flags))
			return sdc_make_error(err, 0, "seccomp profile: unknown "
			    "clone flag '%s'", f != NULL ? f : "");
		mask |= (json_int_t)(unsigned)rt_seccomp_flags[j].value;
	}
	if (rt_seccomp_errno(json_object_get(p, "clone3_errno"), "clone3_errno",
	    &e, err) < 0)
		return -1;
	json_array_append_new(rules, rt_seccomp_rule("clone", 0, mask, 0,
	    "SCMP_CMP_MASKED_EQ"));
	json_array_append_new(rules, json_pack("{s:[s],s:s,s:i}", "names",
	    "clone3", "action", "SCMP_ACT_ERRNO", "errnoRet", e));
	return 0;
}

/* The rules from the parsed profile, for a process with caps. */
static json_t *
rt_seccomp_build(const json_t *p, const json_t *caps, sdc_error_t *err)
{
	const json_t *arches = json_object_get(json_object_get(p,
	    "architectures"), RT_SECCOMP_ARCH), *v, *byc;
	json_t *names = json_array(), *rules = json_array(), *archs = json_array();
	const char *cap, *a;
	char *up;
	size_t i;
	int e;

	if (rt_seccomp_errno(json_object_get(p, "default_errno"),
	    "default_errno", &e, err) < 0)
		goto fail;
	if (json_array_size(arches) == 0) {
		sdc_make_error(err, 0, "seccomp profile: no architectures for "
		    RT_SECCOMP_ARCH);
		goto fail;
	}
	for (i = 0; i < json_array_size(arches); i++) {
		a = json_string_value(json_array_get(arches, i));
		xasprintf(&up, "SCMP_ARCH_%s", a != NULL ? a : "");
		for (char *c = up; *c != '\0'; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
		json_array_append_new(archs, json_string(up));
		free(up);
	}
	if (rt_seccomp_names(names, json_object_get(p, "allow"), "allow",
	    err) < 0 || rt_seccomp_names(names, json_object_get(json_object_get(p,
	    "allow_on_arch"), RT_SECCOMP_ARCH), "allow_on_arch", err) < 0)
		goto fail;
	byc = json_object_get(p, "allow_with_cap");
	json_object_foreach((json_t *)byc, cap, v)
		if (rt_seccomp_has(caps, cap) &&
		    rt_seccomp_names(names, v, cap, err) < 0)
			goto fail;
	json_array_append_new(rules, json_pack("{s:o,s:s}", "names", names,
	    "action", "SCMP_ACT_ALLOW"));
	names = NULL;
	if (rt_seccomp_socket(rules, json_object_get(p,
	    "socket_families_refused"), err) < 0)
		goto fail;
	v = json_object_get(p, "personality_allowed");
	for (i = 0; i < json_array_size(v); i++)
		json_array_append_new(rules, rt_seccomp_rule("personality", 0,
		    json_integer_value(json_array_get(v, i)), 0, "SCMP_CMP_EQ"));
	if (!rt_seccomp_has(caps, "CAP_SYS_ADMIN") && rt_seccomp_no_admin(rules,
	    json_object_get(p, "without_cap_sys_admin"), err) < 0)
		goto fail;
	v = json_object_get(p, "notify");
	if (json_array_size(v) > 0) {
		names = json_array();
		if (rt_seccomp_names(names, v, "notify", err) < 0)
			goto fail;
		json_array_append_new(rules, json_pack("{s:o,s:s}", "names",
		    names, "action", "SCMP_ACT_NOTIFY"));
		names = NULL;
	}
	return json_pack("{s:s,s:i,s:o,s:o}", "defaultAction", "SCMP_ACT_ERRNO",
	    "defaultErrnoRet", e, "architectures", archs, "syscalls", rules);
fail:
	json_decref(names);
	json_decref(rules);
	json_decref(archs);
	return NULL;
}

/* Does a rule of s hand calls to a listener? */
static bool
rt_seccomp_notifies(const json_t *s)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(s, "syscalls"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "action")),
		    "SCMP_ACT_NOTIFY") == 0)
			return true;
	return false;
}

json_t *
rt_seccomp_json(const json_t *caps, sdc_error_t *err)
{
	json_error_t jerr;
	json_t *p, *out;

	p = json_loads(rt_seccomp_profile, 0, &jerr);
	if (p == NULL)
		return sdc_make_error(err, 0, "seccomp profile: line %d: %s",
		    jerr.line, jerr.text), NULL;
	out = rt_seccomp_build(p, caps, err);
	json_decref(p);
	return out;
}

int
rt_seccomp_apply(const struct rt_config *cfg, json_t *config, const char *dir,
    sdc_error_t *err)
{
	const json_t *caps;
	json_t *s;

	if (cfg->no_seccomp)
		return 0;
	caps = json_object_get(json_object_get(json_object_get(config,
	    "process"), "capabilities"), "bounding");
	if ((s = rt_seccomp_json(caps, err)) == NULL)
		return -1;
	/* runc hands the notify descriptor to the monitor (monitor/sysinfo.c) */
	if (rt_seccomp_notifies(s)) {
		char *path;

		xasprintf(&path, "%s/%s", dir, RT_FILE_SECCOMP);
		json_object_set_new(s, "listenerPath", json_string(path));
		free(path);
	}
	json_object_set_new(json_object_get(config, "linux"), "seccomp", s);
	return 0;
}
