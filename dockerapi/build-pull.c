/*
 * build-pull.c: `docker build --pull` (pull=1): FROM's image is pulled
 * for the account before the stage starts, as POST /images/create pulls
 * it, so the same rules hold (the registry's addresses checked, the
 * account's image quota charged, the account's own copy); the pull's
 * progress goes into the build's stream as Docker's builder sends it.
 *
 * The credentials are the CLI's X-Registry-Config header: base64url JSON
 * of every registry's auth config, keyed by the registry's address as
 * the CLI names it ("https://index.docker.io/v1/", "127.0.0.1:5000");
 * the entry for the image's registry is used, or none.
 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "build-int.h"
#include "jsonutil.h"
#include "xalloc.h"

/* The image's registry's entry of X-Registry-Config, or empty. */
static int
pull_auth(struct build *b, const char *name, struct images_auth *auth,
    sdc_error_t *err)
{
	struct image_ref ref;
	json_t *all = NULL, *v;
	const char *k;
	struct buf raw = BUF_INIT;
	sdc_error_t e = NULL;
	int rc = 0;

	memset(auth, 0, sizeof *auth);
	if (b->registry_config == NULL || *b->registry_config == '\0')
		return 0;
	if (image_ref_parse(&ref, name, err) < 0)
		return -1;
	/* base64url, padding optional */
	if (base64_decode(b->registry_config, strlen(b->registry_config), true,
	    &raw, &e) < 0 || (all = json_loadb(buf_str(&raw), raw.len, 0,
	    NULL)) == NULL || !json_is_object(all)) {
		sdc_error_release(&e);
		rc = sdc_make_error_code(err, 400, "X-Registry-Config is not "
		    "base64 JSON of registries' credentials");
		goto out;
	}
	json_object_foreach(all, k, v) {
		sdc_error_t e2 = NULL;
		char *dom = images_login_domain(k, &e2);
		sdc_error_release(&e2);
		if (dom == NULL || strcmp(dom, ref.domain) != 0 || !json_is_object(v)) {
			free(dom);
			continue;
		}
		free(dom);
		const char *u = json_str(v, "username", NULL);
		const char *p = json_str(v, "password", NULL);
		const char *it = json_str(v, "identitytoken", NULL);
		const char *rt = json_str(v, "registrytoken", NULL);
		auth->username = u && *u ? xstrdup(u) : NULL;
		auth->password = p && *p ? xstrdup(p) : NULL;
		auth->identitytoken = it && *it ? xstrdup(it) : NULL;
		auth->registrytoken = rt && *rt ? xstrdup(rt) : NULL;
		break;
	}
out:
	json_decref(all);
	buf_free(&raw);
	image_ref_free(&ref);
	return rc;
}

static void
pull_event(void *arg, const struct images_event *ev)
{
	struct build *b = arg;
	json_t *j;
	char *s;

	if (b->req == NULL || b->quiet)
		return;
	if (!b->streaming) {
		http_stream_start(b->req, 200, "application/json");
		b->streaming = true;
	}
	j = images_event_json(ev);
	s = json_dumps(j, JSON_COMPACT);
	http_stream_write(b->req, s, strlen(s));
	http_stream_write(b->req, "\n", 1);
	free(s);
	json_decref(j);
}

int
build_pull(struct build *b, const struct df_instr *in, const char *name,
    sdc_error_t *err)
{
	struct images_auth auth;
	int rc;

	if (pull_auth(b, name, &auth, err) < 0)
		return -1;
	rc = images_pull_start(b->d->images, b->account, name, &auth, pull_event,
	    b, &b->job, err);
	images_auth_free(&auth);
	if (rc < 0)
		return sdc_error_wrap(err, "Dockerfile line %d: FROM %s: pulling",
		    in->line, name);
	b->pull_in = in;
	free(b->pull_name);
	b->pull_name = xstrdup(name);
	b->ev = event_new(b->d->base, images_job_fd(b->job), EV_READ | EV_PERSIST,
	    build_on_job, b);
	event_add(b->ev, NULL);
	return 0;
}
