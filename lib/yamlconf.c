/*
 * yamlconf.c: see yamlconf.h.
 *
 * Built on libyaml's event parser: a small recursive descent over
 * MAPPING/SEQUENCE/SCALAR events.  Recursion depth is bounded so a hostile
 * file cannot exhaust the stack.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "xalloc.h"
#include "yamlconf.h"

#define YAML_MAX_DEPTH 64

struct yaml_reader {
	yaml_parser_t parser;
	const char *name;
};

static json_t *read_node(struct yaml_reader *r, yaml_event_t *ev, int depth, sdc_error_t *err);

static int
reader_error(struct yaml_reader *r, const yaml_mark_t *mark, const char *what,
    sdc_error_t *err)
{
	return sdc_make_error(err, 0, "%s: line %zu column %zu: %s", r->name,
	    mark->line + 1, mark->column + 1, what);
}

static int
next_event(struct yaml_reader *r, yaml_event_t *ev, sdc_error_t *err)
{
	if (yaml_parser_parse(&r->parser, ev))
		return 0;
	return reader_error(r, &r->parser.problem_mark,
	    r->parser.problem != NULL ? r->parser.problem : "parse error", err);
}

static bool
is_one_of(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

/* YAML 1.2 core schema for plain scalars. */
static json_t *
plain_scalar(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	char *end;

	if (is_one_of(s, nulls))
		return json_null();
	if (is_one_of(s, trues))
		return json_true();
	if (is_one_of(s, falses))
		return json_false();
	errno = 0;
	long long i = strtoll(s, &end, 10);
	if (*end == '\0' && errno == 0 && strspn(s, "+-0123456789") == strlen(s))
		return json_integer(i);
	double d = strtod(s, &end);
	if (*end == '\0' && strspn(s, "+-0123456789.eE") == strlen(s))
		return json_real(d);
	return json_string(s);
}

static json_t *
read_scalar(struct yaml_reader *r, yaml_event_t *ev, sdc_error_t *err)
{
	const char *text = (const char *)ev->data.scalar.value;
	json_t *v;

	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		v = plain_scalar(text);
	else
		v = json_string(text);
	if (v == NULL)
		reader_error(r, &ev->start_mark, "scalar is not valid UTF-8", err);
	return v;
}

static json_t *
read_mapping(struct yaml_reader *r, int depth, sdc_error_t *err)
{
	json_t *obj = json_object();
	yaml_event_t ev;

	for (;;) {
		if (next_event(r, &ev, err) < 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return obj;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			reader_error(r, &ev.start_mark, "mapping keys must be scalars", err);
			yaml_event_delete(&ev);
			goto fail;
		}
		char *key = xstrdup((const char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (next_event(r, &ev, err) < 0) {
			free(key);
			goto fail;
		}
		json_t *value = read_node(r, &ev, depth + 1, err);
		yaml_event_delete(&ev);
		if (value == NULL) {
			free(key);
			goto fail;
		}
		json_object_set_new(obj, key, value);
		free(key);
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *
read_sequence(struct yaml_reader *r, int depth, sdc_error_t *err)
{
	json_t *arr = json_array();
	yaml_event_t ev;

	for (;;) {
		if (next_event(r, &ev, err) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return arr;
		}
		json_t *value = read_node(r, &ev, depth + 1, err);
		yaml_event_delete(&ev);
		if (value == NULL)
			goto fail;
		json_array_append_new(arr, value);
	}
fail:
	json_decref(arr);
	return NULL;
}

static json_t *
read_node(struct yaml_reader *r, yaml_event_t *ev, int depth, sdc_error_t *err)
{
	if (depth > YAML_MAX_DEPTH) {
		reader_error(r, &ev->start_mark, "nested too deeply", err);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return read_scalar(r, ev, err);
	case YAML_MAPPING_START_EVENT:
		return read_mapping(r, depth, err);
	case YAML_SEQUENCE_START_EVENT:
		return read_sequence(r, depth, err);
	case YAML_ALIAS_EVENT:
		reader_error(r, &ev->start_mark, "aliases are not supported", err);
		return NULL;
	default:
		reader_error(r, &ev->start_mark, "unexpected YAML event", err);
		return NULL;
	}
}

/* Skip the stream and document start events, read one node. */
static json_t *
read_document(struct yaml_reader *r, sdc_error_t *err)
{
	yaml_event_t ev;
	json_t *v = NULL;

	for (;;) {
		if (next_event(r, &ev, err) < 0)
			return NULL;
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return json_object();   /* an empty file is an empty config */
		}
		v = read_node(r, &ev, 0, err);
		yaml_event_delete(&ev);
		return v;
	}
}

json_t *
yaml_load_string(const char *text, size_t len, sdc_error_t *err)
{
	struct yaml_reader r = { .name = "<string>" };
	json_t *v;

	yaml_parser_initialize(&r.parser);
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	v = read_document(&r, err);
	yaml_parser_delete(&r.parser);
	return v;
}

json_t *
yaml_load_file(const char *path, sdc_error_t *err)
{
	struct yaml_reader r = { .name = path };
	FILE *f;
	json_t *v;

	f = fopen(path, "rb");
	if (f == NULL) {
		sdc_make_error(err, errno, "cannot open %s", path);
		return NULL;
	}
	yaml_parser_initialize(&r.parser);
	yaml_parser_set_input_file(&r.parser, f);
	v = read_document(&r, err);
	yaml_parser_delete(&r.parser);
	fclose(f);
	return v;
}

int
yaml_load_settings(const char *path, yaml_setting_fn set, void *arg,
    sdc_error_t *err)
{
	json_t *doc, *v;
	const char *k;
	int rc = 0;

	if ((doc = yaml_load_file(path, err)) == NULL)
		return -1;
	if (json_is_null(doc)) {                /* an empty file */
		json_decref(doc);
		return 0;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return sdc_make_error(err, 0, "%s: expected a mapping of "
		    "settings", path);
	}
	json_object_foreach(doc, k, v) {
		if (set(arg, k, v, err) < 0) {
			rc = sdc_error_wrap(err, "%s", path);
			break;
		}
	}
	json_decref(doc);
	return rc;
}
