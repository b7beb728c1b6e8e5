// SPDX-License-Identifier: MIT
/*
 * The block layer's defences against hostile images (backing_policy.h)
 * and -snapshot: a probed raw disk keeps block 0 raw; backing files are
 * followed only from images of a given format, never to a device node,
 * /proc, /sys or /dev, nor outside the allowed directories, whatever
 * links or ".." say; a legitimate chain still opens, and kvmlite-img
 * follows anything.  -snapshot leaves the image and the temporary
 * directory as they were and lets other readers share the image.  Images
 * are made with kvmlite-img (its hostile backing names with rebase -u).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check.h"
#include "kvmlite/block.h"
#include "kvmlite/image.h"

#define SECTOR		512

/* The kvmlite-img under test: tests/run.sh names it (the SAN=1 build's). */
static const char *img_tool;
static char dir[128], other[160], tmpdir[160];
static char err[2048];

/* dir/@name, in one of a few rotating buffers. */
static const char *in_dir(const char *name)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

/*
 * base.raw (sector n filled with n + 1) <- mid.qcow2 <- top.qcow2, each
 * naming its backing file relatively and with its format.
 */
static void make_chain(void)
{
	uint8_t sector[SECTOR];
	int fd, n;

	check_shell("rm -f %s/*.raw %s/*.qcow2", dir, dir);
	fd = open(in_dir("base.raw"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (n = 0; n < 64; n++) {
		memset(sector, n + 1, SECTOR);
		CHECK(write(fd, sector, SECTOR) == SECTOR);
	}
	close(fd);
	CHECK_EQ(check_shell("%s create -q -f qcow2 -b base.raw -F raw %s && "
			     "%s create -q -f qcow2 -b mid.qcow2 -F qcow2 %s",
			     img_tool, in_dir("mid.qcow2"), img_tool,
			     in_dir("top.qcow2")), 0);
}

/* Points @image's backing file at @name (not opened), as a guest could. */
static void set_backing(const char *image, const char *name, const char *fmt)
{
	CHECK_EQ(check_shell("%s rebase -u -b '%s' -F %s %s", img_tool, name,
			     fmt, in_dir(image)), 0);
}

/*
 * Renames @image's backing format extension to one no one knows, as an
 * image made without -F has none (kvmlite-img and qemu-img 7.2 insist).
 */
static void forget_backing_format(const char *image)
{
	static const uint8_t ext[4] = { 0xe2, 0x79, 0x2a, 0xca };
	uint8_t head[4096];
	int fd = open(in_dir(image), O_RDWR);
	size_t off;

	CHECK(pread(fd, head, sizeof(head), 0) == sizeof(head));
	for (off = 72; off < sizeof(head); off += 8)
		if (!memcmp(head + off, ext, sizeof(ext)))
			break;
	CHECK(off < sizeof(head));
	CHECK(pwrite(fd, "\x7e\x57\xda\x7a", 4, off) == 4);
	close(fd);
}

static struct block *open_drive(const char *image, const char *format,
				const char *backing_dirs)
{
	struct block_options o = {
		.filename = in_dir(image),
		.format = format,
		.aio = BLOCK_AIO_THREADS,
		.backing_dirs = backing_dirs,
	};

	strcpy(err, "(opened)");
	return block_open(&o, err, sizeof(err));
}

/* Opening top.qcow2 fails with a message holding each of @words. */
static void refused(const char *format, const char *backing_dirs,
		    const char *const *words, size_t n)
{
	struct block *bs = open_drive("top.qcow2", format, backing_dirs);
	size_t i;

	CHECK(!bs);
	block_close(bs);
	CHECK(!strchr(err, '\n'));
	for (i = 0; i < n; i++) {
		if (!strstr(err, words[i])) {
			printf("  '%s' not in: %s\n", words[i], err);
			CHECK(0);
		}
	}
}

#define REFUSED(format, dirs, ...)					\
	do {								\
		const char *const w_[] = { __VA_ARGS__ };		\
		refused(format, dirs, w_, ARRAY_SIZE(w_));		\
	} while (0)

static void done_into(struct block_request *req, int ret)
{
	*(int *)req->opaque = ret;
}

static int rw(struct block *bs, enum block_op op, uint64_t off, void *buf,
	      size_t len)
{
	struct iovec iov = { buf, len };
	int ret = 1;
	struct block_request req = { .op = op, .offset = off, .iov = &iov,
				     .iovcnt = 1, .done = done_into,
				     .opaque = &ret };

	block_submit(bs, &req);
	block_drain(bs);
	return ret;
}

static bool sector_is(struct block *bs, uint64_t n, uint8_t byte)
{
	uint8_t buf[SECTOR];
	size_t i;

	if (rw(bs, BLOCK_OP_READ, n * SECTOR, buf, SECTOR))
		return false;
	for (i = 0; i < SECTOR; i++)
		if (buf[i] != byte)
			return false;
	return true;
}

/* --- a probed raw disk ---------------------------------------------------- */

/* A guest cannot make a probed raw disk look like qcow2; format=raw can. */
TEST(probed_raw_keeps_block_0)
{
	uint8_t head[SECTOR] = "QFI\xfb";
	struct block *bs;

	CHECK_EQ(check_shell("head -c 64k /dev/zero > %s && cp %s %s",
			     in_dir("r.img"), in_dir("r.img"),
			     in_dir("r.orig")), 0);
	check_capture_begin();
	bs = open_drive("r.img", NULL, NULL);
	check_capture_end(err, sizeof(err));
	CHECK(bs && strstr(err, "probing guessed raw"));
	if (!bs)
		return;
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 0, head, SECTOR), -EPERM);
	block_close(bs);
	CHECK_EQ(check_shell("cmp -s %s %s", in_dir("r.img"), in_dir("r.orig")),
		 0);
	bs = open_drive("r.img", "raw", NULL);
	CHECK(bs && !rw(bs, BLOCK_OP_WRITE, 0, head, SECTOR));
	block_close(bs);
	CHECK(check_shell("cmp -s %s %s", in_dir("r.img"), in_dir("r.orig")));
}

