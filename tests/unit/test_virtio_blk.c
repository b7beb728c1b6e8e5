// SPDX-License-Identifier: MIT
/*
 * The virtio-blk device without KVM: a fake PCI bus, RAM from
 * guest_mem_init() and a raw image in a temporary file.  The test is the
 * driver: it writes descriptor chains into RAM, kicks through the notify
 * region and waits for the used ring, as a guest would.
 */
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "fake_pci.h"
#include "virtio_driver.h"
#include "kvmlite/block.h"
#include "kvmlite/memory.h"
#include "kvmlite/virtio_blk.h"
#include "kvmlite/virtio_pci.h"

#define SLOT		1
#define RAM_SIZE	(8u << 20)
#define IMAGE_SIZE	(1u << 20)
#define SECTORS		(IMAGE_SIZE / 512)
#define QSIZE		64
#define HDR_GPA		0x80000		/* per queue: 16 bytes per slot */
#define STATUS_GPA	0x90000		/* per queue: 1 byte per slot */
#define DATA_GPA	0x100000
#define DATA_SIZE	0x200000
#define SERIAL		"kvmlite-disk-7"
#define WAIT_NS		5000000000LL

#define BLK_FEATURES	((1ULL << VIRTIO_BLK_F_SIZE_MAX) |		\
			 (1ULL << VIRTIO_BLK_F_SEG_MAX) |		\
			 (1ULL << VIRTIO_BLK_F_BLK_SIZE) |		\
			 (1ULL << VIRTIO_BLK_F_FLUSH) |			\
			 (1ULL << VIRTIO_BLK_F_TOPOLOGY) |		\
			 (1ULL << VIRTIO_BLK_F_MQ) |			\
			 (1ULL << VIRTIO_BLK_F_DISCARD) |		\
			 (1ULL << VIRTIO_BLK_F_WRITE_ZEROES))
#define ALL_FEATURES	(BLK_FEATURES | (1ULL << VIRTIO_F_VERSION_1) |	\
			 (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |	\
			 (1ULL << VIRTIO_RING_F_EVENT_IDX))

static char dir[200];
static char img[256];
static struct guest_mem ram;
static struct pci_host *host;
static struct block *bs;
static struct virtio_blk *vb;

/* The driver's view of one queue. */
struct ring {
	uint64_t base;
	uint16_t size;
	uint16_t avail_idx;
	uint16_t next_desc;
};

static struct ring rings[2];

/* --- the image and the device -------------------------------------------- */

static uint8_t pattern(uint64_t offset)
{
	return (uint8_t)((offset >> 9) * 13 + offset);
}

