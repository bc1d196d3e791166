/*
 * volumes.c: Docker's volumes, one namespace of names per account, kept
 * in the store and on disk under the data dir.
 *
 * A volume is a row (table `volumes`: its uuid, account, name, labels,
 * creation time, whether it is anonymous) and a folder
 * <data>/volumes/<account uuid>/<volume uuid>/_data.  The folder is named
 * by uuid, not by the tenant's name, so no name reaches a path; the
 * folders above _data are root's, 0700, and _data belongs to the
 * account's user-namespace root (its host id range, accounts.c), so its
 * containers' root may write it and no other account's container can
 * reach it (runc opens a bind's source as host root before the container
 * enters its namespace).  Clients are shown Docker's Mountpoint form,
 * /var/lib/docker/volumes/<name>/_data, never the host path.
 *
 * Which container uses which volume is the table `volume_refs`, written
 * at create and cleared when the container goes; a volume with a
 * reference is "in use" (rm refused, as dockerd refuses it) and not
 * dangling.  Only the local driver is offered.
 *
 * QUOTA_VOLUME_BYTES (quota.c) is enforced by the kernel: the account's
 * volumes live in a filesystem of that size (runtime/volume-fs.c), so a
 * container writing past it gets ENOSPC.  A volume made with a size
 * (`docker volume create --opt size=...`, the local driver's option) has
 * a filesystem of its own, of that size, inside the account's.  Making a
 * volume, or creating or starting a container that mounts one, is also
 * refused while the account's volumes hold the quota or more (a walk of
 * their folders, rt_volume_size): the only check for an account whose
 * volumes predate its quota.
 *
 * A volume's removal (rm, prune, rm -v, an account's delete) renames its
 * folder into the account's trash (.trash, beside the volumes: one
 * rename, atomic), deletes its row on the loop and answers; the folder,
 * with as many files as the tenant made, is unlinked on a thread, and
 * the account's filesystem let go after the last.  Until then the kernel
 * still counts those blocks in the account's filesystem, while the
 * quota's walk (the rows) no longer does.  A daemon stopped meanwhile
 * (kill -9 in a removal of a million files) leaves the rest in the
 * trash, never under a row: its next start empties every trash off the
 * loop and lets go of a filesystem whose account has no volume left.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "containers.h"
#include "fsutil.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "rtcall.h"
#include "strvec.h"
#include "timeutil.h"
#include "volumes.h"
#include "xalloc.h"

static const char *const volume_migrations[] = {
	"CREATE TABLE volumes ("
	" uuid TEXT PRIMARY KEY,"
	" account TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" labels TEXT NOT NULL,"
	" created BIGINT NOT NULL,"
	" anonymous INTEGER NOT NULL,"
	" UNIQUE (account, name));"
	"CREATE TABLE volume_refs ("
	" volume TEXT NOT NULL,"
	" container TEXT NOT NULL,"
	" PRIMARY KEY (volume, container));"
	"CREATE INDEX volume_refs_container ON volume_refs (container);",
	"ALTER TABLE volumes ADD COLUMN size BIGINT NOT NULL DEFAULT 0;",
	NULL,
};

static void volumes_mount_all(struct dockerapi *d);
static void volumes_trash_sweep(struct dockerapi *d);
static void volumes_trash_make(struct dockerapi *d, const char *account);
static bool volumes_account_making(const char *account);
static bool volumes_account_removing(const char *account);

/* In an account's folder: the folders of volumes being removed. */
#define VOLUMES_TRASH ".trash"

#define VOLUME_COLS "uuid, account, name, labels, created, anonymous, size"

int
volumes_init(struct dockerapi *d, sdc_error_t *err)
{
	char *root;
	int rc;

	sdc_error_t ignored = NULL;

	if (store_migrate(d->store, "volumes", volume_migrations, err) < 0)
		return sdc_error_wrap(err, "volumes");
	/* A daemon stopped between a container's row and its references
	 * going leaves references to no container: they would keep the
	 * volume "in use" for ever.  (No containers table yet: none.) */
	if (store_exec(d->store, "DELETE FROM volume_refs WHERE container NOT "
	    "IN (SELECT id FROM containers)", &ignored) < 0)
		sdc_error_release(&ignored);
	xasprintf(&root, "%s/volumes", d->cfg.data_dir);
	rc = mkdir_p(root, 0700, err);
	free(root);
	if (rc == 0) {
		volumes_mount_all(d);
		volumes_trash_sweep(d);
	}
	return rc;
}

bool
volume_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n >= 2 && n <= 255 && strchr("_.-", name[0]) == NULL &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

void
volume_free(struct volume *v)
{
	if (v == NULL)
		return;
	free(v->account);
	free(v->name);
	json_decref(v->labels);
	free(v);
}

void
volumes_free(struct volume **v, size_t n)
{
	while (n > 0)
		volume_free(v[--n]);
	free(v);
}

static struct volume *
volume_from_row(struct store_stmt *q)
{
	struct volume *v = xcalloc(1, sizeof *v);

	snprintf(v->uuid, sizeof v->uuid, "%s", store_col_text(q, 0) ?: "");
	v->account = xstrdup(store_col_text(q, 1) ?: "");
	v->name = xstrdup(store_col_text(q, 2) ?: "");
	v->labels = json_loads(store_col_text(q, 3) ?: "{}", 0, NULL);
	if (!json_is_object(v->labels)) {
		json_decref(v->labels);
		v->labels = json_object();
	}
	v->created = store_col_int64(q, 4);
	v->anonymous = store_col_int64(q, 5) != 0;
	v->size = store_col_int64(q, 6);
	return v;
}

