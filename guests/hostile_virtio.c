// SPDX-License-Identifier: MIT
/*
 * Attacks the first virtio-blk PCI disk with malformed rings, chains and
 * requests.  After each attack it notes what the device did (completed
 * the request, failed it, set DEVICE_NEEDS_RESET, or nothing), resets it,
 * and reads sector 0 again, which must match the read made before any
 * attack.  One line per attack:
 *
 *   hostile_virtio: NAME ok|FAIL OUTCOME[, what was wrong]
 *
 * An attack fails if the device does not recover, or does something an
 * attack rules out (completing a request it cannot have carried out).
 * Exits 0 if none failed.  The disk must not change: every request here
 * is a read, or a write that must fail.
 *
 * Command line: only=NAME[,NAME...] (run those attacks), skip=NAME[,NAME...],
 * qsize=N (entries of the attacked queue, a power of two, default 16),
 * strict (hold the device to kvmlite's stricter contract, below).
 */
#include "guest.h"
#include "blk.h"
#include "clock.h"
#include "irq.h"
#include "virtio.h"

#define PAGE_SIZE		4096
#define QSIZE_DEFAULT		16
#define ATTACK_WAIT_US		300000
#define STATUS_POLL_US		1000
#define BEYOND_RAM		(1ULL << 40)	/* no guest here has 1 TiB */
#define MMIO_HOLE		0xd0000000ULL	/* below 4 GiB, above -m 64M */
#define KICK_STORM		200
#define WANTED_FEATURES		(VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
				 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
				 VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | \
				 VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | \
				 VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES))

/* What the device did after an attack */
#define OUT_OK			0x1	/* completed with status OK */
#define OUT_ERR			0x2	/* completed with another status */
#define OUT_NEEDS_RESET		0x4
#define OUT_SILENT		0x8	/* nothing within ATTACK_WAIT_US */
#define OUT_ANY			0xf
/* A request the device cannot have carried out must not succeed. */
#define OUT_FAILED		(OUT_ERR | OUT_NEEDS_RESET)
#define OUT_NOT_OK		(OUT_ERR | OUT_NEEDS_RESET | OUT_SILENT)

struct attack {
	const char *name;
	void (*run)(struct virtq *vq);
	unsigned int allowed;		/* OUT_* the attack may end in */
	unsigned int strict;		/* ... under "strict" (kvmlite) */
};

/* Rings for the attacks that set queues up their own way */
struct rings {
	struct virtq_desc desc[VIRTQ_MAX_SIZE];
	uint8_t avail[PAGE_SIZE];
	uint8_t used[PAGE_SIZE];
};

static struct virtio_dev dev;
static unsigned int qsize = QSIZE_DEFAULT;
static bool strict;
static struct virtio_blk_outhdr hdr;
static uint8_t status;
static struct rings rings
	__attribute__((aligned(PAGE_SIZE), section(".noinit")));
static struct virtq_desc table[2 * VIRTQ_MAX_SIZE + 2]
	__attribute__((aligned(PAGE_SIZE), section(".noinit")));
static uint8_t data[2 * VIRTQ_MAX_SIZE * BLK_SECTOR]
	__attribute__((aligned(PAGE_SIZE), section(".noinit")));
static uint8_t sector0[BLK_SECTOR];
static struct virtio_blk_range range_seg;

/* Set by an attack: the rings are not ours to read, or a value was wrong */
static bool rings_unreadable;
static const char *attack_error;

static bool bring_up_device(void)
{
	return !virtio_negotiate(&dev, WANTED_FEATURES) &&
	       !virtio_irq_setup(&dev, true);
}

/* A device in a known good state with queue 0 of @size entries */
static bool bring_up(unsigned int size)
{
	if (!bring_up_device() || virtq_setup(&dev, 0, size))
		return false;
	virtio_driver_ok(&dev);
	return true;
}

/* ... with queue 0 of exactly @size entries at the given rings */
static bool bring_up_at(unsigned int size, uint64_t desc, uint64_t avail,
			uint64_t used)
{
	memset(&rings, 0, sizeof(rings));
	if (!bring_up_device() ||
	    virtq_setup_at(&dev, 0, size, desc, avail, used))
		return false;
	virtio_driver_ok(&dev);
	return true;
}

