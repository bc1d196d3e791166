/*
 * accounts.c: accounts and their SSH keys, in the daemon's store.
 *
 * Triton kept these in UFDS (LDAP); here they are two tables.  A key is
 * stored as its authorized_keys line and, beside it, the fingerprints it is
 * looked up by, computed once when it is added.  The parsed keys a
 * certificate check needs are rebuilt from the lines on demand: auth.c
 * caches the outcome per connection, so this is not on a hot path.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certgen/certgen.h"
#include "dockerapi.h"
#include "ids.h"
#include "jsonutil.h"
#include "xalloc.h"

static const char *const accounts_migrations[] = {
	"CREATE TABLE accounts ("
	"  uuid TEXT PRIMARY KEY,"
	"  login TEXT NOT NULL UNIQUE,"
	"  email TEXT,"
	"  approved INTEGER NOT NULL DEFAULT 0,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  allowed_dcs TEXT,"
	"  created BIGINT NOT NULL);"
	"CREATE TABLE account_keys ("
	"  account_uuid TEXT NOT NULL REFERENCES accounts (uuid) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  PRIMARY KEY (account_uuid, fingerprint),"
	"  UNIQUE (account_uuid, name));",
	/* Each account's host id range for its containers' user namespace
	 * (account_id_range).  Rows outlive their account, so a range is
	 * never given to another: files left by a deleted account's
	 * containers can never become a new account's. */
	"CREATE TABLE account_id_ranges ("
	"  base BIGINT PRIMARY KEY,"
	"  count BIGINT NOT NULL,"
	"  account_uuid TEXT NOT NULL UNIQUE,"
	"  created BIGINT NOT NULL);",
	NULL,
};

int
accounts_init(struct dockerapi *d, sdc_error_t *err)
{
	return store_migrate(d->store, "accounts", accounts_migrations, err);
}

/* Triton's rule for logins: a letter, then letters, digits, '_', '.', '@';
 * 3 to 32 characters in all. */
static bool
login_valid(const char *login)
{
	size_t n = strlen(login);

	if (n < 3 || n > 32 || !isalpha((unsigned char)login[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)login[i]) && strchr("_.@", login[i]) == NULL)
			return false;
	return true;
}

void
account_free(struct account *a)
{
	if (a == NULL)
		return;
	free(a->login);
	free(a->email);
	json_decref(a->allowed_dcs);
	free(a);
}

#define ACCOUNT_COLUMNS "uuid, login, email, approved, disabled, allowed_dcs, created"

static struct account *
account_from_row(struct store_stmt *q)
{
	struct account *a = xcalloc(1, sizeof *a);
	const char *email = store_col_text(q, 2), *dcs = store_col_text(q, 5);

	snprintf(a->uuid, sizeof a->uuid, "%s", store_col_text(q, 0));
	a->login = xstrdup(store_col_text(q, 1));
	a->email = email != NULL ? xstrdup(email) : NULL;
	a->approved = store_col_int64(q, 3) != 0;
	a->disabled = store_col_int64(q, 4) != 0;
	a->allowed_dcs = dcs != NULL ? json_loads(dcs, 0, NULL) : NULL;
	a->created = store_col_int64(q, 6);
	return a;
}

struct account *
account_find(struct dockerapi *d, const char *key, sdc_error_t *err)
{
	struct store_stmt *q;
	struct account *a = NULL;
	int rc;

	if (store_prepare(d->store, &q, "SELECT " ACCOUNT_COLUMNS
	    " FROM accounts WHERE login = ?1 OR uuid = ?1", err) < 0)
		return NULL;
	if (store_bind_text(q, 1, key, err) == 0 && (rc = store_step(q, err)) >= 0) {
		if (rc == 1)
			a = account_from_row(q);
		else
			sdc_make_error_code(err, 404, "no such account: %s", key);
	}
	store_finalize(q);
	return a;
}

json_t *
account_json(const struct account *a)
{
	return json_pack("{s:s, s:s, s:s?, s:b, s:b, s:O?, s:I}",
	    "uuid", a->uuid, "login", a->login, "email", a->email,
	    "approved_for_provisioning", a->approved, "disabled", a->disabled,
	    "allowed_dcs", a->allowed_dcs, "created", (json_int_t)a->created);
}

