/*
 * import.c: `docker import` -- a tarball becomes a one-layer image.
 *
 * The body may be compressed; libarchive's raw reader undoes that, and the
 * plain tar is stored as the layer blob, so the blob's digest is the diff
 * id and a later `docker save` hands out exactly those bytes.  The changes
 * are Dockerfile lines and are checked before the job starts, so a typo is
 * a 400 and not a half-run import.  The image has one history entry and
 * the comment the caller gives, as Docker writes them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

struct import {
	int fd;
	char *repo_tag;		/* "docker.io/library/x:tag" or NULL */
	json_t *config;		/* the container config the changes built */
	char *message;
};

/* Split shell-like words: quotes group, backslash escapes, quotes go. */
static void
import_words(const char *s, struct strvec *out)
{
	struct buf w = BUF_INIT;
	bool in = false;
	char q = 0;

	for (; *s != '\0'; s++) {
		if (q == 0 && isspace((unsigned char)*s)) {
			if (in)
				strvec_push(out, buf_str(&w));
			buf_reset(&w);
			in = false;
			continue;
		}
		in = true;
		if (q == 0 && (*s == '"' || *s == '\''))
			q = *s;
		else if (q != 0 && *s == q)
			q = 0;
		else if (*s == '\\' && q != '\'' && s[1] != '\0')
			buf_putc(&w, *++s);
		else
			buf_putc(&w, *s);
	}
	if (in)
		strvec_push(out, buf_str(&w));
	buf_free(&w);
}

/* CMD/ENTRYPOINT: a JSON array of strings, or a shell command. */
static json_t *
import_exec_form(const char *arg)
{
	json_t *a, *v;
	sdc_error_t err = NULL;
	size_t i;

	if (*arg == '[' && (a = json_parse(arg, strlen(arg), &err)) != NULL) {
		bool ok = json_is_array(a);
		json_array_foreach(a, i, v)
			ok = ok && json_is_string(v);
		if (ok)
			return a;
		json_decref(a);
	}
	sdc_error_release(&err);
	a = json_array();
	json_array_append_new(a, json_string("/bin/sh"));
	json_array_append_new(a, json_string("-c"));
	json_array_append_new(a, json_string(arg));
	return a;
}

