/*
 * networks-routes.c: Docker's /networks routes over the store's networks
 * (networks.c), each account seeing only its own.
 *
 * Every account has a default network, made on its first use (a run with
 * no --network, or `docker network ls`), shown as "bridge" as Docker
 * shows its own; unlike Docker's legacy bridge its containers find each
 * other by name, since compose's default network relies on names.  A
 * network is found by full id, name or id prefix within the caller's
 * account only: another account's network reads "not found", whatever
 * the caller guessed.  Connect and disconnect on a running container
 * take effect at once (container-net.c; node-connect.c through the
 * agent of the node that runs it); a network with containers on it
 * cannot be removed, and the default one never is.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "dockerapi/net/net.h"
#include "jsonutil.h"
#include "log.h"
#include "networks.h"
#include "node-net.h"
#include "xalloc.h"

static const char *
napi_account(struct http_request *req)
{
	return api_account(req)->uuid;
}

json_t *
network_json(struct dockerapi *d, const struct network *n, bool containers)
{
	char created[48], sub[16], gw[16], range[16], cidr[24], rcidr[24];
	json_t *j, *cfg, *ctrs_j = json_object();
	struct netep *eps = NULL;
	size_t neps = 0, i;
	sdc_error_t err = NULL;
	struct ctr *c;

	time_rfc3339(created, sizeof created, n->created, 9);
	net_ip_str(n->subnet, sub);
	net_ip_str(n->gateway, gw);
	snprintf(cidr, sizeof cidr, "%s/%d", sub, n->prefix);
	cfg = json_pack("{s:s,s:s}", "Subnet", cidr, "Gateway", gw);
	if (n->range_prefix > 0) {
		net_ip_str(n->range, range);
		snprintf(rcidr, sizeof rcidr, "%s/%d", range, n->range_prefix);
		json_object_set_new(cfg, "IPRange", json_string(rcidr));
	}
	if (containers && neteps_list(d, NULL, n->id, &eps, &neps, &err) < 0) {
		log_warn("network %s: %s", n->id, sdc_error_msg(err));
		sdc_error_release(&err);
	}
	for (i = 0; i < neps; i++) {
		char ip[16], ipc[24];

		if (eps[i].ip == 0 || d->containers == NULL)
			continue;
		c = ctr_find(ctrs(d), n->account, eps[i].container, &err);
		sdc_error_release(&err);
		if (c == NULL)
			continue;
		net_ip_str(eps[i].ip, ip);
		snprintf(ipc, sizeof ipc, "%s/%d", ip, n->prefix);
		json_object_set_new(ctrs_j, c->id, json_pack("{s:s,s:s,s:s,s:s,"
		    "s:s}", "Name", c->name, "EndpointID", eps[i].endpoint_id,
		    "MacAddress", eps[i].mac, "IPv4Address", ipc,
		    "IPv6Address", ""));
	}
	neteps_free(eps, neps);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:n,s:[o]},s:b,s:b,"
	    "s:b,s:{s:s},s:b,s:o,s:{},s:O}",
	    "Name", n->name, "Id", n->id, "Created", created, "Scope", "local",
	    "Driver", "bridge", "EnableIPv6", false,
	    "IPAM", "Driver", "default", "Options", "Config", cfg,
	    "Internal", n->internal, "Attachable", false, "Ingress", false,
	    "ConfigFrom", "Network", "", "ConfigOnly", false,
	    "Containers", ctrs_j, "Options", "Labels", n->labels);
	return j;
}

/* --- ls --- */

static bool
napi_in_use(struct dockerapi *d, const struct network *n)
{
	struct netep *eps;
	size_t neps = 0;
	sdc_error_t err = NULL;

	if (neteps_list(d, NULL, n->id, &eps, &neps, &err) < 0) {
		sdc_error_release(&err);
		return true;
	}
	neteps_free(eps, neps);
	return neps > 0;
}

static bool
napi_match_one(struct dockerapi *d, const struct network *n, const char *key,
    const char *v)
{
	if (strcmp(key, "name") == 0)
		return strstr(n->name, v) != NULL;
	if (strcmp(key, "id") == 0)
		return strstr(n->id, v) != NULL;
	if (strcmp(key, "label") == 0)
		return labels_match(n->labels, v);
	if (strcmp(key, "driver") == 0)
		return strcmp(v, "bridge") == 0;
	if (strcmp(key, "scope") == 0)
		return strcmp(v, "local") == 0;
	if (strcmp(key, "type") == 0)
		return strcmp(v, n->is_default ? "builtin" : "custom") == 0;
	if (strcmp(key, "dangling") == 0)
		return (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) ==
		    (!n->is_default && !napi_in_use(d, n));
	return false;
}

