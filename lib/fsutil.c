/* fsutil.c: see fsutil.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "xalloc.h"

int
mkdir_p(const char *path, mode_t mode, sdc_error_t *err)
{
	char *copy = xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(copy, mode) != 0 && errno != EEXIST)
			rc = sdc_make_error(err, errno, "cannot create %s", copy);
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return rc;
}

char *
fs_source_tree(void)
{
	char exe[PATH_MAX], *top, *p, *probe;
	ssize_t n;
	struct stat sb;
	int i;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	top = xstrdup(exe);
	for (i = 0; i < 3; i++) {               /* bin/X, build dir */
		if ((p = strrchr(top, '/')) == NULL || p == top)
			goto no;
		*p = '\0';
	}
	xasprintf(&probe, "%s/sapi/module.mk", top);
	i = stat(probe, &sb);
	free(probe);
	if (i == 0)
		return top;
no:
	free(top);
	return NULL;
}

char *
fs_state_dir(const char *name)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *top = fs_source_tree(), *dir;

	if (top != NULL)
		xasprintf(&dir, "%s/var/%s", top, name);
	else if (state != NULL && *state == '/')
		xasprintf(&dir, "%s/sdc-docker/%s", state, name);
	else
		xasprintf(&dir, "%s/.local/state/sdc-docker/%s",
		    home != NULL ? home : "", name);
	free(top);
	return dir;
}

int
dir_private(const char *path, sdc_error_t *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return sdc_make_error(err, errno, "%s: not a folder", path);
	if (fchmod(fd, 0700) != 0)
		rc = sdc_make_error(err, errno, "cannot make %s private (0700)",
		    path);
	close(fd);
	return rc;
}

int
fd_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;

	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

void
fsync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

static int file_write_renamed(int dfd, const char *path, const void *data,
    size_t len,
    mode_t mode, bool sync, sdc_error_t *err);

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    sdc_error_t *err)
{
	return file_write_renamed(AT_FDCWD, path, data, len, mode, true, err);
}

int
file_write_replace(const char *path, const void *data, size_t len,
    mode_t mode, sdc_error_t *err)
{
	return file_write_renamed(AT_FDCWD, path, data, len, mode, false, err);
}

int
file_write_replace_at(int dfd, const char *name, const void *data,
    size_t len, mode_t mode, sdc_error_t *err)
{
	return file_write_renamed(dfd, name, data, len, mode, false, err);
}

static int
file_write_renamed(int dfd, const char *path, const void *data, size_t len,
    mode_t mode, bool sync, sdc_error_t *err)
{
	char *tmp;
	int fd, saved;

	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		sdc_make_error(err, errno, "cannot create %s", tmp);
		free(tmp);
		return -1;
	}
	if (fd_write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		saved = errno;
		close(fd);
		unlinkat(dfd, tmp, 0);
		sdc_make_error(err, saved, "cannot write %s", tmp);
		free(tmp);
		return -1;
	}
	close(fd);
	if (renameat(dfd, tmp, dfd, path) < 0) {
		saved = errno;
		unlinkat(dfd, tmp, 0);
		sdc_make_error(err, saved, "cannot rename %s to %s", tmp, path);
		free(tmp);
		return -1;
	}
	free(tmp);
	if (sync)
		fsync_dir_of(path);
	return 0;
}

int
file_read(const char *path, struct buf *out, size_t max, sdc_error_t *err)
{
	size_t start = out->len;

	char chunk[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return sdc_make_error(err, errno, "cannot open %s", path);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			close(fd);
			return sdc_make_error(err, saved, "cannot read %s", path);
		}
		buf_append(out, chunk, (size_t)n);
		if (max > 0 && out->len - start > max) {
			close(fd);
			return sdc_make_error(err, EFBIG, "%s is larger than %zu bytes",
			    path, max);
		}
	}
	close(fd);
	return 0;
}

/* dev: the device of the folder above, or 0 at the top: a folder on
 * another device is a mount point, which is never emptied. */
static int
fs_rmtree_dev(int dfd, const char *name, dev_t dev, sdc_error_t *err)
{
	struct dirent *d;
	struct stat st;
	DIR *dir = NULL;
	int fd, e = 0;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return sdc_make_error(err, errno, "removing %s", name);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return sdc_make_error(err, errno, "opening %s", name);
	if (fstat(fd, &st) < 0)
		e = errno;
	else if (dev != 0 && st.st_dev != dev)
		e = EBUSY;
	else if ((dir = fdopendir(fd)) == NULL)
		e = errno;
	if (e != 0) {
		close(fd);
		return sdc_make_error(err, e, "removing %s", name);
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fs_rmtree_dev(dirfd(dir), d->d_name, st.st_dev, err) < 0) {
			closedir(dir);
			return sdc_error_wrap(err, "%s", name);
		}
	}
	closedir(dir);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return sdc_make_error(err, errno, "removing %s", name);
	return 0;
}

int
fs_rmtree_at(int dfd, const char *name, sdc_error_t *err)
{
	return fs_rmtree_dev(dfd, name, 0, err);
}

int
fs_rmtree(const char *path, sdc_error_t *err)
{
	return fs_rmtree_at(AT_FDCWD, path, err);
}
