// SPDX-License-Identifier: MIT
/*
 * Random I/O through the block layer against a raw shadow copy: up to
 * queue_depth requests in flight at once, never two on overlapping
 * ranges, each read compared with the shadow.  Written data is a pattern
 * of (seed, offset), so a crash checker can regenerate it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvmlite/block.h"
#include "blkrand.h"

#define SECTOR		512u
#define MAX_QD		32
#define BATCH		16

struct slot {
	struct block_request req;
	struct iovec iov;
	uint8_t *buf;
	bool busy;
	uint32_t seed;
	struct rig *rig;
};

struct rig {
	struct block *bs;
	int shadow;
	uint64_t size;
	unsigned int max_len;
	struct slot slots[MAX_QD];
	unsigned int qd;
	unsigned int inflight;
	int errors;
	uint64_t rng;
	uint32_t unit;		/* requests are multiples of this */
	bool compare;		/* reads are checked against the shadow */
	bool crash_mode;	/* the shadow follows only flushed writes */
};

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint8_t pattern_byte(uint32_t seed, uint64_t off)
{
	uint64_t x = (off / 8 + 1) * 0x9e3779b97f4a7c15ull ^ seed;

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (off % 8)));
}

static void fill_pattern(uint8_t *buf, uint32_t seed, uint64_t off,
			 uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(seed, off + i);
}

static int shadow_io(int fd, void *buf, uint64_t len, uint64_t off,
		     bool write)
{
	ssize_t r = write ? pwrite(fd, buf, len, off) :
			    pread(fd, buf, len, off);

	if (r != (ssize_t)len && !(r >= 0 && !write)) {
		fprintf(stderr, "shadow %s failed\n", write ? "write" : "read");
		return -1;
	}
	if (!write && (uint64_t)r < len)
		memset((uint8_t *)buf + r, 0, len - r);
	return 0;
}

static void report_mismatch(struct rig *r, struct slot *s)
{
	uint8_t *want = malloc(s->req.len);
	uint64_t i;

	shadow_io(r->shadow, want, s->req.len, s->req.offset, false);
	for (i = 0; i < s->req.len && want[i] == s->buf[i]; i++)
		;
	if (i < s->req.len) {
		fprintf(stderr, "mismatch at 0x%llx: got %02x want %02x\n",
			(unsigned long long)(s->req.offset + i), s->buf[i],
			want[i]);
		r->errors++;
	}
	free(want);
}

static void slot_done(struct block_request *req, int ret)
{
	struct slot *s = req->opaque;
	struct rig *r = s->rig;

	r->inflight--;
	s->busy = false;
	if (ret) {
		fprintf(stderr, "request %d at 0x%llx+0x%llx failed: %s\n",
			req->op, (unsigned long long)req->offset,
			(unsigned long long)req->len, strerror(-ret));
		r->errors++;
		return;
	}
	switch (req->op) {
	case BLOCK_OP_READ:
		if (r->compare)
			report_mismatch(r, s);
		break;
	case BLOCK_OP_WRITE:
		if (!r->crash_mode)
			shadow_io(r->shadow, s->buf, req->len, req->offset,
				  true);
		break;
	default:
		break;
	}
}

static bool overlaps(const struct rig *r, uint64_t off, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < r->qd; i++) {
		const struct slot *s = &r->slots[i];

		if (s->busy && s->req.op != BLOCK_OP_FLUSH &&
		    off < s->req.offset + s->req.len &&
		    s->req.offset < off + len)
			return true;
	}
	return false;
}

static struct slot *free_slot(struct rig *r)
{
	unsigned int i;

	for (i = 0; i < r->qd; i++)
		if (!r->slots[i].busy)
			return &r->slots[i];
	return NULL;
}

static void wait_some(struct rig *r)
{
	block_drain(r->bs);
}

/* After a discard the contents are the image's to choose: learn them. */
static int resync_range(struct rig *r, uint64_t off, uint64_t len);

static void submit(struct rig *r, struct slot *s, enum block_op op,
		   uint64_t off, uint64_t len)
{
	memset(&s->req, 0, sizeof(s->req));
	s->req.op = op;
	s->req.offset = off;
	s->req.done = slot_done;
	s->req.opaque = s;
	s->req.len = len;
	s->req.may_unmap = true;
	s->iov.iov_base = s->buf;
	s->iov.iov_len = len;
	if (op == BLOCK_OP_READ || op == BLOCK_OP_WRITE) {
		s->req.iov = &s->iov;
		s->req.iovcnt = 1;
	}
	if (op == BLOCK_OP_WRITE) {
		s->seed = (uint32_t)next_rand(&r->rng);
		fill_pattern(s->buf, s->seed, off, len);
	}
	s->busy = true;
	s->rig = r;
	r->inflight++;
	block_submit(r->bs, &s->req);
}

