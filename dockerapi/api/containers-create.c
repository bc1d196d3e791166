/*
 * containers-create.c: POST /containers/create, from Docker's config to a
 * container folder and a row.
 *
 * The request is checked whole before anything is made (name, image,
 * labels, log config, package, command), because a refusal should leave
 * nothing behind; then the folder is created (rt_create mounts the root
 * and writes config.json), volumes made, and the row written.  If the row
 * cannot be written the folder goes again.
 *
 * The command is Docker's merge of the request over the image: an
 * Entrypoint in the request replaces the image's and drops its Cmd; with
 * none, the image's Entrypoint stays and the request's Cmd, if any,
 * replaces the image's.  Env is the image's with the request's on top.
 * Volumes (-v, --mount, --volumes-from, the image's VOLUME) are the
 * account's volumes, bound in (container-volumes.c); host paths are not
 * offered (a container must not reach the host's files).  Every other field of the body is checked against the
 * options table (container-options.c) before anything is made: applied,
 * or refused with a 400 naming it.  The node is chosen last of the
 * checks (container-place.c), with the affinity rules taken out of Env
 * and the labels (affinity.c).
 *
 * A container whose node has an agent is made by that agent (the
 * folder, root, config.json and the volumes' first copy: node-create.c
 * sends it the spec), on a thread, the row written once it answered;
 * meanwhile its name is held (create_pending), so a second create of
 * the same name gets Docker's conflict.  A node not heard from answers
 * 503 before anything is made.  A head without agents makes the folder
 * here, as before.
 *
 * Two steps of a local create with volumes are as long as the tenant
 * makes them: the walk of the account's volumes for QUOTA_VOLUME_BYTES
 * and the first copy of the image's files into new volumes.  Each runs
 * on a thread (rtcall.c) and the create goes on in its done function,
 * the name held as for a node's create; the walk's thread also makes,
 * mounts or grows the account's volume filesystem (mke2fs, mount,
 * resize2fs: children), so the volumes made on the loop run none; the
 * volumes' references are written before the copy, so that no rm takes
 * a volume being filled.  A client gone during the walk has nothing
 * made; one gone during the copy has its container made all the same,
 * as dockerd makes it.
 *
 * The containers quota is decided in the store (quota-claims.c): a claim
 * written under the account's lock stands for the container from the
 * check until its row is inserted, in the same transaction that removes
 * the claim, so the creates in flight through every head count.  The
 * lock may be waited for (another head's create of the same account), so
 * the claim is taken on a thread once the checks passed, the name held
 * meanwhile, and the create goes on on the loop once it is taken.
 *
 * A create the daemon makes for itself (a build's RUN container,
 * ctr_create_for) goes the same way, the same steps off the loop, its
 * end told to a function of the caller's instead of a client.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "affinity.h"
#include "containers.h"
#include "dockerapi/images/images.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "node-request.h"
#include "nodes.h"
#include "rtcall.h"
#include "volumes.h"
#include "networks.h"
#include "xalloc.h"

#define MIB (1024LL * 1024)

static const char *const name_left[] = {
	"admiring", "bold", "brave", "busy", "clever", "cool", "dazzling",
	"eager", "elegant", "epic", "fervent", "focused", "gallant", "happy",
	"hopeful", "jolly", "keen", "kind", "lucid", "modest", "nifty",
	"peaceful", "quirky", "relaxed", "serene", "sharp", "stoic", "tender",
	"vibrant", "wizardly", "youthful", "zealous",
};

static const char *const name_right[] = {
	"babbage", "bell", "borg", "curie", "darwin", "dijkstra", "einstein",
	"euclid", "fermat", "galileo", "goldberg", "hopper", "hypatia",
	"kepler", "knuth", "lamport", "lovelace", "mccarthy", "meitner",
	"newton", "noether", "pascal", "ritchie", "shannon", "thompson",
	"torvalds", "turing", "wiles", "wozniak", "yalow",
};

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

bool
ctr_name_valid(const char *name)
{
	size_t n;

	if (name[0] == '/')
		name++;
	n = strlen(name);
	return n >= 2 && n <= 128 && strchr("._-", name[0]) == NULL &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

/* The containers whose node is making them: their names are taken. */
struct create_pending {
	struct create_pending *next;
	const struct ctr *c;
};
static struct create_pending *create_pending;

static const struct ctr *
create_pending_name(const char *account, const char *name)
{
	for (struct create_pending *p = create_pending; p != NULL; p = p->next)
		if (strcmp(p->c->account, account) == 0 &&
		    strcmp(p->c->name, name) == 0)
			return p->c;
	return NULL;
}

