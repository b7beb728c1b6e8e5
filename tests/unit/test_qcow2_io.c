// SPDX-License-Identifier: MIT
/*
 * qcow2 interoperability with QEMU: images made by qemu-img in every
 * layout that matters are read and written by kvmlite's block layer with
 * random I/O checked against a raw shadow copy, then judged by qemu-img
 * check (no errors, no leaks) and qemu-img compare (same contents as the
 * shadow).  And a crash test: the writer is killed with SIGKILL at random
 * moments; qemu-img check must find no corruption and every flushed
 * write must be there.  Cases are skipped when qemu-img is missing.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "blkrand.h"

static char dir[128];
static bool have_qemu;

static void prepare(const char *create_opts, const char *size)
{
	check_shell("rm -f %s/*", dir);
	CHECK_EQ(check_shell("qemu-img create -q -f qcow2 %s %s/a.qcow2 %s",
		    create_opts, dir, size), 0);
	CHECK_EQ(check_shell("qemu-io -f qcow2 -c 'write -q -P 0x5a 0 300k' "
		    "-c 'write -q -P 0xa5 1M 64k' -c 'write -q -z 2M 128k' "
		    "%s/a.qcow2 >/dev/null", dir), 0);
}

/*
 * Random I/O on a.qcow2 against a shadow converted from it, then QEMU's
 * verdict; with @aio and cache=none if @direct.
 */
static void exercise_with(unsigned int ops, unsigned int max_len,
			  enum block_aio aio, bool direct)
{
	char img[192], shadow[192];
	struct blkrand_opts o = {
		.image = img, .shadow = shadow, .format = "qcow2",
		.ops = ops, .seed = 7, .max_len = max_len,
		.queue_depth = 8, .discard = true, .aio = aio,
		.direct = direct,
	};

	snprintf(img, sizeof(img), "%s/a.qcow2", dir);
	snprintf(shadow, sizeof(shadow), "%s/a.raw", dir);
	CHECK_EQ(check_shell("qemu-img convert -O raw %s %s", img, shadow), 0);
	CHECK_EQ(blkrand_verify(img, "qcow2", shadow, false), 0);
	CHECK_EQ(blkrand_run(&o), 0);
	CHECK_EQ(check_shell("qemu-img check -q %s", img), 0);
	CHECK_EQ(check_shell("qemu-img compare -q -f qcow2 -F raw %s %s", img, shadow),
		 0);
}

static void exercise(unsigned int ops, unsigned int max_len)
{
	exercise_with(ops, max_len, BLOCK_AIO_AUTO, false);
}

#define INTEROP(name, opts, size, ops, max_len)				\
	TEST(name)							\
	{								\
		if (!have_qemu)						\
			return;						\
		prepare(opts, size);					\
		exercise(ops, max_len);					\
	}

INTEROP(cluster_512, "-o cluster_size=512", "8M", 1500, 64 * 1024)
INTEROP(cluster_4k, "-o cluster_size=4k", "32M", 1500, 256 * 1024)
INTEROP(cluster_64k, "", "64M", 1500, 512 * 1024)
INTEROP(cluster_2m, "-o cluster_size=2M", "64M", 600, 1024 * 1024)
INTEROP(compat_v2, "-o compat=0.10", "32M", 1500, 256 * 1024)
INTEROP(lazy_refcounts, "-o lazy_refcounts=on", "32M", 1500, 256 * 1024)
INTEROP(refcount_bits_1, "-o refcount_bits=1", "32M", 1500, 256 * 1024)
INTEROP(refcount_bits_64, "-o refcount_bits=64", "32M", 1500, 256 * 1024)
/* 512-byte clusters need a new refcount block every 2 MiB. */
INTEROP(refcount_growth, "-o cluster_size=512,refcount_bits=64", "64M",
	800, 1024 * 1024)

TEST(backing_chain_3_deep)
{
	if (!have_qemu)
		return;
	check_shell("rm -f %s/*", dir);
	CHECK_EQ(check_shell("qemu-img create -q -f raw %s/base.raw 32M && "
		    "qemu-io -f raw -c 'write -q -P 0x11 0 32M' %s/base.raw && "
		    "qemu-img create -q -f qcow2 -b base.raw -F raw %s/mid.qcow2 && "
		    "qemu-io -c 'write -q -P 0x22 4M 5M' %s/mid.qcow2 && "
		    "qemu-img create -q -f qcow2 -o cluster_size=4k -b mid.qcow2 "
		    "-F qcow2 %s/top.qcow2 && "
		    "qemu-io -c 'write -q -P 0x33 8M 1M' %s/top.qcow2 && "
		    "qemu-img create -q -f qcow2 -b top.qcow2 -F qcow2 %s/a.qcow2 && "
		    "cp %s/mid.qcow2 %s/mid.orig",
		    dir, dir, dir, dir, dir, dir, dir, dir, dir), 0);
	exercise(1500, 256 * 1024);
	CHECK_EQ(check_shell("cmp -s %s/mid.qcow2 %s/mid.orig", dir, dir), 0);
}

