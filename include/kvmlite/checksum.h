/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_CHECKSUM_H
#define KVMLITE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The Internet checksum (RFC 1071) over network-order 16-bit words, and
 * the Ethernet FCS (CRC-32).  A sum is accumulated unfolded in 32 bits:
 * csum_add() over pieces at even offsets, then csum_fold().
 */

/* Adds @len bytes at @data, which start at an even offset of the sum. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);

static inline uint32_t csum_add16(uint32_t sum, uint16_t word)
{
	return sum + word;
}

/* The 16-bit one's complement sum, not complemented. */
static inline uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The CRC-32 of IEEE 802.3, as the FCS carries it (little-endian). */
uint32_t eth_crc32(const void *data, size_t len);

#endif
