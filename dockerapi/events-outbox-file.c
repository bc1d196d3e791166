/*
 * events-outbox-file.c: the events a head owes the other heads, kept on
 * disk as well (DATA/events-outbox), so that a head killed or restarted
 * while the store is away sends them once it is back.
 *
 * The file is append-only: each record is "at len\n", then the payload
 * (len bytes, "origin:id\naccount\nmessage" as events-notify.c made it),
 * then "\n".  The payload keeps the origin and id it was made with: a
 * head draws a new origin at each start and counts from 1 again, so the
 * old events keep ids the receivers have not heard (they are never
 * skipped), and one sent both before the kill and after the start is
 * skipped as a send made twice.  An event is saved (written and
 * fdatasync'd) before the caller counts it as waiting; one sent at once,
 * the store up, never touches the disk.
 *
 * What was sent (or dropped at a bound) stays in the file until a save
 * finds the queue empty (the file is cut to nothing) or as many records
 * gone as left (the rest is written again, atomically): a head killed
 * between sends sends some twice, which the receivers skip.  A record
 * cut short (power lost mid-write) can only be the last: loading stops
 * there and cuts it off, keeping those before.
 *
 * One process at a time uses a file: it holds an flock(2) on a file
 * beside it (path".lock", never renamed, unlike the file when written
 * anew), and a second head on the same data dir takes another file
 * (events-notify.c).  The lock goes with the process, so a restarted
 * head takes the file its killed run left.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "buf.h"
#include "events-outbox.h"
#include "fsutil.h"
#include "xalloc.h"

#define EVENTS_OUTBOX_FILE_MODE 0600

static void
events_outbox_record(struct buf *b, const struct events_outbox_entry *e)
{
	buf_printf(b, "%" PRId64 " %zu\n", e->at, e->len);
	buf_append(b, e->payload, e->len);
	buf_putc(b, '\n');
}

/* The record at p (n bytes left): its length, or 0 if cut short or not
 * a record; its time and payload (not copied) in *at, *payload, *len. */
static size_t
events_outbox_parse(const char *p, size_t n, int64_t *at,
    const char **payload, size_t *len)
{
	const char *nl = memchr(p, '\n', n), *sp;
	char *end;
	unsigned long long l;
	size_t head;

	if (nl == NULL || (sp = memchr(p, ' ', (size_t)(nl - p))) == NULL ||
	    sp == p || strspn(p, "-0123456789") != (size_t)(sp - p) ||
	    nl == sp + 1 || strspn(sp + 1, "0123456789") !=
	    (size_t)(nl - sp - 1))
		return 0;
	*at = strtoll(p, &end, 10);
	if (end != sp)
		return 0;
	errno = 0;
	l = strtoull(sp + 1, NULL, 10);
	head = (size_t)(nl + 1 - p);
	if (errno != 0 || l >= n - head || p[head + l] != '\n' ||
	    memchr(nl + 1, '\0', l) != NULL)
		return 0;
	*payload = nl + 1;
	*len = (size_t)l;
	return head + (size_t)l + 1;
}

/* The whole records of b into the queue, oldest first: the bytes they
 * take (what follows is torn). */
static size_t
events_outbox_load(struct events_outbox *o, const struct buf *b)
{
	size_t at = 0, used, len, records = 0;
	const char *payload;
	int64_t when;

	while (at < b->len && (used = events_outbox_parse(b->data + at,
	    b->len - at, &when, &payload, &len)) > 0) {
		events_outbox_push(o, xstrndup(payload, len), when);
		at += used;
		records++;
	}
	for (struct events_outbox_entry *e = o->first; e != NULL; e = e->next)
		e->saved = true;
	/* the ones a bound dropped while loading are in the file still */
	o->file_dead = records - o->count;
	return at;
}

/* path".lock" held: 0; 1 when another process holds it. */
static int
events_outbox_lock(struct events_outbox *o, const char *path,
    sdc_error_t *err)
{
	char *lock;

	xasprintf(&lock, "%s.lock", path);
	o->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC,
	    EVENTS_OUTBOX_FILE_MODE);
	if (o->lock_fd < 0 || flock(o->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (o->lock_fd >= 0)
			close(o->lock_fd);
		o->lock_fd = -1;
		if (e == EWOULDBLOCK) {
			free(lock);
			return 1;
		}
		sdc_make_error(err, e, "cannot lock %s", lock);
		free(lock);
		return -1;
	}
	free(lock);
	return 0;
}

