/*
 * nft.c: our nftables table through libnftables: one transaction per
 * change (nft_run_cmd_from_buffer takes the whole text as one batch, so a
 * change is applied entirely or not at all), listings in JSON read with
 * jansson rather than parsed from nft's text output.
 *
 * The only state is in the kernel: an endpoint's jump rule is found again
 * by listing the "ports" chain with its handles.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nftables/libnftables.h>

#include "xalloc.h"
#include "dockerapi/net/internal.h"

/*
 * One context for the process, made at the first use: a new context reads
 * iproute2's tables and starts with an empty cache, a few milliseconds
 * each time.  The library runs on the daemon's loop thread only (net.h),
 * so nothing else uses it at the same time.  Both outputs go to buffers,
 * which each read rewinds.
 */
static struct nft_ctx *net_nft_shared;

static struct nft_ctx *
net_nft_ctx(bool json, sdc_error_t *err)
{
	struct nft_ctx *ctx = net_nft_shared;

	if (ctx == NULL) {
		if ((ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
			sdc_make_error(err, errno, "nftables: no context");
			return NULL;
		}
		nft_ctx_buffer_output(ctx);
		nft_ctx_buffer_error(ctx);
		net_nft_shared = ctx;
	}
	nft_ctx_output_set_flags(ctx, json ? NFT_CTX_OUTPUT_JSON |
	    NFT_CTX_OUTPUT_HANDLE : 0);
	/* rewind what an earlier call left */
	(void)nft_ctx_get_output_buffer(ctx);
	(void)nft_ctx_get_error_buffer(ctx);
	return ctx;
}

static int
net_nft_fail(struct nft_ctx *ctx, const char *text, sdc_error_t *err)
{
	const char *e = nft_ctx_get_error_buffer(ctx);
	size_t n = e != NULL ? strlen(e) : 0;

	while (n > 0 && (e[n - 1] == '\n' || e[n - 1] == ' '))
		n--;
	sdc_make_error(err, 0, "nftables: %.*s", (int)(n > 600 ? 600 : n),
	    n > 0 ? e : text);
	return -1;
}

int
net_nft_run(const char *text, sdc_error_t *err)
{
	struct nft_ctx *ctx;
	int rc = 0;

	if (text[0] == '\0')
		return 0;
	if ((ctx = net_nft_ctx(false, err)) == NULL)
		return -1;
	if (nft_run_cmd_from_buffer(ctx, text) != 0)
		rc = net_nft_fail(ctx, text, err);
	return rc;
}

json_t *
net_nft_list(const char *cmd, sdc_error_t *err)
{
	struct nft_ctx *ctx;
	json_error_t je;
	json_t *j = NULL;

	if ((ctx = net_nft_ctx(true, err)) == NULL)
		return NULL;
	if (nft_run_cmd_from_buffer(ctx, cmd) != 0)
		net_nft_fail(ctx, cmd, err);
	else if ((j = json_loads(nft_ctx_get_output_buffer(ctx), 0, &je)) ==
	    NULL)
		sdc_make_error(err, 0, "nftables: '%s' gave no JSON: %s", cmd,
		    je.text);
	return j;
}

/* Our table, created with its base chains if it is not there. */
static json_t *
net_nft_list_ours(const char *cmd, sdc_error_t *err)
{
	json_t *j = net_nft_list(cmd, NULL);
	struct buf b = { NULL, 0, 0 };

	if (j != NULL)
		return j;
	net_nft_base_text(&b);
	if (net_nft_run(buf_str(&b), err) < 0) {
		buf_free(&b);
		return NULL;
	}
	buf_free(&b);
	return net_nft_list(cmd, err);
}

void
net_nft_jumps_free(struct net_nft_jump *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].chain);
	free(v);
}

