// SPDX-License-Identifier: MIT
#include "guest.h"
#include "netproto.h"

#define IP_TTL			64
#define IP_DF			0x4000

const uint8_t eth_broadcast[ETH_ALEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

uint16_t inet_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += be16(p);
	if (len)
		sum += p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto,
		    uint16_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	       proto + len;
}

int parse_ip(const char *s, uint32_t *ip)
{
	unsigned long part;
	unsigned int i;

	*ip = 0;
	for (i = 0; i < 4; i++) {
		for (part = 0; *s >= '0' && *s <= '9'; s++)
			part = part * 10 + (*s - '0');
		if (part > 255 || (i < 3 && *s++ != '.'))
			return -1;
		*ip = *ip << 8 | part;
	}
	return 0;
}

static void build_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src,
		      uint16_t type)
{
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	put16(f + 12, type);
}

size_t build_arp(uint8_t *f, const struct net_addr *src,
		 const struct net_addr *dst, uint16_t op)
{
	uint8_t *a = f + ETH_HLEN;

	build_eth(f, op == ARP_REQUEST ? eth_broadcast : dst->mac, src->mac,
		  ETH_P_ARP);
	put16(a, 1);			/* Ethernet */
	put16(a + 2, ETH_P_IP);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, src->mac, ETH_ALEN);
	put32(a + 14, src->ip);
	if (op == ARP_REQUEST)
		memset(a + 18, 0, ETH_ALEN);
	else
		memcpy(a + 18, dst->mac, ETH_ALEN);
	put32(a + 24, dst->ip);
	return ETH_HLEN + ARP_LEN;
}

void build_ip(uint8_t *f, const struct net_addr *src,
	      const struct net_addr *dst, uint8_t proto, uint16_t l4_len,
	      uint16_t id, bool ip_csum)
{
	uint8_t *ip = f + IP_OFF;

	build_eth(f, dst->mac, src->mac, ETH_P_IP);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, IP_HLEN + l4_len);
	put16(ip + 4, id);
	put16(ip + 6, IP_DF);
	ip[8] = IP_TTL;
	ip[9] = proto;
	put16(ip + 10, 0);
	put32(ip + 12, src->ip);
	put32(ip + 16, dst->ip);
	if (ip_csum)
		put16(ip + 10, inet_csum(ip, IP_HLEN, 0));
}

size_t build_icmp_echo(uint8_t *f, const struct net_addr *src,
		       const struct net_addr *dst, uint16_t id, uint16_t seq,
		       const void *data, size_t len)
{
	uint8_t *icmp = f + L4_OFF;

	build_ip(f, src, dst, IPPROTO_ICMP, ICMP_HLEN + len, id, true);
	icmp[0] = ICMP_ECHO;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	memcpy(icmp + ICMP_HLEN, data, len);
	put16(icmp + 2, inet_csum(icmp, ICMP_HLEN + len, 0));
	return L4_OFF + ICMP_HLEN + len;
}

size_t build_udp(uint8_t *f, const struct net_addr *src,
		 const struct net_addr *dst, uint16_t sport, uint16_t dport,
		 const void *data, size_t len, bool csum)
{
	uint8_t *udp = f + L4_OFF;
	uint16_t ulen = UDP_HLEN + len;
	uint32_t pseudo = pseudo_sum(src->ip, dst->ip, IPPROTO_UDP, ulen);

	build_ip(f, src, dst, IPPROTO_UDP, ulen, 0, true);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, ulen);
	memcpy(udp + UDP_HLEN, data, len);
	/* Offloading drivers seed the field with the pseudo-header sum. */
	put16(udp + 6, (uint16_t)~inet_csum(NULL, 0, pseudo));
	if (csum)
		put16(udp + 6, inet_csum(udp, ulen, 0));
	return L4_OFF + ulen;
}

int ip_for(const uint8_t *f, size_t len, uint32_t ip, uint8_t proto)
{
	const uint8_t *h = f + IP_OFF;
	uint16_t tot;

	if (len < L4_OFF || be16(f + 12) != ETH_P_IP || h[0] != 0x45 ||
	    h[9] != proto || be32(h + 16) != ip)
		return -1;
	tot = be16(h + 2);
	if (tot < IP_HLEN || (size_t)IP_OFF + tot > len)
		return -1;
	return tot - IP_HLEN;
}
