/*
 * model.c: SAPI's objects in the store.
 *
 * Every object, whatever its kind, is one row: its JSON text plus copies of
 * the few fields lists filter on (kind, name, parent, type) and its
 * version.  One table keeps the uuid space shared, so a uuid names exactly
 * one object, as in Triton, and POSTing a taken uuid fails on the primary
 * key.  The JSON is the object as the API shows it; the columns are only
 * indexes.  SAPI's data is small (tens of objects), so filters the columns
 * do not cover are applied in memory.  The SQL is plain enough for the
 * store's PostgreSQL side too (hence the CASTs that type the optional
 * filters).
 *
 * The statements are prepared once.  The daemon is one thread, and a write
 * is a transaction the handler opens and commits around its statements, so
 * validation that reads other objects sees the write it is checking.  Once
 * it serves, a lost PostgreSQL connection is made again on a thread
 * (sapi_model_connect_off_loop), so /ping answers "store unavailable" at
 * once rather than after libpq's connect_timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "sapi.h"
#include "store.h"
#include "xalloc.h"

static const char *const sapi_model_migrations[] = {
	"CREATE TABLE sapi_objects ("
	"  uuid TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  parent TEXT,"
	"  type TEXT,"
	"  version INTEGER NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX sapi_objects_kind_name ON sapi_objects (kind, name);"
	"CREATE INDEX sapi_objects_parent ON sapi_objects (parent);",
	NULL,
};

enum {
	Q_GET,
	Q_LIST,
	Q_CHILDREN,
	Q_INSERT,
	Q_UPDATE,
	Q_DELETE,
	Q_ANY,
	Q_COUNT
};

static const char *const sapi_model_sql[Q_COUNT] = {
	[Q_GET] = "SELECT body, version FROM sapi_objects "
	    "WHERE uuid = ? AND kind = ?",
	[Q_LIST] = "SELECT body, version FROM sapi_objects WHERE kind = ? "
	    "AND (CAST(? AS TEXT) IS NULL OR name = ?) "
	    "AND (CAST(? AS TEXT) IS NULL OR parent = ?) "
	    "AND (CAST(? AS TEXT) IS NULL OR type = ?) ORDER BY name, uuid",
	[Q_CHILDREN] = "SELECT count(*) FROM sapi_objects WHERE parent = ?",
	[Q_INSERT] = "INSERT INTO sapi_objects "
	    "(uuid, kind, name, parent, type, version, body) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)",
	[Q_UPDATE] = "UPDATE sapi_objects SET name = ?, type = ?, "
	    "version = ?, body = ? WHERE uuid = ? AND kind = ? AND version = ?",
	[Q_DELETE] = "DELETE FROM sapi_objects WHERE uuid = ? AND kind = ?",
	[Q_ANY] = "SELECT count(*) FROM sapi_objects",
};

struct sapi_model {
	struct store *st;
	struct store_stmt *q[Q_COUNT];
};

const char *
sapi_kind_name(enum sapi_kind kind)
{
	switch (kind) {
	case SAPI_APPLICATION:
		return "application";
	case SAPI_SERVICE:
		return "service";
	case SAPI_INSTANCE:
		return "instance";
	case SAPI_MANIFEST:
		return "manifest";
	}
	return "object";
}

static const char *
sapi_model_parent_field(enum sapi_kind kind)
{
	switch (kind) {
	case SAPI_SERVICE:
		return "application_uuid";
	case SAPI_INSTANCE:
		return "service_uuid";
	default:
		return NULL;
	}
}

int
sapi_model_open(struct sapi_model **out, const char *dir, sdc_error_t *err)
{
	char *path;
	int rc;

	xasprintf(&path, "%s/sapi.db", dir);
	rc = sapi_model_open_at(out, path, err);
	free(path);
	return rc;
}

const char *
sapi_model_backend(struct sapi_model *m)
{
	return store_backend(m->st);
}

int
sapi_model_notify(struct sapi_model *m, sdc_error_t *err)
{
	return store_notify(m->st, "sapi_configs", err);
}

int
sapi_model_open_at(struct sapi_model **out, const char *where, sdc_error_t *err)
{
	struct sapi_model *m = xcalloc(1, sizeof *m);
	int i;

	if (store_open(&m->st, where, err) < 0) {
		free(m);
		return -1;
	}
	if (store_migrate(m->st, "sapi", sapi_model_migrations, err) < 0)
		goto fail;
	for (i = 0; i < Q_COUNT; i++)
		if (store_prepare(m->st, &m->q[i], sapi_model_sql[i], err) < 0)
			goto fail;
	*out = m;
	return 0;
fail:
	sapi_model_close(m);
	return -1;
}

void
sapi_model_connect_off_loop(struct sapi_model *m, struct event_base *base)
{
	store_connect_off_loop(m->st, base);
}

void
sapi_model_close(struct sapi_model *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < Q_COUNT; i++)
		store_finalize(m->q[i]);
	store_close(m->st);
	free(m);
}

/* Run a statement that yields one integer. */
static int
sapi_model_count(struct sapi_model *m, int which, const char *arg,
    int64_t *n, sdc_error_t *err)
{
	struct store_stmt *q = m->q[which];
	int rc = 0;

	if (arg != NULL)
		rc = store_bind_text(q, 1, arg, err);
	if (rc == 0)
		rc = store_step(q, err);
	if (rc == 1)
		*n = store_col_int64(q, 0);
	store_reset(q);
	return rc < 0 ? -1 : 0;
}