static void set_desc(struct virtq_desc *d, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* A one-sector read of sector 0 in t[i], t[i + 1], t[i + 2] */
static void read_chain(struct virtq_desc *t, unsigned int i)
{
	hdr = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN };
	status = 0xff;
	set_desc(&t[i], (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, i + 1);
	set_desc(&t[i + 1], (uintptr_t)data, BLK_SECTOR,
		 VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, i + 2);
	set_desc(&t[i + 2], (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0);
}

static void submit(struct virtq *vq, uint16_t head)
{
	virtq_publish(vq, head);
	virtq_kick(vq);
}

/* Queue 0's doorbell, without reading the rings first */
static void raw_kick(struct virtq *vq)
{
	mmio_write16(vq->notify, vq->index);
}

/* A read whose data descriptor is then edited by the attack */
static struct virtq_desc *read_with_data(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	return &vq->desc[1];
}

static void attack_loop(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	vq->desc[2].flags |= VIRTQ_DESC_F_NEXT;
	submit(vq, 0);
}

static void attack_self_loop(struct virtq *vq)
{
	read_with_data(vq)->next = 1;
	submit(vq, 0);
}

static void attack_next_oob(struct virtq *vq)
{
	read_with_data(vq)->next = vq->size;
	submit(vq, 0);
}

static void attack_head_oob(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	submit(vq, vq->size);
}

/* avail->idx a thousand entries ahead: more than the ring holds */
static void attack_avail_idx_jump(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	virtq_publish(vq, 0);
	vq->avail_idx += 1000;
	*(volatile uint16_t *)&vq->avail->idx = vq->avail_idx;
	virtq_kick(vq);
}

static void attack_addr_oob(struct virtq *vq)
{
	read_with_data(vq)->addr = BEYOND_RAM;
	submit(vq, 0);
}

static void attack_addr_hole(struct virtq *vq)
{
	read_with_data(vq)->addr = MMIO_HOLE;
	submit(vq, 0);
}

static void attack_addr_wrap(struct virtq *vq)
{
	struct virtq_desc *d = read_with_data(vq);

	d->addr = -(uint64_t)PAGE_SIZE;
	d->len = 2 * PAGE_SIZE;
	submit(vq, 0);
}

static void attack_giant_len(struct virtq *vq)
{
	read_with_data(vq)->len = 0xfffffe00;
	submit(vq, 0);
}

static void attack_zero_len(struct virtq *vq)
{
	read_with_data(vq)->len = 0;
	submit(vq, 0);
}

/* The header alone: no data, no status byte to report in */
static void attack_no_status(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	vq->desc[0].flags = 0;
	submit(vq, 0);
}

static void attack_status_readonly(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	vq->desc[2].flags = 0;
	submit(vq, 0);
}

static void attack_header_writable(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	vq->desc[0].flags |= VIRTQ_DESC_F_WRITE;
	submit(vq, 0);
}

/* sector * 512 wraps to 0 */
static void attack_sector_wrap(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	hdr.sector = 1ULL << 55;
	submit(vq, 0);
}

static void attack_sector_max(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	hdr.sector = ~0ULL;
	submit(vq, 0);
}

/* A DISCARD or WRITE_ZEROES request with one segment */
static void range_attack(struct virtq *vq, uint32_t type, uint64_t sector,
			 uint32_t count)
{
	read_chain(vq->desc, 0);
	hdr.type = type;
	range_seg = (struct virtio_blk_range){ sector, count, 0 };
	set_desc(&vq->desc[1], (uintptr_t)&range_seg, sizeof(range_seg),
		 VIRTQ_DESC_F_NEXT, 2);
	submit(vq, 0);
}

/* Zeroes that would land on sector 0 if the offset wrapped */
static void attack_zeroes_wrap(struct virtq *vq)
{
	range_attack(vq, VIRTIO_BLK_T_WRITE_ZEROES, 1ULL << 55, 8);
}

static void attack_zeroes_huge(struct virtq *vq)
{
	range_attack(vq, VIRTIO_BLK_T_WRITE_ZEROES, 0, 0xffffffff);
}

static void attack_discard_wrap(struct virtq *vq)
{
	range_attack(vq, VIRTIO_BLK_T_DISCARD, ~0ULL - 3, 8);
}

/* An indirect descriptor in ring slot 0 pointing at @addr, @len bytes */
static void indirect_head(struct virtq *vq, uint64_t addr, uint32_t len)
{
	set_desc(&vq->desc[0], addr, len, VIRTQ_DESC_F_INDIRECT, 0);
	submit(vq, 0);
}

/* A read through an indirect table of 2 * size + 2 entries */
static void attack_indirect_too_long(struct virtq *vq)
{
	unsigned int i, n = 2 * vq->size;

	read_chain(table, 0);
	for (i = 1; i <= n; i++)
		set_desc(&table[i], (uintptr_t)data + (i - 1) * BLK_SECTOR,
			 BLK_SECTOR, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
			 i + 1);
	set_desc(&table[n + 1], (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0);
	hdr.sector = 0;
	indirect_head(vq, (uintptr_t)table, (n + 2) * sizeof(table[0]));
}

static void attack_indirect_bad_len(struct virtq *vq)
{
	read_chain(table, 0);
	indirect_head(vq, (uintptr_t)table, 3 * sizeof(table[0]) + 1);
}

static void attack_indirect_zero_len(struct virtq *vq)
{
	read_chain(table, 0);
	indirect_head(vq, (uintptr_t)table, 0);
}

static void attack_indirect_len_huge(struct virtq *vq)
{
	read_chain(table, 0);
	indirect_head(vq, (uintptr_t)table, 0xfffffff0);
}

static void attack_indirect_nested(struct virtq *vq)
{
	read_chain(table, 4);
	set_desc(&table[0], (uintptr_t)&table[4], 3 * sizeof(table[0]),
		 VIRTQ_DESC_F_INDIRECT, 0);
	indirect_head(vq, (uintptr_t)table, sizeof(table[0]));
}

static void attack_indirect_loop(struct virtq *vq)
{
	read_chain(table, 0);
	table[2].flags |= VIRTQ_DESC_F_NEXT;
	indirect_head(vq, (uintptr_t)table, 3 * sizeof(table[0]));
}

static void attack_indirect_next_oob(struct virtq *vq)
{
	read_chain(table, 0);
	table[1].next = 3;
	indirect_head(vq, (uintptr_t)table, 3 * sizeof(table[0]));
}

static void attack_indirect_oob(struct virtq *vq)
{
	indirect_head(vq, BEYOND_RAM, 3 * sizeof(table[0]));
}

/* INDIRECT and NEXT together, which a driver must not set */
static void attack_indirect_with_next(struct virtq *vq)
{
	read_chain(table, 0);
	read_chain(vq->desc, 1);
	set_desc(&vq->desc[0], (uintptr_t)table, 3 * sizeof(table[0]),
		 VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	submit(vq, 0);
}

/* Sets queue 0 up again with @size entries on our own rings, then a read */
static void requeue(struct virtq *vq, unsigned int size)
{
	if (!virtio_reset(&dev) ||
	    !bring_up_at(size, (uintptr_t)rings.desc, (uintptr_t)rings.avail,
			 (uintptr_t)rings.used)) {
		rings_unreadable = true;
		return;
	}
	read_chain(vq->desc, 0);
	submit(vq, 0);
}

static void attack_qsize_not_pow2(struct virtq *vq)
{
	requeue(vq, 12);
}

static void attack_qsize_too_big(struct virtq *vq)
{
	requeue(vq, 0x8000);
}

/* No ring at all: enable it, and ring the doorbell */
static void attack_qsize_zero(struct virtq *vq)
{
	rings_unreadable = true;
	if (!virtio_reset(&dev) ||
	    !bring_up_at(0, (uintptr_t)rings.desc, (uintptr_t)rings.avail,
			 (uintptr_t)rings.used))
		return;
	raw_kick(vq);
}

static void attack_desc_ring_oob(struct virtq *vq)
{
	if (!virtio_reset(&dev) ||
	    !bring_up_at(qsize, BEYOND_RAM, (uintptr_t)rings.avail,
			 (uintptr_t)rings.used)) {
		rings_unreadable = true;
		return;
	}
	submit(vq, 0);
}

/* The device cannot read avail->idx: nothing to publish, only a kick */
static void attack_avail_ring_oob(struct virtq *vq)
{
	rings_unreadable = true;
	if (virtio_reset(&dev) &&
	    bring_up_at(qsize, (uintptr_t)rings.desc, BEYOND_RAM,
			(uintptr_t)rings.used))
		raw_kick(vq);
}

/* A request whose completion has nowhere to go */
static void attack_used_ring_oob(struct virtq *vq)
{
	rings_unreadable = true;
	if (!virtio_reset(&dev) ||
	    !bring_up_at(qsize, (uintptr_t)rings.desc, (uintptr_t)rings.avail,
			 BEYOND_RAM))
		return;
	read_chain(vq->desc, 0);
	virtq_publish(vq, 0);
	raw_kick(vq);
}

/* Rings at addresses the spec's alignment rules forbid */
static void attack_rings_misaligned(struct virtq *vq)
{
	if (!virtio_reset(&dev) ||
	    !bring_up_at(qsize, (uintptr_t)rings.desc + 8,
			 (uintptr_t)rings.avail + 1,
			 (uintptr_t)rings.used + 2)) {
		rings_unreadable = true;
		return;
	}
	read_chain(vq->desc, 0);
	submit(vq, 0);
}

/* A published read, but the doorbell names a queue that does not exist */
static void attack_notify_bad_queue(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	virtq_publish(vq, 0);
	mmio_write16(vq->notify, 99);
}

static void attack_kick_storm(struct virtq *vq)
{
	unsigned int i;

	for (i = 0; i < KICK_STORM; i++)
		raw_kick(vq);
	read_chain(vq->desc, 0);
	submit(vq, 0);
}

/* A queue that does not exist must read as size 0 and ignore writes. */
static void attack_select_bad_queue(struct virtq *vq)
{
	uint64_t common = dev.common;

	mmio_write16(common + VIRTIO_COMMON_Q_SELECT, 99);
	mmio_write16(common + VIRTIO_COMMON_Q_SIZE, 16);
	mmio_write32(common + VIRTIO_COMMON_Q_DESC, 0x1000);
	mmio_write16(common + VIRTIO_COMMON_Q_ENABLE, 1);
	if (mmio_read16(common + VIRTIO_COMMON_Q_SIZE))
		attack_error = "queue 99 has a size";
	mmio_write16(common + VIRTIO_COMMON_Q_SELECT, 0);
	read_chain(vq->desc, 0);
	submit(vq, 0);
}

/* A vector past the MSI-X table must read back as NO_VECTOR. */
static void attack_msix_bad_vector(struct virtq *vq)
{
	uint64_t common = dev.common;

	mmio_write16(common + VIRTIO_COMMON_Q_SELECT, 0);
	mmio_write16(common + VIRTIO_COMMON_Q_MSIX, 0x7ff);
	if (mmio_read16(common + VIRTIO_COMMON_Q_MSIX) != VIRTIO_NO_VECTOR)
		attack_error = "vector 0x7ff accepted";
	read_chain(vq->desc, 0);
	submit(vq, 0);
}

/* The device's own MSI-X pending bit array as a read buffer */
static void attack_dma_to_mmio(struct virtq *vq)
{
	uint32_t pba = pci_read32(dev.devfn, dev.msix_cap + PCI_MSIX_TABLE + 4);
	uint64_t bar;

	if (pci_bar(dev.devfn, pba & PCI_MSIX_BIR, &bar)) {
		attack_error = "no PBA";
		return;
	}
	read_with_data(vq)->addr = bar + (pba & ~PCI_MSIX_BIR);
	submit(vq, 0);
}

/* The configuration of a block device is read-only but for writeback. */
static void attack_config_write(struct virtq *vq)
{
	uint64_t capacity = virtio_config_read64(&dev, VIRTIO_BLK_CFG_CAPACITY);

	mmio_write32(dev.device + VIRTIO_BLK_CFG_CAPACITY, 0xffffffff);
	mmio_write32(dev.device + VIRTIO_BLK_CFG_SEG_MAX, 0);
	if (virtio_config_read64(&dev, VIRTIO_BLK_CFG_CAPACITY) != capacity)
		attack_error = "capacity changed";
	read_chain(vq->desc, 0);
	submit(vq, 0);
}

/* A reset while a request is in flight */
static void attack_reset_inflight(struct virtq *vq)
{
	read_chain(vq->desc, 0);
	submit(vq, 0);
	virtio_set_status(&dev, 0);
	rings_unreadable = true;
}

/*
 * QEMU 7.2 completes reads into memory that is not RAM (dropping the
 * data), takes indirect chains longer than the queue, and accepts rings
 * of any size and alignment: "allowed" admits that.  kvmlite promises
 * more (see the virtqueue contract): such buffers and rings are errors.
 */
static const struct attack attacks[] = {
	{ "loop", attack_loop, OUT_FAILED, OUT_FAILED },
	{ "self_loop", attack_self_loop, OUT_FAILED, OUT_FAILED },
	{ "next_oob", attack_next_oob, OUT_FAILED, OUT_FAILED },
	{ "head_oob", attack_head_oob, OUT_FAILED, OUT_FAILED },
	{ "avail_idx_jump", attack_avail_idx_jump, OUT_FAILED, OUT_FAILED },
	{ "addr_oob", attack_addr_oob, OUT_ANY, OUT_FAILED },
	{ "addr_hole", attack_addr_hole, OUT_ANY, OUT_FAILED },
	{ "addr_wrap", attack_addr_wrap, OUT_ANY, OUT_FAILED },
	{ "giant_len", attack_giant_len, OUT_FAILED, OUT_FAILED },
	{ "zero_len", attack_zero_len, OUT_ANY, OUT_ANY },
	{ "no_status", attack_no_status, OUT_FAILED, OUT_FAILED },
	{ "status_readonly", attack_status_readonly, OUT_FAILED, OUT_FAILED },
	{ "header_writable", attack_header_writable, OUT_FAILED, OUT_FAILED },
	{ "sector_wrap", attack_sector_wrap, OUT_FAILED, OUT_FAILED },
	{ "sector_max", attack_sector_max, OUT_FAILED, OUT_FAILED },
	{ "zeroes_wrap", attack_zeroes_wrap, OUT_FAILED, OUT_FAILED },
	{ "zeroes_huge", attack_zeroes_huge, OUT_FAILED, OUT_FAILED },
	{ "discard_wrap", attack_discard_wrap, OUT_FAILED, OUT_FAILED },
	{ "indirect_too_long", attack_indirect_too_long, OUT_ANY, OUT_FAILED },
	{ "indirect_bad_len", attack_indirect_bad_len, OUT_FAILED, OUT_FAILED },
	{ "indirect_zero_len", attack_indirect_zero_len, OUT_FAILED,
	  OUT_FAILED },
	{ "indirect_len_huge", attack_indirect_len_huge, OUT_FAILED,
	  OUT_FAILED },
	{ "indirect_nested", attack_indirect_nested, OUT_FAILED, OUT_FAILED },
	{ "indirect_loop", attack_indirect_loop, OUT_FAILED, OUT_FAILED },
	{ "indirect_next_oob", attack_indirect_next_oob, OUT_FAILED,
	  OUT_FAILED },
	{ "indirect_oob", attack_indirect_oob, OUT_FAILED, OUT_FAILED },
	{ "indirect_with_next", attack_indirect_with_next, OUT_ANY, OUT_ANY },
	{ "qsize_not_pow2", attack_qsize_not_pow2, OUT_ANY, OUT_NEEDS_RESET },
	{ "qsize_too_big", attack_qsize_too_big, OUT_ANY, OUT_ANY },
	{ "qsize_zero", attack_qsize_zero, OUT_NOT_OK, OUT_NOT_OK },
	{ "desc_ring_oob", attack_desc_ring_oob, OUT_NOT_OK, OUT_NEEDS_RESET },
	{ "avail_ring_oob", attack_avail_ring_oob, OUT_NOT_OK,
	  OUT_NEEDS_RESET },
	{ "used_ring_oob", attack_used_ring_oob, OUT_NOT_OK, OUT_NEEDS_RESET },
	{ "rings_misaligned", attack_rings_misaligned, OUT_ANY,
	  OUT_NEEDS_RESET },
	{ "notify_bad_queue", attack_notify_bad_queue, OUT_ANY, OUT_ANY },
	{ "kick_storm", attack_kick_storm, OUT_OK, OUT_OK },
	{ "select_bad_queue", attack_select_bad_queue, OUT_OK, OUT_OK },
	{ "msix_bad_vector", attack_msix_bad_vector, OUT_OK, OUT_OK },
	{ "dma_to_mmio", attack_dma_to_mmio, OUT_ANY, OUT_FAILED },
	{ "config_write", attack_config_write, OUT_OK, OUT_OK },
	{ "reset_inflight", attack_reset_inflight, OUT_ANY, OUT_ANY },
};

/* For rings the guest cannot read: only the status tells. */
static unsigned int wait_for_status(void)
{
	uint64_t start = rdtsc(), limit = tsc_cycles_us(ATTACK_WAIT_US);
	bool broken;

	irq_enable();
	while (!(broken = virtio_needs_reset(&dev)) && rdtsc() - start < limit)
		tsc_delay_us(STATUS_POLL_US);
	irq_disable();
	return broken ? OUT_NEEDS_RESET : OUT_SILENT;
}

static unsigned int observe(struct virtq *vq)
{
	struct virtq_used_elem elem;
	bool irq;

	if (rings_unreadable)
		return wait_for_status();
	switch (virtq_wait(vq, ATTACK_WAIT_US, &elem, &irq)) {
	case VIRTQ_NEEDS_RESET:
		return OUT_NEEDS_RESET;
	case VIRTQ_TIMEOUT:
		return virtio_needs_reset(&dev) ? OUT_NEEDS_RESET : OUT_SILENT;
	case VIRTQ_USED:
		break;
	}
	return status == VIRTIO_BLK_S_OK ? OUT_OK : OUT_ERR;
}

static void print_outcome(unsigned int outcome)
{
	switch (outcome) {
	case OUT_OK:
	case OUT_ERR:
		printf("completed %s", blk_result_name(status));
		break;
	case OUT_NEEDS_RESET:
		printf("NEEDS_RESET");
		break;
	default:
		printf("nothing");
	}
}

/* A fresh device, and sector 0 as it read before any attack */
static bool recovered(void)
{
	if (!virtio_reset(&dev) || !bring_up(qsize))
		return false;
	memset(data, 0, BLK_SECTOR);
	return blk_request(&dev.vq[0], VIRTIO_BLK_T_IN, 0, data, BLK_SECTOR,
			   BLK_SECTOR, false) == VIRTIO_BLK_S_OK &&
	       !memcmp(data, sector0, BLK_SECTOR);
}

static bool run_attack(const struct attack *a)
{
	unsigned int outcome, expected = strict ? a->strict : a->allowed;
	bool allowed, recovery;

	rings_unreadable = false;
	attack_error = NULL;
	if (!virtio_reset(&dev) || !bring_up(qsize)) {
		printf("hostile_virtio: %s FAIL the device would not set up\n",
		       a->name);
		return false;
	}
	a->run(&dev.vq[0]);
	outcome = observe(&dev.vq[0]);
	allowed = (outcome & expected) && !attack_error;
	printf("hostile_virtio: %s %s ", a->name, allowed ? "ok" : "FAIL");
	print_outcome(outcome);
	if (virtio_irq_count[VIRTIO_IRQ_SLOT_CONFIG])
		printf(", config interrupt");
	if (!(outcome & expected))
		printf(", not an outcome this attack allows");
	if (attack_error)
		printf(", %s", attack_error);
	recovery = recovered();
	printf("%s\n", recovery ? ", recovered" : ", did not recover");
	return allowed && recovery;
}

static bool at_end(const char *p)
{
	return !*p || *p == ' ';
}

/* Whether the comma-separated list at @list names @name */
static bool list_has(const char *list, const char *name)
{
	size_t len = strlen(name);

	while (!at_end(list)) {
		if (!strncmp(list, name, len) &&
		    (at_end(list + len) || list[len] == ','))
			return true;
		while (!at_end(list) && *list != ',')
			list++;
		if (*list == ',')
			list++;
	}
	return false;
}

static bool parse_qsize(const char *cmdline)
{
	const char *val = cmdline_get(cmdline, "qsize");
	unsigned long n = qsize;

	if (val && !cmdline_parse_ulong(val, &n))
		return false;
	qsize = n;
	return qsize && qsize <= VIRTQ_MAX_SIZE && !(qsize & (qsize - 1));
}

static bool set_up_disk(void)
{
	int devfn = virtio_pci_find(VIRTIO_ID_BLOCK, -1);

	return devfn >= 0 && !virtio_probe(&dev, devfn) && bring_up(qsize) &&
	       blk_request(&dev.vq[0], VIRTIO_BLK_T_IN, 0, sector0,
			   BLK_SECTOR, BLK_SECTOR, false) == VIRTIO_BLK_S_OK;
}

int guest_main(const struct boot_info *bi)
{
	const char *only = cmdline_get(bi->cmdline, "only");
	const char *skip = cmdline_get(bi->cmdline, "skip");
	unsigned int i, ran = 0, failed = 0;

	strict = cmdline_get(bi->cmdline, "strict");
	if (!parse_qsize(bi->cmdline)) {
		printf("hostile_virtio: bad qsize=\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	irq_init();
	tsc_khz();
	if (!set_up_disk()) {
		printf("hostile_virtio: no working virtio-blk disk\n");
		return 1;
	}
	for (i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		if (only && !list_has(only, attacks[i].name))
			continue;
		if (skip && list_has(skip, attacks[i].name)) {
			printf("hostile_virtio: %s skip\n", attacks[i].name);
			continue;
		}
		ran++;
		failed += !run_attack(&attacks[i]);
	}
	if (only && !ran) {
		printf("hostile_virtio: no attack named in only=\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	printf("hostile_virtio: done, %u attacks, %u failed\n", ran, failed);
	return failed ? 1 : 0;
}