static void
create_pending_add(const struct ctr *c)
{
	struct create_pending *p = xcalloc(1, sizeof *p);

	p->c = c;
	p->next = create_pending;
	create_pending = p;
}

static void
create_pending_remove(const struct ctr *c)
{
	for (struct create_pending **p = &create_pending; *p != NULL;
	    p = &(*p)->next)
		if ((*p)->c == c) {
			struct create_pending *gone = *p;

			*p = gone->next;
			free(gone);
			return;
		}
}

char *
ctr_name_generate(struct containers *cs, const char *account)
{
	char *name = NULL;
	unsigned r;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		free(name);
		r = (unsigned)random();
		xasprintf(&name, tries < 10 ? "%s_%s" : "%s_%s%u",
		    name_left[r % NELEM(name_left)],
		    name_right[(r >> 8) % NELEM(name_right)], r % 100);
		if (ctr_by_name(cs, account, name) == NULL &&
		    create_pending_name(account, name) == NULL)
			break;
	}
	return name;
}

/* --- the pieces of the config --- */

/* A string or array of strings as an array (Docker's StrSlice). */
static json_t *
create_strslice(const json_t *v)
{
	if (json_is_string(v))
		return json_pack("[O]", v);
	if (json_is_array(v))
		return json_incref((json_t *)v);
	return NULL;
}

static void
create_command(json_t *config, const json_t *img)
{
	json_t *ep = create_strslice(json_object_get(config, "Entrypoint"));
	json_t *cmd = create_strslice(json_object_get(config, "Cmd"));

	if (ep == NULL) {
		ep = create_strslice(json_object_get(img, "Entrypoint"));
		if (cmd == NULL || json_array_size(cmd) == 0) {
			json_decref(cmd);
			cmd = create_strslice(json_object_get(img, "Cmd"));
		}
	}
	if (json_array_size(ep) == 1 &&
	    strcmp(json_string_value(json_array_get(ep, 0)) ?: "x", "") == 0)
		json_array_clear(ep);
	json_object_set_new(config, "Entrypoint", ep != NULL ? ep : json_null());
	json_object_set_new(config, "Cmd", cmd != NULL ? cmd : json_null());
}

static json_t *
create_argv(const json_t *config)
{
	json_t *argv = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(config, "Entrypoint"), i, v)
		json_array_append(argv, v);
	json_array_foreach(json_object_get(config, "Cmd"), i, v)
		json_array_append(argv, v);
	return argv;
}

static bool
create_env_has(const json_t *env, const char *kv)
{
	size_t n = strcspn(kv, "="), i;
	const char *e;

	for (i = 0; i < json_array_size(env); i++) {
		e = json_string_value(json_array_get(env, i));
		if (e != NULL && strncmp(e, kv, n) == 0 &&
		    (e[n] == '=' || e[n] == '\0'))
			return true;
	}
	return false;
}

static void
create_env(json_t *config, const json_t *img)
{
	json_t *want = json_object_get(config, "Env"), *env = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(img, "Env"), i, v)
		if (json_is_string(v) && !create_env_has(want, json_string_value(v)))
			json_array_append(env, v);
	json_array_foreach(want, i, v)
		if (json_is_string(v) && strchr(json_string_value(v), '=') != NULL)
			json_array_append(env, v);
	json_object_set_new(config, "Env", env);
}

static void
create_default_str(json_t *config, const json_t *img, const char *key)
{
	const char *v = json_str(config, key, "");

	if (*v == '\0')
		json_object_set_new(config, key, json_string(json_str(img, key, "")));
}

/* The image's labels under the request's; the image's reserved ones
 * (com.joyent.package, triton.*) are dropped: only the request steers
 * provisioning. */
static json_t *
create_labels(struct dockerapi *d, const json_t *config, const json_t *img)
{
	json_t *labels = json_object(), *v;
	const char *k;

	json_object_foreach(json_object_get(img, "Labels"), k, v)
		if (!labels_reserved(d, k))
			json_object_set(labels, k, v);
	json_object_foreach(json_object_get(config, "Labels"), k, v)
		json_object_set(labels, k, v);
	return labels;
}

/* Config.Volumes: the image's VOLUME paths and the request's. */
static void
create_volumes(json_t *config, const json_t *img)
{
	json_t *vols = json_object_get(config, "Volumes"), *v;
	const char *k;

	if (json_object_size(json_object_get(img, "Volumes")) == 0)
		return;
	if (!json_is_object(vols)) {
		vols = json_object();
		json_object_set_new(config, "Volumes", vols);
	}
	json_object_foreach(json_object_get(img, "Volumes"), k, v)
		if (json_object_get(vols, k) == NULL)
			json_object_set_new(vols, k, json_object());
}

