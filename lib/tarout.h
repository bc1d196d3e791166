/*
 * tarout.h: every tar this project writes (docker save, export, the layer
 * of a commit) goes through libarchive's writer, set up the way Docker's
 * own tars look: ustar headers, with a pax extended header only for what
 * ustar cannot hold (long names, sizes of 8 GiB and more, large ids), and
 * a trailer of two zero blocks not padded to a record size, so a stream
 * ends where Docker's does.
 *
 * Output leaves in blocks of TAROUT_BLOCK bytes through the caller's
 * write function, which returns -1 to stop (the reader went away); every
 * later call then fails with an error saying so.
 */
#ifndef SDC_TAROUT_H
#define SDC_TAROUT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

struct archive;
struct archive_entry;

#define TAROUT_BLOCK (64 * 1024)

typedef int tarout_write_fn(void *arg, const void *data, size_t len);

/* A writer onto write(arg, ...); NULL with *err if libarchive refuses. */
struct archive *tarout_new(tarout_write_fn *write, void *arg, sdc_error_t *err);
/* An entry as given (its data, if any, follows with tarout_data). */
int tarout_header(struct archive *a, struct archive_entry *e, sdc_error_t *err);
/* A root-owned entry without user or group names: type is AE_IFREG or
 * AE_IFDIR; size bytes of data follow with tarout_data. */
int tarout_entry(struct archive *a, const char *name, unsigned type,
    unsigned mode, int64_t size, time_t mtime, sdc_error_t *err);
int tarout_data(struct archive *a, const void *data, size_t len,
    sdc_error_t *err);
/* A whole small file: tarout_entry and its data. */
int tarout_file(struct archive *a, const char *name, const void *data,
    size_t len, time_t mtime, sdc_error_t *err);
/* The trailer and whatever is still buffered, then the writer is freed
 * (a NULL writer is fine).  Without a successful close (an earlier
 * error) call it all the same: it frees. */
int tarout_close(struct archive *a, sdc_error_t *err);

#endif
