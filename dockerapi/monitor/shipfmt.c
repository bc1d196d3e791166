/*
 * shipfmt.c: one log record as the syslog, gelf or fluentd driver of
 * dockerd would have sent it; ship.c carries it.
 *
 * A record is one line of output (its newline taken off) or a partial
 * line that waited too long, as json-file gets them (log.c).  Everything
 * that does not change between records (tag, host name, the container's
 * and image's ids and names, labels and env asked for) was worked out by
 * the daemon and comes on the command line, so this file only puts the
 * text and the time in.
 *
 *  syslog   "<PRI>..." in the format asked: "" (Go's unix form:
 *           "<PRI>Mmm dd hh:mm:ss tag[pid]: msg"), rfc3164 (adds the
 *           host), rfc5424 or rfc5424micro ("<PRI>1 TIME HOST tag pid tag
 *           - msg"); PRI is facility*8 + 6 for stdout, + 3 for stderr; a
 *           newline ends every message (the framing dockerd uses on udp,
 *           tcp and unix alike).
 *  gelf     GELF 1.1 JSON (version, host, short_message, timestamp,
 *           level 6 or 3, then "_name" for each field); over udp gzip-
 *           or zlib-compressed (or not) and cut into GELF chunks of 1420
 *           bytes when larger (at most 128 chunks, else dropped, as the
 *           Go library does); over tcp plain, ended by a NUL byte.
 *  fluentd  the forward protocol's message mode in MessagePack: [tag,
 *           time (integer seconds), {container_id, container_name,
 *           source, log, fields...}].
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "monitor.h"
#include "dockerapi/runtime/protocol.h"

#define GELF_CHUNK 1420
#define GELF_CHUNK_DATA (GELF_CHUNK - 12)
#define GELF_CHUNKS_MAX 128

/* The largest record: a line escaped whole, and the fields. */
static char fmt_out[RT_FRAME_MAX * 6 + 32768];
static char fmt_z[RT_FRAME_MAX * 6 + 32768 + 1024];
static z_stream fmt_zs;
static bool fmt_zs_ready;

static size_t
fmt_put(char *out, size_t at, const char *s, size_t n)
{
	if (at + n > sizeof fmt_out)
		n = at < sizeof fmt_out ? sizeof fmt_out - at : 0;
	memcpy(out + at, s, n);
	return at + n;
}

static size_t
fmt_puts(char *out, size_t at, const char *s)
{
	return fmt_put(out, at, s, strlen(s));
}

/* JSON string body (no quotes); out must have 6 bytes per input byte. */
static size_t
fmt_json(char *out, size_t at, const char *s, size_t n)
{
	if (at + n * 6 > sizeof fmt_out)
		return at;
	return at + log_json_escape(out + at, s, n);
}

/* ---- syslog ---- */

static size_t
fmt_syslog(int stream, const char *msg, size_t len, const struct timespec *ts)
{
	const struct mon_opts *o = mon_opts;
	const char *f = o->ship_format != NULL ? o->ship_format : "";
	int pri = o->ship_facility * 8 + (stream == 2 ? 3 : 6);
	char head[512], stamp[64], zone[8];
	struct tm tm;
	size_t n;

	localtime_r(&ts->tv_sec, &tm);
	if (strncmp(f, "rfc5424", 7) == 0) {
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(zone, sizeof zone, "%z", &tm);
		if (strcmp(zone, "+0000") == 0)
			strcpy(zone, "Z");
		else {		/* +hhmm as +hh:mm */
			memmove(zone + 4, zone + 3, 3);
			zone[3] = ':';
		}
		if (strcmp(f, "rfc5424micro") == 0)
			snprintf(stamp + strlen(stamp), sizeof stamp -
			    strlen(stamp), ".%06ld", ts->tv_nsec / 1000);
		snprintf(head, sizeof head, "<%d>1 %s%s %s %s %d %s - ", pri,
		    stamp, zone, o->ship_host, o->ship_tag, (int)getpid(),
		    o->ship_tag);
	} else {
		strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
		if (strcmp(f, "rfc3164") == 0)
			snprintf(head, sizeof head, "<%d>%s %s %s[%d]: ", pri,
			    stamp, o->ship_host, o->ship_tag, (int)getpid());
		else
			snprintf(head, sizeof head, "<%d>%s %s[%d]: ", pri,
			    stamp, o->ship_tag, (int)getpid());
	}
	n = fmt_puts(fmt_out, 0, head);
	n = fmt_put(fmt_out, n, msg, len);
	return fmt_put(fmt_out, n, "\n", 1);
}