/* Docker's answer for a taken name. */
static int
create_name(struct containers *cs, struct http_request *req, char **out,
    sdc_error_t *err)
{
	const char *name = http_query(req, "name");
	const char *acct = ctr_account(req);
	const struct ctr *other;

	if (name == NULL || *name == '\0') {
		*out = ctr_name_generate(cs, acct);
		return 0;
	}
	if (!ctr_name_valid(name))
		return sdc_make_error_code(err, 400, "Invalid container name (%s), "
		    "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
	if (name[0] == '/')
		name++;
	if ((other = ctr_by_name(cs, acct, name)) != NULL ||
	    (other = create_pending_name(acct, name)) != NULL)
		return sdc_make_error_code(err, 409, "Conflict. The container name "
		    "\"/%s\" is already in use by container \"%s\". You have to "
		    "remove (or rename) that container to be able to reuse that "
		    "name.", name, other->id);
	*out = xstrdup(name);
	return 0;
}

/* Everything a spec points to lives here until rt_create returns. */
struct create_ctx {
	struct containers *cs;
	struct ctr *c;
	json_t *body;
	json_t *img;			/* the image's container config */
	json_t *diff_ids;
	struct package pkg;
	struct logconfig lc;
	struct ctr_opts opts;		/* container-options.c */
	char **layers;
	char **argv;
	char **env;
	struct cvol_set vols;		/* container-volumes.c */
	struct affinity_set aff;	/* affinity.c */
	struct node_request *call;	/* the node's agent makes it */
	struct rt_idmap idmap;		/* the account's (isolation.c) */
	struct quota_claim *qc;		/* the claim to take, off the loop */
	bool claimed;			/* a quota claim named c's uuid */
	char claim[UUID_LEN + 1];	/* (quota-claims.c) */
	ctr_created_fn *then;		/* ctr_create_for's end, or NULL */
	void *then_arg;
};

char **
create_strv(const json_t *a)
{
	char **v = xcalloc(json_array_size(a) + 1, sizeof *v);
	size_t i;

	for (i = 0; i < json_array_size(a); i++)
		v[i] = xstrdup(json_string_value(json_array_get(a, i)) ?: "");
	return v;
}

static void
create_ctx_free(struct create_ctx *x)
{
	json_decref(x->body);
	json_decref(x->img);
	json_decref(x->diff_ids);
	package_clear(&x->pkg);
	options_clear(&x->opts);
	strvec_array_free(x->layers);
	strvec_array_free(x->argv);
	strvec_array_free(x->env);
	cvol_free(&x->vols);
	affinity_set_clear(&x->aff);
	node_request_free(x->call);
	quota_claim_free(x->qc);
	if (x->claimed)         /* the create failed: its room is free */
		quota_claim_drop(x->cs->d, x->claim);
	ctr_free(x->c);
}

static int
create_image(struct create_ctx *x, const char *account, sdc_error_t *err)
{
	struct dockerapi *d = x->cs->d;
	const char *name = json_str(x->body, "Image", "");
	json_t *whole = NULL;
	char *id = NULL;
	size_t i;

	if (*name == '\0')
		return sdc_make_error_code(err, 400, "Config.Image is required");
	if (d->images == NULL)
		return sdc_make_error_code(err, 404, "No such image: %s", name);
	if (images_resolve(d->images, account, name, &id, err) < 0 ||
	    images_layers(d->images, account, id, &x->diff_ids, &whole, err) < 0) {
		free(id);
		if (*err != NULL && (*err)->code == 404)
			return sdc_make_error_code(err, 404, "No such image: %s",
			    name);
		return -1;
	}
	x->c->image = xstrdup(name);
	x->c->image_id = id;
	x->img = json_incref(json_object_get(whole, "config"));
	if (x->img == NULL)
		x->img = json_object();
	json_decref(whole);
	x->layers = xcalloc(json_array_size(x->diff_ids) + 1, sizeof *x->layers);
	for (i = 0; i < json_array_size(x->diff_ids); i++)
		x->layers[i] = images_layer_dir(d->images,
		    json_string_value(json_array_get(x->diff_ids, i)));
	return 0;
}

/* The package's limits into HostConfig, as inspect shows them. */
static void
create_limits(struct create_ctx *x, json_t *hc, json_t *labels)
{
	json_int_t quota = (json_int_t)(x->pkg.vcpus * 100000 + 0.5);

	json_object_set_new(labels, "com.joyent.package",
	    json_string(x->pkg.name));
	json_object_set_new(hc, "Memory", json_integer(x->pkg.memory * MIB));
	json_object_set_new(hc, "MemorySwap", json_integer(x->pkg.memory * MIB));
	json_object_set_new(hc, "CpuPeriod", json_integer(100000));
	json_object_set_new(hc, "CpuQuota", json_integer(quota));
	json_object_set_new(hc, "NanoCpus",
	    json_integer((json_int_t)(x->pkg.vcpus * 1e9 + 0.5)));
	json_object_set_new(x->c->extra, "DiskMiB", json_integer(x->pkg.disk));
}

/* The node placement chose, recorded on the container: a head whose
 * agent answered makes it there (node-create.c); a head without one
 * keeps it here, recording no node.  Any node will do whatever the
 * network: its agent plumbs it at start and the network spans nodes.
 * A container in another's namespace (--network container:X) goes to
 * X's node (the head's own when X records none); an X not found is
 * left to ctrnet_check's 400. */
static int
create_place(struct create_ctx *x, const char *account, sdc_error_t *err)
{
	const char *mode = json_str(json_object_get(x->body, "HostConfig"),
	    "NetworkMode", "");
	const char *only = NULL;
	struct ctr *o;
	char *node = NULL;

	if (strncmp(mode, "container:", 10) == 0) {
		if ((o = ctr_find(x->cs, account, mode + 10, err)) == NULL)
			sdc_error_release(err);
		else if (*(only = json_str(o->extra, "Node", "")) == '\0')
			only = nodes_local_id(x->cs->d);
	}
	if (place_container(x->cs->d, account, &x->pkg, &x->aff, only, &node,
	    err) < 0)
		return -1;
	if (json_object_get(x->c->extra, "Node") != NULL)
		json_object_set_new(x->c->extra, "Node", json_string(node));
	free(node);
	return 0;
}

/* Check and complete Config and HostConfig; nothing made yet. */
static int
create_check(struct create_ctx *x, const char *account, int minor,
    sdc_error_t *err)
{
	struct dockerapi *d = x->cs->d;
	json_t *config = x->body, *hc, *labels, *argv;

	hc = json_object_get(config, "HostConfig");
	if (!json_is_object(hc)) {
		hc = json_object();
		json_object_set_new(config, "HostConfig", hc);
	}
	if (minor < 25)
		json_object_set_new(hc, "AutoRemove", json_false());
	if (affinity_from_config(config, &x->aff, err) < 0 ||
	    labels_validate(d, json_object_get(config, "Labels"), err) < 0 ||
	    logconfig_validate(d, hc, &x->lc, err) < 0 ||
	    restart_validate(hc, err) < 0 ||
	    create_image(x, account, err) < 0)
		return -1;
	labels = create_labels(d, config, x->img);
	json_object_set_new(config, "Labels", labels);
	if (packages_choose(d, hc, labels, &x->pkg, err) < 0 ||
	    options_check(d, config, &x->pkg, &x->opts, err) < 0 ||
	    quota_claim_prepare(d, account, x->c->uuid, &x->qc, &x->claimed,
	    err) < 0 ||
	    create_place(x, account, err) < 0 ||
	    ctrnet_check(x->cs, x->c, config, x->img, err) < 0)
		return -1;
	create_limits(x, hc, labels);
	json_object_set_new(x->c->extra, "LogDiskBytes", json_integer(
	    logconfig_disk_share(d, x->pkg.disk, x->lc.no_log)));
	create_command(config, x->img);
	create_env(config, x->img);
	create_default_str(config, x->img, "WorkingDir");
	create_default_str(config, x->img, "User");
	create_default_str(config, x->img, "StopSignal");
	create_volumes(config, x->img);
	argv = create_argv(config);
	if (json_array_size(argv) == 0) {
		json_decref(argv);
		return sdc_make_error_code(err, 400, "No command specified");
	}
	x->argv = create_strv(argv);
	json_object_set_new(x->c->extra, "Path", json_incref(json_array_get(argv, 0)));
	json_array_remove(argv, 0);
	json_object_set_new(x->c->extra, "Args", argv);
	json_object_set_new(x->c->extra, "LogMaxSize", json_integer(x->lc.max_size));
	json_object_set_new(x->c->extra, "LogMaxFile", json_integer(x->lc.max_file));
	x->env = create_strv(json_object_get(config, "Env"));
	return 0;
}

static void
create_spec(struct create_ctx *x, struct rt_spec *spec)
{
	const json_t *config = x->c->config;
	const char *host = json_str(config, "Hostname", "");

	memset(spec, 0, sizeof *spec);
	spec->id = x->c->uuid;
	spec->layers = (const char *const *)x->layers;
	spec->argv = (const char *const *)x->argv;
	spec->env = (const char *const *)x->env;
	spec->cwd = json_str(config, "WorkingDir", "");
	spec->user = json_str(config, "User", "");
	if (*spec->user == '\0')
		spec->user = NULL;
	spec->hostname = *host != '\0' ? host : NULL;
	spec->tty = json_bool(config, "Tty", false);
	spec->open_stdin = json_bool(config, "OpenStdin", false);
	spec->mounts = x->vols.mounts;
	spec->nmounts = x->vols.nmounts;
	spec->memory = x->pkg.memory * MIB;
	spec->cpu_quota = (int64_t)(x->pkg.vcpus * 100000 + 0.5);
	spec->cpu_period = 100000;
	/* the logs' share of the disk is not the writable layer's */
	spec->disk = x->pkg.disk * MIB -
	    json_int(x->c->extra, "LogDiskBytes", 0);
	spec->pids_limit = x->pkg.pids;
}

static void
create_ctr_init(struct create_ctx *x, const char *account, char *name)
{
	struct ctr *c = xcalloc(1, sizeof *c);
	struct timespec now;
	char uuid[UUID_LEN + 1];
	size_t i, j;

	uuid_make(uuid);
	snprintf(c->uuid, sizeof c->uuid, "%s", uuid);
	snprintf(x->claim, sizeof x->claim, "%s", uuid);
	docker_id_make(c->id);
	for (i = j = 0; uuid[i] != '\0'; i++)
		if (uuid[i] != '-')
			c->id[j++] = uuid[i];
	clock_gettime(CLOCK_REALTIME, &now);
	c->created = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	c->account = xstrdup(account);
	c->name = name;
	c->extra = json_object();
	if (nodes_local_id(x->cs->d) != NULL)   /* the node it runs on */
		json_object_set_new(c->extra, "Node",
		    json_string(nodes_local_id(x->cs->d)));
	c->watch_fd = -1;
	c->st.status = RT_CREATED;
	c->cs = x->cs;
	x->c = c;
}

/* Remove the "net.*" entries of a NULL-terminated vector, in place. */
static void
create_drop_net_sysctls(char **v)
{
	size_t i, j = 0;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (strncmp(v[i], "net.", 4) == 0)
			free(v[i]);
		else
			v[j++] = v[i];
	}
	if (v != NULL)
		v[j] = NULL;
}

