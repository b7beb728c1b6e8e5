// SPDX-License-Identifier: MIT
/*
 * qcow2's host file I/O: whole transfers (short ones continued), reads
 * past the end of the file as zeroes, and O_DIRECT honoured for any
 * offset, length and buffer by going through an aligned bounce buffer
 * (read-modify-write for writes, serialised so that two of them never
 * interleave on one block).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmlite/iov.h"
#include "qcow2_priv.h"

#define BUF_ALIGN	4096
/*
 * New clusters go past the end of the file.  A write there must extend
 * the file, which ext4 does under the inode's exclusive lock, one
 * O_DIRECT write at a time; a write into space already allocated runs
 * beside the others.  So space is taken ahead, this much at a time (at
 * most the disk's size), and given back at close.
 */
#define RESERVE_AHEAD	(64ull << 20)

void *qcow2_alloc_buf(size_t len)
{
	void *buf;

	if (posix_memalign(&buf, BUF_ALIGN, len ? len : 1))
		return NULL;
	memset(buf, 0, len);
	return buf;
}

static bool io_aligned(const struct qcow2 *q, const struct iovec *iov,
		       unsigned int cnt, uint64_t off)
{
	unsigned int i;

	if (!q->direct)
		return true;
	if (off % q->align)
		return false;
	for (i = 0; i < cnt; i++)
		if ((uintptr_t)iov[i].iov_base % BUF_ALIGN ||
		    iov[i].iov_len % q->align)
			return false;
	return true;
}

static int io_loop(struct qcow2 *q, const struct iovec *iov, unsigned int cnt,
		   uint64_t off, bool write)
{
	return image_file_rw(q->fd, iov, cnt, off, write);
}

/* O_DIRECT with something unaligned: through a bounce buffer. */
static int io_bounced(struct qcow2 *q, const struct iovec *iov,
		      unsigned int cnt, uint64_t off, bool write)
{
	uint64_t len = iov_size(iov, cnt);
	uint64_t start = off / q->align * q->align;
	uint64_t end = (off + len + q->align - 1) / q->align * q->align;
	struct iovec b = { .iov_len = end - start };
	int ret;

	b.iov_base = qcow2_alloc_buf(b.iov_len);
	if (!b.iov_base)
		return -ENOMEM;
	if (write)
		pthread_mutex_lock(&q->rmw_lock);
	ret = io_loop(q, &b, 1, start, false);
	if (!ret && write) {
		iov_to_buf(iov, cnt, 0, (uint8_t *)b.iov_base + off - start,
			   len);
		ret = io_loop(q, &b, 1, start, true);
	} else if (!ret) {
		iov_from_buf(iov, cnt, 0, (uint8_t *)b.iov_base + off - start,
			     len);
	}
	if (write)
		pthread_mutex_unlock(&q->rmw_lock);
	free(b.iov_base);
	return ret;
}

static int io_run(struct qcow2 *q, const struct iovec *iov, unsigned int cnt,
		  uint64_t off, bool write)
{
	if (off >= QCOW2_MAX_HOST_OFFSET)
		return -EIO;
	if (io_aligned(q, iov, cnt, off))
		return io_loop(q, iov, cnt, off, write);
	return io_bounced(q, iov, cnt, off, write);
}

int qcow2_preadv(struct qcow2 *q, const struct iovec *iov, unsigned int cnt,
		 uint64_t off)
{
	return io_run(q, iov, cnt, off, false);
}

int qcow2_pwritev(struct qcow2 *q, const struct iovec *iov, unsigned int cnt,
		  uint64_t off)
{
	int ret = io_run(q, iov, cnt, off, true);

	if (!ret)
		qcow2_grow_file(q, off + iov_size(iov, cnt));
	return ret;
}

int qcow2_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return qcow2_preadv(q, &iov, 1, off);
}

int qcow2_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return qcow2_pwritev(q, &iov, 1, off);
}

int qcow2_sync(struct qcow2 *q)
{
	if (q->unsafe)
		return 0;
	while (fdatasync(q->fd)) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

void qcow2_grow_file(struct qcow2 *q, uint64_t end)
{
	uint64_t cur = __atomic_load_n(&q->file_size, __ATOMIC_RELAXED);

	while (end > cur &&
	       !__atomic_compare_exchange_n(&q->file_size, &cur, end, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

uint64_t qcow2_file_size(struct qcow2 *q)
{
	return __atomic_load_n(&q->file_size, __ATOMIC_RELAXED);
}

/*
 * file_size stays where data was written, so that metadata pointing into
 * the reserved space is refused as before.  Where the file system cannot
 * allocate ahead, writes extend the file as they would without this.
 */
void qcow2_reserve_file(struct qcow2 *q, uint64_t end)
{
	uint64_t from = qcow2_file_size(q), ahead = RESERVE_AHEAD, to;

	if (q->reserved_end > from)
		from = q->reserved_end;
	if (q->read_only || q->no_reserve || end <= from)
		return;
	if (q->h.size < ahead)
		ahead = q->h.size;
	to = qcow2_round_up(q, end + ahead);
	if (fallocate(q->fd, 0, from, to - from)) {
		q->no_reserve = true;
		return;
	}
	q->reserved_end = to;
}

int qcow2_release_file(struct qcow2 *q)
{
	uint64_t end = qcow2_file_size(q);

	if (q->reserved_end <= end)
		return 0;
	q->reserved_end = 0;
	return ftruncate(q->fd, end) ? -errno : 0;
}
