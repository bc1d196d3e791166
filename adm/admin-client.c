/*
 * admin-client.c: talking to dockerapi's admin API.
 *
 * The API lives on a unix socket only root can open, so lib/fetch
 * with a unix_path is the whole transport; the URL's host is a
 * placeholder.  Errors come back as {"message": ...}, which becomes the
 * error's text, with the HTTP status as its code so a subcommand can tell
 * "no such account" (404) from "already exists" (409).
 */
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "buf.h"
#include "fetch.h"
#include "jsonutil.h"
#include "xalloc.h"

/* Where the socket is when neither --admin nor DOCKERAPI_ADMIN says:
 * dockerapi's own default, relative to where `make run` starts it. */
#define ADM_ADMIN_DEFAULT "var/dockerapi/admin.sock"

/* Every container of every account, inspected, fits well below. */
#define ADM_ANSWER_MAX (64 * 1024 * 1024)

const char *
adm_admin_path(const struct adm_ctx *ctx)
{
	return ctx->admin != NULL && *ctx->admin != '\0' ? ctx->admin : ADM_ADMIN_DEFAULT;
}

static json_t *
answer(long status, const struct buf *body, sdc_error_t *err)
{
	json_t *v = NULL;

	if (body->len > 0)
		v = json_loadb(body->data, body->len, JSON_DECODE_ANY, NULL);
	if (status >= 200 && status < 300)
		return v != NULL ? v : json_null();
	sdc_make_error_code(err, (int)status, "%s", json_str(v, "message",
	    body->len > 0 ? buf_str(body) : "the admin API refused the request"));
	json_decref(v);
	return NULL;
}

json_t *
adm_admin_call(const struct adm_ctx *ctx, const char *method, const char *path,
    const json_t *body, sdc_error_t *err)
{
	struct fetch_options o = { .unix_path = adm_admin_path(ctx),
		.timeout_ms = 60000 };
	struct fetch *http = fetch_new(&o);
	const char *json_type[] = { "Content-Type: application/json", NULL };
	struct fetch_request rq = { .method = method,
		.body_max = ADM_ANSWER_MAX };
	struct fetch_response r;
	char *url, *text = NULL;
	json_t *out = NULL;

	xasprintf(&url, "http://admin%s", path);
	rq.url = url;
	if (body != NULL) {
		text = json_text(body);
		rq.headers = json_type;
		rq.body = text;
		rq.body_len = strlen(text);
	}
	if (fetch_request(http, &rq, &r, err) < 0)
		sdc_error_wrap(err, "cannot reach dockerapi's admin API at %s "
		    "(set --admin or DOCKERAPI_ADMIN)", adm_admin_path(ctx));
	else {
		out = answer(r.status, &r.body, err);
		fetch_response_free(&r);
	}
	fetch_free(http);
	free(text);
	free(url);
	return out;
}

/* Path segments go into URLs escaped: a login cannot smuggle a "/". */
char *
adm_admin_escape(const char *s)
{
	return fetch_escape(s);
}

int
adm_complete_logins(const struct adm_ctx *ctx, int argc, char **argv,
    const char *word, struct strvec *out, sdc_error_t *err)
{
	json_t *list, *a;
	size_t i;

	if (argc > 0)
		return 0;               /* only the first operand is a login */
	if ((list = adm_admin_call(ctx, "GET", "/accounts", NULL, err)) == NULL)
		return -1;
	json_array_foreach(list, i, a) {
		const char *login = json_str(a, "login", "");

		if (strncmp(login, word, strlen(word)) == 0)
			strvec_push(out, login);
	}
	json_decref(list);
	return 0;
}

json_t *
adm_admin_rows(const struct adm_ctx *ctx, const char *path,
    json_t *(*row_fn)(json_t *item), sdc_error_t *err)
{
	json_t *list = adm_admin_call(ctx, "GET", path, NULL, err), *rows, *v;
	size_t i;

	if (list == NULL)
		return NULL;
	rows = json_array();
	json_array_foreach(list, i, v)
		json_array_append_new(rows, row_fn(v));
	json_decref(list);
	return rows;
}