struct volume *
volume_get(struct dockerapi *d, const char *account, const char *name,
    sdc_error_t *err)
{
	struct store_stmt *q;
	struct volume *v = NULL;
	int rc;

	if (store_prepare(d->store, &q, "SELECT " VOLUME_COLS " FROM volumes "
	    "WHERE account = ? AND name = ?", err) < 0)
		return NULL;
	if ((rc = store_bind_text(q, 1, account, err)) == 0 &&
	    (rc = store_bind_text(q, 2, name, err)) == 0 &&
	    (rc = store_step(q, err)) == 1)
		v = volume_from_row(q);
	store_finalize(q);
	if (v == NULL && rc == 0)
		sdc_make_error_code(err, 404, "get %s: no such volume", name);
	return v;
}

int
volumes_list(struct dockerapi *d, const char *account, struct volume ***out,
    size_t *n, sdc_error_t *err)
{
	struct store_stmt *q;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (store_prepare(d->store, &q, "SELECT " VOLUME_COLS " FROM volumes "
	    "WHERE account = ? ORDER BY created, name", err) < 0)
		return -1;
	if ((rc = store_bind_text(q, 1, account, err)) == 0)
		while ((rc = store_step(q, err)) == 1) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 16;
				*out = xrealloc(*out, cap * sizeof **out);
			}
			(*out)[(*n)++] = volume_from_row(q);
		}
	store_finalize(q);
	if (rc < 0) {
		volumes_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

char *
volume_dir(struct dockerapi *d, const struct volume *v)
{
	char *p;

	xasprintf(&p, "%s/volumes/%s/%s", d->cfg.data_dir, v->account, v->uuid);
	return p;
}

char *
volume_data_dir(struct dockerapi *d, const struct volume *v)
{
	char *p;

	xasprintf(&p, "%s/volumes/%s/%s/_data", d->cfg.data_dir, v->account,
	    v->uuid);
	return p;
}

char *
volume_mountpoint(const struct volume *v)
{
	char *p;

	xasprintf(&p, "/var/lib/docker/volumes/%s/_data", v->name);
	return p;
}

/* --- the kernel's caps: a filesystem per account, one per sized volume ---
 *
 * With a QUOTA_VOLUME_BYTES, the account's folder <data>/volumes/<account>
 * is a filesystem of that size (<account>.img beside it), so all of its
 * volumes together cannot hold more, whatever its containers write.  A
 * volume made with a size has its own filesystem (<uuid>/disk.img, on
 * _data) inside the account's.  An account whose volumes were made before
 * it had a quota keeps plain folders (the walk's check at create and
 * start), until its volumes are gone; the account's filesystem goes with
 * its last volume, so a later quota is the next one's size. */

static char *
volumes_account_img(struct dockerapi *d, const char *account)
{
	char *p;

	xasprintf(&p, "%s/volumes/%s.img", d->cfg.data_dir, account);
	return p;
}

static bool
volumes_dir_empty(const char *path)
{
	struct dirent *e;
	DIR *dir = opendir(path);
	bool empty = true;

	if (dir == NULL)
		return errno == ENOENT;
	while (empty && (e = readdir(dir)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0;
	closedir(dir);
	return empty;
}

/* The account's filesystem made, mounted, or grown to limit: paths and
 * child processes (mke2fs, mount, resize2fs) only, so that it may run on
 * a thread (volumes_account_fs_start).  One at a time: a request's
 * thread and the loop (a container's create) may come here for the same
 * account at once, and the second must find the first one's work done. */
static pthread_mutex_t volumes_fs_lock = PTHREAD_MUTEX_INITIALIZER;

static int
volumes_account_fs_at(const char *data_dir, const char *account,
    int64_t limit, sdc_error_t *err)
{
	char *dir, *img;
	int rc = 0;

	xasprintf(&img, "%s/volumes/%s.img", data_dir, account);
	xasprintf(&dir, "%s/volumes/%s", data_dir, account);
	pthread_mutex_lock(&volumes_fs_lock);
	if (rt_volume_fs_mounted(dir)) {
		if (limit >= RT_VOLUME_FS_MIN)
			rc = rt_volume_fs_grow(img, dir, limit, err);
	} else if (access(img, F_OK) == 0) {
		rc = rt_volume_fs_mount(img, dir, err);
	} else if (limit >= RT_VOLUME_FS_MIN && volumes_dir_empty(dir)) {
		if ((rc = mkdir_p(dir, 0700, err)) == 0)
			rc = rt_volume_fs_make(img, dir, limit, 0, 0, 0700, err);
		if (rc == 0)
			log_info("volumes of account %s: a filesystem of %"
			    PRId64 " bytes (quota volume_bytes)", account, limit);
	}
	pthread_mutex_unlock(&volumes_fs_lock);
	free(dir);
	free(img);
	if (rc < 0)
		sdc_error_wrap(err, "the account's volumes");
	return rc;
}

static int
volumes_account_fs(struct dockerapi *d, const char *account,
    sdc_error_t *err)
{
	return volumes_account_fs_at(d->cfg.data_dir, account,
	    quota_limit(d, account, QUOTA_VOLUME_BYTES), err);
}

/* volumes_account_fs on a thread (rtcall.c): mke2fs and mount take
 * ~10 ms each when all is well, and as long as a stuck loop device
 * makes them when not; the loop must not wait for them. */
struct volumes_fs_call {
	char *data_dir;
	char account[37];
	int64_t limit;
	struct volumes_quota quota;	/* walked first, here too */
	volumes_fs_done_fn *done;
	void *arg;
};

static int
volumes_fs_call_fn(void *arg, sdc_error_t *err)
{
	struct volumes_fs_call *k = arg;

	if (volumes_quota_walk(&k->quota, err) < 0)
		return -1;
	return volumes_account_fs_at(k->data_dir, k->account, k->limit, err);
}

static void
volumes_fs_call_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct volumes_fs_call *k = arg;

	k->done(k->arg, req, rc, err);
	volumes_quota_clear(&k->quota);
	free(k->data_dir);
	free(k);
}

int
volumes_account_fs_start(struct dockerapi *d, struct http_request *req,
    const char *account, const char *name, volumes_fs_done_fn *done,
    void *arg, sdc_error_t *err)
{
	struct volume *v;
	sdc_error_t ignored = NULL;
	struct volumes_fs_call *k = xcalloc(1, sizeof *k);

	k->data_dir = xstrdup(d->cfg.data_dir);
	snprintf(k->account, sizeof k->account, "%s", account);
	k->limit = quota_limit(d, account, QUOTA_VOLUME_BYTES);
	k->done = done;
	k->arg = arg;
	/* a volume of that name is answered as it is, over the quota or not */
	v = name != NULL ? volume_get(d, account, name, &ignored) : NULL;
	sdc_error_release(&ignored);
	if (v != NULL) {
		volume_free(v);
		k->quota.limit = -1;
	} else if (volumes_quota_prepare(d, account, &k->quota, err) < 0) {
		volumes_quota_clear(&k->quota);
		free(k->data_dir);
		free(k);
		return -1;
	}
	if (rtcall_start(d->base, req, "volume filesystem", volumes_fs_call_fn,
	    volumes_fs_call_done, k, err) < 0) {
		volumes_quota_clear(&k->quota);
		free(k->data_dir);
		free(k);
		return -1;
	}
	return 0;
}

/* Its last volume gone: the account's filesystem and folder go too. */
static void
volumes_account_fs_release(struct dockerapi *d, const char *account)
{
	struct volume **vs;
	sdc_error_t err = NULL;
	char *dir, *img;
	size_t n;

	if (volumes_list(d, account, &vs, &n, &err) < 0) {
		sdc_error_release(&err);
		return;
	}
	volumes_free(vs, n);
	if (n > 0 || volumes_account_making(account) ||
	    volumes_account_removing(account))
		return;
	img = volumes_account_img(d, account);
	xasprintf(&dir, "%s/volumes/%s/" VOLUMES_TRASH, d->cfg.data_dir,
	    account);
	rmdir(dir);			/* emptied by the last removal */
	free(dir);
	xasprintf(&dir, "%s/volumes/%s", d->cfg.data_dir, account);
	if (access(img, F_OK) == 0 &&
	    rt_volume_fs_unmount(img, dir, &err) < 0) {
		log_warn("volumes of account %s: %s", account,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	rmdir(dir);			/* empty now: not a mount point left */
	free(dir);
	free(img);
}

static char *
volume_img(struct dockerapi *d, const struct volume *v)
{
	char *p;

	xasprintf(&p, "%s/volumes/%s/%s/disk.img", d->cfg.data_dir,
	    v->account, v->uuid);
	return p;
}

static int
volume_fs_make(struct dockerapi *d, const struct volume *v,
    const struct rt_idmap *idmap, sdc_error_t *err)
{
	char *img = volume_img(d, v), *data = volume_data_dir(d, v);
	int rc = rt_volume_fs_make(img, data, v->size, idmap->uid, idmap->gid,
	    0755, err);

	free(img);
	free(data);
	return rc;
}

static int
volume_fs_remove(struct dockerapi *d, const struct volume *v,
    sdc_error_t *err)
{
	char *img, *data;
	int rc;

	if (v->size <= 0)
		return 0;
	img = volume_img(d, v);
	data = volume_data_dir(d, v);
	rc = rt_volume_fs_unmount(img, data, err);
	free(img);
	free(data);
	return rc;
}

/* At start (after a reboot): every filesystem mounted again, the
 * accounts' before their volumes'. */
static void
volumes_mount_all(struct dockerapi *d)
{
	struct store_stmt *q;
	sdc_error_t err = NULL;
	struct volume **vs;
	json_t *accounts = json_array(), *a;
	size_t i, j, n;

	if (store_prepare(d->store, &q, "SELECT DISTINCT account FROM volumes",
	    &err) == 0) {
		while (store_step(q, &err) == 1)
			json_array_append_new(accounts,
			    json_string(store_col_text(q, 0) ?: ""));
		store_finalize(q);
	}
	json_array_foreach(accounts, i, a) {
		const char *account = json_string_value(a);
		char *img = volumes_account_img(d, account), *dir;

		xasprintf(&dir, "%s/volumes/%s", d->cfg.data_dir, account);
		if (access(img, F_OK) == 0)
			rt_volume_fs_mount(img, dir, &err);
		free(img);
		free(dir);
		if (err == NULL && volumes_list(d, account, &vs, &n, &err) == 0) {
			for (j = 0; j < n && err == NULL; j++) {
				char *vimg, *data;

				if (vs[j]->size <= 0)
					continue;
				vimg = volume_img(d, vs[j]);
				data = volume_data_dir(d, vs[j]);
				rt_volume_fs_mount(vimg, data, &err);
				free(vimg);
				free(data);
			}
			volumes_free(vs, n);
		}
		if (err != NULL) {
			log_warn("volumes of account %s: %s", account,
			    sdc_error_msg(err));
			sdc_error_release(&err);
		}
	}
	json_decref(accounts);
}

int
volume_size(struct dockerapi *d, const struct volume *v, int64_t *bytes,
    sdc_error_t *err)
{
	char *dir = volume_dir(d, v);
	int rc = rt_volume_size(dir, bytes, err);

	free(dir);
	return rc;
}

json_t *
volume_users(struct dockerapi *d, const struct volume *v, sdc_error_t *err)
{
	struct store_stmt *q;
	json_t *ids;
	int rc;

	if (store_prepare(d->store, &q, "SELECT container FROM volume_refs "
	    "WHERE volume = ? ORDER BY container", err) < 0)
		return NULL;
	ids = json_array();
	if ((rc = store_bind_text(q, 1, v->uuid, err)) == 0)
		while ((rc = store_step(q, err)) == 1)
			json_array_append_new(ids,
			    json_string(store_col_text(q, 0) ?: ""));
	store_finalize(q);
	if (rc < 0) {
		json_decref(ids);
		return NULL;
	}
	return ids;
}

json_t *
volume_json(struct dockerapi *d, const struct volume *v, bool usage)
{
	char created[TIME_RFC3339_LEN], *mp = volume_mountpoint(v);
	sdc_error_t err = NULL;
	json_t *j, *users;
	int64_t size = -1;

	time_rfc3339(created, sizeof created, v->created * TIME_NS_PER_SEC, 0);
	j = json_pack("{s:s,s:s,s:O,s:s,s:s,s:n,s:s}", "CreatedAt", created,
	    "Driver", "local", "Labels", json_object_size(v->labels) > 0 ?
	    v->labels : json_null(), "Mountpoint", mp, "Name", v->name,
	    "Options", "Scope", "local");
	free(mp);
	if (v->size > 0) {
		char size[32];

		snprintf(size, sizeof size, "%" PRId64, v->size);
		json_object_set_new(j, "Options", json_pack("{s:s}", "size",
		    size));
	}
	if (!usage)
		return j;
	users = volume_users(d, v, &err);
	if (volume_size(d, v, &size, &err) < 0)
		size = -1;
	if (err != NULL) {
		log_warn("volume %s: %s", v->uuid, sdc_error_msg(err));
		sdc_error_release(&err);
	}
	json_object_set_new(j, "UsageData", json_pack("{s:I,s:I}", "Size",
	    (json_int_t)size, "RefCount",
	    (json_int_t)(users != NULL ? json_array_size(users) : 0)));
	json_decref(users);
	return j;
}

/* A new volume's checks and its folder (its filesystem, for a size, not
 * made yet; the quota's walk was the caller's, off the loop): the volume of that name when there is one
 * (*fresh false), else the new one, not yet recorded (*fresh true). */
static struct volume *
volume_begin(struct dockerapi *d, const char *account, const char *name,
    const json_t *labels, bool anonymous, int64_t size,
    struct rt_idmap *idmap, bool *fresh, sdc_error_t *err)
{
	char gen[DOCKER_ID_LEN + 1], *dir, *parent;
	struct volume *v;
	int64_t limit;
	int made;

	*fresh = false;
	if (name != NULL) {
		if (!volume_name_valid(name))
			return sdc_make_error_code(err, 400, "create %s: \"%s\" "
			    "includes invalid characters for a local volume "
			    "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
			    "allowed. If you intended to pass a host directory, "
			    "use absolute path (host paths are not offered "
			    "here)", name, name), NULL;
		if ((v = volume_get(d, account, name, err)) != NULL)
			return v;
		if ((*err)->code != 404)
			return NULL;
		sdc_error_release(err);
	}
	limit = quota_limit(d, account, QUOTA_VOLUME_BYTES);
	if (size > 0 && size < RT_VOLUME_FS_MIN)
		return sdc_make_error_code(err, 400, "create %s: size %" PRId64
		    " is too small: a volume's size is at least 1MiB", name ?: "",
		    size), NULL;
	if (size > 0 && limit > 0 && size > limit)
		return sdc_make_error_code(err, 400, "create %s: size %" PRId64
		    " is above this account's volume quota (%" PRId64 " bytes, "
		    "quota volume_bytes)", name ?: "", size, limit), NULL;
	if (isolation_idmap(ctrs(d), account, idmap, err) < 0 ||
	    volumes_account_fs(d, account, err) < 0)
		return NULL;
	if (name == NULL) {
		docker_id_make(gen);
		name = gen;
	}
	v = xcalloc(1, sizeof *v);
	uuid_make(v->uuid);
	v->account = xstrdup(account);
	v->name = xstrdup(name);
	v->labels = labels != NULL && json_is_object(labels) ?
	    json_deep_copy(labels) : json_object();
	v->created = (int64_t)time(NULL);
	v->anonymous = anonymous;
	v->size = size;
	xasprintf(&parent, "%s/volumes/%s", d->cfg.data_dir, account);
	dir = volume_dir(d, v);
	if ((made = mkdir_p(parent, 0700, err)) == 0) {
		volumes_trash_make(d, account);
		made = rt_volume_make(dir, idmap, err);
	}
	if (made < 0) {
		sdc_error_t ignored = NULL;

		rt_volume_remove(dir, &ignored);
		sdc_error_release(&ignored);
		volumes_account_fs_release(d, account);
		free(parent);
		free(dir);
		volume_free(v);
		return NULL;
	}
	free(parent);
	free(dir);
	*fresh = true;
	return v;
}

/* A volume_begin whose filesystem could not be made: its folder goes. */
static void
volume_undo(struct dockerapi *d, struct volume *v)
{
	sdc_error_t ignored = NULL;
	char *dir = volume_dir(d, v);

	rt_volume_remove(dir, &ignored);
	sdc_error_release(&ignored);
	free(dir);
	volumes_account_fs_release(d, v->account);
	volume_free(v);
}

/* The new volume's row; on failure its filesystem and folder go (and v
 * is freed): 409 when the name was taken meanwhile. */
static int
volume_record(struct dockerapi *d, struct volume *v, sdc_error_t *err)
{
	struct store_stmt *q;
	char *text = json_dumps(v->labels, JSON_COMPACT);
	int rc;

	rc = store_prepare(d->store, &q, "INSERT INTO volumes (" VOLUME_COLS
	    ") VALUES (?, ?, ?, ?, ?, ?, ?)", err);
	if (rc == 0) {
		if (store_bind_text(q, 1, v->uuid, err) < 0 ||
		    store_bind_text(q, 2, v->account, err) < 0 ||
		    store_bind_text(q, 3, v->name, err) < 0 ||
		    store_bind_text(q, 4, text, err) < 0 ||
		    store_bind_int64(q, 5, v->created, err) < 0 ||
		    store_bind_int64(q, 6, v->anonymous, err) < 0 ||
		    store_bind_int64(q, 7, v->size, err) < 0 ||
		    store_step(q, err) < 0)
			rc = -1;
		store_finalize(q);
	}
	free(text);
	if (rc < 0) {
		sdc_error_t ignored = NULL;

		volume_fs_remove(d, v, &ignored);
		sdc_error_release(&ignored);
		volume_undo(d, v);
		if ((*err)->code == STORE_CONSTRAINT)
			(*err)->code = 409;
		return -1;
	}
	return 0;
}

struct volume *
volume_create_walked(struct dockerapi *d, const char *account,
    const char *name, const json_t *labels, bool anonymous, bool *made,
    sdc_error_t *err)
{
	const int64_t size = 0;
	struct rt_idmap idmap;
	struct volume *v;
	bool fresh;

	*made = false;
	v = volume_begin(d, account, name, labels, anonymous, size, &idmap,
	    &fresh, err);
	if (v == NULL || !fresh)
		return v;
	if (size > 0 && volume_fs_make(d, v, &idmap, err) < 0) {
		volume_undo(d, v);
		return NULL;
	}
	if (volume_record(d, v, err) < 0)
		return NULL;
	*made = true;
	return v;
}

/* A volume with a size: mke2fs and mount of its own filesystem on a
 * thread (rtcall.c), as the account's (volumes_account_fs_start), the
 * row written on the loop once it is mounted.  While it is made, the
 * account's filesystem, which holds it, stays (volumes_making). */
struct volume_making {
	struct dockerapi *d;
	struct volume *v;
	char *img, *data;
	struct rt_idmap idmap;
	volume_made_fn *done;
	void *arg;
	struct volume_making *next;
};

static struct volume_making *volumes_making;	/* the loop's only */

static bool
volumes_account_making(const char *account)
{
	struct volume_making *m;

	for (m = volumes_making; m != NULL; m = m->next)
		if (strcmp(m->v->account, account) == 0)
			return true;
	return false;
}

static int
volume_making_fn(void *arg, sdc_error_t *err)
{
	struct volume_making *m = arg;

	return rt_volume_fs_make(m->img, m->data, m->v->size, m->idmap.uid,
	    m->idmap.gid, 0755, err);
}

static void
volume_making_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct volume_making *m = arg, **p;
	struct volume *v = m->v;

	for (p = &volumes_making; *p != m; p = &(*p)->next)
		;
	*p = m->next;
	if (rc < 0) {
		volume_undo(m->d, v);
		v = NULL;
	} else if (volume_record(m->d, v, err) < 0)
		v = NULL;
	/* the client gone: the volume is made all the same, as dockerd's */
	m->done(m->arg, req, v, v != NULL, err);
	free(m->img);
	free(m->data);
	free(m);
}

void
volume_create_start(struct dockerapi *d, struct http_request *req,
    const char *account, const char *name, const json_t *labels,
    int64_t size, volume_made_fn *done, void *arg)
{
	struct volume_making *m;
	sdc_error_t err = NULL;
	struct rt_idmap idmap;
	struct volume *v;
	bool fresh;

	/* the quota's walk was volumes_account_fs_start's, on its thread */
	v = volume_begin(d, account, name, labels, false, size, &idmap,
	    &fresh, &err);
	if (v == NULL || !fresh || size <= 0) {
		if (v != NULL && fresh && volume_record(d, v, &err) < 0)
			v = NULL;
		done(arg, req, v, v != NULL && fresh, &err);
		sdc_error_release(&err);
		return;
	}
	m = xcalloc(1, sizeof *m);
	m->d = d;
	m->v = v;
	m->img = volume_img(d, v);
	m->data = volume_data_dir(d, v);
	m->idmap = idmap;
	m->done = done;
	m->arg = arg;
	m->next = volumes_making;
	volumes_making = m;
	if (rtcall_start(d->base, req, "a volume's filesystem",
	    volume_making_fn, volume_making_done, m, &err) < 0)
		volume_making_done(m, req, -1, &err);
	sdc_error_release(&err);
}

static int
volume_exec(struct dockerapi *d, const char *sql, const char *a,
    const char *b, sdc_error_t *err)
{
	struct store_stmt *q;
	int rc;

	if (store_prepare(d->store, &q, sql, err) < 0)
		return -1;
	rc = store_bind_text(q, 1, a, err);
	if (rc == 0 && b != NULL)
		rc = store_bind_text(q, 2, b, err);
	if (rc == 0)
		rc = store_step(q, err) < 0 ? -1 : 0;
	store_finalize(q);
	return rc;
}

/* A volume's folder being removed on a thread: its row went first, so
 * nothing lists, counts or mounts it; the account's filesystem is let
 * go once the last of its folders is gone.
 *
 * The folder is first renamed into its account's trash,
 * <data>/volumes/<account>/.trash/<uuid> (the same filesystem: the
 * rename is atomic), before the row goes, and only then unlinked: a
 * daemon stopped at any point leaves either the volume whole with its
 * row, or a folder in the trash, which the next start empties
 * (volumes_trash_sweep), never a row over a half-removed folder. */
struct volume_removing {
	struct volume_removing *next;
	struct dockerapi *d;
	char *account;
	char *what;
	char *path;			/* in the trash */
};

static struct volume_removing *volumes_removing;	/* the loop's only */

static bool
volumes_account_removing(const char *account)
{
	struct volume_removing *r;

	for (r = volumes_removing; r != NULL; r = r->next)
		if (strcmp(r->account, account) == 0)
			return true;
	return false;
}

/* On the thread: a sized volume's own filesystem (still mounted on its
 * _data when a daemon stopped before it was let go) unmounted, then
 * every file unlinked. */
static int
volume_removing_fn(void *arg, sdc_error_t *err)
{
	struct volume_removing *r = arg;
	char *img, *data;
	int rc = 0;

	xasprintf(&img, "%s/disk.img", r->path);
	xasprintf(&data, "%s/_data", r->path);
	if (access(img, F_OK) == 0)
		rc = rt_volume_fs_unmount(NULL, data, err);
	free(img);
	free(data);
	if (rc == 0)
		rc = fs_rmtree(r->path, err);
	return rc;
}

static void
volume_removed(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct volume_removing *r = arg, **p;

	(void)req;
	for (p = &volumes_removing; *p != NULL; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	if (rc < 0)
		log_warn("%s: removing its folder: %s", r->what,
		    sdc_error_msg(*err));
	sdc_error_release(err);
	volumes_account_fs_release(r->d, r->account);
	free(r->account);
	free(r->what);
	free(r->path);
	free(r);
}

/* path (taken), a folder in the account's trash, unlinked off the loop;
 * the account's filesystem held until it is gone. */
static void
volume_remove_start(struct dockerapi *d, const char *account, char *what,
    char *path)
{
	struct volume_removing *r = xcalloc(1, sizeof *r);
	sdc_error_t err = NULL;
	int rc;

	r->d = d;
	r->account = xstrdup(account);
	r->what = what;
	r->path = path;
	r->next = volumes_removing;
	volumes_removing = r;
	if (d->base != NULL && rtcall_start(d->base, NULL, "removing a volume",
	    volume_removing_fn, volume_removed, r, &err) == 0)
		return;
	sdc_error_release(&err);
	rc = volume_removing_fn(r, &err);
	volume_removed(r, NULL, rc, &err);
}

static char *
volumes_trash(struct dockerapi *d, const char *account)
{
	char *p;

	xasprintf(&p, "%s/volumes/%s/" VOLUMES_TRASH, d->cfg.data_dir,
	    account);
	return p;
}

/* The account's trash, made with its first volume: a volume that
 * filled the account's filesystem must still find it there at its rm. */
static void
volumes_trash_make(struct dockerapi *d, const char *account)
{
	char *trash = volumes_trash(d, account);

	if (mkdir(trash, 0700) < 0 && errno != EEXIST)
		log_warn("volumes of account %s: making %s: %s", account,
		    trash, strerror(errno));
	free(trash);
}

/* The volume's folder renamed into the trash: *path its path there,
 * NULL when there was no folder, the folder itself (logged) when it
 * could not be moved (a full filesystem with no trash yet): removed in
 * place then, as before the trash.  Returns whether it was moved. */
static bool
volume_to_trash(struct dockerapi *d, const struct volume *v, char **path)
{
	char *trash = volumes_trash(d, v->account), *dir = volume_dir(d, v);
	char *to;

	*path = NULL;
	xasprintf(&to, "%s/%s", trash, v->uuid);
	if ((mkdir(trash, 0700) == 0 || errno == EEXIST) &&
	    rename(dir, to) == 0) {
		*path = to;
		free(trash);
		free(dir);
		return true;
	}
	if (errno != ENOENT) {
		log_warn("volume %s (%s): moving its folder into %s: %s; "
		    "removed where it is", v->uuid, v->name, trash,
		    strerror(errno));
		*path = dir;
		dir = NULL;
	}
	free(to);
	free(trash);
	free(dir);
	return false;
}

int
volume_remove(struct dockerapi *d, const struct volume *v, sdc_error_t *err)
{
	json_t *users = volume_users(d, v, err);
	char *path, *dir, *what;
	bool moved;
	int rc;

	if (users == NULL)
		return -1;
	if (json_array_size(users) > 0) {
		/* dockerd's words: "volume is in use - [id id]" */
		struct buf b = BUF_INIT;
		json_t *u;
		size_t i;

		json_array_foreach(users, i, u)
			buf_printf(&b, "%s%s", i > 0 ? " " : "",
			    json_string_value(u));
		rc = sdc_make_error_code(err, 409, "remove %s: volume is in "
		    "use - [%s]", v->name, buf_str(&b));
		buf_free(&b);
		json_decref(users);
		return rc;
	}
	json_decref(users);
	moved = volume_to_trash(d, v, &path);
	if (volume_exec(d, "DELETE FROM volumes WHERE uuid = ?", v->uuid, NULL,
	    err) < 0) {
		dir = volume_dir(d, v);
		if (moved && rename(path, dir) < 0)
			log_warn("volume %s (%s): its folder is left in the "
			    "trash: %s", v->uuid, v->name, strerror(errno));
		free(dir);
		free(path);
		return -1;
	}
	xasprintf(&what, "volume %s (%s)", v->uuid, v->name);
	if (path == NULL) {
		log_warn("%s: it had no folder", what);
		free(what);
		volumes_account_fs_release(d, v->account);
		return 0;
	}
	/* its files, as many as the tenant made, unlinked off the loop */
	volume_remove_start(d, v->account, what, path);
	return 0;
}

/* At start: what a daemon stopped in the middle of a removal left in an
 * account's trash is removed off the loop, and the row of a removal
 * stopped before its row went is deleted now (the client was not
 * answered; the folder is in the trash already).  An account with no
 * volume left whose filesystem is still there (its last volume's
 * removal stopped) is mounted to be swept, then let go. */
static void
volumes_trash_sweep_account(struct dockerapi *d, const char *account)
{
	char *dir, *img = volumes_account_img(d, account), *trash, *what, *p;
	sdc_error_t err = NULL;
	struct volume **vs;
	struct dirent *e;
	size_t n = 0;
	bool swept = false, had = false;
	DIR *t;

	xasprintf(&dir, "%s/volumes/%s", d->cfg.data_dir, account);
	if (volumes_list(d, account, &vs, &n, &err) == 0)
		volumes_free(vs, n);
	if (err == NULL && n == 0 && access(img, F_OK) == 0)
		rt_volume_fs_mount(img, dir, &err);
	if (err != NULL) {
		log_warn("volumes of account %s: sweeping its trash: %s",
		    account, sdc_error_msg(err));
		sdc_error_release(&err);
		free(dir);
		free(img);
		return;
	}
	trash = volumes_trash(d, account);
	if ((t = opendir(trash)) != NULL) {
		had = true;
		while ((e = readdir(t)) != NULL) {
			if (!uuid_valid(e->d_name))
				continue;
			if (volume_exec(d, "DELETE FROM volume_refs WHERE "
			    "volume = ?", e->d_name, NULL, &err) < 0 ||
			    volume_exec(d, "DELETE FROM volumes WHERE uuid = ?",
			    e->d_name, NULL, &err) < 0) {
				log_warn("volume %s: %s", e->d_name,
				    sdc_error_msg(err));
				sdc_error_release(&err);
				continue;
			}
			log_info("volume %s: the removal a stop cut short "
			    "goes on", e->d_name);
			xasprintf(&what, "volume %s (trash)", e->d_name);
			xasprintf(&p, "%s/%s", trash, e->d_name);
			volume_remove_start(d, account, what, p);
			swept = true;
		}
		closedir(t);
	}
	if (had && !swept && n == 0)	/* a removal's end cut short */
		volumes_account_fs_release(d, account);
	free(trash);
	free(dir);
	free(img);
}

static void
volumes_trash_sweep(struct dockerapi *d)
{
	struct strvec accounts = STRVEC_INIT;
	struct dirent *e;
	char *root;
	DIR *top;

	xasprintf(&root, "%s/volumes", d->cfg.data_dir);
	if ((top = opendir(root)) != NULL) {
		while ((e = readdir(top)) != NULL)
			if (uuid_valid(e->d_name))
				strvec_push(&accounts, e->d_name);
		closedir(top);
	}
	for (size_t i = 0; i < accounts.n; i++)
		volumes_trash_sweep_account(d, accounts.v[i]);
	strvec_clear(&accounts);
	free(root);
}

int
volume_ref(struct dockerapi *d, const struct volume *v, const char *container,
    sdc_error_t *err)
{
	return volume_exec(d, "INSERT INTO volume_refs (volume, container) "
	    "VALUES (?, ?) ON CONFLICT (volume, container) DO NOTHING",
	    v->uuid, container, err);
}

void
volumes_release(struct dockerapi *d, const char *account,
    const char *container, bool remove_anonymous)
{
	struct volume **vs = NULL;
	sdc_error_t err = NULL;
	struct store_stmt *q;
	json_t *anon = json_array(), *users;
	size_t n = 0, i;
	int rc;

	if (remove_anonymous && store_prepare(d->store, &q, "SELECT r.volume "
	    "FROM volume_refs r JOIN volumes v ON v.uuid = r.volume WHERE "
	    "r.container = ? AND v.anonymous = 1", &err) == 0) {
		if ((rc = store_bind_text(q, 1, container, &err)) == 0)
			while ((rc = store_step(q, &err)) == 1)
				json_array_append_new(anon,
				    json_string(store_col_text(q, 0) ?: ""));
		store_finalize(q);
	}
	if (err == NULL)
		volume_exec(d, "DELETE FROM volume_refs WHERE container = ?",
		    container, NULL, &err);
	if (err == NULL && json_array_size(anon) > 0 &&
	    volumes_list(d, account, &vs, &n, &err) == 0)
		for (i = 0; i < n; i++) {
			size_t j;
			json_t *u;
			bool mine = false;

			json_array_foreach(anon, j, u)
				mine = mine || strcmp(json_string_value(u),
				    vs[i]->uuid) == 0;
			if (!mine || (users = volume_users(d, vs[i], &err)) == NULL)
				continue;
			if (json_array_size(users) == 0 &&
			    volume_remove(d, vs[i], &err) == 0)
				log_info("volume %s removed with container %s",
				    vs[i]->name, container);
			json_decref(users);
			sdc_error_release(&err);
		}
	if (err != NULL) {
		log_warn("container %s: releasing its volumes: %s", container,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	volumes_free(vs, n);
	json_decref(anon);
}

int
volumes_remove_account(struct dockerapi *d, const char *account,
    sdc_error_t *err)
{
	struct volume **vs;
	size_t n, i;
	char *dir;
	int rc = 0;

	if (volumes_list(d, account, &vs, &n, err) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		rc = volume_remove(d, vs[i], err);
	volumes_free(vs, n);
	xasprintf(&dir, "%s/volumes/%s", d->cfg.data_dir, account);
	if (rc == 0)
		rmdir(dir);		/* empty now, or never made */
	free(dir);
	return rc;
}

int
volumes_quota_prepare(struct dockerapi *d, const char *account,
    struct volumes_quota *q, sdc_error_t *err)
{
	struct volume **vs;
	size_t n, i;
	char *dir;

	memset(q, 0, sizeof *q);
	q->limit = quota_limit(d, account, QUOTA_VOLUME_BYTES);
	if (q->limit < 0)
		return 0;
	if (volumes_list(d, account, &vs, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		dir = volume_dir(d, vs[i]);
		strvec_push(&q->dirs, dir);
		free(dir);
	}
	volumes_free(vs, n);
	return 0;
}

/* Any thread: the file system alone. */
int
volumes_quota_walk(const struct volumes_quota *q, sdc_error_t *err)
{
	int64_t used = 0, one;
	size_t i;

	if (q->limit < 0)
		return 0;
	for (i = 0; i < q->dirs.n; i++) {
		if (rt_volume_size(q->dirs.v[i], &one, err) < 0)
			return -1;
		used += one;
	}
	if (used >= q->limit)
		return sdc_make_error_code(err, 403, "quota exceeded: this "
		    "account's volumes may hold at most %" PRId64 " bytes "
		    "(quota volume_bytes) and hold %" PRId64 "; remove some "
		    "data or volumes first", q->limit, used);
	return 0;
}

void
volumes_quota_clear(struct volumes_quota *q)
{
	strvec_clear(&q->dirs);
}

json_t *
volumes_df_json(struct dockerapi *d, const char *account, char ***dirs,
    sdc_error_t *err)
{
	struct volume **vs;
	json_t *out, *j, *users;
	sdc_error_t ignored = NULL;
	size_t n, i;

	if (volumes_list(d, account, &vs, &n, err) < 0)
		return NULL;
	out = json_array();
	*dirs = xcalloc(n + 1, sizeof **dirs);
	for (i = 0; i < n; i++) {
		j = volume_json(d, vs[i], false);
		users = volume_users(d, vs[i], &ignored);
		sdc_error_release(&ignored);
		json_object_set_new(j, "UsageData", json_pack("{s:I,s:I}",
		    "Size", (json_int_t)-1, "RefCount", (json_int_t)(users !=
		    NULL ? json_array_size(users) : 0)));
		json_decref(users);
		json_array_append_new(out, j);
		(*dirs)[i] = volume_dir(d, vs[i]);
	}
	volumes_free(vs, n);
	return out;
}