json_t *
accounts_list(struct dockerapi *d, sdc_error_t *err)
{
	struct store_stmt *q;
	json_t *list = json_array();
	int rc;

	if (store_prepare(d->store, &q, "SELECT " ACCOUNT_COLUMNS
	    " FROM accounts ORDER BY login", err) < 0) {
		json_decref(list);
		return NULL;
	}
	while ((rc = store_step(q, err)) == 1) {
		struct account *a = account_from_row(q);

		json_array_append_new(list, account_json(a));
		account_free(a);
	}
	store_finalize(q);
	if (rc < 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

/* Check the fields a create or update may set; fills the ones present. */
static int
account_read_spec(const json_t *spec, struct account *a, sdc_error_t *err)
{
	json_t *v;

	if (!json_is_object(spec))
		return sdc_make_error_code(err, 400, "the body must be a JSON object");
	if ((v = json_object_get(spec, "email")) != NULL) {
		if (!json_is_string(v))
			return sdc_make_error_code(err, 400, "email must be a string");
		free(a->email);
		a->email = xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(spec, "approved_for_provisioning")) != NULL) {
		if (!json_is_boolean(v))
			return sdc_make_error_code(err, 400,
			    "approved_for_provisioning must be a boolean");
		a->approved = json_is_true(v);
	}
	if ((v = json_object_get(spec, "disabled")) != NULL) {
		if (!json_is_boolean(v))
			return sdc_make_error_code(err, 400, "disabled must be a boolean");
		a->disabled = json_is_true(v);
	}
	if ((v = json_object_get(spec, "allowed_dcs")) != NULL) {
		size_t i;
		json_t *dc;

		if (!json_is_array(v) && !json_is_null(v))
			return sdc_make_error_code(err, 400,
			    "allowed_dcs must be an array of data center names or null");
		json_array_foreach(v, i, dc)
			if (!json_is_string(dc))
				return sdc_make_error_code(err, 400,
				    "allowed_dcs must hold only strings");
		json_decref(a->allowed_dcs);
		a->allowed_dcs = json_is_null(v) ? NULL : json_incref(v);
	}
	return 0;
}

static int
account_write(struct dockerapi *d, const struct account *a, bool insert, sdc_error_t *err)
{
	static const char insert_sql[] = "INSERT INTO accounts (email, approved, "
	    "disabled, allowed_dcs, uuid, login, created) VALUES (?, ?, ?, ?, ?, ?, ?)";
	static const char update_sql[] = "UPDATE accounts SET email = ?, approved = ?, "
	    "disabled = ?, allowed_dcs = ? WHERE uuid = ?";
	struct store_stmt *q;
	char *dcs = a->allowed_dcs != NULL ? json_text(a->allowed_dcs) : NULL;
	int rc;

	if (store_prepare(d->store, &q, insert ? insert_sql : update_sql, err) < 0) {
		free(dcs);
		return -1;
	}
	rc = store_bind_text(q, 1, a->email, err);
	if (rc == 0) rc = store_bind_int64(q, 2, a->approved, err);
	if (rc == 0) rc = store_bind_int64(q, 3, a->disabled, err);
	if (rc == 0) rc = store_bind_text(q, 4, dcs, err);
	if (rc == 0) rc = store_bind_text(q, 5, a->uuid, err);
	if (rc == 0 && insert) rc = store_bind_text(q, 6, a->login, err);
	if (rc == 0 && insert) rc = store_bind_int64(q, 7, a->created, err);
	if (rc == 0) rc = store_step(q, err);
	store_finalize(q);
	free(dcs);
	if (rc < 0 && (*err)->code == STORE_CONSTRAINT) {
		sdc_error_release(err);
		return sdc_make_error_code(err, 409, "account %s already exists", a->login);
	}
	return rc < 0 ? -1 : 0;
}

struct account *
account_create(struct dockerapi *d, const json_t *spec, sdc_error_t *err)
{
	struct account *a;
	const char *login;

	if (json_str_req(spec, "login", &login, err) < 0)
		return NULL;
	if (!login_valid(login)) {
		sdc_make_error_code(err, 400, "invalid login \"%s\": 3 to 32 "
		    "characters, a letter first, then letters, digits, '_', '.' or '@'",
		    login);
		return NULL;
	}
	a = xcalloc(1, sizeof *a);
	uuid_make(a->uuid);
	a->login = xstrdup(login);
	a->created = time(NULL);
	if (account_read_spec(spec, a, err) < 0 || account_write(d, a, true, err) < 0) {
		account_free(a);
		return NULL;
	}
	return a;
}

int
account_update(struct dockerapi *d, struct account *a, const json_t *changes, sdc_error_t *err)
{
	if (json_object_get(changes, "login") != NULL &&
	    strcmp(json_str(changes, "login", ""), a->login) != 0)
		return sdc_make_error_code(err, 400, "a login cannot be changed");
	if (account_read_spec(changes, a, err) < 0)
		return -1;
	return account_write(d, a, false, err);
}

int
account_delete(struct dockerapi *d, const struct account *a, sdc_error_t *err)
{
	struct store_stmt *q;
	int rc;

	if (store_prepare(d->store, &q, "DELETE FROM accounts WHERE uuid = ?", err) < 0)
		return -1;
	rc = store_bind_text(q, 1, a->uuid, err);
	if (rc == 0)
		rc = store_step(q, err);
	store_finalize(q);
	return rc < 0 ? -1 : 0;
}

/* --- host id ranges --- */

/* The first range starts above every range useradd gives out in
 * /etc/subuid (SUB_UID_MAX is 600100000), so an account's ids are no host
 * user's and no local user's subordinate ids; 65536 ids a range, as
 * Docker's userns-remap gives, leaves room for about 50000 accounts below
 * 2^32 - 1 (the kernel's invalid id). */
#define ID_RANGE_FIRST 1000000000LL
#define ID_RANGE_SIZE 65536LL
#define ID_RANGE_END 4294967295LL

static int
account_id_range_find(struct dockerapi *d, const char *uuid, uint32_t *base,
    uint32_t *count, sdc_error_t *err)
{
	struct store_stmt *q;
	int rc;

	if (store_prepare(d->store, &q, "SELECT base, count FROM "
	    "account_id_ranges WHERE account_uuid = ?", err) < 0)
		return -1;
	if ((rc = store_bind_text(q, 1, uuid, err)) == 0 &&
	    (rc = store_step(q, err)) == 1) {
		*base = (uint32_t)store_col_int64(q, 0);
		*count = (uint32_t)store_col_int64(q, 1);
	}
	store_finalize(q);
	return rc;
}

int
account_id_range(struct dockerapi *d, const char *account_uuid,
    uint32_t *base, uint32_t *count, sdc_error_t *err)
{
	struct store_stmt *q;
	int rc;

	/* Daemons sharing one PostgreSQL may take the same next base at
	 * once: the loser's insert breaks the primary key (or, for the same
	 * account, the unique one) and it looks again. */
	for (int attempt = 0; attempt < 8; attempt++) {
		if ((rc = account_id_range_find(d, account_uuid, base, count,
		    err)) != 0)
			return rc < 0 ? -1 : 0;
		if (store_prepare(d->store, &q, "INSERT INTO account_id_ranges "
		    "(base, count, account_uuid, created) SELECT "
		    "COALESCE(MAX(base + count), CAST(?1 AS BIGINT)), "
		    "CAST(?2 AS BIGINT), CAST(?3 AS TEXT), CAST(?4 AS BIGINT) "
		    "FROM account_id_ranges", err) < 0)
			return -1;
		rc = store_bind_int64(q, 1, ID_RANGE_FIRST, err);
		if (rc == 0) rc = store_bind_int64(q, 2, ID_RANGE_SIZE, err);
		if (rc == 0) rc = store_bind_text(q, 3, account_uuid, err);
		if (rc == 0) rc = store_bind_int64(q, 4, time(NULL), err);
		if (rc == 0) rc = store_step(q, err);
		store_finalize(q);
		if (rc >= 0 || (*err)->code != STORE_CONSTRAINT)
			break;
		sdc_error_release(err);
	}
	if (rc < 0 || account_id_range_find(d, account_uuid, base, count,
	    err) != 1)
		return sdc_error_wrap(err, "allocating host ids for account %s",
		    account_uuid);
	if ((int64_t)*base + *count > ID_RANGE_END)
		return sdc_make_error_code(err, 500, "no host id range left for "
		    "account %s: every range up to 2^32 is taken", account_uuid);
	return 0;
}

/* --- keys --- */

static json_t *
key_json_from_row(struct store_stmt *q)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}",
	    "name", store_col_text(q, 0), "fingerprint", store_col_text(q, 1),
	    "sha256", store_col_text(q, 2), "type", store_col_text(q, 3),
	    "key", store_col_text(q, 4), "created", (json_int_t)store_col_int64(q, 5));
}

