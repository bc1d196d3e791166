/*
 * dockerfile.c: the Dockerfile parser and Docker's word expansion.
 *
 * Why a parser of our own rather than a port of BuildKit's: the classic
 * builder's grammar is small (one instruction per logical line, a few
 * argument shapes), and what matters is that a tenant's Dockerfile means
 * the same here as under dockerd, so the rules below follow Docker's:
 *
 *  - parser directives (# escape=, # syntax=) only before the first
 *    instruction, comment or blank line; each at most once;
 *  - a comment is a line whose first non-blank is '#', also between
 *    continued lines, where blank lines are skipped too;
 *  - a line ending in the escape character (trailing blanks allowed)
 *    continues on the next; the pieces are joined as they are;
 *  - leading --flag words are the instruction's flags;
 *  - RUN, CMD, ENTRYPOINT, ADD, COPY, VOLUME take a JSON array when the
 *    arguments parse as one (exec form), the text otherwise;
 *  - heredocs (<<EOF) belong to BuildKit: refused by name rather than
 *    handed to the shell, where they would fail obscurely.
 *
 * The input is a tenant's: every length is bounded by the text's, no
 * recursion follows the input except ${...} nesting, capped.
 */
#include <ctype.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "dockerfile.h"
#include "xalloc.h"

#define DF_MAX_INSTRS 10000
#define DF_MAX_NEST 32

static const struct {
	const char *name;
	enum df_cmd cmd;
} df_cmds[] = {
	{ "from", DF_FROM }, { "run", DF_RUN }, { "cmd", DF_CMD },
	{ "label", DF_LABEL }, { "maintainer", DF_MAINTAINER },
	{ "expose", DF_EXPOSE }, { "env", DF_ENV }, { "add", DF_ADD },
	{ "copy", DF_COPY }, { "entrypoint", DF_ENTRYPOINT },
	{ "volume", DF_VOLUME }, { "user", DF_USER }, { "workdir", DF_WORKDIR },
	{ "arg", DF_ARG }, { "onbuild", DF_ONBUILD },
	{ "stopsignal", DF_STOPSIGNAL }, { "healthcheck", DF_HEALTHCHECK },
	{ "shell", DF_SHELL },
};

const char *
dockerfile_cmd_name(enum df_cmd cmd)
{
	static const char *const up[] = {
		"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV",
		"ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG",
		"ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
	};
	return (size_t)cmd < sizeof(up) / sizeof(up[0]) ? up[cmd] : "?";
}

static int
perr(sdc_error_t *err, int line, const char *fmt, const char *a, const char *b)
{
	return sdc_make_error_code(err, 400, "Dockerfile parse error line %d: %s%s%s",
				   line, fmt, a ? a : "", b ? b : "");
}

