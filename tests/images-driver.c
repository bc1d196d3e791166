/*
 * images-driver.c: a command-line front to libsdcimages for the
 * integration tests and bench/pull; built beside the unit tests, never
 * installed.  It drives jobs the way the daemon does, through
 * images_job_wait(), and prints every progress event as the JSON line the
 * Docker API would stream, so tests check exactly what clients would see.
 *
 *   images-driver -d DATA [-m MIRROR] [-k HOST] [-a XREGAUTH] [-j N] [-c MS]
 *                 [-u ID,CONTAINER[,running]]
 *                 CMD ACCOUNT ARGS...
 *   CMD: pull NAME... (several: at once) | list [-D 0|1] [-l LABEL] [-r REF] | inspect NAME |
 *        history NAME | tag NAME TARGET | rmi [-f] [-n] NAME | resolve NAME |
 *        layers NAME | save OUT NAME... | load FILE | import FILE REPO [CHANGE...]
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockerapi/images/images.h"
#include "jsonutil.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

static const char *in_use_spec;
static int cancel_ms = -1;	/* -c: free a pull this long after its start */

static void
print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	puts(s);
	free(s);
}

static void
on_event(void *arg, const struct images_event *ev)
{
	json_t *j = images_event_json(ev);

	(void)arg;
	print_json(j);
	json_decref(j);
	fflush(stdout);
}

static bool
in_use(void *arg, const char *account, const char *id, char **container, bool *running)
{
	char *spec, *ctr, *run;
	bool hit;

	(void)arg;
	(void)account;
	if (in_use_spec == NULL)
		return false;
	spec = xstrdup(in_use_spec);
	ctr = strchr(spec, ',');
	if (ctr == NULL) {
		free(spec);
		return false;
	}
	*ctr++ = '\0';
	run = strchr(ctr, ',');
	if (run != NULL)
		*run++ = '\0';
	hit = strcmp(spec, id) == 0;
	if (hit) {
		*container = xstrdup(ctr);
		*running = run != NULL && strcmp(run, "running") == 0;
	}
	free(spec);
	return hit;
}

static int
write_fd(void *arg, const void *data, size_t len)
{
	int fd = *(int *)arg;
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Abandon the job after cancel_ms, as the daemon does when a client goes. */
static int
run_job_cancelled(struct images_job *job, sdc_error_t *err)
{
	struct pollfd p = { .fd = images_job_fd(job), .events = POLLIN };
	struct timespec start, now;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		poll(&p, 1, 50);
		if ((r = images_job_dispatch(job, err)) != 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 >= cancel_ms)
			break;
	}
	images_job_free(job);
	if (r == 0)
		return sdc_make_error(err, 0, "cancelled by the driver");
	return r > 0 ? 0 : -1;
}

static int
run_job(struct images_job *job, sdc_error_t *err)
{
	int r;

	if (cancel_ms >= 0)
		return run_job_cancelled(job, err);
	r = images_job_wait(job, err);

	if (r > 0 && images_job_image_id(job) != NULL)
		fprintf(stderr, "image %s\n", images_job_image_id(job));
	images_job_free(job);
	return r > 0 ? 0 : -1;
}

/* Several pulls at once, the way the daemon runs them: one poll loop
 * dispatching every job on this thread. */
static int
cmd_pull_many(struct images *im, const char *account, const struct images_auth *auth,
    int argc, char **argv, sdc_error_t *err)
{
	struct images_job *jobs[16];
	struct pollfd p[16];
	int n = argc < 16 ? argc : 16, left, failed = 0;

	for (int i = 0; i < n; i++)
		if (images_pull_start(im, account, argv[i], auth, on_event, NULL,
		    &jobs[i], err) < 0) {
			while (i-- > 0)
				images_job_free(jobs[i]);
			return -1;
		}
	for (left = n; left > 0; ) {
		for (int i = 0; i < n; i++) {
			p[i].fd = jobs[i] ? images_job_fd(jobs[i]) : -1;
			p[i].events = POLLIN;
		}
		poll(p, (nfds_t)n, 1000);
		for (int i = 0; i < n; i++) {
			sdc_error_t e = NULL;
			int r;
			if (jobs[i] == NULL || (r = images_job_dispatch(jobs[i], &e)) == 0)
				continue;
			if (r < 0) {
				fprintf(stderr, "error: %s: %s\n", argv[i], sdc_error_msg(e));
				failed++;
			}
			sdc_error_release(&e);
			images_job_free(jobs[i]);
			jobs[i] = NULL;
			left--;
		}
	}
	return failed ? sdc_make_error(err, 0, "%d pulls failed", failed) : 0;
}

