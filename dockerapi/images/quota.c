/*
 * quota.c: the image-store bytes an account may hold, enforced as a job
 * writes, not after.
 *
 * An account's image bytes are the sizes of the distinct layers of the
 * images it owns.  A layer shared with another account is stored once but
 * counts for each account that has it: the simplest rule, and the fair
 * one, since a tenant's usage then never depends on what others pulled.
 *
 * The limit comes from the daemon (images_set_quota), read on the owner
 * thread when a job is made; what the account has left then becomes the
 * job's budget.  The workers charge it as they go: the bytes a load or
 * an import stores as blobs, and the uncompressed bytes of every layer
 * they unpack, each phase on its own counter, so a gzip bomb stops after
 * at most the bytes the account had left, with the quota's name in the
 * error, and the job's usual failure path removes whatever it wrote.
 * Layers that are already on disk ("Already exists") are not unpacked
 * again and cost the job nothing, so the owner checks the final figure
 * once more before it records anything, under the account's lock in the
 * store (budget_commit), so that two heads sharing one PostgreSQL check
 * and record one account's jobs one after the other.  The gzip of a
 * layer a push keeps beside it (push.c) counts for each account that has
 * the layer, as the layer does.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "images-int.h"
#include "xalloc.h"

void
images_set_quota(struct images *im, images_quota_fn *fn, void *arg)
{
	im->quota_fn = fn;
	im->quota_arg = arg;
}

static const char quota_layers_sql[] =
    "SELECT DISTINCT l.diff_id, l.size FROM image_layers l "
    "JOIN image_owners o ON o.image_id = l.image_id WHERE o.account = ?";

/* The account's layers into seen (diff ids), their bytes into *out. */
static int
quota_account_layers(struct images *im, const char *account,
    struct strvec *seen, int64_t *out, sdc_error_t *err)
{
	struct store_stmt *q;
	int rc;

	*out = 0;
	if ((q = meta_query(im, err, quota_layers_sql, "t", account)) == NULL)
		return -1;
	while ((rc = store_step(q, err)) == 1) {
		char *root = layers_root(im, store_col_text(q, 0)), *gz;
		struct stat st;
		if (seen != NULL)
			strvec_push(seen, store_col_text(q, 0));
		*out += store_col_int64(q, 1);
		/* the gzip a push keeps beside the layer counts too */
		xasprintf(&gz, "%s/push.gz", root);
		if (stat(gz, &st) == 0 && S_ISREG(st.st_mode))
			*out += (int64_t)st.st_size;
		free(gz);
		free(root);
	}
	store_finalize(q);
	return rc < 0 ? -1 : 0;
}

int
images_account_bytes(struct images *im, const char *account, int64_t *out,
    sdc_error_t *err)
{
	return quota_account_layers(im, account, NULL, out, err);
}

static int
quota_error(int64_t limit, sdc_error_t *err)
{
	return sdc_make_error_code(err, 403, "image store quota exceeded: "
	    "this account may keep %" PRId64 " bytes of image layers "
	    "(quota image_bytes)", limit);
}

void
budget_init(struct images_job *job)
{
	struct images_budget *b = &job->budget;
	sdc_error_t err = NULL;
	int64_t used = 0;

	b->limit = -1;
	atomic_init(&b->stored, 0);
	atomic_init(&b->unpacked, 0);
	if (job->im->quota_fn == NULL || job->account == NULL)
		return;
	b->limit = job->im->quota_fn(job->im->quota_arg, job->account);
	if (b->limit < 0)
		return;
	if (images_account_bytes(job->im, job->account, &used, &err) < 0)
		sdc_error_release(&err);	/* the commit checks again */
	b->left = used < b->limit ? b->limit - used : 0;
}

int
budget_charge(struct images_budget *b, atomic_llong *counter, int64_t n,
    sdc_error_t *err)
{
	if (b == NULL || b->limit < 0 || n <= 0)
		return 0;
	if (atomic_fetch_add(counter, n) + n > b->left)
		return quota_error(b->limit, err);
	return 0;
}

int
budget_check_commit(struct images_job *job, sdc_error_t *err)
{
	struct images_budget *b = &job->budget;
	struct strvec seen = { 0 };
	int64_t total, added = 0;
	int rc;

	if (b->limit < 0)
		return 0;
	rc = quota_account_layers(job->im, job->account, &seen, &total, err);
	for (size_t i = 0; rc == 0 && i < job->nimages; i++) {
		struct job_image *img = &job->images[i];

		for (size_t j = 0; j < img->nlayers; j++) {
			const char *diff = img->layers[j].diff_id;

			if (diff == NULL || strvec_has(&seen, diff))
				continue;
			strvec_push(&seen, diff);
			added += img->layers[j].size;
		}
	}
	strvec_clear(&seen);
	/* an account already past a lowered quota may still re-pull */
	if (rc == 0 && added > 0 && total + added > b->limit)
		rc = quota_error(b->limit, err);
	return rc;
}

int
budget_commit(struct images_job *job, sdc_error_t *err)
{
	char *lock;
	int rc;

	if (job->budget.limit < 0)
		return job->commit(job, err);
	/* held from the check to the record: a head whose check comes
	 * second reads what the first recorded */
	xasprintf(&lock, "quota-images:%s", job->account);
	if ((rc = store_lock_session(job->im->st, lock, err)) == 0) {
		if ((rc = budget_check_commit(job, err)) == 0)
			rc = job->commit(job, err);
		store_unlock_session(job->im->st, lock);
	}
	free(lock);
	return rc;
}
