/*
 * log.c: logs/stdio.log in Docker's json-file format, and its rotation.
 *
 * Each record is one line, {"log":"...","stream":"stdout","time":"..."},
 * with the text escaped as Go's encoding/json escapes it (so `docker logs`
 * readers that compare bytes see what dockerd would have written), invalid
 * UTF-8 replaced by U+FFFD so every line is valid JSON.  Output is split at
 * newlines; a line with no newline yet waits in a per-stream buffer and is
 * written as a partial record (no trailing \n, as dockerd does) when the
 * buffer fills, when it has waited a moment (so a prompt shows up in the
 * log), or at the end.  Readers get the text back by concatenating "log".
 *
 * Rotation happens before a record would take the file past max-size: the
 * live file is renamed to stdio.log.<time> (the time of rotation, in the
 * same fixed-width UTC format as the records, so names sort by age) and a
 * new one opened.  max-file counts files as Docker does, the live one
 * included; 0 keeps every rotated file, as Triton did, for the operator's
 * cleanup job to handle.  All names are resolved against the logs folder's
 * descriptor, so a rename or long path elsewhere cannot redirect a write.
 *
 * A budget (the container's share of its package's disk) bounds all the
 * files together, whatever max-size and max-file say: the live file is
 * then rotated at half the budget at most, and before each rotation the
 * oldest rotated files go until the rest and the file being rotated fit
 * in what the live one leaves, so a chatty container keeps its newest
 * output and can never fill the node.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor.h"
#include "dockerapi/runtime/protocol.h"

struct log_line {
	char buf[RT_FRAME_MAX];
	size_t len;
	long long since_ms;
};

static int log_dirfd = -1;
static int log_fd = -1;
static long long log_size;
static long long log_max_size;
static int log_max_file;
static long long log_budget;
static struct log_line log_lines[3];
/* Worst case: every byte escaped to \u00XX, plus the envelope. */
static char log_record[RT_FRAME_MAX * 6 + 128];

