/*
 * One UDP datagram in a hand-made Ethernet frame, as a container's root
 * may send one with CAP_NET_RAW (Docker's default set): any destination
 * address, including the host's loopback ones, to a next hop's MAC.  The
 * kernel's routing would never send 127.0.0.1 out of eth0; a packet
 * socket does, so the host's rules must stop it.  Built static by
 * 44-networks-isolation.py and copied into a container.
 *
 *   44-rawudp IFACE NEXTHOP-MAC SRC-IP DST-IP DST-PORT TEXT
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned short
csum(const void *p, size_t n)
{
	const unsigned short *w = p;
	unsigned long s = 0;

	for (; n > 1; n -= 2)
		s += *w++;
	if (n)
		s += *(const unsigned char *)w;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (unsigned short)~s;
}

int
main(int argc, char **argv)
{
	unsigned char f[1500], dmac[6];
	struct ether_header *eh = (void *)f;
	struct iphdr *ip = (void *)(f + sizeof *eh);
	struct udphdr *udp = (void *)(f + sizeof *eh + sizeof *ip);
	struct sockaddr_ll sll;
	struct ifreq ifr;
	size_t len;
	int s;

	if (argc != 7 || sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
	    &dmac[0], &dmac[1], &dmac[2], &dmac[3], &dmac[4], &dmac[5]) != 6) {
		fprintf(stderr, "usage: 44-rawudp IFACE MAC SRC DST PORT TEXT\n");
		return 2;
	}
	len = strlen(argv[6]);
	if ((s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP))) < 0) {
		perror("socket");
		return 1;
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", argv[1]);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		perror("SIOCGIFHWADDR");
		return 1;
	}
	memset(f, 0, sizeof f);
	memcpy(eh->ether_dhost, dmac, 6);
	memcpy(eh->ether_shost, ifr.ifr_hwaddr.sa_data, 6);
	eh->ether_type = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(sizeof *ip + sizeof *udp + len);
	ip->saddr = inet_addr(argv[3]);
	ip->daddr = inet_addr(argv[4]);
	ip->check = csum(ip, sizeof *ip);
	udp->source = htons(40000);
	udp->dest = htons(atoi(argv[5]));
	udp->len = htons(sizeof *udp + len);
	memcpy(f + sizeof *eh + sizeof *ip + sizeof *udp, argv[6], len);
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = if_nametoindex(argv[1]);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	if (sendto(s, f, sizeof *eh + sizeof *ip + sizeof *udp + len, 0,
	    (void *)&sll, sizeof sll) < 0) {
		perror("sendto");
		return 1;
	}
	return 0;
}
