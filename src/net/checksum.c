// SPDX-License-Identifier: MIT
#include <pthread.h>

#include "kvmlite/checksum.h"

#define CRC32_POLY	0xedb88320U	/* IEEE 802.3, bit-reversed */

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	/* 64 bits cannot overflow; the result is folded to 16 bits. */
	for (; len >= 2; p += 2, len -= 2)
		acc += (uint32_t)p[0] << 8 | p[1];
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void)
{
	uint32_t c, i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? CRC32_POLY ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t eth_crc32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = ~0U;

	pthread_once(&crc_once, crc_table_init);
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