int
events_outbox_open(struct events_outbox *o, const char *path, size_t *torn,
    sdc_error_t *err)
{
	struct buf b = { 0 };
	size_t whole;
	int rc;

	*torn = 0;
	if ((rc = events_outbox_lock(o, path, err)) != 0)
		return rc;
	o->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	    EVENTS_OUTBOX_FILE_MODE);
	if (o->fd < 0) {
		sdc_make_error(err, errno, "cannot open %s", path);
		events_outbox_close(o);
		return -1;
	}
	o->path = xstrdup(path);
	if (file_read(path, &b, 0, err) < 0) {
		events_outbox_close(o);
		return -1;
	}
	whole = events_outbox_load(o, &b);
	o->file_bytes = whole;
	*torn = b.len - whole;
	buf_free(&b);
	if (*torn > 0 && (ftruncate(o->fd, (off_t)whole) < 0 ||
	    fdatasync(o->fd) < 0)) {
		sdc_make_error(err, errno, "cannot cut the torn end of %s",
		    path);
		events_outbox_close(o);
		return -1;
	}
	return 0;
}

void
events_outbox_close(struct events_outbox *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->lock_fd >= 0)
		close(o->lock_fd);	/* lets the lock go */
	o->fd = -1;
	o->lock_fd = -1;
	free(o->path);
	o->path = NULL;
}

/* Nothing waits: the file is cut to nothing. */
static int
events_outbox_empty_file(struct events_outbox *o, sdc_error_t *err)
{
	if (ftruncate(o->fd, 0) < 0 || fdatasync(o->fd) < 0)
		return sdc_make_error(err, errno, "cannot empty %s", o->path);
	o->file_bytes = 0;
	o->file_dead = 0;
	return 0;
}

/* As many gone as left: the queue is written anew over the file. */
static int
events_outbox_rewrite(struct events_outbox *o, sdc_error_t *err)
{
	struct buf b = { 0 };
	struct events_outbox_entry *e;
	int fd;

	for (e = o->first; e != NULL; e = e->next)
		events_outbox_record(&b, e);
	if (file_write_atomic(o->path, b.data, b.len,
	    EVENTS_OUTBOX_FILE_MODE, err) < 0) {
		buf_free(&b);
		return -1;
	}
	if ((fd = open(o->path, O_RDWR | O_APPEND | O_CLOEXEC)) < 0) {
		buf_free(&b);
		return sdc_make_error(err, errno, "cannot open %s", o->path);
	}
	close(o->fd);
	o->fd = fd;
	for (e = o->first; e != NULL; e = e->next)
		e->saved = true;
	o->file_bytes = b.len;
	o->file_dead = 0;
	buf_free(&b);
	return 0;
}

/* The ones pushed since the last save, appended; a write cut short is
 * taken back, so that no torn record is followed by whole ones. */
static int
events_outbox_append(struct events_outbox *o, sdc_error_t *err)
{
	struct buf b = { 0 };
	struct events_outbox_entry *e;
	size_t done = 0;
	ssize_t w;

	for (e = o->first; e != NULL; e = e->next)
		if (!e->saved)
			events_outbox_record(&b, e);
	while (done < b.len) {
		if ((w = write(o->fd, b.data + done, b.len - done)) < 0 &&
		    errno == EINTR)
			continue;
		if (w < 0)
			break;
		done += (size_t)w;
	}
	if (done < b.len || fdatasync(o->fd) < 0) {
		sdc_make_error(err, errno, "cannot write %s", o->path);
		if (ftruncate(o->fd, (off_t)o->file_bytes) < 0)
			sdc_error_wrap(err, "and cannot cut it back");
		buf_free(&b);
		return -1;
	}
	for (e = o->first; e != NULL; e = e->next)
		e->saved = true;
	o->file_bytes += b.len;
	buf_free(&b);
	return 0;
}

int
events_outbox_save(struct events_outbox *o, sdc_error_t *err)
{
	if (o->fd < 0)
		return 0;
	if (o->count == 0)
		return o->file_bytes > 0 ? events_outbox_empty_file(o, err) : 0;
	if (o->file_dead > 0 && o->file_dead >= o->count)
		return events_outbox_rewrite(o, err);
	if (o->last->saved)
		return 0;
	return events_outbox_append(o, err);
}
