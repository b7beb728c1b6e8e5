// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "kvmlite/deflate.h"

/* Streams zlib made (python3 zlib, raw, level 9). */
static const uint8_t fixed_hello[] = {	/* Z_FIXED */
	0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x27, 0x01,
};
static const char hello[] = "hello hello hello hello";

static const uint8_t dynamic_abcd[] = {
	0x2d, 0x8e, 0xd1, 0x15, 0x00, 0x20, 0x08, 0x02, 0x67, 0xf5, 0x60,
	0xff, 0x19, 0x02, 0xad, 0x0f, 0xe4, 0x01, 0xa1, 0x83, 0xa4, 0xc9,
	0x0b, 0x30, 0xcb, 0x5c, 0x1a, 0x91, 0x8e, 0xa0, 0x2b, 0xd2, 0x59,
	0xe5, 0x52, 0xcc, 0x8f, 0xc7, 0x94, 0x71, 0x1d, 0x56, 0x37, 0x90,
	0xa4, 0xbc, 0x11, 0x8f, 0x68, 0xcb, 0x56, 0xed, 0x7f, 0x23, 0xb8,
	0x42, 0x7d, 0x67, 0xfb, 0xa3, 0x72, 0x0b, 0xaa, 0x5b, 0x4b, 0x8b,
	0x29, 0xab, 0x35, 0xb9, 0xd3, 0xdd, 0x81, 0xb8, 0x7b, 0x2f, 0xaf,
	0xbb, 0xee, 0x01,
};
static const char abcd[] =
	"abcccaaaacaabacaaaadcaabccabaabcabadaaaabbadabaababacaabaaabacaad"
	"aacdbdbaabbcaabadbbbdabcdbaaabdacbabcaaabcaabaabdbcbbaaabbacabcaa"
	"abaaaabcbbbabaabaacabdcbaabacbaadabbbbaacccdbbcabcbaaaacabbabaaca"
	"aaabb";

static const uint8_t stored_hello[] = {
	0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o',
};

/* Checks that @z inflates to @plain, also with bytes after it. */
static void check_vector(const uint8_t *z, size_t zlen, const char *plain)
{
	uint8_t in[256], out[512];
	size_t produced, len = strlen(plain);

	CHECK_EQ(inflate_raw(z, zlen, out, sizeof(out), &produced), INFLATE_OK);
	CHECK_EQ(produced, len);
	CHECK(!memcmp(out, plain, len));

	memcpy(in, z, zlen);
	memset(in + zlen, 0xa5, sizeof(in) - zlen);
	CHECK_EQ(inflate_cluster(in, sizeof(in), out, len), INFLATE_OK);
	CHECK(!memcmp(out, plain, len));
}

TEST(inflates_stored_fixed_and_dynamic_blocks)
{
	check_vector(stored_hello, sizeof(stored_hello), "hello");
	check_vector(fixed_hello, sizeof(fixed_hello), hello);
	check_vector(dynamic_abcd, sizeof(dynamic_abcd), abcd);
	check_vector((const uint8_t[]){ 0x03, 0x00 }, 2, "");
}

TEST(every_cut_of_a_stream_is_truncated)
{
	const struct { const uint8_t *z; size_t len; } v[] = {
		{ stored_hello, sizeof(stored_hello) },
		{ fixed_hello, sizeof(fixed_hello) },
		{ dynamic_abcd, sizeof(dynamic_abcd) },
	};
	uint8_t out[512];
	size_t i, cut, produced;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		for (cut = 0; cut < v[i].len; cut++)
			CHECK_EQ(inflate_raw(v[i].z, cut, out, sizeof(out),
					     &produced),
				 INFLATE_ERR_TRUNCATED);
}

TEST(output_full_fills_the_buffer)
{
	uint8_t out[10];
	size_t produced;

	CHECK_EQ(inflate_raw(fixed_hello, sizeof(fixed_hello), out, 10,
			     &produced), INFLATE_ERR_OUTPUT_FULL);
	CHECK_EQ(produced, 10);
	CHECK(!memcmp(out, hello, 10));
	CHECK_EQ(inflate_raw(stored_hello, sizeof(stored_hello), out, 3,
			     &produced), INFLATE_ERR_OUTPUT_FULL);
	CHECK_EQ(produced, 3);
	CHECK_EQ(inflate_raw(stored_hello, sizeof(stored_hello), NULL, 0,
			     &produced), INFLATE_ERR_OUTPUT_FULL);
}

