/*
 * ps.c: `docker top`'s columns, made the way procps' ps makes them.
 *
 * dockerd runs the host's ps with the client's arguments and keeps the
 * rows whose column titled PID names a pid of the container.  Here ps
 * never runs: the arguments are parsed into a list of columns (a table of
 * the ps format names users pass), and each column is computed from what
 * rt_top_read() read in /proc for the container's own processes.  So no
 * argument can widen what is listed, and a title ("-o etimes=PID") is
 * only a title.  What ps takes but this does not is refused, by name,
 * rather than ignored.
 *
 * Selection options (-e, -A, a, x) change nothing: the list is always
 * every process of the container, which is what `docker top` shows with
 * dockerd for the usual "-ef" and "aux".  Values and titles are procps
 * 4's: TIME is [DD-]HH:MM:SS in the UNIX formats and M:SS in the BSD
 * ones, %CPU is CPU time over the life of the process, user names longer
 * than 8 characters are cut to 7 and a '+'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

enum rt_ps_kind {
	PS_PID, PS_PPID, PS_PGID, PS_SID, PS_USER, PS_UID, PS_COMM, PS_ARGS,
	PS_ETIME, PS_ETIMES, PS_RSS, PS_VSZ, PS_PCPU, PS_PMEM, PS_STAT,
	PS_STATE, PS_TTY, PS_TIME, PS_BSDTIME, PS_NLWP, PS_C, PS_STIME,
	PS_NICE,
};

static const struct rt_ps_name {
	const char *name;
	const char *title;
	enum rt_ps_kind kind;
} rt_ps_names[] = {
	{ "pid", "PID", PS_PID }, { "tgid", "TGID", PS_PID },
	{ "ppid", "PPID", PS_PPID },
	{ "pgid", "PGID", PS_PGID }, { "pgrp", "PGRP", PS_PGID },
	{ "sid", "SID", PS_SID }, { "sess", "SESS", PS_SID },
	{ "user", "USER", PS_USER }, { "euser", "EUSER", PS_USER },
	{ "uname", "USER", PS_USER },
	{ "uid", "UID", PS_UID }, { "euid", "EUID", PS_UID },
	{ "comm", "COMMAND", PS_COMM }, { "ucomm", "COMMAND", PS_COMM },
	{ "ucmd", "CMD", PS_COMM },
	{ "args", "COMMAND", PS_ARGS }, { "command", "COMMAND", PS_ARGS },
	{ "cmd", "CMD", PS_ARGS },
	{ "etime", "ELAPSED", PS_ETIME }, { "etimes", "ELAPSED", PS_ETIMES },
	{ "rss", "RSS", PS_RSS }, { "rssize", "RSS", PS_RSS },
	{ "rsz", "RSZ", PS_RSS },
	{ "vsz", "VSZ", PS_VSZ }, { "vsize", "VSZ", PS_VSZ },
	{ "pcpu", "%CPU", PS_PCPU }, { "%cpu", "%CPU", PS_PCPU },
	{ "pmem", "%MEM", PS_PMEM }, { "%mem", "%MEM", PS_PMEM },
	{ "stat", "STAT", PS_STAT }, { "s", "S", PS_STATE },
	{ "state", "S", PS_STATE },
	{ "tty", "TT", PS_TTY }, { "tt", "TT", PS_TTY },
	{ "tname", "TTY", PS_TTY },
	{ "time", "TIME", PS_TIME }, { "cputime", "TIME", PS_TIME },
	{ "nlwp", "NLWP", PS_NLWP }, { "thcount", "THCNT", PS_NLWP },
	{ "c", "C", PS_C },
	{ "stime", "STIME", PS_STIME }, { "start_time", "START", PS_STIME },
	{ "nice", "NI", PS_NICE }, { "ni", "NI", PS_NICE },
};

#define RT_PS_NAMES (sizeof rt_ps_names / sizeof rt_ps_names[0])
#define RT_PS_MAX 64

struct rt_ps_col {
	enum rt_ps_kind kind;
	char *title;
};

struct rt_ps {
	struct rt_ps_col cols[RT_PS_MAX];
	size_t n;
	bool custom;			/* -o given: its columns only */
};

/* The formats ps has without -o. */
static const char *const rt_ps_full[] = { "UID:user", "PID:pid",
	"PPID:ppid", "C:c", "STIME:stime", "TTY:tty", "TIME:time", "CMD:args",
	NULL };
static const char *const rt_ps_unix[] = { "PID:pid", "TTY:tty",
	"TIME:time", "CMD:comm", NULL };
