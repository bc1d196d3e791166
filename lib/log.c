/*
 * log.c: see log.h.
 *
 * Each line is built in one buffer and written with a single write(2), so
 * lines from several threads or processes sharing a file never interleave.
 * The logger's state is one static struct: it describes the process, which
 * there is exactly one of.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "jsonutil.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

static struct {
	char name[64];
	char hostname[256];
	int fd;
	int level;
} logger = { "sdc", "", 2, LOG_INFO };

void
log_init(const char *name, int fd, enum log_level level)
{
	snprintf(logger.name, sizeof logger.name, "%s", name);
	if (gethostname(logger.hostname, sizeof logger.hostname) != 0)
		strcpy(logger.hostname, "localhost");
	logger.hostname[sizeof logger.hostname - 1] = '\0';
	logger.fd = fd;
	logger.level = level;
}

void
log_set_level(enum log_level level)
{
	logger.level = level;
}

int
log_enabled(enum log_level level)
{
	return (int)level >= logger.level;
}

int
log_level_parse(const char *s)
{
	static const struct { const char *name; int level; } names[] = {
		{ "trace", LOG_TRACE }, { "debug", LOG_DEBUG }, { "info", LOG_INFO },
		{ "warn", LOG_WARN }, { "error", LOG_ERROR }, { "fatal", LOG_FATAL },
	};
	char *end;
	long n;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].level;
	n = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0' && n >= LOG_TRACE && n <= LOG_FATAL)
		return (int)n;
	return -1;
}

/* A message with bytes that are not UTF-8 (a client's header, say) would
 * be dropped by jansson; keep it readable instead. */
static json_t *
message_string(char *msg)
{
	json_t *s = json_string(msg);

	if (s != NULL)
		return s;
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(msg);
}

void
log_emit(enum log_level level, const char *req_id, const json_t *fields,
    const char *fmt, ...)
{
	json_t *line;
	const char *key;
	json_t *value;
	char *msg, when[64];
	struct buf out = BUF_INIT;
	va_list ap;
	int saved_errno = errno;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	time_rfc3339(when, sizeof when, time_now_ns(), 3);

	line = json_pack("{s:s, s:s, s:i, s:i}", "name", logger.name,
	    "hostname", logger.hostname, "pid", (int)getpid(), "level", (int)level);
	if (req_id != NULL)
		json_object_set_new(line, "req_id", json_string(req_id));
	if (json_is_object(fields))
		json_object_foreach((json_t *)fields, key, value)
			json_object_set(line, key, value);
	json_object_set_new(line, "msg", message_string(msg));
	json_object_set_new(line, "time", json_string(when));
	json_object_set_new(line, "v", json_integer(0));
	json_append(&out, line);
	buf_putc(&out, '\n');
	if (write(logger.fd, out.data, out.len) < 0) {
		/* Nowhere left to report it. */
	}
	buf_free(&out);
	json_decref(line);
	free(msg);
	errno = saved_errno;
}