/* A failed create's folder (made here or on a node) removed off the
 * loop: `runc delete`, or the node's agent asked, on a thread.  The
 * container never had a row nor a place in the list, and its uuid is
 * its own, so the create's error is answered at once. */
struct create_unmaking {
	struct containers *cs;
	char uuid[37];
	char *node;
	struct node_request *call;	/* its node's agent removes it */
};

static int
create_unmake_fn(void *arg, sdc_error_t *err)
{
	struct create_unmaking *u = arg;

	if (u->call != NULL)
		return node_request_run(u->call, err);
	return rt_delete(&u->cs->rt, u->uuid, true, err);
}

static void
create_unmake_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct create_unmaking *u = arg;

	(void)req;
	/* a node that did not answer: its orphan is asked again later */
	if (rc < 0 && u->node[0] != '\0' && *err != NULL &&
	    (*err)->code != 404)
		node_create_orphan(u->cs->d, u->node, u->uuid);
	else if (rc < 0)
		log_warn("container %s: removing a failed create's folder: %s",
		    u->uuid, sdc_error_msg(*err));
	sdc_error_release(err);
	node_request_free(u->call);
	free(u->node);
	free(u);
}

/* The folder made (here or on the node) goes again. */
static void
create_unmake(struct create_ctx *x)
{
	struct containers *cs = x->cs;
	struct create_unmaking *u = xcalloc(1, sizeof *u);
	sdc_error_t err = NULL;
	int rc;

	u->cs = cs;
	snprintf(u->uuid, sizeof u->uuid, "%s", x->c->uuid);
	u->node = xstrdup(json_str(x->c->extra, "Node", ""));
	rc = node_remove_prepare(cs, x->c, true, &u->call, &err);
	if (rc < 0) {			/* nothing asked of the node */
		create_unmake_done(u, NULL, -1, &err);
		return;
	}
	if (rc == NODES_LOCAL)
		u->call = NULL;
	if (cs->d->base == NULL || rtcall_start(cs->d->base, NULL,
	    "a failed create's clean-up", create_unmake_fn, create_unmake_done,
	    u, &err) < 0) {
		sdc_error_release(&err);
		rc = create_unmake_fn(u, &err);
		create_unmake_done(u, NULL, rc, &err);
	}
}

