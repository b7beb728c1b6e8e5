// SPDX-License-Identifier: MIT
/*
 * The split virtqueue as a driver sees it: rings are built byte by byte in
 * guest RAM at the offsets of virtio 1.2 2.7 (not through virtqueue.c's
 * structs), then popped, pushed and checked.
 *
 * RAM is 5 GiB reserved without being touched, so that there is high RAM,
 * a hole below 4 GiB, and room for buffers adding up past 2^32 bytes.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "kvmlite/memory.h"
#include "kvmlite/virtqueue.h"

#define GIB		(1ULL << 30)
#define MEM_SIZE	(5 * GIB)
#define QSIZE		8
#define DESC_GPA	0x1000ULL
#define AVAIL_GPA	0x2000ULL
#define USED_GPA	0x3000ULL
#define INDIRECT_GPA	0x4000ULL
#define DATA_GPA	0x10000ULL

/* Offsets of 2.7's ring layouts. */
#define USED_EVENT	(AVAIL_GPA + 4 + 2 * QSIZE)
#define AVAIL_EVENT	(USED_GPA + 4 + 8 * QSIZE)

#define R		0
#define W		VIRTQ_DESC_F_WRITE
#define N		VIRTQ_DESC_F_NEXT
#define I		VIRTQ_DESC_F_INDIRECT

struct drv {
	struct guest_mem mem;
	struct virtq vq;
	struct iovec iov[QSIZE];
	struct virtq_elem elem;
	uint16_t avail_idx;
};

static void *gp(struct drv *d, uint64_t gpa)
{
	return guest_ptr(&d->mem, gpa, 1);
}

static void put16(struct drv *d, uint64_t gpa, uint16_t val)
{
	val = htole16(val);
	memcpy(gp(d, gpa), &val, sizeof(val));
}

static void put32(struct drv *d, uint64_t gpa, uint32_t val)
{
	val = htole32(val);
	memcpy(gp(d, gpa), &val, sizeof(val));
}

static void put64(struct drv *d, uint64_t gpa, uint64_t val)
{
	val = htole64(val);
	memcpy(gp(d, gpa), &val, sizeof(val));
}

static uint16_t get16(struct drv *d, uint64_t gpa)
{
	uint16_t val;

	memcpy(&val, gp(d, gpa), sizeof(val));
	return le16toh(val);
}

static uint32_t get32(struct drv *d, uint64_t gpa)
{
	uint32_t val;

	memcpy(&val, gp(d, gpa), sizeof(val));
	return le32toh(val);
}

static void desc_at(struct drv *d, uint64_t table, unsigned int i,
		    uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t gpa = table + 16 * i;

	put64(d, gpa, addr);
	put32(d, gpa + 8, len);
	put16(d, gpa + 12, flags);
	put16(d, gpa + 14, next);
}

static void desc(struct drv *d, unsigned int i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	desc_at(d, DESC_GPA, i, addr, len, flags, next);
}

/* Makes the chain at @head available, as a driver does. */
static void offer(struct drv *d, uint16_t head)
{
	put16(d, AVAIL_GPA + 4 + 2 * (d->avail_idx % QSIZE), head);
	put16(d, AVAIL_GPA + 2, ++d->avail_idx);
}

static void setup(struct drv *d, bool event_idx, bool indirect)
{
	memset(d, 0, sizeof(*d));
	if (guest_mem_init(&d->mem, MEM_SIZE) < 0) {
		perror("guest_mem_init");
		exit(1);
	}
	d->elem.iov = d->iov;
	d->elem.max_iov = QSIZE;
	CHECK_EQ(virtq_enable(&d->vq, &d->mem, QSIZE, DESC_GPA, AVAIL_GPA,
			      USED_GPA, event_idx, indirect), 0);
}

static void teardown(struct drv *d)
{
	guest_mem_free(&d->mem);
}

static int pop(struct drv *d)
{
	return virtq_pop(&d->vq, &d->elem);
}

/* The chain offered last is refused, nothing is consumed, and it stays so. */
static bool rejected(struct drv *d)
{
	uint16_t last = d->vq.last_avail_idx;

	return pop(d) == -1 && d->vq.broken && pop(d) == -1 &&
	       d->vq.last_avail_idx == last && get16(d, USED_GPA + 2) == 0;
}

static bool iov_is(struct drv *d, unsigned int i, uint64_t gpa, size_t len)
{
	return d->iov[i].iov_base == gp(d, gpa) && d->iov[i].iov_len == len;
}

TEST(enable_accepts_spec_alignments_and_sizes)
{
	struct drv d;

	setup(&d, false, false);
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, 1, 0x10, 0x2, 0x4, true, true),
		 0);
	CHECK(!d.vq.broken);
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, VIRTQ_MAX_SIZE, HIGH_RAM_BASE,
			      0x2000, 0x3000, false, false), 0);
	teardown(&d);
}

