/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_TESTS_FUZZ_H
#define KVMLITE_TESTS_FUZZ_H

/* What the fuzz targets share: their entry point, checks and input reads. */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Fuzzer-found bugs must stop the gcc corpus replay too, so no assert(). */
#define ENSURE(cond)				\
	do {					\
		if (!(cond))			\
			__builtin_trap();	\
	} while (0)

static inline uint16_t fuzz_rd16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static inline uint32_t fuzz_rd32(const uint8_t *p)
{
	return fuzz_rd16(p) | (uint32_t)fuzz_rd16(p + 2) << 16;
}

#endif