/* The folder is made: the volumes' references, the container's row and
 * its networks' in one commit (idmap NULL: the node, or the create's
 * thread, copied the volumes already). */
static int
create_record(struct create_ctx *x, const struct rt_idmap *idmap,
    sdc_error_t *err)
{
	struct containers *cs = x->cs;
	struct ctr *c = x->c;
	int rc;

	if ((rc = cvol_finish(cs->d, c, idmap, &x->vols, err)) < 0 ||
	    (rc = store_begin(cs->d->store, err)) < 0 ||
	    (rc = ctr_insert(cs, c, err)) < 0 ||
	    /* the row now counts in the quota where the claim did */
	    (x->claimed && (rc = quota_claim_settle(cs->d, x->claim,
	    err)) < 0)) {
		store_rollback(cs->d->store);
		create_unmake(x);
		cvol_abort(cs->d, c, &x->vols);
	}
	/* a failure takes the container back, runc delete off the loop */
	if (rc == 0 && ((rc = ctrnet_created(cs, c, err)) < 0 ||
	    (rc = store_commit(cs->d->store, err)) < 0)) {
		store_rollback(cs->d->store);
		x->c = NULL;
		ctr_remove_async(cs, c, true, false, NULL, NULL);
	}
	if (rc == 0 && x->claimed) {
		x->claimed = false;
		quota_claim_done(cs->d);
	}
	return rc;
}

