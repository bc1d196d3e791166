/*
 * refs.c: image references, parsed and normalised as Docker does.
 *
 * The grammar is the distribution/reference one: [DOMAIN/]PATH[:TAG][@DIGEST],
 * where the first component is a domain only if it holds a '.' or a ':' or
 * is "localhost"; otherwise the image is on Docker Hub ("docker.io"), where a
 * one-component path lives under "library/".  Everything is checked by hand
 * against the grammar rather than with a regex library, so each refusal can
 * say what is wrong.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "images-int.h"
#include "xalloc.h"

#define REF_MAX_NAME 255
#define HUB "docker.io"

static int
ref_error(sdc_error_t *err, const char *what, const char *s)
{
	if (what == NULL)
		return sdc_make_error_code(err, 400, "invalid reference format: %s", s);
	return sdc_make_error_code(err, 400, "invalid reference format: %s: %s",
	    what, s);
}

static bool
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*.  Returns 0 ok,
 * 1 when only upper case letters make it wrong, -1 otherwise. */
static int
ref_component_check(const char *s, size_t len)
{
	bool upper = false;
	size_t i = 0;

	if (len == 0)
		return -1;
	while (i < len) {
		size_t start = i;
		while (i < len && (is_lower_alnum(s[i]) || isupper((unsigned char)s[i]))) {
			if (isupper((unsigned char)s[i]))
				upper = true;
			i++;
		}
		if (i == start)
			return -1;
		if (i == len)
			break;
		/* a separator, then more alphanumerics must follow */
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < len && s[i] == '-')
				i++;
		else
			return -1;
		if (i == len)
			return -1;
	}
	return upper ? 1 : 0;
}

/* host: labels of [A-Za-z0-9-] not starting or ending in '-', dot separated,
 * then an optional :port. */
static bool
ref_domain_check(const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	size_t hlen = colon ? (size_t)(colon - s) : len;
	size_t label = 0;

	if (hlen == 0)
		return false;
	for (size_t i = 0; i <= hlen; i++) {
		if (i == hlen || s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
		if (label == 0 && s[i] == '-')
			return false;
		label++;
	}
	if (colon != NULL) {
		size_t plen = len - hlen - 1;
		if (plen == 0 || plen > 5)
			return false;
		for (size_t i = hlen + 1; i < len; i++)
			if (!isdigit((unsigned char)s[i]))
				return false;
	}
	return true;
}

static bool
ref_tag_check(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128)
		return false;
	if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' ||
		    t[i] == '-'))
			return false;
	return true;
}

static bool
ref_is_domain(const char *s, size_t len)
{
	if (len == 9 && strncmp(s, "localhost", 9) == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == ':' || isupper((unsigned char)s[i]))
			return true;
	return false;
}

static bool
ref_is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* Split "name[:tag][@digest]"; name and tag are pointers into s. */
static int
ref_split(char *s, char **tag, char **digest, const char *orig, sdc_error_t *err)
{
	char *at = strchr(s, '@'), *slash, *colon;

	*tag = *digest = NULL;
	if (at != NULL) {
		*at = '\0';
		*digest = at + 1;
		if (!digest_valid(*digest))
			return ref_error(err, "invalid digest", orig);
	}
	slash = strrchr(s, '/');
	colon = strrchr(slash ? slash : s, ':');
	if (colon != NULL) {
		*colon = '\0';
		*tag = colon + 1;
		if (!ref_tag_check(*tag))
			return ref_error(err, "invalid tag", orig);
	}
	return 0;
}

static int
ref_parse_path(struct image_ref *ref, const char *name, const char *orig,
    sdc_error_t *err)
{
	const char *slash = strchr(name, '/');
	const char *path = name;
	size_t dlen;

	if (slash != NULL && ref_is_domain(name, (size_t)(slash - name))) {
		dlen = (size_t)(slash - name);
		if (!ref_domain_check(name, dlen))
			return ref_error(err, "invalid registry host", orig);
		ref->domain = xstrndup(name, dlen);
		path = slash + 1;
	} else
		ref->domain = xstrdup(HUB);
	if (strcmp(ref->domain, "index.docker.io") == 0) {
		free(ref->domain);
		ref->domain = xstrdup(HUB);
	}
	for (const char *c = path; ; ) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		int r = ref_component_check(c, len);
		if (r == 1)
			return ref_error(err, "repository name must be lowercase", orig);
		if (r < 0)
			return ref_error(err, NULL, orig);
		if (end == NULL)
			break;
		c = end + 1;
	}
	if (strcmp(ref->domain, HUB) == 0 && strchr(path, '/') == NULL)
		xasprintf(&ref->path, "library/%s", path);
	else
		ref->path = xstrdup(path);
	return 0;
}

static int
ref_parse(struct image_ref *ref, const char *s, bool default_tag, sdc_error_t *err)
{
	char *copy, *tag, *digest;

	memset(ref, 0, sizeof *ref);
	if (s == NULL || *s == '\0')
		return ref_error(err, "empty reference", "\"\"");
	if (ref_is_hex64(s))
		return sdc_make_error_code(err, 400, "invalid repository name (%s), "
		    "cannot specify 64-byte hexadecimal strings", s);
	copy = xstrdup(s);
	if (ref_split(copy, &tag, &digest, s, err) < 0 ||
	    ref_parse_path(ref, copy, s, err) < 0) {
		free(copy);
		image_ref_free(ref);
		return -1;
	}
	if (strlen(ref->domain) + 1 + strlen(ref->path) > REF_MAX_NAME) {
		free(copy);
		image_ref_free(ref);
		return ref_error(err,
		    "repository name must not be more than 255 characters", s);
	}
	if (tag != NULL)
		ref->tag = xstrdup(tag);
	if (digest != NULL)
		ref->digest = xstrdup(digest);
	if (default_tag && tag == NULL && digest == NULL)
		ref->tag = xstrdup("latest");
	free(copy);
	return 0;
}

int
image_ref_parse(struct image_ref *ref, const char *s, sdc_error_t *err)
{
	return ref_parse(ref, s, true, err);
}

int
image_ref_parse_notag(struct image_ref *ref, const char *s, sdc_error_t *err)
{
	return ref_parse(ref, s, false, err);
}

void
image_ref_free(struct image_ref *ref)
{
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof *ref);
}

char *
image_ref_repo(const struct image_ref *ref)
{
	char *out;

	xasprintf(&out, "%s/%s", ref->domain, ref->path);
	return out;
}

char *
image_ref_familiar(const struct image_ref *ref)
{
	char *out;

	if (strcmp(ref->domain, HUB) != 0)
		return image_ref_repo(ref);
	if (strncmp(ref->path, "library/", 8) == 0 && strchr(ref->path + 8, '/') == NULL)
		return xstrdup(ref->path + 8);
	xasprintf(&out, "%s", ref->path);
	return out;
}

char *
image_ref_familiar_full(const struct image_ref *ref)
{
	char *name = image_ref_familiar(ref), *out;

	if (ref->digest != NULL)
		xasprintf(&out, "%s@%s", name, ref->digest);
	else
		xasprintf(&out, "%s:%s", name, ref->tag ? ref->tag : "latest");
	free(name);
	return out;
}

char *
refs_familiar_repo(const char *repo)
{
	const char *hub = HUB "/";
	size_t n = strlen(hub);

	if (strncmp(repo, hub, n) != 0)
		return xstrdup(repo);
	repo += n;
	if (strncmp(repo, "library/", 8) == 0 && strchr(repo + 8, '/') == NULL)
		repo += 8;
	return xstrdup(repo);
}
