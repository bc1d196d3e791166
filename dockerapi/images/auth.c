/*
 * auth.c: registry credentials in (X-Registry-Auth) and challenges
 * (WWW-Authenticate) out.
 *
 * X-Registry-Auth is base64url JSON; clients differ on padding and a few
 * send the standard alphabet, so both alphabets are accepted and padding is
 * restored before decoding.  Challenges are parsed leniently: the scheme,
 * then key=value pairs whose values may be quoted with backslash escapes.
 * A bearer token's lifetime is read from the token server's answer as
 * Docker's distribution client reads it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

static char *
auth_field(json_t *o, const char *key)
{
	const char *s = json_str(o, key, NULL);

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

int
images_auth_parse(struct images_auth *out, const char *header, sdc_error_t *err)
{
	struct buf raw = BUF_INIT;
	json_t *o;

	memset(out, 0, sizeof *out);
	if (header == NULL || *header == '\0')
		return 0;
	if (base64_decode(header, strlen(header), true, &raw, err) < 0) {
		buf_free(&raw);
		sdc_error_release(err);
		return sdc_make_error_code(err, 400, "invalid X-Registry-Auth header");
	}
	o = json_parse(raw.data, raw.len, err);
	buf_free(&raw);
	if (o == NULL)
		return sdc_error_wrap(err, "invalid X-Registry-Auth header");
	out->username = auth_field(o, "username");
	out->password = auth_field(o, "password");
	out->identitytoken = auth_field(o, "identitytoken");
	out->registrytoken = auth_field(o, "registrytoken");
	json_decref(o);
	return 0;
}

static char *
auth_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
images_auth_copy(struct images_auth *dst, const struct images_auth *src)
{
	memset(dst, 0, sizeof *dst);
	if (src == NULL)
		return;
	dst->username = auth_dup(src->username);
	dst->password = auth_dup(src->password);
	dst->identitytoken = auth_dup(src->identitytoken);
	dst->registrytoken = auth_dup(src->registrytoken);
}

void
images_auth_free(struct images_auth *auth)
{
	free(auth->username);
	free(auth->password);
	free(auth->identitytoken);
	free(auth->registrytoken);
	memset(auth, 0, sizeof *auth);
}

static const char *
auth_skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

/* One key=value pair at *p; returns false at the end. */
static bool
auth_next_param(const char **p, struct buf *key, struct buf *val)
{
	const char *s = auth_skip_space(*p);

	buf_reset(key);
	buf_reset(val);
	while (*s != '\0' && *s != '=' && *s != ' ' && *s != ',')
		buf_putc(key, (char)tolower((unsigned char)*s++));
	if (*s != '=' || key->len == 0)
		return false;
	s++;
	if (*s == '"') {
		for (s++; *s != '\0' && *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			buf_putc(val, *s);
		}
		if (*s == '"')
			s++;
	} else
		while (*s != '\0' && *s != ',')
			buf_putc(val, *s++);
	*p = s;
	return true;
}

void
auth_challenge_parse(const char *header, struct auth_challenge *c)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	const char *p = auth_skip_space(header);
	const char *sp = strchr(p, ' ');

	memset(c, 0, sizeof *c);
	c->scheme = sp ? xstrndup(p, (size_t)(sp - p)) : xstrdup(p);
	p = sp ? sp : p + strlen(p);
	while (auth_next_param(&p, &key, &val)) {
		char **slot = strcmp(key.data, "realm") == 0 ? &c->realm :
		    strcmp(key.data, "service") == 0 ? &c->service :
		    strcmp(key.data, "scope") == 0 ? &c->scope : NULL;
		if (slot != NULL) {
			free(*slot);
			*slot = xstrdup(buf_str(&val));
		}
	}
	buf_free(&key);
	buf_free(&val);
}

void
auth_challenge_free(struct auth_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof *c);
}

/* Seconds a token server's answer says its token lasts: expires_in, at
 * least 60 (Docker's minimum, and its default when none is given). */
int64_t
auth_token_lifetime(const json_t *answer)
{
	json_t *v = json_object_get(answer, "expires_in");
	int64_t secs = json_is_integer(v) ? (int64_t)json_integer_value(v) :
	    json_is_real(v) ? (int64_t)json_real_value(v) : 0;

	return secs < AUTH_TOKEN_MIN_LIFETIME ? AUTH_TOKEN_MIN_LIFETIME : secs;
}
