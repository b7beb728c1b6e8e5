// SPDX-License-Identifier: MIT
/*
 * The io_uring engine, on the raw system calls.  One ring per image; the
 * kernel signals the image's eventfd as it posts completions.  No more
 * requests are handed to the kernel than the completion queue holds, so
 * it never overflows; the rest wait in a backlog, and submission never
 * blocks.
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "block_priv.h"
#include "kvmlite/iov.h"

#define URING_ENTRIES	128
/*
 * Reads from this size up go straight to the kernel's io-wq workers.
 * Inline, a batch of them is copied from the page cache one after the
 * other inside a single io_uring_enter, and none completes until all
 * have: 16 MiB copied in lockstep while the guest waits.  Workers copy
 * in parallel and complete one by one.  Writes stay inline: parallel
 * buffered writes to one file only contend for its lock.
 */
#define ASYNC_READ_MIN	(256u << 10)

struct uring_engine {
	struct block_engine base;
	int fd;
	int efd;
	void *ring;
	size_t ring_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned int sq_entries, sq_mask;
	unsigned int *sq_head, *sq_tail;
	unsigned int cq_entries, cq_mask;
	unsigned int *cq_head, *cq_tail;
	struct io_uring_cqe *cqes;
	unsigned int queued;	/* in the SQ ring, not yet entered */
	unsigned int inflight;	/* entered, completion not yet seen */
	struct block_io *backlog, *backlog_tail;
};

static int uring_setup(unsigned int entries, struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, entries, p);
}

static int uring_enter(int fd, unsigned int to_submit)
{
	return syscall(__NR_io_uring_enter, fd, to_submit, 0, 0, NULL, 0);
}

static int uring_register(int fd, unsigned int opcode, void *arg,
			  unsigned int nr)
{
	return syscall(__NR_io_uring_register, fd, opcode, arg, nr);
}

/* The operations kvmlite uses; FALLOCATE came last, in Linux 5.6. */
static bool uring_has_ops(int fd)
{
	static const uint8_t needed[] = {
		IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
		IORING_OP_FALLOCATE,
	};
	size_t len = sizeof(struct io_uring_probe) +
		     IORING_OP_LAST * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *probe = calloc(1, len);
	bool ok = probe != NULL;
	size_t i;

	if (ok && uring_register(fd, IORING_REGISTER_PROBE, probe,
				 IORING_OP_LAST) < 0)
		ok = false;
	for (i = 0; ok && i < sizeof(needed); i++)
		ok = needed[i] < probe->ops_len &&
		     (probe->ops[needed[i]].flags & IO_URING_OP_SUPPORTED);
	free(probe);
	return ok;
}

static int uring_map(struct uring_engine *u, const struct io_uring_params *p)
{
	size_t sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned int);
	size_t cq_len = p->cq_off.cqes +
			p->cq_entries * sizeof(struct io_uring_cqe);
	unsigned int *array, i;
	uint8_t *ring;

	u->ring_len = sq_len > cq_len ? sq_len : cq_len;
	u->ring = mmap(NULL, u->ring_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
	if (u->ring == MAP_FAILED) {
		u->ring = NULL;
		return -1;
	}
	u->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED) {
		u->sqes = NULL;
		return -1;
	}
	ring = u->ring;
	u->sq_entries = p->sq_entries;
	u->sq_mask = *(unsigned int *)(ring + p->sq_off.ring_mask);
	u->sq_head = (unsigned int *)(ring + p->sq_off.head);
	u->sq_tail = (unsigned int *)(ring + p->sq_off.tail);
	u->cq_entries = p->cq_entries;
	u->cq_mask = *(unsigned int *)(ring + p->cq_off.ring_mask);
	u->cq_head = (unsigned int *)(ring + p->cq_off.head);
	u->cq_tail = (unsigned int *)(ring + p->cq_off.tail);
	u->cqes = (struct io_uring_cqe *)(ring + p->cq_off.cqes);
	/* SQE i always sits in slot i: the index array never changes. */
	array = (unsigned int *)(ring + p->sq_off.array);
	for (i = 0; i < u->sq_entries; i++)
		array[i] = i;
	return 0;
}

static bool uring_has_room(struct uring_engine *u)
{
	unsigned int used = *u->sq_tail -
			    __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);

	return used < u->sq_entries &&
	       u->queued + u->inflight < u->cq_entries;
}

