/*
 * test_sapi.c: the config service's core without HTTP: the PUT actions,
 * the schema validator, the merge and its ETag, and the model over a real
 * store in a temporary folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "jsonutil.h"
#include "sapi/sapi.h"

static json_t *
J(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	assert_non_null(v);
	return v;
}

static void
assert_json(const json_t *got, const char *want)
{
	json_t *w = J(want);

	if (!json_equal((json_t *)got, w)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

		fail_msg("got %s, want %s", g, want);
	}
	json_decref(w);
}

/* Apply body to obj; return the error code (0 on success). */
static int
apply(json_t *obj, enum sapi_kind kind, const char *body)
{
	sdc_error_t err = NULL;
	json_t *b = J(body);
	int code = 0;

	if (sapi_update_apply(obj, kind, b, &err) < 0) {
		code = err->code;
		sdc_error_release(&err);
	}
	json_decref(b);
	return code;
}

/* --- update actions --- */

static void
test_update_actions(void **state)
{
	json_t *o = J("{\"name\":\"a\",\"params\":{},\"metadata\":"
	    "{\"A\":1,\"N\":{\"x\":1,\"y\":2}},\"manifests\":{}}");

	assert_int_equal(apply(o, SAPI_SERVICE,
	    "{\"metadata\":{\"N\":{\"z\":3},\"B\":true}}"), 0);
	assert_json(json_object_get(o, "metadata"),
	    "{\"A\":1,\"N\":{\"z\":3},\"B\":true}");
	assert_int_equal(apply(o, SAPI_SERVICE,
	    "{\"action\":\"delete\",\"metadata\":{\"A\":null,\"nope\":1}}"), 0);
	assert_json(json_object_get(o, "metadata"), "{\"N\":{\"z\":3},\"B\":true}");
	assert_int_equal(apply(o, SAPI_SERVICE,
	    "{\"action\":\"delete\",\"metadata\":[\"N\"]}"), 0);
	assert_json(json_object_get(o, "metadata"), "{\"B\":true}");
	assert_int_equal(apply(o, SAPI_SERVICE,
	    "{\"action\":\"replace\",\"params\":{\"p\":[1]},\"name\":\"b\"}"), 0);
	assert_json(json_object_get(o, "params"), "{\"p\":[1]}");
	assert_string_equal(json_str(o, "name", ""), "b");
	json_decref(o);
}

static void
test_update_refusals(void **state)
{
	json_t *o = J("{\"name\":\"a\",\"metadata\":{\"A\":1}}");

	assert_int_equal(apply(o, SAPI_SERVICE, "{\"action\":\"merge\"}"),
	    SAPI_E_INVALID_ARGUMENT);
	assert_int_equal(apply(o, SAPI_SERVICE, "{\"action\":3}"),
	    SAPI_E_INVALID_ARGUMENT);
	assert_int_equal(apply(o, SAPI_SERVICE,
	    "{\"metadata\":{\"B\":2},\"params\":[]}"), SAPI_E_INVALID_ARGUMENT);
	assert_int_equal(apply(o, SAPI_SERVICE, "{\"name\":\"\"}"),
	    SAPI_E_INVALID_ARGUMENT);
	assert_int_equal(apply(o, SAPI_SERVICE,
	    "{\"manifests\":{\"m\":\"not-a-uuid\"}}"), SAPI_E_INVALID_ARGUMENT);
	assert_int_equal(apply(o, SAPI_APPLICATION,
	    "{\"metadata_schema\":{\"multipleOf\":3}}"), SAPI_E_INVALID_ARGUMENT);
	assert_int_equal(apply(o, SAPI_SERVICE,
	    "{\"action\":\"delete\",\"metadata\":[1]}"), SAPI_E_INVALID_ARGUMENT);
	/* a refused body changed nothing, not even the part that was fine */
	assert_json(o, "{\"name\":\"a\",\"metadata\":{\"A\":1}}");
	/* only applications have a schema */
	assert_int_equal(apply(o, SAPI_SERVICE,
	    "{\"metadata_schema\":{\"type\":\"object\"}}"), 0);
	assert_null(json_object_get(o, "metadata_schema"));
	json_decref(o);
}

/* --- schema --- */

static int
validate(const char *schema, const char *value, char **msg)
{
	sdc_error_t err = NULL;
	json_t *s = J(schema), *v = J(value);
	int code = 0;

	assert_int_equal(sapi_schema_check(s, &err), 0);
	if (sapi_schema_validate(s, v, &err) < 0) {
		code = err->code;
		if (msg != NULL)
			*msg = strdup(err->msg);
		sdc_error_release(&err);
	}
	json_decref(s);
	json_decref(v);
	return code;
}

