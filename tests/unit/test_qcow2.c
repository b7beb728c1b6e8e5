// SPDX-License-Identifier: MIT
/*
 * kvmlite-img against qemu-img, and hostile images: what kvmlite-img
 * makes (create with each option, convert, convert -c, snapshot, resize,
 * commit, rebase) passes qemu-img check and compare; on damaged images
 * kvmlite-img check reaches qemu-img check's verdict; images with bad
 * headers or tables, or features kvmlite lacks, are refused at open with
 * one line, or fail the request, never crash.  Skipped without qemu-img.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "check.h"
#include "kvmlite/block.h"
#include "kvmlite/image.h"
#include "kvmlite/qcow2.h"

static char dir[128];
static bool have_qemu;

/* The binary under test: ./kvmlite-img, or the sanitized one (run.sh). */
#define IMG	"\"${KVMLITE_IMG:-./kvmlite-img}\""

/* qemu-img's verdict on @file: check clean and contents equal @raw. */
static void qemu_accepts(const char *file, const char *raw)
{
	CHECK_EQ(check_shell("qemu-img check -q %s/%s", dir, file), 0);
	if (raw)
		CHECK_EQ(check_shell("qemu-img compare -q %s/%s %s/%s", dir, file, dir,
			    raw), 0);
}

static void make_source(void)
{
	check_shell("rm -rf %s/*", dir);
	CHECK_EQ(check_shell("head -c 3M /dev/urandom > %s/src.raw && "
		    "head -c 2M /dev/zero >> %s/src.raw && "
		    "head -c 3M /dev/urandom | base64 | head -c 3M >> %s/src.raw && "
		    "truncate -s 24M %s/src.raw", dir, dir, dir, dir), 0);
}

TEST(create_options)
{
	static const char *const opts[] = {
		"", "-o cluster_size=512", "-o cluster_size=2M",
		"-o compat=0.10", "-o lazy_refcounts=on",
		"-o refcount_bits=1", "-o refcount_bits=64",
		"-o preallocation=metadata", "-o preallocation=falloc",
		"-o preallocation=full",
	};
	unsigned int i;

	if (!have_qemu)
		return;
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		check_shell("rm -f %s/c.qcow2", dir);
		CHECK_EQ(check_shell(IMG " create -q -f qcow2 %s %s/c.qcow2 16M", opts[i],
			    dir), 0);
		CHECK_EQ(check_shell("qemu-img check -q %s/c.qcow2", dir), 0);
		CHECK_EQ(check_shell("qemu-io -c 'write -q -P 7 1M 3M' %s/c.qcow2", dir),
			 0);
		CHECK_EQ(check_shell("qemu-img check -q %s/c.qcow2", dir), 0);
	}
}

TEST(convert_both_ways)
{
	if (!have_qemu)
		return;
	make_source();
	CHECK_EQ(check_shell(IMG " convert -O qcow2 %s/src.raw %s/a.qcow2", dir, dir), 0);
	qemu_accepts("a.qcow2", "src.raw");
	CHECK_EQ(check_shell(IMG " convert -c -O qcow2 %s/src.raw %s/c.qcow2", dir, dir),
		 0);
	qemu_accepts("c.qcow2", "src.raw");
	CHECK_EQ(check_shell("qemu-img convert -O raw %s/c.qcow2 %s/q.raw && "
		    "cmp -s %s/q.raw %s/src.raw", dir, dir, dir, dir), 0);
	CHECK_EQ(check_shell(IMG " convert -O raw %s/c.qcow2 %s/k.raw && "
		    "cmp -s %s/k.raw %s/src.raw", dir, dir, dir, dir), 0);
	CHECK_EQ(check_shell(IMG " compare -q %s/c.qcow2 %s/src.raw", dir, dir), 0);
	CHECK_EQ(check_shell("qemu-io -c 'write -q -P 1 0 512' %s/c.qcow2", dir), 0);
	CHECK_EQ(check_shell(IMG " compare -q %s/c.qcow2 %s/src.raw", dir, dir), 1);
}

/*
 * Outputs written with O_DIRECT and without: a size that is not whole
 * blocks (which qemu-img rounds up to a sector, zero-padded), a partial
 * last cluster, clusters smaller than a block.
 */
TEST(convert_odd_sizes)
{
	if (!have_qemu)
		return;
	make_source();
	CHECK_EQ(check_shell("head -c 1000 /dev/urandom >> %s/src.raw && "
		    "qemu-img convert -O raw %s/src.raw %s/q.raw", dir, dir, dir), 0);
	CHECK_EQ(check_shell(IMG " convert -O raw %s/src.raw %s/k.raw && "
		    "cmp -s %s/k.raw %s/q.raw", dir, dir, dir, dir), 0);
	CHECK_EQ(check_shell(IMG " convert -O qcow2 %s/src.raw %s/a.qcow2", dir, dir), 0);
	qemu_accepts("a.qcow2", "q.raw");
	CHECK_EQ(check_shell(IMG " convert -O qcow2 -o cluster_size=512 %s/src.raw "
		    "%s/s.qcow2", dir, dir), 0);
	qemu_accepts("s.qcow2", "q.raw");
	CHECK_EQ(check_shell(IMG " convert -O raw %s/a.qcow2 %s/a.raw && "
		    "cmp -s %s/a.raw %s/q.raw", dir, dir, dir, dir), 0);
}