static enum block_op pick_op(struct rig *r, bool discard)
{
	unsigned int x = next_rand(&r->rng) % 100;

	if (x < 45)
		return BLOCK_OP_READ;
	if (x < 88 || !discard)
		return x < 97 ? BLOCK_OP_WRITE : BLOCK_OP_FLUSH;
	if (x < 94)
		return BLOCK_OP_WRITE_ZEROES;
	return BLOCK_OP_DISCARD;
}

/* Mostly small requests, some up to max_len, some unaligned to clusters. */
static void pick_range(struct rig *r, uint64_t *off, uint64_t *len)
{
	uint64_t sectors = r->size / r->unit;
	uint64_t max = r->max_len / r->unit;
	uint64_t n = next_rand(&r->rng) % 4 ? 1 + next_rand(&r->rng) % 16 :
					     1 + next_rand(&r->rng) % max;

	if (n > sectors)
		n = sectors;
	*off = next_rand(&r->rng) % (sectors - n + 1) * r->unit;
	*len = n * r->unit;
}

static struct block *open_block(const char *image, const char *format,
				bool direct, enum block_aio aio)
{
	struct block_options o = {
		.filename = image,
		.format = format,
		.cache = direct ? BLOCK_CACHE_NONE : BLOCK_CACHE_WRITEBACK,
		.aio = aio,
		.discard = BLOCK_DISCARD_UNMAP,
	};
	char err[1024];
	struct block *bs = block_open(&o, err, sizeof(err));

	if (!bs)
		fprintf(stderr, "%s\n", err);
	return bs;
}

static int rig_init(struct rig *r, const struct blkrand_opts *o)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->bs = open_block(o->image, o->format, o->direct, o->aio);
	if (!r->bs)
		return -1;
	r->shadow = open(o->shadow, O_RDWR);
	r->size = block_length(r->bs);
	r->unit = block_alignment(r->bs) > SECTOR ? block_alignment(r->bs) :
						     SECTOR;
	r->max_len = o->max_len ? o->max_len : 256 * 1024;
	r->qd = o->queue_depth && o->queue_depth <= MAX_QD ? o->queue_depth :
							      8;
	r->rng = o->seed * 2654435761ull + 1;
	r->compare = true;
	r->crash_mode = o->crash_mode;
	for (i = 0; i < r->qd; i++)
		if (posix_memalign((void **)&r->slots[i].buf, 4096,
				   r->max_len))
			return -1;
	return r->shadow < 0 ? -1 : 0;
}

static void rig_free(struct rig *r)
{
	unsigned int i;

	if (r->bs)
		block_close(r->bs);
	for (i = 0; i < r->qd; i++)
		free(r->slots[i].buf);
	if (r->shadow >= 0)
		close(r->shadow);
}

static int resync_range(struct rig *r, uint64_t off, uint64_t len)
{
	struct slot *s = free_slot(r);

	r->compare = false;
	submit(r, s, BLOCK_OP_READ, off, len);
	wait_some(r);
	r->compare = true;
	return shadow_io(r->shadow, s->buf, len, off, true);
}

static void random_op(struct rig *r, bool discard)
{
	enum block_op op = pick_op(r, discard);
	uint64_t off, len;
	struct slot *s;

	while (!(s = free_slot(r)))
		wait_some(r);
	if (op == BLOCK_OP_FLUSH) {
		submit(r, s, op, 0, 0);
		return;
	}
	do
		pick_range(r, &off, &len);
	while (overlaps(r, off, len));
	if (op == BLOCK_OP_WRITE_ZEROES || op == BLOCK_OP_DISCARD) {
		/* Their outcome is learnt by reading, alone. */
		wait_some(r);
		submit(r, s, op, off, len);
		wait_some(r);
		if (op == BLOCK_OP_WRITE_ZEROES) {
			memset(s->buf, 0, len);
			shadow_io(r->shadow, s->buf, len, off, true);
		} else {
			resync_range(r, off, len);
		}
		return;
	}
	submit(r, s, op, off, len);
}