static const char *const napi_filters[] = { "name", "id", "label", "driver",
	"scope", "type", "dangling", NULL };

/* Keys checked before any network is read: 400 naming a bad one. */
static int
napi_filters_check(const json_t *filters, sdc_error_t *err)
{
	const char *key, *v;
	json_t *vals, *x;
	size_t i, k;

	json_object_foreach((json_t *)filters, key, x) {
		for (k = 0; napi_filters[k] != NULL; k++)
			if (strcmp(key, napi_filters[k]) == 0)
				break;
		if (napi_filters[k] == NULL)
			return sdc_make_error_code(err, 400, "invalid filter "
			    "'%s'", key);
		vals = ctr_filter_values(filters, key);
		json_array_foreach(vals, i, x) {
			v = json_string_value(x) ?: "";
			if ((strcmp(key, "type") == 0 && strcmp(v, "custom") != 0 &&
			    strcmp(v, "builtin") != 0) ||
			    (strcmp(key, "dangling") == 0 &&
			    strcmp(v, "true") != 0 && strcmp(v, "false") != 0 &&
			    strcmp(v, "1") != 0 && strcmp(v, "0") != 0)) {
				sdc_make_error_code(err, 400, "invalid filter: "
				    "'%s'='%s'", key, v);
				json_decref(vals);
				return -1;
			}
		}
		json_decref(vals);
	}
	return 0;
}

static bool
napi_match(struct dockerapi *d, const struct network *n, const json_t *filters)
{
	const char *key;
	json_t *vals, *x;
	size_t i;
	bool any;

	json_object_foreach((json_t *)filters, key, x) {
		vals = ctr_filter_values(filters, key);
		any = json_array_size(vals) == 0;
		json_array_foreach(vals, i, x)
			if (napi_match_one(d, n, key, json_string_value(x) ?: ""))
				any = true;
		json_decref(vals);
		if (!any)
			return false;
	}
	return true;
}

static json_t *
napi_filters_parse(struct http_request *req, sdc_error_t *err)
{
	const char *q = http_query(req, "filters");
	json_t *f;

	if (q == NULL || *q == '\0')
		return json_object();
	if ((f = json_parse(q, strlen(q), err)) == NULL || !json_is_object(f)) {
		json_decref(f);
		sdc_error_release(err);
		sdc_make_error_code(err, 400, "invalid filters: %s", q);
		return NULL;
	}
	if (napi_filters_check(f, err) < 0) {
		json_decref(f);
		return NULL;
	}
	return f;
}

static int
napi_list(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct network def, *v;
	sdc_error_t err = NULL;
	json_t *filters, *out;
	size_t n, i;

	if ((filters = napi_filters_parse(req, &err)) == NULL)
		return api_error_from(req, &err);
	/* the default network is there from the first look */
	if (network_default(d, napi_account(req), &def, &err) < 0 ||
	    networks_list(d, napi_account(req), &v, &n, &err) < 0) {
		json_decref(filters);
		return api_error_from(req, &err);
	}
	network_clear(&def);
	out = json_array();
	for (i = 0; i < n; i++)
		if (napi_match(d, &v[i], filters))
			json_array_append_new(out, network_json(d, &v[i], false));
	networks_free(v, n);
	json_decref(filters);
	return api_json(req, 200, out);
}

static int
napi_inspect(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct network n;
	sdc_error_t err = NULL;
	json_t *j;

	if (network_find(d, napi_account(req), http_param(req, "id"), &n,
	    &err) < 0)
		return api_error_from(req, &err);
	j = network_json(d, &n, true);
	network_clear(&n);
	return api_json(req, 200, j);
}