int
net_nft_jumps(struct net_nft_jump **out, size_t *n, sdc_error_t *err)
{
	json_t *j = net_nft_list_ours("list chain " NET_NFT_TABLE " ports", err);
	json_t *item, *rule, *e;
	size_t i, k;

	*out = NULL;
	*n = 0;
	if (j == NULL)
		return -1;
	json_array_foreach(json_object_get(j, "nftables"), i, item) {
		if ((rule = json_object_get(item, "rule")) == NULL)
			continue;
		json_array_foreach(json_object_get(rule, "expr"), k, e) {
			const char *target = json_string_value(json_object_get(
			    json_object_get(e, "jump"), "target"));

			if (target == NULL)
				continue;
			*out = xrealloc(*out, (*n + 1) * sizeof **out);
			(*out)[*n].chain = xstrdup(target);
			(*out)[(*n)++].handle = json_integer_value(
			    json_object_get(rule, "handle"));
		}
	}
	json_decref(j);
	return 0;
}

char **
net_nft_chains(sdc_error_t *err)
{
	json_t *j = net_nft_list_ours("list table " NET_NFT_TABLE, err);
	json_t *item;
	char **v;
	size_t i, n = 0;

	if (j == NULL)
		return NULL;
	v = xcalloc(json_array_size(json_object_get(j, "nftables")) + 1,
	    sizeof *v);
	json_array_foreach(json_object_get(j, "nftables"), i, item) {
		const char *name = json_string_value(json_object_get(
		    json_object_get(item, "chain"), "name"));

		if (name != NULL)
			v[n++] = xstrdup(name);
	}
	json_decref(j);
	return v;
}

/* Every p_ chain has its jump, added in the same transaction: the
 * "ports" chain alone says which there are. */
int
net_nft_ports_remove(const char *container_id, const char *network_id,
    sdc_error_t *err)
{
	char cid[65], nid[65];
	struct net_nft_jump *jumps;
	struct buf b = { NULL, 0, 0 };
	size_t n, i;
	int rc = 0;

	if (net_nft_jumps(&jumps, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!net_ports_chain_parse(jumps[i].chain, cid, nid) ||
		    (container_id != NULL && strcmp(cid, container_id) != 0) ||
		    (network_id != NULL && strcmp(nid, network_id) != 0))
			continue;
		net_nft_ports_remove_text(&b, jumps[i].chain, jumps[i].handle);
	}
	if (b.len > 0)
		rc = net_nft_run(buf_str(&b), err);
	buf_free(&b);
	net_nft_jumps_free(jumps, n);
	return rc;
}

/* Whether a rule's JSON carries our comment. */
static bool
net_nft_rule_ours(const json_t *rule)
{
	const char *c = json_string_value(json_object_get(rule, "comment"));

	return c != NULL && strcmp(c, NET_NFT_FOREIGN_TAG) == 0;
}

int
net_nft_foreign_ensure(sdc_error_t *err)
{
	json_t *j, *item, *o;
	const char *target = NULL;
	bool has_user = false, has_forward = false, ours = false;
	struct buf b = { NULL, 0, 0 };
	size_t i;
	int rc = 0;

	/* No iptables-nft filter table, nothing to do. */
	if ((j = net_nft_list("list table ip filter", NULL)) == NULL)
		return 0;
	json_array_foreach(json_object_get(j, "nftables"), i, item) {
		const char *name;

		if ((o = json_object_get(item, "chain")) != NULL &&
		    (name = json_string_value(json_object_get(o, "name")))) {
			has_user |= strcmp(name, "DOCKER-USER") == 0;
			has_forward |= strcmp(name, "FORWARD") == 0;
		}
	}
	target = has_user ? "DOCKER-USER" : has_forward ? "FORWARD" : NULL;
	json_array_foreach(json_object_get(j, "nftables"), i, item) {
		if ((o = json_object_get(item, "rule")) != NULL && target &&
		    strcmp(json_string_value(json_object_get(o, "chain")) ?
		    json_string_value(json_object_get(o, "chain")) : "",
		    target) == 0 && net_nft_rule_ours(o))
			ours = true;
	}
	json_decref(j);
	if (target == NULL || ours)
		return 0;
	net_nft_foreign_text(&b, "ip filter", target);
	rc = net_nft_run(buf_str(&b), err);
	buf_free(&b);
	return rc < 0 ? sdc_error_wrap(err, "letting our bridges through "
	    "iptables' ip filter %s", target) : 0;
}

