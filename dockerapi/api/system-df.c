/*
 * system-df.c: GET /system/df (docker system df, -v): what the calling
 * account's images, containers and volumes take, and nothing of any other
 * account's.
 *
 * The figures are the ones the account's own lists give: the images'
 * sizes as `docker images` shows them, each with the number of the
 * account's containers made from it (what the CLI counts as reclaimable),
 * the containers' writable layers as `docker ps -s`, the volumes' usage as
 * measured by a walk of each folder (both walks off the loop, size-walk.c).
 * LayersSize is the images' sizes added up:
 * layers are stored once per node and shared between accounts, so what an
 * account "holds" is what its images name.  There is no build cache here
 * (BuildCache is empty).
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "images-api.h"
#include "jsonutil.h"
#include "size-walk.h"
#include "volumes.h"
#include "xalloc.h"

/* The account's containers made from each image. */
static void
df_image_containers(struct containers *cs, const char *acct, json_t *images,
    json_int_t *layers)
{
	const struct ctr *c;
	const char *id;
	json_int_t n;
	size_t i;
	json_t *img;

	*layers = 0;
	json_array_foreach(images, i, img) {
		id = json_str(img, "Id", "");
		n = 0;
		for (c = cs->list; c != NULL; c = c->next)
			if (strcmp(c->account, acct) == 0 &&
			    c->image_id != NULL && strcmp(c->image_id, id) == 0)
				n++;
		json_object_set_new(img, "Containers", json_integer(n));
		json_object_set_new(img, "SharedSize", json_integer(0));
		*layers += json_int(img, "Size", 0);
	}
}

/* What the answer holds while the sizes are walked off the loop. */
struct df_job {
	json_t *images, *volumes;
	json_int_t layers;
	struct list_sized ls;
};

static void
df_done(void *arg, struct http_request *req, const int64_t *sizes)
{
	struct df_job *j = arg;
	size_t nc = j->ls.entries.n, i;
	struct buf text = BUF_INIT;
	json_t *containers, *v;

	if (req != NULL) {
		list_sized_text(&j->ls, sizes, &text);
		containers = json_loadb(text.data, text.len, 0, NULL);
		json_array_foreach(j->volumes, i, v)
			json_object_set_new(json_object_get(v, "UsageData"),
			    "Size", json_integer(sizes[nc + i]));
		api_json(req, 200, json_pack("{s:I,s:O,s:o,s:O,s:[]}",
		    "LayersSize", j->layers, "Images", j->images, "Containers",
		    containers != NULL ? containers : json_array(), "Volumes",
		    j->volumes, "BuildCache"));
		buf_free(&text);
	}
	json_decref(j->images);
	json_decref(j->volumes);
	strvec_clear(&j->ls.entries);
	free(j);
}

int
system_df(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct containers *cs = ctrs(d);
	const char *acct = ctr_account(req);
	struct images_filter f = { .dangling = -1 };
	sdc_error_t err = NULL;
	struct df_job *j;
	char **dirs;
	size_t i;

	j = xcalloc(1, sizeof *j);
	if (images_list(d->images, acct, &f, &j->images, &err) < 0) {
		free(j);
		return api_error_from(req, &err);
	}
	if ((j->volumes = volumes_df_json(d, acct, &dirs, &err)) == NULL) {
		json_decref(j->images);
		free(j);
		return api_error_from(req, &err);
	}
	df_image_containers(cs, acct, j->images, &j->layers);
	/* the writable layers, then the volumes: walked off the loop */
	j->ls.walk = size_walk_new(cs);
	list_account_sized(cs, acct, &j->ls);
	for (i = 0; dirs[i] != NULL; i++)
		size_walk_add_dir(j->ls.walk, dirs[i]);
	free(dirs);
	if (size_walk_start(j->ls.walk, d->base, req, df_done, j, &err) < 0) {
		json_decref(j->images);
		json_decref(j->volumes);
		strvec_clear(&j->ls.entries);
		free(j);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}

const struct api_endpoint system_df_routes[] = {
	{ { "GET", "/system/df", system_df, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
