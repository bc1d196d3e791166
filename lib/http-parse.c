/*
 * http-parse.c: bytes → requests, through Node's http-parser.
 *
 * Nothing here knows about sockets, so the fuzz target and the unit tests
 * drive it directly.  The parser is paused after each head and after each
 * message: the caller then decides (run the head hook, raise the body
 * limit, dispatch) before feeding the rest, and pipelined requests simply
 * stay unread in the caller's buffer until it wants them.
 *
 * All the strings of a head go into one arena buffer, NUL-separated, and
 * are turned into pointers only once the head is complete (the arena may
 * move while it grows).  A request then costs a handful of allocations
 * however many headers it has.
 *
 * The head limit is enforced by never feeding the parser more than the
 * bytes left in the allowance while a head is incomplete, so one large read
 * cannot slip past it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "http-internal.h"
#include "ids.h"
#include "xalloc.h"

enum { PIECE_URL, PIECE_FIELD, PIECE_VALUE };

static struct http_parse *
parse_of(http_parser *hp)
{
	return hp->data;
}

static void
parse_push_off(struct http_parse *ps, size_t off)
{
	if (ps->noffs == ps->offs_cap) {
		ps->offs_cap = ps->offs_cap ? 2 * ps->offs_cap : 32;
		ps->offs = xrealloc(ps->offs, ps->offs_cap * sizeof *ps->offs);
	}
	ps->offs[ps->noffs++] = off;
}

/* Start a new piece of the given kind unless the arena already ends with
 * one: http-parser may hand a name or value over in several calls. */
static void
parse_piece(struct http_parse *ps, int kind)
{
	struct buf *a = &ps->req->arena;

	if (ps->last == kind)
		return;
	buf_putc(a, '\0');
	parse_push_off(ps, a->len);
	ps->last = kind;
}

static int
parse_fail(struct http_parse *ps, int status)
{
	ps->status = status;
	return -1;
}

static int
on_message_begin(http_parser *hp)
{
	struct http_parse *ps = parse_of(hp);

	ps->req = xcalloc(1, sizeof *ps->req);
	ps->req->body_limit = ps->max_body;
	ps->noffs = 0;
	ps->last = PIECE_URL;
	return 0;
}

static int
on_url(http_parser *hp, const char *at, size_t len)
{
	struct http_parse *ps = parse_of(hp);

	buf_append(&ps->req->arena, at, len);
	return 0;
}

static int
on_header_field(http_parser *hp, const char *at, size_t len)
{
	struct http_parse *ps = parse_of(hp);

	if (ps->req->head_done)
		return 0;               /* a chunked body's trailer: ignored */
	parse_piece(ps, PIECE_FIELD);
	buf_append(&ps->req->arena, at, len);
	return 0;
}

static int
on_header_value(http_parser *hp, const char *at, size_t len)
{
	struct http_parse *ps = parse_of(hp);

	if (ps->req->head_done)
		return 0;
	if (ps->last == PIECE_URL)
		return parse_fail(ps, 400);
	parse_piece(ps, PIECE_VALUE);
	buf_append(&ps->req->arena, at, len);
	return 0;
}

/* Split the query at '&' and '=' and decode each part in place, recording
 * name and value offsets after the headers'.  Returns the pair count. */
static size_t
parse_query(struct http_parse *ps, size_t start, size_t len)
{
	struct buf *a = &ps->req->arena;
	size_t n = 0, i = start, end = start + len;

	while (i < end) {
		size_t j = i, eq = SIZE_MAX, nlen, vlen;

		while (j < end && a->data[j] != '&') {
			if (eq == SIZE_MAX && a->data[j] == '=')
				eq = j;
			j++;
		}
		if (j > i) {
			if (eq == SIZE_MAX)
				eq = j;
			nlen = http_util_unescape(a->data + i, eq - i, true);
			a->data[i + nlen] = '\0';
			parse_push_off(ps, i);
			if (eq < j) {
				vlen = http_util_unescape(a->data + eq + 1,
				    j - eq - 1, true);
				a->data[eq + 1 + vlen] = '\0';
				parse_push_off(ps, eq + 1);
			} else
				parse_push_off(ps, j);  /* the '&' or NUL: "" */
			n++;
		}
		a->data[j] = '\0';
		i = j + 1;
	}
	return n;
}

