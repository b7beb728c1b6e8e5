// SPDX-License-Identifier: MIT
/*
 * kvmlite-img convert and compare.  convert skips what the source chain
 * says is zero without reading it, and leaves runs of zeroes it reads
 * unallocated in the new image.  A reader thread keeps a few chunks ahead
 * of the writes, so that reading the source overlaps writing the output
 * while the output is still written in order (and so laid out in order).
 *
 * The output is written with O_DIRECT where its writes allow it.  It is
 * synced once complete anyway, so the page cache would only add a copy of
 * everything into memory that must first be found: on a VM whose free
 * memory goes back to the host (virtio-balloon free page reporting), each
 * page of a large output faulted back in made every 2 MiB buffered write
 * cost milliseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmlite/deflate.h"
#include "img_priv.h"

#define CHUNK		(2u << 20)
#define RAW_GRAIN	4096u
#define READ_AHEAD	4	/* chunks read but not yet written */
#define SECTOR		512u
#define DIRECT_ALIGN	4096u	/* what O_DIRECT offsets and lengths keep to */

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

/* One piece of the source: a run of data (read into buf) or of zeroes. */
struct chunk {
	uint64_t off, len;
	int status;		/* IMAGE_STATUS_*, or -errno */
	uint8_t *buf;
};

struct copy {
	struct image *src, *dst;
	uint64_t size;
	uint64_t grain;		/* what is written or skipped as a unit */
	bool compress;
	bool progress;
	struct deflate_ctx *ctx;
	/* The ring between the reader thread and the writer */
	struct chunk ring[READ_AHEAD];
	unsigned int head, tail;	/* filled by the reader, emptied */
	bool stop;			/* the writer gave up */
	pthread_mutex_t lock;
	pthread_cond_t changed;
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

static int write_data(struct copy *c, uint64_t off, const uint8_t *buf,
		      uint64_t len)
{
	uint64_t i, n, start = 0;
	int ret = 0;

	for (i = 0; !ret && i < len; i += n) {
		n = len - i < c->grain ? len - i : c->grain;
		if (img_is_zero(buf + i, n)) {
			ret = write_run(c, off + start, buf + start, i - start);
			start = i + n;
		} else if (c->compress && n < c->grain) {
			/* A short last piece cannot be a compressed cluster. */
			ret = write_run(c, off + start, buf + start, i - start);
			if (!ret)
				ret = image_write(c->dst, off + i, buf + i, n);
			start = i + n;
		}
	}
	return ret ? ret : write_run(c, off + start, buf + start,
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

/* What the source holds at @off: its status, and its data if any. */
static void read_chunk(struct copy *c, struct chunk *k, uint64_t off)
{
	uint64_t len = c->size - off < CHUNK ? c->size - off : CHUNK;
	int st = img_chain_status(c->src, off, len, &k->len);

	k->off = off;
	if (st >= 0) {
		align_run(c, len, &st, &k->len);
		if (st == IMAGE_STATUS_DATA)
			st = image_read(c->src, off, k->buf, k->len) ?: st;
	}
	k->status = st;
}

/* The reader thread: fills the ring until the end or an error. */
static void *reader(void *opaque)
{
	struct copy *c = opaque;
	uint64_t off = 0;
	struct chunk *k;
	bool stop;

	while (off < c->size) {
		pthread_mutex_lock(&c->lock);
		while (c->head - c->tail == READ_AHEAD && !c->stop)
			pthread_cond_wait(&c->changed, &c->lock);
		stop = c->stop;
		pthread_mutex_unlock(&c->lock);
		if (stop)
			break;
		k = &c->ring[c->head % READ_AHEAD];
		read_chunk(c, k, off);
		off += k->len;
		pthread_mutex_lock(&c->lock);
		c->head++;
		pthread_cond_signal(&c->changed);
		pthread_mutex_unlock(&c->lock);
		if (k->status < 0)
			break;
	}
	return NULL;
}

/* The next chunk in order, once the reader has it. */
static struct chunk *next_chunk(struct copy *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->head == c->tail)
		pthread_cond_wait(&c->changed, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return &c->ring[c->tail % READ_AHEAD];
}

static void chunk_done(struct copy *c, bool stop)
{
	pthread_mutex_lock(&c->lock);
	c->tail++;
	c->stop = stop;
	pthread_cond_signal(&c->changed);
	pthread_mutex_unlock(&c->lock);
}

static int write_chunks(struct copy *c)
{
	uint64_t off = 0;
	struct chunk *k;
	int ret = 0;

	show_progress(c, 0);
	while (!ret && off < c->size) {
		k = next_chunk(c);
		ret = k->status < 0 ? k->status : 0;
		if (k->status == IMAGE_STATUS_DATA)
			ret = write_data(c, k->off, k->buf, k->len);
		off += k->len;
		chunk_done(c, ret);
		show_progress(c, off);
	}
	if (c->progress)
		printf("\n");
	return ret ? ret : image_flush(c->dst);
}

static int copy_all(struct copy *c)
{
	pthread_t thread;
	int ret;

	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->changed, NULL);
	ret = -pthread_create(&thread, NULL, reader, c);
	if (!ret) {
		ret = write_chunks(c);
		pthread_join(thread, NULL);
	}
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	return ret;
}

static bool alloc_ring(struct copy *c)
{
	unsigned int i;

	for (i = 0; i < READ_AHEAD; i++) {
		c->ring[i].buf = aligned_alloc(DIRECT_ALIGN, CHUNK);
		if (!c->ring[i].buf)
			return false;
	}
	return true;
}

static void free_ring(struct copy *c)
{
	unsigned int i;

	for (i = 0; i < READ_AHEAD; i++)
		free(c->ring[i].buf);
}

/*
 * The output is written without syncs, as qemu-img's (cache=unsafe): a
 * crash leaves a partial conversion, worthless whatever its metadata.
 * It is made durable once, complete.
 */
static int sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	ret = fd < 0 || fsync(fd);
	if (ret)
		img_error("Could not sync '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

static uint64_t grain_of(struct image *dst)
{
	return image_qcow2(dst) ? qcow2_cluster_size(image_qcow2(dst))
				: RAW_GRAIN;
}

/*
 * Whether every data write can be O_DIRECT without a read-modify-write:
 * whole blocks (qcow2 bounces a partial last cluster; raw cannot), and
 * not compressed clusters, which go anywhere in a sector.
 */
static bool direct_fits(const struct copy *c, struct image *dst)
{
	return !c->compress && grain_of(dst) % DIRECT_ALIGN == 0 &&
	       (image_qcow2(dst) || c->size % DIRECT_ALIGN == 0);
}

/*
 * The output, O_DIRECT if it fits and the file system has it; opened
 * again without when not, failing then with the usual message.
 */
static struct image *open_output(const char *path, const char *fmt,
				 const struct copy *c)
{
	unsigned int flags = IMAGE_RW | IMAGE_UNSAFE;
	struct image_open_opts o = { .filename = path, .format = fmt,
				     .flags = flags | IMAGE_DIRECT };
	struct image *dst = NULL;
	char err[1200];

	if (!c->compress)
		dst = image_open(&o, err, sizeof(err));
	if (dst && direct_fits(c, dst))
		return dst;
	/* Nothing was written through it: the second open tells of errors. */
	if (dst)
		image_close(dst);
	return img_open(path, fmt, flags);
}

static int convert_into(const char *dst_file, const char *out_fmt,
			struct copy *c)
{
	int ret;

	c->dst = open_output(dst_file, out_fmt, c);
	if (!c->dst)
		return IMG_ERROR;
	c->grain = grain_of(c->dst);
	c->ctx = c->compress ? deflate_new() : NULL;
	ret = alloc_ring(c) && (!c->compress || c->ctx) ? copy_all(c) : -ENOMEM;
	if (ret)
		img_error("error while writing at byte 0: %s", strerror(-ret));
	deflate_free(c->ctx);
	free_ring(c);
	if (image_close(c->dst) || (!ret && sync_file(dst_file)))
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
	/* As qemu-img: whole sectors, a partial last one padded with zeroes. */
	c.size = (image_size(c.src) + SECTOR - 1) / SECTOR * SECTOR;
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
