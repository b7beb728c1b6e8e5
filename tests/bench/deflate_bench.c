// SPDX-License-Identifier: MIT
/*
 * Compression benchmark on qcow2-sized pieces: compresses each cluster of
 * CORPUS with deflate_compress() (as kvmlite-img convert -c would),
 * inflates the result back, and inflates ZLIB_CLUSTERS (the same clusters
 * compressed by zlib, as records of a 4-byte little-endian length and the
 * data; length 0 for a cluster zlib left uncompressed).  Prints MB/s of
 * uncompressed data (the best of ROUNDS rounds, as the machine may be
 * shared) and the compressed size.
 *
 * Usage: deflate_bench CORPUS ZLIB_CLUSTERS CLUSTER_SIZE
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvmlite/deflate.h"

#define ROUNDS	5

struct corpus {
	uint8_t *data;
	size_t len;
};

static int read_file(const char *path, struct corpus *c)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto fail;
	c->len = len;
	c->data = malloc(c->len + 1);
	if (!c->data || fread(c->data, 1, c->len, f) != c->len)
		goto fail;
	fclose(f);
	return 0;
fail:
	fprintf(stderr, "deflate_bench: cannot read %s\n", path);
	return -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *what, size_t bytes, double secs)
{
	printf("%-28s %8.1f MB/s\n", what, bytes / secs / 1e6);
}

/* Inflates records of (length, data); returns the seconds it took. */
static double inflate_records(const uint8_t *rec, const uint8_t *end,
			      uint8_t *out, size_t cluster, size_t *bytes)
{
	double t = now();
	long n = 0;
	uint32_t len;
	int ret;

	*bytes = 0;
	while (end - rec >= 4) {
		memcpy(&len, rec, 4);
		rec += 4;
		if (len > (size_t)(end - rec))
			return -1;
		if (len) {
			ret = inflate_cluster(rec, len, out, cluster);
			if (ret) {
				fprintf(stderr, "cluster %ld: %s\n", n,
					inflate_strerror(ret));
				return -1;
			}
			*bytes += cluster;
		}
		rec += len;
		n++;
	}
	return now() - t;
}

/* The best speed of ROUNDS rounds of inflate_records(). */
static int report_inflate(const char *what, const uint8_t *rec,
			  const uint8_t *end, uint8_t *out, size_t cluster)
{
	double secs, best = 0;
	size_t bytes;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		secs = inflate_records(rec, end, out, cluster, &bytes);
		if (secs < 0)
			return -1;
		if (!i || secs < best)
			best = secs;
	}
	report(what, bytes, best);
	return 0;
}

int main(int argc, char **argv)
{
	struct corpus corpus, zlib;
	struct deflate_ctx *ctx = deflate_new();
	uint8_t *own, *p, *out;
	size_t cluster, off, chunk, len, compressed = 0;
	uint32_t rec_len;
	double t;

	if (argc != 4 || !ctx || read_file(argv[1], &corpus) ||
	    read_file(argv[2], &zlib))
		return 2;
	cluster = strtoul(argv[3], NULL, 0);
	own = malloc(corpus.len + corpus.len / cluster * 4 + 4);
	out = malloc(cluster);

	t = now();
	for (p = own, off = 0; off < corpus.len; off += chunk) {
		chunk = corpus.len - off < cluster ? corpus.len - off : cluster;
		len = deflate_compress(ctx, corpus.data + off, chunk, p + 4,
				       chunk - 1);
		rec_len = len;
		memcpy(p, &rec_len, 4);
		p += 4 + len;
		compressed += len ? len : chunk;
	}
	report("kvmlite deflate", corpus.len, now() - t);
	printf("%-28s %8zu bytes (%.1f%%)\n", "kvmlite compressed size",
	       compressed, 100.0 * compressed / corpus.len);

	if (report_inflate("kvmlite inflate, own data", own, p, out,
			   cluster) ||
	    report_inflate("kvmlite inflate, zlib data", zlib.data,
			   zlib.data + zlib.len, out, cluster))
		return 1;
	deflate_free(ctx);
	return 0;
}
