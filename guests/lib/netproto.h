/* SPDX-License-Identifier: MIT */
/* Ethernet, ARP, IPv4, ICMP, UDP and TCP frames, built and parsed. */
#ifndef GUEST_NETPROTO_H
#define GUEST_NETPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_ALEN		6
#define ETH_HLEN		14
#define ETH_P_IP		0x0800
#define ETH_P_ARP		0x0806
#define ARP_LEN			28
#define IP_HLEN			20
#define UDP_HLEN		8
#define TCP_HLEN		20
#define ICMP_HLEN		8
#define IPPROTO_ICMP		1
#define IPPROTO_TCP		6
#define IPPROTO_UDP		17
#define ARP_REQUEST		1
#define ARP_REPLY		2
#define ICMP_ECHO_REPLY		0
#define ICMP_ECHO		8

/* Offsets of IPv4 over Ethernet */
#define IP_OFF			ETH_HLEN
#define L4_OFF			(ETH_HLEN + IP_HLEN)
#define PAYLOAD_OFF(l4)		(L4_OFF + (l4))

struct net_addr {
	uint8_t mac[ETH_ALEN];
	uint32_t ip;			/* host order */
};

extern const uint8_t eth_broadcast[ETH_ALEN];

static inline uint16_t be16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);

/* The Internet checksum of @len bytes, complemented, seeded with @sum. */
uint16_t inet_csum(const void *data, size_t len, uint32_t sum);
/* The pseudo-header sum of TCP/UDP over IPv4 (not complemented). */
uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto,
		    uint16_t len);
/* Parses "10.0.0.2"; 0 or -1. */
int parse_ip(const char *s, uint32_t *ip);

/* Frames into @f; each returns the frame's length. */
size_t build_arp(uint8_t *f, const struct net_addr *src,
		 const struct net_addr *dst, uint16_t op);
/* Ethernet and IPv4 headers for @l4_len bytes; checksum if @ip_csum. */
void build_ip(uint8_t *f, const struct net_addr *src,
	      const struct net_addr *dst, uint8_t proto, uint16_t l4_len,
	      uint16_t id, bool ip_csum);
size_t build_icmp_echo(uint8_t *f, const struct net_addr *src,
		       const struct net_addr *dst, uint16_t id, uint16_t seq,
		       const void *data, size_t len);
/* UDP with its checksum in software if @csum, else the pseudo sum. */
size_t build_udp(uint8_t *f, const struct net_addr *src,
		 const struct net_addr *dst, uint16_t sport, uint16_t dport,
		 const void *data, size_t len, bool csum);

/* Is @f (of @len bytes) an IPv4 packet of @proto for @ip?  Its L4 length. */
int ip_for(const uint8_t *f, size_t len, uint32_t ip, uint8_t proto);

#endif /* GUEST_NETPROTO_H */
