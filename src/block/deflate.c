// SPDX-License-Identifier: MIT
/*
 * Raw DEFLATE compression (RFC 1951) of one whole buffer.
 *
 * Matches are found through hash chains of 3-byte prefixes, searched a
 * bounded number of steps, with one step of lazy evaluation (a match is
 * put off by a byte when the next position has a longer one).  Each block
 * of symbols is then sent with whichever costs fewer bits: its own
 * optimal length-limited Huffman codes, the fixed codes, or stored.
 *
 * Matches reach back at most 4 KiB: QEMU sets its qcow2 decoder up with a
 * 4 KiB window (as its encoder), and a decoder that enforced that window
 * would reject anything further.
 */
#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/deflate.h"
#include "deflate_priv.h"

#define MAX_DIST	4096
#define PREV_SIZE	(2 * MAX_DIST)	/* slots outlive the window */
#define HASH_BITS	14
#define MAX_CHAIN	128		/* candidates tried per position */
#define GOOD_LENGTH	8		/* after a match this long, try fewer */
#define LAZY_LENGTH	32		/* a match this long is taken at once */
#define NICE_LENGTH	128		/* a match this long ends the search */
#define BLOCK_SYMBOLS	16384

/* A literal (dist 0) or a match, as the match finder produced it. */
struct lz_symbol {
	uint16_t len_or_byte;
	uint16_t dist;
};

/* A Huffman code ready to send: bit-reversed codes and their lengths. */
struct huff_code {
	uint16_t code[DEFLATE_FIXED_LITLEN];
	uint8_t len[DEFLATE_FIXED_LITLEN];
};

struct block_codes {
	struct huff_code litlen, dist;
};

/* Code length symbols for a dynamic header (3.2.7). */
struct header_plan {
	unsigned int nlit, ndist, ncodelen;
	unsigned int nops;
	uint8_t op_sym[DEFLATE_LITLEN_SYMBOLS + DEFLATE_DIST_SYMBOLS];
	uint8_t op_extra[DEFLATE_LITLEN_SYMBOLS + DEFLATE_DIST_SYMBOLS];
	struct huff_code codelen;
	size_t bits;
};

struct bit_writer {
	uint8_t *out, *end, *start;
	uint64_t bits;
	unsigned int nbits;
	bool overflow;
};

struct deflate_ctx {
	int32_t head[1 << HASH_BITS];
	int32_t prev[PREV_SIZE];
	struct lz_symbol syms[BLOCK_SYMBOLS];
	unsigned int nsyms;
	uint32_t litlen_freq[DEFLATE_LITLEN_SYMBOLS];
	uint32_t dist_freq[DEFLATE_DIST_SYMBOLS];
	struct block_codes fixed;
	struct block_codes dynamic;
	struct header_plan plan;
};

/* Length 3..258 to its symbol's index among 257..285. */
static unsigned int length_index(unsigned int len)
{
	unsigned int x = len - DEFLATE_MIN_MATCH, log;

	if (len == DEFLATE_MAX_MATCH)
		return 28;
	if (x < 8)
		return x;
	log = 31 - __builtin_clz(x);
	return 4 * (log - 1) + ((x >> (log - 2)) & 3);
}

/* Distance 1..32768 to its symbol 0..29. */
static unsigned int dist_symbol(unsigned int dist)
{
	unsigned int x = dist - 1, log;

	if (x < 4)
		return x;
	log = 31 - __builtin_clz(x);
	return 2 * log + ((x >> (log - 1)) & 1);
}

/*
 * Canonical codes for @lens (3.2.2), bit-reversed so that they can be
 * sent LSB first like everything else.
 */
static void assign_codes(struct huff_code *hc, unsigned int n)
{
	uint16_t count[DEFLATE_MAX_BITS + 1] = { 0 };
	uint16_t next[DEFLATE_MAX_BITS + 1];
	unsigned int sym;

	for (sym = 0; sym < n; sym++)
		count[hc->len[sym]]++;
	count[0] = 0;
	deflate_first_codes(count, next);
	for (sym = 0; sym < n; sym++)
		if (hc->len[sym])
			hc->code[sym] = deflate_reverse_bits(next[hc->len[sym]]++,
							     hc->len[sym]);
}