static const char *const rt_ps_bsd_user[] = { "USER:user", "PID:pid",
	"%CPU:pcpu", "%MEM:pmem", "VSZ:vsz", "RSS:rss", "TTY:tty",
	"STAT:stat", "START:stime", "TIME:bsdtime", "COMMAND:args", NULL };
static const char *const rt_ps_bsd[] = { "PID:pid", "TTY:tty",
	"STAT:stat", "TIME:bsdtime", "COMMAND:args", NULL };

void
rt_ps_free(struct rt_ps *ps)
{
	size_t i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++)
		free(ps->cols[i].title);
	free(ps);
}

static const struct rt_ps_name *
rt_ps_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < RT_PS_NAMES; i++)
		if (strlen(rt_ps_names[i].name) == len &&
		    strncmp(rt_ps_names[i].name, name, len) == 0)
			return &rt_ps_names[i];
	return NULL;
}

static int
rt_ps_add(struct rt_ps *ps, enum rt_ps_kind kind, const char *title,
    size_t tlen, sdc_error_t *err)
{
	if (ps->n == RT_PS_MAX)
		return sdc_make_error_code(err, 400, "ps: error: more than %d "
		    "columns", RT_PS_MAX);
	ps->cols[ps->n].kind = kind;
	ps->cols[ps->n].title = xstrndup(title, tlen);
	ps->n++;
	return 0;
}

/* A fixed format ("TITLE:name" entries). */
static void
rt_ps_fixed(struct rt_ps *ps, const char *const *fmt)
{
	const char *colon;
	size_t i;

	for (i = 0; i < ps->n; i++)
		free(ps->cols[i].title);
	ps->n = 0;
	for (; *fmt != NULL; fmt++) {
		colon = strchr(*fmt, ':');
		ps->cols[ps->n].kind = strcmp(colon + 1, "bsdtime") == 0 ?
		    PS_BSDTIME : rt_ps_lookup(colon + 1, strlen(colon + 1))->kind;
		ps->cols[ps->n].title = xstrndup(*fmt, (size_t)(colon - *fmt));
		ps->n++;
	}
}

/* One -o list: "name[=Title],name..."; a title ends at the next comma,
 * as procps 4 reads it. */