/* Copy the path and query out of the target, decode them and point the
 * public fields into the arena.  Returns -1 for a target we refuse. */
static int
parse_target(struct http_parse *ps, size_t target_len, size_t *nquery)
{
	struct buf *a = &ps->req->arena;
	struct http_parser_url u;
	size_t poff, plen, qoff, qlen, path_at, query_at;

	http_parser_url_init(&u);
	if (http_parser_parse_url(a->data, target_len,
	    ps->hp.method == HTTP_CONNECT, &u) != 0)
		return -1;
	poff = u.field_data[UF_PATH].off;
	plen = (u.field_set & (1 << UF_PATH)) ? u.field_data[UF_PATH].len : 0;
	qoff = u.field_data[UF_QUERY].off;
	qlen = (u.field_set & (1 << UF_QUERY)) ? u.field_data[UF_QUERY].len : 0;

	buf_grow(a, plen + qlen + 4);   /* no moves while copying below */
	path_at = a->len;
	if (plen == 0)
		buf_putc(a, '/');
	else
		buf_append(a, a->data + poff, plen);
	plen = http_util_unescape(a->data + path_at, a->len - path_at, false);
	if (memchr(a->data + path_at, '\0', plen) != NULL)
		return -1;              /* "%00" has no place in a path */
	a->len = path_at + plen;
	buf_putc(a, '\0');
	query_at = a->len;
	buf_append(a, a->data + qoff, qlen);
	*nquery = parse_query(ps, query_at, qlen);
	ps->path_off = path_at;
	return 0;
}

static bool
parse_req_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > UUID_LEN)
		return false;
	return strspn(s, "0123456789abcdefABCDEF-_.:") == n ||
	    strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.:") == n;
}

/* Turn the offsets into pointers now that the arena has stopped growing. */
static void
parse_fix_pointers(struct http_parse *ps, size_t nheaders, size_t nquery)
{
	struct http_req *r = ps->req;
	char *base = r->arena.data;
	size_t i, n = nheaders + nquery;
	const char *id;

	r->kv = n ? xmalloc(n * sizeof *r->kv) : NULL;
	for (i = 0; i < n; i++) {
		r->kv[i].name = base + ps->offs[2 * i];
		r->kv[i].value = base + ps->offs[2 * i + 1];
	}
	r->pub.target = base;
	r->pub.path = base + ps->path_off;
	r->pub.headers = r->kv;
	r->pub.nheaders = nheaders;
	r->pub.query = r->kv ? r->kv + nheaders : NULL;
	r->pub.nquery = nquery;
	id = http_header(&r->pub, "x-request-id");
	if (id != NULL && parse_req_id_ok(id))
		strcpy(r->pub.req_id, id);
	else
		http_util_req_id(r->pub.req_id);
}

static int
on_headers_complete(http_parser *hp)
{
	struct http_parse *ps = parse_of(hp);
	struct http_req *r = ps->req;
	size_t target_len, nheaders, nquery;

	if (r->arena.len == 0)
		return parse_fail(ps, 400);
	if (ps->last == PIECE_FIELD)
		parse_piece(ps, PIECE_VALUE);   /* a name with no value */
	buf_putc(&r->arena, '\0');
	target_len = ps->noffs ? ps->offs[0] - 1 : r->arena.len - 1;
	nheaders = ps->noffs / 2;
	if (parse_target(ps, target_len, &nquery) < 0)
		return parse_fail(ps, 400);
	parse_fix_pointers(ps, nheaders, nquery);
	r->pub.method = http_method_str(hp->method);
	r->pub.http_minor = hp->http_major == 1 ? hp->http_minor : 0;
	r->keep_alive = http_should_keep_alive(hp);
	r->head_method = hp->method == HTTP_HEAD;
	r->head_done = true;
	ps->event = HTTP_PARSE_HEAD;
	http_parser_pause(hp, 1);
	return 0;
}

