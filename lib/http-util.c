/*
 * http-util.c: the small pure pieces of the HTTP server: reason phrases,
 * percent-decoding and the Date header.
 *
 * The Date header is formatted at most once a second and kept; a busy
 * server would otherwise spend a noticeable share of each response in
 * gmtime and strftime.  The cache is per thread so servers in several
 * threads (as in the tests) do not share it.
 *
 * Request ids for requests that came without one are version 4 UUIDs from
 * a per-thread xorshift128+ generator seeded once from getrandom(2), not
 * from uuid_make(): libuuid makes five system calls for each UUID, which
 * is more than the rest of a small request costs.  These ids only need to
 * be unique, not unguessable.  A forked child seeds afresh.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http-internal.h"
#include "timeutil.h"

const char *
http_status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Entity";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

static int
util_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
http_util_unescape(char *s, size_t len, bool plus)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < len &&
		    (hi = util_hex(s[i + 1])) >= 0 &&
		    (lo = util_hex(s[i + 2])) >= 0) {
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus && s[i] == '+')
			s[o++] = ' ';
		else
			s[o++] = s[i];
	}
	return o;
}

const char *
http_util_date(void)
{
	static _Thread_local char text[64];
	static _Thread_local time_t when;
	time_t now = time(NULL);

	if (now != when || text[0] == '\0') {
		time_http_date(text, sizeof text, now);
		when = now;
	}
	return text;
}

uint64_t
http_util_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static _Thread_local uint64_t util_rng[2];
static _Thread_local bool util_seeded;

static void
util_forked(void)
{
	util_seeded = false;
}

static uint64_t
util_next(void)
{
	uint64_t s1 = util_rng[0];
	const uint64_t s0 = util_rng[1];

	util_rng[0] = s0;
	s1 ^= s1 << 23;
	util_rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return util_rng[1] + s0;
}

static void
util_atfork(void)
{
	pthread_atfork(NULL, NULL, util_forked);
}

static void
util_seed(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, util_atfork);
	if (getrandom(util_rng, sizeof util_rng, 0) != sizeof util_rng) {
		util_rng[0] = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
		util_rng[1] = http_util_now_usec() | 1;
	}
	util_seeded = true;
}

void
http_util_req_id(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	uint64_t a, c;
	int i, o = 0;

	if (!util_seeded)
		util_seed();
	a = util_next();
	c = util_next();
	memcpy(b, &a, 8);
	memcpy(b + 8, &c, 8);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}
