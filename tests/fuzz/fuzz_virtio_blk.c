// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-blk request parsing: the input is a hostile
 * driver's queue.  The device (on a fake PCI bus, as in
 * tests/unit/test_virtio_blk.c, with a 64 KiB raw image) is made once;
 * for each input the driver resets it, negotiates features, lays queue 0
 * out from the input, kicks, and waits until the device has used every
 * chain it made available, or gave up on the queue.
 *
 * Input layout:
 *	0	bit 0 INDIRECT_DESC, bit 1 EVENT_IDX
 *	1	queue size: 1 << (n % 9)
 *	2	the RAM image from RING_GPA on: the descriptor table, the
 *		available ring right after it, then anything (request
 *		headers, data, indirect tables); the used ring follows the
 *		image.  Descriptors may point anywhere in RAM.
 */
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "fake_pci.h"
#include "virtio_driver.h"
#include "kvmlite/block.h"
#include "kvmlite/memory.h"
#include "kvmlite/virtio_blk.h"
#include "kvmlite/virtio_pci.h"

#define RAM_SIZE	(1u << 20)
#define IMAGE_SIZE	(64u << 10)
#define RING_GPA	0x10000u
#define MAX_IMAGE	0x8000u
#define USED_GPA	(RING_GPA + MAX_IMAGE)
#define HEADER_SIZE	2
#define WAIT_NS		100000000LL

static struct guest_mem ram;
static struct virtio_blk *vb;

static void setup(void)
{
	char path[] = "/tmp/kvmlite-fuzz-blk-XXXXXX", err[512];
	struct block_options o = { .filename = path, .format = "raw" };
	struct virtio_blk_params p = { .num_queues = 1, .slot = -1 };
	int fd = mkstemp(path);

	ENSURE(fd >= 0 && !ftruncate(fd, IMAGE_SIZE));
	close(fd);
	p.bs = block_open(&o, err, sizeof(err));
	unlink(path);
	ENSURE(p.bs && !guest_mem_init(&ram, RAM_SIZE));
	vb = virtio_blk_create(new_host(), &ram, &p, err, sizeof(err));
	ENSURE(vb);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint16_t used_idx(void)
{
	const uint16_t *idx = guest_ptr(&ram, USED_GPA + 2, 2);

	return __atomic_load_n(idx, __ATOMIC_ACQUIRE);
}

/* Until every chain made available is used, or the device gave up. */
static void wait_done(uint16_t avail_idx)
{
	int64_t end = now_ns() + WAIT_NS;

	while (used_idx() != avail_idx && !(status() & S_NEEDS_RESET) &&
	       now_ns() < end)
		usleep(50);
}

static void bring_up(uint8_t flags, uint16_t size)
{
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1 |
			    1ULL << VIRTIO_BLK_F_FLUSH |
			    1ULL << VIRTIO_BLK_F_DISCARD |
			    1ULL << VIRTIO_BLK_F_WRITE_ZEROES |
			    1ULL << VIRTIO_BLK_F_SEG_MAX;

	if (flags & 1)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (flags & 2)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	set_status(0);
	negotiate(features);
	bar_write(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_SIZE, size, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_DESCLO, RING_GPA, 8);
	bar_write(VIRTIO_PCI_COMMON_Q_AVAILLO, RING_GPA + 16 * size, 8);
	bar_write(VIRTIO_PCI_COMMON_Q_USEDLO, USED_GPA, 8);
	enable_queue(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t qsize, avail_idx;
	size_t len;

	if (size < HEADER_SIZE)
		return 0;
	if (!vb)
		setup();
	qsize = 1u << (data[1] % 9);
	bring_up(data[0], qsize);
	len = size - HEADER_SIZE < MAX_IMAGE ? size - HEADER_SIZE : MAX_IMAGE;
	memset(guest_ptr(&ram, RING_GPA, 2 * MAX_IMAGE), 0, 2 * MAX_IMAGE);
	memcpy(guest_ptr(&ram, RING_GPA, len), data + HEADER_SIZE, len);
	avail_idx = fuzz_rd16(guest_ptr(&ram, RING_GPA + 16 * qsize + 2, 2));
	set_status(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	bar_write(VIRTIO_PCI_NOTIFY_OFFSET, 0, 2);
	wait_done(avail_idx);
	set_status(0);
	return 0;
}