int
sapi_model_is_empty(struct sapi_model *m, bool *empty, sdc_error_t *err)
{
	int64_t n = 0;

	if (sapi_model_count(m, Q_ANY, NULL, &n, err) < 0)
		return -1;
	*empty = n == 0;
	return 0;
}

bool
sapi_model_available(struct sapi_model *m)
{
	sdc_error_t err = NULL;
	int64_t n;

	if (sapi_model_count(m, Q_ANY, NULL, &n, &err) < 0) {
		sdc_error_release(&err);
		return false;
	}
	return true;
}

int
sapi_model_count_children(struct sapi_model *m, const char *uuid, int64_t *n,
    sdc_error_t *err)
{
	*n = 0;
	return sapi_model_count(m, Q_CHILDREN, uuid, n, err);
}

int
sapi_model_begin(struct sapi_model *m, sdc_error_t *err)
{
	return store_begin(m->st, err);
}

int
sapi_model_commit(struct sapi_model *m, sdc_error_t *err)
{
	if (store_commit(m->st, err) < 0) {
		store_rollback(m->st);
		return -1;
	}
	return 0;
}

void
sapi_model_rollback(struct sapi_model *m)
{
	store_rollback(m->st);
}

int
sapi_model_savepoint(struct sapi_model *m, sdc_error_t *err)
{
	return store_exec(m->st, "SAVEPOINT sapi_write", err);
}

int
sapi_model_release_savepoint(struct sapi_model *m, sdc_error_t *err)
{
	return store_exec(m->st, "RELEASE SAVEPOINT sapi_write", err);
}

void
sapi_model_rollback_savepoint(struct sapi_model *m)
{
	sdc_error_t err = NULL;

	if (store_exec(m->st, "ROLLBACK TO SAVEPOINT sapi_write", &err) == 0)
		store_exec(m->st, "RELEASE SAVEPOINT sapi_write", &err);
	sdc_error_release(&err);
}

/* The object of the current row: its JSON with the version column. */
static json_t *
sapi_model_row(struct store_stmt *q, sdc_error_t *err)
{
	const char *text = store_col_text(q, 0);
	json_t *obj;

	obj = json_parse(text != NULL ? text : "", text != NULL ?
	    strlen(text) : 0, err);
	if (obj == NULL)
		return NULL;
	json_object_set_new(obj, "version", json_integer(store_col_int64(q, 1)));
	return obj;
}

json_t *
sapi_model_get(struct sapi_model *m, enum sapi_kind kind, const char *uuid,
    sdc_error_t *err)
{
	struct store_stmt *q = m->q[Q_GET];
	json_t *obj = NULL;
	int rc;

	rc = store_bind_text(q, 1, uuid, err);
	if (rc == 0)
		rc = store_bind_text(q, 2, sapi_kind_name(kind), err);
	if (rc == 0)
		rc = store_step(q, err);
	if (rc == 1)
		obj = sapi_model_row(q, err);
	else if (rc == 0)
		sdc_make_error_code(err, SAPI_E_NOT_FOUND, "%s %s not found",
		    sapi_kind_name(kind), uuid);
	store_reset(q);
	return obj;
}

static int
sapi_model_bind_filter(struct store_stmt *q, int idx, const char *value,
    sdc_error_t *err)
{
	if (store_bind_text(q, idx, value, err) < 0 ||
	    store_bind_text(q, idx + 1, value, err) < 0)
		return -1;
	return 0;
}

static bool
sapi_model_owner_matches(const json_t *obj, const struct sapi_filter *f)
{
	const char *owner;

	if (f == NULL || f->owner_uuid == NULL)
		return true;
	owner = json_str(obj, "owner_uuid", NULL);
	return owner != NULL && strcmp(owner, f->owner_uuid) == 0;
}