static int
on_body(http_parser *hp, const char *at, size_t len)
{
	struct http_parse *ps = parse_of(hp);
	struct http_req *r = ps->req;

	if (r->discard_body)
		return 0;
	if (r->sink != NULL)
		return r->sink(&r->pub, at, len, r->sink_arg) < 0 ?
		    parse_fail(ps, 0) : 0;
	if (len > r->body_limit || r->pub.body.len > r->body_limit - len)
		return parse_fail(ps, 413);
	buf_append(&r->pub.body, at, len);
	return 0;
}

static int
on_message_complete(http_parser *hp)
{
	struct http_parse *ps = parse_of(hp);
	struct http_req *r = ps->req;

	r->body_done = true;
	if (r->sink != NULL && !r->discard_body &&
	    r->sink(&r->pub, "", 0, r->sink_arg) < 0)
		return parse_fail(ps, 0);
	ps->req = NULL;                 /* the connection has it since HEAD */
	ps->head_bytes = 0;
	ps->event = HTTP_PARSE_DONE;
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings parse_settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void
http_parse_init(struct http_parse *ps, size_t max_header, size_t max_body)
{
	static size_t parser_max;

	memset(ps, 0, sizeof *ps);
	http_parser_init(&ps->hp, HTTP_REQUEST);
	ps->hp.data = ps;
	ps->max_header = max_header;
	ps->max_body = max_body;
	/* http-parser's own limit is global; keep it above ours so that ours
	 * (which answers 431) is the one that trips. */
	if (max_header + 1024 > parser_max && max_header < UINT32_MAX / 2) {
		parser_max = max_header + 1024;
		http_parser_set_max_header_size((uint32_t)parser_max);
	}
}

static enum http_parse_event
parse_error(struct http_parse *ps, enum http_errno e)
{
	if (e == HPE_HEADER_OVERFLOW)
		ps->status = 431;
	else if (e < HPE_CB_message_begin || e > HPE_CB_chunk_complete)
		ps->status = 400;
	return HTTP_PARSE_ERROR;
}

enum http_parse_event
http_parse_feed(struct http_parse *ps, const char *data, size_t len, size_t *used)
{
	bool in_head = ps->req == NULL || !ps->req->head_done;
	enum http_errno e = HTTP_PARSER_ERRNO(&ps->hp);
	size_t n = len;

	*used = 0;
	if (e == HPE_PAUSED)
		http_parser_pause(&ps->hp, 0);
	else if (e != HPE_OK)
		return HTTP_PARSE_ERROR;
	if (http_parse_upgraded(ps)) {
		ps->status = 400;       /* nothing after a protocol switch */
		return HTTP_PARSE_ERROR;
	}
	if (in_head) {
		if (ps->head_bytes >= ps->max_header) {
			ps->status = 431;
			return HTTP_PARSE_ERROR;
		}
		if (n > ps->max_header - ps->head_bytes)
			n = ps->max_header - ps->head_bytes;
	}
	ps->event = HTTP_PARSE_MORE;
	*used = http_parser_execute(&ps->hp, &parse_settings, data, n);
	if (in_head)
		ps->head_bytes += *used;
	e = HTTP_PARSER_ERRNO(&ps->hp);
	if (e == HPE_PAUSED)
		return ps->event;
	if (e != HPE_OK)
		return parse_error(ps, e);
	if (in_head && ps->head_bytes >= ps->max_header) {
		ps->status = 431;
		return HTTP_PARSE_ERROR;
	}
	return HTTP_PARSE_MORE;
}

long long
http_parse_content_length(const struct http_parse *ps)
{
	if (ps->hp.flags & F_CHUNKED || ps->hp.content_length == ULLONG_MAX ||
	    ps->hp.content_length > LLONG_MAX)
		return -1;
	return (long long)ps->hp.content_length;
}

bool
http_parse_upgraded(const struct http_parse *ps)
{
	return ps->hp.upgrade && ps->req == NULL;
}

void
http_parse_free(struct http_parse *ps)
{
	if (ps->req != NULL && !ps->req->head_done)
		http_req_free(ps->req);
	ps->req = NULL;
	free(ps->offs);
	ps->offs = NULL;
	ps->noffs = ps->offs_cap = 0;
}