TEST(enable_rejects_bad_sizes)
{
	static const uint16_t sizes[] = { 0, 3, 12, 65535 };
	struct drv d;
	unsigned int i;

	setup(&d, false, false);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		CHECK_EQ(virtq_enable(&d.vq, &d.mem, sizes[i], DESC_GPA,
				      AVAIL_GPA, USED_GPA, false, false), -1);
		CHECK(d.vq.broken);
		CHECK_EQ(pop(&d), -1);
	}
	teardown(&d);
}

TEST(enable_rejects_misaligned_rings)
{
	struct drv d;

	setup(&d, false, false);
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, QSIZE, DESC_GPA + 8, AVAIL_GPA,
			      USED_GPA, false, false), -1);
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, QSIZE, DESC_GPA, AVAIL_GPA + 1,
			      USED_GPA, false, false), -1);
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, QSIZE, DESC_GPA, AVAIL_GPA,
			      USED_GPA + 2, false, false), -1);
	teardown(&d);
}

TEST(enable_rejects_rings_outside_ram)
{
	uint64_t end = HIGH_RAM_BASE + 2 * GIB;
	struct drv d;

	setup(&d, false, false);
	/* Each part's last byte one past the end of RAM. */
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, QSIZE, end - 16 * QSIZE + 16,
			      AVAIL_GPA, USED_GPA, false, false), -1);
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, QSIZE, DESC_GPA,
			      end - (6 + 2 * QSIZE) + 2, USED_GPA, false,
			      false), -1);
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, QSIZE, DESC_GPA, AVAIL_GPA,
			      end - (6 + 8 * QSIZE) + 2, false, false), -1);
	/* Fits exactly, then straddles the hole below 4 GiB. */
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, QSIZE, DESC_GPA, AVAIL_GPA,
			      end - (6 + 8 * QSIZE) - 2, false, false), 0);
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, QSIZE, 3 * GIB - 64, AVAIL_GPA,
			      USED_GPA, false, false), -1);
	CHECK_EQ(virtq_enable(&d.vq, &d.mem, QSIZE, 3 * GIB, AVAIL_GPA,
			      USED_GPA, false, false), -1);
	teardown(&d);
}

TEST(disabled_queue_serves_nothing)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 16, R, 0);
	offer(&d, 0);
	virtq_disable(&d.vq);
	CHECK_EQ(pop(&d), -1);
	virtq_push(&d.vq, 0, 0);
	CHECK(!virtq_should_interrupt(&d.vq));
	CHECK(!virtq_notify_enable(&d.vq, true));
	teardown(&d);
}

TEST(pops_nothing_from_an_empty_ring)
{
	struct drv d;

	setup(&d, false, false);
	CHECK_EQ(pop(&d), 0);
	CHECK(!d.vq.broken);
	teardown(&d);
}

TEST(pops_readable_then_writable_chain)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 5, DATA_GPA, 16, R | N, 2);
	desc(&d, 2, DATA_GPA + 0x100, 512, R | N, 7);
	desc(&d, 7, HIGH_RAM_BASE + 0x200, 1, W, 0);
	offer(&d, 5);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.elem.head, 5);
	CHECK_EQ(d.elem.nr_out, 2);
	CHECK_EQ(d.elem.nr_in, 1);
	CHECK_EQ(d.elem.out_len, 528);
	CHECK_EQ(d.elem.in_len, 1);
	CHECK(iov_is(&d, 0, DATA_GPA, 16));
	CHECK(iov_is(&d, 1, DATA_GPA + 0x100, 512));
	CHECK(iov_is(&d, 2, HIGH_RAM_BASE + 0x200, 1));
	CHECK_EQ(pop(&d), 0);
	teardown(&d);
}

TEST(pops_chains_in_avail_order)
{
	struct drv d;
	int i;

	setup(&d, false, false);
	for (i = 0; i < QSIZE; i++) {
		desc(&d, i, DATA_GPA + i * 0x100, i + 1, W, 0);
		offer(&d, QSIZE - 1 - i);
	}
	for (i = 0; i < QSIZE; i++) {
		CHECK_EQ(pop(&d), 1);
		CHECK_EQ(d.elem.head, QSIZE - 1 - i);
		CHECK_EQ(d.elem.in_len, QSIZE - i);
	}
	CHECK_EQ(pop(&d), 0);
	teardown(&d);
}