struct leaf {
	uint32_t freq;
	uint16_t sym;
};

static int leaf_cmp(const void *a, const void *b)
{
	const struct leaf *x = a, *y = b;

	if (x->freq != y->freq)
		return x->freq < y->freq ? -1 : 1;
	return x->sym - y->sym;
}

/*
 * Merges the leaves with the packages (pairs) of the previous level's
 * list, lightest first, noting which items are leaves.
 */
static unsigned int merge_level(const struct leaf *leaves, unsigned int m,
				const uint64_t *prev, unsigned int nprev,
				uint64_t *cur, uint8_t *is_leaf)
{
	unsigned int i = 0, p = 0, n = 0;
	uint64_t pkg;

	while (i < m || p + 1 < nprev) {
		pkg = p + 1 < nprev ? prev[p] + prev[p + 1] : UINT64_MAX;
		if (i < m && leaves[i].freq <= pkg) {
			cur[n] = leaves[i++].freq;
			is_leaf[n++] = 1;
		} else {
			cur[n] = pkg;
			is_leaf[n++] = 0;
			p += 2;
		}
	}
	return n;
}

/*
 * Optimal code lengths of at most @max_bits for @freq, by package-merge
 * (Larmore and Hirschberg): the lightest 2m - 2 items of the last level
 * are chosen, each chosen package stands for two items of the level
 * below, and a symbol's length is the number of levels where its leaf is
 * chosen.  Always gives at least two symbols a code, so that every code
 * is complete, as some decoders require.
 */
static void build_lengths(const uint32_t *freq, unsigned int n,
			  unsigned int max_bits, uint8_t *lens)
{
	struct leaf leaves[DEFLATE_LITLEN_SYMBOLS];
	uint64_t weight[2][2 * DEFLATE_LITLEN_SYMBOLS];
	uint8_t is_leaf[DEFLATE_MAX_BITS][2 * DEFLATE_LITLEN_SYMBOLS];
	unsigned int count[DEFLATE_MAX_BITS];
	unsigned int sym, m = 0, level, need, i, nleaves;

	memset(lens, 0, n);
	for (sym = 0; sym < n; sym++)
		if (freq[sym])
			leaves[m++] = (struct leaf){ freq[sym], sym };
	for (sym = 0; m < 2; sym++)
		if (!freq[sym])
			leaves[m++] = (struct leaf){ 0, sym };
	qsort(leaves, m, sizeof(leaves[0]), leaf_cmp);

	count[0] = merge_level(leaves, m, NULL, 0, weight[0], is_leaf[0]);
	for (level = 1; level < max_bits; level++)
		count[level] = merge_level(leaves, m, weight[(level - 1) & 1],
					   count[level - 1], weight[level & 1],
					   is_leaf[level]);

	need = 2 * m - 2;
	for (level = max_bits; level-- > 0;) {
		nleaves = 0;
		for (i = 0; i < need; i++)
			nleaves += is_leaf[level][i];
		for (i = 0; i < nleaves; i++)
			lens[leaves[i].sym]++;
		need = 2 * (need - nleaves);
	}
}

static void put_bits(struct bit_writer *w, uint32_t value, unsigned int n)
{
	uint32_t word;

	w->bits |= (uint64_t)value << w->nbits;
	w->nbits += n;
	if (w->nbits < 32)
		return;
	if (w->end - w->out >= 4) {
		word = htole32((uint32_t)w->bits);
		memcpy(w->out, &word, 4);
		w->out += 4;
	} else {
		w->overflow = true;
	}
	w->bits >>= 32;
	w->nbits -= 32;
}