/* --- backing files ----------------------------------------------------- */

/* base <- mid <- top in one directory, top opened as format=qcow2. */
TEST(chain_of_three_opens)
{
	struct block *bs;

	make_chain();
	bs = open_drive("top.qcow2", "qcow2", NULL);
	CHECK(bs);
	if (!bs) {
		printf("  %s\n", err);
		return;
	}
	CHECK(sector_is(bs, 0, 1));
	CHECK(sector_is(bs, 63, 64));
	block_close(bs);
}

TEST(probed_qcow2_backing_refused)
{
	make_chain();
	REFUSED(NULL, NULL, "mid.qcow2', the backing file of", "top.qcow2'",
		"was probed");
	/* Without backing_fmt, mid is probed too, so its chain stops. */
	forget_backing_format("top.qcow2");
	REFUSED("qcow2", NULL, "base.raw', the backing file of", "mid.qcow2'",
		"was probed");
}

TEST(backing_device_node_refused)
{
	make_chain();
	set_backing("top.qcow2", "/dev/zero", "raw");
	REFUSED("qcow2", NULL, "'/dev/zero'", "top.qcow2'", "under /dev");
	/* A link to a device, in an allowed directory: the node is judged. */
	CHECK_EQ(check_shell("ln -sf /dev/zero %s", in_dir("zero.raw")), 0);
	set_backing("top.qcow2", "zero.raw", "raw");
	REFUSED("qcow2", NULL, "zero.raw'", "under /dev");
	/* Deeper in the chain: mid's backing file is refused. */
	set_backing("top.qcow2", "mid.qcow2", "qcow2");
	set_backing("mid.qcow2", "/dev/zero", "raw");
	REFUSED("qcow2", NULL, "'/dev/zero'", "mid.qcow2'", "under /dev");
}

TEST(backing_through_proc_refused)
{
	char name[300];

	make_chain();
	set_backing("top.qcow2", "/proc/self/environ", "raw");
	REFUSED("qcow2", NULL, "'/proc/self/environ'", "under /proc");
	/* /proc/self/root leads back to base.raw, but goes through /proc. */
	snprintf(name, sizeof(name), "/proc/self/root%s", in_dir("base.raw"));
	set_backing("top.qcow2", name, "raw");
	REFUSED("qcow2", NULL, name, "under /proc");
	set_backing("top.qcow2", "/sys/kernel/notes", "raw");
	REFUSED("qcow2", NULL, "'/sys/kernel/notes'", "under /sys");
}

TEST(backing_outside_dirs_refused)
{
	char name[300];

	make_chain();
	CHECK_EQ(check_shell("cp %s %s/", in_dir("base.raw"), other), 0);
	snprintf(name, sizeof(name), "%s/base.raw", other);
	set_backing("mid.qcow2", name, "raw");
	REFUSED("qcow2", NULL, name, "mid.qcow2'",
		"outside the allowed directories", dir);
	snprintf(name, sizeof(name), "../%s/base.raw", strrchr(other, '/') + 1);
	set_backing("mid.qcow2", name, "raw");
	REFUSED("qcow2", NULL, name, "outside the allowed directories");
	/* The user may allow the directory. */
	block_close(open_drive("top.qcow2", "qcow2", other));
	CHECK_STR(err, "(opened)");
	REFUSED("qcow2", "/nonexistent", "backing-dirs: '/nonexistent'");
}

TEST(symlink_escape_refused)
{
	char name[300];

	make_chain();
	snprintf(name, sizeof(name), "%s/base.raw", other);
	CHECK_EQ(check_shell("cp %s %s && ln -sf %s %s && ln -sfn %s %s",
			     in_dir("base.raw"), name, name,
			     in_dir("link.raw"), other, in_dir("sub")), 0);
	set_backing("mid.qcow2", "link.raw", "raw");
	REFUSED("qcow2", NULL, "/link.raw'", "outside the allowed directories");
	set_backing("mid.qcow2", "sub/base.raw", "raw");
	REFUSED("qcow2", NULL, "/sub/base.raw'",
		"outside the allowed directories");
}

