/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_BLOCK_DEFLATE_PRIV_H
#define KVMLITE_BLOCK_DEFLATE_PRIV_H

#include <stdint.h>

/* The DEFLATE format's constants (RFC 1951, 3.2.5 to 3.2.7). */

#define DEFLATE_END_OF_BLOCK	256
#define DEFLATE_FIRST_LENGTH	257
#define DEFLATE_LITLEN_SYMBOLS	286	/* that a dynamic block may code */
#define DEFLATE_DIST_SYMBOLS	30
#define DEFLATE_FIXED_LITLEN	288	/* the fixed code has 286, 287 too */
#define DEFLATE_FIXED_DIST	32	/* and distances 30, 31 */
#define DEFLATE_CODELEN_SYMBOLS	19
#define DEFLATE_MAX_BITS	15	/* longest literal/length or distance code */
#define DEFLATE_MAX_CODELEN_BITS 7	/* longest code length code */
#define DEFLATE_MIN_MATCH	3
#define DEFLATE_MAX_MATCH	258
#define DEFLATE_MAX_STORED	65535

/* Code length symbols: repeat the previous length, or runs of zeros. */
#define DEFLATE_REPEAT_PREV	16
#define DEFLATE_REPEAT_ZERO	17
#define DEFLATE_REPEAT_ZERO_LONG 18

/* Smallest length and extra bits of length symbols 257..285. */
extern const uint16_t deflate_length_base[29];
extern const uint8_t deflate_length_extra[29];

/* Smallest distance and extra bits of distance symbols 0..29. */
extern const uint16_t deflate_dist_base[30];
extern const uint8_t deflate_dist_extra[30];

/* The order in which a dynamic header lists the code length code. */
extern const uint8_t deflate_codelen_order[DEFLATE_CODELEN_SYMBOLS];

/* Code lengths of the fixed literal/length code (3.2.6). */
unsigned int deflate_fixed_litlen_bits(unsigned int sym);
#define DEFLATE_FIXED_DIST_BITS	5

/* @code's @len bits in the opposite order: Huffman codes go MSB first. */
unsigned int deflate_reverse_bits(unsigned int code, unsigned int len);

/*
 * The canonical code's first code of each length (3.2.2, step 2), from
 * @count[len] codes of each length (@count[0] must be 0); both arrays have
 * DEFLATE_MAX_BITS + 1 entries.
 */
void deflate_first_codes(const uint16_t *count, uint16_t *first_code);

#endif
