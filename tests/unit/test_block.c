// SPDX-License-Identifier: MIT
/*
 * The block layer on real files: raw reads and writes through both
 * engines, flush, discard, write-zeroes and their fallbacks, O_DIRECT and
 * bounce buffers, image locks against each other and against QEMU,
 * read-only images, probing and QEMU's error messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "kvmlite/block.h"
#include "../../src/block/block_priv.h"

#define KiB		1024u
#define IMAGE_SIZE	(1024 * KiB)

static char dir[200];
static char img[256];
static char err[1024];
static char warnings[4096];
static enum block_aio engine = BLOCK_AIO_THREADS;	/* of the case */

/* --- helpers ------------------------------------------------------------- */

static uint8_t pattern(uint64_t offset, uint8_t seed)
{
	return (uint8_t)((offset >> 9) * 31 + offset + seed);
}

static void fill(uint8_t *buf, uint64_t offset, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(offset + i, seed);
}

static void make_file(const char *path, size_t size, uint8_t seed)
{
	uint8_t *buf = malloc(size);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	fill(buf, 0, size, seed);
	CHECK(fd >= 0 && write(fd, buf, size) == (ssize_t)size);
	close(fd);
	free(buf);
}

static bool file_matches(const char *path, uint64_t offset,
			 const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len);
	int fd = open(path, O_RDONLY);
	bool same = fd >= 0 && pread(fd, got, len, offset) == (ssize_t)len &&
		    !memcmp(got, want, len);

	close(fd);
	free(got);
	return same;
}

static struct block_options raw_options(const char *path)
{
	struct block_options o = {
		.filename = path,
		.format = "raw",
		.aio = engine,
	};

	return o;
}

/* Opens and locks; stderr is captured into warnings[]. */
static struct block *open_image(struct block_options o)
{
	struct block *bs;

	strcpy(err, "(no error)");
	check_capture_begin();
	bs = block_open(&o, err, sizeof(err));
	if (bs && block_lock(bs, err, sizeof(err))) {
		block_close(bs);
		bs = NULL;
	}
	check_capture_end(warnings, sizeof(warnings));
	return bs;
}

static struct block *open_raw(void)
{
	struct block *bs = open_image(raw_options(img));

	if (!bs)
		printf("  open: %s\n", err);
	return bs;
}

struct outcome {
	int ret;
	int calls;
};

static void record(struct block_request *req, int ret)
{
	struct outcome *out = req->opaque;

	out->ret = ret;
	out->calls++;
}

/* Submits @req and waits; its callback must not run inside the submit. */
static int run_request(struct block *bs, struct block_request *req)
{
	struct outcome out = { 1, 0 };

	req->done = record;
	req->opaque = &out;
	block_submit(bs, req);
	CHECK_EQ(out.calls, 0);
	block_drain(bs);
	CHECK_EQ(out.calls, 1);
	return out.ret;
}

static int rw(struct block *bs, enum block_op op, uint64_t offset, void *buf,
	      size_t len)
{
	struct iovec iov = { buf, len };
	struct block_request req = {
		.op = op, .offset = offset, .iov = &iov, .iovcnt = 1,
	};

	return run_request(bs, &req);
}

static int simple_op(struct block *bs, enum block_op op, uint64_t offset,
		     uint64_t len, bool may_unmap)
{
	struct block_request req = {
		.op = op, .offset = offset, .len = len, .may_unmap = may_unmap,
	};

	return run_request(bs, &req);
}