TEST(cluster_must_come_out_whole)
{
	uint8_t out[64];

	/* As QEMU: data that goes on is cut at the cluster's end. */
	CHECK_EQ(inflate_cluster(fixed_hello, sizeof(fixed_hello), out, 7),
		 INFLATE_OK);
	CHECK(!memcmp(out, hello, 7));
	CHECK_EQ(inflate_cluster(fixed_hello, sizeof(fixed_hello), out, 24),
		 INFLATE_ERR_SHORT);
	CHECK_EQ(inflate_cluster(fixed_hello, 5, out, 23),
		 INFLATE_ERR_TRUNCATED);
	CHECK_STR(inflate_strerror(INFLATE_ERR_SHORT),
		  "decompresses to less than expected");
}

/* Writes test streams bit by bit. */
struct bits {
	uint8_t buf[512];
	size_t n;
};

static void put(struct bits *b, unsigned int value, unsigned int n)
{
	for (; n; n--, value >>= 1, b->n++)
		if (value & 1)
			b->buf[b->n / 8] |= 1 << (b->n % 8);
}

/* Huffman codes go most significant bit first. */
static void put_code(struct bits *b, unsigned int code, unsigned int len)
{
	while (len--)
		put(b, code >> len, 1);
}

static int inflate_bits(const struct bits *b, size_t *produced)
{
	static uint8_t out[1024];

	return inflate_raw(b->buf, (b->n + 7) / 8, out, sizeof(out),
			   produced);
}

static int inflate_bits_status(const struct bits *b)
{
	size_t produced;

	return inflate_bits(b, &produced);
}

/* Fixed code (3.2.6) for literal/length symbol @sym. */
static void put_fixed(struct bits *b, unsigned int sym)
{
	if (sym < 144)
		put_code(b, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(b, 0x190 + sym - 144, 9);
	else if (sym < 280)
		put_code(b, sym - 256, 7);
	else
		put_code(b, 0xc0 + sym - 280, 8);
}

TEST(rejects_bad_block_headers)
{
	static const uint8_t bad_nlen[] = {
		0x01, 0x05, 0x00, 0xfb, 0xff, 'h', 'e', 'l', 'l', 'o',
	};
	struct bits b = { 0 };
	uint8_t out[16];
	size_t produced;

	put(&b, 1, 1);
	put(&b, 3, 2);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_BLOCK_TYPE);

	CHECK_EQ(inflate_raw(bad_nlen, sizeof(bad_nlen), out, sizeof(out),
			     &produced), INFLATE_ERR_STORED_LENGTH);
	CHECK_EQ(inflate_raw(NULL, 0, out, sizeof(out), &produced),
		 INFLATE_ERR_TRUNCATED);
}

/* A final fixed block: 'a', then length 3 at distance symbol @dist. */
static int inflate_fixed_match(unsigned int dist)
{
	struct bits b = { 0 };

	put(&b, 1, 1);
	put(&b, 1, 2);
	put_fixed(&b, 'a');
	put_fixed(&b, 257);
	put_code(&b, dist, 5);
	put_fixed(&b, 256);
	return inflate_bits_status(&b);
}

TEST(rejects_reserved_and_far_symbols_in_fixed_blocks)
{
	struct bits b = { 0 };

	put(&b, 1, 1);
	put(&b, 1, 2);
	put_fixed(&b, 286);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_SYMBOL);

	memset(&b, 0, sizeof(b));
	put(&b, 1, 1);
	put(&b, 1, 2);
	put_fixed(&b, 287);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_SYMBOL);

	CHECK_EQ(inflate_fixed_match(30), INFLATE_ERR_SYMBOL);
	CHECK_EQ(inflate_fixed_match(31), INFLATE_ERR_SYMBOL);
	CHECK_EQ(inflate_fixed_match(1), INFLATE_ERR_DISTANCE);
	CHECK_EQ(inflate_fixed_match(0), INFLATE_OK);
}

/*
 * Dynamic block headers with a fixed code length code: lengths 0..12
 * take 4 bits (codes 0..12), 13..18 take 5 (codes 26..31).
 */
static void put_codelen(struct bits *b, unsigned int sym)
{
	if (sym <= 12)
		put_code(b, sym, 4);
	else
		put_code(b, 26 + sym - 13, 5);
}

static void start_dynamic(struct bits *b, unsigned int nlit,
			  unsigned int ndist)
{
	static const uint8_t order[19] = {
		16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
	};
	unsigned int i;

	memset(b, 0, sizeof(*b));
	put(b, 1, 1);
	put(b, 2, 2);
	put(b, nlit - 257, 5);
	put(b, ndist - 1, 5);
	put(b, 19 - 4, 4);
	for (i = 0; i < 19; i++)
		put(b, order[i] <= 12 ? 4 : 5, 3);
}

