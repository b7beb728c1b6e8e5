// SPDX-License-Identifier: MIT
/*
 * virtio-blk throughput for the benchmark: keeps qd requests of bs bytes
 * in flight on queue 0 until total MiB have moved, then prints the rate.
 *
 *	mode=read|write|randread bs=BYTES qd=N total=MIB [wait=poll|irq]
 *
 * read and write go sequentially from sector 0 (wrapping at the end of
 * the disk), randread picks bs-aligned offsets at random; write writes
 * WRITE_PATTERN over and over.  Each request owns a fixed run of
 * descriptors, so requests may complete in any order.
 *
 * With wait=poll (the default) the loop runs in user mode, asks for no
 * interrupts and polls the used ring: hosts that emulate kernel-mode code
 * run it natively, so the figures measure the VMM and not the emulator.
 * With wait=irq it runs in kernel mode, halts while it waits and MSI-X
 * wakes it.  The same guest runs under every VMM compared, so only the
 * VMM differs.
 */
#include "guest.h"
#include "blk.h"
#include "clock.h"
#include "irq.h"
#include "usermode.h"
#include "virtio.h"

#define QUEUE_SIZE		256
#define MAX_QD			64
#define MAX_DATA_SEGS		64
#define POOL_SIZE		(16UL << 20)	/* the data buffers */
#define WRITE_PATTERN		"blkbench write.\n"
#define PATTERN_LEN		(sizeof(WRITE_PATTERN) - 1)
#define WANTED_FEATURES	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
			 VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX))

enum bench_mode { BENCH_READ, BENCH_WRITE, BENCH_RANDREAD };

struct bench {
	enum bench_mode mode;
	unsigned long bs, qd, total_mib;
	bool poll;			/* user mode, no interrupts */
	int bad_status;			/* of the request that failed */
	uint64_t capacity;		/* sectors */
	uint32_t seg_len;		/* bytes per data descriptor */
	unsigned int slot_descs;	/* descriptors per request */
	uint64_t next_sector;		/* sequential modes */
	uint64_t rng;
	struct virtio_dev dev;
	struct blk_req req[MAX_QD];
};

static uint8_t pool[POOL_SIZE]
	__attribute__((section(".noinit"), aligned(4096)));

static bool parse(struct bench *b, const char *cmdline)
{
	const char *mode = cmdline_get(cmdline, "mode");
	const char *bs = cmdline_get(cmdline, "bs");
	const char *qd = cmdline_get(cmdline, "qd");
	const char *total = cmdline_get(cmdline, "total");

	if (!bs || !qd || !total ||
	    !cmdline_parse_ulong(bs, &b->bs) ||
	    !cmdline_parse_ulong(qd, &b->qd) ||
	    !cmdline_parse_ulong(total, &b->total_mib))
		return false;
	if (cmdline_value_is(mode, "read"))
		b->mode = BENCH_READ;
	else if (cmdline_value_is(mode, "write"))
		b->mode = BENCH_WRITE;
	else if (cmdline_value_is(mode, "randread"))
		b->mode = BENCH_RANDREAD;
	else
		return false;
	if (!usermode_parse_wait(cmdline, &b->poll))
		return false;
	return b->bs >= BLK_SECTOR && !(b->bs % BLK_SECTOR) && b->qd &&
	       b->qd <= MAX_QD && b->bs * b->qd <= POOL_SIZE &&
	       b->total_mib && (b->total_mib << 20) % b->bs == 0;
}

/* Segment size and descriptors per request from the device's limits. */
static bool layout(struct bench *b)
{
	struct virtio_dev *d = &b->dev;
	uint32_t size_max = 0, seg_max = 0;
	unsigned long segs;

	if (d->features & VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX))
		size_max = virtio_config_read32(d, VIRTIO_BLK_CFG_SIZE_MAX);
	if (d->features & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX))
		seg_max = virtio_config_read32(d, VIRTIO_BLK_CFG_SEG_MAX);
	b->seg_len = size_max && size_max < b->bs ? size_max & ~4095U : b->bs;
	if (!b->seg_len)
		return false;
	segs = (b->bs + b->seg_len - 1) / b->seg_len;
	b->slot_descs = segs + 2;
	b->capacity = virtio_config_read64(d, VIRTIO_BLK_CFG_CAPACITY);
	return segs <= MAX_DATA_SEGS && (!seg_max || segs <= seg_max) &&
	       b->slot_descs * b->qd <= d->vq[0].size &&
	       b->capacity >= b->bs / BLK_SECTOR;
}

static uint64_t next_sector(struct bench *b)
{
	uint64_t per_req = b->bs / BLK_SECTOR, sector;

	if (b->mode == BENCH_RANDREAD) {
		b->rng = b->rng * 6364136223846793005ULL + 1442695040888963407ULL;
		return (b->rng >> 16) % (b->capacity / per_req) * per_req;
	}
	if (b->next_sector + per_req > b->capacity)
		b->next_sector = 0;
	sector = b->next_sector;
	b->next_sector += per_req;
	return sector;
}