/* Whether a set's JSON holds the element: an ifname, or (same) the
 * ifname twice. */
static bool
net_nft_set_has(const json_t *set, const char *ifname, bool pair)
{
	const json_t *e, *c;
	size_t i;

	json_array_foreach(json_object_get(set, "elem"), i, e) {
		if (!pair && json_is_string(e) &&
		    strcmp(json_string_value(e), ifname) == 0)
			return true;
		c = json_object_get(e, "concat");
		if (pair && json_array_size(c) == 2 &&
		    json_string_value(json_array_get(c, 0)) != NULL &&
		    json_string_value(json_array_get(c, 1)) != NULL &&
		    strcmp(json_string_value(json_array_get(c, 0)), ifname) == 0 &&
		    strcmp(json_string_value(json_array_get(c, 1)), ifname) == 0)
			return true;
	}
	return false;
}

#define NET_NFT_RULE_PREFIX "add rule " NET_NFT_TABLE " "
#define NET_NFT_BASE_CHAINS 8

bool
net_nft_bridge_intact(const char *ifname, bool internal)
{
	struct { char name[32]; int want, have; } ch[NET_NFT_BASE_CHAINS];
	struct buf base = { NULL, 0, 0 };
	const char *line, *end;
	json_t *j, *item, *o;
	size_t i, k, nch = 0;
	int sets = 0;
	bool ok = true;

	/* the rules each base chain should hold, from the text that writes
	 * them, so the two cannot disagree */
	net_nft_base_text(&base);
	for (line = buf_str(&base); *line != '\0'; line = end + (*end != '\0')) {
		char name[32];

		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if (strncmp(line, NET_NFT_RULE_PREFIX,
		    strlen(NET_NFT_RULE_PREFIX)) != 0 ||
		    sscanf(line + strlen(NET_NFT_RULE_PREFIX), "%31s", name) != 1)
			continue;
		for (k = 0; k < nch && strcmp(ch[k].name, name) != 0; k++)
			;
		if (k == nch) {
			if (nch == NET_NFT_BASE_CHAINS) {
				buf_free(&base);
				return false;
			}
			snprintf(ch[nch].name, sizeof ch[nch].name, "%s", name);
			ch[nch].want = ch[nch].have = 0;
			nch++;
		}
		ch[k].want++;
	}
	buf_free(&base);
	if ((j = net_nft_list("list table " NET_NFT_TABLE, NULL)) == NULL)
		return false;
	json_array_foreach(json_object_get(j, "nftables"), i, item) {
		const char *name;

		if ((o = json_object_get(item, "rule")) != NULL) {
			name = json_string_value(json_object_get(o, "chain"));
			for (k = 0; name != NULL && k < nch; k++)
				if (strcmp(ch[k].name, name) == 0)
					ch[k].have++;
			continue;
		}
		if ((o = json_object_get(item, "set")) == NULL ||
		    (name = json_string_value(json_object_get(o, "name"))) == NULL)
			continue;
		if (strcmp(name, "bridges") == 0)
			sets |= net_nft_set_has(o, ifname, false) ? 1 : 0;
		else if (strcmp(name, "same") == 0)
			sets |= net_nft_set_has(o, ifname, true) ? 2 : 0;
		else if (strcmp(name, internal ? "internal" : "natifs") == 0)
			sets |= net_nft_set_has(o, ifname, false) ? 4 : 0;
		else if (strcmp(name, internal ? "natifs" : "internal") == 0)
			ok &= !net_nft_set_has(o, ifname, false);
	}
	json_decref(j);
	for (k = 0; k < nch; k++)
		ok &= ch[k].have == ch[k].want;
	return ok && sets == 7;
}
