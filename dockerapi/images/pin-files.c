/*
 * pin-files.c: a pin seen by every process that shares the image store.
 *
 * A job pins the blobs and layers it is about to record (images_pin), so
 * that the collector (meta_gc_blob, meta_gc_layer: after an rmi, a
 * prune, a failed job) leaves them although no image row names them yet.
 * The pins were a list in the process's memory, but several heads on one
 * machine share one image store: a tenant's rmi through one head could
 * collect a layer another tenant's pull through another head had found
 * on disk and was about to record, leaving that image without it.
 *
 * So each digest pinned in a process also holds a shared flock(2) on
 * ROOT/pins/HEX, from its first pin to its last unpin, and the collector
 * takes the exclusive lock without waiting before it removes anything:
 * held shared elsewhere, the file stays.  The collector removes the pin
 * file with what it collects while it holds the lock, and so does the
 * last pin's release when no other process holds it; a process whose
 * shared lock was granted on a file so unlinked opens the new one, so no
 * pin is ever held on a name nobody looks at.  A process that dies drops
 * its locks with its descriptors: no pin outlives it (its file may stay,
 * empty, until the digest's next pin or collection).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images-int.h"
#include "log.h"
#include "xalloc.h"

static char *
pin_path(struct images *im, const char *digest)
{
	char *p;

	xasprintf(&p, "%s/pins/%s", im->root, digest_hex(digest));
	return p;
}

static int
pin_open(struct images *im, const char *path)
{
	char *dir;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == ENOENT) {
		xasprintf(&dir, "%s/pins", im->root);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			log_warn("images: %s: %s", dir, strerror(errno));
		free(dir);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	return fd;
}

static int
pinfile_hold(struct images *im, const char *digest)
{
	struct stat a, b;
	char *path;
	int fd;

	if (!digest_valid(digest))
		return -1;
	path = pin_path(im, digest);
	for (;;) {
		if ((fd = pin_open(im, path)) < 0 ||
		    flock(fd, LOCK_SH) < 0) {
			log_warn("images: pin %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			fd = -1;
			break;
		}
		/* a collector removed the file while this one waited */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			break;
		close(fd);
	}
	free(path);
	return fd;
}

int
pinfile_exclusive(struct images *im, const char *digest)
{
	char *path;
	int fd;

	if (!digest_valid(digest))
		return -1;
	path = pin_path(im, digest);
	fd = pin_open(im, path);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		fd = e == EWOULDBLOCK ? PINFILE_TAKEN : -1;
	}
	free(path);
	return fd;
}

void
pinfile_release(struct images *im, const char *digest, int fd)
{
	char *path;

	if (fd < 0)
		return;
	path = pin_path(im, digest);
	(void)unlink(path);
	free(path);
	close(fd);
}

void
pinfile_first(struct images *im, const char *digest)
{
	int fd = pinfile_hold(im, digest);

	if (fd < 0)
		return;         /* pinned in this process only, as before */
	im->pin_files = xrealloc(im->pin_files,
	    (im->npin_files + 1) * sizeof *im->pin_files);
	im->pin_files[im->npin_files].digest = xstrdup(digest);
	im->pin_files[im->npin_files].fd = fd;
	im->npin_files++;
}

/* The last pin of this process: the file goes too when no other process
 * holds it (the lock taken exclusively without waiting), so that pins
 * leave nothing behind; a process waiting for it meanwhile finds the
 * name gone once granted, and makes the file again. */
static void
pinfile_let_go(struct images *im, const char *digest, int fd)
{
	char *path;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		path = pin_path(im, digest);
		(void)unlink(path);
		free(path);
	}
	close(fd);
}

void
pinfile_last(struct images *im, const char *digest)
{
	for (size_t i = 0; i < im->npin_files; i++) {
		if (strcmp(im->pin_files[i].digest, digest) != 0)
			continue;
		pinfile_let_go(im, digest, im->pin_files[i].fd);
		free(im->pin_files[i].digest);
		im->pin_files[i] = im->pin_files[--im->npin_files];
		return;
	}
}

void
pinfile_close_all(struct images *im)
{
	for (size_t i = 0; i < im->npin_files; i++) {
		close(im->pin_files[i].fd);
		free(im->pin_files[i].digest);
	}
	free(im->pin_files);
	im->pin_files = NULL;
	im->npin_files = 0;
}
