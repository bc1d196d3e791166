/*
 * dockerignore.c: .dockerignore patterns, with the rules of Docker's
 * client (moby/patternmatcher) so that a context sent raw (curl, an
 * older client) loses the same files as one the CLI filtered itself.
 *
 *  - one pattern a line; a line starting with '#' is a comment; blanks
 *    around are trimmed; "!" takes matching paths back;
 *  - each pattern is cleaned as Go's path.Clean and loses a leading '/';
 *  - Go's filepath.Match syntax ('*' and '?' within one folder, [classes],
 *    '\' escapes) plus "**" for any number of folders;
 *  - a pattern excludes a path when it matches the path or one of its
 *    parent folders; the last matching pattern decides.
 *
 * The matcher remembers the (pattern, path) positions that failed, so a
 * hostile pattern of many stars costs at most their product, not an
 * exponential backtrack.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dockerignore.h"
#include "xalloc.h"

#define DI_MAX_LEN 4096

char *
dockerignore_clean(const char *path)
{
	bool rooted = path[0] == '/';
	size_t n = strlen(path);
	char *out = xmalloc(n + 2);
	size_t o = 0, dotdot = 0;

	if (rooted)
		out[o++] = '/';
	dotdot = o;
	for (size_t i = 0; i < n;) {
		if (path[i] == '/') {
			i++;
		} else if (path[i] == '.' && (i + 1 == n || path[i + 1] == '/')) {
			i++;
		} else if (path[i] == '.' && path[i + 1] == '.' && (i + 2 == n || path[i + 2] == '/')) {
			i += 2;
			if (o > dotdot) {
				o--;
				while (o > dotdot && out[o] != '/')
					o--;
			} else if (!rooted) {
				if (o > 0)
					out[o++] = '/';
				out[o++] = '.';
				out[o++] = '.';
				dotdot = o;
			}
		} else {
			if ((rooted && o != 1) || (!rooted && o != 0))
				out[o++] = '/';
			while (i < n && path[i] != '/')
				out[o++] = path[i++];
		}
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = 0;
	return out;
}

struct m {
	const char *p, *s;
	size_t lp, ls;
	unsigned char *failed;	/* (lp+1) x (ls+1) */
	bool bad;
};

/* A [class] at p[*pi] (just past '['), against c: 1/0, -1 malformed. */
static int
match_class(const char *p, size_t lp, size_t *pi, char c)
{
	size_t i = *pi;
	bool neg = false, hit = false;
	int nrange = 0;

	if (i < lp && p[i] == '^') {
		neg = true;
		i++;
	}
	for (;;) {
		if (i >= lp)
			return -1;
		if (p[i] == ']' && nrange > 0) {
			i++;
			break;
		}
		char lo, hi;
		if (p[i] == '\\') {
			if (++i >= lp)
				return -1;
		} else if (p[i] == '-' || p[i] == ']') {
			return -1;
		}
		lo = hi = p[i++];
		if (i < lp && p[i] == '-') {
			if (++i >= lp)
				return -1;
			if (p[i] == '\\' && ++i >= lp)
				return -1;
			if (p[i] == ']')
				return -1;
			hi = p[i++];
		}
		if ((unsigned char)lo <= (unsigned char)c && (unsigned char)c <= (unsigned char)hi)
			hit = true;
		nrange++;
	}
	*pi = i;
	return hit != neg;
}

static bool
rec(struct m *m, size_t pi, size_t si)
{
	size_t pi0 = pi, si0 = si;

	if (m->failed[pi * (m->ls + 1) + si])
		return false;
	while (pi < m->lp) {
		char pc = m->p[pi];
		if (pc == '*') {
			bool dbl = pi + 1 < m->lp && m->p[pi + 1] == '*';
			size_t np = pi;
			while (np < m->lp && m->p[np] == '*')
				np++;
			if (dbl && np < m->lp && m->p[np] == '/') {
				/* "**" then '/': zero or more whole folders */
				if (rec(m, np + 1, si))
					return true;
				for (size_t k = si; k < m->ls; k++)
					if (m->s[k] == '/' && rec(m, np + 1, k + 1))
						return true;
				goto fail;
			}
			for (size_t k = si; k <= m->ls; k++) {
				if (rec(m, np, k))
					return true;
				if (k < m->ls && !dbl && m->s[k] == '/')
					break;
			}
			goto fail;
		}
		if (si >= m->ls)
			goto fail;
		char c = m->s[si];
		if (pc == '?') {
			if (c == '/')
				goto fail;
			pi++;
		} else if (pc == '[') {
			size_t k = pi + 1;
			int r = match_class(m->p, m->lp, &k, c);
			if (r < 0) {
				m->bad = true;
				goto fail;
			}
			if (!r || c == '/')
				goto fail;
			pi = k;
		} else {
			if (pc == '\\') {
				if (++pi >= m->lp) {
					m->bad = true;
					goto fail;
				}
				pc = m->p[pi];
			}
			if (pc != c)
				goto fail;
			pi++;
		}
		si++;
	}
	if (si == m->ls)
		return true;
fail:
	m->failed[pi0 * (m->ls + 1) + si0] = 1;
	return false;
}