/* Pads to a byte boundary and writes out every pending byte. */
static void flush_bytes(struct bit_writer *w)
{
	while (w->nbits > 0) {
		if (w->out < w->end)
			*w->out++ = w->bits;
		else
			w->overflow = true;
		w->bits >>= 8;
		w->nbits = w->nbits > 8 ? w->nbits - 8 : 0;
	}
}

static void put_symbol(struct bit_writer *w, const struct block_codes *c,
		       const struct lz_symbol *s)
{
	unsigned int i, sym;

	if (!s->dist) {
		put_bits(w, c->litlen.code[s->len_or_byte],
			 c->litlen.len[s->len_or_byte]);
		return;
	}
	i = length_index(s->len_or_byte);
	sym = DEFLATE_FIRST_LENGTH + i;
	put_bits(w, c->litlen.code[sym] | (s->len_or_byte -
		 deflate_length_base[i]) << c->litlen.len[sym],
		 c->litlen.len[sym] + deflate_length_extra[i]);
	sym = dist_symbol(s->dist);
	put_bits(w, c->dist.code[sym] | (s->dist - deflate_dist_base[sym]) <<
		 c->dist.len[sym], c->dist.len[sym] + deflate_dist_extra[sym]);
}

/* Bits the block's symbols take with @c, end of block included. */
static size_t symbols_cost(const struct deflate_ctx *ctx,
			   const struct block_codes *c)
{
	size_t bits = 0;
	unsigned int sym;

	for (sym = 0; sym < DEFLATE_LITLEN_SYMBOLS; sym++) {
		bits += (size_t)ctx->litlen_freq[sym] * c->litlen.len[sym];
		if (sym >= DEFLATE_FIRST_LENGTH)
			bits += (size_t)ctx->litlen_freq[sym] *
				deflate_length_extra[sym - DEFLATE_FIRST_LENGTH];
	}
	for (sym = 0; sym < DEFLATE_DIST_SYMBOLS; sym++)
		bits += (size_t)ctx->dist_freq[sym] *
			(c->dist.len[sym] + deflate_dist_extra[sym]);
	return bits;
}

static void add_op(struct header_plan *p, uint32_t *freq, unsigned int sym,
		   unsigned int extra)
{
	p->op_sym[p->nops] = sym;
	p->op_extra[p->nops++] = extra;
	freq[sym]++;
}

/* Run-length codes @lens with the repeat symbols 16, 17 and 18. */
static void plan_code_lengths(struct header_plan *p, const uint8_t *lens,
			      unsigned int n, uint32_t *freq)
{
	unsigned int i = 0, run, r;

	p->nops = 0;
	while (i < n) {
		for (run = 1; i + run < n && lens[i + run] == lens[i]; run++)
			;
		i += run;
		if (!lens[i - run]) {
			for (; run >= 11; run -= r) {
				r = run < 138 ? run : 138;
				add_op(p, freq, DEFLATE_REPEAT_ZERO_LONG, r - 11);
			}
			if (run >= 3) {
				add_op(p, freq, DEFLATE_REPEAT_ZERO, run - 3);
				run = 0;
			}
		} else {
			add_op(p, freq, lens[i - run], 0);
			for (run--; run >= 3; run -= r) {
				r = run < 6 ? run : 6;
				add_op(p, freq, DEFLATE_REPEAT_PREV, r - 3);
			}
		}
		while (run--)
			add_op(p, freq, lens[i - run - 1], 0);
	}
}

static const uint8_t op_extra_bits[DEFLATE_CODELEN_SYMBOLS] = {
	[DEFLATE_REPEAT_PREV] = 2,
	[DEFLATE_REPEAT_ZERO] = 3,
	[DEFLATE_REPEAT_ZERO_LONG] = 7,
};