TEST(compressed)
{
	if (!have_qemu)
		return;
	check_shell("rm -f %s/*", dir);
	CHECK_EQ(check_shell("head -c 16M /dev/urandom | base64 > %s/src.raw && "
		    "truncate -s 32M %s/src.raw && "
		    "qemu-img convert -c -O qcow2 %s/src.raw %s/a.qcow2",
		    dir, dir, dir, dir), 0);
	exercise(1500, 256 * 1024);
}

TEST(internal_snapshots)
{
	if (!have_qemu)
		return;
	prepare("", "32M");
	CHECK_EQ(check_shell("qemu-img snapshot -c s1 %s/a.qcow2 && "
		    "qemu-img convert -O raw %s/a.qcow2 %s/s1.raw && "
		    "qemu-io -c 'write -q -P 0x77 200k 1M' %s/a.qcow2 && "
		    "qemu-img snapshot -c s2 %s/a.qcow2",
		    dir, dir, dir, dir, dir), 0);
	exercise(1500, 256 * 1024);
	CHECK_EQ(check_shell("qemu-img convert -l s1 -O raw %s/a.qcow2 %s/s1.now && "
		    "cmp -s %s/s1.raw %s/s1.now", dir, dir, dir, dir), 0);
}

/*
 * Reads the driver sends straight to the file (allocated clusters in a
 * row, their L2 table cached), mixed with writes, zeroes and discards
 * that break the runs up, with each engine and cache mode.
 */
TEST(fast_reads)
{
	static const enum block_aio engines[] = { BLOCK_AIO_IO_URING,
						  BLOCK_AIO_THREADS };
	unsigned int i, direct;

	if (!have_qemu)
		return;
	for (i = 0; i < ARRAY_SIZE(engines); i++) {
		for (direct = 0; direct < 2; direct++) {
			check_shell("rm -f %s/*", dir);
			CHECK_EQ(check_shell("qemu-img create -q -f qcow2 "
				    "%s/a.qcow2 16M && qemu-io -f qcow2 -c "
				    "'write -q -P 0x5a 0 16M' %s/a.qcow2",
				    dir, dir), 0);
			exercise_with(1500, 256 * 1024, engines[i], direct);
		}
	}
}

static void crash_rounds(unsigned int rounds)
{
	char img[192], shadow[192];
	struct blkrand_opts o = {
		.image = img, .shadow = shadow, .format = "qcow2",
		.ops = 1000000, .max_len = 256 * 1024, .queue_depth = 8,
		.crash_mode = true,
	};
	unsigned int i;
	int st;

	snprintf(img, sizeof(img), "%s/a.qcow2", dir);
	snprintf(shadow, sizeof(shadow), "%s/a.raw", dir);
	CHECK_EQ(check_shell("qemu-img convert -O raw %s %s", img, shadow), 0);
	srand(time(NULL));
	for (i = 0; i < rounds && !check_case_failed; i++) {
		pid_t pid = fork();

		if (!pid) {
			o.seed = i + 1;
			_exit(blkrand_run(&o) ? 1 : 0);
		}
		usleep(50000 + rand() % 400000);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		CHECK(WIFSIGNALED(st));
		st = check_shell("qemu-img check -q %s", img);
		CHECK(st == 0 || st == 3);
		CHECK_EQ(blkrand_verify(img, "qcow2", shadow, true), 0);
		/* Leaks are allowed; repaired so they do not pile up. */
		check_shell("qemu-img check -q -r leaks %s >/dev/null 2>&1", img);
	}
}

TEST(crash_kill9)
{
	const char *env = getenv("QCOW2_CRASH_ROUNDS");

	if (!have_qemu)
		return;
	prepare("-o cluster_size=4k", "16M");
	crash_rounds(env ? atoi(env) : 8);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "/tmp/kvmlite-qcow2-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	have_qemu = !system("command -v qemu-img >/dev/null && "
			    "command -v qemu-io >/dev/null");
	if (!have_qemu)
		printf("qemu-img/qemu-io missing: qcow2 interop cases skipped\n");
	RUN(cluster_512);
	RUN(cluster_4k);
	RUN(cluster_64k);
	RUN(cluster_2m);
	RUN(compat_v2);
	RUN(lazy_refcounts);
	RUN(refcount_bits_1);
	RUN(refcount_bits_64);
	RUN(refcount_growth);
	RUN(backing_chain_3_deep);
	RUN(compressed);
	RUN(internal_snapshots);
	RUN(fast_reads);
	RUN(crash_kill9);
	check_shell("rm -rf %s", dir);
	return check_summary();
}
