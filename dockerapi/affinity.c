/*
 * affinity.c: Docker Swarm's affinity expressions, parsed and matched.
 *
 * Triton took Swarm's affinity filters (and no other Swarm filter) to
 * say where a new container goes relative to the account's others, and
 * so do we, with its syntax and its limits:
 *
 *   KEY OP VALUE    KEY: "container" or a label's name
 *                   ([A-Za-z_][A-Za-z0-9._-]+);
 *                   OP: == (with one), != (not with one); a "~" before
 *                   the value (==~, !=~) makes it soft: a preference that
 *                   is dropped rather than refuse the container.  "~=" is
 *                   taken too, as a soft ==.
 *                   VALUE: a name, a uuid, a docker id or a prefix of
 *                   one, a '*'-glob, or /regex/ (POSIX extended here;
 *                   Swarm's was Go's), of Triton's characters.
 *
 * Swarm's image affinity ("image==redis") is refused, where Triton
 * ignored it: every node fetches any image it needs, so the rule could
 * only be met everywhere, and a rule that does nothing should say so.
 * The `affinity:` entries of Env are taken out (they steer placement;
 * they are not the container's environment), and the label keeps them
 * all, as Swarm and Triton did.  Parsing and matching only: which
 * containers are the account's, and on which node, is the caller's.
 */
#include <stdlib.h>
#include <string.h>

#include "affinity.h"
#include "jsonutil.h"
#include "xalloc.h"

#define AFFINITY_ENV "affinity:"
#define AFFINITY_MAX 1024

static bool
affinity_key_ok(const char *k, size_t n)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_";
	size_t i;

	if (n < 2 || strchr(first, k[0]) == NULL)
		return false;
	for (i = 1; i < n; i++)
		if (strchr(first, k[i]) == NULL && strchr("0123456789-_.",
		    k[i]) == NULL)
			return false;
	return true;
}

static bool
affinity_value_ok(const char *v)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-:_ \t.*/()?+[]\\^$|";

	return *v != '\0' && strspn(v, ok) == strlen(v);
}

/* The first operator of the text: its place and its length (2), and
 * whether it negates or is soft. */
static const char *
affinity_op(const char *s, bool *negate, bool *soft)
{
	const char *p;

	for (p = s; p[0] != '\0' && p[1] != '\0'; p++)
		if (p[1] == '=' && (p[0] == '=' || p[0] == '!' || p[0] == '~')) {
			*negate = p[0] == '!';
			*soft = p[0] == '~';
			return p;
		}
	return NULL;
}

/* Whether a regex has a back-reference (\1 to \9).  Swarm's (Go's RE2)
 * never had them, and with them glibc's matcher backtracks: seconds of
 * the loop thread per name for a tenant's /^(a*)*\1\1b$/ against a long
 * name or label, at every create.  Without them it stays polynomial. */
static bool
affinity_has_backref(const char *re)
{
	for (const char *p = re; *p != '\0'; p++) {
		if (*p != '\\')
			continue;
		if (p[1] >= '1' && p[1] <= '9')
			return true;
		if (p[1] == '\0')
			break;
		p++;			/* an escaped character, \\ included */
	}
	return false;
}

int
affinity_parse(const char *text, struct affinity *out, sdc_error_t *err)
{
	const char *op, *v;
	size_t n;
	int rc;
	char msg[128];

	memset(out, 0, sizeof *out);
	if (strlen(text) > AFFINITY_MAX)
		return sdc_make_error_code(err, 400, "invalid affinity \"%.64s"
		    "...\": longer than %d characters", text, AFFINITY_MAX);
	if ((op = affinity_op(text, &out->negate, &out->soft)) == NULL)
		return sdc_make_error_code(err, 400, "invalid affinity \"%s\": "
		    "expected one of ==, !=, ==~, !=~ or ~=", text);
	n = (size_t)(op - text);
	if (!affinity_key_ok(text, n))
		return sdc_make_error_code(err, 400, "invalid affinity \"%s\": "
		    "the key \"%.*s\" is not a container or label name (letters, "
		    "digits, '.', '_' and '-')", text, (int)n, text);
	v = op + 2;
	if (*v == '~' && !out->soft) {
		out->soft = true;
		v++;
	}
	if (!affinity_value_ok(v))
		return sdc_make_error_code(err, 400, "invalid affinity \"%s\": "
		    "the value \"%s\" is empty or has characters other than "
		    "letters, digits and -:_.*/()?+[]\\^$| and blanks", text, v);
	if (n == 5 && strncmp(text, "image", 5) == 0)
		return sdc_make_error_code(err, 400, "invalid affinity \"%s\": "
		    "image affinity is not supported (every node can run every "
		    "image)", text);
	out->key = xmalloc(n + 1);
	memcpy(out->key, text, n);
	out->key[n] = '\0';
	out->text = xstrdup(text);
	n = strlen(v);
	if (n >= 3 && v[0] == '/' && v[n - 1] == '/') {
		out->kind = AFFINITY_REGEX;
		out->value = xmalloc(n - 1);
		memcpy(out->value, v + 1, n - 2);
		out->value[n - 2] = '\0';
		if (affinity_has_backref(out->value)) {
			sdc_make_error_code(err, 400, "invalid affinity \"%s\": "
			    "back-references (\\1 to \\9) are not supported in "
			    "a /regex/", text);
			free(out->value);
			out->value = NULL;
			free(out->key);
			free(out->text);
			out->key = out->text = NULL;
			return -1;
		}
		if ((rc = regcomp(&out->re, out->value,
		    REG_EXTENDED | REG_NOSUB)) != 0) {
			regerror(rc, &out->re, msg, sizeof msg);
			sdc_make_error_code(err, 400, "invalid affinity \"%s\": "
			    "bad regular expression: %s", text, msg);
			out->kind = AFFINITY_EXACT;	/* nothing compiled */
			affinity_clear(out);
			return -1;
		}
	} else {
		out->kind = strchr(v, '*') != NULL ? AFFINITY_GLOB :
		    AFFINITY_EXACT;
		out->value = xstrdup(v);
	}
	return 0;
}

