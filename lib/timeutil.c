/*
 * timeutil.c: the clocks and time formats of timeutil.h.
 *
 * Parsing is by hand rather than strptime(3): strptime follows the
 * locale, skips blanks anywhere and accepts out-of-range fields, and the
 * times here come from clients.  Every field is read as a fixed number
 * of digits and checked, and any text left over is an error.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

int64_t
time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * TIME_NS_PER_SEC + ts.tv_nsec;
}

const char *
time_rfc3339(char *out, size_t len, int64_t ns, int digits)
{
	int64_t secs = ns / TIME_NS_PER_SEC, frac = ns % TIME_NS_PER_SEC;
	time_t t;
	struct tm tm;
	char fraction[16] = "";

	if (ns == 0) {
		snprintf(out, len, "0001-01-01T00:00:00Z");
		return out;
	}
	if (frac < 0) {
		frac += TIME_NS_PER_SEC;
		secs--;
	}
	t = (time_t)secs;
	gmtime_r(&t, &tm);
	if (digits > 9)
		digits = 9;
	if (digits > 0) {
		for (int i = digits; i < 9; i++)
			frac /= 10;
		snprintf(fraction, sizeof fraction, ".%0*lld", digits,
		    (long long)frac);
	}
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, fraction);
	return out;
}

static const char time_days[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char time_months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

const char *
time_http_date(char *out, size_t len, int64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    time_days[tm.tm_wday % 7], tm.tm_mday, time_months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return out;
}

/* n digits at *p into *v, moving p past them. */
static bool
time_digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

/* RFC 3339 or, with `partial`, the shorter forms Docker also takes. */
static bool
time_read_rfc3339(const char *p, bool partial, int64_t *ns)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, s = 0, zh, zm;
	int64_t frac = 0, scale = TIME_NS_PER_SEC / 10, off = 0, secs;

	if (!time_digits(&p, 4, &y) || *p++ != '-' || !time_digits(&p, 2, &mo) ||
	    *p++ != '-' || !time_digits(&p, 2, &d))
		return false;
	if (*p == 'T' || (partial && *p == ' ')) {
		p++;
		if (!time_digits(&p, 2, &h))
			return false;
		if (*p == ':') {
			p++;
			if (!time_digits(&p, 2, &mi))
				return false;
			if (*p == ':') {
				p++;
				if (!time_digits(&p, 2, &s))
					return false;
				if (*p == '.') {
					if (!isdigit((unsigned char)*++p))
						return false;
					for (; isdigit((unsigned char)*p); p++, scale /= 10)
						frac += (*p - '0') * scale;
				}
			} else if (!partial)
				return false;
		} else if (!partial)
			return false;
	} else if (!partial)
		return false;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '+' ? 1 : -1;

		if (!time_digits(&p, 2, &zh) || *p++ != ':' || !time_digits(&p, 2, &zm) ||
		    zh > 23 || zm > 59)
			return false;
		off = sign * (zh * 3600 + zm * 60);
	} else if (!partial)
		return false;
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || s > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	secs = (int64_t)timegm(&tm) - off;
	/* nanoseconds in an int64_t: the years 1678 to 2262, so not
	 * Docker's zero time (year 1), which is no time here */
	if (secs < INT64_MIN / TIME_NS_PER_SEC ||
	    secs > (INT64_MAX - frac) / TIME_NS_PER_SEC)
		return false;
	*ns = secs * TIME_NS_PER_SEC + frac;
	return true;
}

int
time_parse_rfc3339(const char *s, int64_t *ns, sdc_error_t *err)
{
	if (s == NULL || !time_read_rfc3339(s, false, ns))
		return sdc_make_error(err, 0, "'%s' is not an RFC 3339 time",
		    s != NULL ? s : "");
	return 0;
}

int
time_parse_utc(const char *s, int64_t *ns, sdc_error_t *err)
{
	if (s == NULL || !time_read_rfc3339(s, true, ns))
		return sdc_make_error(err, 0, "'%s' is not an ISO 8601 time",
		    s != NULL ? s : "");
	return 0;
}

