/*
 * logs-reader.c: a container's log read forward, line by line, across
 * its rotated files and the live one, and where a request's answer
 * begins in it (--tail, --since), for whoever holds the folder: a head's
 * worker and loop (dockerapi/api/containers-logs.c) and the agent's
 * thread (agent/container-logs.c) read it the same way.
 *
 * A line still being written (no newline yet) is kept until its end
 * comes.  Following a log, a rotation is seen as the live name pointing
 * at another inode than the file being read: that file is read to its
 * end first, then the new live file from its start, so nothing is lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dockerapi/runtime/container-layout.h"
#include "dockerapi/runtime/logs-read.h"
#include "xalloc.h"

void
logs_reader_init(struct logs_reader *r, const char *dir)
{
	memset(r, 0, sizeof *r);
	r->dir = xstrdup(dir);
	r->files = logs_files(dir, &r->nfiles);
}

void
logs_reader_free(struct logs_reader *r)
{
	if (r->fp != NULL)
		fclose(r->fp);
	if (r->files != NULL)
		logs_files_free(r->files, r->nfiles);
	buf_free(&r->partial);
	free(r->dir);
	memset(r, 0, sizeof *r);
}

static bool
logs_reader_open(struct logs_reader *r)
{
	struct stat st;
	char *path;

	xasprintf(&path, "%s/%s", r->dir, r->files[r->idx]);
	r->fp = fopen(path, "re");
	free(path);
	if (r->fp != NULL && fstat(fileno(r->fp), &st) == 0)
		r->ino = st.st_ino;
	return r->fp != NULL;
}

/* --tail: the N-th record the filter keeps, from the end. */
static int
logs_start_tail(void *arg, size_t file, off_t off, const char *line,
    size_t len)
{
	struct logs_start *s = arg;
	struct buf b = BUF_INIT;
	int kept;

	if (s->cancel != NULL && atomic_load(s->cancel))
		return 1;
	if (s->found >= s->tail || logs_line_range(s->f, line, len) < 0) {
		/* enough (--tail 0), or older than --since, as is all before
		 * it: the answer begins after this line */
		s->file = file;
		s->off = off + (off_t)len;
		return 1;
	}
	kept = logs_record_parse(s->f, line, len, &b);
	buf_free(&b);
	if (kept != 0 && ++s->found >= s->tail) {
		s->file = file;
		s->off = off;
		return 1;
	}
	return 0;
}

static bool
logs_start_before(void *arg, const char *line, size_t len)
{
	return logs_line_range(((struct logs_start *)arg)->f, line, len) < 0;
}

void
logs_reader_start(struct logs_reader *r, const struct logs_filter *f,
    long tail, const atomic_bool *cancel)
{
	struct logs_start s = { .f = f, .tail = tail, .cancel = cancel };

	if (tail >= 0)
		logs_tail_scan(r->dir, r->files, r->nfiles, logs_start_tail, &s);
	else if (f->since[0] != '\0')
		logs_since_seek(r->dir, r->files, r->nfiles, logs_start_before,
		    &s, &s.file, &s.off);
	r->idx = s.file;
	if (s.off > 0 && (cancel == NULL || !atomic_load(cancel)) &&
	    logs_reader_open(r) && fseeko(r->fp, s.off, SEEK_SET) != 0) {
		fclose(r->fp);
		r->fp = NULL;
	}
}

/* Complete lines to the end of the current file; false when fn stopped. */
static bool
logs_reader_file(struct logs_reader *r, logs_reader_line_fn *fn, void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool stop = false;

	clearerr(r->fp);
	while (!stop && (n = getline(&line, &cap, r->fp)) > 0) {
		if (line[n - 1] != '\n') {
			buf_append(&r->partial, line, (size_t)n);
			continue;
		}
		if (r->partial.len > 0) {
			buf_append(&r->partial, line, (size_t)n);
			stop = fn(arg, r->partial.data, r->partial.len);
			buf_reset(&r->partial);
		} else
			stop = fn(arg, line, (size_t)n);
	}
	free(line);
	return !stop;
}

bool
logs_reader_through(struct logs_reader *r, logs_reader_line_fn *fn, void *arg)
{
	for (;;) {
		if (r->fp == NULL && !logs_reader_open(r)) {
			if (r->idx + 1 < r->nfiles) {
				r->idx++;
				continue;
			}
			return true;    /* no live log (driver none) */
		}
		if (!logs_reader_file(r, fn, arg))
			return false;
		if (r->idx + 1 >= r->nfiles)
			return true;
		fclose(r->fp);
		r->fp = NULL;
		r->idx++;
	}
}

bool
logs_reader_rotated(struct logs_reader *r)
{
	struct stat st;
	char *path;
	bool moved;

	if (r->fp == NULL)
		return false;
	xasprintf(&path, "%s/" RT_LOG_FILE, r->dir);
	moved = stat(path, &st) == 0 && st.st_ino != r->ino;
	free(path);
	if (moved) {
		fclose(r->fp);
		r->fp = NULL;
		r->idx = r->nfiles - 1;         /* the new stdio.log */
	}
	return moved;
}
