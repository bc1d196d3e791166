/*
 * proofs.c: which layers an account may build images on.
 *
 * Layer folders are named by diff id and shared by every account, so a
 * diff id must never work as a key: an account that merely names another
 * account's diff id in an image config (a crafted `docker load`) would
 * otherwise get that account's files.  A layer joins an account's image
 * only when the account proved it has the bytes: its own load, import or
 * pull produced a tar whose sha256 is the diff id (for a pull: a blob the
 * registry served, verified against the manifest's digest, whose
 * uncompressed bytes hash to the diff id).  Each job collects the diff ids
 * it proved (job_proved()); the owner checks every layer of every image
 * it records against those and the account's earlier proofs, and keeps
 * the new ones in layer_proofs (account, diff_id).
 *
 * A proof lasts while one of the account's images uses the layer: when
 * the account lets go of its last such image the proof goes too, so a
 * later pull does not say "Already exists" for a layer the account no
 * longer has, which would tell it that another account still holds it.
 *
 * Owner thread only, like meta.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "images-int.h"
#include "xalloc.h"

/* The first column of every row a query on one account gives. */
static int
proofs_column(struct images *im, const char *sql, const char *account,
    struct strvec *out, sdc_error_t *err)
{
	struct store_stmt *q = meta_query(im, err, sql, "t", account);
	int r;

	if (q == NULL)
		return -1;
	while ((r = store_step(q, err)) == 1)
		strvec_push(out, store_col_text(q, 0));
	store_finalize(q);
	return r < 0 ? -1 : 0;
}

int
proofs_list(struct images *im, const char *account, struct strvec *out,
    sdc_error_t *err)
{
	return proofs_column(im, "SELECT diff_id FROM layer_proofs WHERE "
	    "account = ?", account, out, err);
}

int
proofs_owned_images(struct images *im, const char *account, struct strvec *out,
    sdc_error_t *err)
{
	return proofs_column(im, "SELECT image_id FROM image_owners WHERE "
	    "account = ?", account, out, err);
}

static int
proofs_has(struct images *im, const char *account, const char *diff_id,
    bool *has, sdc_error_t *err)
{
	char *s = meta_string(im, err, "SELECT diff_id FROM layer_proofs WHERE "
	    "account = ? AND diff_id = ?", "tt", account, diff_id);

	if (s == NULL && *err != NULL)
		return -1;
	*has = s != NULL;
	free(s);
	return 0;
}

int
proofs_check_record(struct images *im, const char *account,
    const struct job_image *img, const struct strvec *proved, sdc_error_t *err)
{
	bool has;
	char id[13];

	for (size_t i = 0; i < img->nlayers; i++) {
		const char *d = img->layers[i].diff_id;
		if (proved != NULL && strvec_has(proved, d))
			continue;
		if (proofs_has(im, account, d, &has, err) < 0)
			return -1;
		if (!has) {
			digest_short(img->id, id);
			return sdc_make_error_code(err, 400, "image %s names layer "
			    "%s, whose contents were not provided: the archive "
			    "must carry the layer's bytes", id, d);
		}
	}
	for (size_t i = 0; i < img->nlayers; i++)
		if (meta_exec(im, err, "INSERT INTO layer_proofs (account, diff_id, "
		    "added) VALUES (?, ?, ?) ON CONFLICT (account, diff_id) DO "
		    "NOTHING", "tti", account, img->layers[i].diff_id,
		    (int64_t)time(NULL)) < 0)
			return -1;
	return 0;
}

int
proofs_forget_unused(struct images *im, const char *account, sdc_error_t *err)
{
	return meta_exec(im, err, "DELETE FROM layer_proofs WHERE account = ? AND "
	    "diff_id NOT IN (SELECT l.diff_id FROM image_layers l JOIN "
	    "image_owners o ON o.image_id = l.image_id WHERE o.account = ?)",
	    "tt", account, account) < 0 ? -1 : 0;
}