static bool all_zero(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

static bool range_is_zero(struct block *bs, uint64_t offset, size_t len)
{
	uint8_t *buf = malloc(len);
	bool zero = rw(bs, BLOCK_OP_READ, offset, buf, len) == 0 &&
		    all_zero(buf, len);

	free(buf);
	return zero;
}

/* --- reads and writes, on the engine of the case ------------------------ */

/* A write gathered from three segments lands in the file and reads back. */
TEST(write_then_read_back)
{
	uint8_t a[1000], b[24], c[3072], want[4096], got[4096];
	struct iovec iov[3] = { { a, sizeof(a) }, { b, sizeof(b) },
				{ c, sizeof(c) } };
	struct block_request req = {
		.op = BLOCK_OP_WRITE, .offset = 8192, .iov = iov, .iovcnt = 3,
	};
	struct block *bs;

	make_file(img, IMAGE_SIZE, 1);
	bs = open_raw();
	if (!bs)
		return;
	fill(want, 0, sizeof(want), 99);
	memcpy(a, want, sizeof(a));
	memcpy(b, want + 1000, sizeof(b));
	memcpy(c, want + 1024, sizeof(c));
	CHECK_EQ(run_request(bs, &req), 0);
	CHECK_EQ(req.len, 4096);
	CHECK(file_matches(img, 8192, want, sizeof(want)));
	CHECK_EQ(rw(bs, BLOCK_OP_READ, 8192, got, sizeof(got)), 0);
	CHECK(!memcmp(got, want, sizeof(got)));
	fill(want, 4096, 512, 1);
	CHECK_EQ(rw(bs, BLOCK_OP_READ, 4096, got, 512), 0);
	CHECK(!memcmp(got, want, 512));
	CHECK_EQ(simple_op(bs, BLOCK_OP_FLUSH, 0, 0, false), 0);
	block_close(bs);
}

struct batch {
	struct block_request req;
	struct iovec iov;
	uint8_t buf[4096];
};

static void batch_done(struct block_request *req, int ret)
{
	int *left = req->opaque;

	if (!ret)
		(*left)--;
}

/*
 * More requests than the io_uring rings hold, all in flight at once and
 * batched by plugging; the owner polls the eventfd and reaps.
 */
TEST(many_requests_in_flight)
{
	enum { N = 300 };
	struct batch *b = calloc(N, sizeof(*b));
	struct pollfd pfd = { .events = POLLIN };
	struct block *bs;
	int i, left = N, polls = 0;

	make_file(img, IMAGE_SIZE * 2, 0);
	bs = open_raw();
	if (!bs) {
		free(b);
		return;
	}
	block_plug(bs);
	for (i = 0; i < N; i++) {
		fill(b[i].buf, i * 4096ull, 4096, 5);
		b[i].iov = (struct iovec){ b[i].buf, 4096 };
		b[i].req = (struct block_request){
			.op = BLOCK_OP_WRITE, .offset = i * 4096ull,
			.iov = &b[i].iov, .iovcnt = 1,
			.done = batch_done, .opaque = &left,
		};
		block_submit(bs, &b[i].req);
	}
	block_unplug(bs);
	pfd.fd = block_event_fd(bs);
	while (left && polls++ < 10000 && poll(&pfd, 1, 5000) == 1)
		block_reap(bs);
	CHECK_EQ(left, 0);
	for (i = 0; i < N; i += 37)
		CHECK(file_matches(img, i * 4096ull, b[i].buf, 4096));
	block_close(bs);
	free(b);
}

/* More segments than one preadv takes: the rest follows in more calls. */
TEST(longer_than_iov_max)
{
	enum { SEGS = IOV_MAX + 500, SEG = 512 };
	struct iovec *iov = calloc(SEGS, sizeof(*iov));
	uint8_t *buf = malloc(SEGS * SEG), *want = malloc(SEGS * SEG);
	struct block_request req = {
		.op = BLOCK_OP_READ, .offset = 0, .iov = iov, .iovcnt = SEGS,
	};
	struct block *bs;
	int i;

	make_file(img, IMAGE_SIZE, 7);
	bs = open_raw();
	for (i = 0; bs && i < SEGS; i++)
		iov[i] = (struct iovec){ buf + (SEGS - 1 - i) * SEG, SEG };
	if (bs) {
		CHECK_EQ(run_request(bs, &req), 0);
		fill(want, 0, SEGS * SEG, 7);
		for (i = 0; i < SEGS; i++)
			CHECK(!memcmp(iov[i].iov_base, want + i * SEG, SEG));
		block_close(bs);
	}
	free(iov);
	free(buf);
	free(want);
}

/* Past the end is an error; a file that shrank under us reads zeroes. */
TEST(end_of_image)
{
	uint8_t buf[4096];
	struct block *bs;

	make_file(img, 64 * KiB, 3);
	bs = open_raw();
	if (!bs)
		return;
	CHECK_EQ(block_length(bs), 64 * KiB);
	CHECK_EQ(rw(bs, BLOCK_OP_READ, 64 * KiB - 512, buf, 1024), -EIO);
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 64 * KiB, buf, 512), -EIO);
	CHECK_EQ(rw(bs, BLOCK_OP_READ, UINT64_MAX - 511, buf, 1024), -EIO);
	CHECK_EQ(simple_op(bs, BLOCK_OP_WRITE_ZEROES, 60 * KiB, 8 * KiB,
			   false), -EIO);
	CHECK_EQ(truncate(img, 62 * KiB), 0);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(rw(bs, BLOCK_OP_READ, 60 * KiB, buf, 4096), 0);
	CHECK(buf[0] == pattern(60 * KiB, 3) && buf[2047] != 0xff);
	CHECK(all_zero(buf + 2048, 2048));
	block_close(bs);
}

