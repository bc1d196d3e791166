/*
 * file.c: small files in a container's folder, and removing the folder.
 *
 * Writes go to a temporary name and are renamed into place, so a reader
 * racing a writer sees one version or the other.  They are not fsync'd:
 * the folder's files are rebuilt from the daemon's store if a host crash
 * loses them, and a sync on every container start would cost more than
 * the whole start should.  fs_rmtree() never follows a symlink: a
 * container's upper layer is the user's, and may point anywhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

int
rt_file_write(const char *path, const char *data, size_t len, sdc_error_t *err)
{
	return file_write_replace(path, data, len, 0644, err);
}

int
rt_json_write(const char *path, json_t *value, sdc_error_t *err)
{
	char *text = json_dumps(value, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	int rc;

	if (text == NULL)
		return sdc_make_error(err, ENOMEM, "encoding %s", path);
	rc = rt_file_write(path, text, strlen(text), err);
	free(text);
	return rc;
}

json_t *
rt_json_read(const char *path, sdc_error_t *err)
{
	json_error_t je;
	json_t *j;

	if ((j = json_load_file(path, 0, &je)) == NULL) {
		if (access(path, F_OK) < 0)
			sdc_make_error(err, errno, "%s", path);
		else
			sdc_make_error(err, 0, "%s: %s", path, je.text);
	}
	return j;
}

