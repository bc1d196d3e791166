/*
 * logs-record.c: a container's json-file log, its files and its records,
 * for whoever holds the folder (logs-read.h says who).
 *
 * The files are read in order, oldest first: stdio.log.<time> sort by
 * name because the time is fixed-width UTC, then the live stdio.log.
 * Each line is a json-file record; since/until compare its time as text
 * (same fixed width), found in the line before it is parsed, so lines out
 * of range cost no JSON parsing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "dockerapi/runtime/container-layout.h"
#include "dockerapi/runtime/logs-read.h"
#include "jsonutil.h"
#include "timeutil.h"
#include "xalloc.h"

int
logs_time_arg(const char *s, char *out, size_t len, sdc_error_t *err)
{
	int64_t ns;

	out[0] = '\0';
	if (s == NULL || *s == '\0' || strcmp(s, "0") == 0)
		return 0;
	if (time_parse_docker(s, time_now_ns(), &ns, err) < 0)
		return -1;
	time_rfc3339(out, len, ns, 9);
	return 0;
}

static int
logs_file_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rotated files by age, then the live one. */
char **
logs_files(const char *dir, size_t *nfiles)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 8, n = 0;
	char **files = xcalloc(cap, sizeof *files);

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (!rt_log_is_rotated(e->d_name))
			continue;
		if (n + 2 >= cap)
			files = xrealloc(files, (cap *= 2) * sizeof *files);
		files[n++] = xstrdup(e->d_name);
	}
	if (d != NULL)
		closedir(d);
	qsort(files, n, sizeof *files, logs_file_cmp);
	files[n++] = xstrdup(RT_LOG_FILE);
	*nfiles = n;
	return files;
}

void
logs_files_free(char **files, size_t nfiles)
{
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
}

/* The live file and the rotated ones, regular files only (a link
 * planted in the folder counts nothing, and the folder itself is not
 * followed if it is one), a file gone meanwhile (a rotation's) not
 * counted, a folder that cannot be opened all 0.  Read in one pass
 * over the folder, the names not sorted: sizes need no order. */
void
logs_usage(const char *dir, struct logs_usage *u)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int lfd = dfd >= 0 ? dup(dfd) : -1;
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	struct dirent *e;
	struct stat sb;
	bool live;

	memset(u, 0, sizeof *u);
	while (d != NULL && (e = readdir(d)) != NULL) {
		live = strcmp(e->d_name, RT_LOG_FILE) == 0;
		if ((!live && !rt_log_is_rotated(e->d_name)) ||
		    fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (live)
			u->live = sb.st_size;
		else {
			u->rotated += sb.st_size;
			u->rotated_files++;
		}
	}
	if (d != NULL)
		closedir(d);
	else if (lfd >= 0)
		close(lfd);
	if (dfd >= 0)
		close(dfd);
}

int64_t
logs_bytes(const char *dir)
{
	struct logs_usage u;

	logs_usage(dir, &u);
	return u.live + u.rotated;
}

/* The record's "time" as written by the monitor (the last "time":"
 * in the line: inside the log text a quote is escaped), or NULL. */
static const char *
logs_line_time(const char *line, size_t len, size_t *tlen)
{
	static const char key[] = "\"time\":\"";
	size_t k = sizeof key - 1;
	const char *end;

	for (size_t i = len >= k ? len - k + 1 : 0; i-- > 0;)
		if (memcmp(line + i, key, k) == 0) {
			end = memchr(line + i + k, '"', len - i - k);
			if (end == NULL)
				return NULL;
			*tlen = (size_t)(end - (line + i + k));
			return line + i + k;
		}
	return NULL;
}

/* Compare a time of tlen bytes with a NUL-terminated bound, as text. */
static int
logs_time_cmp(const char *t, size_t tlen, const char *bound)
{
	size_t blen = strlen(bound);
	int c = memcmp(t, bound, tlen < blen ? tlen : blen);

	return c != 0 ? c : (tlen > blen) - (tlen < blen);
}

int
logs_line_range(const struct logs_filter *f, const char *line, size_t len)
{
	size_t tlen;
	const char *t;

	if (f->since[0] == '\0' && f->until[0] == '\0')
		return 0;
	if ((t = logs_line_time(line, len, &tlen)) == NULL)
		return 0;
	if (f->since[0] != '\0' && logs_time_cmp(t, tlen, f->since) < 0)
		return -1;
	if (f->until[0] != '\0' && logs_time_cmp(t, tlen, f->until) > 0)
		return 1;
	return 0;
}

int
logs_record_parse(const struct logs_filter *f, const char *line, size_t len,
    struct buf *b)
{
	json_t *j;
	const char *stream, *time, *text;
	int s;

	if (logs_line_range(f, line, len) != 0)
		return 0;
	j = json_loadb(line, len, 0, NULL);
	stream = json_str(j, "stream", "");
	time = json_str(j, "time", "");
	text = json_str(j, "log", NULL);
	s = strcmp(stream, "stderr") == 0 ? 2 : 1;
	if (text == NULL || (s == 1 && !f->out) || (s == 2 && !f->err) ||
	    (f->since[0] != '\0' && strcmp(time, f->since) < 0) ||
	    (f->until[0] != '\0' && strcmp(time, f->until) > 0)) {
		json_decref(j);
		return 0;
	}
	if (f->ts)
		buf_printf(b, "%s ", time);
	buf_append(b, text, json_string_length(json_object_get(j, "log")));
	json_decref(j);
	return s;
}

void
logs_frame_header(unsigned char hdr[8], int stream, size_t len)
{
	uint32_t n = htonl((uint32_t)len);

	memset(hdr, 0, 8);
	hdr[0] = (unsigned char)stream;
	memcpy(hdr + 4, &n, 4);
}
