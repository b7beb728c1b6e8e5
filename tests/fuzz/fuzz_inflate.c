// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the DEFLATE decoder and encoder.  The input is a
 * hostile compressed cluster: its first two bytes (little-endian) give
 * the output buffer's size, the rest is the stream.
 *
 * The stream and the output each sit in a heap block of exactly their
 * size, so that the sanitizers catch any access outside them.  Besides
 * not crashing, the decoder must keep its promises (what it reports
 * produced, a full buffer on INFLATE_ERR_OUTPUT_FULL, inflate_cluster()
 * agreeing with inflate_raw()), and the encoder must round-trip both what
 * was decoded and the raw input bytes themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/deflate.h"

#define HEADER_SIZE	2

static struct deflate_ctx *ctx;

/* Compresses @data and checks that it inflates back to the same. */
static void round_trip(const uint8_t *data, size_t len)
{
	size_t cap = len + len / 8 + 64, zlen, produced;
	uint8_t *z = malloc(cap), *back = malloc(len);

	zlen = deflate_compress(ctx, data, len, z, cap);
	if (!zlen || inflate_raw(z, zlen, back, len, &produced) != INFLATE_OK ||
	    produced != len || memcmp(back, data, len))
		__builtin_trap();
	free(z);
	free(back);
}

static void check_cluster(const uint8_t *in, size_t in_len, size_t out_len,
			  int raw_ret, size_t produced)
{
	uint8_t *out = malloc(out_len);
	int ret = inflate_cluster(in, in_len, out, out_len);
	int want = raw_ret;

	if (raw_ret == INFLATE_ERR_OUTPUT_FULL)
		want = INFLATE_OK;
	else if (raw_ret == INFLATE_OK && produced < out_len)
		want = INFLATE_ERR_SHORT;
	if (ret != want)
		__builtin_trap();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t out_len, produced = SIZE_MAX;
	uint8_t *out;
	int ret;

	if (size < HEADER_SIZE)
		return 0;
	if (!ctx)
		ctx = deflate_new();
	out_len = data[0] | data[1] << 8;
	out = malloc(out_len);

	ret = inflate_raw(data + HEADER_SIZE, size - HEADER_SIZE, out, out_len,
			  &produced);
	if (ret > INFLATE_OK || ret < INFLATE_ERR_DISTANCE ||
	    produced > out_len ||
	    (ret == INFLATE_ERR_OUTPUT_FULL && produced != out_len))
		__builtin_trap();
	check_cluster(data + HEADER_SIZE, size - HEADER_SIZE, out_len, ret,
		      produced);
	if (ret == INFLATE_OK)
		round_trip(out, produced);
	round_trip(data, size);
	free(out);
	return 0;
}