/* Zero lengths for symbols @from..@to - 1, with code 18. */
static void put_zeros(struct bits *b, unsigned int from, unsigned int to)
{
	unsigned int run;

	for (; to - from >= 11; from += run) {
		run = to - from < 138 ? to - from : 138;
		put_codelen(b, 18);
		put(b, run - 11, 7);
	}
	for (; from < to; from++)
		put_codelen(b, 0);
}

/*
 * Literal/length lengths 'A': 1, end of block: 2, length 3: 2, and one
 * distance code (distance 1) of length 1, which RFC 1951 allows.
 */
static void put_tiny_code(struct bits *b)
{
	start_dynamic(b, 258, 1);
	put_zeros(b, 0, 'A');
	put_codelen(b, 1);
	put_zeros(b, 'A' + 1, 256);
	put_codelen(b, 2);
	put_codelen(b, 2);
	put_codelen(b, 1);
}

TEST(dynamic_block_with_one_distance_code)
{
	uint8_t out[8];
	size_t produced;
	struct bits b;

	put_tiny_code(&b);
	put_code(&b, 0, 1);		/* 'A' */
	put_code(&b, 3, 2);		/* length 3 */
	put_code(&b, 0, 1);		/* distance 1 */
	put_code(&b, 2, 2);		/* end of block */
	CHECK_EQ(inflate_raw(b.buf, (b.n + 7) / 8, out, sizeof(out),
			     &produced), INFLATE_OK);
	CHECK_EQ(produced, 4);
	CHECK(!memcmp(out, "AAAA", 4));

	/* The other one-bit distance code has no symbol. */
	put_tiny_code(&b);
	put_code(&b, 0, 1);
	put_code(&b, 3, 2);
	put_code(&b, 1, 1);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_SYMBOL);
}

TEST(rejects_bad_code_lengths)
{
	struct bits b = { 0 };

	/* Code length code over-subscribed: 19 codes of one bit. */
	put(&b, 1, 1);
	put(&b, 2, 2);
	put(&b, 0, 10);
	put(&b, 15, 4);
	for (int i = 0; i < 19; i++)
		put(&b, 1, 3);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_CODE);

	/* Code length code incomplete: one code of one bit. */
	memset(&b, 0, sizeof(b));
	put(&b, 1, 1);
	put(&b, 2, 2);
	put(&b, 0, 10);
	put(&b, 0, 4);
	put(&b, 0, 3 * 3);
	put(&b, 1, 3);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_CODE);

	/* Too many literal/length or distance codes. */
	start_dynamic(&b, 287, 1);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_CODE);
	start_dynamic(&b, 257, 31);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_CODE);

	/* A repeat of the previous length with none before it. */
	start_dynamic(&b, 257, 1);
	put_codelen(&b, 16);
	put(&b, 0, 2);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_CODE);

	/* A repeat that runs past the last length. */
	start_dynamic(&b, 257, 1);
	put_zeros(&b, 0, 250);
	put_codelen(&b, 17);
	put(&b, 7, 3);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_CODE);

	/* No end-of-block code. */
	start_dynamic(&b, 257, 1);
	put_zeros(&b, 0, 256);
	put_codelen(&b, 0);
	put_codelen(&b, 1);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_CODE);

	/* Literal/length code over-subscribed: three codes of one bit. */
	start_dynamic(&b, 257, 1);
	put_codelen(&b, 1);
	put_codelen(&b, 1);
	put_zeros(&b, 2, 256);
	put_codelen(&b, 1);
	put_codelen(&b, 1);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_CODE);

	/* Literal/length code incomplete: two codes of two bits. */
	start_dynamic(&b, 257, 1);
	put_codelen(&b, 2);
	put_zeros(&b, 1, 256);
	put_codelen(&b, 2);
	put_codelen(&b, 1);
	CHECK_EQ(inflate_bits_status(&b), INFLATE_ERR_CODE);
}

