/*
 * admin.c: the operators' API, on a unix socket only root can open.
 *
 * The socket file is created 0600 and each request's peer uid is checked
 * as well, so a socket moved to a laxer directory still refuses others.
 * It is never offered on the network: there is no TLS and no account, the
 * operator's uid is the credential.  sdcadm-docker is its client.
 *
 *   GET    /ping
 *   GET    /accounts                      POST /accounts
 *   GET    /accounts/:login               PUT  /accounts/:login
 *   DELETE /accounts/:login[?force=true]
 *   GET    /accounts/:login/keys          POST /accounts/:login/keys
 *   DELETE /accounts/:login/keys/:key     (name or fingerprint)
 *   GET    /accounts/:login/quota         PUT  /accounts/:login/quota
 *   GET    /config                        (the tunables in force, and whence)
 *   GET    /containers[?account=LOGIN&all=1]
 *   GET    /containers/:id                (any account's; inspect and more)
 *   GET    /containers/:id/logs           (as the Docker API's, multiplexed)
 *   POST   /containers/:id/stop, /kill
 *   GET    /containers[?account=LOGIN][&all=1]  (inspect objects, any account)
 *   GET    /build-cache                   (every account's step cache)
 *   GET    /accounts/:login/build-cache   POST /accounts/:login/build-cache/prune
 *   GET    /containers/:id                (id, id prefix or uuid)
 *   GET    /logs/usage                    (every node's containers' logs)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "networks.h"
#include "dockerapi.h"
#include "heads.h"
#include "jsonutil.h"
#include "log-bytes.h"
#include "log-usage.h"
#include "log.h"
#include "nodes.h"
#include "volumes.h"
#include "xalloc.h"

static int
admin_ping(struct http_request *req, void *arg)
{
	return api_json(req, 200, json_pack("{s:s, s:s}", "status", "ok",
	    "version", SDC_VERSION));
}

static int
admin_accounts_list(struct http_request *req, void *arg)
{
	sdc_error_t err = NULL;
	json_t *list = accounts_list(arg, &err);

	return list != NULL ? api_json(req, 200, list) : api_error_from(req, &err);
}

static int
admin_account_create(struct http_request *req, void *arg)
{
	sdc_error_t err = NULL;
	json_t *body = http_body_json(req, &err);
	struct account *a;

	if (body == NULL)
		return api_error_from(req, &err);
	a = account_create(arg, body, &err);
	json_decref(body);
	if (a == NULL)
		return api_error_from(req, &err);
	log_emit(LOG_INFO, req->req_id, NULL, "admin: created account %s", a->login);
	api_json(req, 201, account_json(a));
	account_free(a);
	return HTTP_DONE;
}

/* The account named in the path, or NULL having answered 404. */
static struct account *
admin_account_arg(struct dockerapi *d, struct http_request *req)
{
	sdc_error_t err = NULL;
	struct account *a = account_find(d, http_param(req, "login"), &err);

	if (a == NULL)
		api_error_from(req, &err);
	return a;
}

static int
admin_account_get(struct http_request *req, void *arg)
{
	struct account *a = admin_account_arg(arg, req);

	if (a == NULL)
		return HTTP_DONE;
	api_json(req, 200, account_json(a));
	account_free(a);
	return HTTP_DONE;
}

static int
admin_account_update(struct http_request *req, void *arg)
{
	struct account *a = admin_account_arg(arg, req);
	sdc_error_t err = NULL;
	json_t *body;

	if (a == NULL)
		return HTTP_DONE;
	body = http_body_json(req, &err);
	if (body == NULL || account_update(arg, a, body, &err) < 0)
		api_error_from(req, &err);
	else
		api_json(req, 200, account_json(a));
	json_decref(body);
	account_free(a);
	return HTTP_DONE;
}

/* An account's delete: its containers go off the loop (a hung `runc
 * delete` holds this request only), then the rest, answered at the end. */
struct admin_deleting {
	struct dockerapi *d;
	struct http_request *req;	/* NULL once the client has gone */
	struct account *a;
};

static void
admin_deleting_closed(struct http_request *req, void *arg)
{
	struct admin_deleting *o = arg;

	(void)req;
	o->req = NULL;
}

static void
admin_account_emptied(void *arg, int rc, sdc_error_t *err)
{
	struct admin_deleting *o = arg;
	struct dockerapi *d = o->d;
	struct account *a = o->a;

	/* the client gone: the account goes all the same */
	if (rc == 0 && (images_api_remove_account(d, a->uuid, err) < 0 ||
	    build_cache_remove_account(d, a->uuid, err) < 0 ||
	    volumes_remove_account(d, a->uuid, err) < 0 ||
	    networks_remove_account(d, a->uuid, err) < 0 ||
	    account_delete(d, a, err) < 0))
		rc = -1;
	if (rc == 0)
		log_emit(LOG_INFO, o->req != NULL ? o->req->req_id : NULL, NULL,
		    "admin: deleted account %s", a->login);
	if (o->req == NULL) {
		if (rc < 0)
			log_warn("admin: deleting account %s: %s", a->login,
			    sdc_error_msg(*err));
	} else {
		http_on_close(o->req, NULL, NULL);
		if (rc < 0)
			api_error_from(o->req, err);
		else
			http_reply(o->req, 204, NULL, NULL, 0);
	}
	account_free(a);
	free(o);
}

