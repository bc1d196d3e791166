/*
 * system-df.c: GET /system/df (docker system df, -v): what the calling
 * account's images, containers and volumes take, and nothing of any other
 * account's.
 *
 * The figures are the ones the account's own lists give: the images'
 * sizes as `docker images` shows them, each with the number of the
 * account's containers made from it (what the CLI counts as reclaimable),
 * the containers' writable layers as `docker ps -s`, the volumes' usage as
 * `docker volume ls` keeps it.  LayersSize is the images' sizes added up:
 * layers are stored once per node and shared between accounts, so what an
 * account "holds" is what its images name.  There is no build cache here
 * (BuildCache is empty).
 */
#include <string.h>

#include "containers.h"
#include "images-api.h"
#include "jsonutil.h"
#include "volumes.h"

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

int
system_df(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct containers *cs = ctrs(d);
	const char *acct = ctr_account(req);
	struct images_filter f = { .dangling = -1 };
	sdc_error_t err = NULL;
	json_t *images = NULL, *containers, *volumes;
	json_int_t layers;

	if (images_list(d->images, acct, &f, &images, &err) < 0)
		return api_error_from(req, &err);
	if ((volumes = volumes_df_json(d, acct, &err)) == NULL) {
		json_decref(images);
		return api_error_from(req, &err);
	}
	df_image_containers(cs, acct, images, &layers);
	containers = list_account_json(cs, acct);
	return api_json(req, 200, json_pack("{s:I,s:o,s:o,s:o,s:[]}",
	    "LayersSize", layers, "Images", images, "Containers", containers,
	    "Volumes", volumes, "BuildCache"));
}