TEST(snapshots_and_resize)
{
	if (!have_qemu)
		return;
	make_source();
	CHECK_EQ(check_shell(IMG " convert -O qcow2 %s/src.raw %s/a.qcow2 && "
		    IMG " snapshot -c one %s/a.qcow2", dir, dir, dir), 0);
	qemu_accepts("a.qcow2", "src.raw");
	CHECK_EQ(check_shell("qemu-io -c 'write -q -P 9 0 5M' %s/a.qcow2 && "
		    "qemu-img snapshot -l %s/a.qcow2 | grep -q ' one '",
		    dir, dir), 0);
	CHECK_EQ(check_shell(IMG " snapshot -a one %s/a.qcow2", dir), 0);
	qemu_accepts("a.qcow2", "src.raw");
	CHECK_EQ(check_shell(IMG " snapshot -d one %s/a.qcow2", dir), 0);
	qemu_accepts("a.qcow2", "src.raw");
	CHECK_EQ(check_shell(IMG " resize -q %s/a.qcow2 +1G >/dev/null && "
		    "truncate -s 1048M %s/big.raw && cp %s/src.raw %s/big.raw && "
		    "truncate -s 1048M %s/big.raw", dir, dir, dir, dir, dir), 0);
	qemu_accepts("a.qcow2", "big.raw");
	CHECK_EQ(check_shell(IMG " resize %s/a.qcow2 24M 2>/dev/null", dir), 1);
	CHECK_EQ(check_shell(IMG " resize --shrink %s/a.qcow2 24M >/dev/null", dir), 0);
	qemu_accepts("a.qcow2", "src.raw");
}

TEST(commit_and_rebase)
{
	if (!have_qemu)
		return;
	make_source();
	CHECK_EQ(check_shell("qemu-img convert -O qcow2 %s/src.raw %s/base.qcow2 && "
		    IMG " create -q -f qcow2 -b base.qcow2 -F qcow2 %s/top.qcow2 && "
		    "qemu-io -c 'write -q -P 3 1M 2M' -c 'write -q -z 8M 1M' "
		    "%s/top.qcow2 && qemu-img convert -O raw %s/top.qcow2 %s/want.raw && "
		    "cp %s/top.qcow2 %s/top2.qcow2 && "
		    "qemu-img create -q -f qcow2 %s/other.qcow2 24M",
		    dir, dir, dir, dir, dir, dir, dir, dir, dir), 0);
	CHECK_EQ(check_shell(IMG " rebase -b other.qcow2 -F qcow2 %s/top2.qcow2", dir),
		 0);
	qemu_accepts("top2.qcow2", "want.raw");
	CHECK_EQ(check_shell(IMG " commit %s/top.qcow2 >/dev/null", dir), 0);
	qemu_accepts("base.qcow2", "want.raw");
	qemu_accepts("top.qcow2", "want.raw");
}

/* kvmlite-img check's exit status and counts are qemu-img check's. */
static void same_verdict(const char *damage)
{
	int q, k;

	check_shell("rm -rf %s/*", dir);
	CHECK_EQ(check_shell("qemu-img create -q -f qcow2 %s/d.qcow2 64M && "
		    "qemu-io -c 'write -q -P 1 0 128k' %s/d.qcow2 && "
		    "python3 tests/qcow2/damage.py %s/d.qcow2 %s",
		    dir, dir, dir, damage), 0);
	q = check_shell("qemu-img check --output=json %s/d.qcow2 >%s/q.json 2>/dev/null",
	       dir, dir);
	k = check_shell(IMG " check --output=json %s/d.qcow2 >%s/k.json 2>/dev/null",
	       dir, dir);
	CHECK_EQ(k, q);
	CHECK_EQ(check_shell("python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); "
		    "del a[\"filename\"], b[\"filename\"]; sys.exit(a != b)' "
		    "%s/q.json %s/k.json", dir, dir), 0);
	k = check_shell(IMG " check -r all %s/d.qcow2 >/dev/null 2>&1", dir);
	q = check_shell("qemu-img check -q %s/d.qcow2 2>/dev/null", dir);
	CHECK_EQ(k, q);
}

TEST(check_agrees_with_qemu)
{
	if (!have_qemu)
		return;
	same_verdict("leak");
	same_verdict("refcount0");
	same_verdict("refcount2");
	same_verdict("past_eof");
}