/* One of names (n of them, three letters each) at *p, its index in *v. */
static bool
time_name(const char **p, const char (*names)[4], int n, int *v)
{
	for (*v = 0; *v < n; (*v)++)
		if (strncmp(*p, names[*v], 3) == 0) {
			*p += 3;
			return true;
		}
	return false;
}

int
time_parse_http_date(const char *s, int64_t *secs, sdc_error_t *err)
{
	const char *p = s != NULL ? s : "";
	struct tm tm = { 0 };
	int wday, mday, mon, y, h, mi, sec;

	if (!time_name(&p, time_days, 7, &wday) || strncmp(p, ", ", 2) != 0 ||
	    (p += 2, !time_digits(&p, 2, &mday)) || *p++ != ' ' ||
	    !time_name(&p, time_months, 12, &mon) || *p++ != ' ' ||
	    !time_digits(&p, 4, &y) || *p++ != ' ' ||
	    !time_digits(&p, 2, &h) || *p++ != ':' ||
	    !time_digits(&p, 2, &mi) || *p++ != ':' ||
	    !time_digits(&p, 2, &sec) || strcmp(p, " GMT") != 0 ||
	    mday < 1 || mday > 31 || h > 23 || mi > 59 || sec > 60)
		return sdc_make_error(err, 0, "'%s' is not an HTTP date (RFC "
		    "7231's IMF-fixdate)", s != NULL ? s : "");
	tm.tm_year = y - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = mday;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*secs = (int64_t)timegm(&tm);
	return 0;
}

int64_t
time_rfc3339_secs(const char *s)
{
	int64_t ns;

	if (s == NULL || !time_read_rfc3339(s, false, &ns))
		return 0;
	return ns / TIME_NS_PER_SEC - (ns % TIME_NS_PER_SEC < 0);
}

/* "1700000000" or "1700000000.5": Unix seconds. */
static bool
time_read_unix(const char *p, int64_t *ns)
{
	int64_t secs = 0, frac = 0, scale = TIME_NS_PER_SEC / 10;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (secs > INT64_MAX / TIME_NS_PER_SEC / 10)
			return false;
		secs = secs * 10 + (*p - '0');
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (*p != '\0')
		return false;
	*ns = secs * TIME_NS_PER_SEC + frac;
	return true;
}

/* A Go duration: a sequence of <decimal><unit>, units ns us ms s m h. */
static bool
time_read_duration(const char *p, int64_t *ns)
{
	static const struct { const char *unit; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", TIME_NS_PER_SEC }, { "m", 60 * TIME_NS_PER_SEC },
		{ "h", 3600 * TIME_NS_PER_SEC },
	};
	double total = 0;

	if (*p == '\0')
		return false;
	while (*p != '\0') {
		double v = 0, scale = 0.1;
		size_t i, n;
		bool any = false;

		for (; isdigit((unsigned char)*p); p++, any = true)
			v = v * 10 + (*p - '0');
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++, scale /= 10, any = true)
				v += (*p - '0') * scale;
		if (!any)
			return false;
		n = strspn(p, "nsumh");
		for (i = 0; i < sizeof units / sizeof *units; i++)
			if (n == strlen(units[i].unit) && strncmp(p, units[i].unit, n) == 0)
				break;
		if (n == 0 || i == sizeof units / sizeof *units)
			return false;
		total += v * (double)units[i].ns;
		p += n;
	}
	if (total > 9.2e18)
		return false;
	*ns = (int64_t)total;
	return true;
}

int
time_parse_docker(const char *s, int64_t now_ns, int64_t *ns, sdc_error_t *err)
{
	int64_t d;

	if (s != NULL && time_read_unix(s, ns))
		return 0;
	if (s != NULL && time_read_rfc3339(s, true, ns))
		return 0;
	if (s != NULL && time_read_duration(s, &d)) {
		*ns = now_ns - d;
		return 0;
	}
	return sdc_make_error_code(err, 400, "invalid time '%s': want Unix seconds, "
	    "an RFC 3339 time or a duration such as 10m", s != NULL ? s : "");
}
