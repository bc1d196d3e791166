/*
 * container-create.c: POST /v1/containers, a container made on this node
 * from the head's create document.
 *
 * The head keeps what is the head's (the Docker body checked, package,
 * quotas, placement, the image resolved, leases, the row) and sends the
 * node only what the runtime needs to make the container's folder in
 * the node's zones root: the rootfs (an overlay of the image's layers),
 * config.json, the user namespace, the hosts, resolv and hostname files,
 * the volumes' mounts and their first copy.  The document is versioned
 * ("Version": 1) so a head and an agent of different releases can tell
 * whether they speak the same one (docs/architecture.md, "Compute nodes",
 * has the fields).
 *
 * The head is trusted to ask, not to name the node's files: the document
 * holds no host path at all.  Layers are digests, found in the node's
 * layer store (a layer not there is refused: the node has not got the
 * image); a volume is "account/volume", two uuids under the node's
 * volumes root; a joined network namespace is a container's Docker id
 * under the node's net folder; the init and the network hook are yes or
 * no, the binaries the node's own.  Every other string is checked for
 * the shape the runtime puts it in (a path inside the container, a
 * capability's name, "key=value" ...), a field the agent does not know
 * is refused rather than ignored, and a container without a user
 * namespace (the host's root as its root) is never made.
 *
 * A create leaves nothing behind when it fails: rt_create takes its
 * folder back, and the volumes' copy failing takes the container back.
 * An agent killed in the middle leaves a mark, DATA/creating/UUID, made
 * before the folder and removed once the answer is written; at its next
 * start the agent removes every container still marked, so a create the
 * head never heard the end of is not left half-made on the node.  A mark
 * already there refuses a second create of the same id (409).
 *
 * The document's checks run on the agent's loop; the runtime's work (the
 * overlay mounted, the bundle written, and the volumes' first copy,
 * seconds for an image of thousands of files) on a thread of its own
 * (lib/rtcall.c, as container-ops.c), so the heads' pings and the other
 * containers' calls are answered meanwhile.  Two creates filling the
 * same new volume may now overlap: rt_volume_populate's lock has the
 * second wait for the first's copy.
 *
 * That copy is as long as the image makes it, so a head cannot bound the
 * call by a total time.  A head that asks with ?progress=1 is answered
 * 200 at once with a stream of JSON lines: {"Entries", "Bytes"} each
 * CREATE_TICK_MS the copy has moved (nothing while it does not), and last
 * the create's own answer, {"Status", "ID"} or {"Status", "message"}, the
 * status the plain call would have had.  The head then gives up on a
 * create only when it stops moving (dockerapi/node-create.c).  The
 * document's refusals (400, 409, 424) come before the stream, as plain
 * answers.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "dockerapi/runtime/container-layout.h"
#include "fsutil.h"
#include "http.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "rtcall.h"
#include "strvec.h"
#include "xalloc.h"

#define CREATE_DOC_VERSION 1
#define CREATE_LXCFS_DIR "/var/lib/lxcfs"       /* Debian's, as the head's */
#define CREATE_INIT "/usr/bin/tini-static"
/* A container's ids start above the host's own (userns.c); a document
 * asking for lower ones is refused. */
#define CREATE_MIN_HOST_ID 65536u
/* How often a create's stream says how far its copy has got. */
#define CREATE_TICK_MS 250

/* Everything the spec points to: strings are the document's own. */
struct create_job {
	struct agent *a;
	json_t *doc;
	struct rt_config rt;             /* the node's, lxcfs as asked */
	struct rt_spec spec;
	char **layers;                  /* malloc'ed paths, NULL-ended */
	const char **argv, **env, **caps, **group_add, **sysctls, **hosts;
	struct rt_mount *mounts;
	char **volume_dirs;             /* per mount: the volume's folder */
	bool *populate;
	struct rt_rlimit *rlimits;
	struct rt_tmpfs *tmpfs;
	char *netns;
	char **hook;
	json_t *missing;                /* the layers this node lacks */
	bool stream;                    /* ?progress=1: answered in lines */
	struct rt_copy_progress progress; /* the copy's, read by the tick */
	int64_t told;                   /* what the stream said last */
};

