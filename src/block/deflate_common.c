// SPDX-License-Identifier: MIT
#include "deflate_priv.h"

const uint16_t deflate_length_base[29] = {
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};

const uint8_t deflate_length_extra[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};

const uint16_t deflate_dist_base[30] = {
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
	8193, 12289, 16385, 24577,
};

const uint8_t deflate_dist_extra[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
	7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
};

const uint8_t deflate_codelen_order[DEFLATE_CODELEN_SYMBOLS] = {
	16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

unsigned int deflate_fixed_litlen_bits(unsigned int sym)
{
	if (sym < 144)
		return 8;
	if (sym < 256)
		return 9;
	if (sym < 280)
		return 7;
	return 8;
}

unsigned int deflate_reverse_bits(unsigned int code, unsigned int len)
{
	unsigned int rev = 0;

	while (len--) {
		rev = rev << 1 | (code & 1);
		code >>= 1;
	}
	return rev;
}

void deflate_first_codes(const uint16_t *count, uint16_t *first_code)
{
	unsigned int len, code = 0;

	for (len = 1; len <= DEFLATE_MAX_BITS; len++) {
		code = (code + count[len - 1]) << 1;
		first_code[len] = code;
	}
}
