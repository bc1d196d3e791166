/*
 * sweep.c: at daemon start, remove every kernel object of ours that no
 * live network or container owns, found from the kernel and the run dir
 * alone (names, ifaliases and chain names are derived from ids: names.c).
 *
 * "Ours" is what this run dir knows: a sandbox file in <run>/netns, a
 * network marker in <run>/networks.  Another daemon on the same host (a
 * test's, with its own run dir) shares the kernel's links and our nftables
 * table, and its objects are left alone.  In order:
 *   - sandboxes of containers not in the list: unmounted, unlinked (the
 *     kernel deletes their veths when nothing holds them);
 *   - host veth ends of a container that is gone (on one of our networks
 *     or from one of our sandboxes), or on a network that is gone;
 *     bridges of our networks that are gone;
 *   - endpoints' nftables chains (and their jumps) whose container or
 *     network is gone, the gone bridges' set elements;
 *   - the markers of gone networks; the names tables (dns.c's
 *     net_dns_sweep when it is linked in, else the table files).
 * After a kill -9 this is what makes "nothing leaks" true; what running
 * containers keep (their sandboxes, veths, chains) is left as it is.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fsutil.h"
#include "log.h"
#include "xalloc.h"
#include "dockerapi/net/internal.h"

/* dns.c's, when the names part is linked; weak so the plumbing stands
 * alone (its tests' driver). */
#pragma weak net_dns_sweep

struct net_sweep {
	const char *const *networks;	/* live */
	const char *const *containers;	/* live */
	struct strvec ours;		/* networks with a marker here */
	struct strvec dead;		/* containers whose sandbox we removed */
	struct strvec doomed;		/* links to delete */
};

/* The marked network whose bridge this is, NULL if none. */
static const char *
net_sweep_ours(const struct net_sweep *w, const char *bridge)
{
	const char *hex = bridge + strlen(NET_BRIDGE_PREFIX);
	size_t i;

	for (i = 0; i < w->ours.n; i++)
		if (strncmp(w->ours.v[i], hex, 12) == 0)
			return w->ours.v[i];
	return NULL;
}

static bool
net_sweep_gone(const struct net_sweep *w, const char *network_id)
{
	return net_id_in(network_id, (const char *const *)w->ours.v) &&
	    !net_id_in(network_id, w->networks);
}

/* An endpoint (veth, chain) to remove. */
static bool
net_sweep_endpoint_gone(const struct net_sweep *w, const char *cid,
    const char *nid)
{
	bool live_c = net_id_in(cid, w->containers);
	bool live_n = net_id_in(nid, w->networks);

	return net_id_in(cid, (const char *const *)w->dead.v) ||
	    net_sweep_gone(w, nid) || (live_c && !live_n) ||
	    (!live_c && net_id_in(nid, (const char *const *)w->ours.v));
}

static void
net_sweep_link(const char *name, const char *alias, const char *kind,
    void *arg)
{
	struct net_sweep *w = arg;
	const char *nid;
	char cid[65], vnid[65];
	bool doomed = false;

	if (kind == NULL)
		return;
	if ((net_bridge_ifname_ours(name) && strcmp(kind, "bridge") == 0) ||
	    (net_vxlan_ifname_ours(name) && strcmp(kind, "vxlan") == 0))
		doomed = (nid = net_sweep_ours(w, name)) != NULL &&
		    !net_id_in(nid, w->networks);
	else if (net_veth_ifname_ours(name) && strcmp(kind, "veth") == 0)
		doomed = net_veth_alias_parse(alias, cid, vnid) &&
		    net_sweep_endpoint_gone(w, cid, vnid);
	if (!doomed)
		return;
	strvec_push(&w->doomed, name);
}

static int
net_sweep_dir(const char *dir, struct strvec *names)
{
	struct dirent *d;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL)
		if (net_id_ok(d->d_name))
			strvec_push(names, d->d_name);
	closedir(dp);
	return 0;
}

static int
net_sweep_sandboxes(const struct net_config *cfg, struct net_sweep *w,
    sdc_error_t *err)
{
	struct strvec all = STRVEC_INIT;
	char *path, *dir = net_netns_dir(cfg);
	size_t i;
	int rc = 0;

	net_sweep_dir(dir, &all);
	free(dir);
	for (i = 0; rc == 0 && i < all.n; i++) {
		if (net_id_in(all.v[i], w->containers))
			continue;
		if ((rc = net_nft_ports_remove(all.v[i], NULL, err)) < 0)
			break;
		path = net_netns_path(cfg, all.v[i]);
		rc = net_sandbox_remove_path(path, err);
		if (rc == 0)
			log_info("network sweep: removed sandbox %s", path);
		free(path);
		strvec_push(&w->dead, all.v[i]);
	}
	strvec_clear(&all);
	return rc;
}