static void
create_job_free(struct create_job *j)
{
	for (size_t i = 0; i < j->spec.nmounts; i++) {
		free((char *)j->mounts[i].source);
		free(j->volume_dirs[i]);
	}
	free(j->mounts);
	free(j->volume_dirs);
	free(j->populate);
	strvec_array_free(j->layers);
	free(j->argv);
	free(j->env);
	free(j->caps);
	free(j->group_add);
	free(j->sysctls);
	free(j->hosts);
	free(j->rlimits);
	free(j->tmpfs);
	free(j->netns);
	strvec_array_free(j->hook);
	json_decref(j->missing);
	json_decref(j->doc);
	free(j);
}

/* --- the shapes a field may have --- */

/* A JSON string with no NUL inside and at most max bytes. */
static bool
doc_text(const json_t *v, size_t max)
{
	return json_is_string(v) &&
	    strlen(json_string_value(v)) == json_string_length(v) &&
	    json_string_length(v) <= max;
}

static bool
doc_chars(const char *s, const char *allowed)
{
	return strspn(s, allowed) == strlen(s);
}

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

/* A path inside the container: absolute, no "..", not on the
 * kernel's own file systems. */
static bool
doc_inside_path(const char *d)
{
	return d[0] == '/' && strstr(d, "/../") == NULL &&
	    (strlen(d) < 3 || strcmp(d + strlen(d) - 3, "/..") != 0) &&
	    strpbrk(d, ",:\n") == NULL && strcmp(d, "/") != 0 &&
	    strcmp(d, "/proc") != 0 && strncmp(d, "/proc/", 6) != 0 &&
	    strcmp(d, "/sys") != 0 && strncmp(d, "/sys/", 5) != 0 &&
	    strcmp(d, "/dev") != 0 && strncmp(d, "/dev/", 5) != 0;
}

/* A field's value as an array of strings each passing ok (NULL: any
 * text), NULL-ended, pointing into the document; absent: NULL. */
static int
doc_strv(const json_t *doc, const char *key, bool (*ok)(const char *),
    const char ***out, sdc_error_t *err)
{
	const json_t *a = json_object_get(doc, key), *v;
	size_t i;

	*out = NULL;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 4096)
		return sdc_make_error_code(err, 400, "%s: an array of strings",
		    key);
	*out = xcalloc(json_array_size(a) + 1, sizeof **out);
	json_array_foreach(a, i, v) {
		if (!doc_text(v, 65536) || (ok != NULL &&
		    !ok(json_string_value(v))))
			return sdc_make_error_code(err, 400, "%s[%zu]: not a "
			    "value this field takes", key, i);
		(*out)[i] = json_string_value(v);
	}
	return 0;
}

/* The head passes the image's entries as the image has them. */
static bool
ok_env(const char *s)
{
	return *s != '\0' && s[0] != '=';
}

static bool
ok_cap(const char *s)
{
	return strncmp(s, "CAP_", 4) == 0 && s[4] != '\0' &&
	    doc_chars(s + 4, UPPER "_");
}

static bool
ok_group(const char *s)
{
	return *s != '\0' && strlen(s) <= 64 && strpbrk(s, ":\n/") == NULL;
}

static bool
ok_sysctl(const char *s)
{
	size_t k = strcspn(s, "=");

	return k > 0 && s[k] == '=' && strspn(s, LOWER DIGIT "._-/") == k &&
	    strchr(s, '\n') == NULL;
}

static bool
ok_host(const char *s)
{
	return strchr(s, ':') != NULL && strpbrk(s, "\n\r\t ") == NULL;
}

/* The keys a version 1 document may have. */
static const char *const doc_keys[] = {
	"Version", "ID", "Layers", "Argv", "Env", "Cwd", "User", "Hostname",
	"Tty", "OpenStdin", "ReadonlyRootfs", "Mounts", "Memory", "CpuQuota",
	"CpuPeriod", "CpuShares", "PidsLimit", "Disk", "MemoryReservation",
	"ShmSize", "OomScoreAdj", "Caps", "NoNewPrivileges", "Rlimits",
	"Tmpfs", "GroupAdd", "Sysctls", "ExtraHosts", "Init", "Cgroupns",
	"ConsoleHeight", "ConsoleWidth", "IDMap", "NetnsOf", "NetworkHook",
	"Lxcfs", NULL,
};