/* --- discard and write-zeroes ------------------------------------------- */

static bool punch_hole_works(void)
{
	char path[PATH_MAX + 16];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/punch", dir);
	make_file(path, 64 * KiB, 1);
	fd = open(path, O_RDWR);
	ok = !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			64 * KiB);
	close(fd);
	unlink(path);
	return ok;
}

static uint64_t allocated(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_blocks * 512ull;
}

TEST(discard_unmap_punches_holes)
{
	struct block_options o = raw_options(img);
	struct block *bs;

	make_file(img, IMAGE_SIZE, 4);
	o.discard = BLOCK_DISCARD_UNMAP;
	bs = open_image(o);
	if (!bs) {
		printf("  open: %s\n", err);
		check_case_failed = 1;
		return;
	}
	CHECK_EQ(simple_op(bs, BLOCK_OP_DISCARD, 256 * KiB, 512 * KiB, false),
		 0);
	if (punch_hole_works()) {
		CHECK(range_is_zero(bs, 256 * KiB, 512 * KiB));
		CHECK(allocated(img) <= IMAGE_SIZE - 512 * KiB);
	} else {
		printf("  this file system cannot punch holes: discard only "
		       "checked to succeed\n");
	}
	CHECK(!range_is_zero(bs, 252 * KiB, 4 * KiB));
	CHECK(!range_is_zero(bs, 768 * KiB, 4 * KiB));
	block_close(bs);
}

TEST(discard_ignore_keeps_data)
{
	struct block *bs;

	make_file(img, IMAGE_SIZE, 4);
	bs = open_raw();
	if (!bs)
		return;
	CHECK_EQ(simple_op(bs, BLOCK_OP_DISCARD, 0, IMAGE_SIZE, false), 0);
	CHECK_EQ(allocated(img) >= IMAGE_SIZE, 1);
	CHECK(!range_is_zero(bs, 0, 4 * KiB));
	block_close(bs);
}

/* Returns whether the file system refused FALLOC_FL_ZERO_RANGE. */
static bool check_write_zeroes(const char *path, enum block_discard discard,
			       bool may_unmap)
{
	struct block_options o = raw_options(path);
	struct block *bs;
	struct stat st;
	bool refused;

	make_file(path, IMAGE_SIZE, 6);
	o.discard = discard;
	bs = open_image(o);
	if (!bs) {
		printf("  open %s: %s\n", path, err);
		check_case_failed = 1;
		return false;
	}
	CHECK_EQ(simple_op(bs, BLOCK_OP_WRITE_ZEROES, 4 * KiB, 600 * KiB,
			   may_unmap), 0);
	CHECK(range_is_zero(bs, 4 * KiB, 600 * KiB));
	CHECK(!range_is_zero(bs, 0, 4 * KiB));
	CHECK(!range_is_zero(bs, 604 * KiB, 4 * KiB));
	refused = bs->file.no_zero_range;
	block_close(bs);
	CHECK(!stat(path, &st) && st.st_size == IMAGE_SIZE);
	return refused;
}

