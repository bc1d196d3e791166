/*
 * test_timeutil.c: lib/timeutil.h: Docker's time format to the
 * nanosecond, strict RFC 3339 parsing, and every form Docker takes for
 * --since and --until.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "timeutil.h"

/* 2024-01-02T03:04:05Z */
#define T0 (1704164645LL * TIME_NS_PER_SEC)

static void
test_format(void **state)
{
	char out[TIME_RFC3339_LEN];

	(void)state;
	assert_string_equal(time_rfc3339(out, sizeof out, T0 + 123456789, 9),
	    "2024-01-02T03:04:05.123456789Z");
	assert_string_equal(time_rfc3339(out, sizeof out, T0 + 5, 9),
	    "2024-01-02T03:04:05.000000005Z");
	assert_string_equal(time_rfc3339(out, sizeof out, T0 + 123456789, 3),
	    "2024-01-02T03:04:05.123Z");
	assert_string_equal(time_rfc3339(out, sizeof out, T0 + 999999999, 0),
	    "2024-01-02T03:04:05Z");
	assert_string_equal(time_rfc3339(out, sizeof out, 0, 9),
	    "0001-01-01T00:00:00Z");
	assert_string_equal(time_rfc3339(out, sizeof out, -1, 9),
	    "1969-12-31T23:59:59.999999999Z");
}

static void
test_format_ignores_tz(void **state)
{
	char out[TIME_RFC3339_LEN];

	(void)state;
	setenv("TZ", "Asia/Tokyo", 1);
	assert_string_equal(time_rfc3339(out, sizeof out, T0, 0),
	    "2024-01-02T03:04:05Z");
	unsetenv("TZ");
}

/* HTTP's date (responses, HTTP Signature): RFC 7231's own example, and
 * the day and month names whatever the locale. */
static void
test_http_date(void **state)
{
	char out[40];

	(void)state;
	assert_string_equal(time_http_date(out, sizeof out, 784111777),
	    "Sun, 06 Nov 1994 08:49:37 GMT");
	setenv("LC_ALL", "fr_FR.UTF-8", 1);
	assert_string_equal(time_http_date(out, sizeof out,
	    T0 / TIME_NS_PER_SEC), "Tue, 02 Jan 2024 03:04:05 GMT");
	unsetenv("LC_ALL");
}

static void
test_parse_http_date(void **state)
{
	sdc_error_t err = NULL;
	int64_t secs = 0;

	(void)state;
	assert_int_equal(time_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT",
	    &secs, &err), 0);
	assert_int_equal(secs, 784111777);
	setenv("LC_ALL", "fr_FR.UTF-8", 1);
	assert_int_equal(time_parse_http_date("Tue, 02 Jan 2024 03:04:05 GMT",
	    &secs, &err), 0);
	unsetenv("LC_ALL");
	assert_int_equal(secs, T0 / TIME_NS_PER_SEC);
	assert_int_equal(time_parse_http_date("Sun, 06 Nov 1994 08:49:37",
	    &secs, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "is not an HTTP date"));
	sdc_error_release(&err);
	assert_int_equal(time_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT",
	    &secs, &err), -1);
	sdc_error_release(&err);
	assert_int_equal(time_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT",
	    &secs, &err), -1);
	sdc_error_release(&err);
	assert_int_equal(time_parse_http_date(NULL, &secs, &err), -1);
	sdc_error_release(&err);
}

static void
test_parse_utc(void **state)
{
	sdc_error_t err = NULL;
	int64_t ns = 0;

	(void)state;
	assert_int_equal(time_parse_utc("2024-01-02T03:04:05", &ns, &err), 0);
	assert_int_equal(ns, T0 - T0 % TIME_NS_PER_SEC);
	assert_int_equal(time_parse_utc("2024-01-02T03:04:05Z", &ns, &err), 0);
	assert_int_equal(ns, T0 - T0 % TIME_NS_PER_SEC);
	assert_int_equal(time_parse_utc("2024-01-02", &ns, &err), 0);
	assert_int_equal(time_parse_utc("soon", &ns, &err), -1);
	sdc_error_release(&err);
}

/* A node's agent, a registry's image config or a client may send any
 * year: those whose nanoseconds do not fit an int64_t (Docker's zero
 * time, year 1, among them) are refused, not overflowed into another. */
static void
test_parse_out_of_range(void **state)
{
	static const char *const far[] = {
		"0001-01-01T00:00:00Z", "1677-09-21T00:12:43Z",
		"2262-04-11T23:47:17Z", "9999-12-31T23:59:59.999999999Z",
	};
	sdc_error_t err = NULL;
	int64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof far / sizeof *far; i++) {
		assert_int_equal(time_parse_rfc3339(far[i], &ns, &err), -1);
		sdc_error_release(&err);
		assert_int_equal(time_parse_utc(far[i], &ns, &err), -1);
		sdc_error_release(&err);
	}
	assert_int_equal(time_rfc3339_secs("0001-01-01T00:00:00Z"), 0);
	/* the edges that fit still parse */
	assert_int_equal(time_parse_rfc3339("1677-09-21T00:12:44Z", &ns, &err), 0);
	assert_true(ns < 0);
	assert_int_equal(time_parse_rfc3339("2262-04-11T23:47:16.854775807Z",
	    &ns, &err), 0);
	assert_true(ns == INT64_MAX);
}

