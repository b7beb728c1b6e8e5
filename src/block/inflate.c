// SPDX-License-Identifier: MIT
/*
 * Raw DEFLATE decoding (RFC 1951), whole buffer to whole buffer.
 *
 * Speed comes from two things: a 64-bit bit buffer topped up eight bytes
 * at a time, so that one refill covers a whole length/distance pair, and
 * Huffman codes decoded by table lookup (one lookup for most codes, two
 * for the long ones) rather than bit by bit.
 *
 * Safety: every output write is checked against the end of the output,
 * every distance against what was produced, and past the end of the input
 * the bit buffer is fed zeros that are counted, so that decoding stops
 * with INFLATE_ERR_TRUNCATED as soon as a code reaches into them.
 */
#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kvmlite/deflate.h"
#include "deflate_priv.h"

#define ALWAYS_INLINE	inline __attribute__((always_inline))

/*
 * A decoding table is indexed by the next ROOT bits of the input, in the
 * order they arrive.  Codes longer than ROOT bits share a root entry that
 * links to a subtable indexed by the bits after the first ROOT.  Entries:
 */
#define E_BITS_MASK	0x0f	/* how many bits the code takes */
#define E_EXTRA_SHIFT	4	/* extra bits after it; a link's index bits */
#define E_FIELD_MASK	0x0f
#define E_LITERAL	0x100
#define E_END		0x200	/* end of block */
#define E_LINK		0x400
#define E_BAD		0x800	/* no symbol, or a reserved one */
#define E_VALUE_SHIFT	16	/* byte, length or distance base, link offset */

#define LITLEN_ROOT	10
#define DIST_ROOT	8
#define CODELEN_ROOT	DEFLATE_MAX_CODELEN_BITS

/*
 * Table sizes.  Only complete codes get subtables, and in a complete code
 * a subtable d bits deep holds at least d + 1 codes; so the subtables
 * total at most 2^d for every d + 1 symbols, d being at most 15 - ROOT.
 */
#define SUBTABLES_SIZE(symbols, root)					\
	((symbols) / (DEFLATE_MAX_BITS - (root) + 1) *			\
	 (1 << (DEFLATE_MAX_BITS - (root))))
#define LITLEN_TABLE_SIZE						\
	((1 << LITLEN_ROOT) + SUBTABLES_SIZE(DEFLATE_FIXED_LITLEN, LITLEN_ROOT))
#define DIST_TABLE_SIZE							\
	((1 << DIST_ROOT) + SUBTABLES_SIZE(DEFLATE_FIXED_DIST, DIST_ROOT))
#define CODELEN_TABLE_SIZE	(1 << CODELEN_ROOT)

enum alphabet { LITLEN, DIST, CODELEN };

struct code_tables {
	uint32_t litlen[LITLEN_TABLE_SIZE];
	uint32_t dist[DIST_TABLE_SIZE];
};

struct inflater {
	const uint8_t *in, *in_end;
	uint64_t bits;		/* next input bits, first in bit 0 */
	unsigned int nbits;	/* how many of them are valid */
	unsigned int overrun;	/* zero bytes fed in past the input's end */
	uint8_t *out_start, *out, *out_end;
};

static uint32_t symbol_entry(enum alphabet alphabet, unsigned int sym)
{
	switch (alphabet) {
	case LITLEN:
		if (sym < DEFLATE_END_OF_BLOCK)
			return E_LITERAL | sym << E_VALUE_SHIFT;
		if (sym == DEFLATE_END_OF_BLOCK)
			return E_END;
		if (sym >= DEFLATE_LITLEN_SYMBOLS)
			return E_BAD;
		sym -= DEFLATE_FIRST_LENGTH;
		return (uint32_t)deflate_length_base[sym] << E_VALUE_SHIFT |
		       deflate_length_extra[sym] << E_EXTRA_SHIFT;
	case DIST:
		if (sym >= DEFLATE_DIST_SYMBOLS)
			return E_BAD;
		return (uint32_t)deflate_dist_base[sym] << E_VALUE_SHIFT |
		       deflate_dist_extra[sym] << E_EXTRA_SHIFT;
	case CODELEN:
		break;
	}
	return sym << E_VALUE_SHIFT;
}