/* Test data of a few kinds, from a fixed seed. */
enum kind { ZEROS, RANDOM, TEXT, BINARY, KINDS };

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void fill(uint8_t *buf, size_t len, enum kind kind)
{
	static const char *const words[] = {
		"the ", "block ", "layer ", "cluster ", "qcow2 ", "image ",
		"of ", "a ", "virtual ", "machine ", "\n", "data ", "zero ",
	};
	size_t i = 0, n;
	const char *w;

	switch (kind) {
	case ZEROS:
	case KINDS:
		memset(buf, 0, len);
		break;
	case RANDOM:
		for (; i < len; i++)
			buf[i] = rng();
		break;
	case TEXT:
		while (i < len) {
			w = words[rng() % ARRAY_SIZE(words)];
			for (n = 0; w[n] && i < len; n++)
				buf[i++] = w[n];
		}
		break;
	case BINARY:
		/* Little-endian counters and pointers, now and then noise. */
		for (; i < len; i++)
			buf[i] = i % 8 < 4 ? (i / 8) >> (8 * (i % 4)) :
				 rng() % 16 ? 0 : rng();
		break;
	}
}

static const size_t sizes[] = { 0, 1, 512, 4096, 65536, 2 << 20 };

TEST(round_trips)
{
	struct deflate_ctx *ctx = deflate_new();
	size_t s, len, zlen, cap, produced;
	uint8_t *in, *z, *out;
	enum kind k;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		len = sizes[s];
		cap = len + len / 8 + 64;
		in = malloc(len + 1);
		z = malloc(cap);
		out = malloc(len + 1);
		for (k = 0; k < KINDS; k++) {
			fill(in, len, k);
			zlen = deflate_compress(ctx, in, len, z, cap);
			CHECK(zlen > 0);
			CHECK_EQ(inflate_raw(z, zlen, out, len, &produced),
				 INFLATE_OK);
			CHECK_EQ(produced, len);
			CHECK(!memcmp(in, out, len));
			if (k != RANDOM && len >= 512)
				CHECK(zlen < len / 2);
		}
		free(in);
		free(z);
		free(out);
	}
	deflate_free(ctx);
}

TEST(incompressible_data_is_reported)
{
	struct deflate_ctx *ctx = deflate_new();
	static uint8_t in[65536], z[65536 + 64], out[65536];
	size_t zlen;

	fill(in, sizeof(in), RANDOM);
	CHECK_EQ(deflate_compress(ctx, in, sizeof(in), z, sizeof(in) - 1), 0);
	/* Stored blocks, just bigger than the data. */
	CHECK_EQ(deflate_compress(ctx, in, sizeof(in), z, sizeof(in)), 0);
	zlen = deflate_compress(ctx, in, sizeof(in), z, sizeof(z));
	CHECK(zlen > sizeof(in) && zlen <= sizeof(in) + 32);
	CHECK_EQ(inflate_cluster(z, zlen, out, sizeof(out)), INFLATE_OK);
	CHECK(!memcmp(in, out, sizeof(out)));

	fill(in, sizeof(in), ZEROS);
	CHECK_EQ(deflate_compress(ctx, in, sizeof(in), z, 10), 0);
	zlen = deflate_compress(ctx, in, sizeof(in), z, 512);
	CHECK(zlen > 0 && zlen < 512);
	CHECK_EQ(inflate_cluster(z, 512, out, sizeof(out)), INFLATE_OK);
	CHECK(!memcmp(in, out, sizeof(out)));
	deflate_free(ctx);
}

/*
 * Interoperability with zlib through python3: zlib must inflate what
 * deflate_compress() makes, both as python3 sets it up by default and
 * with QEMU's 4 KiB window, and inflate_raw() what zlib makes at every
 * level, strategy and window.
 */
static const char zlib_script[] =
	"import glob, os, sys, zlib\n"
	"os.chdir(sys.argv[1])\n"
	"variants = [(l, 0, 15) for l in range(10)] + \\\n"
	"    [(6, s, 15) for s in (1, 2, 3, 4)] + [(6, 0, 9), (6, 0, 12)]\n"
	"for name in sorted(glob.glob('*.in')):\n"
	"    data = open(name, 'rb').read()\n"
	"    ours = open(name[:-3] + '.ours', 'rb').read()\n"
	"    for wbits in (15, 12):\n"
	"        d = zlib.decompressobj(-wbits)\n"
	"        try:\n"
	"            ok = d.decompress(ours) + d.flush() == data and d.eof\n"
	"        except zlib.error as e:\n"
	"            ok = False\n"
	"        if not ok:\n"
	"            print('zlib cannot inflate', name, 'window bits', wbits)\n"
	"    some = variants if len(data) <= 65536 else variants[1:2] + \\\n"
	"        variants[-1:]\n"
	"    for level, strategy, wbits in some:\n"
	"        c = zlib.compressobj(level, zlib.DEFLATED, -wbits, 9, strategy)\n"
	"        out = '%s.%d-%d-%d.zlib' % (name[:-3], level, strategy, wbits)\n"
	"        open(out, 'wb').write(c.compress(data) + c.flush())\n";