static int
admin_account_delete(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct account *a = admin_account_arg(d, req);
	struct usage_counts c = { 0 };
	struct admin_deleting *o;

	if (a == NULL)
		return HTTP_DONE;
	usage_counts(d, a, &c);
	if (c.containers > 0 && !http_query_bool(req, "force", false)) {
		api_error(req, 409, "account %s still has %d containers; remove "
		    "them first or use force", a->login, c.containers);
		account_free(a);
		return HTTP_DONE;
	}
	o = xcalloc(1, sizeof *o);
	o->d = d;
	o->req = req;
	o->a = a;
	http_on_close(req, admin_deleting_closed, o);
	containers_remove_account(d, a->uuid, admin_account_emptied, o);
	return HTTP_ASYNC;
}

static int
admin_keys_list(struct http_request *req, void *arg)
{
	struct account *a = admin_account_arg(arg, req);
	sdc_error_t err = NULL;
	json_t *keys;

	if (a == NULL)
		return HTTP_DONE;
	keys = account_keys(arg, a, &err);
	account_free(a);
	return keys != NULL ? api_json(req, 200, keys) : api_error_from(req, &err);
}

static int
admin_key_add(struct http_request *req, void *arg)
{
	struct account *a = admin_account_arg(arg, req);
	sdc_error_t err = NULL;
	const char *line;
	json_t *body, *key = NULL;

	if (a == NULL)
		return HTTP_DONE;
	body = http_body_json(req, &err);
	if (body != NULL && json_str_req(body, "key", &line, &err) == 0)
		key = account_key_add(arg, a, json_str(body, "name", NULL), line, &err);
	if (key != NULL)
		api_json(req, 201, key);
	else
		api_error_from(req, &err);
	json_decref(body);
	account_free(a);
	return HTTP_DONE;
}

static int
admin_key_remove(struct http_request *req, void *arg)
{
	struct account *a = admin_account_arg(arg, req);
	sdc_error_t err = NULL;

	if (a == NULL)
		return HTTP_DONE;
	if (account_key_remove(arg, a, http_param(req, "key"), &err) < 0)
		api_error_from(req, &err);
	else
		http_reply(req, 204, NULL, NULL, 0);
	account_free(a);
	return HTTP_DONE;
}

static int
admin_config(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;

	return api_json(req, 200, json_pack("{s:s, s:O}", "source",
	    tunables_source(d), "config", tunables_get(d)));
}

/* What an operator wants beside Docker's fields: the account's login
 * (how much log the container keeps is log-bytes.c's, off the loop). */
static void
admin_container_extras(struct dockerapi *d, json_t *list)
{
	json_t *c, *logins = json_object();
	size_t i;

	json_array_foreach(list, i, c) {
		const char *uuid = json_str(c, "Account", "");
		json_t *login = json_object_get(logins, uuid);

		if (login == NULL) {
			sdc_error_t err = NULL;
			struct account *a = account_find(d, uuid, &err);

			login = json_string(a != NULL ? a->login : uuid);
			json_object_set_new(logins, uuid, login);
			account_free(a);
			sdc_error_release(&err);
		}
		json_object_set(c, "Login", login);
	}
	json_decref(logins);
}

static int
admin_containers(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *login = http_query(req, "account");
	struct account *a = NULL;
	sdc_error_t err = NULL;
	json_t *list;

	if (login != NULL && *login != '\0' &&
	    (a = account_find(d, login, &err)) == NULL)
		return api_error_from(req, &err);
	list = containers_admin_list(d, a != NULL ? a->uuid : NULL,
	    http_query_bool(req, "all", false));
	account_free(a);
	admin_container_extras(d, list);
	return log_bytes_reply(d, req, list);
}

static int
admin_container(struct http_request *req, void *arg)
{
	json_t *j = containers_admin_get(arg, http_param(req, "id"));

	if (j == NULL)
		return api_error(req, 404, "No such container: %s",
		    http_param(req, "id"));
	return api_json(req, 200, j);
}

/* stop, kill and logs for any account's container: find it, lend the
 * handler the owner's account and the full id, as api_dispatch() would
 * for the owner, so the operator gets exactly the Docker API's behaviour
 * (a stop waits for the exit; logs read across rotated files). */
static int
admin_as_owner(struct http_request *req, struct dockerapi *d, http_handler_fn handler)
{
	const char *id, *owner;
	struct account *a;
	sdc_error_t err = NULL;
	int rc;

	if (containers_admin_find(d, http_param(req, "id"), &id, &owner) < 0)
		return api_error(req, 404, "No such container: %s", http_param(req, "id"));
	if ((a = account_find(d, owner, &err)) == NULL)
		return api_error_from(req, &err);
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, "id") == 0)
			req->params[i].value = (char *)id;
	req->data = a;
	rc = handler(req, d);
	if (req->data == a)
		req->data = NULL;
	account_free(a);
	return rc;
}