void
affinity_clear(struct affinity *a)
{
	if (a->kind == AFFINITY_REGEX)
		regfree(&a->re);
	free(a->text);
	free(a->key);
	free(a->value);
	memset(a, 0, sizeof *a);
}

void
affinity_set_clear(struct affinity_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		affinity_clear(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int
affinity_add(struct affinity_set *s, const char *text, sdc_error_t *err)
{
	struct affinity a;

	if (affinity_parse(text, &a, err) < 0)
		return -1;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	s->v[s->n++] = a;
	return 0;
}

/* The label's expressions, appended to all (a JSON array of strings). */
static int
affinity_label(const json_t *labels, json_t *all, sdc_error_t *err)
{
	const json_t *l = json_object_get(labels, AFFINITY_LABEL);
	json_t *arr, *v;
	size_t i;

	if (l == NULL)
		return 0;
	if (!json_is_string(l))
		return sdc_make_error_code(err, 400, "invalid affinities label "
		    "\"%s\": not a string", AFFINITY_LABEL);
	arr = json_loads(json_string_value(l), JSON_DECODE_ANY, NULL);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return sdc_make_error_code(err, 400, "invalid affinities label "
		    "\"%s\": %s is not a JSON array of expressions",
		    AFFINITY_LABEL, json_string_value(l));
	}
	json_array_foreach(arr, i, v)
		if (!json_is_string(v)) {
			json_decref(arr);
			return sdc_make_error_code(err, 400, "invalid affinities "
			    "label \"%s\": %s has an entry that is not a string",
			    AFFINITY_LABEL, json_string_value(l));
		}
	json_array_extend(all, arr);
	json_decref(arr);
	return 0;
}

int
affinity_from_config(json_t *config, struct affinity_set *out,
    sdc_error_t *err)
{
	json_t *env = json_object_get(config, "Env");
	json_t *labels = json_object_get(config, "Labels");
	json_t *all = json_array(), *fromenv = json_array(), *v;
	const char *e;
	size_t i;
	char *text;

	memset(out, 0, sizeof *out);
	if (affinity_label(labels, all, err) < 0)
		goto fail;
	for (i = 0; i < json_array_size(env); ) {
		e = json_string_value(json_array_get(env, i));
		if (e == NULL || strncmp(e, AFFINITY_ENV,
		    strlen(AFFINITY_ENV)) != 0) {
			i++;
			continue;
		}
		json_array_append_new(fromenv, json_string(e +
		    strlen(AFFINITY_ENV)));
		json_array_remove(env, i);
	}
	json_array_extend(all, fromenv);
	json_array_foreach(all, i, v)
		if (affinity_add(out, json_string_value(v), err) < 0)
			goto fail;
	if (json_array_size(fromenv) > 0) {
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(config, "Labels", labels);
		}
		text = json_dumps(all, JSON_COMPACT);
		json_object_set_new(labels, AFFINITY_LABEL, json_string(text));
		free(text);
	}
	json_decref(all);
	json_decref(fromenv);
	return 0;
fail:
	json_decref(all);
	json_decref(fromenv);
	affinity_set_clear(out);
	return -1;
}

bool
affinity_glob(const char *p, const char *s)
{
	const char *star = NULL, *back = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = ++p;
			back = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++back;
		} else
			return false;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool
affinity_value_matches(const struct affinity *a, const char *s)
{
	switch (a->kind) {
	case AFFINITY_REGEX:
		return regexec(&a->re, s, 0, NULL, 0) == 0;
	case AFFINITY_GLOB:
		return affinity_glob(a->value, s);
	default:
		return strcmp(a->value, s) == 0;
	}
}

int
affinity_match(const struct affinity *a, const char *id, const char *uuid,
    const char *name, const json_t *labels)
{
	const char *l;

	if (strcmp(a->key, "container") != 0) {
		l = json_string_value(json_object_get(labels, a->key));
		return l != NULL && affinity_value_matches(a, l);
	}
	if (name != NULL && affinity_value_matches(a, name))
		return 1;
	if (a->kind != AFFINITY_EXACT)
		return 0;
	if ((uuid != NULL && strcmp(uuid, a->value) == 0) ||
	    (id != NULL && strncmp(id, a->value, strlen(a->value)) == 0))
		return AFFINITY_BY_ID;
	return 0;
}
