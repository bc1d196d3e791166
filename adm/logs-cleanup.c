/*
 * logs-cleanup.c: `logs cleanup`, removing rotated container logs from cron.
 *
 * A rotated file goes when any rule given selects it:
 *   --max-age AGE   its mtime is older than AGE (mtime, as find -mtime reads
 *                   it: it is when the file was last written, i.e. rotated;
 *                   the timestamp in the name only qualifies the name);
 *   --keep N        it is not among the N newest rotated files of its
 *                   container (newest by mtime, then by name);
 *   --max-total S   after the rules above, the oldest rotated files of the
 *                   whole tree go until the rotated total is at most S.
 * With no rule, --max-age 7d applies.  The live stdio.log is never a
 * candidate and never counts.
 *
 * The first two rules are decided per container, so the first pass removes
 * as it reads, on several threads (logs-walk.c); only --max-total needs the
 * whole tree, so it alone keeps the survivors and makes a second pass, which
 * reopens each directory without following links and checks the file is
 * still the one it sized (same device and inode, still regular) first.
 *
 * Runs take a lock on the zones root (logs-lock.c); --dry-run removes
 * nothing, so it takes none.  A file that vanished before we got to it is
 * not an error; one we could not remove is, and makes the exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adm.h"
#include "dockerapi/runtime/container-layout.h"
#include "xalloc.h"

#define CLEANUP_DEFAULT_AGE (7 * 86400ULL)
#define CLEANUP_DEFAULT_TIMEOUT 300

enum cleanup_reason { CLEANUP_NONE, CLEANUP_AGE, CLEANUP_KEEP, CLEANUP_TOTAL };
static const char *const cleanup_reasons[] = { "", "age", "keep", "total" };

struct cleanup_opts {
	bool has_age, has_keep, has_total;
	uint64_t max_age;	/* seconds */
	uint64_t keep;
	uint64_t max_total;	/* bytes */
	bool dry_run, verbose, wait;
	int timeout;		/* seconds to wait for the lock */
	unsigned jobs;
};

/* A file removed (or that would be), or a survivor kept for --max-total. */
struct cleanup_rec {
	size_t cont;		/* index in tree.ids */
	struct logs_file f;
	enum cleanup_reason reason;
};

struct cleanup_recs {
	struct cleanup_rec *v;
	size_t n, cap;
};

/* Each thread counts and records on its own; merged at the end. */
struct cleanup_worker {
	uint64_t removed, bytes, errors, vanished, skipped;
	struct cleanup_recs done;	/* listed with --dry-run / --verbose */
	struct cleanup_recs kept;	/* survivors, with --max-total */
};

struct cleanup_run {
	const struct adm_cmd_entry *self;
	const struct cleanup_opts *o;
	struct logs_tree tree;
	struct cleanup_worker *w;
	int64_t cutoff_ns;
	struct cleanup_recs total;	/* phase 2: selected, by container */
	size_t *groups;			/* phase 2: start of each container's run */
	size_t ngroups;
};

static void
cleanup_recs_add(struct cleanup_recs *rs, size_t cont, struct logs_file *f,
    enum cleanup_reason reason)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->v = xrealloc(rs->v, rs->cap * sizeof *rs->v);
	}
	rs->v[rs->n].cont = cont;
	rs->v[rs->n].f = *f;
	rs->v[rs->n].reason = reason;
	rs->n++;
	f->name = NULL;		/* the record owns the name now */
}

static void
cleanup_recs_free(struct cleanup_recs *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i].f.name);
	free(rs->v);
	memset(rs, 0, sizeof *rs);
}

/* Remove (or, dry, only record) one selected file. */
static void
cleanup_remove(struct cleanup_run *r, struct cleanup_worker *w, int fd,
    size_t cont, struct logs_file *f, enum cleanup_reason reason)
{
	if (!r->o->dry_run && unlinkat(fd, f->name, 0) < 0) {
		if (errno == ENOENT) {
			w->vanished++;
			return;
		}
		w->errors++;
		adm_cmd_warn(r->self, "cannot remove %s/%s/" RT_LOG_DIR "/%s: %s",
		    r->tree.path, r->tree.ids.v[cont], f->name, strerror(errno));
		return;
	}
	w->removed++;
	w->bytes += f->size;
	if (r->o->dry_run || r->o->verbose)
		cleanup_recs_add(&w->done, cont, f, reason);
}

