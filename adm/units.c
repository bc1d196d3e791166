/*
 * units.c: the sizes and ages operators type, and sizes shown back.
 *
 * Sizes use powers of 1024 whatever the case of the suffix ("500k", "10M",
 * "1G", with an optional "B" or "iB"), since log sizes are compared with
 * what du and ls -h print.  A bare number of bytes is accepted, and a bare
 * age is days, as find -mtime reads it.  Anything else is refused with the
 * text that was given, so the caller can name the option.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adm.h"

/* The number at the start of s; *end after it.  No sign, no overflow. */
static int
units_number(const char *s, const char **end, uint64_t *out)
{
	unsigned long long v;
	char *e;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno != 0)
		return -1;
	*end = e;
	*out = v;
	return 0;
}

static int
units_scale(uint64_t v, uint64_t mult, uint64_t *out)
{
	if (mult != 0 && v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static uint64_t
units_size_mult(const char *suffix)
{
	static const char letters[] = "kmgtp";
	const char *l;
	uint64_t m = 1;

	if (*suffix == '\0' || strcasecmp(suffix, "b") == 0)
		return 1;
	l = strchr(letters, tolower((unsigned char)*suffix));
	if (l == NULL)
		return 0;
	if (suffix[1] != '\0' && strcasecmp(suffix + 1, "b") != 0 &&
	    strcasecmp(suffix + 1, "ib") != 0)
		return 0;
	for (; l >= letters; l--)
		m *= 1024;
	return m;
}

int
adm_units_parse_size(const char *s, uint64_t *out, sdc_error_t *err)
{
	const char *end;
	uint64_t v, mult;

	if (units_number(s, &end, &v) < 0 ||
	    (mult = units_size_mult(end)) == 0 ||
	    units_scale(v, mult, out) < 0)
		return sdc_make_error(err, 0, "invalid size '%s' (expected a "
		    "number of bytes, or with k, M, G or T)", s);
	return 0;
}

int
adm_units_parse_age(const char *s, uint64_t *seconds, sdc_error_t *err)
{
	const char *end;
	uint64_t v, mult;

	if (units_number(s, &end, &v) < 0)
		goto bad;
	if (end[0] != '\0' && end[1] != '\0')
		goto bad;
	switch (end[0]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case '\0':
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: goto bad;
	}
	if (units_scale(v, mult, seconds) < 0)
		goto bad;
	return 0;
bad:
	return sdc_make_error(err, 0, "invalid age '%s' (expected a number "
	    "with s, m, h, d or w)", s);
}

const char *
adm_units_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	if (v < 10)
		snprintf(buf, len, "%.1f%c", v, units[i]);
	else
		snprintf(buf, len, "%.0f%c", v, units[i]);
	return buf;
}