TEST(write_zeroes)
{
	check_write_zeroes(img, BLOCK_DISCARD_IGNORE, false);
	check_write_zeroes(img, BLOCK_DISCARD_UNMAP, true);
	/* may_unmap without discard=unmap keeps the blocks. */
	check_write_zeroes(img, BLOCK_DISCARD_IGNORE, true);
	CHECK(allocated(img) >= IMAGE_SIZE);
}

/*
 * tmpfs has no FALLOC_FL_ZERO_RANGE: zeroes are then written.  Where no
 * tmpfs is mounted the fallback is not reached, which is said.
 */
TEST(write_zeroes_fallback_writes_zeroes)
{
	char path[] = "/dev/shm/kvmlite-block-zeroes";
	int fd;

	fd = open(path, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4096) == 0 ||
	    errno != EOPNOTSUPP) {
		printf("  no /dev/shm without ZERO_RANGE here: fallback not "
		       "reached\n");
		if (fd >= 0)
			close(fd);
		unlink(path);
		check_write_zeroes(img, BLOCK_DISCARD_IGNORE, false);
		return;
	}
	close(fd);
	CHECK(check_write_zeroes(path, BLOCK_DISCARD_IGNORE, false));
	unlink(path);
}

/* --- O_DIRECT ------------------------------------------------------------ */

/* Whether the test directory takes O_DIRECT; if not, why. */
static const char *direct_unsupported(void)
{
	static char why[320];
	int fd;

	make_file(img, IMAGE_SIZE, 0);
	fd = open(img, O_RDWR | O_DIRECT);
	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	snprintf(why, sizeof(why), "%s does not take O_DIRECT: %s", dir,
		 strerror(errno));
	return why;
}

static void check_direct_io(enum block_cache cache)
{
	struct block_options o = raw_options(img);
	uint8_t *mem = aligned_alloc(4096, 3 * 4096), want[4096];
	struct block *bs;
	uint32_t align;

	make_file(img, IMAGE_SIZE, 9);
	o.cache = cache;
	bs = open_image(o);
	if (!bs) {
		printf("  open: %s\n", err);
		check_case_failed = 1;
		free(mem);
		return;
	}
	CHECK(bs->file.direct);
	CHECK(fcntl(bs->file.fd, F_GETFL) & O_DIRECT);
	align = block_alignment(bs);
	CHECK(align >= 1 && align <= 4096 && !(align & (align - 1)));
	/* Aligned buffers go straight to the file... */
	fill(mem, 0, 4096, 50);
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 4096, mem, 4096), 0);
	CHECK(file_matches(img, 4096, mem, 4096));
	/* ...an odd address is bounced, both ways. */
	fill(mem + 1, 0, 4096, 51);
	memcpy(want, mem + 1, 4096);
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 8192, mem + 1, 4096), 0);
	CHECK(file_matches(img, 8192, want, 4096));
	memset(mem, 0, 3 * 4096);
	CHECK_EQ(rw(bs, BLOCK_OP_READ, 8192, mem + 3, 4096), 0);
	CHECK(!memcmp(mem + 3, want, 4096));
	if (align > 1)
		CHECK_EQ(rw(bs, BLOCK_OP_READ, align / 2, mem, align),
			 -EINVAL);
	CHECK_EQ(block_write_cache(bs), cache == BLOCK_CACHE_NONE);
	block_close(bs);
	free(mem);
}

TEST(cache_none_is_o_direct)
{
	check_direct_io(BLOCK_CACHE_NONE);
}

TEST(cache_directsync_is_o_direct_and_writethrough)
{
	check_direct_io(BLOCK_CACHE_DIRECTSYNC);
}