/*
 * Checks the code lengths as zlib does: a code may not be over-subscribed,
 * and may be incomplete only if it is a literal/length or distance code
 * with at most one code, one bit long (RFC 1951 lets a block that uses no
 * distances say so that way).
 */
static bool lengths_valid(const uint16_t *count, enum alphabet alphabet)
{
	unsigned int len, codes = 0, unused = 1;

	for (len = 1; len <= DEFLATE_MAX_BITS; len++) {
		unused <<= 1;
		if (count[len] > unused)
			return false;
		unused -= count[len];
		codes += count[len];
	}
	if (!unused)
		return true;
	return alphabet != CODELEN && codes == count[1] && codes <= 1;
}

/* Points the root entry of @rev's prefix at a subtable, made if need be. */
static uint32_t subtable_link(uint32_t *table, size_t size, unsigned int root,
			      unsigned int rev, unsigned int sub_bits,
			      size_t *next_free)
{
	uint32_t *link = &table[rev & ((1u << root) - 1)];
	size_t i, start = *next_free;

	if (*link & E_LINK)
		return *link;
	if (start + (1u << sub_bits) > size)
		return E_BAD;
	for (i = 0; i < (1u << sub_bits); i++)
		table[start + i] = E_BAD;
	*next_free = start + (1u << sub_bits);
	*link = E_LINK | sub_bits << E_EXTRA_SHIFT | start << E_VALUE_SHIFT;
	return *link;
}

/* Enters one code of @len bits, @rev being its bits in arrival order. */
static bool enter_code(uint32_t *table, size_t size, unsigned int root,
		       unsigned int rev, unsigned int len, uint32_t entry,
		       const uint8_t *sub_bits, size_t *next_free)
{
	unsigned int i, bits;
	uint32_t link;

	entry |= len;
	if (len <= root) {
		for (i = rev; i < (1u << root); i += 1u << len)
			table[i] = entry;
		return true;
	}
	link = subtable_link(table, size, root, rev,
			     sub_bits[rev & ((1u << root) - 1)], next_free);
	if (!(link & E_LINK))
		return false;
	table += link >> E_VALUE_SHIFT;
	bits = (link >> E_EXTRA_SHIFT) & E_FIELD_MASK;
	for (i = rev >> root; i < (1u << bits); i += 1u << (len - root))
		table[i] = entry;
	return true;
}

/*
 * Builds the decoding table for the canonical code of @lens (RFC 1951,
 * 3.2.2).  Returns false if the lengths do not make a valid code.
 */
static bool build_table(uint32_t *table, size_t size, unsigned int root,
			enum alphabet alphabet, const uint8_t *lens,
			unsigned int n)
{
	uint16_t count[DEFLATE_MAX_BITS + 1] = { 0 };
	uint16_t next_code[DEFLATE_MAX_BITS + 1];
	uint16_t sorted[DEFLATE_FIXED_LITLEN], rev[DEFLATE_FIXED_LITLEN];
	uint16_t offset[DEFLATE_MAX_BITS + 1];
	uint8_t sub_bits[1 << LITLEN_ROOT];
	unsigned int sym, len, i, codes;
	size_t next_free = 1u << root;

	for (sym = 0; sym < n; sym++)
		count[lens[sym]]++;
	count[0] = 0;
	if (!lengths_valid(count, alphabet))
		return false;

	deflate_first_codes(count, next_code);
	offset[1] = 0;
	for (len = 1; len < DEFLATE_MAX_BITS; len++)
		offset[len + 1] = offset[len] + count[len];
	codes = offset[DEFLATE_MAX_BITS] + count[DEFLATE_MAX_BITS];
	for (sym = 0; sym < n; sym++)
		if (lens[sym])
			sorted[offset[lens[sym]]++] = sym;

	/* In code order, a prefix's longest code comes last. */
	for (i = 0; i < codes; i++) {
		len = lens[sorted[i]];
		rev[i] = deflate_reverse_bits(next_code[len]++, len);
		if (len > root)
			sub_bits[rev[i] & ((1u << root) - 1)] = len - root;
	}

	for (i = 0; i < (1u << root); i++)
		table[i] = E_BAD;
	for (i = 0; i < codes; i++) {
		sym = sorted[i];
		if (!enter_code(table, size, root, rev[i], lens[sym],
				symbol_entry(alphabet, sym), sub_bits,
				&next_free))
			return false;
	}
	return true;
}

