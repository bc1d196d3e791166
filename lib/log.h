/*
 * log.h: one JSON object a line, in the shape Triton's bunyan logs had:
 * {"name","hostname","pid","level","msg","time","v":0} plus "req_id" and
 * any fields the caller adds.  Levels are bunyan's numbers (trace 10 ...
 * fatal 60), so `bunyan` and `jq` read the output as they read Triton's.
 *
 * The logger is per process: log_init() once in main, before any thread.
 */
#ifndef SDC_LOG_H
#define SDC_LOG_H

#include <jansson.h>

enum log_level {
	LOG_TRACE = 10,
	LOG_DEBUG = 20,
	LOG_INFO = 30,
	LOG_WARN = 40,
	LOG_ERROR = 50,
	LOG_FATAL = 60,
};

/* name: the daemon's name; fd: where lines go (2 for stderr). */
void log_init(const char *name, int fd, enum log_level level);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);
/* Parse "info", "debug", ... or a number; -1 if unknown. */
int log_level_parse(const char *s);

/* fields may be NULL; it is not stolen. req_id may be NULL. */
void log_emit(enum log_level level, const char *req_id, const json_t *fields,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(...) log_emit(LOG_DEBUG, NULL, NULL, __VA_ARGS__)
#define log_info(...)  log_emit(LOG_INFO, NULL, NULL, __VA_ARGS__)
#define log_warn(...)  log_emit(LOG_WARN, NULL, NULL, __VA_ARGS__)
#define log_error(...) log_emit(LOG_ERROR, NULL, NULL, __VA_ARGS__)

#endif