static void make_image(void)
{
	static uint8_t buf[IMAGE_SIZE];
	int fd = open(img, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	CHECK(fd >= 0 && write(fd, buf, sizeof(buf)) == sizeof(buf));
	close(fd);
}

static bool image_has(uint64_t offset, const void *want, size_t len)
{
	uint8_t got[8192];
	int fd = open(img, O_RDONLY);
	bool same = len <= sizeof(got) && fd >= 0 &&
		    pread(fd, got, len, offset) == (ssize_t)len &&
		    !memcmp(got, want, len);

	close(fd);
	return same;
}

static void create(bool read_only, unsigned int num_queues)
{
	struct block_options o = {
		.filename = img, .format = "raw", .read_only = read_only,
		.discard = BLOCK_DISCARD_UNMAP,
	};
	struct virtio_blk_params p = {
		.serial = SERIAL, .num_queues = num_queues, .slot = -1,
	};
	char err[512];

	make_image();
	host = new_host();
	CHECK_EQ(guest_mem_init(&ram, RAM_SIZE), 0);
	bs = block_open(&o, err, sizeof(err));
	CHECK(bs != NULL);
	p.bs = bs;
	vb = virtio_blk_create(host, &ram, &p, err, sizeof(err));
	CHECK(vb != NULL);
	memset(rings, 0, sizeof(rings));
}

/* The device cannot be freed (its PCI function stays): it is shut. */
static void destroy(void)
{
	if (vb)
		virtio_blk_shutdown(vb);
	block_close(bs);
	guest_mem_free(&ram);
	free_host(host);
	vb = NULL;
	bs = NULL;
}

static uint64_t offered(void)
{
	uint64_t lo, hi;

	bar_write(VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	lo = bar_read(VIRTIO_PCI_COMMON_DF, 4);
	bar_write(VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	hi = bar_read(VIRTIO_PCI_COMMON_DF, 4);
	return hi << 32 | lo;
}

static uint64_t config(unsigned int offset, unsigned int len)
{
	return bar_read(0x2000 + offset, len);
}

#define CONFIG(field)							\
	config(offsetof(struct virtio_blk_config, field),		\
	       sizeof(((struct virtio_blk_config *)0)->field))

/* Negotiates @features, sets up @nr queues of QSIZE and DRIVER_OK. */
static void bring_up(uint64_t features, unsigned int nr)
{
	unsigned int i;

	set_status(0);
	CHECK(negotiate(features) & S_FEATURES_OK);
	for (i = 0; i < nr; i++) {
		memset(guest_ptr(&ram, 0x10000 * (i + 1), 0x10000), 0, 0x10000);
		setup_queue(i, QSIZE);
		enable_queue(i);
		rings[i] = (struct ring){ .base = 0x10000 * (i + 1),
					  .size = QSIZE };
	}
	set_status(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	CHECK_EQ(status(), S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* --- the driver's side of the rings -------------------------------------- */

static void *gpa(uint64_t addr)
{
	return guest_ptr(&ram, addr, 1);
}

static struct vring_desc *descs(unsigned int q)
{
	return gpa(rings[q].base);
}

static struct vring_avail *avail(unsigned int q)
{
	return gpa(rings[q].base + 0x4000);
}

static struct vring_used *used(unsigned int q)
{
	return gpa(rings[q].base + 0x8000);
}

struct buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/* Writes a chain and makes it available; returns its head. */
static uint16_t add_chain(unsigned int q, const struct buf *bufs,
			  unsigned int n)
{
	struct ring *r = &rings[q];
	struct vring_desc *d = descs(q);
	uint16_t head = r->next_desc, idx;
	unsigned int i;

	for (i = 0; i < n; i++) {
		idx = (head + i) % r->size;
		d[idx].addr = bufs[i].addr;
		d[idx].len = bufs[i].len;
		d[idx].flags = (bufs[i].write ? VRING_DESC_F_WRITE : 0) |
			       (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		d[idx].next = (idx + 1) % r->size;
	}
	r->next_desc = (head + n) % r->size;
	avail(q)->ring[r->avail_idx % r->size] = head;
	__atomic_store_n(&avail(q)->idx, ++r->avail_idx, __ATOMIC_RELEASE);
	return head;
}

static void kick(unsigned int q)
{
	bar_write(VIRTIO_PCI_NOTIFY_OFFSET + 4 * q, q, 2);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Waits until the used index reaches @idx; false on timeout. */
static bool wait_used(unsigned int q, uint16_t idx)
{
	int64_t end = now_ns() + WAIT_NS;

	while (__atomic_load_n(&used(q)->idx, __ATOMIC_ACQUIRE) != idx) {
		if (now_ns() > end)
			return false;
		usleep(100);
	}
	return true;
}

static uint32_t used_len(unsigned int q, uint16_t idx)
{
	return used(q)->ring[idx % rings[q].size].len;
}

struct result {
	int status;	/* -1: no completion */
	uint32_t len;
};

/* Header, the data segments, the status byte: one request, waited for. */
static struct result run_chain(unsigned int q, uint32_t type,
			       uint64_t sector, const struct buf *data,
			       unsigned int nr_data)
{
	uint64_t hdr_gpa = HDR_GPA + q * 0x1000;
	uint64_t st_gpa = STATUS_GPA + q * 0x100;
	struct virtio_blk_outhdr *hdr = gpa(hdr_gpa);
	struct buf bufs[300];
	struct result res = { -1, 0 };
	uint8_t *st = gpa(st_gpa);
	unsigned int i;

	hdr->type = type;
	hdr->ioprio = 0;
	hdr->sector = sector;
	*st = 0xee;
	bufs[0] = (struct buf){ hdr_gpa, sizeof(*hdr), false };
	for (i = 0; i < nr_data; i++)
		bufs[i + 1] = data[i];
	bufs[nr_data + 1] = (struct buf){ st_gpa, 1, true };
	add_chain(q, bufs, nr_data + 2);
	kick(q);
	if (wait_used(q, rings[q].avail_idx)) {
		res.status = *st;
		res.len = used_len(q, rings[q].avail_idx - 1);
	}
	return res;
}

static struct result run(uint32_t type, uint64_t sector, uint64_t addr,
			 uint32_t len, bool write)
{
	struct buf data = { addr, len, write };

	return run_chain(0, type, sector, &data, len ? 1 : 0);
}

static struct result zeroes_or_discard(uint32_t type, uint64_t sector,
				       uint32_t sectors, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes *seg = gpa(DATA_GPA);

	seg->sector = sector;
	seg->num_sectors = sectors;
	seg->flags = flags;
	return run(type, 0, DATA_GPA, sizeof(*seg), false);
}

#define EXPECT_STATUS(res, want)					\
	CHECK_EQ((res).status, VIRTIO_BLK_S_##want)

/* --- cases --------------------------------------------------------------- */

TEST(identity_features_and_config)
{
	create(false, 3);
	CHECK_EQ(cfg_read(SLOT, 0, 4), 0x10421af4);
	CHECK_EQ(offered() & ~(1ULL << VIRTIO_F_VERSION_1 |
			       1ULL << VIRTIO_RING_F_INDIRECT_DESC |
			       1ULL << VIRTIO_RING_F_EVENT_IDX), BLK_FEATURES);
	CHECK_EQ(CONFIG(capacity), SECTORS);
	CHECK_EQ(CONFIG(size_max), 4u << 20);
	CHECK_EQ(CONFIG(seg_max), VIRTIO_BLK_QUEUE_SIZE - 2);
	CHECK_EQ(CONFIG(blk_size), block_alignment(bs) > 512 ?
				   block_alignment(bs) : 512u);
	CHECK_EQ(CONFIG(num_queues), 3);
	CHECK_EQ(CONFIG(max_discard_seg), 1);
	CHECK_EQ(CONFIG(max_write_zeroes_seg), 1);
	CHECK_EQ(CONFIG(write_zeroes_may_unmap), 1);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_NUMQ, 2), 3);
	CHECK_EQ(queue_reg(0, VIRTIO_PCI_COMMON_Q_SIZE),
		 VIRTIO_BLK_QUEUE_SIZE);
	destroy();
	create(true, 1);
	CHECK(offered() & 1ULL << VIRTIO_BLK_F_RO);
	destroy();
}

/* A write in two segments, read back in three, lands in the image. */
TEST(read_and_write)
{
	uint8_t *data, want[4096];
	struct buf out[2] = { { DATA_GPA, 1024, false },
			      { DATA_GPA + 8192, 3072, false } };
	struct buf in[3] = { { DATA_GPA + 0x10000, 512, true },
			     { DATA_GPA + 0x20000 + 7, 1536, true },
			     { DATA_GPA + 0x30000, 2048, true } };
	struct result res;
	size_t i;

	create(false, 1);
	bring_up(ALL_FEATURES, 1);
	data = gpa(DATA_GPA);
	for (i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(i * 7 + 1);
	memcpy(data, want, 1024);
	memcpy(data + 8192, want + 1024, 3072);
	res = run_chain(0, VIRTIO_BLK_T_OUT, 40, out, 2);
	EXPECT_STATUS(res, OK);
	CHECK_EQ(res.len, 1);
	CHECK(image_has(40 * 512, want, sizeof(want)));
	res = run_chain(0, VIRTIO_BLK_T_IN, 40, in, 3);
	EXPECT_STATUS(res, OK);
	CHECK_EQ(res.len, 4096 + 1);
	CHECK(!memcmp(gpa(DATA_GPA + 0x10000), want, 512));
	CHECK(!memcmp(gpa(DATA_GPA + 0x20007), want + 512, 1536));
	CHECK(!memcmp(gpa(DATA_GPA + 0x30000), want + 2048, 2048));
	/* Header and data in one buffer, as some drivers send them. */
	res = run(VIRTIO_BLK_T_IN, SECTORS - 1, DATA_GPA, 512, true);
	EXPECT_STATUS(res, OK);
	CHECK_EQ(data[511], pattern(IMAGE_SIZE - 1));
	destroy();
}

TEST(flush_and_get_id)
{
	struct result res;
	uint8_t *id;

	create(false, 1);
	bring_up(ALL_FEATURES, 1);
	id = gpa(DATA_GPA);
	EXPECT_STATUS(run(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), OK);
	memset(id, 0xff, 32);
	res = run(VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 32, true);
	EXPECT_STATUS(res, OK);
	CHECK_EQ(res.len, VIRTIO_BLK_ID_BYTES + 1);
	/* Zero-padded to 20 bytes. */
	CHECK(!memcmp(id, SERIAL "\0\0\0\0\0\0", VIRTIO_BLK_ID_BYTES));
	CHECK_EQ(id[VIRTIO_BLK_ID_BYTES], 0xff);
	destroy();
}

/* What the device must answer IOERR, and leave the image alone. */
TEST(bad_requests_fail_with_ioerr)
{
	create(false, 1);
	bring_up(ALL_FEATURES, 1);
	memset(gpa(DATA_GPA), 0xab, 8192);
	EXPECT_STATUS(run(VIRTIO_BLK_T_IN, SECTORS, DATA_GPA, 512, true),
		      IOERR);
	EXPECT_STATUS(run(VIRTIO_BLK_T_IN, SECTORS - 1, DATA_GPA, 1024, true),
		      IOERR);
	EXPECT_STATUS(run(VIRTIO_BLK_T_OUT, SECTORS - 1, DATA_GPA, 1024,
			  false), IOERR);
	EXPECT_STATUS(run(VIRTIO_BLK_T_IN, 1ULL << 63, DATA_GPA, 512, true),
		      IOERR);
	EXPECT_STATUS(run(VIRTIO_BLK_T_IN, UINT64_MAX, DATA_GPA, 512, true),
		      IOERR);
	/* Not whole sectors. */
	EXPECT_STATUS(run(VIRTIO_BLK_T_OUT, 0, DATA_GPA, 100, false), IOERR);
	/* A segment above size_max, and more segments than seg_max. */
	EXPECT_STATUS(run(VIRTIO_BLK_T_IN, 0, DATA_GPA, (4u << 20) + 512,
			  true), IOERR);
	CHECK(image_has(0, (uint8_t[]){ pattern(0), pattern(1) }, 2));
	CHECK(image_has(IMAGE_SIZE - 512 + 3,
			(uint8_t[]){ pattern(IMAGE_SIZE - 512 + 3) }, 1));
	destroy();
}

/*
 * The header shares its buffer with the first data segment: 255 data
 * segments then fit a chain of 256, one more than seg_max.
 */
TEST(seg_max_enforced)
{
	struct virtio_blk_outhdr *hdr;
	struct buf many[256];
	unsigned int i;

	create(false, 1);
	set_status(0);
	CHECK(negotiate(ALL_FEATURES) & S_FEATURES_OK);
	setup_queue(0, 256);
	enable_queue(0);
	rings[0] = (struct ring){ .base = 0x10000, .size = 256 };
	set_status(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	hdr = gpa(DATA_GPA);
	hdr->type = VIRTIO_BLK_T_OUT;
	hdr->sector = 0;
	many[0] = (struct buf){ DATA_GPA, 16 + 512, false };
	for (i = 1; i < 255; i++)
		many[i] = (struct buf){ DATA_GPA + 0x1000 + i * 512, 512,
					false };
	many[255] = (struct buf){ STATUS_GPA, 1, true };
	*(uint8_t *)gpa(STATUS_GPA) = 0xee;
	add_chain(0, many, 256);
	kick(0);
	CHECK(wait_used(0, 1));
	CHECK_EQ(*(uint8_t *)gpa(STATUS_GPA), VIRTIO_BLK_S_IOERR);
	CHECK(!(status() & S_NEEDS_RESET));
	/* 254 of them is fine. */
	many[254] = many[255];
	add_chain(0, many, 255);
	kick(0);
	CHECK(wait_used(0, 2));
	CHECK_EQ(*(uint8_t *)gpa(STATUS_GPA), VIRTIO_BLK_S_OK);
	destroy();
}

TEST(unsupported_requests)
{
	create(false, 1);
	bring_up(ALL_FEATURES, 1);
	EXPECT_STATUS(run(0xff, 0, DATA_GPA, 512, true), UNSUPP);
	EXPECT_STATUS(run(VIRTIO_BLK_T_SCSI_CMD, 0, DATA_GPA, 512, true),
		      UNSUPP);
	EXPECT_STATUS(zeroes_or_discard(VIRTIO_BLK_T_DISCARD, 0, 8,
					VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
		      UNSUPP);
	EXPECT_STATUS(zeroes_or_discard(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 2),
		      UNSUPP);
	/* Two segments where max_*_seg says one; half a segment. */
	EXPECT_STATUS(run(VIRTIO_BLK_T_DISCARD, 0, DATA_GPA, 32, false),
		      UNSUPP);
	EXPECT_STATUS(run(VIRTIO_BLK_T_DISCARD, 0, DATA_GPA, 8, false), IOERR);
	EXPECT_STATUS(zeroes_or_discard(VIRTIO_BLK_T_WRITE_ZEROES, SECTORS - 4,
					8, 0), IOERR);
	/* Not negotiated. */
	bring_up(ALL_FEATURES & ~(1ULL << VIRTIO_BLK_F_DISCARD |
				  1ULL << VIRTIO_BLK_F_WRITE_ZEROES), 1);
	EXPECT_STATUS(zeroes_or_discard(VIRTIO_BLK_T_DISCARD, 0, 8, 0),
		      UNSUPP);
	EXPECT_STATUS(zeroes_or_discard(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0),
		      UNSUPP);
	destroy();
}

TEST(discard_and_write_zeroes)
{
	static const uint8_t zeroes[4096];
	uint8_t *data;

	create(false, 1);
	bring_up(ALL_FEATURES, 1);
	data = gpa(DATA_GPA + 4096);
	EXPECT_STATUS(zeroes_or_discard(VIRTIO_BLK_T_WRITE_ZEROES, 8, 8, 0),
		      OK);
	CHECK(image_has(8 * 512, zeroes, 4096));
	EXPECT_STATUS(zeroes_or_discard(VIRTIO_BLK_T_WRITE_ZEROES, 32, 8,
					VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
		      OK);
	CHECK(image_has(32 * 512, zeroes, 4096));
	EXPECT_STATUS(zeroes_or_discard(VIRTIO_BLK_T_DISCARD, 64, 64, 0), OK);
	EXPECT_STATUS(run(VIRTIO_BLK_T_IN, 16, DATA_GPA + 4096, 512, true),
		      OK);
	CHECK_EQ(data[0], pattern(16 * 512));
	destroy();
}

TEST(read_only_disk)
{
	struct result res;

	create(true, 1);
	bring_up(ALL_FEATURES, 1);
	memset(gpa(DATA_GPA), 0x5a, 512);
	EXPECT_STATUS(run(VIRTIO_BLK_T_OUT, 0, DATA_GPA, 512, false), IOERR);
	EXPECT_STATUS(zeroes_or_discard(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0),
		      IOERR);
	res = run(VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true);
	EXPECT_STATUS(res, OK);
	CHECK_EQ(*(uint8_t *)gpa(DATA_GPA + 1), pattern(1));
	EXPECT_STATUS(run(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), OK);
	destroy();
}

/* After NEEDS_RESET nothing is served until the driver resets. */
static void check_recovers(void)
{
	uint16_t before = used(0)->idx;

	CHECK(status() & S_NEEDS_RESET);
	add_chain(0, (struct buf[]){ { HDR_GPA, 16, false },
				     { STATUS_GPA, 1, true } }, 2);
	kick(0);
	usleep(20000);
	CHECK_EQ(used(0)->idx, before);
	bring_up(ALL_FEATURES, 1);
	memset(gpa(DATA_GPA), 0, 512);
	EXPECT_STATUS(run(VIRTIO_BLK_T_IN, 1, DATA_GPA, 512, true), OK);
	CHECK_EQ(*(uint8_t *)gpa(DATA_GPA), pattern(512));
}

TEST(malformed_requests_need_reset)
{
	create(false, 1);
	bring_up(ALL_FEATURES, 1);
	/* A header of 8 bytes. */
	add_chain(0, (struct buf[]){ { HDR_GPA, 8, false },
				     { STATUS_GPA, 1, true } }, 2);
	kick(0);
	CHECK(wait_used(0, 1));
	CHECK_EQ(used_len(0, 0), 0);
	check_recovers();
	/* No byte for the status. */
	add_chain(0, (struct buf[]){ { HDR_GPA, 16, false },
				     { DATA_GPA, 512, false } }, 2);
	kick(0);
	CHECK(wait_used(0, rings[0].avail_idx));
	check_recovers();
	destroy();
}

TEST(malformed_ring_needs_reset)
{
	create(false, 1);
	bring_up(ALL_FEATURES, 1);
	add_chain(0, (struct buf[]){ { HDR_GPA, 16, false },
				     { RAM_SIZE - 256, 4096, true },
				     { STATUS_GPA, 1, true } }, 3);
	kick(0);
	usleep(20000);
	check_recovers();
	/* An available head past the queue. */
	avail(0)->ring[rings[0].avail_idx % QSIZE] = QSIZE + 3;
	__atomic_store_n(&avail(0)->idx, ++rings[0].avail_idx,
			 __ATOMIC_RELEASE);
	kick(0);
	usleep(20000);
	check_recovers();
	destroy();
}

/* MSI-X is off: completions raise INTx unless the driver said not to. */
TEST(interrupts_and_suppression)
{
	create(false, 1);
	bring_up(ALL_FEATURES & ~(1ULL << VIRTIO_RING_F_EVENT_IDX), 1);
	CHECK_EQ(fake.levels[SLOT], 0);
	EXPECT_STATUS(run(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), OK);
	usleep(2000);
	CHECK_EQ(fake.levels[SLOT], 1);
	CHECK_EQ(bar_read(0x1000, 1), 1);	/* the ISR, read clears it */
	CHECK_EQ(fake.levels[SLOT], 0);
	avail(0)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	EXPECT_STATUS(run(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), OK);
	usleep(2000);
	CHECK_EQ(fake.levels[SLOT], 0);
	destroy();
}

/* Full queues on two queues at once; each request reads its own sector. */
TEST(multiqueue_full_queues)
{
	enum { PER_QUEUE = QSIZE / 3 };
	struct virtio_blk_outhdr *hdr;
	struct buf bufs[3];
	unsigned int q, i, bad = 0;
	uint64_t data;

	create(false, 2);
	bring_up(ALL_FEATURES, 2);
	for (q = 0; q < 2; q++) {
		for (i = 0; i < PER_QUEUE; i++) {
			data = DATA_GPA + (q * PER_QUEUE + i) * 512;
			bufs[0] = (struct buf){ HDR_GPA + q * 0x1000 + i * 16,
						16, false };
			bufs[1] = (struct buf){ data, 512, true };
			bufs[2] = (struct buf){ STATUS_GPA + q * 0x100 + i, 1,
						true };
			hdr = gpa(bufs[0].addr);
			hdr->type = VIRTIO_BLK_T_IN;
			hdr->sector = q * PER_QUEUE + i;
			add_chain(q, bufs, 3);
		}
	}
	kick(0);
	kick(1);
	CHECK(wait_used(0, PER_QUEUE));
	CHECK(wait_used(1, PER_QUEUE));
	for (i = 0; i < 2 * PER_QUEUE; i++)
		bad += *(uint8_t *)gpa(DATA_GPA + i * 512 + 5) !=
		       pattern(i * 512 + 5);
	CHECK_EQ(bad, 0);
	destroy();
}

/* A reset waits for what is in flight; the rings stay still after it. */
TEST(reset_with_requests_in_flight)
{
	struct buf data[16];
	uint16_t after;
	unsigned int i, r;

	create(false, 1);
	for (r = 0; r < 20; r++) {
		bring_up(ALL_FEATURES, 1);
		for (i = 0; i < 16; i++)
			data[i] = (struct buf){ DATA_GPA + i * 65536, 65536,
						true };
		for (i = 0; i < 3; i++) {
			add_chain(0, (struct buf[]){ { HDR_GPA, 16, false },
						     data[i * 5],
						     data[i * 5 + 1],
						     { STATUS_GPA, 1, true } },
				  4);
		}
		kick(0);
		set_status(0);
		CHECK_EQ(status(), 0);
		after = used(0)->idx;
		usleep(1000);
		CHECK_EQ(used(0)->idx, after);
	}
	destroy();
}

/* Random chains: answered, or NEEDS_RESET; never a crash or a hang. */
TEST(random_chains_survived)
{
	struct vring_desc *d;
	unsigned int i, n, round, resets = 0;
	uint16_t head;

	srand(7);
	create(false, 1);
	bring_up(ALL_FEATURES, 1);
	d = descs(0);
	for (round = 0; round < 300; round++) {
		for (i = 0; i < QSIZE; i++) {
			d[i].addr = rand() % 4 ? DATA_GPA + rand() % 0x1000ULL :
				    (uint64_t)rand() << 20;
			d[i].len = rand() % 3 ? rand() % 2048 : rand();
			d[i].flags = rand() & 7;
			d[i].next = rand() % (QSIZE + 2);
		}
		*(uint32_t *)gpa(DATA_GPA) = rand() % 16;
		n = 1 + rand() % 4;
		for (i = 0; i < n; i++) {
			head = rand() % QSIZE;
			avail(0)->ring[rings[0].avail_idx++ % QSIZE] = head;
		}
		__atomic_store_n(&avail(0)->idx, rings[0].avail_idx,
				 __ATOMIC_RELEASE);
		kick(0);
		usleep(300);
		if (status() & S_NEEDS_RESET) {
			resets++;
			bring_up(ALL_FEATURES, 1);
		}
	}
	printf("  %u of 300 rounds needed a reset\n", resets);
	bring_up(ALL_FEATURES, 1);
	EXPECT_STATUS(run(VIRTIO_BLK_T_IN, 2, DATA_GPA + 0x10000, 512, true),
		      OK);
	CHECK_EQ(*(uint8_t *)gpa(DATA_GPA + 0x10000), pattern(1024));
	destroy();
}

static void cleanup(void)
{
	unlink(img);
	rmdir(dir);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/kvmlite-vblk-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("FAIL setup (mkdtemp %s)\n", dir);
		return 1;
	}
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	RUN(identity_features_and_config);
	RUN(read_and_write);
	RUN(flush_and_get_id);
	RUN(bad_requests_fail_with_ioerr);
	RUN(seg_max_enforced);
	RUN(unsupported_requests);
	RUN(discard_and_write_zeroes);
	RUN(read_only_disk);
	RUN(malformed_requests_need_reset);
	RUN(malformed_ring_needs_reset);
	RUN(interrupts_and_suppression);
	RUN(multiqueue_full_queues);
	RUN(reset_with_requests_in_flight);
	RUN(random_chains_survived);
	cleanup();
	return check_summary();
}