static int
doc_known(const json_t *doc, sdc_error_t *err)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)doc, k, v) {
		size_t i;

		for (i = 0; doc_keys[i] != NULL && strcmp(doc_keys[i], k) != 0; i++)
			;
		if (doc_keys[i] == NULL)
			return sdc_make_error_code(err, 400, "unknown field \"%s\" "
			    "in the create document (version %d)", k,
			    CREATE_DOC_VERSION);
	}
	return 0;
}

/* A number field in [min, max]; absent: 0. */
static int
doc_num(const json_t *doc, const char *key, json_int_t min, json_int_t max,
    json_int_t *out, sdc_error_t *err)
{
	const json_t *v = json_object_get(doc, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return sdc_make_error_code(err, 400, "%s: an integer from %lld "
		    "to %lld", key, (long long)min, (long long)max);
	*out = json_integer_value(v);
	return 0;
}

/* A string field passing ok; absent or "": NULL. */
static int
doc_str(const json_t *doc, const char *key, size_t max,
    bool (*ok)(const char *), const char **out, sdc_error_t *err)
{
	const json_t *v = json_object_get(doc, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!doc_text(v, max) || (json_string_length(v) > 0 && ok != NULL &&
	    !ok(json_string_value(v))))
		return sdc_make_error_code(err, 400, "%s: not a value this field "
		    "takes", key);
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return 0;
}

static int
doc_flag(const json_t *doc, const char *key, bool *out, sdc_error_t *err)
{
	const json_t *v = json_object_get(doc, key);

	*out = json_is_true(v);
	if (v != NULL && !json_is_boolean(v))
		return sdc_make_error_code(err, 400, "%s: true or false", key);
	return 0;
}

static bool
ok_cwd(const char *s)
{
	return s[0] == '/' && strchr(s, '\n') == NULL;
}

static bool
ok_user(const char *s)
{
	return strpbrk(s, "\n/") == NULL;
}

static bool
ok_hostname(const char *s)
{
	return doc_chars(s, UPPER LOWER DIGIT ".-_");
}

/* --- the parts that name the node's files --- */

/* sha256:<64 hex> */
static bool
ok_digest(const char *s)
{
	return strncmp(s, "sha256:", 7) == 0 && strlen(s) == 71 &&
	    doc_chars(s + 7, DIGIT "abcdef");
}

static int
doc_layers(struct agent *a, struct create_job *j, sdc_error_t *err)
{
	const json_t *l = json_object_get(j->doc, "Layers"), *v;
	struct stat st;
	size_t i;

	if (!json_is_array(l) || json_array_size(l) == 0 ||
	    json_array_size(l) > 128)
		return sdc_make_error_code(err, 400, "Layers: the image's layers "
		    "(1 to 128 digests, lowest first)");
	j->layers = xcalloc(json_array_size(l) + 1, sizeof *j->layers);
	json_array_foreach(l, i, v) {
		if (!doc_text(v, 71) || !ok_digest(json_string_value(v)))
			return sdc_make_error_code(err, 400, "Layers[%zu]: a "
			    "sha256 digest", i);
		xasprintf(&j->layers[i], "%s/%s/diff", a->opt->images,
		    json_string_value(v) + 7);
		if (stat(j->layers[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			/* every one named, so a head sends them all at once */
			if (j->missing == NULL)
				j->missing = json_array();
			json_array_append(j->missing, (json_t *)v);
		}
	}
	if (j->missing != NULL)
		return sdc_make_error_code(err, 424, "layer %s is not on this "
		    "node%s", json_string_value(json_array_get(j->missing, 0)),
		    json_array_size(j->missing) > 1 ? ", nor are others" : "");
	j->spec.layers = (const char *const *)j->layers;
	return 0;
}

/* "account/volume": two uuids, the volume's folder under the node's
 * volumes root. */
static bool
ok_volume(const char *s)
{
	char acct[UUID_LEN + 1];

	if (strlen(s) != 2 * UUID_LEN + 1 || s[UUID_LEN] != '/')
		return false;
	memcpy(acct, s, UUID_LEN);
	acct[UUID_LEN] = '\0';
	return uuid_valid(acct) && uuid_valid(s + UUID_LEN + 1);
}

static int
doc_mounts(struct agent *a, struct create_job *j, sdc_error_t *err)
{
	const json_t *m = json_object_get(j->doc, "Mounts"), *v;
	size_t i, n = json_array_size(m);
	const char *vol, *dest;
	struct stat st;

	if (m != NULL && (!json_is_array(m) || n > 256))
		return sdc_make_error_code(err, 400, "Mounts: an array of "
		    "volumes");
	j->mounts = xcalloc(n + 1, sizeof *j->mounts);
	j->volume_dirs = xcalloc(n + 1, sizeof *j->volume_dirs);
	j->populate = xcalloc(n + 1, sizeof *j->populate);
	json_array_foreach(m, i, v) {
		const json_t *ro = json_object_get(v, "ReadOnly");
		const json_t *pop = json_object_get(v, "Populate");

		vol = json_str(v, "Volume", "");
		dest = json_str(v, "Destination", "");
		if (!json_is_object(v) || json_object_size(v) > 4 ||
		    !ok_volume(vol) || !doc_text(json_object_get(v,
		    "Destination"), PATH_MAX) || !doc_inside_path(dest) ||
		    (ro != NULL && !json_is_boolean(ro)) ||
		    (pop != NULL && !json_is_boolean(pop)))
			return sdc_make_error_code(err, 400, "Mounts[%zu]: "
			    "{\"Volume\": \"ACCOUNT/VOLUME\", \"Destination\": "
			    "a path inside, \"ReadOnly\", \"Populate\"}", i);
		xasprintf(&j->volume_dirs[i], "%s/%s", a->opt->volumes, vol);
		xasprintf((char **)&j->mounts[i].source, "%s/_data",
		    j->volume_dirs[i]);
		j->mounts[i].destination = dest;
		j->mounts[i].readonly = json_is_true(ro);
		j->populate[i] = json_is_true(pop);
		j->spec.nmounts = i + 1;
		if (lstat(j->mounts[i].source, &st) < 0 || !S_ISDIR(st.st_mode))
			return sdc_make_error_code(err, 424, "volume %s is not "
			    "on this node", vol + UUID_LEN + 1);
	}
	j->spec.mounts = j->mounts;
	return 0;
}

static int
doc_rlimits(struct create_job *j, sdc_error_t *err)
{
	const json_t *r = json_object_get(j->doc, "Rlimits"), *v;
	size_t i;

	if (r != NULL && (!json_is_array(r) || json_array_size(r) > 64))
		return sdc_make_error_code(err, 400, "Rlimits: an array");
	j->rlimits = xcalloc(json_array_size(r) + 1, sizeof *j->rlimits);
	json_array_foreach(r, i, v) {
		const char *type = json_str(v, "Type", "");
		json_int_t soft = json_int(v, "Soft", -1), hard = json_int(v,
		    "Hard", -1);

		if (strncmp(type, "RLIMIT_", 7) != 0 || type[7] == '\0' ||
		    !doc_chars(type + 7, UPPER) || soft < 0 || hard < 0)
			return sdc_make_error_code(err, 400, "Rlimits[%zu]: "
			    "{\"Type\": \"RLIMIT_...\", \"Soft\", \"Hard\"}", i);
		j->rlimits[i] = (struct rt_rlimit){ type, (uint64_t)soft,
		    (uint64_t)hard };
	}
	j->spec.rlimits = j->rlimits;
	j->spec.nrlimits = json_array_size(r);
	return 0;
}

/* A tmpfs may go where the head lets it (container-options.c): /dev's
 * folders too, never /proc or /sys. */
static bool
ok_tmpfs_dest(const char *d)
{
	return d[0] == '/' && d[1] != '\0' && strstr(d, "..") == NULL &&
	    strcmp(d, "/proc") != 0 && strncmp(d, "/proc/", 6) != 0 &&
	    strcmp(d, "/sys") != 0 && strncmp(d, "/sys/", 5) != 0 &&
	    strpbrk(d, ",\n") == NULL;
}

static int
doc_tmpfs(struct create_job *j, sdc_error_t *err)
{
	const json_t *t = json_object_get(j->doc, "Tmpfs"), *v;
	size_t i;

	if (t != NULL && (!json_is_array(t) || json_array_size(t) > 64))
		return sdc_make_error_code(err, 400, "Tmpfs: an array");
	j->tmpfs = xcalloc(json_array_size(t) + 1, sizeof *j->tmpfs);
	json_array_foreach(t, i, v) {
		const char *dest = json_str(v, "Destination", "");
		const char *opts = json_str(v, "Options", "");

		if (!ok_tmpfs_dest(dest) || strlen(dest) > PATH_MAX ||
		    !doc_chars(opts, LOWER UPPER DIGIT "=,_.-"))
			return sdc_make_error_code(err, 400, "Tmpfs[%zu]: "
			    "{\"Destination\": a path inside, \"Options\"}", i);
		j->tmpfs[i] = (struct rt_tmpfs){ dest, opts };
	}
	j->spec.tmpfs = j->tmpfs;
	j->spec.ntmpfs = json_array_size(t);
	return 0;
}

/* The user namespace: always one, its ids above the host's own. */
static int
doc_idmap(struct create_job *j, sdc_error_t *err)
{
	const json_t *m = json_object_get(j->doc, "IDMap");
	json_int_t uid = json_int(m, "UID", -1), gid = json_int(m, "GID", -1);
	json_int_t count = json_int(m, "Count", 0);

	if (!json_is_object(m) || uid < CREATE_MIN_HOST_ID ||
	    gid < CREATE_MIN_HOST_ID || count < 1 || count > 65536 * 256 ||
	    uid + count > UINT32_MAX || gid + count > UINT32_MAX)
		return sdc_make_error_code(err, 400, "IDMap: {\"UID\", \"GID\", "
		    "\"Count\"}: the container's ids on the host, above %u; a "
		    "container without a user namespace is not made",
		    CREATE_MIN_HOST_ID);
	j->spec.idmap = (struct rt_idmap){ (uid_t)uid, (gid_t)gid,
	    (uint32_t)count };
	return 0;
}

static int
doc_node_files(struct agent *a, struct create_job *j, sdc_error_t *err)
{
	const char *netns;
	bool init, hook, lxcfs;
	struct stat st;

	if (doc_str(j->doc, "NetnsOf", DOCKER_ID_LEN, NULL, &netns, err) < 0 ||
	    doc_flag(j->doc, "Init", &init, err) < 0 ||
	    doc_flag(j->doc, "NetworkHook", &hook, err) < 0 ||
	    doc_flag(j->doc, "Lxcfs", &lxcfs, err) < 0)
		return -1;
	if (netns != NULL) {
		if (!docker_id_valid(netns))
			return sdc_make_error_code(err, 400, "NetnsOf: the "
			    "Docker id of the container whose network is joined");
		xasprintf(&j->netns, "%s/netns/%s", a->opt->net_dir, netns);
		if (lstat(j->netns, &st) < 0)
			return sdc_make_error_code(err, 424, "the network of "
			    "container %.12s is not on this node", netns);
		j->spec.netns_path = j->netns;
	}
	if (netns != NULL && hook)
		return sdc_make_error_code(err, 400, "NetnsOf and NetworkHook: "
		    "a container joins a network or another's, not both");
	if (hook) {
		j->hook = xcalloc(3, sizeof *j->hook);
		j->hook[0] = rt_binary_path("sdc-docker-nethook");
		xasprintf(&j->hook[1], "%s/%s/%s", a->opt->zones, j->spec.id,
		    RT_FILE_NETPLAN);
		j->spec.create_hook = (const char *const *)j->hook;
	}
	if (init)
		j->spec.init = CREATE_INIT;
	if (lxcfs) {
		if (access(CREATE_LXCFS_DIR "/proc/meminfo", R_OK) != 0)
			return sdc_make_error_code(err, 424, "this node has no "
			    "lxcfs at %s", CREATE_LXCFS_DIR);
		j->rt.lxcfs_dir = CREATE_LXCFS_DIR;
	}
	return 0;
}

/* The document into j->spec; err->code 400 (or 424: this node lacks
 * what it names) when it is not one this agent takes. */
static int
create_parse(struct agent *a, struct create_job *j, sdc_error_t *err)
{
	const json_t *doc = j->doc;
	struct rt_spec *s = &j->spec;
	json_int_t n;
	const char *id;

	if (!json_is_object(doc))
		return sdc_make_error_code(err, 400, "the body must be a JSON "
		    "object: the create document");
	if (json_int(doc, "Version", 0) != CREATE_DOC_VERSION)
		return sdc_make_error_code(err, 400, "create document version "
		    "%lld: this agent speaks version %d",
		    (long long)json_int(doc, "Version", 0), CREATE_DOC_VERSION);
	if (doc_known(doc, err) < 0)
		return -1;
	id = json_str(doc, "ID", "");
	if (!uuid_valid(id))
		return sdc_make_error_code(err, 400, "ID: the container's uuid");
	s->id = id;
	if (doc_strv(doc, "Argv", NULL, &j->argv, err) < 0 ||
	    doc_strv(doc, "Env", ok_env, &j->env, err) < 0 ||
	    doc_strv(doc, "Caps", ok_cap, &j->caps, err) < 0 ||
	    doc_strv(doc, "GroupAdd", ok_group, &j->group_add, err) < 0 ||
	    doc_strv(doc, "Sysctls", ok_sysctl, &j->sysctls, err) < 0 ||
	    doc_strv(doc, "ExtraHosts", ok_host, &j->hosts, err) < 0)
		return -1;
	if (j->argv == NULL || j->argv[0] == NULL)
		return sdc_make_error_code(err, 400, "Argv: the command, not "
		    "empty");
	s->argv = j->argv;
	s->env = j->env;
	s->caps = j->caps;
	s->group_add = j->group_add;
	s->sysctls = j->sysctls;
	s->extra_hosts = j->hosts;
	if (doc_str(doc, "Cwd", PATH_MAX, ok_cwd, &s->cwd, err) < 0 ||
	    doc_str(doc, "User", 256, ok_user, &s->user, err) < 0 ||
	    doc_str(doc, "Hostname", 255, ok_hostname, &s->hostname, err) < 0 ||
	    doc_flag(doc, "Tty", &s->tty, err) < 0 ||
	    doc_flag(doc, "OpenStdin", &s->open_stdin, err) < 0 ||
	    doc_flag(doc, "ReadonlyRootfs", &s->readonly_rootfs, err) < 0 ||
	    doc_flag(doc, "NoNewPrivileges", &s->no_new_privileges, err) < 0 ||
	    doc_flag(doc, "Cgroupns", &s->cgroupns, err) < 0)
		return -1;
	if (doc_num(doc, "Memory", 0, INT64_MAX, &n, err) < 0)
		return -1;
	s->memory = n;
	if (doc_num(doc, "CpuQuota", 0, INT64_MAX, &n, err) < 0)
		return -1;
	s->cpu_quota = n;
	if (doc_num(doc, "CpuPeriod", 0, 1000000, &n, err) < 0)
		return -1;
	s->cpu_period = n;
	if (doc_num(doc, "CpuShares", 0, 262144, &n, err) < 0)
		return -1;
	s->cpu_shares = (uint64_t)n;
	if (doc_num(doc, "PidsLimit", 0, INT64_MAX, &n, err) < 0)
		return -1;
	s->pids_limit = n;
	if (doc_num(doc, "Disk", 0, INT64_MAX, &n, err) < 0)
		return -1;
	s->disk = n;
	if (doc_num(doc, "MemoryReservation", 0, INT64_MAX, &n, err) < 0)
		return -1;
	s->memory_reservation = n;
	if (doc_num(doc, "ShmSize", 0, INT64_MAX, &n, err) < 0)
		return -1;
	s->shm_size = n;
	if (doc_num(doc, "OomScoreAdj", -1000, 1000, &n, err) < 0)
		return -1;
	s->oom_score_adj = (int)n;
	if (doc_num(doc, "ConsoleHeight", 0, 65535, &n, err) < 0)
		return -1;
	s->console_height = (unsigned)n;
	if (doc_num(doc, "ConsoleWidth", 0, 65535, &n, err) < 0)
		return -1;
	s->console_width = (unsigned)n;
	return doc_idmap(j, err) < 0 || doc_rlimits(j, err) < 0 ||
	    doc_tmpfs(j, err) < 0 || doc_layers(a, j, err) < 0 ||
	    doc_mounts(a, j, err) < 0 || doc_node_files(a, j, err) < 0 ? -1 : 0;
}

/* --- the mark of a create in progress --- */

static char *
create_mark_path(struct agent *a, const char *uuid)
{
	char *p;

	xasprintf(&p, "%s/creating/%s", a->opt->data_dir, uuid);
	return p;
}

/* Made anew or not at all: a mark already there is a create of this id
 * under way (its thread still running), and a second would unmark it. */
static int
create_mark(struct agent *a, const char *uuid, sdc_error_t *err)
{
	char *dir, *p = create_mark_path(a, uuid);
	int fd = -1;

	xasprintf(&dir, "%s/creating", a->opt->data_dir);
	if (mkdir_p(dir, 0700, err) == 0 && (fd = open(p, O_WRONLY | O_CREAT |
	    O_EXCL | O_CLOEXEC, 0600)) < 0)
		sdc_make_error(err, errno, "%s", p);
	if (fd >= 0) {
		close(fd);
		fsync_dir_of(p);	/* a crash keeps the mark */
	}
	free(dir);
	free(p);
	return fd >= 0 ? 0 : -1;
}

static void
create_unmark(struct agent *a, const char *uuid)
{
	char *p = create_mark_path(a, uuid);

	(void)unlink(p);
	free(p);
}

bool
agent_create_underway(struct agent *a, const char *uuid)
{
	char *p = create_mark_path(a, uuid);
	bool yes = access(p, F_OK) == 0;

	free(p);
	return yes;
}

void
agent_create_recover(struct agent *a)
{
	sdc_error_t err = NULL;
	struct dirent *e;
	char *dir;
	DIR *ds;

	xasprintf(&dir, "%s/creating", a->opt->data_dir);
	if ((ds = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((e = readdir(ds)) != NULL) {
		if (!uuid_valid(e->d_name))
			continue;
		if (rt_delete(&a->rt, e->d_name, true, &err) < 0 &&
		    err->code != 404 && err->errnum != ENOENT) {
			log_warn("container %s: a create cut short: %s",
			    e->d_name, sdc_error_msg(err));
			sdc_error_release(&err);
			continue;
		}
		sdc_error_release(&err);
		log_info("container %s: a create cut short, taken back",
		    e->d_name);
		create_unmark(a, e->d_name);
	}
	closedir(ds);
	free(dir);
}

/* --- the route --- */

/* The volumes' first copy, once the root is mounted. */
static int
create_populate(struct create_job *j, sdc_error_t *err)
{
	for (size_t i = 0; i < j->spec.nmounts; i++)
		if (j->populate[i] && rt_volume_populate(&j->rt, j->spec.id,
		    j->mounts[i].destination, j->volume_dirs[i], &j->spec.idmap,
		    &j->progress, err) < 0)
			return -1;
	return 0;
}

/* On the create's thread (lib/rtcall.c): the rootfs mounted and the
 * bundle written, then the volumes' first copy, which for an image of
 * thousands of files takes seconds; j is the thread's alone until done.
 * A copy that fails takes the container back. */
static int
create_job_fn(void *arg, sdc_error_t *err)
{
	struct create_job *j = arg;
	sdc_error_t ignored = NULL;

	if (rt_create(&j->rt, &j->spec, err) < 0)
		return -1;
	if (create_populate(j, err) < 0) {
		rt_delete(&j->rt, j->spec.id, true, &ignored);
		sdc_error_release(&ignored);
		return -1;
	}
	return 0;
}

/* On the loop while the create's thread runs: a line on the stream
 * when its copy has moved since the last. */
static void
create_job_tick(void *arg, struct http_request *req)
{
	struct create_job *j = arg;
	int64_t entries = atomic_load(&j->progress.entries);
	int64_t bytes = atomic_load(&j->progress.bytes);

	if (entries + bytes == j->told)
		return;
	j->told = entries + bytes;
	http_stream_printf(req, "{\"Entries\":%lld,\"Bytes\":%lld}\n",
	    (long long)entries, (long long)bytes);
}

/* The create's answer: plain, or the stream's last line. */
static void
create_answer(struct http_request *req, struct create_job *j, int status,
    json_t *body)
{
	char *line;

	if (!j->stream) {
		http_reply_json(req, status, body);
		return;
	}
	json_object_set_new(body, "Status", json_integer(status));
	line = json_dumps(body, JSON_COMPACT);
	http_stream_printf(req, "%s\n", line);
	http_stream_end(req);
	free(line);
	json_decref(body);
}

/* Back on the loop: the answer (none if the head has gone: the
 * container stays made, and the head that asks again is told 409), then
 * the mark removed, so an agent killed before the answer left still
 * takes the container back at its next start. */
static void
create_job_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct create_job *j = arg;
	int status;
	char *text;

	if (rc < 0) {
		/* with no code and no errno, the runtime refused what the
		 * document asks (a user or group the image has not): the
		 * client's 400, as a head's own create answers it */
		status = (*err)->errnum == EEXIST ? 409 : (*err)->code != 0 ?
		    (*err)->code : (*err)->errnum == 0 ? 400 : 500;
		text = rt_error_public(&j->rt, j->spec.id,
		    (const char *const *)j->layers, sdc_error_msg(*err));
		log_warn("container %s: create: %s", j->spec.id,
		    sdc_error_msg(*err));
		sdc_error_release(err);
		if (req != NULL)
			create_answer(req, j, status, json_pack("{s:s}",
			    "message", status == 409 ? "a container of this id "
			    "is already on this node" : text));
		free(text);
	} else {
		log_info("container %s: created (%zu layers, %zu volumes)",
		    j->spec.id, json_array_size(json_object_get(j->doc,
		    "Layers")), j->spec.nmounts);
		if (req != NULL)
			create_answer(req, j, 201, json_pack("{s:s}", "ID",
			    j->spec.id));
	}
	create_unmark(j->a, j->spec.id);
	create_job_free(j);
}

/* The document refused: 400, or 424 naming what this node lacks. */
static int
create_refused(struct http_request *req, struct create_job *j,
    sdc_error_t *err)
{
	int rc;

	if (*err == NULL)
		sdc_make_error_code(err, 400, "the body must be a JSON "
		    "object: the create document");
	log_warn("create refused: %s", sdc_error_msg(*err));
	if ((*err)->code == 424 && j->missing != NULL) /* a head sends them */
		rc = http_reply_json(req, 424, json_pack("{s:s, s:O}",
		    "message", sdc_error_msg(*err), "MissingLayers", j->missing));
	else
		rc = agent_error(req, (*err)->code ? (*err)->code : 400,
		    sdc_error_msg(*err));
	sdc_error_release(err);
	create_job_free(j);
	return rc;
}

/* The document is parsed and checked on the loop (its layers' and
 * volumes' folders looked at), the runtime's work done on a thread. */
static int
ctr_create(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	struct create_job *j = xcalloc(1, sizeof *j);
	sdc_error_t err = NULL;
	int rc;

	j->a = a;
	j->rt = a->rt;
	j->rt.lxcfs_dir = NULL;
	if ((j->doc = http_body_json(req, &err)) == NULL ||
	    create_parse(a, j, &err) < 0)
		return create_refused(req, j, &err);
	if (create_mark(a, j->spec.id, &err) < 0) {
		/* a create of this id under way here already */
		rc = agent_error(req, err->errnum == EEXIST ? 409 : 500,
		    err->errnum == EEXIST ? "a container of this id is "
		    "already on this node" : sdc_error_msg(err));
		sdc_error_release(&err);
		create_job_free(j);
		return rc;
	}
	/* a head's create: told as it goes (a plain call has no stream) */
	j->stream = http_query_bool(req, "progress", false);
	rc = j->stream ? rtcall_start_ticking(a->base, req, "create",
	    create_job_fn, create_job_tick, CREATE_TICK_MS, create_job_done, j,
	    &err) : rtcall_start(a->base, req, "create", create_job_fn,
	    create_job_done, j, &err);
	if (rc == 0) {
		if (j->stream)
			http_stream_start(req, 200, "application/x-ndjson");
		return HTTP_ASYNC;
	}
	create_unmark(a, j->spec.id);
	rc = agent_error(req, 500, sdc_error_msg(err));
	sdc_error_release(&err);
	create_job_free(j);
	return rc;
}

const struct route agent_create_routes[] = {
	{ "POST", "/v1/containers", ctr_create, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