static int
napi_create(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct network n;
	sdc_error_t err = NULL;
	json_t *body;
	char id[65];

	if ((body = http_body_json(req, &err)) == NULL || !json_is_object(body)) {
		json_decref(body);
		if (err == NULL)
			sdc_make_error_code(&err, 400, "the body must be a JSON "
			    "object");
		return api_error_from(req, &err);
	}
	if (network_create(d, napi_account(req), body, &n, &err) < 0) {
		json_decref(body);
		return api_error_from(req, &err);
	}
	json_decref(body);
	snprintf(id, sizeof id, "%s", n.id);
	log_emit(LOG_INFO, req->req_id, NULL, "network %s (%s) created for %s",
	    n.id, n.name, api_account(req)->login);
	network_clear(&n);
	return api_json(req, 201, json_pack("{s:s,s:s}", "Id", id, "Warning",
	    ""));
}

/* Remove one network: refused while containers are on it. */
static int
napi_remove_one(struct dockerapi *d, const struct network *n, sdc_error_t *err)
{
	if (n->is_default)
		return sdc_make_error_code(err, 403, "%s is a pre-defined network "
		    "and cannot be removed", n->name);
	if (napi_in_use(d, n))
		return sdc_make_error_code(err, 403, "error while removing "
		    "network: network %s id %s has active endpoints", n->name,
		    n->id);
	if (ctrnet_network_gone(d, n, err) < 0)
		return -1;
	return network_delete_row(d, n, err);
}

/* An account going (admin.c, after its containers): every network of its,
 * the default one too, with its bridge and names. */
int
networks_remove_account(struct dockerapi *d, const char *account,
    sdc_error_t *err)
{
	struct network *v;
	size_t n, i;
	int rc = 0;

	if (networks_list(d, account, &v, &n, err) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		if ((rc = ctrnet_network_gone(d, &v[i], err)) == 0)
			rc = network_delete_row(d, &v[i], err);
	networks_free(v, n);
	return rc;
}

static int
napi_delete(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct network n;
	sdc_error_t err = NULL;
	int rc;

	if (network_find(d, napi_account(req), http_param(req, "id"), &n,
	    &err) < 0)
		return api_error_from(req, &err);
	rc = napi_remove_one(d, &n, &err);
	if (rc == 0)
		log_emit(LOG_INFO, req->req_id, NULL, "network %s (%s) removed",
		    n.id, n.name);
	network_clear(&n);
	if (rc < 0)
		return api_error_from(req, &err);
	return http_reply(req, 204, NULL, NULL, 0);
}

static int
napi_prune(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct network *v;
	sdc_error_t err = NULL;
	json_t *filters, *gone = json_array(), *x;
	const char *key;
	size_t n, i;

	if ((filters = napi_filters_parse(req, &err)) == NULL) {
		json_decref(gone);
		return api_error_from(req, &err);
	}
	json_object_foreach(filters, key, x)
		if (strcmp(key, "label") != 0) {
			json_decref(filters);
			json_decref(gone);
			return api_error(req, 400, "invalid filter '%s'", key);
		}
	if (networks_list(d, napi_account(req), &v, &n, &err) < 0) {
		json_decref(filters);
		json_decref(gone);
		return api_error_from(req, &err);
	}
	for (i = 0; i < n; i++) {
		if (v[i].is_default || napi_in_use(d, &v[i]) ||
		    !napi_match(d, &v[i], filters))
			continue;
		if (napi_remove_one(d, &v[i], &err) < 0) {
			log_warn("network %s: prune: %s", v[i].id,
			    sdc_error_msg(err));
			sdc_error_release(&err);
			continue;
		}
		json_array_append_new(gone, json_string(v[i].name));
	}
	networks_free(v, n);
	json_decref(filters);
	return api_json(req, 200, json_pack("{s:o}", "NetworksDeleted", gone));
}

/* connect and disconnect: the body names the account's container; the
 * network is the path's. */
static int napi_connect(struct http_request *req, void *arg);
static int napi_disconnect(struct http_request *req, void *arg);

static int
napi_membership(struct http_request *req, struct dockerapi *d, bool connect)
{
	struct network n;
	struct net_dns_wait names = { 0 };
	sdc_error_t err = NULL;
	json_t *body;
	struct ctr *c;
	int rc;

	if ((body = http_body_json(req, &err)) == NULL || !json_is_object(body)) {
		json_decref(body);
		if (err == NULL)
			sdc_make_error_code(&err, 400, "the body must be a JSON "
			    "object");
		return api_error_from(req, &err);
	}
	if (network_find(d, napi_account(req), http_param(req, "id"), &n,
	    &err) < 0) {
		json_decref(body);
		return api_error_from(req, &err);
	}
	c = ctr_find(ctrs(d), napi_account(req), json_str(body, "Container", ""),
	    &err);
	/* a container on a node: the call waits for one under way on it,
	 * and one running there is its agent's to plumb */
	if (c != NULL && *json_str(c->extra, "Node", "") != '\0' &&
	    ctr_busy(req, c, connect ? napi_connect : napi_disconnect, d)) {
		network_clear(&n);
		json_decref(body);
		return HTTP_ASYNC;
	}
	if (c != NULL && ctrnet_on_node(ctrs(d), c)) {
		rc = nodenet_membership(req, ctrs(d), c, &n,
		    json_object_get(body, "EndpointConfig"), connect);
		network_clear(&n);
		json_decref(body);
		return rc;
	}
	if (c == NULL)
		rc = -1;
	else if (connect)
		rc = ctrnet_connect(ctrs(d), c, &n,
		    json_object_get(body, "EndpointConfig"), &err);
	else
		rc = ctrnet_disconnect(ctrs(d), c, &n, &err);
	if (rc == 0) {
		events_network(ctrs(d), c->account, n.id, n.name, connect ?
		    "connect" : "disconnect", c->id);
		/* answered once the network's server has the names */
		netwire_dns_wait_add(d, &names, n.id);
	}
	network_clear(&n);
	json_decref(body);
	if (rc < 0)
		return api_error_from(req, &err);
	return net_names_reply(d->base, req, &names, 200, NULL);
}

static int
napi_connect(struct http_request *req, void *arg)
{
	return napi_membership(req, arg, true);
}

static int
napi_disconnect(struct http_request *req, void *arg)
{
	return napi_membership(req, arg, false);
}

/* --- the admin API: across accounts --- */

static json_t *
napi_admin_json(struct dockerapi *d, const struct network *n)
{
	json_t *j = network_json(d, n, true);
	sdc_error_t err = NULL;
	struct account *a = account_find(d, n->account, &err);

	sdc_error_release(&err);
	json_object_set_new(j, "Account", json_string(n->account));
	json_object_set_new(j, "Login", json_string(a != NULL ? a->login : ""));
	json_object_set_new(j, "VNI", json_integer(n->vni));
	account_free(a);
	return j;
}

int
networks_admin_list(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *login = http_query(req, "account");
	struct account *a = NULL;
	struct network *v;
	sdc_error_t err = NULL;
	json_t *out;
	size_t n, i;

	if (login != NULL && *login != '\0' &&
	    (a = account_find(d, login, &err)) == NULL)
		return api_error_from(req, &err);
	if (networks_list(d, a != NULL ? a->uuid : NULL, &v, &n, &err) < 0) {
		account_free(a);
		return api_error_from(req, &err);
	}
	account_free(a);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, napi_admin_json(d, &v[i]));
	networks_free(v, n);
	return api_json(req, 200, out);
}

