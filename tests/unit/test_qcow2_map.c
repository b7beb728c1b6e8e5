// SPDX-License-Identifier: MIT
/*
 * qcow2's cache-only mapping, under the block driver's fast reads: with
 * the L2 table cached it maps like qcow2_map_locked (normal, zero,
 * unallocated and compressed clusters, runs that stop where the host
 * clusters stop following each other); without it, -EAGAIN and no I/O.
 * And qcow2_read_extent, which hands out only whole runs of allocated
 * clusters, and never waits for the lock; and the allocator's hint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "kvmlite/deflate.h"
#include "kvmlite/qcow2.h"
#include "../../src/block/qcow2_priv.h"

#define CLUSTER		4096u
#define DISK		(8u << 20)

static char path[] = "/tmp/kvmlite-qcow2-map-XXXXXX";

static struct qcow2 *open_image(void)
{
	struct qcow2_open_opts o = { .filename = path, .fd = -1 };
	struct qcow2 *q = NULL;
	char err[256];

	if (qcow2_open(&o, &q, err, sizeof(err)))
		printf("  %s\n", err);
	return q;
}

static void write_cluster(struct qcow2 *q, uint64_t index, uint8_t byte)
{
	static uint8_t buf[CLUSTER];
	struct iovec iov = { buf, sizeof(buf) };

	memset(buf, byte, sizeof(buf));
	CHECK_EQ(qcow2_writev(q, index * CLUSTER, &iov, 1), 0);
}

/*
 * Clusters 0-2 in a row on the host (cluster 9, written first, brought
 * the L2 table), 3 after 5 and so out of order, 4 unallocated, 6 zero, 7
 * compressed; cluster 1000 lies under a second L2 table (512 entries
 * each).
 */
static struct qcow2 *make_image(void)
{
	struct qcow2_create_opts c = { .size = DISK, .cluster_size = CLUSTER,
				       .version = 3 };
	struct deflate_ctx *ctx = deflate_new();
	static uint8_t text[CLUSTER];
	struct qcow2 *q;
	char err[256];
	int fd = mkstemp(path);

	CHECK(fd >= 0 && ctx);
	CHECK_EQ(qcow2_create(fd, &c, err, sizeof(err)), 0);
	close(fd);
	q = open_image();
	if (!q)
		return NULL;
	write_cluster(q, 9, 9);
	write_cluster(q, 0, 1);
	write_cluster(q, 1, 2);
	write_cluster(q, 2, 3);
	write_cluster(q, 5, 4);
	write_cluster(q, 3, 5);
	write_cluster(q, 6, 6);
	CHECK_EQ(qcow2_write_zeroes(q, 6 * CLUSTER, CLUSTER, false), 0);
	CHECK(ctx && qcow2_write_compressed(q, ctx, 7 * CLUSTER, text) == 0);
	write_cluster(q, 1000, 7);
	deflate_free(ctx);
	return q;
}

static int map_cached(struct qcow2 *q, uint64_t guest, uint64_t len,
		      struct qcow2_map *m)
{
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = qcow2_map_cached(q, guest, len, m);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

static void check_kind(struct qcow2 *q, uint64_t guest, uint64_t len,
		       enum qcow2_kind kind, uint64_t bytes)
{
	struct qcow2_map m;