json_t *
account_keys(struct dockerapi *d, const struct account *a, sdc_error_t *err)
{
	struct store_stmt *q;
	json_t *list = json_array();
	int rc;

	if (store_prepare(d->store, &q, "SELECT name, fingerprint, sha256, type, key, "
	    "created FROM account_keys WHERE account_uuid = ? ORDER BY created, name",
	    err) < 0 || store_bind_text(q, 1, a->uuid, err) < 0) {
		json_decref(list);
		return NULL;
	}
	while ((rc = store_step(q, err)) == 1)
		json_array_append_new(list, key_json_from_row(q));
	store_finalize(q);
	if (rc < 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

json_t *
account_key_add(struct dockerapi *d, const struct account *a, const char *name,
    const char *line, sdc_error_t *err)
{
	struct certgen_pubkey pk = { 0 };
	struct store_stmt *q;
	char *canonical;
	json_t *out = NULL;
	int rc;

	if (certgen_pubkey_parse(line, &pk, err) < 0) {
		(*err)->code = 400;
		return NULL;
	}
	/* Keep the key in one canonical form, whatever options it came with. */
	canonical = certgen_pubkey_format(pk.pkey, pk.comment, err);
	if (canonical == NULL)
		goto out;
	if (name == NULL || *name == '\0')
		name = *pk.comment != '\0' ? pk.comment : pk.md5;
	if (store_prepare(d->store, &q, "INSERT INTO account_keys (account_uuid, name, "
	    "fingerprint, sha256, type, key, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    err) < 0)
		goto out;
	rc = store_bind_text(q, 1, a->uuid, err);
	if (rc == 0) rc = store_bind_text(q, 2, name, err);
	if (rc == 0) rc = store_bind_text(q, 3, pk.md5, err);
	if (rc == 0) rc = store_bind_text(q, 4, pk.sha256, err);
	if (rc == 0) rc = store_bind_text(q, 5, pk.type, err);
	if (rc == 0) rc = store_bind_text(q, 6, canonical, err);
	if (rc == 0) rc = store_bind_int64(q, 7, time(NULL), err);
	if (rc == 0) rc = store_step(q, err);
	store_finalize(q);
	if (rc < 0) {
		if ((*err)->code == STORE_CONSTRAINT) {
			sdc_error_release(err);
			sdc_make_error_code(err, 409, "account %s already has a key "
			    "named \"%s\" or with fingerprint %s", a->login, name, pk.md5);
		}
		goto out;
	}
	out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name,
	    "fingerprint", pk.md5, "sha256", pk.sha256, "type", pk.type, "key", canonical);
out:
	free(canonical);
	certgen_pubkey_clear(&pk);
	return out;
}

int
account_key_remove(struct dockerapi *d, const struct account *a, const char *which,
    sdc_error_t *err)
{
	struct store_stmt *q;
	const char *fp = which;
	int rc;

	/* Accept what ssh-keygen prints too: "MD5:..." or "SHA256:...". */
	if (strncmp(fp, "MD5:", 4) == 0)
		fp += 4;
	else if (strncmp(fp, "SHA256:", 7) == 0)
		fp += 7;
	if (store_prepare(d->store, &q, "DELETE FROM account_keys WHERE account_uuid = ?1 "
	    "AND (name = ?2 OR fingerprint = ?3 OR sha256 = ?3)", err) < 0)
		return -1;
	rc = store_bind_text(q, 1, a->uuid, err);
	if (rc == 0) rc = store_bind_text(q, 2, which, err);
	if (rc == 0) rc = store_bind_text(q, 3, fp, err);
	if (rc == 0) rc = store_step(q, err);
	store_finalize(q);
	if (rc < 0)
		return -1;
	if (store_changes(d->store) == 0)
		return sdc_make_error_code(err, 404, "account %s has no key %s",
		    a->login, which);
	return 0;
}

int
account_pubkeys(struct dockerapi *d, const struct account *a,
    struct certgen_pubkey **out, size_t *n, sdc_error_t *err)
{
	struct store_stmt *q;
	struct certgen_pubkey *keys = NULL;
	size_t count = 0;
	int rc;

	if (store_prepare(d->store, &q, "SELECT key FROM account_keys WHERE "
	    "account_uuid = ?", err) < 0)
		return -1;
	if (store_bind_text(q, 1, a->uuid, err) < 0) {
		store_finalize(q);
		return -1;
	}
	while ((rc = store_step(q, err)) == 1) {
		struct certgen_pubkey pk = { 0 };
		sdc_error_t bad = NULL;

		/* A stored key always parsed once; skip one that no longer does
		 * rather than lock the account out. */
		if (certgen_pubkey_parse(store_col_text(q, 0), &pk, &bad) < 0) {
			sdc_error_release(&bad);
			continue;
		}
		keys = xrealloc(keys, (count + 1) * sizeof *keys);
		keys[count++] = pk;
	}
	store_finalize(q);
	if (rc < 0) {
		account_pubkeys_free(keys, count);
		return -1;
	}
	*out = keys;
	*n = count;
	return 0;
}

void
account_pubkeys_free(struct certgen_pubkey *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		certgen_pubkey_clear(&keys[i]);
	free(keys);
}