static int
cmd_save(struct images *im, const char *account, int argc, char **argv, sdc_error_t *err)
{
	struct images_save *sv;
	int fd, rc;

	if (argc < 2)
		return sdc_make_error(err, 0, "save OUT NAME...");
	if (images_save_prepare(im, account, (const char *const *)argv + 1, &sv, err) < 0)
		return -1;
	fd = strcmp(argv[0], "-") == 0 ? 1 :
	    open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		images_save_free(sv);
		return sdc_make_error(err, 0, "cannot open %s", argv[0]);
	}
	rc = images_save_write(sv, write_fd, &fd, err);
	if (fd != 1)
		close(fd);
	images_save_free(sv);
	return rc;
}

static int
cmd_list(struct images *im, const char *account, int argc, char **argv, sdc_error_t *err)
{
	struct images_filter f = { false, -1, NULL, NULL };
	const char *labels[8] = { NULL }, *refs[8] = { NULL };
	int nl = 0, nr = 0, c;
	json_t *out;

	optind = 0;
	while ((c = getopt(argc + 1, argv - 1, "aD:l:r:")) != -1) {
		if (c == 'a')
			f.all = true;
		else if (c == 'D')
			f.dangling = atoi(optarg);
		else if (c == 'l' && nl < 7)
			labels[nl++] = optarg;
		else if (c == 'r' && nr < 7)
			refs[nr++] = optarg;
	}
	f.labels = labels;
	f.references = refs;
	if (images_list(im, account, &f, &out, err) < 0)
		return -1;
	print_json(out);
	json_decref(out);
	return 0;
}

static int
cmd_rmi(struct images *im, const char *account, int argc, char **argv, sdc_error_t *err)
{
	bool force = false, noprune = false;
	json_t *out;
	int c;

	optind = 0;
	while ((c = getopt(argc + 1, argv - 1, "fn")) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'n')
			noprune = true;
	}
	if (optind - 1 >= argc)
		return sdc_make_error(err, 0, "rmi NAME");
	if (images_remove(im, account, argv[optind - 1], force, noprune, in_use,
	    NULL, &out, err) < 0)
		return -1;
	print_json(out);
	json_decref(out);
	return 0;
}

static int
cmd_show(struct images *im, const char *cmd, const char *account, const char *name,
    sdc_error_t *err)
{
	json_t *out = NULL, *cfg = NULL;
	char *id;
	int rc;

	if (strcmp(cmd, "inspect") == 0)
		rc = images_inspect(im, account, name, &out, err);
	else if (strcmp(cmd, "history") == 0)
		rc = images_history(im, account, name, &out, err);
	else if (strcmp(cmd, "layers") == 0) {
		rc = images_layers(im, account, name, &out, &cfg, err);
		json_decref(cfg);
		if (rc == 0) {
			size_t i;
			json_t *d;
			json_array_foreach(out, i, d) {
				char *dir = images_layer_dir(im, json_string_value(d));
				puts(dir);
				free(dir);
			}
			json_decref(out);
			return 0;
		}
	} else {
		rc = images_resolve(im, account, name, &id, err);
		if (rc == 0) {
			puts(id);
			free(id);
		}
		return rc;
	}
	if (rc == 0)
		print_json(out);
	json_decref(out);
	return rc;
}

static int
cmd_import(struct images *im, const char *account, int argc, char **argv, sdc_error_t *err)
{
	struct images_job *job;
	int fd;

	if (argc < 2)
		return sdc_make_error(err, 0, "import FILE REPO [CHANGE...]");
	fd = strcmp(argv[0], "-") == 0 ? dup(0) : open(argv[0], O_RDONLY);
	if (fd < 0)
		return sdc_make_error(err, 0, "cannot open %s", argv[0]);
	if (images_import_start(im, account, fd, *argv[1] ? argv[1] : NULL,
	    (const char *const *)argv + 2, "imported by the test driver", on_event,
	    NULL, &job, err) < 0)
		return -1;
	return run_job(job, err);
}