TEST(zero_length_buffers_take_no_iov)
{
	struct drv d;

	setup(&d, false, false);
	/* Its address is never used, so it need not be RAM. */
	desc(&d, 0, 3 * GIB, 0, R | N, 1);
	desc(&d, 1, DATA_GPA, 4, W, 0);
	offer(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.elem.nr_out, 0);
	CHECK_EQ(d.elem.nr_in, 1);
	CHECK(iov_is(&d, 0, DATA_GPA, 4));
	teardown(&d);
}

TEST(chain_of_queue_size_fits)
{
	struct drv d;
	int i;

	setup(&d, false, false);
	for (i = 0; i < QSIZE; i++)
		desc(&d, i, DATA_GPA, 1, i < QSIZE - 1 ? N : 0, i + 1);
	offer(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.elem.nr_out, QSIZE);
	teardown(&d);
}

TEST(push_fills_used_entry_then_idx)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 3, DATA_GPA, 64, W, 0);
	offer(&d, 3);
	CHECK_EQ(pop(&d), 1);
	virtq_push(&d.vq, d.elem.head, 42);
	CHECK_EQ(get32(&d, USED_GPA + 4), 3);
	CHECK_EQ(get32(&d, USED_GPA + 8), 42);
	CHECK_EQ(get16(&d, USED_GPA + 2), 1);
	teardown(&d);
}

TEST(indexes_wrap_at_65536)
{
	struct drv d;
	unsigned int i;
	bool ok = true;

	setup(&d, false, false);
	desc(&d, 1, DATA_GPA, 8, W, 0);
	for (i = 0; i < 65536 + 3; i++) {
		offer(&d, 1);
		ok &= pop(&d) == 1 && d.elem.head == 1;
		virtq_push(&d.vq, 1, i);
	}
	CHECK(ok);
	CHECK_EQ(get16(&d, AVAIL_GPA + 2), 3);
	CHECK_EQ(get16(&d, USED_GPA + 2), 3);
	/* Entry 65536 + 2 lands in slot 2. */
	CHECK_EQ(get32(&d, USED_GPA + 4 + 8 * 2 + 4), 65536 + 2);
	CHECK_EQ(pop(&d), 0);
	teardown(&d);
}

TEST(full_ring_is_not_a_jump)
{
	struct drv d;
	int i;

	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 8, R, 0);
	for (i = 0; i < QSIZE; i++)
		offer(&d, 0);
	for (i = 0; i < QSIZE; i++)
		CHECK_EQ(pop(&d), 1);
	CHECK_EQ(pop(&d), 0);
	teardown(&d);
}

TEST(indirect_table)
{
	struct drv d;

	setup(&d, false, true);
	desc_at(&d, INDIRECT_GPA, 0, DATA_GPA, 16, R | N, 2);
	desc_at(&d, INDIRECT_GPA, 2, DATA_GPA + 0x100, 100, W | N, 1);
	desc_at(&d, INDIRECT_GPA, 1, DATA_GPA + 0x200, 200, W, 0);
	/* The WRITE flag of the descriptor naming the table is ignored. */
	desc(&d, 4, INDIRECT_GPA, 3 * 16, I | W, 0);
	offer(&d, 4);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.elem.head, 4);
	CHECK_EQ(d.elem.nr_out, 1);
	CHECK_EQ(d.elem.nr_in, 2);
	CHECK_EQ(d.elem.in_len, 300);
	CHECK(iov_is(&d, 0, DATA_GPA, 16));
	CHECK(iov_is(&d, 1, DATA_GPA + 0x100, 100));
	CHECK(iov_is(&d, 2, DATA_GPA + 0x200, 200));
	teardown(&d);
}

TEST(direct_descriptors_then_indirect_table)
{
	struct drv d;

	setup(&d, false, true);
	desc(&d, 0, DATA_GPA, 16, R | N, 1);
	desc(&d, 1, INDIRECT_GPA, 16, I, 0);
	desc_at(&d, INDIRECT_GPA, 0, DATA_GPA + 0x100, 32, W, 0);
	offer(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.elem.nr_out, 1);
	CHECK_EQ(d.elem.nr_in, 1);
	CHECK(iov_is(&d, 1, DATA_GPA + 0x100, 32));
	teardown(&d);
}

TEST(indirect_table_of_queue_size_fits)
{
	struct drv d;
	int i;

	setup(&d, false, true);
	for (i = 0; i < QSIZE; i++)
		desc_at(&d, INDIRECT_GPA, i, DATA_GPA, 1,
			i < QSIZE - 1 ? N : 0, i + 1);
	desc(&d, 0, INDIRECT_GPA, QSIZE * 16, I, 0);
	offer(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.elem.nr_out, QSIZE);
	teardown(&d);
}

