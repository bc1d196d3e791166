/*
 * quota.c: what one account may hold on this node, so that no tenant can
 * take it all.
 *
 * Three quotas, each a service-wide default in a SAPI tunable that the
 * operator may override per account:
 *
 *   containers     QUOTA_CONTAINERS    containers of any state
 *   image_bytes    QUOTA_IMAGE_BYTES   bytes of the account's image layers
 *                                      (a layer shared with other accounts
 *                                      counts for each; images/quota.c)
 *   volume_bytes   QUOTA_VOLUME_BYTES  bytes in the account's volumes
 *                                      (volumes.c: no volume made, no
 *                                      container with one created or
 *                                      started, at or over it)
 *
 * A limit of 0 (or less) means none.  The overrides live in a table of
 * their own (account_quotas, one row an account, a NULL column meaning
 * "the default"), beside the accounts table rather than in it, and go
 * with the account.  A tunable changed in SAPI applies to the next
 * request: nothing is cached here.
 *
 * Over a quota the request is refused with 403, as Triton's CloudAPI
 * refused provisioning over an account's limits, with the quota's name
 * and value in the message, before anything is made.  The containers
 * quota is decided in the store, so that several heads count the same
 * containers and the creates in flight (quota-claims.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "dockerapi/images/images.h"
#include "jsonutil.h"
#include "size-walk.h"
#include "volumes.h"
#include "xalloc.h"

static const char *const quota_migrations[] = {
	"CREATE TABLE account_quotas ("
	"  account_uuid TEXT PRIMARY KEY"
	"    REFERENCES accounts (uuid) ON DELETE CASCADE,"
	"  containers BIGINT,"
	"  image_bytes BIGINT,"
	"  volume_bytes BIGINT);",
	NULL,
};

static const struct {
	const char *name;	/* the admin API's and the column's */
	const char *tunable;
} quota_kinds[QUOTA_NKINDS] = {
	[QUOTA_CONTAINERS] = { "containers", "QUOTA_CONTAINERS" },
	[QUOTA_IMAGE_BYTES] = { "image_bytes", "QUOTA_IMAGE_BYTES" },
	[QUOTA_VOLUME_BYTES] = { "volume_bytes", "QUOTA_VOLUME_BYTES" },
};

/* The account's overrides, -1 where it has none. */
static int
quota_overrides(struct dockerapi *d, const char *account,
    int64_t out[QUOTA_NKINDS], sdc_error_t *err)
{
	struct store_stmt *q;
	int rc, k;

	for (k = 0; k < QUOTA_NKINDS; k++)
		out[k] = -1;
	if (store_prepare(d->store, &q, "SELECT containers, image_bytes, "
	    "volume_bytes FROM account_quotas WHERE account_uuid = ?",
	    err) < 0)
		return -1;
	if ((rc = store_bind_text(q, 1, account, err)) == 0 &&
	    (rc = store_step(q, err)) == 1)
		for (k = 0; k < QUOTA_NKINDS; k++)
			if (!store_col_is_null(q, k))
				out[k] = store_col_int64(q, k);
	store_finalize(q);
	return rc < 0 ? -1 : 0;
}

static int64_t
quota_default(struct dockerapi *d, enum quota_kind k)
{
	int64_t v = tunable_int(d, quota_kinds[k].tunable, 0);

	return v > 0 ? v : -1;
}

int64_t
quota_limit(struct dockerapi *d, const char *account, enum quota_kind k)
{
	int64_t over[QUOTA_NKINDS];
	sdc_error_t err = NULL;

	if (quota_overrides(d, account, over, &err) < 0) {
		/* the store failing is no reason to lift a limit */
		sdc_error_release(&err);
		over[k] = -1;
	}
	if (over[k] >= 0)
		return over[k] > 0 ? over[k] : -1;
	return quota_default(d, k);
}

static int64_t
quota_images_limit(void *arg, const char *account)
{
	return quota_limit(arg, account, QUOTA_IMAGE_BYTES);
}

int
quota_init(struct dockerapi *d, sdc_error_t *err)
{
	if (store_migrate(d->store, "quotas", quota_migrations, err) < 0)
		return -1;
	if (d->images != NULL)
		images_set_quota(d->images, quota_images_limit, d);
	return 0;
}

/* --- the admin API: GET and PUT /accounts/:login/quota --- */

static json_t *
quota_json(struct dockerapi *d, const struct account *a, sdc_error_t *err)
{
	int64_t over[QUOTA_NKINDS], used[QUOTA_NKINDS] = { 0 }, lim;
	struct usage_counts n = { 0 };
	json_t *out, *o;
	int k;

	if (quota_overrides(d, a->uuid, over, err) < 0)
		return NULL;
	containers_count(d, a->uuid, &n);
	used[QUOTA_CONTAINERS] = n.containers;
	if (d->images != NULL &&
	    images_account_bytes(d->images, a->uuid, &used[QUOTA_IMAGE_BYTES],
	    err) < 0)
		return NULL;
	/* used[QUOTA_VOLUME_BYTES]: walked off the loop (quota_admin) */
	out = json_object();
	for (k = 0; k < QUOTA_NKINDS; k++) {
		lim = over[k] >= 0 ? (over[k] > 0 ? over[k] : -1) :
		    quota_default(d, k);
		o = json_pack("{s:o, s:o, s:o, s:I}",
		    "limit", lim >= 0 ? json_integer(lim) : json_null(),
		    "account", over[k] >= 0 ? json_integer(over[k]) : json_null(),
		    "default", quota_default(d, k) >= 0 ?
		    json_integer(quota_default(d, k)) : json_null(),
		    "used", (json_int_t)used[k]);
		json_object_set_new(out, quota_kinds[k].name, o);
	}
	return out;
}