static int
dispatch(struct images *im, const struct images_auth *auth, int argc, char **argv,
    sdc_error_t *err)
{
	const char *cmd = argv[0], *account = argv[1];
	struct images_job *job;
	int fd;

	argc -= 2;
	argv += 2;
	if (strcmp(cmd, "pull") == 0 && argc == 1) {
		if (images_pull_start(im, account, argv[0], auth, on_event, NULL, &job, err) < 0)
			return -1;
		return run_job(job, err);
	}
	if (strcmp(cmd, "pull") == 0 && argc > 1)
		return cmd_pull_many(im, account, auth, argc, argv, err);
	if (strcmp(cmd, "load") == 0 && argc == 1) {
		fd = strcmp(argv[0], "-") == 0 ? dup(0) : open(argv[0], O_RDONLY);
		if (fd < 0)
			return sdc_make_error(err, 0, "cannot open %s", argv[0]);
		if (images_load_start(im, account, fd, on_event, NULL, &job, err) < 0)
			return -1;
		return run_job(job, err);
	}
	if (strcmp(cmd, "import") == 0)
		return cmd_import(im, account, argc, argv, err);
	if (strcmp(cmd, "save") == 0)
		return cmd_save(im, account, argc, argv, err);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(im, account, argc, argv, err);
	if (strcmp(cmd, "rmi") == 0)
		return cmd_rmi(im, account, argc, argv, err);
	if (strcmp(cmd, "tag") == 0 && argc == 2)
		return images_tag(im, account, argv[0], argv[1], err);
	if (argc == 1)
		return cmd_show(im, cmd, account, argv[0], err);
	return sdc_make_error(err, 0, "unknown command or arguments: %s", cmd);
}

int
main(int argc, char **argv)
{
	struct images_opts o = { 0 };
	struct images_auth auth = { 0 };
	const char *insecure[8] = { NULL };
	const char *allow[8] = { NULL };
	int ni = 0, np = 0, c, rc = 1;
	struct store *st = NULL;
	struct images *im = NULL;
	sdc_error_t err = NULL;
	char *dbpath;

	log_init("images-driver", 2, LOG_WARN);
	while ((c = getopt(argc, argv, "+d:m:k:p:a:u:j:c:")) != -1) {
		switch (c) {
		case 'd': o.datadir = optarg; break;
		case 'm': o.mirror = optarg; break;
		case 'k': if (ni < 7) insecure[ni++] = optarg; break;
		case 'p': if (np < 7) allow[np++] = optarg; break;
		case 'a':
			if (images_auth_parse(&auth, optarg, &err) < 0)
				goto out;
			break;
		case 'u': in_use_spec = optarg; break;
		case 'j': o.max_downloads = atoi(optarg); break;
		case 'c': cancel_ms = atoi(optarg); break;
		default: goto usage;
		}
	}
	o.insecure = insecure;
	o.allow_private = allow;
	if (o.datadir == NULL || argc - optind < 2)
		goto usage;
	mkdir(o.datadir, 0700);
	xasprintf(&dbpath, "%s/images-test.db", o.datadir);
	rc = store_open(&st, dbpath, &err) < 0 || images_open(&im, st, &o, &err) < 0 ||
	    dispatch(im, &auth, argc - optind, argv + optind, &err) < 0;
	free(dbpath);
out:
	if (err != NULL)
		fprintf(stderr, "error: %s (code %d)\n", sdc_error_msg(err), err->code);
	sdc_error_release(&err);
	images_close(im);
	if (st != NULL)
		store_close(st);
	images_auth_free(&auth);
	return rc ? 1 : 0;
usage:
	fprintf(stderr, "usage: images-driver -d DATA [-m MIRROR] [-k HOST] "
	    "[-a XREGAUTH] CMD ACCOUNT ARGS...\n");
	return 2;
}
