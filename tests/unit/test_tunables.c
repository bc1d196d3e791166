/*
 * test_tunables.c: the tunables' contract, checked against the files
 * that state it.
 *
 * etc/sapi-bootstrap.yaml is the one source of every tunable's default
 * and schema (sapi stores both; dockerapi embeds the file), and
 * sdc-docker-config(5) documents them.  So: every key of the schema has a
 * default and every default a schema entry; the defaults pass the schema
 * (sapi's own validator); every tunable has a .TP entry in the page, the
 * page documents no other, and a default the page states is the file's;
 * and every tunable dockerapi's sources read by name is in the schema.
 * Then dockerapi's side (its tunables.c, linked in): the defaults lie
 * under what SAPI gives, and a number out of its range is not used.
 */
#include <dirent.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "xalloc.h"
#include "sapi/sapi.h"
#include "dockerapi/dockerapi.h"
#include "test_top.h"

static char *
slurp(const char *rel)
{
	char *path = test_top_path(rel), *text = test_slurp(path);

	free(path);
	return text;
}

/* The file's defaults (sdc's metadata under docker's) and its schema,
 * as dockerapi reads them from the copy built into it. */
static void
bootstrap(json_t **defaults, json_t **schema)
{
	json_t *props;

	*defaults = tunables_bootstrap(&props);
	*schema = json_pack("{s:s, s:o}", "type", "object", "properties", props);
	assert_true(json_object_size(props) > 0);
}

static void
test_schema_and_defaults(void **state)
{
	json_t *defaults, *schema, *props, *v;
	sdc_error_t err = NULL;
	const char *k;

	bootstrap(&defaults, &schema);
	props = json_object_get(schema, "properties");
	json_object_foreach(props, k, v)
		if (json_object_get(defaults, k) == NULL)
			fail_msg("%s is in the schema but has no default", k);
	json_object_foreach(defaults, k, v)
		if (json_object_get(props, k) == NULL)
			fail_msg("%s has a default but is not in the schema", k);
	if (sapi_schema_check(schema, &err) < 0 ||
	    sapi_schema_validate(schema, defaults, &err) < 0)
		fail_msg("the defaults break the schema: %s", sdc_error_msg(err));
	/* the range that makes sapi refuse a negative size */
	v = json_pack("{s:i}", "DEFAULT_MAX_LOG_SIZE", -1);
	assert_int_equal(sapi_schema_validate(schema, v, &err), -1);
	assert_int_equal(err->code, SAPI_E_SCHEMA);
	sdc_error_release(&err);
	json_decref(v);
	json_decref(defaults);
	json_decref(schema);
}

/* roff's "\-" as "-". */
static char *
unroff(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '\\' && i + 1 < n && s[i + 1] == '-'))
			buf_putc(&b, s[i]);
	return buf_detach(&b, NULL);
}

/* What the page says a default is, as the file would hold it. */
static void
check_default(const char *name, const char *said, const json_t *v)
{
	char *text = NULL;

	if (json_is_string(v))
		text = xstrdup(*json_string_value(v) != '\0' ?
		    json_string_value(v) : "empty");
	else if (json_is_array(v) && json_array_size(v) == 0)
		text = xstrdup(strcmp(said, "[]") == 0 ? "[]" : "empty");
	else if (json_is_array(v)) {
		struct buf b = BUF_INIT;
		size_t i;
		json_t *e;

		buf_putc(&b, '[');
		json_array_foreach(v, i, e)
			buf_printf(&b, "%s%s", i > 0 ? ", " : "",
			    json_string_value(e));
		buf_putc(&b, ']');
		text = buf_detach(&b, NULL);
	} else if (json_is_real(v) && strtod(said, NULL) == json_real_value(v))
		text = xstrdup(said);
	else
		text = json_text(v);
	if (strcmp(text, said) != 0)
		fail_msg("sdc-docker-config(5) says %s defaults to \"%s\"; "
		    "etc/sapi-bootstrap.yaml says %s", name, said, text);
	free(text);
}

static void
test_man_page(void **state)
{
	char *page = slurp("man/sdc-docker-config.5"), *p, *line;
	json_t *defaults, *schema, *props, *documented = json_object(), *v;
	const char *k;

	bootstrap(&defaults, &schema);
	props = json_object_get(schema, "properties");
	for (p = page; (p = strstr(p, "\n.TP\n")) != NULL; ) {
		char *name, *paren, *def, *end;

		line = p + 5;
		p = line;
		if (strncmp(line, ".BR ", 4) != 0 && strncmp(line, ".B ", 3) != 0)
			fail_msg(".TP not followed by a tunable: %.40s", line);
		line = strchr(line, ' ') + 1;
		name = unroff(line, strcspn(line, " \n"));
		if (json_object_get(props, name) == NULL)
			fail_msg("sdc-docker-config(5) documents %s, which is "
			    "not in the schema", name);
		json_object_set_new(documented, name, json_true());
		paren = strstr(line, "(");
		end = strchr(line, '\n');
		if (paren != NULL && paren < end &&
		    (def = strstr(paren, "default ")) != NULL && def < end) {
			char *said;

			def += 8;
			said = unroff(def, strcspn(def, ")\""));
			/* a list's ", " is inside its brackets */
			if (said[0] != '[' && strchr(said, ',') != NULL)
				*strchr(said, ',') = '\0';
			check_default(name, said, json_object_get(defaults, name));
			free(said);
		}
		free(name);
	}
	json_object_foreach(props, k, v)
		if (json_object_get(documented, k) == NULL)
			fail_msg("%s is in the schema but has no entry in "
			    "sdc-docker-config(5)", k);
	json_decref(documented);
	json_decref(defaults);
	json_decref(schema);
	free(page);
}