/* {"containers": 5, "image_bytes": null, ...}: a number (0: no limit)
 * overrides the default, null goes back to it; keys not given stay. */
static int
quota_update(struct dockerapi *d, const struct account *a, const json_t *body,
    sdc_error_t *err)
{
	int64_t over[QUOTA_NKINDS];
	struct store_stmt *q;
	const char *key;
	json_t *v;
	int k, rc;

	if (!json_is_object(body) || json_object_size(body) == 0)
		return sdc_make_error_code(err, 400, "the body must be an object "
		    "of quotas: containers, image_bytes, volume_bytes");
	if (quota_overrides(d, a->uuid, over, err) < 0)
		return -1;
	json_object_foreach((json_t *)body, key, v) {
		for (k = 0; k < QUOTA_NKINDS; k++)
			if (strcmp(key, quota_kinds[k].name) == 0)
				break;
		if (k == QUOTA_NKINDS)
			return sdc_make_error_code(err, 400, "unknown quota "
			    "\"%s\": the quotas are containers, image_bytes "
			    "and volume_bytes", key);
		if (json_is_null(v))
			over[k] = -1;
		else if (json_is_integer(v) && json_integer_value(v) >= 0)
			over[k] = json_integer_value(v);
		else
			return sdc_make_error_code(err, 400, "quota %s must be "
			    "a number of %s at least 0 (0: no limit), or null "
			    "for the default", key, k == QUOTA_CONTAINERS ?
			    "containers" : "bytes");
	}
	if (store_prepare(d->store, &q, "INSERT INTO account_quotas "
	    "(account_uuid, containers, image_bytes, volume_bytes) "
	    "VALUES (?, ?, ?, ?) ON CONFLICT (account_uuid) DO UPDATE SET "
	    "containers = excluded.containers, image_bytes = "
	    "excluded.image_bytes, volume_bytes = excluded.volume_bytes",
	    err) < 0)
		return -1;
	rc = store_bind_text(q, 1, a->uuid, err);
	for (k = 0; rc == 0 && k < QUOTA_NKINDS; k++)
		rc = over[k] >= 0 ? store_bind_int64(q, k + 2, over[k], err) :
		    store_bind_null(q, k + 2, err);
	if (rc == 0)
		rc = store_step(q, err);
	store_finalize(q);
	return rc < 0 ? -1 : 0;
}

/* The bytes in the account's volumes, a walk of as many files as the
 * tenant made, measured on a thread (size-walk.c): the answer waits for
 * it, the loop does not.  A volume removed meanwhile counts 0. */
struct quota_walk {
	json_t *out;
	size_t n;
};

static void
quota_walked(void *arg, struct http_request *req, const int64_t *sizes)
{
	struct quota_walk *w = arg;
	int64_t used = 0;

	for (size_t i = 0; i < w->n; i++)
		if (sizes[i] > 0)
			used += sizes[i];
	json_object_set_new(json_object_get(w->out,
	    quota_kinds[QUOTA_VOLUME_BYTES].name), "used",
	    json_integer(used));
	if (req != NULL)
		api_json(req, 200, w->out);
	else
		json_decref(w->out);
	free(w);
}

int
quota_admin(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	sdc_error_t err = NULL;
	struct account *a;
	json_t *body = NULL, *out = NULL;
	struct size_walk *sw;
	struct quota_walk *w;
	struct volume **vs;
	size_t n, i;
	int rc = -1;

	if ((a = account_find(d, http_param(req, "login"), &err)) == NULL)
		return api_error_from(req, &err);
	if (strcmp(req->method, "PUT") == 0 &&
	    ((body = http_body_json(req, &err)) == NULL ||
	    quota_update(d, a, body, &err) < 0))
		goto out;
	if ((out = quota_json(d, a, &err)) == NULL ||
	    volumes_list(d, a->uuid, &vs, &n, &err) < 0)
		goto out;
	w = xcalloc(1, sizeof *w);
	w->out = out;
	w->n = n;
	sw = size_walk_new(ctrs(d));
	for (i = 0; i < n; i++)
		size_walk_add_dir(sw, volume_dir(d, vs[i]));
	volumes_free(vs, n);
	if ((rc = size_walk_start(sw, d->base, req, quota_walked, w,
	    &err)) < 0)
		free(w);
	else
		out = NULL;	/* quota_walked's */
out:
	json_decref(body);
	json_decref(out);
	account_free(a);
	return rc == 0 ? HTTP_ASYNC : api_error_from(req, &err);
}