static int
admin_container_stop(struct http_request *req, void *arg)
{
	return admin_as_owner(req, arg, ctr_stop);
}

static int
admin_container_kill(struct http_request *req, void *arg)
{
	return admin_as_owner(req, arg, ctr_kill);
}

static int
admin_container_logs(struct http_request *req, void *arg)
{
	return admin_as_owner(req, arg, ctr_logs);
}

/* The step cache of docker build, per account (build-cache.c). */
static json_t *
admin_build_cache_row(struct dockerapi *d, const char *uuid, const char *login,
    sdc_error_t *err)
{
	json_t *u;

	if (build_cache_usage(d, uuid, &u, err) < 0)
		return NULL;
	json_object_set_new(u, "Login", json_string(login));
	json_object_set_new(u, "Account", json_string(uuid));
	return u;
}

static int
admin_build_cache_all(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	sdc_error_t err = NULL;
	json_t *accts = accounts_list(d, &err), *out = json_array(), *a;
	size_t i;

	if (accts == NULL) {
		json_decref(out);
		return api_error_from(req, &err);
	}
	json_array_foreach(accts, i, a) {
		json_t *row = admin_build_cache_row(d, json_str(a, "uuid", ""),
		    json_str(a, "login", ""), &err);
		if (row == NULL) {
			json_decref(accts);
			json_decref(out);
			return api_error_from(req, &err);
		}
		json_array_append_new(out, row);
	}
	json_decref(accts);
	return api_json(req, 200, out);
}

static int
admin_build_cache(struct http_request *req, void *arg)
{
	struct account *a = admin_account_arg(arg, req);
	sdc_error_t err = NULL;
	json_t *out = NULL;
	bool prune = strcmp(req->method, "POST") == 0;
	int rc;

	if (a == NULL)
		return HTTP_DONE;
	if (prune)
		rc = build_cache_prune(arg, a->uuid, &out, &err);
	else
		out = admin_build_cache_row(arg, a->uuid, a->login, &err), rc = out ? 0 : -1;
	account_free(a);
	return rc < 0 ? api_error_from(req, &err) : api_json(req, 200, out);
}

static const struct route admin_routes[] = {
	{ "GET", "/build-cache", admin_build_cache_all, 0, NULL },
	{ "GET", "/accounts/:login/build-cache", admin_build_cache, 0, NULL },
	{ "POST", "/accounts/:login/build-cache/prune", admin_build_cache, 0, NULL },
	{ "GET", "/ping", admin_ping, 0, NULL },
	{ "GET", "/accounts", admin_accounts_list, 0, NULL },
	{ "POST", "/accounts", admin_account_create, 0, NULL },
	{ "GET", "/accounts/:login", admin_account_get, 0, NULL },
	{ "PUT", "/accounts/:login", admin_account_update, 0, NULL },
	{ "DELETE", "/accounts/:login", admin_account_delete, 0, NULL },
	{ "GET", "/accounts/:login/keys", admin_keys_list, 0, NULL },
	{ "POST", "/accounts/:login/keys", admin_key_add, 0, NULL },
	{ "DELETE", "/accounts/:login/keys/*key", admin_key_remove, 0, NULL },
	{ "GET", "/accounts/:login/quota", quota_admin, 0, NULL },
	{ "PUT", "/accounts/:login/quota", quota_admin, 0, NULL },
	{ "GET", "/config", admin_config, 0, NULL },
	{ "GET", "/containers", admin_containers, 0, NULL },
	{ "GET", "/containers/:id", admin_container, 0, NULL },
	{ "GET", "/containers/:id/logs", admin_container_logs, 0, NULL },
	{ "POST", "/containers/:id/stop", admin_container_stop, 0, NULL },
	{ "POST", "/containers/:id/kill", admin_container_kill, 0, NULL },
	{ "GET", "/logs/usage", log_usage_admin, 0, NULL },
	{ "GET", "/networks", networks_admin_list, 0, NULL },
	{ "GET", "/networks/:id", networks_admin_get, 0, NULL },
	{ "GET", "/nodes", nodes_admin_list, 0, NULL },
	{ "GET", "/nodes/:id", nodes_admin_get, 0, NULL },
	{ "POST", "/nodes/:id/drain", nodes_admin_drain, 0, NULL },
	{ "POST", "/nodes/:id/undrain", nodes_admin_undrain, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};

static int
admin_dispatch(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const struct route *route;
	long uid = http_peer_uid(req);
	int status;

	if (uid != 0 && uid != (long)geteuid())
		return api_error(req, 403, "the admin API is for root only");
	route = router_match(d->admin_router, req, &status);
	if (route == NULL)
		return api_error(req, status, "%s %s is not an admin route",
		    req->method, req->path);
	heads_sync_catch_up(d);	/* what the other heads did, first */
	return route->handler(req, d);
}

int
admin_init(struct dockerapi *d, sdc_error_t *err)
{
	d->admin_router = router_new(0);
	router_add_table(d->admin_router, admin_routes);
	http_server_set_handler(d->admin_srv, admin_dispatch, d);
	return 0;
}