static struct code_tables fixed_tables;
static pthread_once_t fixed_tables_once = PTHREAD_ONCE_INIT;

static void build_fixed_tables(void)
{
	uint8_t lens[DEFLATE_FIXED_LITLEN];
	unsigned int sym;

	for (sym = 0; sym < DEFLATE_FIXED_LITLEN; sym++)
		lens[sym] = deflate_fixed_litlen_bits(sym);
	build_table(fixed_tables.litlen, LITLEN_TABLE_SIZE, LITLEN_ROOT,
		    LITLEN, lens, DEFLATE_FIXED_LITLEN);
	memset(lens, DEFLATE_FIXED_DIST_BITS, DEFLATE_FIXED_DIST);
	build_table(fixed_tables.dist, DIST_TABLE_SIZE, DIST_ROOT, DIST, lens,
		    DEFLATE_FIXED_DIST);
}

/*
 * Tops the bit buffer up to at least 56 bits: enough for a length code,
 * its extra bits, a distance code and its extra bits (15 + 5 + 15 + 13).
 * The eight bytes loaded may be more than fit: the bits above nbits then
 * hold the next input bytes, and the next refill ORs the same bytes over
 * them.  Past the input's end come zeros, counted; returns false once
 * any of them has been used.
 *
 * Always inlined, as everything the decoding loop calls, so that the
 * state lives in registers: a byte store through the output pointer
 * could alias it otherwise.
 */
static ALWAYS_INLINE bool refill(struct inflater *s)
{
	uint64_t word;

	if (__builtin_expect(s->in_end - s->in >= 8, 1)) {
		memcpy(&word, s->in, sizeof(word));
		s->bits |= le64toh(word) << s->nbits;
		s->in += (63 - s->nbits) >> 3;
		s->nbits |= 56;
		return true;
	}
	while (s->nbits <= 56) {
		if (s->in < s->in_end)
			s->bits |= (uint64_t)*s->in++ << s->nbits;
		else
			s->overrun++;
		s->nbits += 8;
	}
	return s->overrun * 8 <= s->nbits;
}

static ALWAYS_INLINE uint32_t take_bits(struct inflater *s, unsigned int n)
{
	uint32_t v = s->bits & ((1ull << n) - 1);

	s->bits >>= n;
	s->nbits -= n;
	return v;
}

static bool used_bits_past_end(const struct inflater *s)
{
	return s->overrun * 8 > s->nbits;
}

/* Looks up the next code; takes its bits unless it is bad. */
static ALWAYS_INLINE uint32_t decode(struct inflater *s, const uint32_t *table,
			      unsigned int root)
{
	uint32_t e = table[s->bits & ((1u << root) - 1)];
	unsigned int sub_bits;

	if (__builtin_expect(e & E_LINK, 0)) {
		sub_bits = (e >> E_EXTRA_SHIFT) & E_FIELD_MASK;
		e = table[(e >> E_VALUE_SHIFT) +
			  ((s->bits >> root) & ((1u << sub_bits) - 1))];
	}
	if (!(e & E_BAD))
		take_bits(s, e & E_BITS_MASK);
	return e;
}

/* The value of a length or distance entry plus its extra bits. */
static ALWAYS_INLINE unsigned int entry_value(struct inflater *s, uint32_t e)
{
	return (e >> E_VALUE_SHIFT) +
	       take_bits(s, (e >> E_EXTRA_SHIFT) & E_FIELD_MASK);
}

/* Copies @len bytes from @dist back; @room is the space left from @out. */
static ALWAYS_INLINE void copy_match(uint8_t *out, size_t dist, size_t len,
			      size_t room)
{
	const uint8_t *src = out - dist;
	uint8_t *end = out + len;

	/* Whole chunks, each reading only bytes already written. */
	if (dist >= 16 && room >= len + 15) {
		do {
			memcpy(out, src, 16);
			out += 16;
			src += 16;
		} while (out < end);
	} else if (dist >= 8 && room >= len + 7) {
		do {
			memcpy(out, src, 8);
			out += 8;
			src += 8;
		} while (out < end);
	} else if (dist == 1) {
		memset(out, *src, len);
	} else {
		while (out < end)
			*out++ = *src++;
	}
}