static void
import_env_set(json_t *config, const char *key, const char *value)
{
	json_t *env = json_object_get(config, "Env"), *v;
	size_t i, klen = strlen(key);
	char *kv;

	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(config, "Env", env);
	}
	xasprintf(&kv, "%s=%s", key, value);
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);
		if (s != NULL && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

/* ENV and LABEL: k=v pairs, or the old "KEY value with spaces". */
static int
import_pairs(json_t *config, const char *what, const char *arg, sdc_error_t *err)
{
	struct strvec w = { 0 };
	bool pairs = true;
	json_t *labels;

	import_words(arg, &w);
	for (size_t i = 0; i < w.n; i++)
		pairs = pairs && strchr(w.v[i], '=') != NULL && w.v[i][0] != '=';
	if (w.n == 0 || (!pairs && (w.n < 2 || strchr(w.v[0], '=') != NULL))) {
		strvec_clear(&w);
		return sdc_make_error_code(err, 400, "%s requires at least one "
		    "argument of the form key=value", what);
	}
	labels = json_object_get(config, "Labels");
	if (strcmp(what, "LABEL") == 0 && !json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(config, "Labels", labels);
	}
	for (size_t i = 0; i < (pairs ? w.n : 1); i++) {
		char *k = w.v[i], *v;
		if (pairs) {
			v = strchr(k, '=');
			*v++ = '\0';
		} else {
			/* the old form: everything after the key is the value */
			v = (char *)arg + strcspn(arg, " \t");
			v += strspn(v, " \t");
		}
		if (strcmp(what, "ENV") == 0)
			import_env_set(config, k, v);
		else
			json_object_set_new(labels, k, json_string(v));
	}
	strvec_clear(&w);
	return 0;
}

static int
import_ports(json_t *config, const char *arg, sdc_error_t *err)
{
	struct strvec w = { 0 };
	json_t *ports = json_object_get(config, "ExposedPorts");
	int rc = 0;

	import_words(arg, &w);
	if (!json_is_object(ports)) {
		ports = json_object();
		json_object_set_new(config, "ExposedPorts", ports);
	}
	for (size_t i = 0; i < w.n && rc == 0; i++) {
		char *p = w.v[i], *key;
		unsigned long n = strtoul(p, &p, 10);
		if (n == 0 || n > 65535 || (*p != '\0' && strcmp(p, "/tcp") != 0 &&
		    strcmp(p, "/udp") != 0 && strcmp(p, "/sctp") != 0)) {
			rc = sdc_make_error_code(err, 400, "invalid port: %s", w.v[i]);
			break;
		}
		xasprintf(&key, "%lu%s", n, *p ? p : "/tcp");
		json_object_set_new(ports, key, json_object());
		free(key);
	}
	strvec_clear(&w);
	return rc;
}

/* VOLUME ["/a", "/b"] or VOLUME /a /b */
static int
import_volumes(json_t *config, const char *arg, sdc_error_t *err)
{
	json_t *vols = json_object_get(config, "Volumes"), *a, *v;
	struct strvec w = { 0 };
	sdc_error_t perr = NULL;
	size_t i;

	if (!json_is_object(vols)) {
		vols = json_object();
		json_object_set_new(config, "Volumes", vols);
	}
	if (*arg == '[' && (a = json_parse(arg, strlen(arg), &perr)) != NULL) {
		json_array_foreach(a, i, v)
			if (json_is_string(v))
				strvec_push(&w, json_string_value(v));
		json_decref(a);
	} else
		import_words(arg, &w);
	sdc_error_release(&perr);
	for (i = 0; i < w.n; i++)
		if (w.v[i][0] != '/') {
			sdc_make_error_code(err, 400, "VOLUME %s: the path must "
			    "be absolute", w.v[i]);
			strvec_clear(&w);
			return -1;
		}
	for (i = 0; i < w.n; i++)
		json_object_set_new(vols, w.v[i], json_object());
	strvec_clear(&w);
	return 0;
}

static int
import_change(json_t *config, const char *line, sdc_error_t *err)
{
	size_t n = strcspn(line, " \t");
	const char *arg = line + n + strspn(line + n, " \t");
	char *cmd = xstrndup(line, n);
	json_t *vols;
	int rc = 0;

	for (char *c = cmd; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	if (*arg == '\0' && *cmd != '\0')
		rc = sdc_make_error_code(err, 400, "%s requires an argument", cmd);
	else if (strcmp(cmd, "CMD") == 0 || strcmp(cmd, "ENTRYPOINT") == 0)
		json_object_set_new(config, strcmp(cmd, "CMD") == 0 ? "Cmd" : "Entrypoint",
		    import_exec_form(arg));
	else if (strcmp(cmd, "ENV") == 0 || strcmp(cmd, "LABEL") == 0)
		rc = import_pairs(config, cmd, arg, err);
	else if (strcmp(cmd, "WORKDIR") == 0)
		json_object_set_new(config, "WorkingDir", json_string(arg));
	else if (strcmp(cmd, "USER") == 0)
		json_object_set_new(config, "User", json_string(arg));
	else if (strcmp(cmd, "STOPSIGNAL") == 0)
		json_object_set_new(config, "StopSignal", json_string(arg));
	else if (strcmp(cmd, "EXPOSE") == 0)
		rc = import_ports(config, arg, err);
	else if (strcmp(cmd, "VOLUME") == 0)
		rc = import_volumes(config, arg, err);
	else if (strcmp(cmd, "ONBUILD") == 0) {
		vols = json_object_get(config, "OnBuild");
		if (!json_is_array(vols)) {
			vols = json_array();
			json_object_set_new(config, "OnBuild", vols);
		}
		json_array_append_new(vols, json_string(arg));
	} else
	{
		/* Docker names it in lower case */
		for (char *c = cmd; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		rc = sdc_make_error_code(err, 400, "%s is not a valid change command",
		    *cmd ? cmd : "(empty)");
	}
	free(cmd);
	return rc;
}

int
import_apply_changes(json_t *config, const char *const *changes, sdc_error_t *err)
{
	for (size_t i = 0; changes != NULL && changes[i] != NULL; i++)
		if (import_change(config, changes[i], err) < 0)
			return sdc_error_wrap(err, "invalid change \"%s\"", changes[i]);
	return 0;
}

/* Undo any compression while storing the tar as a blob. */
static int
import_store_tar(struct images_job *job, struct import *ip, char diff[72],
    sdc_error_t *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct blob_writer w = { 0 };
	char *chunk = xmalloc(128 * 1024);
	la_ssize_t n = 0;
	int rc = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_fd(a, ip->fd, 128 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		rc = sdc_make_error_code(err, 400, "reading the tarball: %s",
		    archive_error_string(a));
	if (rc == 0 && blob_writer_open(&w, job->im, err) < 0)
		rc = -1;
	while (rc == 0 && (n = archive_read_data(a, chunk, 128 * 1024)) > 0)
		if (job_cancelled(job) || budget_charge(&job->budget,
		    &job->budget.stored, n, err) < 0 ||
		    blob_writer_write(&w, chunk, (size_t)n, err) < 0)
			rc = -1;
	if (rc == 0 && n < 0)
		rc = sdc_make_error_code(err, 400, "reading the tarball: %s",
		    archive_error_string(a));
	if (rc == 0)
		rc = blob_writer_commit(&w, NULL, -1, diff, err);
	else if (w.md != NULL)
		blob_writer_abort(&w);
	archive_read_free(a);
	free(chunk);
	return rc;
}

static char *
import_config(struct import *ip, const char *diff)
{
	json_t *c = json_object(), *h = json_array(), *he = json_object();
	json_t *rootfs = json_object(), *ids = json_array();
	char now[TIME_RFC3339_LEN], *text;

	time_rfc3339(now, sizeof now, time_now_ns(), 9);
	json_object_set_new(c, "architecture", json_string("amd64"));
	if (ip->message != NULL)
		json_object_set_new(c, "comment", json_string(ip->message));
	json_object_set(c, "config", ip->config);
	json_object_set_new(c, "created", json_string(now));
	json_object_set_new(c, "docker_version", json_string("sdc-docker " SDC_VERSION));
	json_object_set_new(he, "created", json_string(now));
	json_object_set_new(he, "comment", json_string(ip->message ? ip->message :
	    "Imported from -"));
	json_array_append_new(h, he);
	json_object_set_new(c, "history", h);
	json_object_set_new(c, "os", json_string("linux"));
	json_array_append_new(ids, json_string(diff));
	json_object_set_new(rootfs, "type", json_string("layers"));
	json_object_set_new(rootfs, "diff_ids", ids);
	json_object_set_new(c, "rootfs", rootfs);
	text = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(c);
	return text;
}

int
import_own_layer(struct images_job *job, const char *diff, int64_t *size,
    sdc_error_t *err)
{
	struct layer_result res;
	char *blob;
	int rc = 0;

	job_pin(job, diff);
	job_created_blob(job, diff);
	job_proved(job, diff);	/* the account's own bytes hash to it */
	blob = blobs_path(job->im, diff);
	if (!layers_exists(job->im, diff)) {
		/* the blob was charged as it was stored; the files are
		 * bounded by it */
		rc = layers_unpack(job->im, blob, diff, NULL, NULL, &job->cancel,
		    NULL, &res, err);
		if (rc == 0 && res.created)
			job_created_layer(job, diff);
		if (rc == 0)
			*size = res.size;
	} else {
		char *dir = images_layer_dir(job->im, diff);
		*size = tree_size(dir);
		free(dir);
	}
	free(blob);
	return rc;
}

static int
import_run(struct images_job *job, sdc_error_t *err)
{
	struct import *ip = job->data;
	struct layer_result res;
	struct job_image *img;
	char diff[72], id[72], *config;

	if (import_store_tar(job, ip, diff, err) < 0 ||
	    import_own_layer(job, diff, &res.size, err) < 0)
		return -1;
	config = import_config(ip, diff);
	if (blobs_put(job->im, config, strlen(config), NULL, id, err) < 0) {
		free(config);
		return -1;
	}
	job_pin(job, id);
	job_created_blob(job, id);
	img = job_add_image(job);
	img->id = xstrdup(id);
	img->config = config;
	img->nlayers = 1;
	img->layers = xcalloc(2, sizeof *img->layers);
	img->layers[0].digest = xstrdup(diff);
	img->layers[0].diff_id = xstrdup(diff);
	img->layers[0].media_type = xstrdup("application/vnd.docker.image.rootfs.diff.tar");
	img->layers[0].blob_size = -1;
	img->layers[0].size = res.size;
	if (ip->repo_tag != NULL)
		strvec_push(&img->tags, ip->repo_tag);
	return 0;
}

int
import_commit(struct images_job *job, sdc_error_t *err)
{
	struct job_image *img = &job->images[0];
	struct images_event ev = { IMAGES_EV_IMPORTED, NULL, img->id, 0, 0 };

	if (meta_commit_image(job->im, job->account, img, &job->proved, err) < 0)
		return -1;
	if (job->cb != NULL)
		job->cb(job->arg, &ev);
	return 0;
}

static void
import_free(struct images_job *job)
{
	struct import *ip = job->data;

	if (ip == NULL)
		return;
	if (ip->fd >= 0)
		close(ip->fd);
	free(ip->repo_tag);
	json_decref(ip->config);
	free(ip->message);
	free(ip);
}

/* "repo[:tag]" -> normalised "domain/path:tag". */
int
import_repo_tag(const char *repo, char **out, sdc_error_t *err)
{
	struct image_ref ref;
	char *r;

	*out = NULL;
	if (repo == NULL || *repo == '\0')
		return 0;
	if (image_ref_parse(&ref, repo, err) < 0)
		return -1;
	if (ref.digest != NULL) {
		image_ref_free(&ref);
		return sdc_make_error_code(err, 400,
		    "cannot import or commit with a digest reference");
	}
	r = image_ref_repo(&ref);
	xasprintf(out, "%s:%s", r, ref.tag);
	free(r);
	image_ref_free(&ref);
	return 0;
}

int
images_import_start(struct images *im, const char *account, int fd,
    const char *repo, const char *const *changes, const char *message,
    images_event_fn *cb, void *arg, struct images_job **out, sdc_error_t *err)
{
	struct import *ip = xcalloc(1, sizeof *ip);
	struct images_job *job;

	ip->fd = fd;
	ip->config = json_object();
	ip->message = message && *message ? xstrdup(message) : NULL;
	job = job_new(im, account, cb, arg);
	job->data = ip;
	job->run = import_run;
	job->commit = import_commit;
	job->free_data = import_free;
	if (import_repo_tag(repo, &ip->repo_tag, err) < 0 ||
	    import_apply_changes(ip->config, changes, err) < 0) {
		images_job_free(job);
		return -1;
	}
	return job_start(job, out, err);
}
