/*
 * logs-tail.c: a container's log read backwards, newest line first.
 *
 * `docker logs --tail 5` wants the last five records of a log that may be
 * gigabytes long, across rotated files.  Reading it all from the start to
 * keep the last five costs time in proportion to the log (20 s for 1.2 GB
 * here); reading from the end costs the five lines.  So each file, the
 * live one first and then the rotated ones newest first, is read in blocks
 * from its end, and its lines handed out last first, each with where it
 * starts, until the caller has found where its answer begins (the N-th
 * matching record from the end or, with --since, the first line older
 * than that: lines are written in time order).  The caller then reads
 * forward from there, so memory does not grow with N.
 *
 * A line still being written (no newline yet at the end of the live file)
 * is left out: the forward read takes it when it is complete.
 *
 * --since without --tail is found the same way rather than by reading up
 * to it: whole rotated files whose last line is older are passed over,
 * and in the file where it falls a binary search on the lines' times
 * (they are in order) finds a line start at most a block before the
 * first line that is not older.  A --since near the end of a large log
 * costs a few reads.
 *
 * Plain files and pread(), no stdio: this runs on a worker thread of
 * a log reader (api/containers-logs.c on a head, agent/container-logs.c
 * on a node), never on a loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "dockerapi/runtime/logs-read.h"
#include "xalloc.h"

#define TAIL_BLOCK (64 * 1024)

/* One file from `end` backward; 1 when fn asked to stop. */
static int
tail_file(int fd, off_t end, size_t file, logs_line_fn *fn, void *arg)
{
	struct buf win = BUF_INIT;      /* [pos, pos + win.len) of the file */
	off_t pos = end;
	bool first = true;
	int rc = 0;

	while (pos > 0 && rc == 0) {
		size_t n = pos > TAIL_BLOCK ? TAIL_BLOCK : (size_t)pos;
		size_t e, k;
		ssize_t got;

		pos -= (off_t)n;
		/* the block goes in front of what is left of the later ones */
		buf_grow(&win, n);
		memmove(win.data + n, win.data, win.len);
		got = pread(fd, win.data, n, pos);
		if (got != (ssize_t)n) {
			rc = -1;
			break;
		}
		win.len += n;
		if (first) {
			/* a line still being written is not a record yet */
			e = win.len;
			while (e > 0 && win.data[e - 1] != '\n')
				e--;
			if (e == 0 && pos > 0)
				continue;       /* no newline in this block yet */
			win.len = e;
		}
		first = false;
		/* complete lines, from the last; the first one may begin in
		 * an earlier block, unless this is the file's start */
		e = win.len;
		while (e > 0 && rc == 0) {
			k = e - 1;      /* e - 1 is the line's newline */
			while (k > 0 && win.data[k - 1] != '\n')
				k--;
			if (k == 0 && pos > 0)
				break;
			rc = fn(arg, file, pos + (off_t)k, win.data + k, e - k);
			e = k;
		}
		win.len = e;
	}
	buf_free(&win);
	return rc;
}

/* A log file of the folder, never through a symlink, and its size; -1
 * when it is gone or cannot be read. */
static int
tail_open(const char *dir, const char *name, struct stat *st)
{
	char *path;
	int fd;

	xasprintf(&path, "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd >= 0 && fstat(fd, st) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int
logs_tail_scan(const char *dir, char *const *files, size_t nfiles,
    logs_line_fn *fn, void *arg)
{
	struct stat st;
	int fd, rc = 0;

	for (size_t i = nfiles; i-- > 0 && rc == 0;) {
		if ((fd = tail_open(dir, files[i], &st)) < 0)
			continue;       /* gone meanwhile (cleanup, driver none) */
		rc = tail_file(fd, st.st_size, i, fn, arg);
		close(fd);
	}
	return rc < 0 ? -1 : 0;
}

/* The newest complete line of a file. */
struct seek_last {
	struct buf line;
	bool found;
};

static int
seek_last_line(void *arg, size_t file, off_t off, const char *line, size_t len)
{
	struct seek_last *l = arg;

	buf_append(&l->line, line, len);
	l->found = true;
	return 1;
}

/* The first complete line starting after offset mid (before hi), into
 * *line; false when there is none in the block there. */
static bool
seek_line_after(int fd, off_t mid, off_t hi, struct buf *blk, off_t *start,
    size_t *len)
{
	size_t n = hi - mid > TAIL_BLOCK ? TAIL_BLOCK : (size_t)(hi - mid);
	ssize_t got;
	char *nl, *end;

	buf_reset(blk);
	buf_grow(blk, n);
	got = pread(fd, blk->data, n, mid);
	if (got <= 0)
		return false;
	blk->len = (size_t)got;
	if ((nl = memchr(blk->data, '\n', blk->len)) == NULL)
		return false;
	nl++;
	end = memchr(nl, '\n', blk->len - (size_t)(nl - blk->data));
	if (end == NULL)
		return false;
	*start = mid + (off_t)(nl - blk->data);
	*len = (size_t)(end + 1 - nl);
	memmove(blk->data, nl, *len);
	blk->len = *len;
	return true;
}

int
logs_since_seek(const char *dir, char *const *files, size_t nfiles,
    logs_before_fn *before, void *arg, size_t *file, off_t *off)
{
	struct seek_last last = { BUF_INIT, false };
	struct buf blk = BUF_INIT;
	struct stat st;
	off_t lo, hi, mid, start;
	size_t len;
	int fd;

	*file = 0;
	*off = 0;
	for (size_t i = 0; i < nfiles; i++) {
		if ((fd = tail_open(dir, files[i], &st)) < 0)
			continue;
		buf_reset(&last.line);
		last.found = false;
		if (tail_file(fd, st.st_size, i, seek_last_line, &last) < 0 ||
		    !last.found) {
			close(fd);
			continue;       /* empty, or unreadable: read it as is */
		}
		if (before(arg, last.line.data, last.line.len) &&
		    i + 1 < nfiles) {
			close(fd);      /* all of it is older */
			*file = i + 1;
			continue;
		}
		/* lines starting before lo are all older */
		lo = 0;
		hi = st.st_size;
		while (hi - lo > TAIL_BLOCK) {
			mid = lo + (hi - lo) / 2;
			if (seek_line_after(fd, mid, hi, &blk, &start, &len) &&
			    before(arg, blk.data, len))
				lo = start;
			else
				hi = mid;
		}
		close(fd);
		*file = i;
		*off = lo;
		break;
	}
	buf_free(&last.line);
	buf_free(&blk);
	return 0;
}