/* Opening must fail with @want, or reading must fail, never crash. */
static void refused(const char *damage, const char *want)
{
	struct image_open_opts o = { .format = "qcow2" };
	char path[192], err[1024] = "";
	struct image *img;
	uint8_t buf[65536];

	check_shell("rm -rf %s/*", dir);
	CHECK_EQ(check_shell("qemu-img create -q -f qcow2 %s/h.qcow2 64M && "
		    "qemu-io -c 'write -q -P 1 0 128k' %s/h.qcow2 && "
		    "python3 tests/qcow2/damage.py %s/h.qcow2 %s",
		    dir, dir, dir, damage), 0);
	snprintf(path, sizeof(path), "%s/h.qcow2", dir);
	o.filename = path;
	img = image_open(&o, err, sizeof(err));
	if (img) {
		CHECK(!want);
		CHECK(image_read(img, 0, buf, sizeof(buf)) < 0);
		image_close(img);
		return;
	}
	CHECK(want && strstr(err, want));
	CHECK(!strchr(err, '\n'));
	if (want && !strstr(err, want))
		printf("  %s: %s\n", damage, err);
}

TEST(hostile_images)
{
	if (!have_qemu)
		return;
	refused("hostile-l1", "L1 table lies outside");
	refused("hostile-l1-size", "L1 table too large");
	refused("hostile-refcount-order", "entry width");
	refused("hostile-cluster-bits", "cluster size");
	refused("hostile-ext", "header extension");
	refused("hostile-l2", NULL);
	refused("feature-extl2", "extended L2 entries");
	refused("feature-unknown", "Unknown incompatible feature: 20");
	refused("feature-zstd", "zstd");
	refused("feature-aes", "AES");
}

/* A dirty image's refcounts are rebuilt when it is opened to write. */
TEST(dirty_image_repaired)
{
	struct image_open_opts o = { .format = "qcow2", .flags = IMAGE_RW };
	char path[192], err[1024];
	struct image *img;

	if (!have_qemu)
		return;
	check_shell("rm -rf %s/*", dir);
	CHECK_EQ(check_shell("qemu-img create -q -f qcow2 %s/h.qcow2 64M && "
		    "qemu-io -c 'write -q -P 1 0 128k' %s/h.qcow2 && "
		    "python3 tests/qcow2/damage.py %s/h.qcow2 dirty", dir, dir,
		    dir), 0);
	snprintf(path, sizeof(path), "%s/h.qcow2", dir);
	o.filename = path;
	img = image_open(&o, err, sizeof(err));
	CHECK(img);
	CHECK_EQ(image_close(img), 0);
	CHECK_EQ(check_shell("qemu-img check -q %s", path), 0);
	CHECK_EQ(check_shell("qemu-img info %s | grep -q 'corrupt: false'", path), 0);
}

static void write_done(struct block_request *req, int ret)
{
	*(int *)req->opaque = ret;
}

/* -snapshot: the guest writes, the image does not change. */
TEST(snapshot_overlay)
{
	char path[192], err[1024];
	struct block_options o = { .filename = path, .format = "raw",
				   .snapshot = true };
	uint8_t buf[4096];
	struct iovec iov = { buf, sizeof(buf) };
	struct block_request req = { .op = BLOCK_OP_WRITE, .iov = &iov,
				     .iovcnt = 1, .done = write_done };
	struct block *bs;
	int ret = 1;

	if (!have_qemu)
		return;
	snprintf(path, sizeof(path), "%s/s.raw", dir);
	CHECK_EQ(check_shell("head -c 1M /dev/urandom > %s && cp %s %s.orig", path,
		    path, path), 0);
	bs = block_open(&o, err, sizeof(err));
	CHECK(bs);
	if (!bs)
		return;
	CHECK(!strcmp(block_format(bs), "qcow2"));
	memset(buf, 0xee, sizeof(buf));
	req.opaque = &ret;
	block_submit(bs, &req);
	block_drain(bs);
	CHECK_EQ(ret, 0);
	block_close(bs);
	CHECK_EQ(check_shell("cmp -s %s %s.orig", path, path), 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "/tmp/kvmlite-img-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	have_qemu = !system("command -v qemu-img >/dev/null && "
			    "command -v qemu-io >/dev/null && "
			    "command -v python3 >/dev/null && "
			    "test -x " IMG);
	if (!have_qemu)
		printf("qemu-img, qemu-io, python3 or kvmlite-img missing: cases skipped\n");
	RUN(create_options);
	RUN(convert_both_ways);
	RUN(convert_odd_sizes);
	RUN(snapshots_and_resize);
	RUN(commit_and_rebase);
	RUN(check_agrees_with_qemu);
	RUN(hostile_images);
	RUN(dirty_image_repaired);
	RUN(snapshot_overlay);
	check_shell("rm -rf %s", dir);
	return check_summary();
}