static void
push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Whitespace-delimited words (Go's strings.Fields). */
static void
fields(const char *s, char ***v, size_t *n)
{
	while (*s) {
		while (*s && is_blank(*s))
			s++;
		if (!*s)
			break;
		const char *e = s;
		while (*e && !is_blank(*e))
			e++;
		push(v, n, xstrndup(s, (size_t)(e - s)));
		s = e;
	}
}

/* Words split at blanks outside quotes; quotes and escapes kept for the
 * expansion (Docker's parseWords, for ENV and LABEL). */
static void
quoted_words(const char *s, char escape, char ***v, size_t *n)
{
	struct buf w = { 0 };
	char quote = 0;
	bool inword = false;

	for (; *s; s++) {
		if (!quote && is_blank(*s)) {
			if (inword) {
				push(v, n, buf_detach(&w, NULL));
				inword = false;
			}
			continue;
		}
		inword = true;
		if (*s == escape && s[1] && quote != '\'') {
			buf_putc(&w, *s++);
			buf_putc(&w, *s);
			continue;
		}
		if (quote && *s == quote)
			quote = 0;
		else if (!quote && (*s == '"' || *s == '\''))
			quote = *s;
		buf_putc(&w, *s);
	}
	if (inword)
		push(v, n, buf_detach(&w, NULL));
	buf_free(&w);
}

/* A JSON array of strings: its elements; false when `s` is not one. */
static bool
json_list(const char *s, char ***v, size_t *n)
{
	while (is_blank(*s))
		s++;
	if (*s != '[')
		return false;
	json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
	if (!json_is_array(j)) {
		json_decref(j);
		return false;
	}
	size_t i;
	json_t *e;
	json_array_foreach(j, i, e) {
		if (!json_is_string(e)) {
			json_decref(j);
			return false;
		}
	}
	json_array_foreach(j, i, e) {
		/* A NUL inside a string would cut it: refuse it as not JSON. */
		if (strlen(json_string_value(e)) != json_string_length(e)) {
			json_decref(j);
			for (size_t k = 0; k < *n; k++)
				free((*v)[k]);
			free(*v);
			*v = NULL;
			*n = 0;
			return false;
		}
		push(v, n, xstrdup(json_string_value(e)));
	}
	json_decref(j);
	return true;
}

static char *
trim_dup(const char *s)
{
	while (is_blank(*s))
		s++;
	size_t l = strlen(s);
	while (l && is_blank(s[l - 1]))
		l--;
	return xstrndup(s, l);
}

/* A heredoc opener: << then an optional - and quote, then a name. */
static bool
has_heredoc(const char *s)
{
	for (const char *p = strstr(s, "<<"); p; p = strstr(p + 2, "<<")) {
		const char *q = p + 2;
		if (*q == '-')
			q++;
		if (*q == '"' || *q == '\'')
			q++;
		if (isalpha((unsigned char)*q) || *q == '_')
			return true;
	}
	return false;
}

void
dockerfile_instr_free(struct df_instr *in)
{
	free(in->original);
	for (size_t i = 0; i < in->nflags; i++)
		free(in->flags[i]);
	free(in->flags);
	for (size_t i = 0; i < in->nargs; i++)
		free(in->args[i]);
	free(in->args);
	memset(in, 0, sizeof(*in));
}

/* key=value words, or the old "KEY value with blanks" (ENV and LABEL). */
static int
name_values(struct df_instr *in, const char *rest, char escape, int line,
	    const char *what, sdc_error_t *err)
{
	char **w = NULL;
	size_t nw = 0;

	quoted_words(rest, escape, &w, &nw);
	if (nw == 0) {
		free(w);
		return perr(err, line, what, " requires at least one argument", NULL);
	}
	if (!strchr(w[0], '=')) {
		/* The legacy form: the first word is the key, the rest
		 * (trimmed) its value. */
		const char *p = rest;
		while (is_blank(*p))
			p++;
		while (*p && !is_blank(*p))
			p++;
		char *val = trim_dup(p);
		if (!*val && in->cmd == DF_LABEL) {
			free(val);
			for (size_t i = 0; i < nw; i++)
				free(w[i]);
			free(w);
			return perr(err, line, what, " names a key with no value", NULL);
		}
		if (!*val) {
			free(val);
			char *k = xstrdup(w[0]);
			for (size_t i = 0; i < nw; i++)
				free(w[i]);
			free(w);
			int rc = perr(err, line, what, " must have two arguments: ", k);
			free(k);
			return rc;
		}
		push(&in->args, &in->nargs, xstrdup(w[0]));
		push(&in->args, &in->nargs, val);
		for (size_t i = 0; i < nw; i++)
			free(w[i]);
		free(w);
		return 0;
	}
	for (size_t i = 0; i < nw; i++) {
		char *eq = strchr(w[i], '=');
		if (!eq || eq == w[i]) {
			int rc = sdc_make_error_code(err, 400,
				"Dockerfile parse error line %d: Syntax error - can't find = in "
				"\"%s\". Must be of the form: name=value", line, w[i]);
			for (size_t k = i; k < nw; k++)
				free(w[k]);
			free(w);
			return rc;
		}
		push(&in->args, &in->nargs, xstrndup(w[i], (size_t)(eq - w[i])));
		push(&in->args, &in->nargs, xstrdup(eq + 1));
		free(w[i]);
	}
	free(w);
	return 0;
}

int
dockerfile_parse_line(const char *text, char escape, int line,
		      struct df_instr *in, sdc_error_t *err)
{
	memset(in, 0, sizeof(*in));
	while (is_blank(*text))
		text++;
	in->line = line;
	in->original = trim_dup(text);

	const char *p = in->original;
	const char *e = p;
	while (*e && !is_blank(*e))
		e++;
	char name[16];
	size_t nl = (size_t)(e - p);
	bool found = false;
	if (nl < sizeof(name)) {
		for (size_t i = 0; i < nl; i++)
			name[i] = (char)tolower((unsigned char)p[i]);
		name[nl] = 0;
		for (size_t i = 0; i < sizeof(df_cmds) / sizeof(df_cmds[0]); i++)
			if (strcmp(df_cmds[i].name, name) == 0) {
				in->cmd = df_cmds[i].cmd;
				found = true;
			}
	}
	if (!found) {
		char *w = xstrndup(p, nl > 64 ? 64 : nl);
		for (char *c = w; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		perr(err, line, "unknown instruction: ", w, NULL);
		free(w);
		dockerfile_instr_free(in);
		return -1;
	}
	const char *what = dockerfile_cmd_name(in->cmd);

	/* Leading --flags; a bare "--" ends them. */
	const char *rest = e;
	for (;;) {
		while (is_blank(*rest))
			rest++;
		if (rest[0] != '-' || rest[1] != '-')
			break;
		const char *fe = rest;
		while (*fe && !is_blank(*fe))
			fe++;
		if (fe - rest == 2) {
			rest = fe;
			break;
		}
		push(&in->flags, &in->nflags, xstrndup(rest, (size_t)(fe - rest)));
		rest = fe;
	}
	while (is_blank(*rest))
		rest++;

	int rc = 0;
	switch (in->cmd) {
	case DF_FROM:
		fields(rest, &in->args, &in->nargs);
		if (in->nargs != 1 && !(in->nargs == 3 && strcasecmp(in->args[1], "as") == 0))
			rc = perr(err, line, "FROM requires either one or three arguments", NULL, NULL);
		break;
	case DF_RUN:
	case DF_CMD:
	case DF_ENTRYPOINT:
		if (json_list(rest, &in->args, &in->nargs))
			in->json = true;
		else if (*rest)
			push(&in->args, &in->nargs, trim_dup(rest));
		if (in->cmd == DF_RUN && in->nargs == 0)
			rc = perr(err, line, "RUN requires at least one argument", NULL, NULL);
		else if (in->cmd == DF_RUN && !in->json && has_heredoc(rest))
			rc = perr(err, line, "heredocs (<<EOF) are not supported by the classic "
				  "builder; write the lines with RUN, or COPY a script", NULL, NULL);
		break;
	case DF_SHELL:
		if (!json_list(rest, &in->args, &in->nargs))
			rc = perr(err, line, "SHELL requires the arguments to be in JSON form", NULL, NULL);
		else if (in->nargs == 0)
			rc = perr(err, line, "SHELL requires at least one argument", NULL, NULL);
		in->json = true;
		break;
	case DF_ADD:
	case DF_COPY:
		if (json_list(rest, &in->args, &in->nargs))
			in->json = true;
		else {
			if (has_heredoc(rest)) {
				rc = perr(err, line, "heredocs (<<EOF) are not supported by the "
					  "classic builder", NULL, NULL);
				break;
			}
			fields(rest, &in->args, &in->nargs);
		}
		if (in->nargs < 2)
			rc = perr(err, line, what, in->nargs ? " requires at least two arguments, but "
				  "only one was provided. Destination could not be determined."
				  : " requires at least two arguments", NULL);
		break;
	case DF_ENV:
	case DF_LABEL:
		rc = name_values(in, rest, escape, line, what, err);
		break;
	case DF_ARG:
		fields(rest, &in->args, &in->nargs);
		if (in->nargs == 0)
			rc = perr(err, line, "ARG requires at least one argument", NULL, NULL);
		for (size_t i = 0; rc == 0 && i < in->nargs; i++)
			if (in->args[i][0] == '=')
				rc = perr(err, line, "ARG names no variable: ", in->args[i], NULL);
		break;
	case DF_EXPOSE:
		fields(rest, &in->args, &in->nargs);
		if (in->nargs == 0)
			rc = perr(err, line, "EXPOSE requires at least one argument", NULL, NULL);
		break;
	case DF_VOLUME:
		if (json_list(rest, &in->args, &in->nargs))
			in->json = true;
		else
			fields(rest, &in->args, &in->nargs);
		if (in->nargs == 0)
			rc = perr(err, line, "VOLUME requires at least one argument", NULL, NULL);
		for (size_t i = 0; rc == 0 && i < in->nargs; i++)
			if (!*in->args[i])
				rc = perr(err, line, "VOLUME specified can not be an empty string", NULL, NULL);
		break;
	case DF_USER:
	case DF_WORKDIR:
	case DF_STOPSIGNAL:
	case DF_MAINTAINER:
		if (!*rest) {
			rc = perr(err, line, what, " requires exactly one argument", NULL);
			break;
		}
		push(&in->args, &in->nargs, trim_dup(rest));
		break;
	case DF_HEALTHCHECK: {
		const char *te = rest;
		while (*te && !is_blank(*te))
			te++;
		char *type = xstrndup(rest, (size_t)(te - rest));
		for (char *c = type; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		if (strcmp(type, "NONE") == 0) {
			push(&in->args, &in->nargs, type);
			while (is_blank(*te))
				te++;
			if (*te || in->nflags)
				rc = perr(err, line, "HEALTHCHECK NONE takes no arguments", NULL, NULL);
		} else if (strcmp(type, "CMD") == 0) {
			push(&in->args, &in->nargs, type);
			while (is_blank(*te))
				te++;
			if (json_list(te, &in->args, &in->nargs))
				in->json = true;
			else if (*te)
				push(&in->args, &in->nargs, trim_dup(te));
			if (in->nargs < 2)
				rc = perr(err, line, "Missing command after HEALTHCHECK CMD", NULL, NULL);
		} else {
			rc = perr(err, line, "Unknown type \"", type,
				  "\" in HEALTHCHECK (try CMD)");
			free(type);
		}
		break;
	}
	case DF_ONBUILD: {
		if (!*rest) {
			rc = perr(err, line, "ONBUILD requires at least one argument", NULL, NULL);
			break;
		}
		struct df_instr sub;
		if (dockerfile_parse_line(rest, escape, line, &sub, err) < 0) {
			rc = -1;
			break;
		}
		if (sub.cmd == DF_ONBUILD)
			rc = perr(err, line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", NULL, NULL);
		else if (sub.cmd == DF_FROM || sub.cmd == DF_MAINTAINER)
			rc = perr(err, line, dockerfile_cmd_name(sub.cmd),
				  " isn't allowed as an ONBUILD trigger", NULL);
		dockerfile_instr_free(&sub);
		push(&in->args, &in->nargs, trim_dup(rest));
		break;
	}
	}
	if (rc < 0)
		dockerfile_instr_free(in);
	return rc;
}

void
dockerfile_free(struct dockerfile *df)
{
	for (size_t i = 0; i < df->ninstrs; i++)
		dockerfile_instr_free(&df->instrs[i]);
	free(df->instrs);
	free(df->syntax);
	memset(df, 0, sizeof(*df));
}

/* "# name = value" before anything else: 1 and fills name/value. */
static int
directive(const char *l, size_t len, char *name, size_t nsz, const char **val, size_t *vlen)
{
	size_t i = 0;
	while (i < len && is_blank(l[i]))
		i++;
	if (i >= len || l[i] != '#')
		return 0;
	i++;
	while (i < len && is_blank(l[i]))
		i++;
	size_t ns = i;
	if (i >= len || !isalpha((unsigned char)l[i]))
		return 0;
	while (i < len && isalnum((unsigned char)l[i]))
		i++;
	size_t ne = i;
	while (i < len && is_blank(l[i]))
		i++;
	if (i >= len || l[i] != '=')
		return 0;
	i++;
	while (i < len && is_blank(l[i]))
		i++;
	size_t ve = len;
	while (ve > i && is_blank(l[ve - 1]))
		ve--;
	if (ve == i || ne - ns >= nsz)
		return 0;
	for (size_t k = ns; k < ne; k++)
		name[k - ns] = (char)tolower((unsigned char)l[k]);
	name[ne - ns] = 0;
	*val = l + i;
	*vlen = ve - i;
	return 1;
}

int
dockerfile_parse(const char *text, size_t len, struct dockerfile *df, sdc_error_t *err)
{
	memset(df, 0, sizeof(*df));
	df->escape = '\\';

	struct buf cur = { 0 };
	bool in_cont = false, directives = true, seen_escape = false;
	int start = 0, lineno = 0;
	size_t pos = 0;

	/* A UTF-8 byte order mark is skipped, as Docker does. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len || in_cont) {
		const char *l = text + pos;
		size_t ll = 0;
		bool eof = pos >= len;
		if (!eof) {
			const char *nlp = memchr(l, '\n', len - pos);
			ll = nlp ? (size_t)(nlp - l) : len - pos;
			pos += ll + (nlp ? 1 : 0);
			lineno++;
			if (memchr(l, 0, ll)) {
				buf_free(&cur);
				dockerfile_free(df);
				return perr(err, lineno, "the line holds a NUL byte", NULL, NULL);
			}
			if (ll && l[ll - 1] == '\r')
				ll--;
		}

		if (!eof && directives) {
			char name[32];
			const char *v;
			size_t vl;
			if (directive(l, ll, name, sizeof(name), &v, &vl)) {
				if (strcmp(name, "escape") == 0) {
					if (seen_escape) {
						buf_free(&cur);
						dockerfile_free(df);
						return perr(err, lineno, "only one escape parser directive can be used", NULL, NULL);
					}
					seen_escape = true;
					if (vl != 1 || (v[0] != '\\' && v[0] != '`')) {
						char *s = xstrndup(v, vl > 32 ? 32 : vl);
						perr(err, lineno, "invalid escape token '", s, "' does not match ` or \\");
						free(s);
						buf_free(&cur);
						dockerfile_free(df);
						return -1;
					}
					df->escape = v[0];
					continue;
				}
				if (strcmp(name, "syntax") == 0) {
					if (df->syntax) {
						buf_free(&cur);
						dockerfile_free(df);
						return perr(err, lineno, "only one syntax parser directive can be used", NULL, NULL);
					}
					df->syntax = xstrndup(v, vl);
					continue;
				}
				/* Other directives (check=) are comments here. */
				continue;
			}
			directives = false;
		}

		if (!eof) {
			size_t i = 0;
			while (i < ll && is_blank(l[i]))
				i++;
			if (i == ll || l[i] == '#')
				continue;	/* blank or comment, also mid-instruction */
			/* The first line loses its leading blanks; continued
			 * ones keep theirs. */
			const char *s = in_cont ? l : l + i;
			size_t sl = in_cont ? ll : ll - i;
			size_t te = sl;
			while (te && (s[te - 1] == ' ' || s[te - 1] == '\t'))
				te--;
			if (!in_cont)
				start = lineno;
			if (te && s[te - 1] == df->escape) {
				buf_append(&cur, s, te - 1);
				in_cont = true;
				continue;
			}
			buf_append(&cur, s, sl);
		}
		in_cont = false;
		if (cur.len == 0)
			continue;
		if (df->ninstrs >= DF_MAX_INSTRS) {
			buf_free(&cur);
			dockerfile_free(df);
			return perr(err, start, "too many instructions", NULL, NULL);
		}
		struct df_instr in;
		int rc = dockerfile_parse_line(buf_str(&cur), df->escape, start, &in, err);
		buf_reset(&cur);
		if (rc < 0) {
			buf_free(&cur);
			dockerfile_free(df);
			return -1;
		}
		df->instrs = xrealloc(df->instrs, (df->ninstrs + 1) * sizeof(*df->instrs));
		df->instrs[df->ninstrs++] = in;
	}
	buf_free(&cur);
	if (df->ninstrs == 0) {
		dockerfile_free(df);	/* a directive alone still holds # syntax= */
		return sdc_make_error_code(err, 400, "the Dockerfile (Dockerfile) cannot be empty");
	}
	if (df->instrs[0].cmd != DF_FROM && df->instrs[0].cmd != DF_ARG) {
		int line = df->instrs[0].line;
		dockerfile_free(df);
		return sdc_make_error_code(err, 400, "Dockerfile parse error line %d: "
					   "no build stage in current context", line);
	}
	return 0;
}

const char *
dockerfile_flag(const struct df_instr *in, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < in->nflags; i++) {
		const char *f = in->flags[i] + 2;
		if (strncmp(f, name, nl) == 0) {
			if (f[nl] == '=')
				return f + nl + 1;
			if (f[nl] == 0)
				return "";
		}
	}
	return NULL;
}

