// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the split virtqueue: the input is a hostile
 * driver.  It picks the ring addresses and features, the initial RAM
 * image, and a script of writes to RAM; after enabling and after each
 * write, the device pops and pushes until the ring is empty or broken.
 *
 * RAM is a heap block of exactly its size, so the sanitizers catch any
 * access outside it; every segment popped is also checked to lie inside
 * one RAM region, and is read or written in full.
 *
 * Input layout (little-endian):
 *	0	bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 high RAM, bit 3
 *		push in reverse order, bit 4 kicks off while serving
 *	1	queue size: 1 << n below 16, else n itself
 *	2	iov capacity (0: enough for any queue that fits in RAM)
 *	3	byte the device writes into device-writable buffers
 *	4	number of writes in the script
 *	5	desc, avail, used: 16-bit offsets into RAM (see ram_gpa)
 *	11	the script: per write, a 16-bit RAM offset and a 16-bit value
 *	...	the initial RAM image, zero-padded
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kvmlite/memory.h"
#include "kvmlite/virtqueue.h"

#define RAM_SIZE	0x10000U
#define HEADER_SIZE	11
#define WRITE_SIZE	4
/* Queues larger than this do not fit in RAM_SIZE anyway. */
#define MAX_IOV		(RAM_SIZE / 16)

struct fuzz {
	struct guest_mem mem;
	struct virtq vq;
	struct iovec iov[MAX_IOV];
	struct virtq_elem elem;
	uint16_t heads[MAX_IOV];
	uint32_t written[MAX_IOV];
	unsigned int held;		/* popped, not yet pushed */
	bool reverse;
	bool quiet;			/* kicks off while serving */
	uint8_t fill;
};

/* RAM offset @off as a guest physical address: low RAM, then high RAM. */
static uint64_t ram_gpa(const struct guest_mem *mem, uint16_t off)
{
	if (off < mem->low_size)
		return off;
	return HIGH_RAM_BASE + off - mem->low_size;
}

/* [base, base + len) lies within one RAM region. */
static bool in_ram(const struct guest_mem *mem, const struct iovec *iov)
{
	size_t off = (uint8_t *)iov->iov_base - mem->host;

	if ((uint8_t *)iov->iov_base < mem->host || off >= mem->size)
		return false;
	if (off < mem->low_size)
		return iov->iov_len <= mem->low_size - off;
	return iov->iov_len <= mem->size - off;
}

/* Checks what virtq_pop returned and uses the buffers as a device would. */
static void use_elem(struct fuzz *f)
{
	struct virtq_elem *e = &f->elem;
	uint64_t out = 0, in = 0;
	volatile uint8_t sink = 0;
	unsigned int i;

	ENSURE(e->head < f->vq.size);
	ENSURE(e->nr_out + e->nr_in <= e->max_iov);
	ENSURE(e->nr_out + e->nr_in <= f->vq.size);
	for (i = 0; i < e->nr_out + e->nr_in; i++) {
		const uint8_t *p = e->iov[i].iov_base;

		ENSURE(e->iov[i].iov_len && in_ram(&f->mem, &e->iov[i]));
		if (i < e->nr_out) {
			out += e->iov[i].iov_len;
			sink ^= p[0] ^ p[e->iov[i].iov_len - 1];
		} else {
			in += e->iov[i].iov_len;
			memset(e->iov[i].iov_base, f->fill, e->iov[i].iov_len);
		}
	}
	(void)sink;
	ENSURE(out == e->out_len && in == e->in_len);
	ENSURE(out + in <= VIRTQ_MAX_CHAIN_LEN);
}

static void push_held(struct fuzz *f)
{
	unsigned int i, j;

	for (i = 0; i < f->held; i++) {
		j = f->reverse ? f->held - 1 - i : i;
		virtq_push(&f->vq, f->heads[j], f->written[j]);
	}
	f->held = 0;
	virtq_should_interrupt(&f->vq);
}

/* Serves the ring until it is empty or broken, as a device's I/O thread. */
static void serve(struct fuzz *f)
{
	unsigned int pops;
	int ret = 0;

	if (f->quiet)
		virtq_notify_enable(&f->vq, false);
	/* Device-written buffers may feed avail->idx: bound the round. */
	for (pops = 0; pops < 2 * 65536; pops++) {
		ret = virtq_pop(&f->vq, &f->elem);
		if (ret <= 0)
			break;
		use_elem(f);
		f->heads[f->held] = f->elem.head;
		f->written[f->held++] = f->elem.in_len;
		if (f->held == f->vq.size)
			push_held(f);
	}
	ENSURE((ret < 0) == f->vq.broken);
	if (ret < 0)
		ENSURE(virtq_pop(&f->vq, &f->elem) == -1);
	push_held(f);
	if (virtq_notify_enable(&f->vq, true))
		ENSURE(virtq_pop(&f->vq, &f->elem) != 0);
}

static bool setup(struct fuzz *f, const uint8_t *hdr, const uint8_t *image,
		  size_t size)
{
	uint8_t flags = hdr[0];
	unsigned int qsize = hdr[1] < 16 ? 1U << hdr[1] : hdr[1];

	f->mem.size = RAM_SIZE;
	f->mem.low_size = flags & 4 ? RAM_SIZE / 2 : RAM_SIZE;
	f->mem.high_size = RAM_SIZE - f->mem.low_size;
	f->mem.host = aligned_alloc(64, RAM_SIZE);
	ENSURE(f->mem.host);
	memset(f->mem.host, 0, RAM_SIZE);
	memcpy(f->mem.host, image, size < RAM_SIZE ? size : RAM_SIZE);
	f->elem.iov = f->iov;
	f->elem.max_iov = hdr[2] ? hdr[2] : MAX_IOV;
	f->fill = hdr[3];
	f->reverse = flags & 8;
	f->quiet = flags & 16;
	return virtq_enable(&f->vq, &f->mem, qsize,
			    ram_gpa(&f->mem, fuzz_rd16(hdr + 5)),
			    ram_gpa(&f->mem, fuzz_rd16(hdr + 7)),
			    ram_gpa(&f->mem, fuzz_rd16(hdr + 9)),
			    flags & 1, flags & 2) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz f;
	const uint8_t *script = data + HEADER_SIZE;
	size_t nr_writes, i;

	if (size < HEADER_SIZE)
		return 0;
	nr_writes = data[4];
	if (size < HEADER_SIZE + nr_writes * WRITE_SIZE)
		return 0;
	memset(&f, 0, sizeof(f));
	if (setup(&f, data, script + nr_writes * WRITE_SIZE,
		  size - HEADER_SIZE - nr_writes * WRITE_SIZE)) {
		serve(&f);
		for (i = 0; i < nr_writes; i++) {
			uint16_t off = fuzz_rd16(script + i * WRITE_SIZE);

			if (off <= RAM_SIZE - 2)
				memcpy(f.mem.host + off,
				       script + i * WRITE_SIZE + 2, 2);
			serve(&f);
		}
	}
	virtq_disable(&f.vq);
	ENSURE(virtq_pop(&f.vq, &f.elem) == -1);
	free(f.mem.host);
	return 0;
}