static void
test_schema(void **state)
{
	const char *s = "{\"type\":\"object\",\"required\":[\"A\"],"
	    "\"properties\":{\"A\":{\"type\":\"integer\"},"
	    "\"M\":{\"enum\":[\"x\",\"y\"]},"
	    "\"L\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	    "\"U\":{\"type\":[\"string\",\"null\"]},"
	    "\"P\":{\"type\":\"object\",\"properties\":"
	    "{\"q\":{\"type\":\"boolean\"}}}},"
	    "\"description\":\"ignored\"}";
	char *msg = NULL;

	assert_int_equal(validate(s, "{\"A\":1,\"M\":\"x\",\"L\":[\"a\"],"
	    "\"U\":null,\"P\":{\"q\":false},\"other\":1}", NULL), 0);
	assert_int_equal(validate(s, "{\"A\":1.0}", NULL), 0);
	assert_int_equal(validate(s, "{\"A\":1.5}", &msg), SAPI_E_SCHEMA);
	assert_non_null(strstr(msg, "metadata.A must be integer, not number"));
	free(msg);
	assert_int_equal(validate(s, "{}", &msg), SAPI_E_SCHEMA);
	assert_non_null(strstr(msg, "required key A"));
	free(msg);
	assert_int_equal(validate(s, "{\"A\":1,\"M\":\"z\"}", &msg), SAPI_E_SCHEMA);
	assert_non_null(strstr(msg, "metadata.M must be one of"));
	free(msg);
	assert_int_equal(validate(s, "{\"A\":1,\"L\":[\"a\",2]}", &msg),
	    SAPI_E_SCHEMA);
	assert_non_null(strstr(msg, "metadata.L[1]"));
	free(msg);
	assert_int_equal(validate(s, "{\"A\":1,\"U\":3}", &msg), SAPI_E_SCHEMA);
	assert_non_null(strstr(msg, "string or null"));
	free(msg);
	assert_int_equal(validate(s, "{\"A\":1,\"P\":{\"q\":\"no\"}}", &msg),
	    SAPI_E_SCHEMA);
	assert_non_null(strstr(msg, "metadata.P.q"));
	free(msg);
}

/* minimum and maximum, inclusive, on numbers only */
static void
test_schema_range(void **state)
{
	const char *s = "{\"properties\":{\"N\":{\"type\":\"integer\","
	    "\"minimum\":0},\"P\":{\"minimum\":0,\"maximum\":100},"
	    "\"R\":{\"maximum\":1.5}}}";
	char *msg = NULL;

	assert_int_equal(validate(s, "{\"N\":0,\"P\":100,\"R\":1.5}", NULL), 0);
	assert_int_equal(validate(s, "{\"P\":\"text\"}", NULL), 0);
	assert_int_equal(validate(s, "{\"N\":-1}", &msg), SAPI_E_SCHEMA);
	assert_string_equal(msg, "metadata.N must be at least 0, not -1");
	free(msg);
	assert_int_equal(validate(s, "{\"P\":101}", &msg), SAPI_E_SCHEMA);
	assert_string_equal(msg, "metadata.P must be from 0 to 100, not 101");
	free(msg);
	assert_int_equal(validate(s, "{\"R\":2}", &msg), SAPI_E_SCHEMA);
	assert_string_equal(msg, "metadata.R must be at most 1.5, not 2");
	free(msg);
}

static void
test_schema_check(void **state)
{
	static const char *const bad[] = {
		"[]", "{\"type\":\"int\"}", "{\"type\":[]}",
		"{\"required\":\"A\"}", "{\"enum\":[]}",
		"{\"properties\":{\"a\":{\"pattern\":\"x\"}}}",
		"{\"minimum\":\"0\"}",
		"{\"items\":3}", "{\"additionalProperties\":false}", NULL
	};
	sdc_error_t err = NULL;
	json_t *s;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		s = J(bad[i]);
		assert_int_equal(sapi_schema_check(s, &err), -1);
		assert_int_equal(err->code, SAPI_E_INVALID_ARGUMENT);
		sdc_error_release(&err);
		json_decref(s);
	}
}

/* --- merge --- */

