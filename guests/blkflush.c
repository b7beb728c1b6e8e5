// SPDX-License-Identifier: MIT
/*
 * Rewrites sectors 0 to sectors-1 of the first virtio-blk disk over and
 * over, each pass ("generation") stamped into every sector, and flushes
 * after each pass; then says so on the console:
 *
 *	blkflush: generation G durable
 *
 * so that a host test can stop kvmlite at any moment and require every
 * sector to hold generation G or later.  Runs until stopped, or for
 * passes=N passes.  With slots=N, generation G writes slot (G - 1) % N,
 * sectors from ((G - 1) % N) * sectors on, so that the first N passes
 * write where nothing was (a qcow2 image allocates for each).
 *
 *	sectors=N [passes=N] [slots=N]
 */
#include "guest.h"
#include "blk.h"
#include "clock.h"
#include "irq.h"
#include "virtio.h"

#define QUEUE_SIZE	64
#define MAX_SECTORS	256
#define FEATURES	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_FLUSH))

static uint8_t buf[MAX_SECTORS * BLK_SECTOR] __attribute__((aligned(4096)));

/* Every 8-byte word: the sector number in the high half, G in the low. */
static void stamp(uint64_t first, unsigned long sectors, uint32_t generation)
{
	uint64_t *word = (uint64_t *)buf;
	unsigned long i;

	for (i = 0; i < sectors * BLK_SECTOR / 8; i++)
		word[i] = (first + i * 8 / BLK_SECTOR) << 32 | generation;
}

int guest_main(const struct boot_info *bi)
{
	static struct virtio_dev dev;
	unsigned long sectors, passes = ~0UL, slots = 1;
	const char *val = cmdline_get(bi->cmdline, "passes");
	const char *nr_slots = cmdline_get(bi->cmdline, "slots");
	uint64_t first;
	uint32_t gen;
	int r;

	if (!cmdline_parse_ulong(cmdline_get(bi->cmdline, "sectors") ?: "",
				 &sectors) || !sectors ||
	    sectors > MAX_SECTORS || (val && !cmdline_parse_ulong(val, &passes)) ||
	    (nr_slots && (!cmdline_parse_ulong(nr_slots, &slots) || !slots))) {
		printf("usage: sectors=N (1-%u) [passes=N] [slots=N]\n",
		       MAX_SECTORS);
		return GUEST_EXIT_BAD_ARGS;
	}
	irq_init();
	tsc_khz();
	if (blk_open_first(&dev, FEATURES, QUEUE_SIZE) ||
	    !(dev.features & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH))) {
		printf("blkflush: no virtio-blk disk with FLUSH\n");
		return 1;
	}
	for (gen = 1; gen <= passes; gen++) {
		first = (uint64_t)((gen - 1) % slots) * sectors;
		stamp(first, sectors, gen);
		r = blk_request(&dev.vq[0], VIRTIO_BLK_T_OUT, first, buf,
				sectors * BLK_SECTOR, 4096, false);
		if (r == VIRTIO_BLK_S_OK)
			r = blk_request(&dev.vq[0], VIRTIO_BLK_T_FLUSH, 0,
					NULL, 0, 0, false);
		if (r != VIRTIO_BLK_S_OK) {
			printf("blkflush: generation %u failed: %s\n", gen,
			       blk_result_name(r));
			return 1;
		}
		printf("blkflush: generation %u durable\n", gen);
	}
	return 0;
}