static bool have_python_zlib(void)
{
	return system("python3 -c 'import zlib' 2>/dev/null") == 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;

	if (f && !fseek(f, 0, SEEK_END) && (*len = ftell(f)) != (size_t)-1 &&
	    !fseek(f, 0, SEEK_SET)) {
		buf = malloc(*len + 1);
		if (fread(buf, 1, *len, f) != *len) {
			free(buf);
			buf = NULL;
		}
	}
	if (f)
		fclose(f);
	return buf;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f && fwrite(data, 1, len, f) == len);
	if (f)
		fclose(f);
}

/* Writes the inputs and deflate_compress()'s output for each. */
static void write_inputs(const char *dir)
{
	static const size_t lens[] = { 512, 4096, 65536, 2 << 20 };
	struct deflate_ctx *ctx = deflate_new();
	uint8_t *in = malloc(2 << 20), *z = malloc(3 << 20);
	char path[256];
	size_t s, zlen;
	enum kind k;

	for (s = 0; s < ARRAY_SIZE(lens); s++) {
		for (k = 0; k < KINDS; k++) {
			fill(in, lens[s], k);
			zlen = deflate_compress(ctx, in, lens[s], z, 3 << 20);
			snprintf(path, sizeof(path), "%s/%d-%zu.in", dir, k,
				 lens[s]);
			write_file(path, in, lens[s]);
			snprintf(path, sizeof(path), "%s/%d-%zu.ours", dir, k,
				 lens[s]);
			write_file(path, z, zlen);
		}
	}
	free(in);
	free(z);
	deflate_free(ctx);
}

/* Inflates each of zlib's streams and compares with its input. */
static void check_zlib_streams(const char *dir)
{
	char cmd[512], path[512], *dot;
	size_t zlen, len, produced, n = 0;
	uint8_t *z, *in, *out;
	FILE *list;

	snprintf(cmd, sizeof(cmd), "ls %s | grep 'zlib$'", dir);
	list = popen(cmd, "r");
	while (fgets(path + strlen(dir) + 1, sizeof(path) - strlen(dir) - 1,
		     list)) {
		memcpy(path, dir, strlen(dir));
		path[strlen(dir)] = '/';
		path[strcspn(path, "\n")] = '\0';
		z = read_file(path, &zlen);
		dot = strchr(strrchr(path, '/'), '.');
		strcpy(dot, ".in");
		in = read_file(path, &len);
		out = malloc(len + 1);
		CHECK(z && in);
		if (z && in) {
			CHECK_EQ(inflate_raw(z, zlen, out, len, &produced),
				 INFLATE_OK);
			CHECK_EQ(produced, len);
			CHECK(!memcmp(in, out, len));
		}
		free(z);
		free(in);
		free(out);
		n++;
	}
	pclose(list);
	CHECK_EQ(n, 4 * (3 * 16 + 2));
}

TEST(interoperates_with_zlib)
{
	char dir[] = "/tmp/test_deflate.XXXXXX", cmd[256], line[256];
	FILE *py;

	CHECK(mkdtemp(dir));
	write_inputs(dir);
	snprintf(cmd, sizeof(cmd), "%s/check.py", dir);
	write_file(cmd, zlib_script, strlen(zlib_script));
	snprintf(cmd, sizeof(cmd), "python3 %s/check.py %s", dir, dir);
	py = popen(cmd, "r");
	while (fgets(line, sizeof(line), py)) {
		printf("  %s", line);
		check_case_failed = 1;
	}
	CHECK_EQ(pclose(py), 0);
	check_zlib_streams(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

int main(void)
{
	RUN(inflates_stored_fixed_and_dynamic_blocks);
	RUN(every_cut_of_a_stream_is_truncated);
	RUN(output_full_fills_the_buffer);
	RUN(cluster_must_come_out_whole);
	RUN(rejects_bad_block_headers);
	RUN(rejects_reserved_and_far_symbols_in_fixed_blocks);
	RUN(dynamic_block_with_one_distance_code);
	RUN(rejects_bad_code_lengths);
	RUN(round_trips);
	RUN(incompressible_data_is_reported);
	if (have_python_zlib())
		RUN(interoperates_with_zlib);
	else
		printf("SKIP interoperates_with_zlib: no python3 zlib\n");
	return check_summary();
}