/* The node's agent answered the create (rc), or no answer came. */
static int
create_node_answered(struct create_ctx *x, int rc, sdc_error_t *err)
{
	if (rc < 0) {
		if (x->call->lost)
			node_create_orphan(x->cs->d, x->call->node_id, x->c->uuid);
		cvol_abort(x->cs->d, x->c, &x->vols);
		return -1;
	}
	return create_record(x, NULL, err);
}

static int
create_node_fn(void *arg, sdc_error_t *err)
{
	return node_request_run(((struct create_ctx *)arg)->call, err);
}

/* The create's end on the loop: told to ctr_create_for's caller (then)
 * or answered to req (NULL: none, or its client left); x freed.  The
 * container made, or NULL. */
static struct ctr *
create_end(struct create_ctx *x, struct http_request *req, int rc,
    sdc_error_t *err)
{
	ctr_created_fn *then = x->then;
	void *then_arg = x->then_arg;
	struct ctr *c = NULL;

	if (rc == 0) {
		c = x->c;
		x->c = NULL;            /* the list has it now */
	}
	create_ctx_free(x);
	free(x);
	if (c == NULL) {
		if (then != NULL)
			then(then_arg, NULL, err);
		else if (req != NULL)
			api_error_from(req, err);
		return NULL;
	}
	log_emit(LOG_INFO, req != NULL ? req->req_id : NULL, NULL, "created "
	    "container %s (%s)%s%s for %s, package %s", c->id, c->name,
	    *json_str(c->extra, "Node", "") != '\0' ? " on node " : "",
	    json_str(c->extra, "Node", ""), c->account, c->package);
	events_container(c->cs, c, "create", NULL);
	if (then != NULL)
		then(then_arg, c, NULL);
	else if (req != NULL)
		api_json(req, 201, json_pack("{s:s,s:[]}", "Id", c->id,
		    "Warnings"));
	return c;
}

static void
create_node_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct create_ctx *x = arg;

	create_pending_remove(x->c);
	create_end(x, req, create_node_answered(x, rc, err), err);
}

#define CREATE_ASYNC 1

/* The first copy of an image's files into the new volumes, on a thread:
 * as many files as the image has at the VOLUME's path.  The volumes'
 * references are written before (so that no rm takes a volume being
 * filled) and the container's row after, as create_record does. */
struct create_copy {
	struct create_ctx *x;
	struct cvol_copy *k;
};

static int
create_copy_fn(void *arg, sdc_error_t *err)
{
	return cvol_copy_run(((struct create_copy *)arg)->k, err);
}

static void
create_copy_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct create_copy *cp = arg;
	struct create_ctx *x = cp->x;
	struct containers *cs = x->cs;

	cvol_copy_free(cp->k);
	free(cp);
	create_pending_remove(x->c);
	if (rc < 0) {
		ctr_rt_error(cs, x->c, err);
		create_unmake(x);
		cvol_abort(cs->d, x->c, &x->vols);
	} else		/* the client gone: made all the same, as dockerd's */
		rc = create_record(x, NULL, err);
	create_end(x, req, rc, err);
}

/* Local, the root mounted: the copies to make go to a thread (k, taken),
 * CREATE_ASYNC; -1 with everything undone. */