/* Request @slot: header, data in seg_len pieces, status byte. */
static void submit(struct bench *b, unsigned int slot)
{
	struct virtio_seg segs[2 + MAX_DATA_SEGS];
	struct blk_req *r = &b->req[slot];
	uint8_t *data = pool + slot * b->bs;
	bool reads = b->mode != BENCH_WRITE;
	unsigned int n = 0;
	unsigned long off;

	r->hdr.type = reads ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;
	r->hdr.reserved = 0;
	r->hdr.sector = next_sector(b);
	r->status = 0xff;
	segs[n++] = (struct virtio_seg){ (uintptr_t)&r->hdr, sizeof(r->hdr),
					 false };
	for (off = 0; off < b->bs; off += b->seg_len)
		segs[n++] = (struct virtio_seg){
			(uintptr_t)data + off,
			b->bs - off < b->seg_len ? b->bs - off : b->seg_len,
			reads };
	segs[n++] = (struct virtio_seg){ (uintptr_t)&r->status, 1, true };
	virtq_add_at(&b->dev.vq[0], slot * b->slot_descs, segs, n);
}

/* In user mode even with wait=irq: emulated, 16 MiB would take seconds. */
static uint64_t fill_pattern(void *arg)
{
	const struct bench *b = arg;
	unsigned long off;

	for (off = 0; off + PATTERN_LEN <= b->bs * b->qd; off += PATTERN_LEN)
		memcpy(pool + off, WRITE_PATTERN, PATTERN_LEN);
	return 0;
}

/* Waits for a used entry the device has not written yet. */
static void wait_used(struct bench *b)
{
	if (b->poll)
		cpu_relax();
	else if (virtq_arm_interrupt(&b->dev.vq[0]))
		asm volatile("sti; hlt; cli" : : : "memory");
}

/*
 * Runs the whole transfer, in user mode if polling; returns the TSC
 * cycles it took, or 0 with bad_status set if a request failed.
 */
static uint64_t run(void *arg)
{
	struct bench *b = arg;
	struct virtq *vq = &b->dev.vq[0];
	unsigned long total = (b->total_mib << 20) / b->bs;
	unsigned long submitted = 0, done = 0;
	struct virtq_used_elem used;
	uint64_t start = rdtsc();

	while (submitted < b->qd && submitted < total)
		submit(b, submitted++);
	virtq_kick(vq);
	while (done < total) {
		bool more = false;

		while (virtq_get_used(vq, &used)) {
			unsigned int slot = used.id / b->slot_descs;

			if (slot >= b->qd ||
			    b->req[slot].status != VIRTIO_BLK_S_OK) {
				b->bad_status = slot < b->qd ?
						b->req[slot].status : -1;
				return 0;
			}
			done++;
			if (submitted < total) {
				submit(b, slot);
				submitted++;
				more = true;
			}
		}
		if (more)
			virtq_kick(vq);
		else if (done < total)
			wait_used(b);
	}
	return rdtsc() - start;
}

/* Returns the microseconds the transfer took, 0 after printing an error. */
static uint64_t run_timed(struct bench *b)
{
	uint64_t cycles;

	b->dev.vq[0].polled = b->poll;
	if (b->poll && usermode_allow(b->dev.vq[0].notify, sizeof(uint16_t))) {
		printf("blkbench: cannot open the notify region to user mode\n");
		return 0;
	}
	if (b->mode == BENCH_WRITE)
		usermode_call(fill_pattern, b);
	cycles = b->poll ? usermode_call(run, b) : run(b);
	if (!cycles) {
		printf("blkbench: request failed, status %d\n", b->bad_status);
		return 0;
	}
	return tsc_to_us(cycles) ?: 1;
}

int guest_main(const struct boot_info *bi)
{
	static struct bench b;
	static const char *const names[] = { "read", "write", "randread" };
	uint64_t us, bytes;

	if (!parse(&b, bi->cmdline)) {
		printf("usage: mode=read|write|randread bs=BYTES qd=N "
		       "total=MIB [wait=poll|irq]\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	irq_init();
	if (usermode_init())
		return 1;
	tsc_khz();
	b.rng = rdtsc();
	if (blk_open_first(&b.dev, WANTED_FEATURES, QUEUE_SIZE) || !layout(&b)) {
		printf("blkbench: no usable virtio-blk device\n");
		return 1;
	}
	us = run_timed(&b);
	if (!us)
		return 1;
	bytes = b.total_mib << 20;
	printf("blkbench: mode=%s bs=%lu qd=%lu bytes=%lu us=%lu "
	       "MBps=%lu IOPS=%lu\n", names[b.mode], b.bs, b.qd, bytes, us,
	       bytes / us, bytes / b.bs * 1000000 / us);
	return 0;
}