/* Every name an element of our sets mentions. */
static void
net_sweep_names(const json_t *v, struct strvec *out)
{
	const json_t *x;
	size_t i;

	if (json_is_string(v)) {
		strvec_push(out, json_string_value(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			net_sweep_names(x, out);
	} else if (json_is_object(v)) {
		net_sweep_names(json_object_get(v, "concat"), out);
		net_sweep_names(json_object_get(v, "elem"), out);
		net_sweep_names(json_object_get(v, "val"), out);
	}
}

static int
net_sweep_nft(struct net_sweep *w, sdc_error_t *err)
{
	struct buf text = { NULL, 0, 0 };
	struct strvec names = STRVEC_INIT;
	struct net_nft_jump *jumps;
	char cid[65], nid[65], **chains;
	const char *gone;
	json_t *j, *item;
	size_t n, i, k;
	int rc;

	if (net_nft_jumps(&jumps, &n, err) < 0)
		return -1;
	if ((chains = net_nft_chains(err)) == NULL) {
		net_nft_jumps_free(jumps, n);
		return -1;
	}
	for (i = 0; chains[i] != NULL; i++) {
		long long handle = 0;

		if (!net_ports_chain_parse(chains[i], cid, nid) ||
		    !net_sweep_endpoint_gone(w, cid, nid))
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(jumps[k].chain, chains[i]) == 0)
				handle = jumps[k].handle;
		net_nft_ports_remove_text(&text, chains[i], handle);
	}
	strvec_array_free(chains);
	net_nft_jumps_free(jumps, n);
	if ((j = net_nft_list("list table " NET_NFT_TABLE, err)) == NULL) {
		buf_free(&text);
		return -1;
	}
	json_array_foreach(json_object_get(j, "nftables"), i, item)
		net_sweep_names(json_object_get(json_object_get(item, "set"),
		    "elem"), &names);
	json_decref(j);
	/* none at all on a host whose sets are empty */
	for (i = 0; i < names.n; i++)
		if (net_bridge_ifname_ours(names.v[i]) &&
		    (gone = net_sweep_ours(w, names.v[i])) != NULL &&
		    !net_id_in(gone, w->networks) &&
		    strstr(buf_str(&text), names.v[i]) == NULL)
			net_nft_bridge_remove_text(&text, names.v[i]);
	strvec_clear(&names);
	rc = net_nft_run(buf_str(&text), err);
	buf_free(&text);
	return rc;
}

/* Without dns.c: the table dirs of our networks that are gone (its
 * layout: <run>/dns/net/<network id>/). */
static void
net_sweep_dns_files(const struct net_config *cfg, const struct net_sweep *w)
{
	sdc_error_t err = NULL;
	char *path;
	size_t i;

	for (i = 0; i < w->ours.n; i++) {
		if (net_id_in(w->ours.v[i], w->networks))
			continue;
		xasprintf(&path, "%s/dns/net/%s", cfg->run_dir, w->ours.v[i]);
		fs_rmtree(path, &err);
		sdc_error_release(&err);
		free(path);
	}
}

static int
net_sweep_markers(const struct net_config *cfg, const struct net_sweep *w,
    sdc_error_t *err)
{
	char *path;
	size_t i;
	int rc = 0;

	for (i = 0; i < w->ours.n; i++) {
		if (net_id_in(w->ours.v[i], w->networks))
			continue;
		path = net_network_marker(cfg, w->ours.v[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			rc = sdc_make_error(err, errno, "removing %s", path);
		free(path);
	}
	return rc;
}

int
net_sweep(const struct net_config *cfg, const char *const *network_ids,
    const char *const *container_ids, sdc_error_t *err)
{
	struct net_sweep w = { .networks = network_ids,
	    .containers = container_ids };
	struct nl_sock *sk;
	char *dir = net_network_dir(cfg);
	size_t i;
	int rc = 0;

	net_sweep_dir(dir, &w.ours);
	free(dir);
	if (net_sweep_sandboxes(cfg, &w, err) < 0 ||
	    (sk = net_nl_open(err)) == NULL)
		rc = -1;
	else {
		if (net_link_each(sk, net_sweep_link, &w, err) < 0)
			rc = -1;
		for (i = 0; i < w.doomed.n; i++) {
			if (rc == 0 && net_link_delete(sk, w.doomed.v[i], err) < 0)
				rc = -1;
			else if (rc == 0)
				log_info("network sweep: removed link %s",
				    w.doomed.v[i]);
		}
		strvec_clear(&w.doomed);
		net_nl_close(sk);
	}
	if (rc == 0 && (net_sweep_nft(&w, err) < 0 ||
	    net_nft_foreign_ensure(err) < 0))
		rc = -1;
	if (rc == 0) {
		if (net_dns_sweep != NULL)
			rc = net_dns_sweep(cfg, network_ids, err);
		else
			net_sweep_dns_files(cfg, &w);
	}
	if (rc == 0)
		rc = net_sweep_markers(cfg, &w, err);
	strvec_clear(&w.ours);
	strvec_clear(&w.dead);
	return rc < 0 ? sdc_error_wrap(err, "network sweep") : 0;
}
