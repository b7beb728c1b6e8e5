// SPDX-License-Identifier: MIT
/*
 * kvmlite-img convert and compare.  convert skips what the source chain
 * says is zero without reading it, and leaves runs of zeroes it reads
 * unallocated in the new image.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/deflate.h"
#include "img_priv.h"

#define CHUNK		(2u << 20)
#define RAW_GRAIN	4096u

bool img_is_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	return !len || (!p[0] && !memcmp(p, p + 1, len - 1));
}

int img_chain_status(struct image *img, uint64_t off, uint64_t len,
		     uint64_t *run)
{
	int st = image_status(img, off, len, run);
	struct image *b;

	if (st != IMAGE_STATUS_BACKING)
		return st;
	b = image_backing(img);
	if (!b || off >= image_size(b))
		return IMAGE_STATUS_ZERO;
	if (*run > image_size(b) - off)
		*run = image_size(b) - off;
	return img_chain_status(b, off, *run, run);
}

struct copy {
	struct image *src, *dst;
	uint64_t size;
	uint64_t grain;		/* what is written or skipped as a unit */
	bool compress;
	bool progress;
	struct deflate_ctx *ctx;
	uint8_t *buf;
};

static void show_progress(const struct copy *c, uint64_t done)
{
	if (c->progress) {
		printf("    (%0.2f/100%%)\r", c->size ? done * 100.0 / c->size :
						    100.0);
		fflush(stdout);
	}
}

/* Non-zero grains go out in runs, one write per run. */
static int write_run(struct copy *c, uint64_t off, const uint8_t *p,
		     uint64_t len)
{
	uint64_t i;
	int ret = 0;

	if (!c->compress)
		return len ? image_write(c->dst, off, p, len) : 0;
	for (i = 0; !ret && i < len; i += c->grain)
		ret = qcow2_write_compressed(image_qcow2(c->dst), c->ctx,
					     off + i, p + i);
	return ret;
}

static int copy_data(struct copy *c, uint64_t off, uint64_t len)
{
	uint64_t i, n, start = 0;
	int ret = image_read(c->src, off, c->buf, len);

	for (i = 0; !ret && i < len; i += n) {
		n = len - i < c->grain ? len - i : c->grain;
		if (img_is_zero(c->buf + i, n)) {
			ret = write_run(c, off + start, c->buf + start,
					i - start);
			start = i + n;
		} else if (c->compress && n < c->grain) {
			/* A short last piece cannot be a compressed cluster. */
			ret = write_run(c, off + start, c->buf + start,
					i - start);
			if (!ret)
				ret = image_write(c->dst, off + i, c->buf + i,
						  n);
			start = i + n;
		}
	}
	return ret ? ret : write_run(c, off + start, c->buf + start,
				     len - start);
}

/* Runs stay whole grains, so that pieces start on cluster boundaries. */
static void align_run(const struct copy *c, uint64_t len, int *st,
		      uint64_t *run)
{
	uint64_t whole;

	if (!*run || *run > len)
		*run = len;
	if (*st == IMAGE_STATUS_ZERO && *run < len) {
		whole = *run / c->grain * c->grain;
		if (whole) {
			*run = whole;
			return;
		}
		*st = IMAGE_STATUS_DATA;
	}
	if (*st == IMAGE_STATUS_DATA && *run < len) {
		*run = (*run + c->grain - 1) / c->grain * c->grain;
		if (*run > len)
			*run = len;
	}
}

static int copy_all(struct copy *c)
{
	uint64_t off = 0, len, run;
	int st, ret = 0;

	show_progress(c, 0);
	while (!ret && off < c->size) {
		len = c->size - off < CHUNK ? c->size - off : CHUNK;
		st = img_chain_status(c->src, off, len, &run);
		if (st < 0)
			return st;
		align_run(c, len, &st, &run);
		if (st == IMAGE_STATUS_DATA)
			ret = copy_data(c, off, run);
		off += run;
		show_progress(c, off);
	}
	if (c->progress)
		printf("\n");
	return ret ? ret : image_flush(c->dst);
}

static int convert_into(const char *dst_file, const char *out_fmt,
			struct copy *c)
{
	int ret;

	c->dst = img_open(dst_file, out_fmt, IMAGE_RW);
	if (!c->dst)
		return IMG_ERROR;
	c->grain = image_qcow2(c->dst) ? qcow2_cluster_size(image_qcow2(c->dst))
				       : RAW_GRAIN;
	c->buf = malloc(CHUNK);
	c->ctx = c->compress ? deflate_new() : NULL;
	ret = c->buf && (!c->compress || c->ctx) ? copy_all(c) : -1;
	if (ret)
		img_error("error while writing at byte 0: %s", strerror(-ret));
	deflate_free(c->ctx);
	free(c->buf);
	if (image_close(c->dst))
		ret = -1;
	return ret ? IMG_ERROR : IMG_OK;
}

