/*
 * admin-client.c: talking to dockerapi's admin API.
 *
 * The API lives on a unix socket only root can open, so libcurl's
 * CURLOPT_UNIX_SOCKET_PATH is the whole transport; the URL's host is a
 * placeholder.  Errors come back as {"message": ...}, which becomes the
 * error's text, with the HTTP status as its code so a subcommand can tell
 * "no such account" (404) from "already exists" (409).
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "buf.h"
#include "jsonutil.h"
#include "xalloc.h"

/* Where the socket is when neither --admin nor DOCKERAPI_ADMIN says:
 * dockerapi's own default, relative to where `make run` starts it. */
#define ADM_ADMIN_DEFAULT "var/dockerapi/admin.sock"

const char *
adm_admin_path(const struct adm_ctx *ctx)
{
	return ctx->admin != NULL && *ctx->admin != '\0' ? ctx->admin : ADM_ADMIN_DEFAULT;
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	buf_append(arg, data, size * n);
	return size * n;
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
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct buf in = BUF_INIT;
	char *url, *text = NULL, curl_err[CURL_ERROR_SIZE] = "";
	long status = 0;
	json_t *out = NULL;
	CURLcode rc;

	if (curl == NULL) {
		sdc_make_error(err, 0, "cannot start libcurl");
		return NULL;
	}
	xasprintf(&url, "http://admin%s", path);
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, adm_admin_path(ctx));
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &in);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	if (body != NULL) {
		text = json_text(body);
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
	}
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		sdc_make_error_code(err, rc, "cannot reach dockerapi's admin API at "
		    "%s: %s (set --admin or DOCKERAPI_ADMIN)", adm_admin_path(ctx),
		    *curl_err != '\0' ? curl_err : curl_easy_strerror(rc));
	else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		out = answer(status, &in, err);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	free(text);
	free(url);
	buf_free(&in);
	return out;
}

/* Path segments go into URLs escaped: a login cannot smuggle a "/". */
char *
adm_admin_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *out = xstrdup(e != NULL ? e : "");

	curl_free(e);
	return out;
}

int
adm_complete_logins(const struct adm_ctx *ctx, int argc, char **argv,
    const char *word, struct adm_strv *out, sdc_error_t *err)
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
			adm_strv_add(out, login);
	}
	json_decref(list);
	return 0;
}