/* Modes on the page cache: what they report and that data gets through. */
TEST(buffered_cache_modes)
{
	static const enum block_cache modes[] = {
		BLOCK_CACHE_WRITEBACK, BLOCK_CACHE_WRITETHROUGH,
		BLOCK_CACHE_UNSAFE,
	};
	struct block_options o = raw_options(img);
	uint8_t buf[4096];
	struct block *bs;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		make_file(img, IMAGE_SIZE, 0);
		o.cache = modes[i];
		bs = open_image(o);
		if (!bs) {
			check_case_failed = 1;
			continue;
		}
		CHECK(!bs->file.direct);
		CHECK_EQ(block_alignment(bs), 1);
		CHECK_EQ(block_write_cache(bs),
			 modes[i] != BLOCK_CACHE_WRITETHROUGH);
		fill(buf, 512, sizeof(buf), (uint8_t)i);
		CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 512, buf, sizeof(buf)), 0);
		CHECK_EQ(simple_op(bs, BLOCK_OP_WRITE_ZEROES, 8192, 4096,
				   false), 0);
		CHECK_EQ(simple_op(bs, BLOCK_OP_FLUSH, 0, 0, false), 0);
		CHECK(file_matches(img, 512, buf, sizeof(buf)));
		block_close(bs);
	}
}

/* The raw driver, counting what the generic layer hands it. */
static int driver_flushes, driver_discards;
static struct block_driver counting_driver;

static void count_flush(struct block *bs, struct block_request *req)
{
	driver_flushes++;
	block_raw_driver.flush(bs, req);
}

static void count_discard(struct block *bs, struct block_request *req)
{
	driver_discards++;
	block_raw_driver.discard(bs, req);
}

/* Flushes per (write, write-zeroes, flush, discard) under @cache. */
static int flushes_under(enum block_cache cache, enum block_discard discard)
{
	struct block_options o = raw_options(img);
	uint8_t buf[4096] = { 0 };
	struct block *bs;

	counting_driver = block_raw_driver;
	counting_driver.flush = count_flush;
	counting_driver.discard = count_discard;
	make_file(img, IMAGE_SIZE, 0);
	o.cache = cache;
	o.discard = discard;
	bs = open_image(o);
	if (!bs)
		return -1;
	bs->drv = &counting_driver;
	driver_flushes = 0;
	driver_discards = 0;
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 0, buf, sizeof(buf)), 0);
	CHECK_EQ(simple_op(bs, BLOCK_OP_WRITE_ZEROES, 0, 4096, false), 0);
	CHECK_EQ(simple_op(bs, BLOCK_OP_FLUSH, 0, 0, false), 0);
	CHECK_EQ(simple_op(bs, BLOCK_OP_DISCARD, 0, 4096, false), 0);
	CHECK_EQ(rw(bs, BLOCK_OP_READ, 0, buf, sizeof(buf)), 0);
	bs->drv = &block_raw_driver;
	block_close(bs);
	return driver_flushes;
}

TEST(cache_and_discard_policies)
{
	CHECK_EQ(flushes_under(BLOCK_CACHE_WRITEBACK, BLOCK_DISCARD_IGNORE), 1);
	CHECK_EQ(driver_discards, 0);
	CHECK_EQ(flushes_under(BLOCK_CACHE_WRITETHROUGH, BLOCK_DISCARD_UNMAP),
		 3);
	CHECK_EQ(driver_discards, 1);
	CHECK_EQ(flushes_under(BLOCK_CACHE_UNSAFE, BLOCK_DISCARD_IGNORE), 0);
}