int img_convert(int argc, char **argv)
{
	const char *fmt = NULL, *out_fmt = "raw";
	struct copy c = { 0 };
	char *opts = NULL;
	int ch, ret;

	optind = 1;
	while ((ch = getopt(argc, argv, "f:O:o:cpqU")) != -1) {
		switch (ch) {
		case 'f': fmt = optarg; break;
		case 'O': out_fmt = optarg; break;
		case 'o': opts = optarg; break;
		case 'c': c.compress = true; break;
		case 'p': c.progress = true; break;
		case 'q': case 'U': break;
		default: return IMG_ERROR;
		}
	}
	if (argc - optind != 2) {
		img_error("Expecting one image file name and one output name");
		return IMG_ERROR;
	}
	if (c.compress && strcmp(out_fmt, "qcow2")) {
		img_error("Compression not supported for this file format");
		return IMG_ERROR;
	}
	c.src = img_open(argv[optind], fmt, 0);
	if (!c.src)
		return IMG_ERROR;
	c.size = image_size(c.src);
	ret = img_create_file(argv[optind + 1], out_fmt, c.size, opts);
	if (ret == IMG_OK)
		ret = convert_into(argv[optind + 1], out_fmt, &c);
	image_close(c.src);
	return ret;
}

/* --- compare ------------------------------------------------------------ */

enum { SAME = 0, DIFFERENT = 1, COMPARE_ERROR = 2 };

static int first_difference(const uint8_t *a, const uint8_t *b, uint64_t len,
			    uint64_t *at)
{
	uint64_t i;

	for (i = 0; i < len; i++) {
		if (a[i] != b[i]) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int compare_common(struct image *a, struct image *b, uint64_t size,
			  uint8_t *ba, uint8_t *bb)
{
	uint64_t off, len, at;

	for (off = 0; off < size; off += len) {
		len = size - off < CHUNK ? size - off : CHUNK;
		if (image_read(a, off, ba, len) || image_read(b, off, bb, len))
			return COMPARE_ERROR;
		if (memcmp(ba, bb, len) && first_difference(ba, bb, len, &at)) {
			printf("Content mismatch at offset %" PRIu64 "!\n",
			       off + at);
			return DIFFERENT;
		}
	}
	return SAME;
}

/* The part only the larger image has must read as zeroes. */
static int compare_tail(struct image *big, uint64_t from, uint8_t *buf)
{
	uint64_t off, len, i;

	for (off = from; off < image_size(big); off += len) {
		len = image_size(big) - off < CHUNK ? image_size(big) - off :
						      CHUNK;
		if (image_read(big, off, buf, len))
			return COMPARE_ERROR;
		for (i = 0; i < len; i++) {
			if (buf[i]) {
				printf("Content mismatch at offset %" PRIu64 "!\n",
				       off + i);
				return DIFFERENT;
			}
		}
	}
	return SAME;
}

static int compare_images(struct image *a, struct image *b, bool quiet)
{
	uint64_t sa = image_size(a), sb = image_size(b);
	uint8_t *ba = malloc(CHUNK), *bb = malloc(CHUNK);
	int ret = ba && bb ? SAME : COMPARE_ERROR;

	if (sa != sb && !quiet)
		printf("Warning: Image size mismatch!\n");
	if (!ret)
		ret = compare_common(a, b, sa < sb ? sa : sb, ba, bb);
	if (!ret && sa != sb)
		ret = compare_tail(sa > sb ? a : b, sa < sb ? sa : sb, ba);
	if (!ret && !quiet)
		printf("Images are identical.\n");
	free(ba);
	free(bb);
	return ret;
}

int img_compare(int argc, char **argv)
{
	const char *fa = NULL, *fb = NULL;
	struct image *a, *b;
	bool quiet = false;
	int ch, ret;

	optind = 1;
	while ((ch = getopt(argc, argv, "f:F:qsU")) != -1) {
		if (ch == 'f')
			fa = optarg;
		else if (ch == 'F')
			fb = optarg;
		else if (ch == 'q')
			quiet = true;
		else if (ch == '?')
			return COMPARE_ERROR;
	}
	if (argc - optind != 2) {
		img_error("Expecting two image file names");
		return COMPARE_ERROR;
	}
	a = img_open(argv[optind], fa, 0);
	b = a ? img_open(argv[optind + 1], fb ? fb : fa, 0) : NULL;
	ret = a && b ? compare_images(a, b, quiet) : COMPARE_ERROR;
	image_close(a);
	image_close(b);
	return ret;
}