/* Every name a dockerapi source reads with tunable_int/str/bool (or a
 * helper named *tunable*, or a lookup in tunables_get) is in the schema. */
static int
scan_file(const char *rel, const json_t *props, regex_t *re)
{
	char *text = slurp(rel), *p = text;
	regmatch_t m[2];
	int n = 0;

	while (regexec(re, p, 2, m, 0) == 0) {
		char *name = xstrndup(p + m[1].rm_so,
		    (size_t)(m[1].rm_eo - m[1].rm_so));

		if (json_object_get(props, name) == NULL)
			fail_msg("%s reads the tunable %s, which is not in "
			    "etc/sapi-bootstrap.yaml's schema", rel, name);
		free(name);
		n++;
		p += m[0].rm_eo;
	}
	free(text);
	return n;
}

static int
scan_dir(const char *rel, const json_t *props, regex_t *re)
{
	char *path = test_top_path(rel), *sub;
	struct dirent *e;
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		xasprintf(&sub, "%s/%s", rel, e->d_name);
		if (e->d_type == DT_DIR)
			n += scan_dir(sub, props, re);
		else if (len > 2 && strcmp(e->d_name + len - 2, ".c") == 0)
			n += scan_file(sub, props, re);
		free(sub);
	}
	closedir(d);
	free(path);
	return n;
}

static void
test_sources(void **state)
{
	static const char *const calls[] = {
		/* tunable_int(d, "X", ...), limits_tunable(d, "X", ...) */
		"tunable[a-z_]*\\([^,()\"]+,[[:space:]]*\"([A-Za-z_0-9]+)\"",
		/* json_object_get(tunables_get(d), "X") */
		"tunables_get\\([^()]*\\),[[:space:]]*\"([A-Za-z_0-9]+)\"",
	};
	json_t *defaults, *schema;
	regex_t re;
	int n = 0;

	bootstrap(&defaults, &schema);
	for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
		assert_int_equal(regcomp(&re, calls[i], REG_EXTENDED), 0);
		n += scan_dir("dockerapi", json_object_get(schema, "properties"),
		    &re);
		regfree(&re);
	}
	if (n < 20)	/* the scan itself works: dockerapi reads many */
		fail_msg("only %d tunable reads found in dockerapi/", n);
	json_decref(defaults);
	json_decref(schema);
}

static void
test_dockerapi_side(void **state)
{
	struct dockerapi d;

	memset(&d, 0, sizeof d);
	d.cfg.data_dir = "/nonexistent";
	tunables_init(&d);
	assert_string_equal(tunables_source(&d), "defaults");
	assert_string_equal(tunable_str(&d, "datacenter_name", "x"), "coal");
	tunables_apply(&d, json_pack("{s:i, s:i, s:s, s:i, s:i, s:i}",
	    "DEFAULT_MAX_LOG_SIZE", -5, "HANDSHAKE_TIMEOUT", 0,
	    "datacenter_name", "west-1", "QUOTA_CONTAINERS", 7,
	    "EVENTS_OUTBOX_MAX_EVENTS", 0, "EVENTS_OUTBOX_MAX_BYTES", 100),
	    "sapi");
	/* out of range: the default, not the value */
	assert_int_equal(tunable_int(&d, "DEFAULT_MAX_LOG_SIZE", 1), 50000000);
	assert_int_equal(tunable_int(&d, "HANDSHAKE_TIMEOUT", 1), 10);
	assert_int_equal(tunable_int(&d, "EVENTS_OUTBOX_MAX_EVENTS", 1), 10000);
	assert_int_equal(tunable_int(&d, "EVENTS_OUTBOX_MAX_BYTES", 1),
	    8388608);
	/* in range: SAPI's; absent: the file's default, not the caller's */
	assert_int_equal(tunable_int(&d, "QUOTA_CONTAINERS", 1), 7);
	assert_string_equal(tunable_str(&d, "datacenter_name", "x"), "west-1");
	assert_int_equal(tunable_int(&d, "DEFAULT_MEMORY", 1), 1024);
	assert_true(tunable_bool(&d, "USE_TLS", false));
	tunables_stop(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_and_defaults),
		cmocka_unit_test(test_man_page),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_dockerapi_side),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
