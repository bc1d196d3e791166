/*
 * container-volumes.c: a container's volumes, from what Docker's create
 * body says to the binds the runtime makes.
 *
 * Docker spreads volumes over four fields, and this file reads them in
 * dockerd's order of precedence: HostConfig.VolumesFrom first (another
 * container of the same account: its volume mounts, read-only with
 * ":ro"), then HostConfig.Binds ("NAME:/path[:ro|rw|nocopy]") and
 * HostConfig.Mounts of type volume (Source, Target, ReadOnly,
 * VolumeOptions.NoCopy and Labels), which replace a volumes-from mount
 * at the same path, then Config.Volumes (the request's and the image's
 * VOLUME), each path not mounted yet getting an anonymous volume.  A
 * named volume that does not exist is made on first use, as dockerd
 * makes it.  Host paths (a bind source starting with '/', type=bind)
 * are refused with a message that says host paths are not offered;
 * tmpfs mounts are container-options.c's (--tmpfs and type=tmpfs).
 *
 * The same parser checks the fields in the options walk (set NULL:
 * nothing made) and builds the mounts at create, so what is refused
 * there is what cannot be made here.  Once the root is mounted, a new
 * or empty volume gets what the image has at its path (unless nocopy),
 * as dockerd copies it (runtime/volume.c, which follows no symlink).
 *
 * Two steps of a create are as long as a tenant makes them: the quota's
 * walk of the account's volumes, and that first copy (an image of a
 * hundred thousand files under its VOLUME).  So they come apart from
 * the rest (cvol_plan, cvol_make, cvol_copy_*), for the create's route
 * to run them on a thread with nothing but paths (the walk with the
 * mke2fs, mount or resize2fs of the account's volume filesystem,
 * volumes.c), the loop's own steps (the store, the volumes' rows)
 * before and after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "jsonutil.h"
#include "log.h"
#include "volumes.h"
#include "xalloc.h"

struct cvol {
	char *dest;
	char *name;			/* NULL: anonymous */
	json_t *labels;			/* for a volume made here */
	char *mode;			/* Docker's Mode in inspect */
	bool ro, nocopy, from, made;
	struct volume *vol;
};

static void
cvol_clear(struct cvol *v)
{
	free(v->dest);
	free(v->name);
	free(v->mode);
	json_decref(v->labels);
	volume_free(v->vol);
	memset(v, 0, sizeof *v);
}

void
cvol_free(struct cvol_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		cvol_clear(&set->v[i]);
	for (i = 0; set->mounts != NULL && i < set->nmounts; i++)
		free((char *)set->mounts[i].source);
	free(set->v);
	free(set->mounts);
	memset(set, 0, sizeof *set);
}

/* A path inside the container a volume may go on. */
static bool
cvol_dest_ok(const char *d)
{
	return d[0] == '/' && d[1] != '\0' && strstr(d, "/..") == NULL &&
	    strpbrk(d, ",:\n") == NULL && strcmp(d, "/proc") != 0 &&
	    strncmp(d, "/proc/", 6) != 0 && strcmp(d, "/sys") != 0 &&
	    strncmp(d, "/sys/", 5) != 0 && strcmp(d, "/dev") != 0 &&
	    strncmp(d, "/dev/", 5) != 0;
}

static struct cvol *
cvol_at(struct cvol_set *set, const char *dest)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].dest, dest) == 0)
			return &set->v[i];
	return NULL;
}

/* A mount the user asked for at dest: replaces a volumes-from one. */
static struct cvol *
cvol_push(struct cvol_set *set, const char *dest, bool from, sdc_error_t *err)
{
	struct cvol *v = cvol_at(set, dest);

	if (v != NULL) {
		if (!v->from || from)
			return sdc_make_error_code(err, 400, "Duplicate mount "
			    "point: %s", dest), NULL;
		cvol_clear(v);
	} else {
		set->v = xrealloc(set->v, (set->n + 1) * sizeof *set->v);
		v = &set->v[set->n++];
		memset(v, 0, sizeof *v);
	}
	v->dest = xstrdup(dest);
	v->from = from;
	return v;
}

static bool
cvol_host_path(const char *src)
{
	return src[0] == '/' || src[0] == '.' || src[0] == '~' ||
	    strchr(src, '/') != NULL;
}