TEST(option_names)
{
	enum block_cache cache;
	enum block_aio aio;
	enum block_discard discard;
	struct block_options o = { .aio = BLOCK_AIO_NATIVE };

	CHECK(!block_parse_cache("none", &cache) && cache == BLOCK_CACHE_NONE);
	CHECK(!block_parse_cache("directsync", &cache) &&
	      cache == BLOCK_CACHE_DIRECTSYNC);
	CHECK(block_parse_cache("foo", &cache));
	CHECK(!block_parse_aio("io_uring", &aio) && aio == BLOCK_AIO_IO_URING);
	CHECK(!block_parse_aio("native", &aio) && aio == BLOCK_AIO_NATIVE);
	CHECK(block_parse_aio("libaio", &aio));
	CHECK(!block_parse_discard("unmap", &discard) &&
	      discard == BLOCK_DISCARD_UNMAP);
	CHECK(!block_parse_discard("off", &discard) &&
	      discard == BLOCK_DISCARD_IGNORE);
	CHECK(block_parse_discard("foo", &discard));
	CHECK_STR(block_options_conflict(&o),
		  "aio=native was specified, but it requires cache.direct=on, which was not specified.");
	o.cache = BLOCK_CACHE_NONE;
	CHECK(block_options_conflict(&o) == NULL);
}

TEST(aio_native_needs_direct)
{
	struct block_options o = raw_options(img);

	make_file(img, IMAGE_SIZE, 0);
	o.aio = BLOCK_AIO_NATIVE;
	CHECK(!open_image(o));
	CHECK_STR(err, "aio=native was specified, but it requires cache.direct=on, which was not specified.");
}

/* --- read-only images and locks ------------------------------------------ */

TEST(read_only_refuses_writes)
{
	struct block_options o = raw_options(img);
	uint8_t buf[512], want[512];
	struct block *bs;

	make_file(img, IMAGE_SIZE, 2);
	chmod(img, 0444);
	o.read_only = true;
	bs = open_image(o);
	if (!bs) {
		printf("  open: %s\n", err);
		check_case_failed = 1;
		return;
	}
	CHECK(block_read_only(bs));
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 0, buf, sizeof(buf)), -EROFS);
	CHECK_EQ(simple_op(bs, BLOCK_OP_DISCARD, 0, 512, false), -EROFS);
	CHECK_EQ(simple_op(bs, BLOCK_OP_WRITE_ZEROES, 0, 512, true), -EROFS);
	CHECK_EQ(simple_op(bs, BLOCK_OP_FLUSH, 0, 0, false), 0);
	CHECK_EQ(rw(bs, BLOCK_OP_READ, 512, buf, sizeof(buf)), 0);
	fill(want, 512, sizeof(want), 2);
	CHECK(!memcmp(buf, want, sizeof(buf)));
	block_close(bs);
	chmod(img, 0644);
}

static struct block *open_for_lock(bool read_only)
{
	struct block_options o = raw_options(img);

	o.read_only = read_only;
	return open_image(o);
}

static void check_conflict(bool first_ro, bool second_ro, const char *msg)
{
	struct block *a, *b;
	char want[1024];

	a = open_for_lock(first_ro);
	CHECK(a != NULL);
	b = open_for_lock(second_ro);
	if (msg) {
		snprintf(want, sizeof(want),
			 "%s\nIs another process using the image [%s]?", msg,
			 img);
		CHECK(b == NULL);
		CHECK_STR(err, want);
	} else {
		CHECK(b != NULL);
	}
	block_close(b);
	block_close(a);
}

TEST(locks_as_qemu)
{
	make_file(img, IMAGE_SIZE, 0);
	check_conflict(false, false, "Failed to get \"write\" lock");
	check_conflict(false, true, "Failed to get shared \"write\" lock");
	check_conflict(true, false, "Failed to get \"write\" lock");
	check_conflict(true, true, NULL);
	/* Closing released them all. */
	check_conflict(false, true, "Failed to get shared \"write\" lock");
}

/* The same bytes as QEMU: a writing qemu-io sees kvmlite's writer. */
TEST(locks_seen_by_qemu_io)
{
	char cmd[PATH_MAX + 64], out[512] = "";
	struct block *bs;
	FILE *p;

	make_file(img, IMAGE_SIZE, 0);
	bs = open_for_lock(false);
	snprintf(cmd, sizeof(cmd), "qemu-io -f raw -c 'read 0 512' '%s' 2>&1",
		 img);
	p = popen(cmd, "r");
	if (p) {
		CHECK(fread(out, 1, sizeof(out) - 1, p) > 0);
		pclose(p);
	}
	CHECK(strstr(out, "Failed to get \"write\" lock") != NULL);
	block_close(bs);
}