int
log_open(const char *dir, long long max_size, int max_file, long long budget,
    sdc_error_t *err)
{
	struct stat st;
	int dfd;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sdc_make_error(err, errno, "opening %s", dir);
	if (mkdirat(dfd, RT_LOG_DIR, 0750) < 0 && errno != EEXIST) {
		close(dfd);
		return sdc_make_error(err, errno, "creating %s/%s", dir, RT_LOG_DIR);
	}
	log_dirfd = openat(dfd, RT_LOG_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(dfd);
	if (log_dirfd < 0)
		return sdc_make_error(err, errno, "opening %s/%s", dir, RT_LOG_DIR);
	log_fd = openat(log_dirfd, RT_LOG_FILE,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (log_fd < 0 || fstat(log_fd, &st) < 0)
		return sdc_make_error(err, errno, "opening %s", RT_LOG_FILE);
	log_size = st.st_size;
	log_limits(max_size, max_file, budget);
	return 0;
}

/* The size at which the live file is rotated; 0: never. */
static long long
log_rotate_at(void)
{
	if (log_budget > 0 && (log_max_size == 0 || log_max_size > log_budget / 2))
		return log_budget / 2 > 0 ? log_budget / 2 : 1;
	return log_max_size;
}

static void log_prune_bytes(long long keep);

void
log_limits(long long max_size, int max_file, long long budget)
{
	log_max_size = max_size > 0 ? max_size : 0;
	log_max_file = max_file > 0 ? max_file : 0;
	log_budget = budget > 0 ? budget : 0;
	if (log_budget > 0 && log_dirfd >= 0)
		log_prune_bytes(log_budget - log_rotate_at());
}

/* How many rotated files there are, the oldest's name, and their bytes
 * (when total is not NULL). */
static int
log_rotated_bytes(char *oldest, size_t len, long long *total)
{
	static char dents[4096];
	struct dirent64 *d;
	struct stat st;
	ssize_t n, off;
	int count = 0;

	oldest[0] = '\0';
	if (total != NULL)
		*total = 0;
	if (lseek(log_dirfd, 0, SEEK_SET) < 0)
		return 0;
	while ((n = getdents64(log_dirfd, dents, sizeof dents)) > 0) {
		for (off = 0; off < n; off += d->d_reclen) {
			d = (struct dirent64 *)(void *)(dents + off);
			if (!rt_log_is_rotated(d->d_name) ||
			    strlen(d->d_name) >= len)
				continue;
			count++;
			if (total != NULL && fstatat(log_dirfd, d->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0)
				*total += st.st_size;
			if (oldest[0] == '\0' || strcmp(d->d_name, oldest) < 0)
				strcpy(oldest, d->d_name);
		}
	}
	return count;
}

static int
log_rotated(char *oldest, size_t len)
{
	return log_rotated_bytes(oldest, len, NULL);
}

/* Remove the oldest rotated files until KEEP are left. */
static void
log_prune(int keep)
{
	char oldest[256];

	while (log_rotated(oldest, sizeof oldest) > keep)
		if (unlinkat(log_dirfd, oldest, 0) < 0)
			return;
}

/* Remove the oldest rotated files until they take at most KEEP bytes. */
static void
log_prune_bytes(long long keep)
{
	char oldest[256];
	long long total;

	while (log_rotated_bytes(oldest, sizeof oldest, &total) > 0 &&
	    total > keep)
		if (unlinkat(log_dirfd, oldest, 0) < 0)
			return;
}

static void
log_rotate(void)
{
	char name[96], stamp[64];
	struct timespec ts;
	int fd, tries;

	/* Room is made before the rename, so that whoever lists the folder
	 * (docker logs, the cleanup job) never sees more than max-file. */
	if (log_max_file > 1)
		log_prune(log_max_file - 2);
	if (log_budget > 0)
		log_prune_bytes(log_budget - log_rotate_at() - log_size);
	clock_gettime(CLOCK_REALTIME, &ts);
	for (tries = 0; tries < 100; tries++, ts.tv_nsec++) {
		time_rfc3339(stamp, sizeof stamp, time_ts_ns(&ts), 9);
		snprintf(name, sizeof name, "%s.%s", RT_LOG_FILE, stamp);
		if (renameat2(log_dirfd, RT_LOG_FILE, log_dirfd, name,
		    RENAME_NOREPLACE) == 0 || errno != EEXIST)
			break;
	}
	fd = openat(log_dirfd, RT_LOG_FILE,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return;		/* keep writing to the renamed file */
	close(log_fd);
	log_fd = fd;
	log_size = 0;
	if (log_max_file == 1)
		log_prune(0);
	else if (log_budget > 0)
		log_prune_bytes(log_budget - log_rotate_at());
}

static size_t
log_put(char *out, const char *s)
{
	size_t n = strlen(s);

	memcpy(out, s, n);
	return n;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
log_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t
log_json_escape(char *out, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, o = 0, n;

	while (i < len) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			o += log_put(out + o, "\\u00");
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else if (c < 0x80) {
			out[o++] = (char)c;
		} else if ((n = log_utf8_len(s + i, len - i)) == 0) {
			o += log_put(out + o, "\\ufffd");
		} else if (n == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			o += log_put(out + o, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
			i += 3;
			continue;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		i++;
	}
	return o;
}

static void
log_record_write(int stream, const char *data, size_t len)
{
	struct timespec ts;
	char stamp[64];
	size_t n = 0;
	ssize_t w;

	clock_gettime(CLOCK_REALTIME, &ts);
	ship_record(stream, data, len, &ts);
	if (log_fd < 0)
		return;
	time_rfc3339(stamp, sizeof stamp, time_ts_ns(&ts), 9);
	n += log_put(log_record + n, "{\"log\":\"");
	n += log_json_escape(log_record + n, data, len);
	n += log_put(log_record + n, stream == 2 ? "\",\"stream\":\"stderr\"" :
	    "\",\"stream\":\"stdout\"");
	n += log_put(log_record + n, ",\"time\":\"");
	n += log_put(log_record + n, stamp);
	n += log_put(log_record + n, "\"}\n");
	if (log_rotate_at() > 0 && log_size > 0 &&
	    log_size + (long long)n > log_rotate_at())
		log_rotate();
	if ((w = write(log_fd, log_record, n)) > 0)
		log_size += w;
}

/* How much of an unfinished line can go out without splitting a UTF-8
 * sequence that the next read may complete. */
static size_t
log_utf8_cut(const char *buf, size_t len)
{
	size_t i, need;
	unsigned char c;

	for (i = 1; i <= 3 && i <= len; i++) {
		c = (unsigned char)buf[len - i];
		if (c < 0x80)
			return len;
		if (c >= 0xc0) {
			need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			return need > i ? len - i : len;
		}
	}
	return len;
}

static void
log_emit(struct log_line *l, int stream, size_t n)
{
	if (n == 0)
		return;
	log_record_write(stream, l->buf, n);
	memmove(l->buf, l->buf + n, l->len - n);
	l->len -= n;
	l->since_ms = time_mono_ms();
}

void
log_write(int stream, const char *data, size_t len)
{
	struct log_line *l = &log_lines[stream == 2 ? 2 : 1];
	const char *nl;
	size_t take;

	if (log_fd < 0 && mon_opts->ship_driver == NULL)
		return;
	while (len > 0) {
		nl = memchr(data, '\n', len);
		take = nl != NULL ? (size_t)(nl - data) + 1 : len;
		if (take > sizeof l->buf - l->len)
			take = sizeof l->buf - l->len;
		if (l->len == 0)
			l->since_ms = time_mono_ms();
		memcpy(l->buf + l->len, data, take);
		l->len += take;
		data += take;
		len -= take;
		if (l->buf[l->len - 1] == '\n')
			log_emit(l, stream, l->len);
		else if (l->len == sizeof l->buf)
			log_emit(l, stream, log_utf8_cut(l->buf, l->len));
	}
}

bool
log_pending(void)
{
	return log_lines[1].len > 0 || log_lines[2].len > 0;
}

void
log_flush(int age_ms)
{
	long long now = time_mono_ms();
	int s;

	if (log_fd < 0 && mon_opts->ship_driver == NULL)
		return;
	for (s = 1; s <= 2; s++) {
		struct log_line *l = &log_lines[s];

		if (l->len == 0 || (age_ms > 0 && now - l->since_ms < age_ms))
			continue;
		log_emit(l, s, age_ms > 0 ? log_utf8_cut(l->buf, l->len) :
		    l->len);
	}
}