static int
create_copy_start(struct create_ctx *x, struct http_request *req,
    struct cvol_copy *k, sdc_error_t *err)
{
	struct containers *cs = x->cs;
	struct create_copy *cp;

	if (cvol_finish(cs->d, x->c, NULL, &x->vols, err) < 0) {
		cvol_copy_free(k);
		create_unmake(x);
		cvol_abort(cs->d, x->c, &x->vols);
		return -1;
	}
	cp = xcalloc(1, sizeof *cp);
	cp->x = x;
	cp->k = k;
	if (rtcall_start(cs->d->base, req, "a volume's first copy",
	    create_copy_fn, create_copy_done, cp, err) < 0) {
		free(cp);
		cvol_copy_free(k);
		create_unmake(x);
		cvol_abort(cs->d, x->c, &x->vols);
		return -1;
	}
	create_pending_add(x->c);
	return CREATE_ASYNC;
}

/* Make the container (x on the heap), its volumes' quota walked: 0 made,
 * -1 with err, CREATE_ASYNC when a thread goes on with it (the volumes'
 * first copy, its node's agent) and ends it (x is then the thread's). */
static int
create_build(struct create_ctx *x, struct http_request *req, sdc_error_t *err)
{
	struct containers *cs = x->cs;
	struct ctr *c = x->c;
	struct cvol_copy *k;
	struct rt_spec spec;
	char *netns = NULL, **hook;
	int rc;

	if (cvol_make(cs->d, c, &x->vols, err) < 0) {
		cvol_abort(cs->d, c, &x->vols);
		return -1;
	}
	create_spec(x, &spec);
	options_spec(&x->opts, &spec);
	spec.idmap = x->idmap;
	spec.netns_path = netns = ctrnet_netns_path(cs, c);
	if (netns != NULL)	/* the daemon writes those (container-net.c) */
		create_drop_net_sysctls(x->opts.sysctls);
	hook = ctrnet_hook(cs, c);
	spec.create_hook = (const char *const *)hook;
	rc = node_create_prepare(cs, c, &spec, x->diff_ids, &x->vols, &x->call,
	    err);
	if (rc == NODES_LOCAL)
		rc = rt_create(&cs->rt, &spec, err);
	else if (rc < 0)
		(*err)->code = 503;     /* nothing was asked of the node */
	strvec_array_free(hook);
	free(netns);
	if (rc < 0) {
		if (x->call == NULL && (*err)->code == 0)
			(*err)->code = 400;
		if (x->call == NULL && (*err)->code != 503)
			ctr_rt_error(cs, c, err);
		cvol_abort(cs->d, c, &x->vols);
		return -1;
	}
	if (x->call == NULL &&
	    (k = cvol_copy_new(cs->d, c, &x->idmap, &x->vols)) != NULL)
		return create_copy_start(x, req, k, err);
	if (x->call == NULL)
		return create_record(x, &x->idmap, err);
	/* the volumes' references first, as for a local copy: the node
	 * fills a new volume meanwhile, and no rm may take it from under
	 * it (a failed create lets them go in cvol_abort) */
	if (cvol_finish(cs->d, c, NULL, &x->vols, err) < 0 ||
	    rtcall_start(cs->d->base, req, "create", create_node_fn,
	    create_node_done, x, err) < 0) {
		cvol_abort(cs->d, c, &x->vols);
		return -1;
	}
	create_pending_add(c);
	return CREATE_ASYNC;
}

/* The account's volumes readied before a create with volumes, on a
 * thread (volumes_account_fs_start): the quota's walk of them
 * (QUOTA_VOLUME_BYTES), as many files as the tenant made, then the
 * mke2fs, mount or resize2fs of their filesystem, so that the volumes
 * made here run no child.  The name is held meanwhile; a client gone
 * before it ended has nothing made. */
static void
create_volumes_ready(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct create_ctx *x = arg;

	create_pending_remove(x->c);
	if (rc == 0 && req == NULL && x->then == NULL) {
		log_info("container %s: its client left during the create, "
		    "nothing was made", x->c->id);
		rc = -1;
	} else if (rc < 0)
		cvol_abort(x->cs->d, x->c, &x->vols);
	else if ((rc = create_build(x, req, err)) == CREATE_ASYNC)
		return;
	create_end(x, req, rc, err);
}

/* Make the container (x on the heap): 0 made, -1 with err, CREATE_ASYNC
 * when a thread goes on with it (the account's volumes readied, the
 * volumes' first copy, its node's agent) and ends it (x is then the
 * thread's). */