/* --- probing and errors ------------------------------------------------- */

static const char probe_warning[] =
	"WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
	"         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n"
	"         Specify the 'raw' format explicitly to remove the restrictions.\n";

TEST(probe_guesses_raw_with_qemus_warning)
{
	struct block_options o = raw_options(img);
	char want[1024];
	struct block *bs;

	make_file(img, IMAGE_SIZE, 0);
	o.format = NULL;
	bs = open_image(o);
	CHECK(bs != NULL);
	snprintf(want, sizeof(want), probe_warning, img);
	CHECK_STR(warnings, want);
	if (bs)
		CHECK_STR(block_format(bs), "raw");
	block_close(bs);
	o.read_only = true;
	bs = open_image(o);
	CHECK(bs != NULL);
	CHECK_STR(warnings, "");
	block_close(bs);
	o.format = "raw";
	o.read_only = false;
	bs = open_image(o);
	CHECK_STR(warnings, "");
	block_close(bs);
}

/* A probed raw image keeps looking raw: no qcow2 magic in block 0. */
TEST(probed_raw_restricts_block_0)
{
	struct block_options o = raw_options(img);
	uint8_t buf[1024] = "QFI\xfb";
	struct block *bs;

	make_file(img, IMAGE_SIZE, 0);
	o.format = NULL;
	bs = open_image(o);
	if (!bs)
		return;
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 0, buf, sizeof(buf)), -EPERM);
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 0, buf + 512, 256), -EPERM);
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 512, buf, 512), 0);
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 0, buf + 512, 512), 0);
	block_close(bs);
	o.format = "raw";
	bs = open_image(o);
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 0, buf, sizeof(buf)), 0);
	block_close(bs);
	CHECK(file_matches(img, 0, buf, sizeof(buf)));
}

TEST(qcow2_recognised)
{
	struct block_options o = raw_options(img);
	int fd;

	make_file(img, IMAGE_SIZE, 0);
	o.format = "qcow2";
	CHECK(!open_image(o));
	CHECK_STR(err, "Image is not in qcow2 format");
	fd = open(img, O_WRONLY);
	CHECK(pwrite(fd, "QFI\xfb\0\0\0\3", 8, 0) == 8);
	close(fd);
	o.format = NULL;
	/* Probed as qcow2 (no raw warning); its header is then judged. */
	CHECK(!open_image(o));
	CHECK(!strncmp(err, "Unsupported cluster size: 2^", 28));
	CHECK_STR(warnings, "");
}

TEST(open_errors)
{
	struct block_options o = raw_options(img);
	char want[PATH_MAX + 128], path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/nonexistent", dir);
	o.filename = path;
	CHECK(!open_image(o));
	snprintf(want, sizeof(want),
		 "Could not open '%s': No such file or directory", path);
	CHECK_STR(err, want);
	o.filename = dir;
	CHECK(!open_image(o));
	snprintf(want, sizeof(want),
		 "'file' driver requires '%s' to be a regular file", dir);
	CHECK_STR(err, want);
	o.read_only = true;
	CHECK(!open_image(o));
	CHECK_STR(err, want);
	o.format = "foo";
	CHECK(!open_image(o));
	CHECK_STR(err, "Unknown driver 'foo'");
}