	CHECK_EQ(map_cached(q, guest, len, &m), 0);
	CHECK_EQ(m.kind, kind);
	CHECK_EQ(m.bytes, bytes);
}

TEST(cached_kinds_and_runs)
{
	struct qcow2 *q = make_image();
	struct qcow2_map m, locked;

	if (!q)
		return;
	/* 0-2 follow each other; 3 was allocated after 5. */
	CHECK_EQ(map_cached(q, 512, 8 * CLUSTER, &m), 0);
	CHECK_EQ(m.kind, QCOW2_NORMAL);
	CHECK_EQ(m.bytes, 3 * CLUSTER - 512);
	pthread_mutex_lock(&q->lock);
	CHECK_EQ(qcow2_map_locked(q, 512, 8 * CLUSTER, &locked), 0);
	pthread_mutex_unlock(&q->lock);
	CHECK_EQ(m.host, locked.host);
	CHECK_EQ(m.entry, locked.entry);
	check_kind(q, 3 * CLUSTER, 3 * CLUSTER, QCOW2_NORMAL, CLUSTER);
	check_kind(q, 4 * CLUSTER, CLUSTER, QCOW2_UNALLOCATED, CLUSTER);
	check_kind(q, 6 * CLUSTER, 2 * CLUSTER, QCOW2_ZERO, CLUSTER);
	check_kind(q, 7 * CLUSTER + 100, 50, QCOW2_COMPRESSED, 50);
	/* No L2 table at all needs no I/O either. */
	check_kind(q, DISK - CLUSTER, CLUSTER, QCOW2_UNALLOCATED, CLUSTER);
	qcow2_close(q);
}

TEST(miss_is_eagain_until_loaded)
{
	struct qcow2 *q = open_image();
	struct qcow2_map m;
	uint8_t buf[512];
	struct iovec iov = { buf, sizeof(buf) };

	if (!q)
		return;
	CHECK_EQ(map_cached(q, 0, CLUSTER, &m), -EAGAIN);
	CHECK_EQ(map_cached(q, 1000 * CLUSTER, CLUSTER, &m), -EAGAIN);
	CHECK_EQ(qcow2_readv(q, 0, &iov, 1), 0);
	CHECK_EQ(buf[0], 1);
	CHECK_EQ(map_cached(q, 0, CLUSTER, &m), 0);
	CHECK_EQ(m.kind, QCOW2_NORMAL);
	/* The other table is still not cached. */
	CHECK_EQ(map_cached(q, 1000 * CLUSTER, CLUSTER, &m), -EAGAIN);
	qcow2_close(q);
}

TEST(read_extent)
{
	struct qcow2 *q = open_image();
	struct qcow2_map m;
	uint64_t host = 0;

	if (!q)
		return;
	CHECK_EQ(qcow2_read_extent(q, 0, CLUSTER, &host), -EAGAIN);
	pthread_mutex_lock(&q->lock);
	CHECK_EQ(qcow2_map_locked(q, 0, CLUSTER, &m), 0);
	pthread_mutex_unlock(&q->lock);
	CHECK_EQ(qcow2_read_extent(q, 1024, 3 * CLUSTER - 1024, &host), 0);
	CHECK_EQ(host, m.host + 1024);
	/* Past the run, or into anything but allocated clusters. */
	CHECK_EQ(qcow2_read_extent(q, 0, 4 * CLUSTER, &host), -EAGAIN);
	CHECK_EQ(qcow2_read_extent(q, 4 * CLUSTER, CLUSTER, &host), -EAGAIN);
	CHECK_EQ(qcow2_read_extent(q, 6 * CLUSTER, CLUSTER, &host), -EAGAIN);
	CHECK_EQ(qcow2_read_extent(q, 7 * CLUSTER, CLUSTER, &host), -EAGAIN);
	/* A worker holding the lock is not waited for. */
	pthread_mutex_lock(&q->lock);
	CHECK_EQ(qcow2_read_extent(q, 0, CLUSTER, &host), -EAGAIN);
	pthread_mutex_unlock(&q->lock);
	qcow2_close(q);
}

/* Host clusters past the end of the file are never handed out. */
TEST(extent_outside_file_refused)
{
	struct qcow2 *q = open_image();
	uint64_t *table, host = 0, end;

	if (!q)
		return;
	end = qcow2_file_size(q) & ~(uint64_t)(CLUSTER - 1);
	pthread_mutex_lock(&q->lock);
	CHECK_EQ(qcow2_l2_writable(q, 0, &table), 0);
	table[10] = htobe64((end - CLUSTER) | QCOW_OFLAG_COPIED);
	table[11] = htobe64(end | QCOW_OFLAG_COPIED);
	qcow2_cache_put(&q->l2_cache, table);
	pthread_mutex_unlock(&q->lock);
	CHECK_EQ(qcow2_read_extent(q, 10 * CLUSTER, CLUSTER, &host), 0);
	CHECK_EQ(host, end - CLUSTER);
	CHECK_EQ(qcow2_read_extent(q, 10 * CLUSTER, 2 * CLUSTER, &host),
		 -EAGAIN);
	CHECK_EQ(qcow2_read_extent(q, 11 * CLUSTER, CLUSTER, &host), -EIO);
	/* Closed without writing the damage back. */
	qcow2_cache_forget(&q->l2_cache, be64toh(q->l1[0]) & L1E_OFFSET_MASK);
	qcow2_close(q);
}

/*
 * Allocations search from where the last one ended, not from the start of
 * the image (which made writes into new clusters quadratic).
 */
TEST(allocation_hint_advances)
{
	struct qcow2 *q = open_image();
	uint64_t got = 0;
	int64_t first, second;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	first = qcow2_alloc_clusters(q, 4, &got);
	CHECK(first > 0);
	CHECK_EQ(got, 4);
	CHECK_EQ(q->free_hint, (first >> q->cluster_bits) + 4);
	second = qcow2_alloc_clusters(q, 1, NULL);
	CHECK_EQ(second, first + 4 * CLUSTER);
	CHECK_EQ(qcow2_rc_update(q, first, 5 * CLUSTER, -1), 0);
	CHECK_EQ(q->free_hint, first >> q->cluster_bits);
	pthread_mutex_unlock(&q->lock);
	qcow2_close(q);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(cached_kinds_and_runs);
	RUN(miss_is_eagain_until_loaded);
	RUN(read_extent);
	RUN(extent_outside_file_refused);
	RUN(allocation_hint_advances);
	unlink(path);
	return check_summary();
}