static ALWAYS_INLINE int decode_symbols(struct inflater *s,
					 const struct code_tables *t)
{
	size_t len, dist, room;
	uint32_t e;

	for (;;) {
		if (!refill(s))
			return INFLATE_ERR_TRUNCATED;
		e = decode(s, t->litlen, LITLEN_ROOT);
		if (e & E_LITERAL) {
			if (s->out == s->out_end)
				return INFLATE_ERR_OUTPUT_FULL;
			*s->out++ = e >> E_VALUE_SHIFT;
			/* Literals come in runs: one more before the refill. */
			e = t->litlen[s->bits & ((1u << LITLEN_ROOT) - 1)];
			if ((e & E_LITERAL) && s->out != s->out_end) {
				take_bits(s, e & E_BITS_MASK);
				*s->out++ = e >> E_VALUE_SHIFT;
			}
			continue;
		}
		if (e & (E_END | E_BAD))
			return e & E_END ? INFLATE_OK : INFLATE_ERR_SYMBOL;
		len = entry_value(s, e);
		e = decode(s, t->dist, DIST_ROOT);
		if (e & E_BAD)
			return INFLATE_ERR_SYMBOL;
		dist = entry_value(s, e);
		/* In zlib's order, so that QEMU's verdicts are ours. */
		room = s->out_end - s->out;
		if (!room)
			return INFLATE_ERR_OUTPUT_FULL;
		if (dist > (size_t)(s->out - s->out_start))
			return INFLATE_ERR_DISTANCE;
		if (len > room) {
			copy_match(s->out, dist, room, room);
			s->out = s->out_end;
			return INFLATE_ERR_OUTPUT_FULL;
		}
		copy_match(s->out, dist, len, room);
		s->out += len;
	}
}

static int huffman_block(struct inflater *s, const struct code_tables *t)
{
	struct inflater local = *s;
	int ret;

	ret = decode_symbols(&local, t);
	*s = local;
	return ret;
}

static int stored_block(struct inflater *s)
{
	unsigned int len, nlen;
	size_t copy;

	take_bits(s, s->nbits & 7);
	if (used_bits_past_end(s))
		return INFLATE_ERR_TRUNCATED;
	/* Give back the whole bytes still buffered and read directly. */
	s->in -= s->nbits / 8 - s->overrun;
	s->bits = 0;
	s->nbits = 0;
	s->overrun = 0;
	if (s->in_end - s->in < 4)
		return INFLATE_ERR_TRUNCATED;
	len = s->in[0] | s->in[1] << 8;
	nlen = s->in[2] | s->in[3] << 8;
	if (nlen != (~len & 0xffff))
		return INFLATE_ERR_STORED_LENGTH;
	s->in += 4;
	copy = len;
	if (copy > (size_t)(s->out_end - s->out))
		copy = s->out_end - s->out;
	if (copy > (size_t)(s->in_end - s->in))
		return INFLATE_ERR_TRUNCATED;
	if (copy)	/* s->out may be NULL when there is no output room */
		memcpy(s->out, s->in, copy);
	s->in += copy;
	s->out += copy;
	return copy < len ? INFLATE_ERR_OUTPUT_FULL : INFLATE_OK;
}

/* Reads the HLIT + HDIST code lengths, coded with the code length code. */
static int read_code_lengths(struct inflater *s, const uint32_t *codelen,
			     uint8_t *lens, unsigned int n)
{
	unsigned int i = 0, repeat;
	uint32_t e, sym;
	uint8_t value;

	while (i < n) {
		if (!refill(s))
			return INFLATE_ERR_TRUNCATED;
		e = decode(s, codelen, CODELEN_ROOT);
		if (e & E_BAD)
			return INFLATE_ERR_CODE;
		sym = e >> E_VALUE_SHIFT;
		if (sym < DEFLATE_REPEAT_PREV) {
			lens[i++] = sym;
			continue;
		}
		value = 0;
		if (sym == DEFLATE_REPEAT_PREV) {
			if (i == 0)
				return INFLATE_ERR_CODE;
			value = lens[i - 1];
			repeat = 3 + take_bits(s, 2);
		} else if (sym == DEFLATE_REPEAT_ZERO) {
			repeat = 3 + take_bits(s, 3);
		} else {
			repeat = 11 + take_bits(s, 7);
		}
		if (repeat > n - i)
			return INFLATE_ERR_CODE;
		memset(&lens[i], value, repeat);
		i += repeat;
	}
	return INFLATE_OK;
}

