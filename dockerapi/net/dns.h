/*
 * dns.h: the parts of dns.c that the unit tests reach (the file format
 * and the check that a pid is our aardvark-dns); the daemon uses net.h.
 */
#ifndef SDC_NET_DNS_H
#define SDC_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>

#include "buf.h"
#include "error.h"
#include "dockerapi/net/net.h"

/* The port aardvark-dns binds on each gateway (netavark's default). */
#define NET_DNS_PORT "53"

/* Append a network's table in aardvark-dns 1.4's format to out:
 *   <gateway>
 *   <container id> <ipv4> <ipv6: empty> <name>[,<name>...]
 * A name, id or address that the format cannot carry is a 400 naming it. */
int net_dns_format(const struct net_bridge *b, const struct net_dns_entry *entries,
    size_t n, struct buf *out, sdc_error_t *err);

/* The second half of net_dns_set, for a table formatted earlier (the
 * queue, dns-queue.c, formats on the daemon's loop and applies on a
 * thread): write it as the network's table unless it reads so already,
 * then reload (names: start) its server and wait for its socket. */
int net_dns_apply(const struct net_config *cfg, const char *id,
    struct in_addr gw, const struct buf *table, bool names, sdc_error_t *err);
/* net_dns_ensure for one network's dir: 1 when its server was started. */
int net_dns_ensure_net(const struct net_config *cfg, const char *id,
    sdc_error_t *err);

/* Whether a table's file name (a network id) is one we write. */
bool net_dns_id_ok(const char *id);
/* Whether a name can be answered: letters, digits, '-', '_', '.'. */
bool net_dns_name_ok(const char *name);

/* Whether /proc/<pid>/cmdline (len bytes, NUL-separated) is aardvark-dns
 * (argv[0]'s base name is binary's) serving config dir conf. */
bool net_dns_cmdline_ours(const char *cmdline, size_t len, const char *binary,
    const char *conf);

#endif