/* Builds the block's own codes and the header that describes them. */
static void plan_dynamic(struct deflate_ctx *ctx)
{
	struct header_plan *p = &ctx->plan;
	struct block_codes *c = &ctx->dynamic;
	uint8_t lens[DEFLATE_LITLEN_SYMBOLS + DEFLATE_DIST_SYMBOLS];
	uint32_t freq[DEFLATE_CODELEN_SYMBOLS] = { 0 };
	unsigned int i;

	build_lengths(ctx->litlen_freq, DEFLATE_LITLEN_SYMBOLS,
		      DEFLATE_MAX_BITS, c->litlen.len);
	build_lengths(ctx->dist_freq, DEFLATE_DIST_SYMBOLS, DEFLATE_MAX_BITS,
		      c->dist.len);
	assign_codes(&c->litlen, DEFLATE_LITLEN_SYMBOLS);
	assign_codes(&c->dist, DEFLATE_DIST_SYMBOLS);

	for (p->nlit = DEFLATE_LITLEN_SYMBOLS; !c->litlen.len[p->nlit - 1];
	     p->nlit--)
		;
	for (p->ndist = DEFLATE_DIST_SYMBOLS; !c->dist.len[p->ndist - 1];
	     p->ndist--)
		;
	memcpy(lens, c->litlen.len, p->nlit);
	memcpy(lens + p->nlit, c->dist.len, p->ndist);
	plan_code_lengths(p, lens, p->nlit + p->ndist, freq);

	build_lengths(freq, DEFLATE_CODELEN_SYMBOLS, DEFLATE_MAX_CODELEN_BITS,
		      p->codelen.len);
	assign_codes(&p->codelen, DEFLATE_CODELEN_SYMBOLS);
	for (p->ncodelen = DEFLATE_CODELEN_SYMBOLS;
	     !p->codelen.len[deflate_codelen_order[p->ncodelen - 1]];
	     p->ncodelen--)
		;

	p->bits = 5 + 5 + 4 + 3 * p->ncodelen;
	for (i = 0; i < DEFLATE_CODELEN_SYMBOLS; i++)
		p->bits += (size_t)freq[i] * (p->codelen.len[i] +
					     op_extra_bits[i]);
}

static void put_dynamic_header(struct bit_writer *w,
			       const struct header_plan *p)
{
	unsigned int i, sym;

	put_bits(w, p->nlit - DEFLATE_FIRST_LENGTH, 5);
	put_bits(w, p->ndist - 1, 5);
	put_bits(w, p->ncodelen - 4, 4);
	for (i = 0; i < p->ncodelen; i++)
		put_bits(w, p->codelen.len[deflate_codelen_order[i]], 3);
	for (i = 0; i < p->nops; i++) {
		sym = p->op_sym[i];
		put_bits(w, p->codelen.code[sym] |
			 p->op_extra[i] << p->codelen.len[sym],
			 p->codelen.len[sym] + op_extra_bits[sym]);
	}
}

/* Bits that stored blocks for @len bytes take from bit offset @nbits. */
static size_t stored_cost(size_t len, unsigned int nbits)
{
	size_t blocks = len / DEFLATE_MAX_STORED + 1;

	/* Header, padding to a byte, LEN and NLEN; the padding's worst case
	 * after the first block. */
	return 3 + (8 - (nbits + 3) % 8) % 8 + (blocks - 1) * 8 +
	       blocks * 32 + len * 8;
}

static void put_stored(struct bit_writer *w, const uint8_t *data, size_t len,
		       bool final)
{
	size_t chunk;

	do {
		chunk = len < DEFLATE_MAX_STORED ? len : DEFLATE_MAX_STORED;
		put_bits(w, final && chunk == len, 1);
		put_bits(w, 0, 2);
		flush_bytes(w);
		put_bits(w, chunk | (~chunk & 0xffff) << 16, 32);
		if ((size_t)(w->end - w->out) < chunk) {
			w->overflow = true;
			return;
		}
		memcpy(w->out, data, chunk);
		w->out += chunk;
		data += chunk;
		len -= chunk;
	} while (len);
}

