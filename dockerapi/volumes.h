/*
 * volumes.h: Docker's volumes, per account (volumes.c), their routes
 * (api/volumes-routes.c) and how a container's create turns -v, --mount,
 * --volumes-from and the image's VOLUME into them (container-volumes.c).
 */
#ifndef DOCKERAPI_VOLUMES_H
#define DOCKERAPI_VOLUMES_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "dockerapi.h"
#include "dockerapi/runtime/runtime.h"
#include "strvec.h"

struct volume {
	char uuid[37];			/* its folder's name */
	char *account;			/* account uuid */
	char *name;			/* unique in the account */
	json_t *labels;			/* object */
	int64_t created;		/* seconds since the epoch */
	bool anonymous;			/* made for a container, unnamed */
	int64_t size;			/* its cap (--opt size), 0: none but
					 * the account's */
};

/* The label Docker gives anonymous volumes. */
#define VOLUME_ANON_LABEL "com.docker.volume.anonymous"

/* volumes.c */
int volumes_init(struct dockerapi *d, sdc_error_t *err);
/* Docker's rule for a name: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (no '/', no "..") */
bool volume_name_valid(const char *name);
/* The account's volume by name; 404 "get NAME: no such volume". */
struct volume *volume_get(struct dockerapi *d, const char *account,
    const char *name, sdc_error_t *err);
/* Make a volume without a size (name NULL: 64 random hex digits), or
 * return the one of that name; *made says which; labels is copied (NULL:
 * none).  The caller readied the account's volumes off the loop already
 * (volumes_account_fs_start: the quota's walk, their filesystem). */
struct volume *volume_create_walked(struct dockerapi *d, const char *account,
    const char *name, const json_t *labels, bool anonymous, bool *made,
    sdc_error_t *err);
/* A named volume for the API: a size > 0 gives it a filesystem of that
 * many bytes (400 below 1 MiB or above the account's QUOTA_VOLUME_BYTES), filesystem (mke2fs,
 * mount) made on a thread, then done(arg, req, v, made, err) on the loop
 * (req NULL when the client has gone; v NULL and err on failure, nothing
 * left of it; v the caller's).  done may be called before this returns. */
typedef void volume_made_fn(void *arg, struct http_request *req,
    struct volume *v, bool made, sdc_error_t *err);
void volume_create_start(struct dockerapi *d, struct http_request *req,
    const char *account, const char *name, const json_t *labels,
    int64_t size, volume_made_fn *done, void *arg);
/* The account's volume filesystem (QUOTA_VOLUME_BYTES) made, mounted or
 * grown on a thread; then done(arg, req, rc, err) on the loop (req NULL
 * when the client has gone), after which a volume's create finds it ready
 * and runs no child for it.  The quota's walk of the account's volumes
 * (a 403 when they hold it all) runs first on the same thread, unless
 * the account has a volume called name already. */
typedef void volumes_fs_done_fn(void *arg, struct http_request *req, int rc,
    sdc_error_t *err);
int volumes_account_fs_start(struct dockerapi *d, struct http_request *req,
    const char *account, const char *name, volumes_fs_done_fn *done,
    void *arg, sdc_error_t *err);
/* Remove the volume's row and folder: 409 "volume is in use - [ids]"
 * while a container refers to it. */
int volume_remove(struct dockerapi *d, const struct volume *v,
    sdc_error_t *err);
void volume_free(struct volume *v);
/* Every volume of the account, oldest first; free with volumes_free. */
int volumes_list(struct dockerapi *d, const char *account,
    struct volume ***out, size_t *n, sdc_error_t *err);
void volumes_free(struct volume **v, size_t n);
/* Host folders: the volume's (with _data in it) and what is bound. */
char *volume_dir(struct dockerapi *d, const struct volume *v);
char *volume_data_dir(struct dockerapi *d, const struct volume *v);
/* What Docker clients are shown as its Mountpoint (no host path). */
char *volume_mountpoint(const struct volume *v);
/* Bytes in the volume (`docker system df`, the quota). */
int volume_size(struct dockerapi *d, const struct volume *v, int64_t *bytes,
    sdc_error_t *err);
/* The ids of the containers that use it (a JSON array of strings). */
json_t *volume_users(struct dockerapi *d, const struct volume *v,
    sdc_error_t *err);
/* Docker's JSON of a volume; with usage, UsageData {Size, RefCount}. */
json_t *volume_json(struct dockerapi *d, const struct volume *v, bool usage);
/* Container id uses volume v / no longer uses any. */
int volume_ref(struct dockerapi *d, const struct volume *v,
    const char *container, sdc_error_t *err);
