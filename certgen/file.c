/*
 * file.c: writing certificate sets all or nothing.
 *
 * A key without its certificate, or a half-written key, is worse than
 * nothing: docker fails later with a confusing message.  So every file is
 * first written in full to a temporary name in the same directory (same
 * file system, so rename is atomic), with its final mode from the start
 * (0600 keys are never readable by others, not even briefly), and only
 * when all of them are written are they renamed into place.  Renames in
 * one directory hardly fail once every target is checked to be a plain
 * file or absent; should one fail anyway, the files this call created are
 * removed again (a file it replaced cannot come back).  There is no
 * fsync: these files are cheap to make again, and a sync costs more than
 * making the certificate (tens of milliseconds on a busy disk), which
 * matters to scripts that make them by the hundred.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certgen.h"
#include "fsutil.h"
#include "xalloc.h"

#define FILE_MAX (1024 * 1024)

int
certgen_file_read(const char *path, struct buf *out, sdc_error_t *err)
{
	if (file_read(path, out, FILE_MAX, err) < 0)
		return -1;
	if (out->data == NULL)
		buf_puts(out, "");
	return 0;
}

static int
file_mkdir(const char *dir, sdc_error_t *err)
{
	struct stat st;
	char *copy, *p;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : sdc_make_error(err, ENOTDIR, "%s", dir);
	copy = xstrdup(dir);
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
			sdc_make_error(err, errno, "creating %s", copy);
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return sdc_make_error(err, errno, "creating %s", dir);
	return 0;
}

/* Write one file under a temporary name; *tmp receives that name. */
static int
file_write_temp(const char *dir, const struct certgen_file *f, char **tmp, sdc_error_t *err)
{
	int fd, saved;

	xasprintf(tmp, "%s/.%s.XXXXXX", dir, f->name);
	fd = mkstemp(*tmp);
	if (fd < 0) {
		sdc_make_error(err, errno, "creating a file in %s", dir);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (fchmod(fd, (mode_t)f->mode) < 0 || fd_write_all(fd, f->data, f->len) < 0) {
		saved = errno;
		close(fd);
		return sdc_make_error(err, saved, "writing %s/%s", dir, f->name);
	}
	if (close(fd) < 0)
		return sdc_make_error(err, errno, "writing %s/%s", dir, f->name);
	return 0;
}

static void
file_unlink_temps(char **tmps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (tmps[i] != NULL)
			unlink(tmps[i]);
		free(tmps[i]);
		tmps[i] = NULL;
	}
}

/* Each target must be absent or a plain file; *existed says which. */
static int
file_check_targets(char **finals, bool *existed, size_t n, sdc_error_t *err)
{
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		existed[i] = lstat(finals[i], &st) == 0;
		if (existed[i] && !S_ISREG(st.st_mode))
			return sdc_make_error(err, 0, "%s exists and is not a plain file", finals[i]);
		if (!existed[i] && errno != ENOENT)
			return sdc_make_error(err, errno, "%s", finals[i]);
	}
	return 0;
}

static int
file_commit(char **tmps, char **finals, const bool *existed, size_t n, sdc_error_t *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (rename(tmps[i], finals[i]) < 0)
			break;
		free(tmps[i]);
		tmps[i] = NULL;
	}
	if (i == n)
		return 0;
	sdc_make_error(err, errno, "renaming into %s", finals[i]);
	while (i-- > 0)
		if (!existed[i])
			unlink(finals[i]);
	return -1;
}

int
certgen_files_write(const char *dir, const struct certgen_file *files, size_t n,
    sdc_error_t *err)
{
	char **tmps = xcalloc(n + 1, sizeof *tmps);
	char **finals = xcalloc(n + 1, sizeof *finals);
	bool *existed = xcalloc(n + 1, sizeof *existed);
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		xasprintf(&finals[i], "%s/%s", dir, files[i].name);
	rc = file_mkdir(dir, err);
	if (rc == 0)
		rc = file_check_targets(finals, existed, n, err);
	for (i = 0; i < n && rc == 0; i++)
		rc = file_write_temp(dir, &files[i], &tmps[i], err);
	if (rc == 0)
		rc = file_commit(tmps, finals, existed, n, err);
	file_unlink_temps(tmps, n);
	for (i = 0; i < n; i++)
		free(finals[i]);
	free(finals);
	free(tmps);
	free(existed);
	return rc;
}