/* ---- gelf ---- */

static size_t
fmt_gelf(int stream, const char *msg, size_t len, const struct timespec *ts)
{
	const struct mon_opts *o = mon_opts;
	char num[64];
	size_t n = 0;
	int i;

	n = fmt_puts(fmt_out, n, "{\"version\":\"1.1\",\"host\":\"");
	n = fmt_json(fmt_out, n, o->ship_host, strlen(o->ship_host));
	n = fmt_puts(fmt_out, n, "\",\"short_message\":\"");
	n = fmt_json(fmt_out, n, msg, len);
	snprintf(num, sizeof num, "\",\"timestamp\":%lld.%03ld,\"level\":%d",
	    (long long)ts->tv_sec, ts->tv_nsec / 1000000, stream == 2 ? 3 : 6);
	n = fmt_puts(fmt_out, n, num);
	for (i = 0; i < o->ship_nfields; i++) {
		const char *kv = o->ship_fields[i], *eq = strchr(kv, '=');

		n = fmt_puts(fmt_out, n, ",\"_");
		n = fmt_json(fmt_out, n, kv, (size_t)(eq - kv));
		n = fmt_puts(fmt_out, n, "\":\"");
		n = fmt_json(fmt_out, n, eq + 1, strlen(eq + 1));
		n = fmt_puts(fmt_out, n, "\"");
	}
	return fmt_puts(fmt_out, n, "}");
}