/* Container id (of account) is gone: its references go, and with
 * remove_anonymous its anonymous volumes no other container uses. */
void volumes_release(struct dockerapi *d, const char *account,
    const char *container, bool remove_anonymous);
/* Every volume of the account (its containers gone first): what
 * deleting the account with force means. */
int volumes_remove_account(struct dockerapi *d, const char *account,
    sdc_error_t *err);
/* The 403 naming QUOTA_VOLUME_BYTES when the account's volumes hold it
 * all, in two halves, for a caller that walks off the loop: on
 * the loop, the account's quota and its volumes' folders (none, with
 * *limit -1, when it has no quota); on any thread, the walk of those
 * folders and the 403. */
struct volumes_quota {
	int64_t limit;
	struct strvec dirs;
};
int volumes_quota_prepare(struct dockerapi *d, const char *account,
    struct volumes_quota *q, sdc_error_t *err);
int volumes_quota_walk(const struct volumes_quota *q, sdc_error_t *err);
void volumes_quota_clear(struct volumes_quota *q);
/* `docker system df`'s Volumes: every volume with UsageData, whose Size
 * (-1 here) the caller measures off the loop in (*dirs)[i], the i-th
 * volume's folder (*dirs a NULL-terminated array, the caller's). */
json_t *volumes_df_json(struct dockerapi *d, const char *account,
    char ***dirs, sdc_error_t *err);

/* container-volumes.c: a container's volumes at create */
struct cvol;				/* one mount being made */
struct cvol_set {
	struct cvol *v;
	size_t n;
	struct rt_mount *mounts;	/* for rt_spec, valid while the set is */
	size_t nmounts;
};
struct ctr;
/* The options walk's checks (container-options.c): HostConfig.Binds,
 * one of HostConfig.Mounts (tmpfs ones pass), HostConfig.VolumesFrom. */
int cvol_check_binds(const json_t *binds, sdc_error_t *err);
int cvol_check_mount(const json_t *mount, sdc_error_t *err);
int cvol_check_from(const json_t *from, sdc_error_t *err);
/* A container's volume mounts, from its Config (Volumes: the request's
 * and the image's) and HostConfig (Binds, Mounts of type volume,
 * VolumesFrom), in two steps so that the quota's walk and the account's
 * filesystem leave the loop: the mounts worked out (400 for a host path
 * or a bad spec); the caller readies the account's volumes on a thread
 * (volumes_account_fs_start: 403 over the quota); then, on the loop, the
 * volumes missing made (no walk nor child of their own) and Docker's
 * "Mounts" put in c->extra. */
int cvol_plan(struct dockerapi *d, struct ctr *c, struct cvol_set *set,
    sdc_error_t *err);
int cvol_make(struct dockerapi *d, struct ctr *c, struct cvol_set *set,
    sdc_error_t *err);
/* The first copies into new or empty volumes (not nocopy), as
 * cvol_finish makes them, prepared on the loop (NULL: none to make) and
 * run on any thread once the root is mounted (the file system alone). */
struct cvol_copy;
struct cvol_copy *cvol_copy_new(struct dockerapi *d, const struct ctr *c,
    const struct rt_idmap *idmap, const struct cvol_set *set);
int cvol_copy_run(const struct cvol_copy *k, sdc_error_t *err);
void cvol_copy_free(struct cvol_copy *k);
/* After rt_create (the root is mounted): the first copy into new or
 * empty volumes, and the references recorded; idmap NULL: the node's
 * agent made the copy (cvol_doc's Populate), only the references. */
int cvol_finish(struct dockerapi *d, struct ctr *c,
    const struct rt_idmap *idmap, struct cvol_set *set, sdc_error_t *err);
/* The folders of c's volumes, for its start to wait for a first copy
 * into one of them (rt_volumes_settled). */
int cvol_dirs(struct dockerapi *d, const struct ctr *c, struct strvec *dirs,
    sdc_error_t *err);
/* The create failed: the volumes made for it go again. */
void cvol_abort(struct dockerapi *d, struct ctr *c, struct cvol_set *set);
void cvol_free(struct cvol_set *set);
/* The mounts as a node's agent takes them (node-create.c):
 * [{"Volume": "ACCOUNT/VOLUME", "Destination", "ReadOnly", "Populate"}],
 * the volume's folder named under the volumes' root, never as a path. */
json_t *cvol_doc(const struct cvol_set *set);

#endif