TEST(chain_of_exactly_4_gib_is_accepted)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, BIOS_AREA_END, 0xb0000000, R | N, 1);
	desc(&d, 1, HIGH_RAM_BASE, 0x50000000, W, 0);
	offer(&d, 0);
	CHECK_EQ(pop(&d), 1);
	CHECK_EQ(d.elem.out_len + d.elem.in_len, VIRTQ_MAX_CHAIN_LEN);
	teardown(&d);
}

TEST(rejects_loop)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 8, R | N, 1);
	desc(&d, 1, DATA_GPA, 8, R | N, 2);
	desc(&d, 2, DATA_GPA, 8, R | N, 0);
	offer(&d, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(rejects_self_loop_of_zero_length)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 6, 0, 0, W | N, 6);
	offer(&d, 6);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(rejects_next_past_queue)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 8, R | N, QSIZE);
	offer(&d, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(rejects_head_past_queue)
{
	struct drv d;

	setup(&d, false, false);
	offer(&d, QSIZE);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(rejects_avail_idx_jumping_past_queue)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 8, R, 0);
	put16(&d, AVAIL_GPA + 2, QSIZE + 1);
	CHECK(rejected(&d));
	teardown(&d);

	/* Going backwards is a jump of nearly 65536. */
	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 8, R, 0);
	offer(&d, 0);
	CHECK_EQ(pop(&d), 1);
	put16(&d, AVAIL_GPA + 2, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(rejects_readable_after_writable)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 8, W | N, 1);
	desc(&d, 1, DATA_GPA, 8, R, 0);
	offer(&d, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(rejects_zero_length_readable_after_writable)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 8, W | N, 1);
	desc(&d, 1, DATA_GPA, 0, R, 0);
	offer(&d, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

/* One descriptor naming @addr, @len must be refused. */
static bool buffer_rejected(uint64_t addr, uint32_t len)
{
	struct drv d;
	bool ok;

	setup(&d, false, false);
	desc(&d, 0, addr, len, W, 0);
	offer(&d, 0);
	ok = rejected(&d);
	teardown(&d);
	return ok;
}

TEST(rejects_buffers_outside_ram)
{
	uint64_t end = HIGH_RAM_BASE + 2 * GIB;

	CHECK(buffer_rejected(end, 1));
	CHECK(buffer_rejected(end - 8, 9));
	CHECK(buffer_rejected(3 * GIB - 8, 16));
	CHECK(buffer_rejected(3 * GIB + 0x1000, 16));
	CHECK(buffer_rejected(HIGH_RAM_BASE - 1, 2));
	CHECK(buffer_rejected(~0ULL - 7, 16));
	CHECK(buffer_rejected(~0ULL, 0xffffffff));
}

TEST(rejects_chain_over_4_gib)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, BIOS_AREA_END, 0xb0000000, R | N, 1);
	desc(&d, 1, HIGH_RAM_BASE, 0x50000001, W, 0);
	offer(&d, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(rejects_chain_longer_than_max_iov)
{
	struct drv d;

	setup(&d, false, false);
	d.elem.max_iov = 1;
	desc(&d, 0, DATA_GPA, 8, R | N, 1);
	desc(&d, 1, DATA_GPA, 8, W, 0);
	offer(&d, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(rejects_indirect_not_negotiated)
{
	struct drv d;

	setup(&d, false, false);
	desc_at(&d, INDIRECT_GPA, 0, DATA_GPA, 16, R, 0);
	desc(&d, 0, INDIRECT_GPA, 16, I, 0);
	offer(&d, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

/* A chain whose head names an indirect table of @len bytes at @gpa. */
static bool indirect_rejected(struct drv *d, uint64_t gpa, uint32_t len,
			      uint16_t flags)
{
	bool ok;

	desc(d, 0, gpa, len, I | flags, 1);
	desc(d, 1, DATA_GPA, 16, W, 0);
	offer(d, 0);
	ok = rejected(d);
	teardown(d);
	return ok;
}

TEST(rejects_bad_indirect_tables)
{
	struct drv d;

	setup(&d, false, true);
	CHECK(indirect_rejected(&d, INDIRECT_GPA, 0, 0));
	setup(&d, false, true);
	CHECK(indirect_rejected(&d, INDIRECT_GPA, 24, 0));
	/* Too large even if the chain in it is short. */
	setup(&d, false, true);
	desc_at(&d, INDIRECT_GPA, 0, DATA_GPA, 16, R, 0);
	CHECK(indirect_rejected(&d, INDIRECT_GPA, (QSIZE + 1) * 16, 0));
	setup(&d, false, true);
	desc_at(&d, INDIRECT_GPA, 0, DATA_GPA, 16, R, 0);
	CHECK(indirect_rejected(&d, INDIRECT_GPA, 16, N));
	setup(&d, false, true);
	CHECK(indirect_rejected(&d, 3 * GIB - 16, 32, 0));
	setup(&d, false, true);
	CHECK(indirect_rejected(&d, HIGH_RAM_BASE + 2 * GIB - 16, 32, 0));
}

TEST(rejects_bad_chains_inside_indirect_tables)
{
	struct drv d;

	/* Nested table. */
	setup(&d, false, true);
	desc_at(&d, INDIRECT_GPA, 0, INDIRECT_GPA + 0x100, 16, I, 0);
	desc_at(&d, INDIRECT_GPA + 0x100, 0, DATA_GPA, 16, R, 0);
	CHECK(indirect_rejected(&d, INDIRECT_GPA, 16, 0));
	/* Next past the table, though inside the queue. */
	setup(&d, false, true);
	desc_at(&d, INDIRECT_GPA, 0, DATA_GPA, 16, R | N, 2);
	CHECK(indirect_rejected(&d, INDIRECT_GPA, 32, 0));
	/* Loop. */
	setup(&d, false, true);
	desc_at(&d, INDIRECT_GPA, 0, DATA_GPA, 16, R | N, 1);
	desc_at(&d, INDIRECT_GPA, 1, DATA_GPA, 16, R | N, 0);
	CHECK(indirect_rejected(&d, INDIRECT_GPA, 32, 0));
	/* Readable after writable. */
	setup(&d, false, true);
	desc_at(&d, INDIRECT_GPA, 0, DATA_GPA, 16, W | N, 1);
	desc_at(&d, INDIRECT_GPA, 1, DATA_GPA, 16, R, 0);
	CHECK(indirect_rejected(&d, INDIRECT_GPA, 32, 0));
	/* Buffer outside RAM. */
	setup(&d, false, true);
	desc_at(&d, INDIRECT_GPA, 0, 3 * GIB, 16, R, 0);
	CHECK(indirect_rejected(&d, INDIRECT_GPA, 16, 0));
}

TEST(rejects_readable_table_after_writable_descriptor)
{
	struct drv d;

	setup(&d, false, true);
	desc(&d, 0, DATA_GPA, 8, W | N, 1);
	desc(&d, 1, INDIRECT_GPA, 16, I, 0);
	desc_at(&d, INDIRECT_GPA, 0, DATA_GPA, 16, R, 0);
	offer(&d, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(rejects_direct_plus_indirect_longer_than_queue)
{
	struct drv d;
	int i;

	setup(&d, false, true);
	for (i = 0; i < QSIZE; i++)
		desc_at(&d, INDIRECT_GPA, i, DATA_GPA, 1,
			i < QSIZE - 1 ? N : 0, i + 1);
	desc(&d, 0, DATA_GPA, 8, R | N, 1);
	desc(&d, 1, INDIRECT_GPA, QSIZE * 16, I, 0);
	offer(&d, 0);
	CHECK(rejected(&d));
	teardown(&d);
}

TEST(broken_queue_pushes_nothing)
{
	struct drv d;

	setup(&d, false, false);
	offer(&d, QSIZE);
	CHECK_EQ(pop(&d), -1);
	virtq_push(&d.vq, 0, 1);
	CHECK_EQ(get16(&d, USED_GPA + 2), 0);
	CHECK(!virtq_should_interrupt(&d.vq));
	teardown(&d);
}

/* Pops and pushes @n chains of descriptor 0 in one batch. */
static void serve(struct drv *d, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		offer(d, 0);
	for (i = 0; i < n; i++) {
		CHECK_EQ(pop(d), 1);
		virtq_push(&d->vq, 0, 0);
	}
}

TEST(no_interrupt_flag)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 8, W, 0);
	CHECK(!virtq_should_interrupt(&d.vq));
	serve(&d, 1);
	CHECK(virtq_should_interrupt(&d.vq));
	CHECK(!virtq_should_interrupt(&d.vq));
	put16(&d, AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
	serve(&d, 2);
	CHECK(!virtq_should_interrupt(&d.vq));
	/* Without EVENT_IDX, used_event means nothing. */
	put16(&d, AVAIL_GPA, 0);
	put16(&d, USED_EVENT, 100);
	serve(&d, 1);
	CHECK(virtq_should_interrupt(&d.vq));
	teardown(&d);
}

TEST(used_event_suppresses_interrupts)
{
	struct drv d;

	setup(&d, true, false);
	desc(&d, 0, DATA_GPA, 8, W, 0);
	/* Interrupt once the entry at used index 2 is written. */
	put16(&d, USED_EVENT, 2);
	serve(&d, 1);
	CHECK(!virtq_should_interrupt(&d.vq));
	serve(&d, 1);
	CHECK(!virtq_should_interrupt(&d.vq));
	/* The flag's low bit is ignored with EVENT_IDX. */
	put16(&d, AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
	serve(&d, 1);
	CHECK(virtq_should_interrupt(&d.vq));
	serve(&d, 1);
	CHECK(!virtq_should_interrupt(&d.vq));
	/* A batch crossing the event: entries 4..6 include 5. */
	put16(&d, USED_EVENT, 5);
	serve(&d, 3);
	CHECK(virtq_should_interrupt(&d.vq));
	/* Once signalled, the same window does not signal again. */
	CHECK(!virtq_should_interrupt(&d.vq));
	teardown(&d);
}

/* Serves chains until the used index is @idx, checking interrupts away. */
static void advance_used_to(struct drv *d, uint16_t idx)
{
	while (get16(d, USED_GPA + 2) != idx) {
		serve(d, 1);
		virtq_should_interrupt(&d->vq);
	}
}

TEST(used_event_wraps_at_65536)
{
	struct drv d;

	setup(&d, true, false);
	desc(&d, 0, DATA_GPA, 8, W, 0);
	advance_used_to(&d, 65534);
	/* Entries 65534 and 65535: an event at 0 is not crossed... */
	put16(&d, USED_EVENT, 0);
	serve(&d, 2);
	CHECK(!virtq_should_interrupt(&d.vq));
	/* ...entry 0 crosses it. */
	serve(&d, 1);
	CHECK(virtq_should_interrupt(&d.vq));
	teardown(&d);

	setup(&d, true, false);
	desc(&d, 0, DATA_GPA, 8, W, 0);
	advance_used_to(&d, 65535);
	put16(&d, USED_EVENT, 65535);
	serve(&d, 2);
	CHECK(virtq_should_interrupt(&d.vq));
	CHECK_EQ(get16(&d, USED_GPA + 2), 1);
	teardown(&d);
}

TEST(used_event_missed_by_65536_pushes_still_interrupts)
{
	struct drv d;
	unsigned int i;

	setup(&d, true, false);
	desc(&d, 0, DATA_GPA, 8, W, 0);
	put16(&d, USED_EVENT, 7);
	for (i = 0; i < 65536; i++)
		serve(&d, 1);
	CHECK(virtq_should_interrupt(&d.vq));
	teardown(&d);
}

TEST(no_notify_flag_without_event_idx)
{
	struct drv d;

	setup(&d, false, false);
	desc(&d, 0, DATA_GPA, 8, W, 0);
	CHECK(!virtq_notify_enable(&d.vq, false));
	CHECK_EQ(get16(&d, USED_GPA), VIRTQ_USED_F_NO_NOTIFY);
	offer(&d, 0);
	CHECK(virtq_notify_enable(&d.vq, false));
	CHECK(virtq_notify_enable(&d.vq, true));
	CHECK_EQ(get16(&d, USED_GPA), 0);
	CHECK_EQ(pop(&d), 1);
	CHECK(!virtq_notify_enable(&d.vq, true));
	teardown(&d);
}

TEST(avail_event_requests_kicks)
{
	struct drv d;

	setup(&d, true, false);
	desc(&d, 0, DATA_GPA, 8, W, 0);
	put16(&d, AVAIL_EVENT, 0x5555);
	serve(&d, 3);
	/* Kicks off while serving: avail_event and flags stay as they were. */
	CHECK(!virtq_notify_enable(&d.vq, false));
	CHECK_EQ(get16(&d, USED_GPA), 0);
	CHECK_EQ(get16(&d, AVAIL_EVENT), 0x5555);
	/* Re-enabled: kick me when the entry at index 3 is written. */
	CHECK(!virtq_notify_enable(&d.vq, true));
	CHECK_EQ(get16(&d, AVAIL_EVENT), 3);
	offer(&d, 0);
	CHECK(virtq_notify_enable(&d.vq, true));
	teardown(&d);
}

TEST(empty_pop_rearms_avail_event)
{
	struct drv d;

	setup(&d, true, false);
	desc(&d, 0, DATA_GPA, 8, W, 0);
	serve(&d, 2);
	CHECK_EQ(get16(&d, AVAIL_EVENT), 0);
	CHECK_EQ(pop(&d), 0);
	CHECK_EQ(get16(&d, AVAIL_EVENT), 2);
	/* Not while the device has kicks off. */
	virtq_notify_enable(&d.vq, false);
	serve(&d, 1);
	CHECK_EQ(pop(&d), 0);
	CHECK_EQ(get16(&d, AVAIL_EVENT), 2);
	teardown(&d);
}

TEST(avail_event_wraps_at_65536)
{
	struct drv d;

	setup(&d, true, false);
	desc(&d, 0, DATA_GPA, 8, W, 0);
	advance_used_to(&d, 65535);
	serve(&d, 2);
	CHECK_EQ(pop(&d), 0);
	CHECK_EQ(get16(&d, AVAIL_EVENT), 1);
	teardown(&d);
}

/*
 * A driver and a device on two threads, as a guest vCPU and an I/O thread:
 * every request must come back with its answer, and no kick or interrupt
 * may be lost (a lost one shows as a wait that times out).
 */
#define STRESS_REQUESTS	100000
#define STRESS_SLOTS	(QSIZE / 2)	/* two descriptors per chain */
#define SLOT_GPA(s)	(DATA_GPA + 16 * (s))

struct stress {
	struct drv d;
	sem_t kick, irq;
	bool stop, lost_kick, bad_request;
	uint64_t kicks, irqs;
	/* Driver side: requests in flight per slot, used entries seen. */
	uint64_t reqs[STRESS_SLOTS];
	bool busy[STRESS_SLOTS];
	uint16_t last_used;
};

static uint16_t *gp16(struct drv *d, uint64_t gpa)
{
	return gp(d, gpa);
}

static uint64_t *gp64(struct drv *d, uint64_t gpa)
{
	return gp(d, gpa);
}

/* Waits up to a second; false if nothing came. */
static bool wait_for(sem_t *sem)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	while (sem_timedwait(sem, &ts) < 0)
		if (errno != EINTR)
			return false;
	return true;
}

/* Answers each request (a number in its readable half) with its triple. */
static void *stress_device(void *opaque)
{
	struct stress *s = opaque;
	struct virtq *vq = &s->d.vq;
	uint64_t req;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (!wait_for(&s->kick)) {
			s->lost_kick = true;
			break;
		}
		/* Without EVENT_IDX, the kicks-off-while-serving style. */
		do {
			if (!vq->event_idx)
				virtq_notify_enable(vq, false);
			while (virtq_pop(vq, &s->d.elem) == 1) {
				memcpy(&req, s->d.iov[0].iov_base, 8);
				req *= 3;
				memcpy(s->d.iov[1].iov_base, &req, 8);
				virtq_push(vq, s->d.elem.head, 8);
				if (virtq_should_interrupt(vq))
					sem_post(&s->irq);
			}
		} while (!vq->event_idx && virtq_notify_enable(vq, true));
		s->bad_request |= vq->broken;
	}
	return NULL;
}

/* Does the device want a kick for the entries old .. new - 1 (2.7.10)? */
static bool driver_must_kick(struct stress *s, uint16_t new, uint16_t old)
{
	struct drv *d = &s->d;
	uint16_t event;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!d->vq.event_idx)
		return !(__atomic_load_n(gp16(d, USED_GPA), __ATOMIC_RELAXED) &
			 VIRTQ_USED_F_NO_NOTIFY);
	event = __atomic_load_n(gp16(d, AVAIL_EVENT), __ATOMIC_RELAXED);
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

static void driver_submit(struct stress *s, unsigned int slot, uint64_t req)
{
	struct drv *d = &s->d;
	uint16_t head = 2 * slot;

	__atomic_store_n(gp64(d, SLOT_GPA(slot)), req, __ATOMIC_RELAXED);
	desc(d, head, SLOT_GPA(slot), 8, R | N, head + 1);
	desc(d, head + 1, SLOT_GPA(slot) + 8, 8, W, 0);
	put16(d, AVAIL_GPA + 4 + 2 * (d->avail_idx % QSIZE), head);
	d->avail_idx++;
	__atomic_store_n(gp16(d, AVAIL_GPA + 2), d->avail_idx,
			 __ATOMIC_RELEASE);
	if (driver_must_kick(s, d->avail_idx, d->avail_idx - 1)) {
		s->kicks++;
		sem_post(&s->kick);
	}
}

/* The used entry at @entry answers a request in flight, correctly. */
static bool answered(struct stress *s, uint64_t entry)
{
	unsigned int slot = get32(&s->d, entry) / 2;

	return slot < STRESS_SLOTS && s->busy[slot] &&
	       get32(&s->d, entry + 4) == 8 &&
	       *gp64(&s->d, SLOT_GPA(slot) + 8) == 3 * s->reqs[slot];
}

/* Takes back answered requests; returns how many, or -1 if one is wrong. */
static int driver_reap(struct stress *s)
{
	uint16_t idx = __atomic_load_n(gp16(&s->d, USED_GPA + 2),
				       __ATOMIC_ACQUIRE);
	int n = 0;

	for (; s->last_used != idx; s->last_used++, n++) {
		uint64_t entry = USED_GPA + 4 + 8 * (s->last_used % QSIZE);

		if (!answered(s, entry))
			return -1;
		s->busy[get32(&s->d, entry) / 2] = false;
	}
	return n;
}

/* Asks for an interrupt at the next used entry, then waits for it. */
static bool driver_wait(struct stress *s)
{
	struct drv *d = &s->d;

	if (d->vq.event_idx)
		__atomic_store_n(gp16(d, USED_EVENT), s->last_used,
				 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(gp16(d, USED_GPA + 2), __ATOMIC_ACQUIRE) !=
	    s->last_used)
		return true;
	s->irqs++;
	return wait_for(&s->irq);
}

static bool stress_driver(struct stress *s)
{
	uint64_t sent = 0, done = 0;
	unsigned int slot;
	int n;

	for (;;) {
		n = driver_reap(s);
		if (n < 0)
			return false;
		done += n;
		if (done == STRESS_REQUESTS)
			return true;
		for (slot = 0; slot < STRESS_SLOTS && s->busy[slot]; slot++)
			;
		if (slot < STRESS_SLOTS && sent < STRESS_REQUESTS) {
			s->reqs[slot] = ++sent;
			s->busy[slot] = true;
			driver_submit(s, slot, sent);
		} else if (!driver_wait(s)) {
			return false;
		}
	}
}

static void stress(bool event_idx)
{
	struct stress s = { 0 };
	pthread_t device;
	bool ok;

	setup(&s.d, event_idx, false);
	sem_init(&s.kick, 0, 0);
	sem_init(&s.irq, 0, 0);
	pthread_create(&device, NULL, stress_device, &s);
	ok = stress_driver(&s);
	__atomic_store_n(&s.stop, true, __ATOMIC_RELEASE);
	sem_post(&s.kick);
	pthread_join(device, NULL);
	CHECK(ok);
	CHECK(!s.lost_kick);
	CHECK(!s.bad_request);
	printf("  %s: %d requests, %" PRIu64 " kicks, %" PRIu64
	       " interrupt waits\n", event_idx ? "EVENT_IDX" : "flags",
	       STRESS_REQUESTS, s.kicks, s.irqs);
	sem_destroy(&s.kick);
	sem_destroy(&s.irq);
	teardown(&s.d);
}

TEST(concurrent_driver_with_event_idx)
{
	stress(true);
}

TEST(concurrent_driver_with_flags)
{
	stress(false);
}

int main(void)
{
	RUN(enable_accepts_spec_alignments_and_sizes);
	RUN(enable_rejects_bad_sizes);
	RUN(enable_rejects_misaligned_rings);
	RUN(enable_rejects_rings_outside_ram);
	RUN(disabled_queue_serves_nothing);
	RUN(pops_nothing_from_an_empty_ring);
	RUN(pops_readable_then_writable_chain);
	RUN(pops_chains_in_avail_order);
	RUN(zero_length_buffers_take_no_iov);
	RUN(chain_of_queue_size_fits);
	RUN(push_fills_used_entry_then_idx);
	RUN(indexes_wrap_at_65536);
	RUN(full_ring_is_not_a_jump);
	RUN(indirect_table);
	RUN(direct_descriptors_then_indirect_table);
	RUN(indirect_table_of_queue_size_fits);
	RUN(chain_of_exactly_4_gib_is_accepted);
	RUN(rejects_loop);
	RUN(rejects_self_loop_of_zero_length);
	RUN(rejects_next_past_queue);
	RUN(rejects_head_past_queue);
	RUN(rejects_avail_idx_jumping_past_queue);
	RUN(rejects_readable_after_writable);
	RUN(rejects_zero_length_readable_after_writable);
	RUN(rejects_buffers_outside_ram);
	RUN(rejects_chain_over_4_gib);
	RUN(rejects_chain_longer_than_max_iov);
	RUN(rejects_indirect_not_negotiated);
	RUN(rejects_bad_indirect_tables);
	RUN(rejects_bad_chains_inside_indirect_tables);
	RUN(rejects_readable_table_after_writable_descriptor);
	RUN(rejects_direct_plus_indirect_longer_than_queue);
	RUN(broken_queue_pushes_nothing);
	RUN(no_interrupt_flag);
	RUN(used_event_suppresses_interrupts);
	RUN(used_event_wraps_at_65536);
	RUN(used_event_missed_by_65536_pushes_still_interrupts);
	RUN(no_notify_flag_without_event_idx);
	RUN(avail_event_requests_kicks);
	RUN(empty_pop_rearms_avail_event);
	RUN(avail_event_wraps_at_65536);
	RUN(concurrent_driver_with_event_idx);
	RUN(concurrent_driver_with_flags);
	return check_summary();
}