/* "NAME:/path[:mode]" of -v. */
static int
cvol_parse_bind(const char *spec, struct cvol_set *set, sdc_error_t *err)
{
	char *copy = xstrdup(spec), *src, *dest, *mode, *p, *save;
	bool ro = false, nocopy = false;
	struct cvol *v = NULL;
	int rc = 0;

	src = copy;
	dest = strchr(copy, ':');
	if (dest != NULL)
		*dest++ = '\0';
	mode = dest != NULL ? strchr(dest, ':') : NULL;
	if (mode != NULL)
		*mode++ = '\0';
	if (dest == NULL || *src == '\0' || *dest == '\0' ||
	    (mode != NULL && strchr(mode, ':') != NULL))
		rc = sdc_make_error_code(err, 400, "invalid volume "
		    "specification: '%s'", spec);
	else if (cvol_host_path(src))
		rc = sdc_make_error_code(err, 400, "host paths are not offered "
		    "(\"%s\"): a container must not reach the host's files; "
		    "use a named volume (-v NAME:%s) or --tmpfs %s", spec,
		    dest, dest);
	else if (!volume_name_valid(src))
		rc = sdc_make_error_code(err, 400, "\"%s\" includes invalid "
		    "characters for a local volume name, only "
		    "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed", src);
	else if (!cvol_dest_ok(dest))
		rc = sdc_make_error_code(err, 400, "invalid mount path \"%s\" "
		    "in \"%s\"", dest, spec);
	for (p = mode != NULL && rc == 0 ? strtok_r(mode, ",", &save) : NULL;
	    p != NULL && rc == 0; p = strtok_r(NULL, ",", &save)) {
		if (strcmp(p, "ro") == 0)
			ro = true;
		else if (strcmp(p, "rw") == 0)
			ro = false;
		else if (strcmp(p, "nocopy") == 0)
			nocopy = true;
		else
			rc = sdc_make_error_code(err, 400, "volume mode \"%s\" "
			    "of \"%s\" is not supported (ro, rw and nocopy "
			    "are; SELinux labels and propagation are the "
			    "node's)", p, spec);
	}
	if (rc == 0 && set != NULL && (v = cvol_push(set, dest, false,
	    err)) == NULL)
		rc = -1;
	if (rc == 0 && set != NULL) {
		v->name = xstrdup(src);
		v->ro = ro;
		v->nocopy = nocopy;
		v->mode = xstrdup(mode != NULL ? spec + (mode - copy) : "");
	}
	free(copy);
	return rc;
}