/* Open a container's logs dir; -1 when there is none to work on. */
static int
cleanup_open(struct cleanup_run *r, struct cleanup_worker *w, size_t cont)
{
	int fd = logs_walk_open_dir(&r->tree, cont);

	if (fd >= 0 || errno == ENOENT)
		return fd;
	if (errno == ELOOP || errno == ENOTDIR) {
		w->skipped++;	/* a link or not a directory: not ours */
		return -1;
	}
	w->errors++;
	adm_cmd_warn(r->self, "cannot open %s/%s/logs: %s", r->tree.path,
	    r->tree.ids.v[cont], strerror(errno));
	return -1;
}

static enum cleanup_reason
cleanup_select(const struct cleanup_run *r, size_t rank, const struct logs_file *f)
{
	if (r->o->has_keep && rank >= r->o->keep)
		return CLEANUP_KEEP;
	if (r->o->has_age && f->mtime_ns < r->cutoff_ns)
		return CLEANUP_AGE;
	return CLEANUP_NONE;
}

/* Phase 1, one container: the per-container rules, removing as it goes. */
static void
cleanup_container(void *arg, size_t cont, unsigned worker)
{
	struct cleanup_run *r = arg;
	struct cleanup_worker *w = &r->w[worker];
	struct logs_dir d;
	enum cleanup_reason why;
	sdc_error_t err = NULL;
	size_t i;
	int fd;

	if ((fd = cleanup_open(r, w, cont)) < 0)
		return;
	if (logs_walk_read_dir(fd, &d, &err) < 0) {
		w->errors++;
		adm_cmd_warn(r->self, "%s/%s/logs: %s", r->tree.path,
		    r->tree.ids.v[cont], sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	for (i = 0; i < d.nrot; i++) {
		why = cleanup_select(r, i, &d.rot[i]);
		if (why != CLEANUP_NONE)
			cleanup_remove(r, w, d.fd, cont, &d.rot[i], why);
		else if (r->o->has_total)
			cleanup_recs_add(&w->kept, cont, &d.rot[i], why);
	}
	logs_walk_free_dir(&d);
}

/* Phase 2, one container's run of files chosen for --max-total. */
static void
cleanup_total_group(void *arg, size_t g, unsigned worker)
{
	struct cleanup_run *r = arg;
	struct cleanup_worker *w = &r->w[worker];
	size_t i, end = g + 1 < r->ngroups ? r->groups[g + 1] : r->total.n;
	struct cleanup_rec *rec;
	struct stat st;
	int fd;

	if ((fd = cleanup_open(r, w, r->total.v[r->groups[g]].cont)) < 0)
		return;
	for (i = r->groups[g]; i < end; i++) {
		rec = &r->total.v[i];
		if (fstatat(fd, rec->f.name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_dev != rec->f.dev ||
		    st.st_ino != rec->f.ino) {
			w->vanished++;	/* gone or replaced: leave it */
			continue;
		}
		cleanup_remove(r, w, fd, rec->cont, &rec->f, CLEANUP_TOTAL);
	}
	close(fd);
}

/* Oldest first; then by name and container, so a run is repeatable. */
static int
cleanup_cmp_oldest(const void *a, const void *b)
{
	const struct cleanup_rec *x = a, *y = b;
	int c;

	if (x->f.mtime_ns != y->f.mtime_ns)
		return x->f.mtime_ns < y->f.mtime_ns ? -1 : 1;
	if ((c = strcmp(x->f.name, y->f.name)) != 0)
		return c;
	return x->cont < y->cont ? -1 : x->cont > y->cont;
}

static int
cleanup_cmp_place(const void *a, const void *b)
{
	const struct cleanup_rec *x = a, *y = b;

	if (x->cont != y->cont)
		return x->cont < y->cont ? -1 : 1;
	return strcmp(x->f.name, y->f.name);
}

/* Move every worker's records of one kind into one list. */
static void
cleanup_gather(struct cleanup_run *r, bool kept, struct cleanup_recs *out)
{
	struct cleanup_recs *rs;
	unsigned i;

	for (i = 0; i < r->o->jobs; i++) {
		rs = kept ? &r->w[i].kept : &r->w[i].done;
		while (rs->n > 0) {
			rs->n--;
			cleanup_recs_add(out, rs->v[rs->n].cont, &rs->v[rs->n].f,
			    rs->v[rs->n].reason);
		}
		cleanup_recs_free(rs);
	}
}

/* Phase 2: the oldest survivors of the tree until the total fits. */
static void
cleanup_total(struct cleanup_run *r)
{
	struct cleanup_recs all = { NULL, 0, 0 };
	uint64_t sum = 0;
	size_t i;

	cleanup_gather(r, true, &all);
	for (i = 0; i < all.n; i++)
		sum += all.v[i].f.size;
	qsort(all.v, all.n, sizeof *all.v, cleanup_cmp_oldest);
	for (i = 0; i < all.n && sum > r->o->max_total; i++) {
		sum -= all.v[i].f.size;
		cleanup_recs_add(&r->total, all.v[i].cont, &all.v[i].f,
		    CLEANUP_TOTAL);
	}
	cleanup_recs_free(&all);
	if (r->total.n == 0)
		return;
	qsort(r->total.v, r->total.n, sizeof *r->total.v, cleanup_cmp_place);
	r->groups = xcalloc(r->total.n, sizeof *r->groups);
	for (i = 0; i < r->total.n; i++)
		if (i == 0 || r->total.v[i].cont != r->total.v[i - 1].cont)
			r->groups[r->ngroups++] = i;
	logs_walk_pool(r->o->jobs, r->ngroups, cleanup_total_group, r);
}

static void
cleanup_sum(const struct cleanup_run *r, struct cleanup_worker *sum)
{
	unsigned i;

	memset(sum, 0, sizeof *sum);
	for (i = 0; i < r->o->jobs; i++) {
		sum->removed += r->w[i].removed;
		sum->bytes += r->w[i].bytes;
		sum->errors += r->w[i].errors;
		sum->vanished += r->w[i].vanished;
		sum->skipped += r->w[i].skipped;
	}
}

static char *
cleanup_path(const struct cleanup_run *r, const struct cleanup_rec *rec)
{
	char *p;

	xasprintf(&p, "%s/%s/" RT_LOG_DIR "/%s", r->tree.path, r->tree.ids.v[rec->cont],
	    rec->f.name);
	return p;
}

static void
cleanup_print_json(const struct cleanup_run *r, const struct adm_ctx *ctx,
    const struct cleanup_worker *sum, const struct cleanup_recs *list)
{
	json_t *o = json_object(), *files, *f;
	char *path;
	size_t i;

	json_object_set_new(o, "zones", json_string(r->tree.path));
	json_object_set_new(o, "dryRun", json_boolean(r->o->dry_run));
	json_object_set_new(o, "removed", json_integer((json_int_t)sum->removed));
	json_object_set_new(o, "bytes", json_integer((json_int_t)sum->bytes));
	json_object_set_new(o, "errors", json_integer((json_int_t)sum->errors));
	json_object_set_new(o, "vanished", json_integer((json_int_t)sum->vanished));
	json_object_set_new(o, "skipped", json_integer((json_int_t)sum->skipped));
	if (r->o->dry_run || r->o->verbose) {
		files = json_array();
		for (i = 0; i < list->n; i++) {
			f = json_object();
			path = cleanup_path(r, &list->v[i]);
			json_object_set_new(f, "path", json_string(path));
			free(path);
			json_object_set_new(f, "size",
			    json_integer((json_int_t)list->v[i].f.size));
			json_object_set_new(f, "reason", json_string(
			    cleanup_reasons[list->v[i].reason]));
			json_array_append_new(files, f);
		}
		json_object_set_new(o, "files", files);
	}
	adm_output_json(ctx, o);
	json_decref(o);
}

static void
cleanup_print_text(const struct cleanup_run *r, const struct adm_ctx *ctx,
    const struct cleanup_worker *sum, const struct cleanup_recs *list)
{
	char size[32], *p;
	size_t i;

	for (i = 0; i < list->n; i++) {
		p = cleanup_path(r, &list->v[i]);
		fprintf(ctx->out, "%s\n", p);
		free(p);
	}
	adm_units_format_size(sum->bytes, size, sizeof size);
	fprintf(ctx->out, "%s %llu files, %s %s (%llu bytes), %llu errors%s\n",
	    r->o->dry_run ? "would remove" : "removed",
	    (unsigned long long)sum->removed,
	    r->o->dry_run ? "freeing" : "freed", size,
	    (unsigned long long)sum->bytes, (unsigned long long)sum->errors,
	    r->o->dry_run ? " (dry run)" : "");
}

static void
cleanup_report(struct cleanup_run *r, const struct adm_ctx *ctx,
    const struct cleanup_worker *sum)
{
	struct cleanup_recs list = { NULL, 0, 0 };

	cleanup_gather(r, false, &list);
	if (list.n > 1)
		qsort(list.v, list.n, sizeof *list.v, cleanup_cmp_place);
	if (ctx->json)
		cleanup_print_json(r, ctx, sum, &list);
	else
		cleanup_print_text(r, ctx, sum, &list);
	cleanup_recs_free(&list);
}

static int
cleanup_go(const struct adm_cmd_entry *self, const struct adm_ctx *ctx,
    const struct cleanup_opts *o)
{
	struct cleanup_run r;
	struct cleanup_worker sum;
	struct logs_lock lock = { -1 };
	sdc_error_t err = NULL;
	struct timespec now;
	unsigned i;

	memset(&r, 0, sizeof r);
	r.self = self;
	r.o = o;
	if (logs_walk_open(&r.tree, adm_zones(ctx), &err) < 0) {
		adm_cmd_warn(self, "%s", sdc_error_msg(err));
		sdc_error_release(&err);
		return ADM_EXIT_FAIL;
	}
	if (!o->dry_run && logs_lock_take(&lock, &r.tree,
	    o->wait ? o->timeout : 0, true, &err) < 0) {
		adm_cmd_warn(self, "%s", sdc_error_msg(err));
		i = err->code == EWOULDBLOCK;
		sdc_error_release(&err);
		logs_walk_close(&r.tree);
		return i ? ADM_EXIT_BUSY : ADM_EXIT_FAIL;
	}
	if (logs_walk_list(&r.tree, &err) < 0) {
		adm_cmd_warn(self, "%s", sdc_error_msg(err));
		sdc_error_release(&err);
		logs_lock_release(&lock);
		logs_walk_close(&r.tree);
		return ADM_EXIT_FAIL;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	r.cutoff_ns = ((int64_t)now.tv_sec - (int64_t)o->max_age) * 1000000000 +
	    now.tv_nsec;
	r.w = xcalloc(o->jobs, sizeof *r.w);
	logs_walk_pool(o->jobs, r.tree.ids.n, cleanup_container, &r);
	if (o->has_total)
		cleanup_total(&r);
	cleanup_sum(&r, &sum);
	cleanup_report(&r, ctx, &sum);
	logs_lock_release(&lock);
	for (i = 0; i < o->jobs; i++) {
		cleanup_recs_free(&r.w[i].done);
		cleanup_recs_free(&r.w[i].kept);
	}
	cleanup_recs_free(&r.total);
	free(r.groups);
	free(r.w);
	logs_walk_close(&r.tree);
	return sum.errors > 0 ? ADM_EXIT_FAIL : ADM_EXIT_OK;
}

enum {
	OPT_ZONES = 256, OPT_MAX_AGE, OPT_KEEP, OPT_MAX_TOTAL, OPT_JSON,
	OPT_WAIT, OPT_NO_WAIT, OPT_TIMEOUT, OPT_JOBS,
};

static const struct option cleanup_options[] = {
	{ "zones", required_argument, NULL, OPT_ZONES },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "max-total", required_argument, NULL, OPT_MAX_TOTAL },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ NULL, 0, NULL, 0 }
};

/* A whole number in [min, max]; the option's name in the message. */
static int
cleanup_count(const struct adm_cmd_entry *self, const char *opt, const char *s,
    uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
	    *out < min || *out > max)
		return adm_cmd_usage_error(self, "invalid %s '%s' (expected a "
		    "whole number from %llu to %llu)", opt, s,
		    (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* Parse one option into o; ADM_EXIT_USAGE after a message on a bad one. */
static int
cleanup_option(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    struct cleanup_opts *o, int c, const char *arg)
{
	sdc_error_t err = NULL;
	uint64_t v = 0;
	int rc = 0;

	switch (c) {
	case OPT_ZONES: ctx->zones = arg; break;
	case 'n': o->dry_run = true; break;
	case 'v': o->verbose = true; break;
	case OPT_JSON: ctx->json = true; break;
	case OPT_WAIT: o->wait = true; break;
	case OPT_NO_WAIT: o->wait = false; break;
	case OPT_MAX_AGE:
		o->has_age = true;
		if (adm_units_parse_age(arg, &o->max_age, &err) < 0)
			rc = adm_cmd_usage_error(self, "--max-age: %s",
			    sdc_error_msg(err));
		break;
	case OPT_MAX_TOTAL:
		o->has_total = true;
		if (adm_units_parse_size(arg, &o->max_total, &err) < 0)
			rc = adm_cmd_usage_error(self, "--max-total: %s",
			    sdc_error_msg(err));
		break;
	case OPT_KEEP:
		o->has_keep = true;
		rc = cleanup_count(self, "--keep", arg, 0, 1000000, &o->keep);
		break;
	case OPT_TIMEOUT:
		if (*arg != '\0' && strspn(arg, "0123456789") == strlen(arg))
			rc = cleanup_count(self, "--timeout", arg, 0, 86400, &v);
		else if (adm_units_parse_age(arg, &v, &err) < 0 || v > 86400)
			rc = adm_cmd_usage_error(self, "invalid --timeout '%s' "
			    "(expected seconds, or a number with s, m or h, "
			    "at most 1d)", arg);
		o->timeout = (int)v;
		break;
	case OPT_JOBS:
		rc = cleanup_count(self, "--jobs", arg, 1, 64, &v);
		o->jobs = (unsigned)v;
		break;
	default:
		rc = ADM_EXIT_USAGE;
	}
	sdc_error_release(&err);
	return rc != 0 ? ADM_EXIT_USAGE : 0;
}

static int
cleanup_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv)
{
	struct cleanup_opts o;
	struct adm_opt_state st;
	int c;

	memset(&o, 0, sizeof o);
	o.wait = true;
	o.timeout = CLEANUP_DEFAULT_TIMEOUT;
	o.jobs = logs_walk_default_jobs();
	adm_opt_init(&st, self);
	while ((c = adm_opt_next(&st, argc, argv)) != -1)
		if (c == '?' || cleanup_option(self, ctx, &o, c, st.arg) != 0)
			return ADM_EXIT_USAGE;
	if (st.ind < argc)
		return adm_cmd_usage_error(self, "unexpected argument '%s'",
		    argv[st.ind]);
	if (!o.has_age && !o.has_keep && !o.has_total) {
		o.has_age = true;
		o.max_age = CLEANUP_DEFAULT_AGE;
	}
	return cleanup_go(self, ctx, &o);
}

const struct adm_cmd_entry adm_cmd_logs_cleanup_entry = {
	.name = "logs cleanup",
	.alias = NULL,
	.usage = "[--zones DIR] [--max-age AGE] [--keep N] [--max-total SIZE] "
	    "[--dry-run] [--verbose] [--json] [--wait | --no-wait] "
	    "[--timeout SECS] [--jobs N]",
	.help =
	    "Removes rotated container logs, <zones>/<uuid>/logs/stdio.log.<time>,\n"
	    "never the live stdio.log and never through a symbolic link.  A file\n"
	    "goes when any rule given selects it (none given: --max-age 7d):\n"
	    "  --max-age AGE     modified longer ago than AGE (30m, 12h, 7d, 2w;\n"
	    "                    a bare number is days)\n"
	    "  --keep N          beyond the N newest rotated logs of its container\n"
	    "  --max-total SIZE  among the oldest of the tree while the rotated\n"
	    "                    total exceeds SIZE (500k, 10M, 1G)\n"
	    "Other options:\n"
	    "  --zones DIR       the zones root (default /zones)\n"
	    "  -n, --dry-run     list what would go, remove nothing\n"
	    "  -v, --verbose     list what was removed\n"
	    "  --json            print the summary (and list) as JSON\n"
	    "  --wait            wait for a run already going (the default)...\n"
	    "  --timeout SECS    ...for at most SECS (default 300), then exit 3\n"
	    "  --no-wait         exit 3 at once if another run holds the lock\n"
	    "  --jobs N          threads removing files (default 4 per CPU, 4-16)\n"
	    "Exit status: 0 done, 1 some file could not be removed, 2 usage,\n"
	    "3 another cleanup holds the lock.\n",
	.flags = 0,
	.opts = cleanup_options,
	.complete = NULL,
	.exec = cleanup_exec,
};