/* fmt_out's n bytes compressed into fmt_z; 0 on failure. */
static size_t
fmt_deflate(size_t n)
{
	bool gzip = strcmp(mon_opts->ship_compress, "gzip") == 0;

	if (!fmt_zs_ready) {
		if (deflateInit2(&fmt_zs, mon_opts->ship_level, Z_DEFLATED,
		    gzip ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return 0;
		fmt_zs_ready = true;
	} else if (deflateReset(&fmt_zs) != Z_OK)
		return 0;
	fmt_zs.next_in = (unsigned char *)fmt_out;
	fmt_zs.avail_in = (unsigned)n;
	fmt_zs.next_out = (unsigned char *)fmt_z;
	fmt_zs.avail_out = sizeof fmt_z;
	if (deflate(&fmt_zs, Z_FINISH) != Z_STREAM_END)
		return 0;
	return sizeof fmt_z - fmt_zs.avail_out;
}

static void
fmt_gelf_send(size_t n, bool udp)
{
	static unsigned long long seq;
	const char *msg = fmt_out;
	unsigned char chunk[GELF_CHUNK], id[8];
	size_t count, i, part;
	unsigned long long v;

	if (!udp) {
		ship_send(fmt_out, fmt_put(fmt_out, n, "\0", 1));
		return;
	}
	if (strcmp(mon_opts->ship_compress, "none") != 0) {
		if ((n = fmt_deflate(n)) == 0)
			return;
		msg = fmt_z;
	}
	if (n <= GELF_CHUNK) {
		ship_send(msg, n);
		return;
	}
	count = (n + GELF_CHUNK_DATA - 1) / GELF_CHUNK_DATA;
	if (count > GELF_CHUNKS_MAX)
		return;
	v = ((unsigned long long)getpid() << 40) ^ (unsigned long long)
	    time_mono_ms() << 16 ^ ++seq;
	for (i = 0; i < 8; i++)
		id[i] = (unsigned char)(v >> (8 * i));
	for (i = 0; i < count; i++) {
		part = n - i * GELF_CHUNK_DATA;
		if (part > GELF_CHUNK_DATA)
			part = GELF_CHUNK_DATA;
		chunk[0] = 0x1e;
		chunk[1] = 0x0f;
		memcpy(chunk + 2, id, 8);
		chunk[10] = (unsigned char)i;
		chunk[11] = (unsigned char)count;
		memcpy(chunk + 12, msg + i * GELF_CHUNK_DATA, part);
		ship_send((const char *)chunk, part + 12);
	}
}

/* ---- fluentd ---- */

static size_t
mp_str(char *out, size_t at, const char *s, size_t len)
{
	unsigned char h[5];
	size_t hn;

	if (len < 32) {
		h[0] = (unsigned char)(0xa0 | len);
		hn = 1;
	} else if (len < 256) {
		h[0] = 0xd9;
		h[1] = (unsigned char)len;
		hn = 2;
	} else if (len < 65536) {
		h[0] = 0xda;
		h[1] = (unsigned char)(len >> 8);
		h[2] = (unsigned char)len;
		hn = 3;
	} else {
		h[0] = 0xdb;
		h[1] = (unsigned char)(len >> 24);
		h[2] = (unsigned char)(len >> 16);
		h[3] = (unsigned char)(len >> 8);
		h[4] = (unsigned char)len;
		hn = 5;
	}
	at = fmt_put(out, at, (const char *)h, hn);
	return fmt_put(out, at, s, len);
}

static size_t
fmt_fluentd(int stream, const char *msg, size_t len, const struct timespec *ts)
{
	const struct mon_opts *o = mon_opts;
	unsigned char h[5];
	size_t n = 0;
	int i, entries = o->ship_nfields + 2;

	n = fmt_put(fmt_out, n, "\x93", 1);
	n = mp_str(fmt_out, n, o->ship_tag, strlen(o->ship_tag));
	h[0] = 0xce;
	h[1] = (unsigned char)((uint32_t)ts->tv_sec >> 24);
	h[2] = (unsigned char)((uint32_t)ts->tv_sec >> 16);
	h[3] = (unsigned char)((uint32_t)ts->tv_sec >> 8);
	h[4] = (unsigned char)ts->tv_sec;
	n = fmt_put(fmt_out, n, (const char *)h, 5);
	if (entries < 16) {
		h[0] = (unsigned char)(0x80 | entries);
		n = fmt_put(fmt_out, n, (const char *)h, 1);
	} else {
		h[0] = 0xde;
		h[1] = (unsigned char)(entries >> 8);
		h[2] = (unsigned char)entries;
		n = fmt_put(fmt_out, n, (const char *)h, 3);
	}
	for (i = 0; i < o->ship_nfields; i++) {
		const char *kv = o->ship_fields[i], *eq = strchr(kv, '=');

		n = mp_str(fmt_out, n, kv, (size_t)(eq - kv));
		n = mp_str(fmt_out, n, eq + 1, strlen(eq + 1));
	}
	n = mp_str(fmt_out, n, "source", 6);
	n = mp_str(fmt_out, n, stream == 2 ? "stderr" : "stdout", 6);
	n = mp_str(fmt_out, n, "log", 3);
	return mp_str(fmt_out, n, msg, len);
}

void
ship_record(int stream, const char *msg, size_t len, const struct timespec *ts)
{
	const char *d = mon_opts->ship_driver;
	const char *a = mon_opts->ship_address;

	if (d == NULL)
		return;
	if (len > 0 && msg[len - 1] == '\n')
		len--;
	if (strcmp(d, "syslog") == 0)
		ship_send(fmt_out, fmt_syslog(stream, msg, len, ts));
	else if (strcmp(d, "gelf") == 0)
		fmt_gelf_send(fmt_gelf(stream, msg, len, ts),
		    strncmp(a, "udp:", 4) == 0);
	else if (strcmp(d, "fluentd") == 0)
		ship_send(fmt_out, fmt_fluentd(stream, msg, len, ts));
}