/* One of HostConfig.Mounts; tmpfs ones are left to the options. */
static int
cvol_parse_mount(const json_t *m, struct cvol_set *set, sdc_error_t *err)
{
	const char *type = json_str(m, "Type", ""), *src, *dest, *k;
	const json_t *vo, *dc, *x;
	struct cvol *v;

	if (!json_is_object(m))
		return sdc_make_error_code(err, 400, "each mount must be an "
		    "object");
	if (strcmp(type, "tmpfs") == 0)
		return 0;
	if (strcmp(type, "bind") == 0)
		return sdc_make_error_code(err, 400, "type=bind is not offered: "
		    "host paths are not offered, a container must not reach "
		    "the host's files; use type=volume (a named volume) or "
		    "type=tmpfs");
	if (strcmp(type, "volume") != 0)
		return sdc_make_error_code(err, 400, "mount type \"%s\" is not "
		    "supported: volume and tmpfs are", type);
	src = json_str(m, "Source", "");
	dest = json_str(m, "Target", "");
	json_object_foreach((json_t *)m, k, x) {
		if (strcmp(k, "Type") == 0 || strcmp(k, "Source") == 0 ||
		    strcmp(k, "Target") == 0 || strcmp(k, "ReadOnly") == 0 ||
		    strcmp(k, "VolumeOptions") == 0 || json_is_null(x) ||
		    (json_is_string(x) && json_string_length(x) == 0) ||
		    (json_is_object(x) && json_object_size(x) == 0))
			continue;
		if (strcmp(k, "Consistency") == 0 &&
		    strcmp(json_string_value(x) ?: "", "default") == 0)
			continue;
		return sdc_make_error_code(err, 400, "mount option %s is not "
		    "supported for type=volume", k);
	}
	if (*src != '\0' && cvol_host_path(src))
		return sdc_make_error_code(err, 400, "host paths are not "
		    "offered (source \"%s\"): a container must not reach the "
		    "host's files", src);
	if (*src != '\0' && !volume_name_valid(src))
		return sdc_make_error_code(err, 400, "\"%s\" includes invalid "
		    "characters for a local volume name, only "
		    "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed", src);
	if (!cvol_dest_ok(dest))
		return sdc_make_error_code(err, 400, "invalid mount target "
		    "\"%s\"", dest);
	vo = json_object_get(m, "VolumeOptions");
	dc = json_object_get(vo, "DriverConfig");
	if (*json_str(dc, "Name", "") != '\0' &&
	    strcmp(json_str(dc, "Name", ""), "local") != 0)
		return sdc_make_error_code(err, 400, "volume driver \"%s\" is "
		    "not offered: only the local driver is",
		    json_str(dc, "Name", ""));
	if (json_object_size(json_object_get(dc, "Options")) > 0)
		return sdc_make_error_code(err, 400, "volume-opt is not "
		    "offered: the local driver's type, device and o would "
		    "mount a device or path of the host");
	if (*json_str(vo, "Subpath", "") != '\0')
		return sdc_make_error_code(err, 400, "volume-subpath is not "
		    "supported");
	if (json_object_get(vo, "Labels") != NULL &&
	    !json_is_null(json_object_get(vo, "Labels")) &&
	    !json_is_object(json_object_get(vo, "Labels")))
		return sdc_make_error_code(err, 400, "volume-label must be an "
		    "object");
	if (set == NULL)
		return 0;
	if ((v = cvol_push(set, dest, false, err)) == NULL)
		return -1;
	v->name = *src != '\0' ? xstrdup(src) : NULL;
	v->ro = json_bool(m, "ReadOnly", false);
	v->nocopy = json_bool(vo, "NoCopy", false);
	v->mode = xstrdup("z");
	if (json_is_object(json_object_get(vo, "Labels")))
		v->labels = json_incref(json_object_get(vo, "Labels"));
	return 0;
}

int
cvol_check_binds(const json_t *binds, sdc_error_t *err)
{
	const json_t *e;
	size_t i;

	if (binds == NULL || json_is_null(binds))
		return 0;
	if (!json_is_array(binds))
		return sdc_make_error_code(err, 400, "must be an array");
	json_array_foreach(binds, i, e) {
		if (!json_is_string(e))
			return sdc_make_error_code(err, 400, "must be an array "
			    "of strings");
		if (cvol_parse_bind(json_string_value(e), NULL, err) < 0)
			return -1;
	}
	return 0;
}

int
cvol_check_mount(const json_t *m, sdc_error_t *err)
{
	return cvol_parse_mount(m, NULL, err);
}

int
cvol_check_from(const json_t *from, sdc_error_t *err)
{
	const json_t *e;
	const char *s, *colon;
	size_t i;

	if (from == NULL || json_is_null(from))
		return 0;
	if (!json_is_array(from))
		return sdc_make_error_code(err, 400, "must be an array");
	json_array_foreach(from, i, e) {
		s = json_string_value(e);
		if (s == NULL || *s == '\0' || *s == ':')
			return sdc_make_error_code(err, 400, "invalid "
			    "volumes-from \"%s\"", s ?: "");
		colon = strchr(s, ':');
		if (colon != NULL && strcmp(colon, ":ro") != 0 &&
		    strcmp(colon, ":rw") != 0)
			return sdc_make_error_code(err, 400, "invalid mode "
			    "for volumes-from: %s", colon + 1);
	}
	return 0;
}

/* --volumes-from: the other container's volume mounts. */
static int
cvol_from(struct dockerapi *d, const struct ctr *c, const char *spec,
    struct cvol_set *set, sdc_error_t *err)
{
	char *ref = xstrdup(spec), *mode = strchr(ref, ':');
	const json_t *m;
	struct ctr *o;
	struct cvol *v;
	int forced = -1;		/* :ro 1, :rw 0, else the other's */
	size_t i;