/* kvmlite-img, as qemu-img, follows any backing file. */
TEST(admin_tool_follows_anything)
{
	struct image_open_opts o = { .filename = in_dir("top.qcow2") };
	struct image *img;
	char name[300];

	make_chain();
	CHECK_EQ(check_shell("cp %s %s/", in_dir("base.raw"), other), 0);
	snprintf(name, sizeof(name), "%s/base.raw", other);
	set_backing("mid.qcow2", name, "raw");
	img = image_open(&o, err, sizeof(err));
	CHECK(img);
	image_close(img);
}

/* --- -snapshot ----------------------------------------------------------- */

static int entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static struct block *open_snapshot(const char *image, const char *format,
				   bool read_only)
{
	struct block_options o = {
		.filename = in_dir(image),
		.format = format,
		.aio = BLOCK_AIO_THREADS,
		.snapshot = true,
		.read_only = read_only,
	};
	struct block *bs = block_open(&o, err, sizeof(err));

	if (bs && block_lock(bs, err, sizeof(err))) {
		block_close(bs);
		return NULL;
	}
	if (!bs)
		printf("  %s\n", err);
	return bs;
}

/* Another user of @image, locked as a reader or a writer. */
static bool others_may_open(const char *image, bool read_only)
{
	struct block_options o = { .filename = in_dir(image), .format = "raw",
				   .read_only = read_only };
	char why[1024];
	struct block *bs = block_open(&o, why, sizeof(why));
	bool ok = bs && !block_lock(bs, why, sizeof(why));

	block_close(bs);
	return ok;
}

static void snapshot_case(const char *image, const char *format)
{
	uint8_t buf[4 * SECTOR];
	struct block *bs;

	CHECK_EQ(check_shell("cp %s %s.orig", in_dir(image), in_dir(image)),
		 0);
	bs = open_snapshot(image, format, false);
	CHECK(bs);
	if (!bs)
		return;
	CHECK_EQ(entries(tmpdir), 0);
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 0, buf, sizeof(buf)), 0);
	CHECK(sector_is(bs, 3, 0xa5));
	CHECK(sector_is(bs, 4, 5));
	CHECK(others_may_open(image, true));
	CHECK(!others_may_open(image, false));
	block_close(bs);
	CHECK_EQ(check_shell("cmp -s %s %s.orig", in_dir(image),
			     in_dir(image)), 0);
	CHECK_EQ(entries(tmpdir), 0);
}

TEST(snapshot_keeps_raw_image)
{
	make_chain();
	snapshot_case("base.raw", "raw");
	/* Probed: the overlay may write block 0, the image stays raw. */
	snapshot_case("base.raw", NULL);
}

TEST(snapshot_keeps_qcow2_chain)
{
	make_chain();
	snapshot_case("top.qcow2", "qcow2");
}

/* Under the overlay, a probed image's backing file is still refused. */
TEST(snapshot_keeps_the_policy)
{
	make_chain();
	CHECK(!open_snapshot("top.qcow2", NULL, false));
	CHECK(strstr(err, "was probed"));
	set_backing("top.qcow2", "/dev/zero", "raw");
	CHECK(!open_snapshot("top.qcow2", "qcow2", false));
	CHECK(strstr(err, "under /dev"));
	CHECK_EQ(entries(tmpdir), 0);
}

/* readonly=on with -snapshot: QEMU's overlay is read-only too. */
TEST(snapshot_read_only)
{
	uint8_t buf[SECTOR] = { 0 };
	struct block *bs;

	make_chain();
	bs = open_snapshot("base.raw", "raw", true);
	CHECK(bs && block_read_only(bs));
	if (!bs)
		return;
	CHECK_EQ(rw(bs, BLOCK_OP_WRITE, 0, buf, SECTOR), -EROFS);
	CHECK(sector_is(bs, 0, 1));
	block_close(bs);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "/tmp/kvmlite-policy-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(other, sizeof(other), "%s-other", dir);
	snprintf(tmpdir, sizeof(tmpdir), "%s-tmp", dir);
	if (mkdir(other, 0700) || mkdir(tmpdir, 0700) ||
	    setenv("TMPDIR", tmpdir, 1))
		return 1;
	img_tool = getenv("KVMLITE_IMG") ?: "./kvmlite-img";
	if (access(img_tool, X_OK)) {
		printf("kvmlite-img not built: cases skipped\n");
		return 0;
	}
	RUN(probed_raw_keeps_block_0);
	RUN(chain_of_three_opens);
	RUN(probed_qcow2_backing_refused);
	RUN(backing_device_node_refused);
	RUN(backing_through_proc_refused);
	RUN(backing_outside_dirs_refused);
	RUN(symlink_escape_refused);
	RUN(admin_tool_follows_anything);
	RUN(snapshot_keeps_raw_image);
	RUN(snapshot_keeps_qcow2_chain);
	RUN(snapshot_keeps_the_policy);
	RUN(snapshot_read_only);
	check_shell("rm -rf %s %s %s", dir, other, tmpdir);
	return check_summary();
}
