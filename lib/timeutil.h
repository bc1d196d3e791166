/*
 * timeutil.h: clocks, and times as Docker writes and reads them.
 *
 * Times travel as int64 nanoseconds since the Unix epoch (UTC), which
 * holds every date Docker prints until the year 2262.  Formatting never
 * follows the locale or the TZ variable: the API speaks UTC.  Durations
 * and deadlines use the monotonic clock (time_mono_ms), never the wall
 * clock, so a clock step does not fire or hold back a timeout.
 */
#ifndef SDC_TIMEUTIL_H
#define SDC_TIMEUTIL_H

#include <stdint.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

#define TIME_NS_PER_SEC 1000000000LL
/* Enough for any time_rfc3339() answer. */
#define TIME_RFC3339_LEN 40

/* A struct timespec in nanoseconds. */
static inline int64_t
time_ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * TIME_NS_PER_SEC + ts->tv_nsec;
}

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t time_mono_ms(void);
/* The wall clock, in nanoseconds since the epoch. */
int64_t time_now_ns(void);

/* ns as RFC 3339 in UTC with `digits` (0 to 9) digits of fraction, as
 * Docker prints its times with 9 ("2024-01-02T03:04:05.123456789Z");
 * ns 0 is Docker's zero time, "0001-01-01T00:00:00Z".  Returns out. */
const char *time_rfc3339(char *out, size_t len, int64_t ns, int digits);

/* secs (since the epoch) as HTTP's IMF-fixdate, "Sun, 06 Nov 1994
 * 08:49:37 GMT" (RFC 7231), the names spelled out, never the locale's.
 * Returns out. */
const char *time_http_date(char *out, size_t len, int64_t secs);

/* An RFC 3339 time ("2024-01-02T03:04:05Z", a fraction of up to 9 digits
 * and a "+hh:mm" zone allowed) to ns; anything else is an error naming
 * the text. */
int time_parse_rfc3339(const char *s, int64_t *ns, sdc_error_t *err);
/* RFC 3339 or its shorter forms ("2024-01-02", "2024-01-02T03:04:05"),
 * no zone meaning UTC, to ns (an operator's ISO 8601 time). */
int time_parse_utc(const char *s, int64_t *ns, sdc_error_t *err);
/* HTTP's IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the names in
 * English whatever the locale, to seconds since the epoch. */
int time_parse_http_date(const char *s, int64_t *secs, sdc_error_t *err);
/* time_parse_rfc3339 in whole seconds, 0 for NULL or a text that is not
 * one (for records, such as an image's history, where a bad time is not
 * worth refusing the record). */
int64_t time_rfc3339_secs(const char *s);

/* Docker's --since/--until and filters' `until`: Unix seconds with an
 * optional fraction ("1700000000.5", what the CLI sends), an RFC 3339
 * time or its shorter forms ("2024-01-02", "2024-01-02T03:04", no zone
 * meaning UTC), or a duration back from now_ns ("10m", "1h30m", "1.5h",
 * "300ms").  Errors name the text. */
int time_parse_docker(const char *s, int64_t now_ns, int64_t *ns,
    sdc_error_t *err);

#endif
