/*
 * fsutil.h: the file system chores every daemon repeats.
 *
 * file_write_atomic() is the one way state and cache files are written:
 * a temporary file in the same directory, fsync'd, renamed over the
 * target, and the directory fsync'd, so a reader (or a reboot) sees the
 * old contents or the new, never a mix.
 */
#ifndef SDC_FSUTIL_H
#define SDC_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"

/* write(2) all of data, across short writes and EINTR; -1 with errno. */
int fd_write_all(int fd, const void *data, size_t len);
/* Create path and its missing parents with mode (umask applies). */
int mkdir_p(const char *path, mode_t mode, sdc_error_t *err);
/* A daemon's data dir: a folder only its owner enters (0700), set so
 * also when it was made laxer before; not a folder is an error. */
int dir_private(const char *path, sdc_error_t *err);
/* The source tree this binary was built in (it runs as <top>/<build>/bin/X
 * or <top>/<build>/tests/X), or NULL; free it. */
char *fs_source_tree(void);
/* Where a daemon called name keeps its state by default: <top>/var/name
 * run from a source tree, else $XDG_STATE_HOME/sdc-docker/name, else
 * ~/.local/state/sdc-docker/name.  Free it. */
char *fs_state_dir(const char *name);
/* Remove path and, when it is a folder, all below it; a symlink is
 * removed, never followed, so a tree a user filled (a container's upper
 * layer, an image layer) cannot point the removal elsewhere.  Missing is
 * not an error.  A mount point below path is not entered (EBUSY).  One
 * descriptor is held per level of depth. */
int fs_rmtree(const char *path, sdc_error_t *err);
/* The same for name under the open folder dfd (or AT_FDCWD). */
int fs_rmtree_at(int dfd, const char *name, sdc_error_t *err);
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    sdc_error_t *err);
/* path's name made lasting in its folder (a crash keeps the entry). */
void fsync_dir_of(const char *path);
/* The same rename over the target, without the two fsyncs: for a file
 * made again from the store before each use (a container's hosts,
 * resolv.conf, network plan), where a crash may lose it but never shows
 * a mix, and a start should not wait on the disk twice per file. */
int file_write_replace(const char *path, const void *data, size_t len,
    mode_t mode, sdc_error_t *err);
/* file_write_replace of name in the folder dfd (a path relative to it;
 * AT_FDCWD: as file_write_replace). */
int file_write_replace_at(int dfd, const char *name, const void *data,
    size_t len, mode_t mode, sdc_error_t *err);
/* Append the whole file to out; a file over max bytes is an error
 * (max 0: no limit). */
int file_read(const char *path, struct buf *out, size_t max, sdc_error_t *err);

#endif