	if (mode != NULL) {
		*mode++ = '\0';
		forced = strcmp(mode, "ro") == 0;
	}
	o = ctr_find(ctrs(d), c->account, ref, err);
	free(ref);
	/* a 404 on create makes the docker CLI pull the image: a 400 */
	if (o == NULL && *err != NULL && (*err)->code == 404)
		(*err)->code = 400;
	if (o == NULL)
		return -1;
	json_array_foreach(json_object_get(o->extra, "Mounts"), i, m) {
		const char *name = json_str(m, "Name", "");
		struct volume *vol;

		if (strcmp(json_str(m, "Type", ""), "volume") != 0)
			continue;
		if ((vol = volume_get(d, c->account, name, err)) == NULL) {
			if ((*err)->code != 404)
				return -1;
			sdc_error_release(err);
			return sdc_make_error_code(err, 400, "the volume of "
			    "container %s at %s was made before volumes "
			    "could be shared; it cannot be used with "
			    "--volumes-from", spec, json_str(m,
			    "Destination", ""));
		}
		if ((v = cvol_push(set, json_str(m, "Destination", ""), true,
		    err)) == NULL) {
			volume_free(vol);
			return -1;
		}
		v->vol = vol;
		v->name = xstrdup(name);
		v->ro = forced >= 0 ? forced == 1 : !json_bool(m, "RW", true);
		v->nocopy = true;
		v->mode = xstrdup(json_str(m, "Mode", ""));
	}
	return 0;
}

static bool
cvol_tmpfs_at(const json_t *hc, const char *dest)
{
	const json_t *m;
	size_t i;

	if (json_object_get(json_object_get(hc, "Tmpfs"), dest) != NULL)
		return true;
	json_array_foreach(json_object_get(hc, "Mounts"), i, m)
		if (strcmp(json_str(m, "Type", ""), "tmpfs") == 0 &&
		    strcmp(json_str(m, "Target", ""), dest) == 0)
			return true;
	return false;
}

int
cvol_plan(struct dockerapi *d, struct ctr *c, struct cvol_set *set,
    sdc_error_t *err)
{
	const json_t *hc = c->host_config, *e;
	const char *dest;
	struct cvol *v;
	size_t i;

	memset(set, 0, sizeof *set);
	json_array_foreach(json_object_get(hc, "VolumesFrom"), i, e)
		if (cvol_from(d, c, json_string_value(e) ?: "", set, err) < 0)
			return -1;
	json_array_foreach(json_object_get(hc, "Binds"), i, e)
		if (cvol_parse_bind(json_string_value(e) ?: "", set, err) < 0)
			return -1;
	json_array_foreach(json_object_get(hc, "Mounts"), i, e)
		if (cvol_parse_mount(e, set, err) < 0)
			return -1;
	for (i = 0; i < set->n; i++)
		if (cvol_tmpfs_at(hc, set->v[i].dest))
			return sdc_make_error_code(err, 400, "Duplicate mount "
			    "point: %s", set->v[i].dest);
	json_object_foreach(json_object_get(c->config, "Volumes"), dest, e) {
		if (cvol_at(set, dest) != NULL || cvol_tmpfs_at(hc, dest))
			continue;
		if (!cvol_dest_ok(dest))
			return sdc_make_error_code(err, 400, "invalid volume "
			    "path \"%s\": it must be absolute", dest);
		if ((v = cvol_push(set, dest, false, err)) == NULL)
			return -1;
		v->mode = xstrdup("");
	}
	return 0;
}

int
cvol_make(struct dockerapi *d, struct ctr *c, struct cvol_set *set,
    sdc_error_t *err)
{
	json_t *list, *anon;
	struct cvol *v;
	size_t i;
	char *mp;

	anon = json_pack("{s:s}", VOLUME_ANON_LABEL, "");
	for (i = 0; i < set->n; i++) {
		v = &set->v[i];
		if (v->vol != NULL)
			continue;
		v->vol = volume_create_walked(d, c->account, v->name,
		    v->name != NULL ? v->labels : anon, v->name == NULL,
		    &v->made, err);
		if (v->vol == NULL) {
			json_decref(anon);
			return -1;
		}
	}
	json_decref(anon);
	set->mounts = xcalloc(set->n + 1, sizeof *set->mounts);
	list = json_array();
	for (i = 0; i < set->n; i++) {
		v = &set->v[i];
		set->mounts[i].source = volume_data_dir(d, v->vol);
		set->mounts[i].destination = v->dest;
		set->mounts[i].readonly = v->ro;
		mp = volume_mountpoint(v->vol);
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s,"
		    "s:s,s:b,s:s}", "Type", "volume", "Name", v->vol->name,
		    "Source", mp, "Destination", v->dest, "Driver", "local",
		    "Mode", v->mode ?: "", "RW", !v->ro, "Propagation", ""));
		free(mp);
	}
	set->nmounts = set->n;
	json_object_set_new(c->extra, "Mounts", list);
	return 0;
}