/* Sends the gathered symbols, which stand for @data[0..@len). */
static void put_block(struct deflate_ctx *ctx, struct bit_writer *w,
		      const uint8_t *data, size_t len, bool final)
{
	const struct block_codes *c;
	size_t fixed_bits, dynamic_bits;
	unsigned int i;

	ctx->litlen_freq[DEFLATE_END_OF_BLOCK]++;
	plan_dynamic(ctx);
	fixed_bits = symbols_cost(ctx, &ctx->fixed);
	dynamic_bits = ctx->plan.bits + symbols_cost(ctx, &ctx->dynamic);

	if (stored_cost(len, w->nbits) < 3 + (dynamic_bits < fixed_bits ?
					      dynamic_bits : fixed_bits)) {
		put_stored(w, data, len, final);
	} else {
		put_bits(w, final, 1);
		if (dynamic_bits < fixed_bits) {
			put_bits(w, 2, 2);
			put_dynamic_header(w, &ctx->plan);
			c = &ctx->dynamic;
		} else {
			put_bits(w, 1, 2);
			c = &ctx->fixed;
		}
		for (i = 0; i < ctx->nsyms; i++)
			put_symbol(w, c, &ctx->syms[i]);
		put_bits(w, c->litlen.code[DEFLATE_END_OF_BLOCK],
			 c->litlen.len[DEFLATE_END_OF_BLOCK]);
	}
	ctx->nsyms = 0;
	memset(ctx->litlen_freq, 0, sizeof(ctx->litlen_freq));
	memset(ctx->dist_freq, 0, sizeof(ctx->dist_freq));
}

static void add_literal(struct deflate_ctx *ctx, uint8_t byte)
{
	ctx->syms[ctx->nsyms++] = (struct lz_symbol){ byte, 0 };
	ctx->litlen_freq[byte]++;
}

static void add_match(struct deflate_ctx *ctx, unsigned int len,
		      unsigned int dist)
{
	ctx->syms[ctx->nsyms++] = (struct lz_symbol){ len, dist };
	ctx->litlen_freq[DEFLATE_FIRST_LENGTH + length_index(len)]++;
	ctx->dist_freq[dist_symbol(dist)]++;
}

static uint32_t hash3(const uint8_t *p)
{
	uint32_t v = p[0] | p[1] << 8 | p[2] << 16;

	return (v * 0x9e3779b1u) >> (32 - HASH_BITS);
}

/* Enters @pos in its hash chain; returns the previous head. */
static int32_t insert(struct deflate_ctx *ctx, const uint8_t *data,
		      int32_t pos)
{
	uint32_t h = hash3(data + pos);
	int32_t cand = ctx->head[h];

	ctx->head[h] = pos;
	ctx->prev[pos % PREV_SIZE] = cand;
	return cand;
}

static unsigned int common_length(const uint8_t *a, const uint8_t *b,
				  unsigned int max)
{
	unsigned int len = 0;
	uint64_t x, y;

	while (len + 8 <= max) {
		memcpy(&x, a + len, 8);
		memcpy(&y, b + len, 8);
		if (x != y)
			return len + __builtin_ctzll(le64toh(x ^ y)) / 8;
		len += 8;
	}
	while (len < max && a[len] == b[len])
		len++;
	return len;
}

/*
 * The longest match for @pos among the chain's first candidates, after
 * entering @pos in the chain.  0 when there is none of 3 bytes.
 */
static unsigned int find_match(struct deflate_ctx *ctx, const uint8_t *data,
			       int32_t pos, int32_t end, unsigned int chain,
			       unsigned int *dist)
{
	unsigned int len, best = DEFLATE_MIN_MATCH - 1, max = end - pos;
	int32_t cand;

	if (max < DEFLATE_MIN_MATCH)
		return 0;
	if (max > DEFLATE_MAX_MATCH)
		max = DEFLATE_MAX_MATCH;
	cand = insert(ctx, data, pos);
	for (; cand >= 0 && pos - cand <= MAX_DIST && chain--;
	     cand = ctx->prev[cand % PREV_SIZE]) {
		if (data[cand + best] != data[pos + best])
			continue;
		len = common_length(data + cand, data + pos, max);
		if (len > best) {
			best = len;
			*dist = pos - cand;
			if (len >= NICE_LENGTH || len == max)
				break;
		}
	}
	return best >= DEFLATE_MIN_MATCH ? best : 0;
}