static int
create_make(struct create_ctx *x, struct http_request *req, sdc_error_t *err)
{
	struct containers *cs = x->cs;
	struct ctr *c = x->c;

	if (isolation_idmap(cs, c->account, &x->idmap, err) < 0 ||
	    cvol_plan(cs->d, c, &x->vols, err) < 0) {
		cvol_abort(cs->d, c, &x->vols);
		return -1;
	}
	/* no volumes, or no quota: nothing to walk, no filesystem to make */
	if (x->vols.n == 0 ||
	    quota_limit(cs->d, c->account, QUOTA_VOLUME_BYTES) < 0)
		return create_build(x, req, err);
	if (volumes_account_fs_start(cs->d, req, c->account, NULL,
	    create_volumes_ready, x, err) < 0) {
		cvol_abort(cs->d, c, &x->vols);
		return -1;
	}
	create_pending_add(c);
	return CREATE_ASYNC;
}

/* The account's claim, on the create's thread (quota-claims.c). */
static int
create_claim_fn(void *arg, sdc_error_t *err)
{
	return quota_claim_run(((struct create_ctx *)arg)->qc, err);
}

static void
create_claim_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct create_ctx *x = arg;

	create_pending_remove(x->c);
	if (rc == 0) {
		x->claimed = true;
		quota_claim_taken(x->cs->d);
		if ((rc = create_make(x, req, err)) == CREATE_ASYNC)
			return;
	}
	create_end(x, req, rc, err);
}

/* Once checked (x on the heap): the quota's claim taken off the loop
 * when the account has a quota, its name held meanwhile, then the
 * container made.  As create_make. */
static int
create_go(struct create_ctx *x, struct http_request *req, sdc_error_t *err)
{
	if (x->qc == NULL)
		return create_make(x, req, err);
	if (rtcall_start(x->cs->d->base, req, "quota claim", create_claim_fn,
	    create_claim_done, x, err) < 0)
		return -1;
	create_pending_add(x->c);
	return CREATE_ASYNC;
}

/* Config as inspect shows it: HostConfig apart. */
static void
create_split(struct create_ctx *x)
{
	struct ctr *c = x->c;

	c->host_config = json_incref(json_object_get(x->body, "HostConfig"));
	json_object_del(x->body, "HostConfig");
	json_object_del(x->body, "NetworkingConfig");
	if (json_str(x->body, "Hostname", "")[0] == '\0')
		json_object_set_new(x->body, "Hostname", json_stringn(c->id, 12));
	c->config = json_incref(x->body);
	c->package = xstrdup(x->pkg.name);
}

int
ctr_create(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct create_ctx *x = xcalloc(1, sizeof *x);
	sdc_error_t err = NULL;
	char *name = NULL;
	int rc;

	x->cs = ctrs(d);
	if ((x->body = http_body_json(req, &err)) == NULL ||
	    !json_is_object(x->body)) {
		if (err == NULL)
			sdc_make_error_code(&err, 400, "the body must be a JSON "
			    "object");
		create_end(x, req, -1, &err);
		return HTTP_DONE;
	}
	if (create_name(x->cs, req, &name, &err) < 0) {
		create_end(x, req, -1, &err);
		return HTTP_DONE;
	}
	create_ctr_init(x, ctr_account(req), name);
	if (create_check(x, ctr_account(req), api_minor(req), &err) < 0) {
		create_end(x, req, -1, &err);
		return HTTP_DONE;
	}
	create_split(x);
	if ((rc = create_go(x, req, &err)) == CREATE_ASYNC)
		return HTTP_ASYNC;
	create_end(x, req, rc, &err);
	return HTTP_DONE;
}

int
ctr_create_for(struct containers *cs, const char *account, json_t *body,
    ctr_created_fn *then, void *arg, struct ctr **out, sdc_error_t *err)
{
	struct create_ctx *x = xcalloc(1, sizeof *x);
	int rc;

	*out = NULL;
	x->cs = cs;
	x->body = json_incref(body);
	create_ctr_init(x, account, ctr_name_generate(cs, account));
	if (create_check(x, account, API_MAX_MINOR, err) < 0) {
		create_end(x, NULL, -1, err);
		return -1;
	}
	create_split(x);
	x->then = then;
	x->then_arg = arg;
	if ((rc = create_go(x, NULL, err)) == CREATE_ASYNC)
		return CTR_CREATE_ASYNC;
	x->then = NULL;		/* answered here, not through then */
	*out = create_end(x, NULL, rc, err);
	return *out != NULL ? 0 : -1;
}

const struct api_endpoint containers_create_routes[] = {
	{ { "POST", "/containers/create", ctr_create,
	    API_PROVISION, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