static int dynamic_block(struct inflater *s, struct code_tables *t)
{
	uint8_t lens[DEFLATE_LITLEN_SYMBOLS + DEFLATE_DIST_SYMBOLS];
	uint8_t codelen_lens[DEFLATE_CODELEN_SYMBOLS] = { 0 };
	uint32_t codelen[CODELEN_TABLE_SIZE];
	unsigned int nlit, ndist, ncodelen, i;
	int ret;

	if (!refill(s))
		return INFLATE_ERR_TRUNCATED;
	nlit = take_bits(s, 5) + DEFLATE_FIRST_LENGTH;
	ndist = take_bits(s, 5) + 1;
	ncodelen = take_bits(s, 4) + 4;
	if (nlit > DEFLATE_LITLEN_SYMBOLS || ndist > DEFLATE_DIST_SYMBOLS)
		return INFLATE_ERR_CODE;
	for (i = 0; i < ncodelen; i++) {
		if (!refill(s))
			return INFLATE_ERR_TRUNCATED;
		codelen_lens[deflate_codelen_order[i]] = take_bits(s, 3);
	}
	if (!build_table(codelen, CODELEN_TABLE_SIZE, CODELEN_ROOT, CODELEN,
			 codelen_lens, DEFLATE_CODELEN_SYMBOLS))
		return INFLATE_ERR_CODE;
	ret = read_code_lengths(s, codelen, lens, nlit + ndist);
	if (ret != INFLATE_OK)
		return ret;
	if (!lens[DEFLATE_END_OF_BLOCK] ||
	    !build_table(t->litlen, LITLEN_TABLE_SIZE, LITLEN_ROOT, LITLEN,
			 lens, nlit) ||
	    !build_table(t->dist, DIST_TABLE_SIZE, DIST_ROOT, DIST,
			 lens + nlit, ndist))
		return INFLATE_ERR_CODE;
	return huffman_block(s, t);
}

int inflate_raw(const void *in, size_t in_len, void *out, size_t out_len,
		size_t *produced)
{
	struct inflater s = {
		.in = in, .in_end = (const uint8_t *)in + in_len,
		.out_start = out, .out = out,
		.out_end = (uint8_t *)out + out_len,
	};
	struct code_tables dynamic;
	bool final;
	int ret;

	pthread_once(&fixed_tables_once, build_fixed_tables);
	do {
		if (!refill(&s)) {
			ret = INFLATE_ERR_TRUNCATED;
			break;
		}
		final = take_bits(&s, 1);
		switch (take_bits(&s, 2)) {
		case 0:
			ret = stored_block(&s);
			break;
		case 1:
			ret = huffman_block(&s, &fixed_tables);
			break;
		case 2:
			ret = dynamic_block(&s, &dynamic);
			break;
		default:
			ret = INFLATE_ERR_BLOCK_TYPE;
		}
	} while (ret == INFLATE_OK && !final);
	if (used_bits_past_end(&s))
		ret = INFLATE_ERR_TRUNCATED;
	*produced = s.out - s.out_start;
	return ret;
}

int inflate_cluster(const void *in, size_t in_len, void *out, size_t out_len)
{
	size_t produced;
	int ret;

	ret = inflate_raw(in, in_len, out, out_len, &produced);
	if (ret == INFLATE_ERR_OUTPUT_FULL)
		return INFLATE_OK;
	if (ret == INFLATE_OK && produced < out_len)
		return INFLATE_ERR_SHORT;
	return ret;
}

const char *inflate_strerror(int status)
{
	switch (status) {
	case INFLATE_OK:
		return "success";
	case INFLATE_ERR_OUTPUT_FULL:
		return "decompresses to more than expected";
	case INFLATE_ERR_TRUNCATED:
		return "compressed data truncated";
	case INFLATE_ERR_BLOCK_TYPE:
		return "invalid block type";
	case INFLATE_ERR_STORED_LENGTH:
		return "invalid stored block length";
	case INFLATE_ERR_CODE:
		return "invalid Huffman code lengths";
	case INFLATE_ERR_SYMBOL:
		return "invalid Huffman code";
	case INFLATE_ERR_DISTANCE:
		return "distance too far back";
	case INFLATE_ERR_SHORT:
		return "decompresses to less than expected";
	}
	return "unknown error";
}
