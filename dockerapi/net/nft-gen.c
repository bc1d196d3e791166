/*
 * nft-gen.c: the generation of the kernel's nftables ruleset, a number
 * that every committed change of any table (ours, another daemon's,
 * iptables-nft's) moves on.
 *
 * Why: a start checks that our table and iptables' FORWARD are still as
 * we left them (bridge.c), which is two listings through libnftables, a
 * few milliseconds each on a busy host.  When the generation has not
 * moved since we last saw them right, nothing can have changed them: one
 * netlink request of a few microseconds answers instead.  Asked by hand
 * (NFT_MSG_GETGEN): libnftables would fill its whole cache first.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "dockerapi/net/internal.h"

int
net_nft_genid(uint32_t *out, sdc_error_t *err)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nf;
	} req = {
		.nh = { .nlmsg_len = sizeof req, .nlmsg_type =
		    (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN,
		    .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.nf = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 },
	};
	char buf[512];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct nlattr *a;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_NETFILTER)) < 0)
		return sdc_make_error(err, errno, "nftables: netlink socket");
	if (send(fd, &req, sizeof req, 0) < 0) {
		sdc_make_error(err, errno, "nftables: asking the generation");
		goto out;
	}
	if ((n = recv(fd, buf, sizeof buf, 0)) < 0) {
		sdc_make_error(err, errno, "nftables: the generation");
		goto out;
	}
	if (!NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type == NLMSG_ERROR ||
	    nh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN)) {
		sdc_make_error(err, 0, "nftables: no generation in the answer");
		goto out;
	}
	/* the attributes after the nfgenmsg: NFTA_GEN_ID, big-endian */
	for (a = (struct nlattr *)((char *)NLMSG_DATA(nh) +
	    NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	    (char *)a + sizeof *a <= (char *)nh + nh->nlmsg_len &&
	    a->nla_len >= sizeof *a;
	    a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID &&
		    a->nla_len >= sizeof *a + sizeof(uint32_t)) {
			uint32_t v;

			memcpy(&v, (char *)a + NLA_HDRLEN, sizeof v);
			*out = ntohl(v);
			rc = 0;
			goto out;
		}
	sdc_make_error(err, 0, "nftables: no generation in the answer");
out:
	close(fd);
	return rc;
}