static void uring_prep(struct io_uring_sqe *sqe, struct block_io *io)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->fd = io->fd;
	sqe->user_data = (uintptr_t)io;
	switch (io->cmd) {
	case BLOCK_IO_READV:
	case BLOCK_IO_WRITEV:
		sqe->opcode = io->cmd == BLOCK_IO_READV ? IORING_OP_READV :
							   IORING_OP_WRITEV;
		sqe->addr = (uintptr_t)io->iov;
		sqe->len = io->iovcnt;
		sqe->off = io->offset;
		if (io->cmd == BLOCK_IO_READV &&
		    iov_size(io->iov, io->iovcnt) >= ASYNC_READ_MIN)
			sqe->flags |= IOSQE_ASYNC;
		break;
	case BLOCK_IO_FDATASYNC:
		sqe->opcode = IORING_OP_FSYNC;
		sqe->fsync_flags = IORING_FSYNC_DATASYNC;
		break;
	case BLOCK_IO_FALLOCATE:
		sqe->opcode = IORING_OP_FALLOCATE;
		sqe->off = io->offset;
		sqe->addr = io->len;
		sqe->len = io->mode;
		break;
	}
}

static void uring_queue(struct uring_engine *u, struct block_io *io)
{
	unsigned int tail = *u->sq_tail;

	uring_prep(&u->sqes[tail & u->sq_mask], io);
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	u->queued++;
}

static void uring_submit(struct block_engine *e, struct block_io *io)
{
	struct uring_engine *u = container_of(e, struct uring_engine, base);

	io->next = NULL;
	if (!u->backlog && uring_has_room(u)) {
		uring_queue(u, io);
		return;
	}
	if (u->backlog_tail)
		u->backlog_tail->next = io;
	else
		u->backlog = io;
	u->backlog_tail = io;
}

/*
 * Hands the queued entries to the kernel.  Should it refuse for now
 * (EAGAIN, EBUSY: it is short of memory or completions), the eventfd
 * is signalled so that the owner's next reap tries again.
 */
static void uring_kick(struct block_engine *e)
{
	struct uring_engine *u = container_of(e, struct uring_engine, base);
	int ret;

	while (u->queued) {
		ret = uring_enter(u->fd, u->queued);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			engine_signal(u->efd);
			break;
		}
		u->queued -= ret;
		u->inflight += ret;
	}
}

static void uring_refill(struct uring_engine *u)
{
	struct block_io *io;

	while (u->backlog && uring_has_room(u)) {
		io = u->backlog;
		u->backlog = io->next;
		if (!u->backlog)
			u->backlog_tail = NULL;
		uring_queue(u, io);
	}
}

static void uring_reap(struct block_engine *e)
{
	struct uring_engine *u = container_of(e, struct uring_engine, base);
	unsigned int head = *u->cq_head;
	struct io_uring_cqe *cqe;
	struct block_io *io;

	while (head != __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE)) {
		cqe = &u->cqes[head & u->cq_mask];
		io = (struct block_io *)(uintptr_t)cqe->user_data;
		io->res = cqe->res;
		__atomic_store_n(u->cq_head, ++head, __ATOMIC_RELEASE);
		u->inflight--;
		io->complete(io);
	}
	uring_refill(u);
	if (!e->plugged)
		uring_kick(e);
}

static void uring_free(struct block_engine *e)
{
	struct uring_engine *u = container_of(e, struct uring_engine, base);

	if (u->sqes)
		munmap(u->sqes, u->sqes_len);
	if (u->ring)
		munmap(u->ring, u->ring_len);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
}

static const struct block_engine_ops uring_ops = {
	.name = "io_uring",
	.submit = uring_submit,
	.kick = uring_kick,
	.reap = uring_reap,
	.free = uring_free,
};

static int uring_init(struct uring_engine *u, int efd, char *err,
		      size_t errlen)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	u->fd = uring_setup(URING_ENTRIES, &p);
	if (u->fd < 0) {
		snprintf(err, errlen, "failed to init linux io_uring ring: %s",
			 strerror(errno));
		return -1;
	}
	if (!(p.features & IORING_FEAT_SINGLE_MMAP) || !uring_has_ops(u->fd)) {
		snprintf(err, errlen, "this kernel's io_uring lacks readv, "
			 "writev, fsync or fallocate (Linux 5.6 has them)");
		return -1;
	}
	if (uring_map(u, &p) ||
	    uring_register(u->fd, IORING_REGISTER_EVENTFD, &efd, 1) < 0) {
		snprintf(err, errlen, "failed to init linux io_uring ring: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

struct block_engine *uring_engine_new(int efd, char *err, size_t errlen)
{
	struct uring_engine *u = calloc(1, sizeof(*u));

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->base.ops = &uring_ops;
	u->efd = efd;
	if (uring_init(u, efd, err, errlen)) {
		uring_free(&u->base);
		return NULL;
	}
	return &u->base;
}
