/*
 * layers-sweep.c: the layers heads sent this node, removed once no
 * container of the node has used them for layer_idle.
 *
 * A node's layer store fills on demand (layers.c) and would only grow:
 * a node that ran an image once keeps its layers for ever.  So each
 * layer the agent received is recorded in DATA/layers/<diff hex>, the
 * file's mtime standing for the last time the layer was seen in use, and
 * a sweep every half layer_idle (half a second to ten minutes) reads
 * which layers the node's containers stand on (the "layers" of each
 * container's runtime.json, the lower dirs the runtime mounts): those
 * get their record touched, and a recorded layer untouched for
 * layer_idle goes.  Only recorded layers are ever removed: on one
 * machine the agent's --images is the head's own store, whose layers
 * are the head's to collect, and those were never sent, so never
 * recorded.  The node keeps no images, so "in use" is its containers';
 * a create that needs a removed layer again gets it sent again.
 *
 * The sweep's look and the layer's rename out of the store run on the
 * loop, where creates are also checked and made, so no create can find a
 * layer half-gone or lose one between its check and its mount; the
 * rename takes the layer to <images>/.incoming, and the removal of its
 * files runs on a thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <jansson.h>

#include "agent.h"
#include "dockerapi/images/images.h"
#include "dockerapi/runtime/container-layout.h"
#include "fsutil.h"
#include "ids.h"
#include "log.h"
#include "rtcall.h"
#include "strvec.h"
#include "xalloc.h"

static bool
sweep_hex(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static char *
sweep_record(const struct agent *a, const char *hex)
{
	char *p;

	xasprintf(&p, "%s/layers/%s", a->opt->data_dir, hex);
	return p;
}

void
agent_layers_sent(struct agent *a, const char *diff_id)
{
	sdc_error_t err = NULL;
	char *dir, *p;
	int fd;

	if (strncmp(diff_id, "sha256:", 7) != 0 || !sweep_hex(diff_id + 7))
		return;
	xasprintf(&dir, "%s/layers", a->opt->data_dir);
	p = sweep_record(a, diff_id + 7);
	if (mkdir_p(dir, 0700, &err) == 0 &&
	    (fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0) {
		futimens(fd, NULL);
		close(fd);
	} else
		log_warn("layer %s: not recorded for the sweep: %s", diff_id,
		    err != NULL ? sdc_error_msg(err) : strerror(errno));
	sdc_error_release(&err);
	free(dir);
	free(p);
}

/* The layers (hex) the node's containers stand on. */
static void
sweep_used(struct agent *a, struct strvec *used)
{
	size_t plen = strlen(a->opt->images);
	struct dirent *e;
	const json_t *v;
	json_t *rt;
	char *path;
	DIR *ds;
	size_t i;

	if ((ds = opendir(a->opt->zones)) == NULL)
		return;
	while ((e = readdir(ds)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		xasprintf(&path, "%s/%s/%s", a->opt->zones, e->d_name,
		    RT_FILE_RUNTIME);
		rt = json_load_file(path, 0, NULL);
		free(path);
		json_array_foreach(json_object_get(rt, "layers"), i, v) {
			const char *l = json_string_value(v);
			if (l != NULL && strncmp(l, a->opt->images, plen) == 0 &&
			    l[plen] == '/' && strlen(l + plen + 1) >= 64) {
				char hex[65];
				memcpy(hex, l + plen + 1, 64);
				hex[64] = '\0';
				if (sweep_hex(hex) && !strvec_has(used, hex))
					strvec_push(used, hex);
			}
		}
		json_decref(rt);
	}
	closedir(ds);
}

static int
sweep_rmtree(void *arg, sdc_error_t *err)
{
	return fs_rmtree(arg, err);
}

static void
sweep_removed(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	(void)req;
	if (rc < 0)
		log_warn("removing %s: %s", (char *)arg, sdc_error_msg(*err));
	free(arg);
}

/* The layer out of the store now (a rename), its files on a thread. */
static void
sweep_remove(struct agent *a, const char *hex, int64_t idle_s)
{
	char *from, *to, *rec = sweep_record(a, hex), id[UUID_LEN + 1];
	sdc_error_t err = NULL;

	uuid_make(id);
	xasprintf(&from, "%s/%s", a->opt->images, hex);
	xasprintf(&to, "%s/%s/swept-%s", a->opt->images, IMAGES_NODE_INCOMING,
	    id);
	if (rename(from, to) < 0 && errno != ENOENT) {
		log_warn("layer sha256:%s: not removed: %s", hex, strerror(errno));
		free(to);
	} else {
		log_info("layer sha256:%s: removed, no container used it for "
		    "%lld s", hex, (long long)idle_s);
		(void)unlink(rec);
		if (rtcall_start(a->base, NULL, "layer removal", sweep_rmtree,
		    sweep_removed, to, &err) < 0) {
			log_warn("layer sha256:%s: %s", hex, sdc_error_msg(err));
			sdc_error_release(&err);
			free(to);
		}
	}
	free(from);
	free(rec);
}

static void
sweep_run(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct strvec used = { 0 };
	struct dirent *e;
	struct stat st;
	char *dir, *rec;
	time_t now = time(NULL);
	DIR *ds;

	(void)fd;
	(void)what;
	xasprintf(&dir, "%s/layers", a->opt->data_dir);
	if ((ds = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	sweep_used(a, &used);
	while ((e = readdir(ds)) != NULL) {
		if (!sweep_hex(e->d_name))
			continue;
		rec = sweep_record(a, e->d_name);
		if (strvec_has(&used, e->d_name))
			(void)utimensat(AT_FDCWD, rec, NULL, 0);
		else if (stat(rec, &st) == 0 && (int64_t)(now - st.st_mtime) *
		    1000 >= a->opt->layer_idle_ms)
			sweep_remove(a, e->d_name, (int64_t)(now - st.st_mtime));
		free(rec);
	}
	closedir(ds);
	strvec_clear(&used);
	free(dir);
}

void
agent_layers_sweep_start(struct agent *a)
{
	a->layer_sweep = agent_sweep_timer(a, a->opt->layer_idle_ms, 600000,
	    sweep_run);
}

void
agent_layers_sweep_stop(struct agent *a)
{
	agent_sweep_timer_stop(&a->layer_sweep);
}