int
networks_admin_get(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *ref = http_param(req, "id");
	struct network *v;
	sdc_error_t err = NULL;
	json_t *j = NULL;
	size_t n, i, hits = 0;

	if (networks_list(d, NULL, &v, &n, &err) < 0)
		return api_error_from(req, &err);
	for (i = 0; i < n; i++)
		if (*ref != '\0' && strncmp(v[i].id, ref, strlen(ref)) == 0 &&
		    hits++ == 0)
			j = napi_admin_json(d, &v[i]);
	networks_free(v, n);
	if (hits != 1) {
		json_decref(j);
		return api_error(req, hits == 0 ? 404 : 400, hits == 0 ?
		    "network %s not found" : "network %s is ambiguous", ref);
	}
	return api_json(req, 200, j);
}

#define R(m, p, h, f, v) { { m, p, h, f, NULL }, v }

const struct api_endpoint networks_routes[] = {
	R("GET", "/networks", napi_list, 0, 21),
	R("POST", "/networks/create", napi_create, 0, 21),
	R("POST", "/networks/prune", napi_prune, 0, 25),
	R("GET", "/networks/:id", napi_inspect, 0, 21),
	R("DELETE", "/networks/:id", napi_delete, 0, 21),
	R("POST", "/networks/:id/connect", napi_connect, 0, 21),
	R("POST", "/networks/:id/disconnect", napi_disconnect, 0, 21),
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