static int
rt_ps_list(struct rt_ps *ps, const char *list, sdc_error_t *err)
{
	const struct rt_ps_name *nm;
	const char *p = list, *end, *eq;
	size_t len;

	if (*list == '\0')
		return sdc_make_error_code(err, 400, "ps: error: format "
		    "specification must follow -o");
	if (!ps->custom) {
		rt_ps_fixed(ps, (const char *const[]){ NULL });
		ps->custom = true;
	}
	while (*p != '\0') {
		end = p + strcspn(p, ",");
		eq = memchr(p, '=', (size_t)(end - p));
		len = (size_t)((eq != NULL ? eq : end) - p);
		if (len == 0 || (*end == ',' && end[1] == '\0'))
			return sdc_make_error_code(err, 400, "ps: error: improper "
			    "format list \"%s\"", list);
		if ((nm = rt_ps_lookup(p, len)) == NULL)
			return sdc_make_error_code(err, 400, "ps: error: unknown "
			    "user-defined format specifier \"%.*s\"; docker top "
			    "here knows pid, ppid, pgid, sid, user, uid, comm, "
			    "args, cmd, etime, etimes, rss, vsz, pcpu, pmem, "
			    "stat, s, tty, time, nlwp, c, stime, nice and their "
			    "ps aliases", (int)len, p);
		if (eq != NULL) {
			if (rt_ps_add(ps, nm->kind, eq + 1,
			    (size_t)(end - eq - 1), err) < 0)
				return -1;
		} else if (rt_ps_add(ps, nm->kind, nm->title,
		    strlen(nm->title), err) < 0)
			return -1;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static int
rt_ps_refuse(const char *word, sdc_error_t *err)
{
	return sdc_make_error_code(err, 400, "ps: error: unsupported option "
	    "\"%s\"; docker top here takes -e, -A, -f, -ef, aux (a, u, x) and "
	    "-o lists of columns", word);
}

/* The letters of one option word w from f on: those in noops change
 * nothing, `flag` sets *set, 'o' takes the rest of the word (or the next
 * word: *want_list) as a list of columns; anything else is refused. */
static int
rt_ps_letters(struct rt_ps *ps, const char *w, const char *f,
    const char *noops, char flag, bool *set, bool *want_list,
    sdc_error_t *err)
{
	for (; *f != '\0'; f++) {
		if (strchr(noops, *f) != NULL)
			continue;
		if (*f == flag)
			*set = true;
		else if (*f == 'o') {
			if (f[1] == '\0') {
				*want_list = true;
				return 0;
			}
			return rt_ps_list(ps, f + 1, err);
		} else
			return rt_ps_refuse(w, err);
	}
	return 0;
}

struct rt_ps *
rt_ps_parse(const char *args, sdc_error_t *err)
{
	struct rt_ps *ps = xcalloc(1, sizeof *ps);
	char *copy = xstrdup(args != NULL ? args : ""), *w, *save;
	bool full = false, bsd = false, bsd_user = false, want_list = false;
	int rc = 0;

	for (w = strtok_r(copy, " \t\n", &save); w != NULL && rc == 0;
	    w = strtok_r(NULL, " \t\n", &save)) {
		if (want_list) {
			rc = rt_ps_list(ps, w, err);
			want_list = false;
		} else if (strcmp(w, "--format") == 0)
			want_list = true;
		else if (strncmp(w, "--format=", 9) == 0)
			rc = rt_ps_list(ps, w + 9, err);
		else if (strcmp(w, "-") == 0 || strncmp(w, "--", 2) == 0)
			rc = rt_ps_refuse(w, err);
		else if (w[0] == '-' && strcmp(w, "-aux") != 0)
			/* UNIX options: -e, -A, -f, -o */
			rc = rt_ps_letters(ps, w, w + 1, "eA", 'f', &full,
			    &want_list, err);
		else {
			/* BSD options: a, x, w, u, o ("-aux" is aux) */
			bsd = true;
			rc = rt_ps_letters(ps, w, w + (w[0] == '-'), "axw", 'u',
			    &bsd_user, &want_list, err);
		}
	}
	if (rc == 0 && want_list)
		rc = sdc_make_error_code(err, 400, "ps: error: format "
		    "specification must follow -o");
	free(copy);
	if (rc < 0) {
		rt_ps_free(ps);
		return NULL;
	}
	if (ps->custom)
		;
	else if (bsd_user)
		rt_ps_fixed(ps, rt_ps_bsd_user);
	else if (full || (!bsd && strspn(args != NULL ? args : "", " \t\n") ==
	    strlen(args != NULL ? args : "")))
		rt_ps_fixed(ps, rt_ps_full);
	else
		rt_ps_fixed(ps, bsd ? rt_ps_bsd : rt_ps_unix);
	return ps;
}

/* --- values --- */

/* [DD-]HH:MM:SS, or with short, [[DD-]HH:]MM:SS (etime). */
static void
rt_ps_duration(char *out, size_t len, long long t, bool shrt)
{
	if (t < 0)
		t = 0;
	if (t >= 86400)
		snprintf(out, len, "%lld-%02lld:%02lld:%02lld", t / 86400,
		    t / 3600 % 24, t / 60 % 60, t % 60);
	else if (!shrt || t >= 3600)
		snprintf(out, len, "%02lld:%02lld:%02lld", t / 3600, t / 60 % 60,
		    t % 60);
	else
		snprintf(out, len, "%02lld:%02lld", t / 60, t % 60);
}

/* Tenths of a percent as ps prints them: "1.5", or "150" past 99.9. */
static void
rt_ps_permille(char *out, size_t len, unsigned long long pm)
{
	if (pm > 999)
		snprintf(out, len, "%llu", pm / 10);
	else
		snprintf(out, len, "%llu.%llu", pm / 10, pm % 10);
}

static long long
rt_ps_alive(const struct rt_proc *p, const struct rt_ps_env *env)
{
	long long s = (long long)env->now - env->boot - p->start_ticks / env->hz;

	return s > 0 ? s : 0;
}

/* CPU time over the life of the process, in tenths of a percent. */
static unsigned long long
rt_ps_cpu(const struct rt_proc *p, const struct rt_ps_env *env)
{
	long long alive = rt_ps_alive(p, env);

	return alive > 0 ? (unsigned long long)(p->cpu_ticks * 1000 / env->hz /
	    alive) : 0;
}

static void
rt_ps_stat(char *out, size_t len, const struct rt_proc *p)
{
	size_t n = 0;

	out[n++] = p->state;
	if (p->nice < 0)
		out[n++] = '<';
	else if (p->nice > 0)
		out[n++] = 'N';
	if (p->locked)
		out[n++] = 'L';
	if (p->sid == p->pid)
		out[n++] = 's';
	if (p->nlwp > 1)
		out[n++] = 'l';
	if (p->tpgid > 0 && p->tpgid == p->pgrp)
		out[n++] = '+';
	out[n < len ? n : len - 1] = '\0';
}

/* STIME/START: the time today, the day this year, else the year. */
static void
rt_ps_start(char *out, size_t len, const struct rt_proc *p,
    const struct rt_ps_env *env)
{
	time_t start = (time_t)(env->boot + p->start_ticks / env->hz);
	struct tm tm;

	localtime_r(&start, &tm);
	if (env->now - start >= 365L * 86400)
		strftime(out, len, "%Y", &tm);
	else if (env->now - start >= 86400)
		strftime(out, len, "%b%d", &tm);
	else
		strftime(out, len, "%H:%M", &tm);
}

static void
rt_ps_user(char *out, size_t len, const struct rt_proc *p,
    const struct rt_ps_env *env)
{
	const char *name = env->user != NULL ? env->user(p->uid, env->arg) :
	    NULL;

	if (name == NULL)
		snprintf(out, len, "%lu", (unsigned long)p->uid);
	else if (strlen(name) > 8)
		snprintf(out, len, "%.7s+", name);
	else
		snprintf(out, len, "%s", name);
}

static json_t *
rt_ps_value(enum rt_ps_kind kind, const struct rt_proc *p,
    const struct rt_ps_env *env)
{
	char v[128];
	bool zombie = p->state == 'Z';
	unsigned long long pm;

	switch (kind) {
	case PS_PID: snprintf(v, sizeof v, "%ld", (long)p->pid); break;
	case PS_PPID: snprintf(v, sizeof v, "%ld", (long)p->ppid); break;
	case PS_PGID: snprintf(v, sizeof v, "%ld", (long)p->pgrp); break;
	case PS_SID: snprintf(v, sizeof v, "%ld", (long)p->sid); break;
	case PS_USER: rt_ps_user(v, sizeof v, p, env); break;
	case PS_UID: snprintf(v, sizeof v, "%lu", (unsigned long)p->uid); break;
	case PS_COMM:
		snprintf(v, sizeof v, "%s%s", p->comm, zombie ? " <defunct>" : "");
		break;
	case PS_ARGS:
		if (p->cmd[0] != '\0' && !zombie)
			return json_string(p->cmd);
		snprintf(v, sizeof v, "[%s]%s", p->comm, zombie ? " <defunct>" : "");
		break;
	case PS_ETIME: rt_ps_duration(v, sizeof v, rt_ps_alive(p, env), true); break;
	case PS_ETIMES: snprintf(v, sizeof v, "%lld", rt_ps_alive(p, env)); break;
	case PS_RSS: snprintf(v, sizeof v, "%llu", p->rss_kb); break;
	case PS_VSZ: snprintf(v, sizeof v, "%llu", p->vsz_kb); break;
	case PS_PCPU: rt_ps_permille(v, sizeof v, rt_ps_cpu(p, env)); break;
	case PS_PMEM:
		pm = env->mem_total_kb > 0 ? p->rss_kb * 1000 / env->mem_total_kb : 0;
		rt_ps_permille(v, sizeof v, pm);
		break;
	case PS_STAT: rt_ps_stat(v, sizeof v, p); break;
	case PS_STATE: snprintf(v, sizeof v, "%c", p->state); break;
	case PS_TTY: snprintf(v, sizeof v, "%s", p->tty); break;
	case PS_TIME: rt_ps_duration(v, sizeof v, p->cpu_ticks / env->hz, false); break;
	case PS_BSDTIME:
		snprintf(v, sizeof v, "%lld:%02lld", p->cpu_ticks / env->hz / 60,
		    p->cpu_ticks / env->hz % 60);
		break;
	case PS_NLWP: snprintf(v, sizeof v, "%ld", p->nlwp); break;
	case PS_C:
		pm = rt_ps_cpu(p, env) / 10;
		snprintf(v, sizeof v, "%llu", pm > 99 ? 99 : pm);
		break;
	case PS_STIME: rt_ps_start(v, sizeof v, p, env); break;
	case PS_NICE: snprintf(v, sizeof v, "%d", p->nice); break;
	default: v[0] = '\0'; break;
	}
	return json_string(v);
}

json_t *
rt_ps_format(const struct rt_ps *ps, const struct rt_proc *procs, size_t n,
    const struct rt_ps_env *env)
{
	json_t *titles = json_array(), *rows = json_array(), *row;
	struct rt_ps_env e = *env;
	size_t i, j;

	if (e.hz <= 0)
		e.hz = 100;
	for (j = 0; j < ps->n; j++)
		json_array_append_new(titles, json_string(ps->cols[j].title));
	for (i = 0; i < n; i++) {
		row = json_array();
		for (j = 0; j < ps->n; j++)
			json_array_append_new(row, rt_ps_value(ps->cols[j].kind,
			    &procs[i], &e));
		json_array_append_new(rows, row);
	}
	return json_pack("{s:o,s:o}", "Titles", titles, "Processes", rows);
}