/* --- crash mode ------------------------------------------------------------- */

struct pending {
	uint64_t off, len;
	uint32_t seed;
};

static char *pending_path(const char *shadow)
{
	char *p;

	return asprintf(&p, "%s.pending", shadow) < 0 ? NULL : p;
}

static int write_pending(const char *path, const struct pending *p,
			 unsigned int n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ret = 0;

	if (fd < 0 || write(fd, p, n * sizeof(*p)) != (ssize_t)(n * sizeof(*p)) ||
	    fsync(fd))
		ret = -1;
	if (fd >= 0)
		close(fd);
	return ret;
}

/* One batch: described, written, flushed, and only then shadowed. */
static int crash_batch(struct rig *r, const char *ppath)
{
	struct pending p[BATCH];
	unsigned int i, n = r->qd < BATCH ? r->qd : BATCH;
	struct slot *s;

	for (i = 0; i < n; i++) {
		do
			pick_range(r, &p[i].off, &p[i].len);
		while (overlaps(r, p[i].off, p[i].len));
		s = &r->slots[i];
		s->busy = true;		/* reserve the range for overlaps() */
		s->req.op = BLOCK_OP_WRITE;
		s->req.offset = p[i].off;
		s->req.len = p[i].len;
		p[i].seed = (uint32_t)next_rand(&r->rng);
	}
	for (i = 0; i < n; i++)
		r->slots[i].busy = false;
	if (write_pending(ppath, p, n))
		return -1;
	for (i = 0; i < n; i++) {
		s = &r->slots[i];
		memset(&s->req, 0, sizeof(s->req));
		s->req.op = BLOCK_OP_WRITE;
		s->req.offset = p[i].off;
		s->iov = (struct iovec){ s->buf, p[i].len };
		s->req.iov = &s->iov;
		s->req.iovcnt = 1;
		s->req.done = slot_done;
		s->req.opaque = s;
		s->rig = r;
		s->busy = true;
		fill_pattern(s->buf, p[i].seed, p[i].off, p[i].len);
		r->inflight++;
		block_submit(r->bs, &s->req);
	}
	wait_some(r);
	submit(r, &r->slots[0], BLOCK_OP_FLUSH, 0, 0);
	wait_some(r);
	for (i = 0; i < n; i++) {
		fill_pattern(r->slots[0].buf, p[i].seed, p[i].off, p[i].len);
		shadow_io(r->shadow, r->slots[0].buf, p[i].len, p[i].off,
			  true);
	}
	return fdatasync(r->shadow) || r->errors ? -1 : 0;
}

/*
 * What an earlier run left of its last batch is the baseline now: the
 * shadow takes the image's contents before this run's first batch.
 */
static int adopt_image(struct rig *r, const char *ppath)
{
	uint64_t off, len;
	int ret = 0;

	for (off = 0; !ret && off < r->size; off += len) {
		len = r->size - off < r->max_len ? r->size - off : r->max_len;
		ret = resync_range(r, off, len);
	}
	if (!ret && fdatasync(r->shadow))
		ret = -1;
	unlink(ppath);
	return ret;
}

int blkrand_run(const struct blkrand_opts *o)
{
	char *ppath = pending_path(o->shadow);
	struct rig r;
	unsigned int i;
	int ret = rig_init(&r, o);

	if (!ret && o->crash_mode)
		ret = adopt_image(&r, ppath);

	for (i = 0; !ret && i < o->ops && !r.errors; i++) {
		if (o->crash_mode)
			ret = crash_batch(&r, ppath);
		else
			random_op(&r, o->discard);
	}
	if (r.bs)
		wait_some(&r);
	ret = ret || r.errors ? -1 : 0;
	rig_free(&r);
	free(ppath);
	return ret;
}

/* --- verifying ------------------------------------------------------------ */

static struct pending *read_pending(const char *shadow, unsigned int *n)
{
	char *path = pending_path(shadow);
	struct pending *p = calloc(BATCH, sizeof(*p));
	int fd = path ? open(path, O_RDONLY) : -1;
	ssize_t got = fd >= 0 ? read(fd, p, BATCH * sizeof(*p)) : 0;

	*n = got > 0 ? got / sizeof(*p) : 0;
	if (fd >= 0)
		close(fd);
	free(path);
	return p;
}