/* Root reads anything: the open is tried as nobody, in a child. */
TEST(permission_denied)
{
	struct block_options o = raw_options(img);
	char want[PATH_MAX + 128];
	int pipefd[2], status;
	ssize_t n = 0;
	pid_t pid;

	make_file(img, IMAGE_SIZE, 0);
	chmod(img, 0);
	chmod(dir, 0755);
	CHECK(!pipe(pipefd));
	pid = fork();
	if (!pid) {
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(2);
		strcpy(err, "(opened)");
		block_open(&o, err, sizeof(err));
		n = write(pipefd[1], err, strlen(err) + 1);
		_exit(n > 0 ? 0 : 3);
	}
	close(pipefd[1]);
	memset(err, 0, sizeof(err));
	n = read(pipefd[0], err, sizeof(err) - 1);
	close(pipefd[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	snprintf(want, sizeof(want), "Could not open '%s': Permission denied",
		 img);
	CHECK(n > 0);
	CHECK_STR(err, want);
	chmod(img, 0644);
}

/* --- engines ------------------------------------------------------------- */

TEST(engine_selection)
{
	struct block_options o = raw_options(img);
	struct block *bs;

	make_file(img, IMAGE_SIZE, 0);
	o.aio = BLOCK_AIO_THREADS;
	bs = open_image(o);
	CHECK(bs && !strcmp(block_engine_name(bs), "threads"));
	block_close(bs);
	o.aio = BLOCK_AIO_AUTO;
	bs = open_image(o);
	CHECK(bs != NULL);
	if (bs)
		printf("  aio default here: %s\n", block_engine_name(bs));
	block_close(bs);
}

static const char *uring_unavailable(void)
{
	static char why[1100];
	struct block_options o = raw_options(img);
	struct block *bs;

	make_file(img, IMAGE_SIZE, 0);
	o.aio = BLOCK_AIO_IO_URING;
	bs = open_image(o);
	if (bs) {
		CHECK_STR(block_engine_name(bs), "io_uring");
		block_close(bs);
		return NULL;
	}
	snprintf(why, sizeof(why), "%s", err);
	return why;
}

static int cleanup_entry(const char *path, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

#define RUN_IF(why, name)						\
	do {								\
		if (why)						\
			printf("SKIP %s (%s)\n", #name, why);		\
		else							\
			RUN(name);					\
	} while (0)

static void run_engine_cases(const char *engine_skip)
{
	RUN_IF(engine_skip, write_then_read_back);
	RUN_IF(engine_skip, many_requests_in_flight);
	RUN_IF(engine_skip, longer_than_iov_max);
	RUN_IF(engine_skip, end_of_image);
	RUN_IF(engine_skip, discard_unmap_punches_holes);
	RUN_IF(engine_skip, discard_ignore_keeps_data);
	RUN_IF(engine_skip, write_zeroes);
	RUN_IF(engine_skip, write_zeroes_fallback_writes_zeroes);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR"), *no_direct, *no_uring;

	snprintf(dir, sizeof(dir), "%s/kvmlite-block-XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("FAIL setup (mkdtemp %s: %s)\n", dir, strerror(errno));
		return 1;
	}
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	printf("-- aio=threads\n");
	engine = BLOCK_AIO_THREADS;
	run_engine_cases(NULL);
	printf("-- aio=io_uring\n");
	engine = BLOCK_AIO_IO_URING;
	no_uring = uring_unavailable();
	run_engine_cases(no_uring);
	engine = no_uring ? BLOCK_AIO_THREADS : BLOCK_AIO_IO_URING;
	no_direct = direct_unsupported();
	RUN_IF(no_direct, cache_none_is_o_direct);
	RUN_IF(no_direct, cache_directsync_is_o_direct_and_writethrough);
	RUN(buffered_cache_modes);
	RUN(cache_and_discard_policies);
	RUN(option_names);
	RUN(aio_native_needs_direct);
	RUN(read_only_refuses_writes);
	RUN(locks_as_qemu);
	RUN_IF(system("qemu-io --version >/dev/null 2>&1") ?
	       "qemu-io not installed" : NULL, locks_seen_by_qemu_io);
	RUN(probe_guesses_raw_with_qemus_warning);
	RUN(probed_raw_restricts_block_0);
	RUN(qcow2_recognised);
	RUN(open_errors);
	RUN(permission_denied);
	RUN(engine_selection);
	nftw(dir, cleanup_entry, 8, FTW_DEPTH | FTW_PHYS);
	return check_summary();
}