static void
test_parse_rfc3339(void **state)
{
	static const struct { const char *s; int64_t ns; } ok[] = {
		{ "2024-01-02T03:04:05Z", T0 },
		{ "2024-01-02T03:04:05.123456789Z", T0 + 123456789 },
		{ "2024-01-02T03:04:05.5Z", T0 + 500000000 },
		{ "2024-01-02T05:04:05+02:00", T0 },
		{ "2024-01-02T00:04:05-03:00", T0 },
		{ "2024-01-02T03:04:05.000000001+00:00", T0 + 1 },
	};
	static const char *const bad[] = {
		"", "2024-01-02", "2024-01-02T03:04:05", "2024-13-02T03:04:05Z",
		"2024-01-32T03:04:05Z", "2024-01-02T24:04:05Z", "2024-01-02T03:04:05Zjunk",
		"2024-01-02T03:04:05.Z", " 2024-01-02T03:04:05Z", "2024-1-02T03:04:05Z",
		"2024-01-02T03:04:05+2:00",
	};
	sdc_error_t err = NULL;
	int64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_int_equal(time_parse_rfc3339(ok[i].s, &ns, &err), 0);
		assert_int_equal(ns, ok[i].ns);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(time_parse_rfc3339(bad[i], &ns, &err), -1);
		assert_non_null(strstr(sdc_error_msg(err), "not an RFC 3339 time"));
		sdc_error_release(&err);
	}
}

static void
test_round_trip(void **state)
{
	char out[TIME_RFC3339_LEN];
	sdc_error_t err = NULL;
	int64_t ns, t;

	(void)state;
	for (t = T0; t < T0 + 50 * TIME_NS_PER_SEC; t += 987654321) {
		time_rfc3339(out, sizeof out, t, 9);
		assert_int_equal(time_parse_rfc3339(out, &ns, &err), 0);
		assert_int_equal(ns, t);
	}
}

static void
test_parse_docker(void **state)
{
	const int64_t now = T0 + 3600 * TIME_NS_PER_SEC;
	static const struct { const char *s; int64_t ns; } ok[] = {
		{ "1704164645", T0 },
		{ "1704164645.5", T0 + 500000000 },
		{ "1704164645.000000001", T0 + 1 },
		{ "0", 0 },
		{ "2024-01-02T03:04:05Z", T0 },
		{ "2024-01-02T03:04:05.25Z", T0 + 250000000 },
		{ "2024-01-02T03:04:05", T0 },
		{ "2024-01-02T03:04", T0 - 5 * TIME_NS_PER_SEC },
		{ "2024-01-02T03", T0 - 245 * TIME_NS_PER_SEC },
		{ "2024-01-02", T0 - 11045 * TIME_NS_PER_SEC },
		{ "2024-01-02T05:04:05+02:00", T0 },
		{ "1h", T0 },
		{ "60m", T0 },
		{ "30m30m", T0 },
		{ "0.5h30m", T0 },
		{ "1h0m0.5s", T0 - 500000000 },
		{ "3600000ms", T0 },
	};
	static const char *const bad[] = {
		"", "yesterday", "1d", "-1h", "1.2.3", "2024-01-02T03:04:05Zx",
		"h", "10 m", "2024-01-02X",
	};
	sdc_error_t err = NULL;
	int64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		print_message("%s\n", ok[i].s);
		assert_int_equal(time_parse_docker(ok[i].s, now, &ns, &err), 0);
		assert_int_equal(ns, ok[i].ns);
	}
	/* "10": a bare number is Unix seconds, not a duration */
	assert_int_equal(time_parse_docker("10", now, &ns, &err), 0);
	assert_int_equal(ns, 10 * TIME_NS_PER_SEC);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		print_message("%s\n", bad[i]);
		assert_int_equal(time_parse_docker(bad[i], now, &ns, &err), -1);
		assert_int_equal(err->code, 400);
		assert_non_null(strstr(sdc_error_msg(err), bad[i]));
		sdc_error_release(&err);
	}
	assert_int_equal(time_parse_docker(NULL, now, &ns, &err), -1);
	sdc_error_release(&err);
}

static void
test_mono(void **state)
{
	int64_t a = time_mono_ms(), b;

	(void)state;
	usleep(20000);
	b = time_mono_ms();
	assert_true(b - a >= 20);
	assert_true(time_now_ns() > T0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_ignores_tz),
		cmocka_unit_test(test_http_date),
		cmocka_unit_test(test_parse_http_date),
		cmocka_unit_test(test_parse_utc),
		cmocka_unit_test(test_parse_rfc3339),
		cmocka_unit_test(test_parse_out_of_range),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_docker),
		cmocka_unit_test(test_mono),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
