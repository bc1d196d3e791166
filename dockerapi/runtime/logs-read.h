/*
 * logs-read.h: a container's json-file log read, by whoever holds its
 * folder: a head on its own machine (dockerapi/api/containers-logs.c) or
 * the node's agent (agent/container-logs.c).  One reader, so `docker
 * logs` answers the same whichever of the two reads the files.
 */
#ifndef SDC_RUNTIME_LOGS_READ_H
#define SDC_RUNTIME_LOGS_READ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

#include "buf.h"
#include "error.h"

/* logs-record.c: the files and the records */

/* The names of a logs folder's files, oldest first, stdio.log last. */
char **logs_files(const char *dir, size_t *nfiles);
void logs_files_free(char **files, size_t nfiles);
/* What a logs folder's files take: the live one's bytes, the rotated
 * ones' bytes and how many they are (sdcadm-docker logs usage, read by
 * a node's agent for its node and by a head for its own folder). */
struct logs_usage {
	int64_t live, rotated;
	int64_t rotated_files;
};
void logs_usage(const char *dir, struct logs_usage *u);
/* Bytes of those files, the live one and the rotated ones: what a
 * container's log holds on disk (the admin API's LogBytes, read by a
 * head for its own files and by an agent for its node's). */
int64_t logs_bytes(const char *dir);

/* logs-usage.c: every container's logs of a zones root */

/* {"Live", "Rotated", "RotatedFiles"} of u. */
json_t *logs_usage_json(const struct logs_usage *u);
/* {UUID: logs_usage_json(...)} for every container folder of cfg's
 * zones root (none when the root is not there), measured until
 * deadline_ms (time_mono_ms); *complete is false when the deadline cut
 * the walk short (the folders measured by then are in).  NULL with *err
 * when the root cannot be listed.  On a thread: it reads the disk. */
struct rt_config;
/* The deadline both of its callers give it, from the question's arrival:
 * a node's agent (agent/log-usage.c) and a head on its own root
 * (dockerapi/log-usage.c, whose question to a node waits twice this). */
#define LOGS_USAGE_WALK_MS 1500
json_t *logs_usage_zones(const struct rt_config *cfg, int64_t deadline_ms,
    bool *complete, sdc_error_t *err);

/* What a request keeps of a log's records. */
struct logs_filter {
	bool out, err;          /* stdout, stderr */
	bool ts;                /* each text after its time */
	char since[40], until[40];	/* in the records' spelling; "": none */
};

/* since/until as Docker takes them (timeutil.h) in the log lines' own
 * spelling: "1700000000.5" → "2023-11-14T22:13:20.500000000Z"; "" for
 * none ("0" too). */
int logs_time_arg(const char *s, char *out, size_t len, sdc_error_t *err);
/* -1: before --since, 1: after --until, 0: within (or no time seen: the
 * parse decides). */
int logs_line_range(const struct logs_filter *f, const char *line,
    size_t len);
/* One json-file record: its stream (1, 2) and text appended to *b, or 0
 * when the filter leaves it out. */
int logs_record_parse(const struct logs_filter *f, const char *line,
    size_t len, struct buf *b);
/* Docker's multiplexed frame header: stream (1 stdout, 2 stderr), then
 * the length, big-endian. */
void logs_frame_header(unsigned char hdr[8], int stream, size_t len);

/* logs-reader.c: a log read forward, and where an answer begins */

struct logs_reader {
	char *dir;
	char **files;           /* logs_files() */
	size_t nfiles, idx;     /* the file being read */
	FILE *fp;
	ino_t ino;
	struct buf partial;     /* a line not yet whole */
};
/* Each complete line, newline included; true to stop (the next read
 * goes on after it). */
typedef bool logs_reader_line_fn(void *arg, const char *line, size_t len);
/* The folder's files listed, nothing open. */
void logs_reader_init(struct logs_reader *r, const char *dir);
void logs_reader_free(struct logs_reader *r);
/* Where the answer begins: the tail-th record f keeps from the end
 * (tail >= 0), or f's since, or the start (on a thread: it reads the
 * files; cancel, when given, stops the search). */
struct logs_start {
	const struct logs_filter *f;
	long tail, found;
	const atomic_bool *cancel;
	size_t file;
	off_t off;
};
void logs_reader_start(struct logs_reader *r, const struct logs_filter *f,
    long tail, const atomic_bool *cancel);
/* Read on to the end of the live file; false when fn stopped it. */
bool logs_reader_through(struct logs_reader *r, logs_reader_line_fn *fn,
    void *arg);
/* Following: the live name points at another file (a rotation), the
 * current one read to its end is closed and the next read begins the
 * new live file; false when not. */
bool logs_reader_rotated(struct logs_reader *r);

/* logs-tail.c: a log's lines from the end (on a worker thread) */

/* One line, newline included, of files[file] at offset off; return 1 to
 * stop, 0 for the next (older). */
typedef int logs_line_fn(void *arg, size_t file, off_t off, const char *line,
    size_t len);
/* files (names in dir, oldest first, the live one last) from the newest
 * complete line backward.  -1 on a read error (errno). */
int logs_tail_scan(const char *dir, char *const *files, size_t nfiles,
    logs_line_fn *fn, void *arg);
/* True when a line is older than the point sought. */
typedef bool logs_before_fn(void *arg, const char *line, size_t len);
/* Where lines not older than a point in time begin (within a block):
 * *file (an index in files) and *off, a line start. */
int logs_since_seek(const char *dir, char *const *files, size_t nfiles,
    logs_before_fn *before, void *arg, size_t *file, off_t *off);

#endif