struct cvol_copy {
	const struct rt_config *rt;
	char uuid[37];
	struct rt_idmap idmap;
	struct strvec dests, dirs, names;
};

struct cvol_copy *
cvol_copy_new(struct dockerapi *d, const struct ctr *c,
    const struct rt_idmap *idmap, const struct cvol_set *set)
{
	struct cvol_copy *k = NULL;
	char *dir;
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (set->v[i].nocopy)
			continue;
		if (k == NULL) {
			k = xcalloc(1, sizeof *k);
			k->rt = &ctrs(d)->rt;
			snprintf(k->uuid, sizeof k->uuid, "%s", c->uuid);
			k->idmap = *idmap;
		}
		dir = volume_dir(d, set->v[i].vol);
		strvec_push(&k->dirs, dir);
		strvec_push(&k->dests, set->v[i].dest);
		strvec_push(&k->names, set->v[i].vol->name);
		free(dir);
	}
	return k;
}

int
cvol_copy_run(const struct cvol_copy *k, sdc_error_t *err)
{
	for (size_t i = 0; k != NULL && i < k->dirs.n; i++)
		if (rt_volume_populate(k->rt, k->uuid, k->dests.v[i],
		    k->dirs.v[i], &k->idmap, NULL, err) < 0)
			return sdc_error_wrap(err, "volume %s", k->names.v[i]);
	return 0;
}

void
cvol_copy_free(struct cvol_copy *k)
{
	if (k == NULL)
		return;
	strvec_clear(&k->dests);
	strvec_clear(&k->dirs);
	strvec_clear(&k->names);
	free(k);
}

int
cvol_finish(struct dockerapi *d, struct ctr *c, const struct rt_idmap *idmap,
    struct cvol_set *set, sdc_error_t *err)
{
	struct cvol_copy *k;
	size_t i;
	int rc = 0;

	if (idmap != NULL) {
		k = cvol_copy_new(d, c, idmap, set);
		if ((rc = cvol_copy_run(k, err)) < 0)
			ctr_rt_error(ctrs(d), c, err);
		cvol_copy_free(k);
	}
	for (i = 0; i < set->n && rc == 0; i++)
		rc = volume_ref(d, set->v[i].vol, c->id, err);
	return rc;
}

void
cvol_abort(struct dockerapi *d, struct ctr *c, struct cvol_set *set)
{
	sdc_error_t err = NULL;
	size_t i;

	volumes_release(d, c->account, c->id, false);
	for (i = 0; i < set->n; i++)
		if (set->v[i].made && set->v[i].vol != NULL &&
		    volume_remove(d, set->v[i].vol, &err) < 0) {
			log_warn("volume %s: %s", set->v[i].vol->name,
			    sdc_error_msg(err));
			sdc_error_release(&err);
		}
}

int
cvol_dirs(struct dockerapi *d, const struct ctr *c, struct strvec *dirs,
    sdc_error_t *err)
{
	const json_t *m;
	struct volume *vol;
	char *dir;
	size_t i;

	json_array_foreach(json_object_get(c->extra, "Mounts"), i, m) {
		if (strcmp(json_str(m, "Type", ""), "volume") != 0)
			continue;
		vol = volume_get(d, c->account, json_str(m, "Name", ""), err);
		if (vol == NULL && (*err)->code != 404)
			return -1;
		if (vol == NULL) {	/* the runtime's start says so */
			sdc_error_release(err);
			continue;
		}
		dir = volume_dir(d, vol);
		strvec_push(dirs, dir);
		free(dir);
		volume_free(vol);
	}
	return 0;
}

json_t *
cvol_doc(const struct cvol_set *set)
{
	json_t *a = json_array();
	char *vol;

	for (size_t i = 0; i < set->n; i++) {
		const struct cvol *v = &set->v[i];

		xasprintf(&vol, "%s/%s", v->vol->account, v->vol->uuid);
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:b}",
		    "Volume", vol, "Destination", v->dest, "ReadOnly", v->ro,
		    "Populate", !v->nocopy));
		free(vol);
	}
	return a;
}