/* A pattern's syntax on its own: every class closed, no trailing '\'. */
static bool
well_formed(const char *p)
{
	size_t lp = strlen(p);
	for (size_t i = 0; i < lp; i++) {
		if (p[i] == '\\') {
			if (++i >= lp)
				return false;
		} else if (p[i] == '[') {
			size_t k = i + 1;
			if (match_class(p, lp, &k, 0) < 0)
				return false;
			i = k - 1;
		}
	}
	return true;
}

int
dockerignore_match(const char *pattern, const char *path)
{
	struct m m = { pattern, path, strlen(pattern), strlen(path), NULL, false };

	if (!well_formed(pattern))
		return -1;
	if (m.lp > DI_MAX_LEN || m.ls > DI_MAX_LEN)
		return 0;
	m.failed = xcalloc((m.lp + 1) * (m.ls + 1), 1);
	bool r = rec(&m, 0, 0);
	free(m.failed);
	if (m.bad)
		return -1;
	return r;
}

void
dockerignore_free(struct dockerignore *di)
{
	for (size_t i = 0; i < di->n; i++)
		free(di->pats[i].pat);
	free(di->pats);
	di->pats = NULL;
	di->n = 0;
}

int
dockerignore_parse(const char *text, size_t len, struct dockerignore *di, sdc_error_t *err)
{
	size_t pos = 0;
	int lineno = 0;

	memset(di, 0, sizeof(*di));
	while (pos < len) {
		const char *l = text + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos;
		pos += ll + (nl ? 1 : 0);
		lineno++;
		if (memchr(l, 0, ll)) {
			dockerignore_free(di);
			return sdc_make_error_code(err, 400, "Error reading .dockerignore line %d: "
						   "a NUL byte", lineno);
		}
		if (ll && l[0] == '#')
			continue;
		while (ll && (l[0] == ' ' || l[0] == '\t' || l[0] == '\r')) {
			l++;
			ll--;
		}
		while (ll && (l[ll - 1] == ' ' || l[ll - 1] == '\t' || l[ll - 1] == '\r'))
			ll--;
		if (!ll)
			continue;
		bool excl = false;
		if (l[0] == '!') {
			excl = true;
			l++;
			ll--;
			while (ll && (l[0] == ' ' || l[0] == '\t')) {
				l++;
				ll--;
			}
			if (!ll) {
				dockerignore_free(di);
				return sdc_make_error_code(err, 400, "Error reading .dockerignore line %d: "
							   "illegal exclusion pattern: \"!\"", lineno);
			}
		}
		char *raw = xstrndup(l, ll);
		char *c = dockerignore_clean(raw);
		free(raw);
		if (c[0] == '/' && c[1]) {
			memmove(c, c + 1, strlen(c));
		}
		if (!well_formed(c)) {
			int rc = sdc_make_error_code(err, 400, "Error reading .dockerignore line %d: "
						     "syntax error in pattern \"%.100s\"", lineno, c);
			free(c);
			dockerignore_free(di);
			return rc;
		}
		di->pats = xrealloc(di->pats, (di->n + 1) * sizeof(*di->pats));
		di->pats[di->n].pat = c;
		di->pats[di->n].exclusion = excl;
		di->n++;
	}
	return 0;
}

bool
dockerignore_excluded(const struct dockerignore *di, const char *path)
{
	bool excluded = false;
	char *clean = dockerignore_clean(path);
	const char *p = clean[0] == '/' ? clean + 1 : clean;

	for (size_t i = 0; i < di->n; i++) {
		bool hit = dockerignore_match(di->pats[i].pat, p) == 1;
		/* Or one of its parent folders. */
		for (const char *s = strchr(p, '/'); !hit && s; s = strchr(s + 1, '/')) {
			char *parent = xstrndup(p, (size_t)(s - p));
			hit = dockerignore_match(di->pats[i].pat, parent) == 1;
			free(parent);
		}
		if (hit)
			excluded = !di->pats[i].exclusion;
	}
	free(clean);
	return excluded;
}