static void
test_merge_maps_and_etag(void **state)
{
	json_t *a = J("{\"metadata\":{\"A\":1,\"B\":1,\"C\":1}}");
	json_t *b = J("{\"metadata\":{\"B\":2,\"C\":2}}");
	json_t *c = J("{\"metadata\":{\"C\":3}}");
	json_t *m = sapi_merge_maps(a, b, c, "metadata"), *m2;
	json_t *x1 = J("{\"metadata\":{\"a\":1,\"b\":2}}");
	json_t *x2 = J("{\"metadata\":{\"b\":2,\"a\":1}}");
	json_t *x3 = J("{\"metadata\":{\"b\":2,\"a\":2}}");
	char *e1, *e2, *e3;

	assert_json(m, "{\"A\":1,\"B\":2,\"C\":3}");
	m2 = sapi_merge_maps(NULL, c, NULL, "metadata");
	assert_json(m2, "{\"C\":3}");
	json_decref(m2);
	/* the ETag does not depend on key order, and does on values */
	e1 = sapi_merge_etag(x1);
	e2 = sapi_merge_etag(x2);
	e3 = sapi_merge_etag(x3);
	assert_string_equal(e1, e2);
	assert_string_not_equal(e1, e3);
	assert_int_equal(e1[0], '"');
	assert_int_equal(strlen(e1), 34);
	free(e1);
	free(e2);
	free(e3);
	json_decref(x1);
	json_decref(x2);
	json_decref(x3);
	json_decref(m);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

/* --- the model --- */

static char dir[] = "/tmp/test_sapi.XXXXXX";

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static json_t *
insert(struct sapi_model *m, enum sapi_kind kind, const char *text)
{
	sdc_error_t err = NULL;
	json_t *o = J(text);

	if (sapi_model_insert(m, kind, o, &err) < 0)
		fail_msg("insert: %s", sdc_error_msg(err));
	return o;
}

#define APP "aaaaaaaa-0000-4000-8000-000000000001"
#define SVC "aaaaaaaa-0000-4000-8000-000000000002"
#define INST "aaaaaaaa-0000-4000-8000-000000000003"
#define MAN "aaaaaaaa-0000-4000-8000-000000000004"

static void
test_model(void **state)
{
	struct sapi_model *m;
	sdc_error_t err = NULL;
	struct sapi_filter f = { .parent = SVC };
	json_t *app, *svc, *inst, *man, *got, *list, *cfg;
	int64_t n;
	bool empty;

	assert_int_equal(sapi_model_open(&m, dir, &err), 0);
	assert_int_equal(sapi_model_is_empty(m, &empty, &err), 0);
	assert_true(empty);
	assert_true(sapi_model_available(m));
	app = insert(m, SAPI_APPLICATION, "{\"uuid\":\"" APP "\",\"name\":\"a\","
	    "\"metadata\":{\"A\":\"app\",\"B\":\"app\"},\"manifests\":"
	    "{\"m\":\"" MAN "\",\"gone\":\"" APP "\"}}");
	svc = insert(m, SAPI_SERVICE, "{\"uuid\":\"" SVC "\",\"name\":\"s\","
	    "\"application_uuid\":\"" APP "\",\"type\":\"vm\","
	    "\"metadata\":{\"B\":\"svc\"}}");
	inst = insert(m, SAPI_INSTANCE, "{\"uuid\":\"" INST "\",\"name\":\"i\","
	    "\"service_uuid\":\"" SVC "\",\"type\":\"vm\","
	    "\"metadata\":{\"C\":\"inst\"}}");
	man = insert(m, SAPI_MANIFEST, "{\"uuid\":\"" MAN "\",\"name\":\"m\","
	    "\"path\":\"/x\",\"template\":\"t\"}");
	assert_int_equal(json_int(app, "version", 0), 1);

	/* a taken uuid, whatever the kind */
	got = J("{\"uuid\":\"" APP "\",\"name\":\"dup\"}");
	assert_int_equal(sapi_model_insert(m, SAPI_MANIFEST, got, &err), -1);
	assert_int_equal(err->code, SAPI_E_EXISTS);
	sdc_error_release(&err);
	json_decref(got);

	/* get is per kind */
	assert_null(sapi_model_get(m, SAPI_SERVICE, APP, &err));
	assert_int_equal(err->code, SAPI_E_NOT_FOUND);
	sdc_error_release(&err);
	got = sapi_model_get(m, SAPI_SERVICE, SVC, &err);
	assert_json(got, "{\"uuid\":\"" SVC "\",\"name\":\"s\",\"application_uuid\":"
	    "\"" APP "\",\"type\":\"vm\",\"metadata\":{\"B\":\"svc\"},"
	    "\"version\":1}");

	/* update: the version moves on; a stale one is refused */
	json_object_set_new(json_object_get(got, "metadata"), "B",
	    json_string("svc2"));
	assert_int_equal(sapi_model_update(m, SAPI_SERVICE, got, &err), 0);
	assert_int_equal(json_int(got, "version", 0), 2);
	json_object_set_new(got, "version", json_integer(1));
	assert_int_equal(sapi_model_update(m, SAPI_SERVICE, got, &err), -1);
	assert_int_equal(err->code, SAPI_E_PRECONDITION);
	sdc_error_release(&err);
	json_decref(got);

	/* lists and filters */
	list = sapi_model_list(m, SAPI_INSTANCE, &f, &err);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	f.parent = APP;
	list = sapi_model_list(m, SAPI_INSTANCE, &f, &err);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	f = (struct sapi_filter){ .name = "s", .type = "vm" };
	list = sapi_model_list(m, SAPI_SERVICE, &f, &err);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	assert_int_equal(sapi_model_count_children(m, APP, &n, &err), 0);
	assert_int_equal(n, 1);

	/* the config: the merge order, and manifests resolved (a dangling
	 * reference skipped) */
	cfg = sapi_merge_config(m, INST, &err);
	assert_non_null(cfg);
	assert_json(json_object_get(cfg, "metadata"),
	    "{\"A\":\"app\",\"B\":\"svc2\",\"C\":\"inst\"}");
	assert_int_equal(json_array_size(json_object_get(cfg, "manifests")), 1);
	json_decref(cfg);
	assert_null(sapi_merge_config(m, SVC, &err));
	assert_int_equal(err->code, SAPI_E_NOT_FOUND);
	sdc_error_release(&err);

	/* the schema is checked on every merged view under the object */
	json_object_set_new(app, "metadata_schema", J("{\"properties\":"
	    "{\"C\":{\"enum\":[\"inst\"]}}}"));
	assert_int_equal(sapi_merge_check_schema(m, SAPI_APPLICATION, app,
	    &err), 0);
	json_object_set_new(app, "metadata_schema", J("{\"properties\":"
	    "{\"C\":{\"type\":\"integer\"}}}"));
	assert_int_equal(sapi_merge_check_schema(m, SAPI_APPLICATION, app,
	    &err), -1);
	assert_int_equal(err->code, SAPI_E_SCHEMA);
	assert_non_null(strstr(err->msg, INST));
	sdc_error_release(&err);

	/* a rolled back transaction leaves nothing */
	assert_int_equal(sapi_model_begin(m, &err), 0);
	assert_int_equal(sapi_model_delete(m, SAPI_MANIFEST, MAN, &err), 0);
	sapi_model_rollback(m);
	got = sapi_model_get(m, SAPI_MANIFEST, MAN, &err);
	assert_non_null(got);
	json_decref(got);
	assert_int_equal(sapi_model_delete(m, SAPI_MANIFEST, MAN, &err), 0);
	assert_int_equal(sapi_model_delete(m, SAPI_MANIFEST, MAN, &err), -1);
	assert_int_equal(err->code, SAPI_E_NOT_FOUND);
	sdc_error_release(&err);

	json_decref(app);
	json_decref(svc);
	json_decref(inst);
	json_decref(man);
	sapi_model_close(m);

	/* reopening finds it all again */
	assert_int_equal(sapi_model_open(&m, dir, &err), 0);
	assert_int_equal(sapi_model_is_empty(m, &empty, &err), 0);
	assert_false(empty);
	sapi_model_close(m);
}

static void
test_error_names(void **state)
{
	struct sdc_error e = { 0, SAPI_E_MISSING_PARAMETER, NULL };

	assert_int_equal(sapi_error_status(&e), 409);
	assert_string_equal(sapi_error_name(&e), "MissingParameter");
	e.code = 19;            /* the store's constraint code: not ours */
	assert_int_equal(sapi_error_status(&e), 500);
	assert_string_equal(sapi_error_name(&e), "InternalError");
	e.code = SAPI_E_PRECONDITION;
	assert_int_equal(sapi_error_status(&e), 412);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_actions),
		cmocka_unit_test(test_update_refusals),
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_schema_range),
		cmocka_unit_test(test_schema_check),
		cmocka_unit_test(test_merge_maps_and_etag),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