/* A sector that differs from the shadow must be the pending batch's. */
static bool sector_acceptable(const uint8_t *got, uint64_t off,
			      const struct pending *p, unsigned int n)
{
	uint8_t want[SECTOR];
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (off < p[i].off || off >= p[i].off + p[i].len)
			continue;
		fill_pattern(want, p[i].seed, off, SECTOR);
		if (!memcmp(want, got, SECTOR))
			return true;
	}
	return false;
}

static int verify_chunk(struct rig *r, uint64_t off, uint64_t len,
			const struct pending *p, unsigned int n)
{
	struct slot *s = &r->slots[0];
	uint8_t *want = malloc(len);
	uint64_t i;
	int bad = 0;

	r->compare = false;
	submit(r, s, BLOCK_OP_READ, off, len);
	wait_some(r);
	shadow_io(r->shadow, want, len, off, false);
	for (i = 0; i < len && !bad; i += SECTOR) {
		if (!memcmp(want + i, s->buf + i, SECTOR) ||
		    sector_acceptable(s->buf + i, off + i, p, n))
			continue;
		fprintf(stderr, "sector 0x%llx differs from the shadow\n",
			(unsigned long long)(off + i));
		bad = 1;
	}
	free(want);
	return bad;
}

int blkrand_verify(const char *image, const char *format, const char *shadow,
		   bool crash_mode)
{
	struct blkrand_opts o = { .image = image, .format = format,
				  .shadow = shadow, .queue_depth = 1,
				  .max_len = 1 << 20 };
	unsigned int n = 0;
	struct pending *p = crash_mode ? read_pending(shadow, &n) : NULL;
	uint64_t off, len;
	struct rig r;
	int bad = rig_init(&r, &o);

	for (off = 0; !bad && off < r.size; off += len) {
		len = r.size - off < r.max_len ? r.size - off : r.max_len;
		bad = verify_chunk(&r, off, len, p, n) || r.errors;
	}
	rig_free(&r);
	free(p);
	return bad ? -1 : 0;
}

/* --- throughput --------------------------------------------------------------- */

struct bench {
	struct block *bs;
	struct slot slots[MAX_QD];
	uint64_t next, end, bs_len;
	bool random_order;
	uint64_t rng;
	enum block_op op;
};

static void bench_issue(struct bench *b, struct slot *s);

static void bench_done(struct block_request *req, int ret)
{
	struct slot *s = req->opaque;
	struct bench *b = (struct bench *)s->rig;

	s->busy = false;
	if (ret)
		fprintf(stderr, "bench request failed: %s\n", strerror(-ret));
	else
		bench_issue(b, s);
}

static void bench_issue(struct bench *b, struct slot *s)
{
	uint64_t blocks = b->end / b->bs_len;

	if (b->next >= b->end)
		return;
	memset(&s->req, 0, sizeof(s->req));
	s->req.op = b->op;
	s->req.offset = b->random_order ?
			next_rand(&b->rng) % blocks * b->bs_len : b->next;
	b->next += b->bs_len;
	s->iov = (struct iovec){ s->buf, b->bs_len };
	s->req.iov = &s->iov;
	s->req.iovcnt = 1;
	s->req.done = bench_done;
	s->req.opaque = s;
	s->rig = (struct rig *)b;
	s->busy = true;
	block_submit(b->bs, &s->req);
}

double blkrand_bench(const char *image, const char *format, bool write,
		     bool random_order, unsigned int block_len,
		     unsigned int qd)
{
	struct bench b = { .bs_len = block_len, .random_order = random_order,
			   .rng = 88172645463325252ull,
			   .op = write ? BLOCK_OP_WRITE : BLOCK_OP_READ };
	struct timespec t0, t1;
	unsigned int i;

	b.bs = open_block(image, format, true, BLOCK_AIO_AUTO);
	if (!b.bs || qd > MAX_QD)
		return -1;
	b.end = block_length(b.bs) / block_len * block_len;
	for (i = 0; i < qd; i++) {
		if (posix_memalign((void **)&b.slots[i].buf, 4096, block_len))
			return -1;
		memset(b.slots[i].buf, 0x5a, block_len);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < qd; i++)
		bench_issue(&b, &b.slots[i]);
	block_drain(b.bs);
	block_close(b.bs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < qd; i++)
		free(b.slots[i].buf);
	return b.end / 1048576.0 / (t1.tv_sec - t0.tv_sec +
				    (t1.tv_nsec - t0.tv_nsec) / 1e9);
}