/* Enters the positions a match covers, past the ones already entered. */
static void insert_range(struct deflate_ctx *ctx, const uint8_t *data,
			 int32_t from, int32_t to, int32_t end)
{
	if (to > end - DEFLATE_MIN_MATCH + 1)
		to = end - DEFLATE_MIN_MATCH + 1;
	for (; from < to; from++)
		insert(ctx, data, from);
}

static size_t compress(struct deflate_ctx *ctx, const uint8_t *data,
		       int32_t end, struct bit_writer *w)
{
	unsigned int len, dist = 0, prev_len = 0, prev_dist = 0;
	int32_t pos = 0, block_start = 0;
	bool pending = false;

	while (pos < end) {
		len = find_match(ctx, data, pos, end, prev_len >= GOOD_LENGTH ?
				 MAX_CHAIN / 4 : MAX_CHAIN, &dist);
		if (pending && prev_len && len <= prev_len) {
			/* The match from pos - 1 stands. */
			add_match(ctx, prev_len, prev_dist);
			insert_range(ctx, data, pos + 1, pos - 1 + prev_len, end);
			pos += prev_len - 1;
			pending = false;
			prev_len = 0;
		} else {
			if (pending)
				add_literal(ctx, data[pos - 1]);
			if (len >= LAZY_LENGTH) {
				add_match(ctx, len, dist);
				insert_range(ctx, data, pos + 1, pos + len, end);
				pos += len;
				pending = false;
				prev_len = 0;
			} else {
				pending = true;
				prev_len = len;
				prev_dist = dist;
				pos++;
			}
		}
		/* Room for a literal and a match before the next check. */
		if (ctx->nsyms + 2 > BLOCK_SYMBOLS) {
			put_block(ctx, w, data + block_start,
				  pos - block_start - pending, false);
			block_start = pos - pending;
			if (w->overflow)
				return 0;
		}
	}
	if (pending)
		add_literal(ctx, data[end - 1]);
	put_block(ctx, w, data + block_start, end - block_start, true);
	flush_bytes(w);
	return w->overflow ? 0 : (size_t)(w->out - w->start);
}

struct deflate_ctx *deflate_new(void)
{
	struct deflate_ctx *ctx = calloc(1, sizeof(*ctx));
	unsigned int sym;

	if (!ctx)
		return NULL;
	for (sym = 0; sym < DEFLATE_FIXED_LITLEN; sym++)
		ctx->fixed.litlen.len[sym] = deflate_fixed_litlen_bits(sym);
	memset(ctx->fixed.dist.len, DEFLATE_FIXED_DIST_BITS,
	       DEFLATE_FIXED_DIST);
	assign_codes(&ctx->fixed.litlen, DEFLATE_FIXED_LITLEN);
	assign_codes(&ctx->fixed.dist, DEFLATE_FIXED_DIST);
	return ctx;
}

void deflate_free(struct deflate_ctx *ctx)
{
	free(ctx);
}

size_t deflate_compress(struct deflate_ctx *ctx, const void *in, size_t in_len,
			void *out, size_t out_cap)
{
	struct bit_writer w = {
		.out = out, .start = out, .end = (uint8_t *)out + out_cap,
	};

	if (in_len > INT32_MAX)
		return 0;
	memset(ctx->head, 0xff, sizeof(ctx->head));
	ctx->nsyms = 0;
	memset(ctx->litlen_freq, 0, sizeof(ctx->litlen_freq));
	memset(ctx->dist_freq, 0, sizeof(ctx->dist_freq));
	return compress(ctx, in, in_len, &w);
}