json_t *
sapi_model_list(struct sapi_model *m, enum sapi_kind kind,
    const struct sapi_filter *f, sdc_error_t *err)
{
	static const struct sapi_filter none;
	struct store_stmt *q = m->q[Q_LIST];
	json_t *list = json_array(), *obj;
	int rc;

	if (f == NULL)
		f = &none;
	if (store_bind_text(q, 1, sapi_kind_name(kind), err) < 0 ||
	    sapi_model_bind_filter(q, 2, f->name, err) < 0 ||
	    sapi_model_bind_filter(q, 4, f->parent, err) < 0 ||
	    sapi_model_bind_filter(q, 6, f->type, err) < 0)
		goto fail;
	while ((rc = store_step(q, err)) == 1) {
		if ((obj = sapi_model_row(q, err)) == NULL)
			goto fail;
		if (sapi_model_owner_matches(obj, f))
			json_array_append_new(list, obj);
		else
			json_decref(obj);
	}
	if (rc < 0)
		goto fail;
	store_reset(q);
	return list;
fail:
	store_reset(q);
	json_decref(list);
	return NULL;
}

/* Step a write; a taken primary key becomes SAPI_E_EXISTS. */
static int
sapi_model_step_write(struct store_stmt *q, sdc_error_t *err)
{
	int rc = store_step(q, err);

	store_reset(q);
	if (rc < 0 && *err != NULL && (*err)->code == STORE_CONSTRAINT)
		(*err)->code = SAPI_E_EXISTS;
	return rc < 0 ? -1 : 0;
}

int
sapi_model_insert(struct sapi_model *m, enum sapi_kind kind, json_t *obj,
    sdc_error_t *err)
{
	struct store_stmt *q = m->q[Q_INSERT];
	const char *pf = sapi_model_parent_field(kind);
	char *body;
	int rc;

	json_object_set_new(obj, "version", json_integer(1));
	body = json_text(obj);
	rc = store_bind_text(q, 1, json_str(obj, "uuid", NULL), err);
	if (rc == 0)
		rc = store_bind_text(q, 2, sapi_kind_name(kind), err);
	if (rc == 0)
		rc = store_bind_text(q, 3, json_str(obj, "name", ""), err);
	if (rc == 0)
		rc = store_bind_text(q, 4, pf != NULL ?
		    json_str(obj, pf, NULL) : NULL, err);
	if (rc == 0)
		rc = store_bind_text(q, 5, json_str(obj, "type", NULL), err);
	if (rc == 0)
		rc = store_bind_int64(q, 6, 1, err);
	if (rc == 0)
		rc = store_bind_text(q, 7, body, err);
	free(body);
	if (rc < 0) {
		store_reset(q);
		return -1;
	}
	if (sapi_model_step_write(q, err) < 0) {
		if ((*err)->code == SAPI_E_EXISTS)
			sdc_make_error_code(err, SAPI_E_EXISTS,
			    "an object with uuid %s already exists",
			    json_str(obj, "uuid", ""));
		return -1;
	}
	return 0;
}

int
sapi_model_update(struct sapi_model *m, enum sapi_kind kind, json_t *obj,
    sdc_error_t *err)
{
	struct store_stmt *q = m->q[Q_UPDATE];
	json_int_t old = json_int(obj, "version", 0);
	const char *uuid = json_str(obj, "uuid", "");
	char *body;
	int rc;

	json_object_set_new(obj, "version", json_integer(old + 1));
	body = json_text(obj);
	rc = store_bind_text(q, 1, json_str(obj, "name", ""), err);
	if (rc == 0)
		rc = store_bind_text(q, 2, json_str(obj, "type", NULL), err);
	if (rc == 0)
		rc = store_bind_int64(q, 3, old + 1, err);
	if (rc == 0)
		rc = store_bind_text(q, 4, body, err);
	if (rc == 0)
		rc = store_bind_text(q, 5, uuid, err);
	if (rc == 0)
		rc = store_bind_text(q, 6, sapi_kind_name(kind), err);
	if (rc == 0)
		rc = store_bind_int64(q, 7, old, err);
	free(body);
	if (rc < 0) {
		store_reset(q);
		return -1;
	}
	if (sapi_model_step_write(q, err) < 0)
		return -1;
	if (store_changes(m->st) == 0)
		return sdc_make_error_code(err, SAPI_E_PRECONDITION,
		    "%s %s is no longer at version %lld", sapi_kind_name(kind),
		    uuid, (long long)old);
	return 0;
}

int
sapi_model_delete(struct sapi_model *m, enum sapi_kind kind, const char *uuid,
    sdc_error_t *err)
{
	struct store_stmt *q = m->q[Q_DELETE];
	int rc;

	rc = store_bind_text(q, 1, uuid, err);
	if (rc == 0)
		rc = store_bind_text(q, 2, sapi_kind_name(kind), err);
	if (rc < 0) {
		store_reset(q);
		return -1;
	}
	if (sapi_model_step_write(q, err) < 0)
		return -1;
	if (store_changes(m->st) == 0)
		return sdc_make_error_code(err, SAPI_E_NOT_FOUND,
		    "%s %s not found", sapi_kind_name(kind), uuid);
	return 0;
}