int
dockerfile_check_flags(const struct df_instr *in, const char *const *allowed,
		       sdc_error_t *err)
{
	for (size_t i = 0; i < in->nflags; i++) {
		const char *f = in->flags[i] + 2;
		size_t fl = strcspn(f, "=");
		bool ok = false;
		for (size_t k = 0; allowed && allowed[k]; k++)
			if (strlen(allowed[k]) == fl && strncmp(allowed[k], f, fl) == 0)
				ok = true;
		if (!ok)
			return sdc_make_error_code(err, 400, "Dockerfile parse error line %d: "
				"unknown flag: %.*s", in->line, (int)(fl > 64 ? 64 : fl), f);
	}
	return 0;
}

/* ---- expansion ---- */

struct lex {
	const char *s;
	char escape;
	df_lookup_fn lookup;
	void *ctx;
	sdc_error_t *err;
	int depth;
};

static int lex_until(struct lex *lx, struct buf *out, char stop);

static bool
is_name(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int
lex_dollar(struct lex *lx, struct buf *out)
{
	/* lx->s is just past '$' */
	if (*lx->s != '{') {
		const char *e = lx->s;
		while (is_name(*e))
			e++;
		if (e == lx->s) {
			buf_putc(out, '$');
			return 0;
		}
		char *name = xstrndup(lx->s, (size_t)(e - lx->s));
		const char *v = lx->lookup ? lx->lookup(lx->ctx, name) : NULL;
		free(name);
		if (v)
			buf_puts(out, v);
		lx->s = e;
		return 0;
	}
	lx->s++;
	const char *e = lx->s;
	while (is_name(*e))
		e++;
	if (e == lx->s)
		return sdc_make_error_code(lx->err, 400, "failed to process \"${%s\": "
					   "bad substitution", lx->s);
	char *name = xstrndup(lx->s, (size_t)(e - lx->s));
	lx->s = e;
	const char *v = lx->lookup ? lx->lookup(lx->ctx, name) : NULL;
	if (*lx->s == '}') {
		lx->s++;
		if (v)
			buf_puts(out, v);
		free(name);
		return 0;
	}
	bool colon = false;
	if (*lx->s == ':') {
		colon = true;
		lx->s++;
	}
	char op = *lx->s;
	if (op != '-' && op != '+' && op != '?') {
		int rc = sdc_make_error_code(lx->err, 400, "failed to process \"${%s%s...\": "
					     "unsupported modifier (%c) in substitution",
					     name, colon ? ":" : "", op ? op : ' ');
		free(name);
		return rc;
	}
	lx->s++;
	if (++lx->depth > DF_MAX_NEST) {
		free(name);
		return sdc_make_error_code(lx->err, 400, "substitutions nested too deep");
	}
	struct buf word = { 0 };
	if (lex_until(lx, &word, '}') < 0) {
		buf_free(&word);
		free(name);
		return -1;
	}
	lx->depth--;
	if (*lx->s != '}') {
		buf_free(&word);
		free(name);
		return sdc_make_error_code(lx->err, 400, "missing '}' in substitution");
	}
	lx->s++;
	bool set = v && (!colon || *v);
	int rc = 0;
	switch (op) {
	case '-':
		buf_puts(out, set ? v : buf_str(&word));
		break;
	case '+':
		if (set)
			buf_puts(out, buf_str(&word));
		break;
	case '?':
		if (set)
			buf_puts(out, v);
		else
			rc = sdc_make_error_code(lx->err, 400, "%s: %s", name,
						 word.len ? buf_str(&word) : "is not allowed to be unset");
		break;
	}
	buf_free(&word);
	free(name);
	return rc;
}

/* Process until `stop` (outside quotes) or the end; lx->s stops on it. */
static int
lex_until(struct lex *lx, struct buf *out, char stop)
{
	while (*lx->s && *lx->s != stop) {
		char c = *lx->s++;
		if (c == lx->escape) {
			if (!*lx->s)
				break;
			buf_putc(out, *lx->s++);
		} else if (c == '\'') {
			const char *e = strchr(lx->s, '\'');
			if (!e)
				return sdc_make_error_code(lx->err, 400, "unexpected end of statement "
							   "while looking for matching single-quote");
			buf_append(out, lx->s, (size_t)(e - lx->s));
			lx->s = e + 1;
		} else if (c == '"') {
			for (;;) {
				char d = *lx->s;
				if (!d)
					return sdc_make_error_code(lx->err, 400, "unexpected end of statement "
								   "while looking for matching double-quote");
				lx->s++;
				if (d == '"')
					break;
				if (d == '$') {
					if (lex_dollar(lx, out) < 0)
						return -1;
				} else if (d == lx->escape && (*lx->s == '"' || *lx->s == '$' ||
							       *lx->s == lx->escape)) {
					buf_putc(out, *lx->s++);
				} else {
					buf_putc(out, d);
				}
			}
		} else if (c == '$') {
			if (lex_dollar(lx, out) < 0)
				return -1;
		} else {
			buf_putc(out, c);
		}
	}
	return 0;
}

int
dockerfile_expand(const char *word, char escape, df_lookup_fn lookup, void *ctx,
		  char **out, sdc_error_t *err)
{
	struct lex lx = { word, escape, lookup, ctx, err, 0 };
	struct buf b = { 0 };

	*out = NULL;
	if (lex_until(&lx, &b, 0) < 0) {
		buf_free(&b);
		return -1;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}
