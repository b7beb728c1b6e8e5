// SPDX-License-Identifier: MIT
/*
 * Drives the first virtio-blk PCI disk and prints one line per check,
 * "virtio_blk: NAME ok|FAIL|skip ...", then exits 0 only if none failed.
 *
 * Command line (every word optional):
 *   irq=msix|intx	interrupts: MSI-X vectors (default), or INTx + ISR
 *			with MSI-X left disabled
 *   slot=N		the disk must be in PCI slot N
 *   queues=N		the device must have N request queues (default 1)
 *   capacity=N		... and N sectors
 *   serial=S		GET_ID must return S
 *   readonly		the disk is read-only: writes and WRITE_ZEROES must
 *			fail with IOERR (DISCARD may also succeed, doing
 *			nothing), and the RO feature must be offered
 *   sum=S+N:CRC[,S+N:CRC...]
 *			sectors S to S+N-1 (N <= 64) have this CRC-32 (the
 *			IEEE one of zlib and gzip, in hex)
 *   write=S+N		write a pattern there, flush, read it back; sector s
 *			gets 16 lines "vguest: %016x %06x\n" (s, line)
 *   zero=S+N		WRITE_ZEROES there, then read back zeroes
 *   discard=S+N	DISCARD there
 *   magic=ok|ioerr	write a qcow2 header's magic to sector 0 and expect
 *			this status (a probed raw disk refuses it); read
 *			it back when it is written
 * Numbers are decimal or 0x-prefixed hex.
 */
#include "guest.h"
#include "blk.h"
#include "clock.h"
#include "irq.h"
#include "virtio.h"

#define MAX_RANGE_SECTORS	64
#define MAX_SUMS		8
#define QUEUE_SIZE		64
#define PAGE_SIZE		4096
#define PATTERN_LINE		32
#define WANTED_FEATURES	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
			 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
			 VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_RO) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_MQ) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES))
#define REQUIRED_FEATURES	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | \
				 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
				 VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

struct range {
	uint64_t start;
	uint64_t count;
};

struct sum {
	struct range range;
	uint32_t crc;
};

struct options {
	bool msix;
	int slot;
	unsigned long queues;
	bool has_capacity;
	unsigned long capacity;
	const char *serial;
	size_t serial_len;
	bool readonly;
	unsigned int nr_sums;
	struct sum sums[MAX_SUMS];
	struct range write, zero, discard;
	const char *magic;	/* the status expected, or NULL */
};

/* What the device told us */
struct disk {
	struct virtio_dev dev;
	uint64_t capacity;
	uint32_t seg_max;		/* data segments per request */
	unsigned int nr_queues;
};

static uint8_t buf[MAX_RANGE_SECTORS * BLK_SECTOR]
	__attribute__((aligned(PAGE_SIZE), section(".noinit")));
static uint8_t buf2[MAX_RANGE_SECTORS * BLK_SECTOR]
	__attribute__((aligned(PAGE_SIZE), section(".noinit")));
/* Room for a sector that straddles a page boundary at an odd address */
static uint8_t unaligned_area[2 * PAGE_SIZE]
	__attribute__((aligned(PAGE_SIZE), section(".noinit")));
static uint32_t crc_table[256];
static unsigned int nr_ok, nr_failed;

static const char *verdict(bool ok)
{
	if (ok)
		nr_ok++;
	else
		nr_failed++;
	return ok ? "ok" : "FAIL";
}

static void skip(const char *name, const char *why)
{
	printf("virtio_blk: %s skip (%s)\n", name, why);
}

static void crc32_init(void)
{
	uint32_t c;
	unsigned int i, bit;

	for (i = 0; i < 256; i++) {
		c = i;
		for (bit = 0; bit < 8; bit++)
			c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32(const uint8_t *p, size_t len)
{
	uint32_t c = ~0U;

	while (len--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* A number in decimal or 0x hex; advances *@p past it. */
static bool parse_number(const char **p, uint64_t *out)
{
	const char *s = *p;
	unsigned int base = 10, d;
	uint64_t n = 0;
	bool any = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, any = true) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		n = n * base + d;
	}
	*p = s;
	*out = n;
	return any;
}

static bool parse_hex(const char **p, uint32_t *out)
{
	const char *s = *p;
	uint32_t n = 0;
	unsigned int digits;

	for (digits = 0; digits < 8; digits++, s++) {
		if (*s >= '0' && *s <= '9')
			n = n << 4 | (*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			n = n << 4 | (*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			n = n << 4 | (*s - 'A' + 10);
		else
			break;
	}
	*p = s;
	*out = n;
	return digits > 0;
}

/* "S+N", N from 1 to MAX_RANGE_SECTORS */
static bool parse_range(const char **p, struct range *r)
{
	return parse_number(p, &r->start) && *(*p)++ == '+' &&
	       parse_number(p, &r->count) && r->count &&
	       r->count <= MAX_RANGE_SECTORS;
}

static bool at_end(const char *p)
{
	return !*p || *p == ' ';
}

static size_t word_len(const char *p)
{
	size_t len = 0;

	while (!at_end(p + len))
		len++;
	return len;
}

static bool parse_sums(const char *p, struct options *o)
{
	struct sum *s;

	do {
		if (o->nr_sums == MAX_SUMS)
			return false;
		s = &o->sums[o->nr_sums++];
		if (!parse_range(&p, &s->range) || *p++ != ':' ||
		    !parse_hex(&p, &s->crc))
			return false;
	} while (*p == ',' && p++);
	return at_end(p);
}

static bool parse_range_option(const char *cmdline, const char *key,
			       struct range *r)
{
	const char *p = cmdline_get(cmdline, key);

	if (!p)
		return true;
	return parse_range(&p, r) && at_end(p);
}

static bool parse_ulong_option(const char *cmdline, const char *key,
			       unsigned long *out)
{
	const char *p = cmdline_get(cmdline, key);

	return !p || cmdline_parse_ulong(p, out);
}

static bool parse_options(const char *cmdline, struct options *o)
{
	const char *irq = cmdline_get(cmdline, "irq");
	const char *sums = cmdline_get(cmdline, "sum");
	unsigned long slot = ~0UL;
	bool ok;

	memset(o, 0, sizeof(*o));
	o->queues = 1;
	o->msix = !irq || cmdline_value_is(irq, "msix");
	ok = o->msix || cmdline_value_is(irq, "intx");
	ok = ok && parse_ulong_option(cmdline, "slot", &slot);
	o->slot = slot == ~0UL ? -1 : (int)slot;
	ok = ok && parse_ulong_option(cmdline, "queues", &o->queues);
	o->has_capacity = cmdline_get(cmdline, "capacity");
	ok = ok && parse_ulong_option(cmdline, "capacity", &o->capacity);
	o->serial = cmdline_get(cmdline, "serial");
	if (o->serial)
		o->serial_len = word_len(o->serial);
	o->readonly = cmdline_get(cmdline, "readonly");
	o->magic = cmdline_get(cmdline, "magic");
	ok = ok && (!o->magic || cmdline_value_is(o->magic, "ok") ||
		    cmdline_value_is(o->magic, "ioerr"));
	ok = ok && (!sums || parse_sums(sums, o));
	ok = ok && parse_range_option(cmdline, "write", &o->write);
	ok = ok && parse_range_option(cmdline, "zero", &o->zero);
	return ok && parse_range_option(cmdline, "discard", &o->discard);
}

static bool has(const struct disk *d, unsigned int feature)
{
	return d->dev.features & VIRTIO_BIT(feature);
}

/*
 * Every request goes through here: once one has timed out the device is
 * taken for dead, and the remaining checks fail at once instead of each
 * waiting for its own timeout.
 */
static int request(struct disk *d, unsigned int queue, uint32_t type,
		   uint64_t sector, void *data, uint32_t len, uint32_t seg_len,
		   bool indirect)
{
	static bool dead;
	int r;

	if (dead)
		return BLK_ERR_TIMEOUT;
	r = blk_request(&d->dev.vq[queue], type, sector, data, len, seg_len,
			indirect);
	dead = r == BLK_ERR_TIMEOUT || r == BLK_ERR_NEEDS_RESET;
	return r;
}

/* A read of whole pages, in one descriptor per page */
static int read_sectors(struct disk *d, const struct range *r, void *data)
{
	return request(d, 0, VIRTIO_BLK_T_IN, r->start, data,
		       r->count * BLK_SECTOR, PAGE_SIZE, false);
}

static bool check_device(struct disk *d, const struct options *o)
{
	int devfn = virtio_pci_find(VIRTIO_ID_BLOCK, o->slot);
	bool ok;

	if (devfn < 0) {
		printf("virtio_blk: device %s no virtio-blk function found\n",
		       verdict(false));
		return false;
	}
	ok = !virtio_probe(&d->dev, devfn);
	printf("virtio_blk: device %s 00:%02x.%x 1af4:%04x, common config at "
	       "0x%lx, %u MSI-X entries\n", verdict(ok), PCI_SLOT(devfn),
	       PCI_FUNC(devfn), d->dev.pci_device, d->dev.common,
	       d->dev.msix_entries);
	return ok;
}

static bool check_features(struct disk *d, const struct options *o)
{
	bool ok = !virtio_negotiate(&d->dev, WANTED_FEATURES);

	ok = ok && (d->dev.features & REQUIRED_FEATURES) == REQUIRED_FEATURES;
	ok = ok && (o->queues == 1 || has(d, VIRTIO_BLK_F_MQ));
	ok = ok && has(d, VIRTIO_BLK_F_RO) == o->readonly;
	printf("virtio_blk: features %s offered 0x%lx accepted 0x%lx\n",
	       verdict(ok), d->dev.offered, d->dev.features);
	return ok;
}

/* The device configuration must be long enough for the fields read. */
static uint32_t config_needed(const struct disk *d)
{
	if (has(d, VIRTIO_BLK_F_DISCARD) || has(d, VIRTIO_BLK_F_WRITE_ZEROES))
		return VIRTIO_BLK_CFG_SIZE;
	if (has(d, VIRTIO_BLK_F_MQ))
		return VIRTIO_BLK_CFG_NUM_QUEUES + 2;
	return VIRTIO_BLK_CFG_BLK_SIZE + 4;
}

static bool check_config(struct disk *d, const struct options *o)
{
	struct virtio_dev *dev = &d->dev;
	uint16_t common_queues = mmio_read16(dev->common + VIRTIO_COMMON_NUMQ);
	uint32_t blk_size = BLK_SECTOR, size_max = 0;
	unsigned int queues = 1;
	bool ok;

	d->capacity = virtio_config_read64(dev, VIRTIO_BLK_CFG_CAPACITY);
	d->seg_max = BLK_MAX_SEGS;
	if (has(d, VIRTIO_BLK_F_SEG_MAX))
		d->seg_max = virtio_config_read32(dev, VIRTIO_BLK_CFG_SEG_MAX);
	if (has(d, VIRTIO_BLK_F_SIZE_MAX))
		size_max = virtio_config_read32(dev, VIRTIO_BLK_CFG_SIZE_MAX);
	if (has(d, VIRTIO_BLK_F_BLK_SIZE))
		blk_size = virtio_config_read32(dev, VIRTIO_BLK_CFG_BLK_SIZE);
	if (has(d, VIRTIO_BLK_F_MQ))
		queues = virtio_config_read16(dev, VIRTIO_BLK_CFG_NUM_QUEUES);
	ok = dev->device_len >= config_needed(d) && d->seg_max &&
	     blk_size >= BLK_SECTOR && !(blk_size & (blk_size - 1)) &&
	     queues == o->queues && common_queues == queues &&
	     (!o->has_capacity || d->capacity == o->capacity);
	printf("virtio_blk: config %s capacity %lu blk_size %u seg_max %u "
	       "size_max %u queues %u (common config %u), %u bytes\n",
	       verdict(ok), d->capacity, blk_size, d->seg_max, size_max,
	       queues, common_queues, dev->device_len);
	if (d->seg_max > BLK_MAX_SEGS)
		d->seg_max = BLK_MAX_SEGS;
	/* A chain, header and status included, must fit in the queue. */
	if (d->seg_max > QUEUE_SIZE - 2)
		d->seg_max = QUEUE_SIZE - 2;
	d->nr_queues = queues < VIRTIO_MAX_QUEUES ? queues : VIRTIO_MAX_QUEUES;
	return ok;
}

static bool check_irq_setup(struct disk *d, const struct options *o)
{
	bool ok = !virtio_irq_setup(&d->dev, o->msix);
	const struct pci_intx *intx = &d->dev.intx;

	if (o->msix)
		printf("virtio_blk: irq_setup %s MSI-X\n", verdict(ok));
	else
		printf("virtio_blk: irq_setup %s INTx on I/O APIC pin %u, %s "
		       "triggered, active %s (from the %s)\n", verdict(ok),
		       intx->ioapic_pin,
		       intx->flags & IOAPIC_LEVEL ? "level" : "edge",
		       intx->flags & IOAPIC_ACTIVE_LOW ? "low" : "high",
		       intx->from_mptable ? "MP table" : "interrupt line");
	return ok;
}

static bool check_queues(struct disk *d)
{
	unsigned int i;
	uint8_t status;
	bool ok = true;

	for (i = 0; ok && i < d->nr_queues; i++)
		ok = !virtq_setup(&d->dev, i, QUEUE_SIZE);
	virtio_driver_ok(&d->dev);
	status = virtio_status(&d->dev);
	ok = ok && (status & VIRTIO_STATUS_DRIVER_OK) &&
	     !(status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
	printf("virtio_blk: queues %s %u of %u entries, status 0x%x\n",
	       verdict(ok), d->nr_queues, d->dev.vq[0].size, status);
	return ok;
}

static bool setup(struct disk *d, const struct options *o)
{
	return check_device(d, o) && check_features(d, o) &&
	       check_config(d, o) && check_irq_setup(d, o) && check_queues(d);
}

static void check_sums(struct disk *d, const struct options *o)
{
	const struct sum *s;
	uint32_t crc;
	int r;

	for (s = o->sums; s < o->sums + o->nr_sums; s++) {
		r = read_sectors(d, &s->range, buf);
		crc = crc32(buf, s->range.count * BLK_SECTOR);
		printf("virtio_blk: read_sum %s sectors %lu+%lu crc %08x, "
		       "expected %08x (%s)\n",
		       verdict(r == VIRTIO_BLK_S_OK && crc == s->crc),
		       s->range.start, s->range.count, crc, s->crc,
		       blk_result_name(r));
	}
}

static const struct sum *longest_sum(const struct options *o)
{
	const struct sum *s, *longest = &o->sums[0];

	for (s = o->sums; s < o->sums + o->nr_sums; s++) {
		if (s->range.count > longest->range.count)
			longest = s;
	}
	return longest;
}

/*
 * The longest sum's range again, one sector per segment as far as
 * seg_max allows, through the indirect table of the last queue.
 */
static void check_indirect(struct disk *d, const struct options *o)
{
	const struct sum *s = longest_sum(o);
	uint32_t len = s->range.count * BLK_SECTOR, seg_len, crc;
	unsigned int segs;
	int r;

	if (!o->nr_sums) {
		skip("read_indirect", "no sum=");
		return;
	}
	segs = s->range.count < d->seg_max ? s->range.count : d->seg_max;
	seg_len = (len + segs - 1) / segs;
	r = request(d, d->nr_queues - 1, VIRTIO_BLK_T_IN, s->range.start,
		    buf, len, seg_len, true);
	crc = crc32(buf, len);
	printf("virtio_blk: read_indirect %s %u segments on queue %u, crc "
	       "%08x (%s)\n", verdict(r == VIRTIO_BLK_S_OK && crc == s->crc),
	       (len + seg_len - 1) / seg_len, d->nr_queues - 1, crc,
	       blk_result_name(r));
}

/* One read on every queue, all in flight at once, each on its interrupt */
static void check_multiqueue(struct disk *d)
{
	struct blk_req reqs[VIRTIO_MAX_QUEUES];
	unsigned int q, good = 0;
	int r[VIRTIO_MAX_QUEUES];

	for (q = 0; q < d->nr_queues; q++)
		r[q] = blk_submit(&d->dev.vq[q], &reqs[q], VIRTIO_BLK_T_IN,
				  q < d->capacity ? q : 0, buf + q * BLK_SECTOR,
				  BLK_SECTOR, BLK_SECTOR, false);
	for (q = 0; q < d->nr_queues; q++)
		if (!r[q])
			virtq_kick(&d->dev.vq[q]);
	for (q = 0; q < d->nr_queues; q++) {
		if (!r[q])
			r[q] = blk_finish(&reqs[q]);
		good += r[q] == VIRTIO_BLK_S_OK;
	}
	printf("virtio_blk: multiqueue %s %u of %u queues completed",
	       verdict(good == d->nr_queues), good, d->nr_queues);
	for (q = 0; q < VIRTIO_IRQ_SLOTS; q++)
		printf(" irq[%u]=%u", q, virtio_irq_count[q]);
	printf("\n");
}

/* A sector read into a buffer at an odd address across a page boundary */
static void check_unaligned_read(struct disk *d, const struct options *o)
{
	uint8_t *odd = unaligned_area + PAGE_SIZE - 211;
	uint64_t sector = o->nr_sums ? o->sums[0].range.start : 0;
	int r1, r2;

	r1 = request(d, 0, VIRTIO_BLK_T_IN, sector, buf2, BLK_SECTOR,
		     BLK_SECTOR, false);
	r2 = request(d, 0, VIRTIO_BLK_T_IN, sector, odd, BLK_SECTOR,
		     BLK_SECTOR, false);
	printf("virtio_blk: read_unaligned %s sector %lu at 0x%lx (%s, %s)\n",
	       verdict(r1 == VIRTIO_BLK_S_OK && r2 == VIRTIO_BLK_S_OK &&
		       !memcmp(buf2, odd, BLK_SECTOR)),
	       sector, (uint64_t)(uintptr_t)odd, blk_result_name(r1),
	       blk_result_name(r2));
}

static void print_id(const uint8_t *id)
{
	char text[VIRTIO_BLK_ID_BYTES + 1];
	unsigned int i;

	for (i = 0; i < VIRTIO_BLK_ID_BYTES && id[i]; i++)
		text[i] = id[i] >= ' ' && id[i] < 0x7f ? id[i] : '?';
	text[i] = 0;
	printf("\"%s\"", text);
}

/* NUL-padded to 20 bytes: the terminator must be there if it fits. */
static void check_get_id(struct disk *d, const struct options *o)
{
	size_t len = o->serial_len < VIRTIO_BLK_ID_BYTES ?
		     o->serial_len : VIRTIO_BLK_ID_BYTES;
	uint8_t *id = buf;
	bool ok;
	int r;

	memset(id, 0xff, VIRTIO_BLK_ID_BYTES);
	r = request(d, 0, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES,
		    VIRTIO_BLK_ID_BYTES, false);
	ok = r == VIRTIO_BLK_S_OK;
	if (o->serial)
		ok = ok && !memcmp(id, o->serial, len) &&
		     (len == VIRTIO_BLK_ID_BYTES || !id[len]);
	printf("virtio_blk: get_id %s ", verdict(ok));
	print_id(id);
	printf(" (%s)\n", blk_result_name(r));
}

static void put_hex(char *p, uint64_t val, unsigned int digits)
{
	static const char hex[] = "0123456789abcdef";

	while (digits--) {
		p[digits] = hex[val & 15];
		val >>= 4;
	}
}

/* Sector s: 16 lines "vguest: %016x %06x\n" of s and the line number */
static void fill_pattern(uint8_t *p, const struct range *r)
{
	unsigned int line, lines = r->count * BLK_SECTOR / PATTERN_LINE;
	char *l;

	for (line = 0; line < lines; line++) {
		l = (char *)p + line * PATTERN_LINE;
		memcpy(l, "vguest: ", 8);
		put_hex(l + 8, r->start + line / (BLK_SECTOR / PATTERN_LINE),
			16);
		l[24] = ' ';
		put_hex(l + 25, line % (BLK_SECTOR / PATTERN_LINE), 6);
		l[31] = '\n';
	}
}

static int expected_write_status(const struct options *o)
{
	return o->readonly ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/*
 * The pattern, one sector per indirect segment; then its first sector
 * again from an odd address straddling a page; flush; read back.
 */
static void check_write(struct disk *d, const struct options *o)
{
	uint32_t len = o->write.count * BLK_SECTOR;
	uint8_t *odd = unaligned_area + PAGE_SIZE - 211;
	int r;

	if (!o->write.count) {
		skip("write", "no write=");
		return;
	}
	fill_pattern(buf, &o->write);
	r = request(d, 0, VIRTIO_BLK_T_OUT, o->write.start, buf, len,
		    BLK_SECTOR, true);
	printf("virtio_blk: write %s sectors %lu+%lu (%s)\n",
	       verdict(r == expected_write_status(o)), o->write.start,
	       o->write.count, blk_result_name(r));
	memcpy(odd, buf, BLK_SECTOR);
	r = request(d, 0, VIRTIO_BLK_T_OUT, o->write.start, odd, BLK_SECTOR,
		    BLK_SECTOR, false);
	printf("virtio_blk: write_unaligned %s sector %lu from 0x%lx (%s)\n",
	       verdict(r == expected_write_status(o)), o->write.start,
	       (uint64_t)(uintptr_t)odd, blk_result_name(r));
	if (has(d, VIRTIO_BLK_F_FLUSH)) {
		r = request(d, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0, false);
		printf("virtio_blk: flush %s (%s)\n",
		       verdict(r == VIRTIO_BLK_S_OK), blk_result_name(r));
	} else {
		skip("flush", "FLUSH not offered");
	}
	if (o->readonly)
		return;
	r = read_sectors(d, &o->write, buf2);
	printf("virtio_blk: readback %s (%s)\n",
	       verdict(r == VIRTIO_BLK_S_OK && !memcmp(buf, buf2, len)),
	       blk_result_name(r));
}

/* A sector that would make a raw image probe as qcow2. */
static void check_magic(struct disk *d, const struct options *o)
{
	static const struct range sector0 = { 0, 1 };
	int want, r;
	bool ok;

	if (!o->magic)
		return;
	want = cmdline_value_is(o->magic, "ok") ? VIRTIO_BLK_S_OK
						: VIRTIO_BLK_S_IOERR;
	memset(buf, 0, BLK_SECTOR);
	memcpy(buf, "QFI\xfb\0\0\0\3", 8);
	r = request(d, 0, VIRTIO_BLK_T_OUT, 0, buf, BLK_SECTOR, BLK_SECTOR,
		    false);
	ok = r == want;
	if (ok && r == VIRTIO_BLK_S_OK)
		ok = read_sectors(d, &sector0, buf2) == VIRTIO_BLK_S_OK &&
		     !memcmp(buf, buf2, BLK_SECTOR);
	printf("virtio_blk: magic %s (%s)\n", verdict(ok),
	       blk_result_name(r));
}

static bool all_zero(const uint8_t *p, size_t len)
{
	while (len--) {
		if (*p++)
			return false;
	}
	return true;
}

/* One DISCARD or WRITE_ZEROES segment */
static int range_request(struct disk *d, uint32_t type, uint64_t sector,
			 uint32_t count, uint32_t flags)
{
	struct virtio_blk_range seg = { sector, count, flags };

	return request(d, 0, type, 0, &seg, sizeof(seg), sizeof(seg), false);
}

/* The first half plainly, the second half with UNMAP allowed */
static void check_write_zeroes(struct disk *d, const struct options *o)
{
	uint64_t half = o->zero.count / 2;
	const char *readback = "not read back";
	int r1, r2, r;
	bool ok;

	if (!o->zero.count || !has(d, VIRTIO_BLK_F_WRITE_ZEROES)) {
		skip("write_zeroes",
		     o->zero.count ? "not offered" : "no zero=");
		return;
	}
	r1 = range_request(d, VIRTIO_BLK_T_WRITE_ZEROES, o->zero.start, half,
			   0);
	r2 = range_request(d, VIRTIO_BLK_T_WRITE_ZEROES, o->zero.start + half,
			   o->zero.count - half, VIRTIO_BLK_WZ_UNMAP);
	ok = (!half || r1 == expected_write_status(o)) &&
	     r2 == expected_write_status(o);
	if (!o->readonly) {
		memset(buf, 0xa5, o->zero.count * BLK_SECTOR);
		r = read_sectors(d, &o->zero, buf);
		ok = ok && r == VIRTIO_BLK_S_OK &&
		     all_zero(buf, o->zero.count * BLK_SECTOR);
		readback = blk_result_name(r);
	}
	printf("virtio_blk: write_zeroes %s sectors %lu+%lu (%s, %s unmap, "
	       "%s)\n", verdict(ok), o->zero.start, o->zero.count,
	       blk_result_name(r1), blk_result_name(r2), readback);
}

/*
 * The UNMAP flag is for WRITE_ZEROES only: DISCARD must refuse it.  On a
 * read-only disk a discard may fail, or succeed without effect as QEMU's
 * does (discard=ignore): the host checks that the image did not change.
 */
static void check_discard(struct disk *d, const struct options *o)
{
	int r, r_unmap;
	bool ok;

	if (!o->discard.count || !has(d, VIRTIO_BLK_F_DISCARD)) {
		skip("discard",
		     o->discard.count ? "not offered" : "no discard=");
		return;
	}
	r = range_request(d, VIRTIO_BLK_T_DISCARD, o->discard.start,
			  o->discard.count, 0);
	r_unmap = range_request(d, VIRTIO_BLK_T_DISCARD, o->discard.start,
				o->discard.count, VIRTIO_BLK_WZ_UNMAP);
	ok = r == VIRTIO_BLK_S_OK ||
	     (o->readonly && r == VIRTIO_BLK_S_IOERR);
	printf("virtio_blk: discard %s sectors %lu+%lu (%s, with UNMAP %s)\n",
	       verdict(ok && r_unmap == VIRTIO_BLK_S_UNSUPP),
	       o->discard.start, o->discard.count, blk_result_name(r),
	       blk_result_name(r_unmap));
}

/* Reads at and across the end, and a write at the end */
static void check_past_end(struct disk *d, const struct options *o)
{
	int r1 = request(d, 0, VIRTIO_BLK_T_IN, d->capacity, buf, BLK_SECTOR,
			 BLK_SECTOR, false);
	int r2 = request(d, 0, VIRTIO_BLK_T_IN, d->capacity - 1, buf,
			 2 * BLK_SECTOR, BLK_SECTOR, false);
	int r3 = request(d, 0, VIRTIO_BLK_T_OUT, d->capacity, buf, BLK_SECTOR,
			 BLK_SECTOR, false);

	(void)o;
	printf("virtio_blk: past_end %s read at %lu (%s), across (%s), "
	       "write (%s)\n",
	       verdict(r1 == VIRTIO_BLK_S_IOERR && r2 == VIRTIO_BLK_S_IOERR &&
		       r3 == VIRTIO_BLK_S_IOERR),
	       d->capacity, blk_result_name(r1), blk_result_name(r2),
	       blk_result_name(r3));
}

static void check_unsupported(struct disk *d)
{
	int r = request(d, 0, 0xff, 0, NULL, 0, 0, false);

	printf("virtio_blk: unsupported %s type 0xff (%s)\n",
	       verdict(r == VIRTIO_BLK_S_UNSUPP), blk_result_name(r));
}

/* After a reset the status and every queue_enable read 0. */
static void check_reset(struct disk *d)
{
	bool ok = virtio_reset(&d->dev);
	uint16_t enable;

	mmio_write16(d->dev.common + VIRTIO_COMMON_Q_SELECT, 0);
	enable = mmio_read16(d->dev.common + VIRTIO_COMMON_Q_ENABLE);
	printf("virtio_blk: reset %s status 0x%x, queue 0 enable %u\n",
	       verdict(ok && !enable), virtio_status(&d->dev), enable);
}

static void run_checks(struct disk *d, const struct options *o)
{
	check_sums(d, o);
	check_indirect(d, o);
	check_multiqueue(d);
	check_unaligned_read(d, o);
	check_get_id(d, o);
	check_write(d, o);
	check_magic(d, o);
	check_write_zeroes(d, o);
	check_discard(d, o);
	check_past_end(d, o);
	check_unsupported(d);
	check_reset(d);
}

int guest_main(const struct boot_info *bi)
{
	static struct options opts;
	static struct disk disk;
	unsigned int q;

	if (!parse_options(bi->cmdline, &opts)) {
		printf("virtio_blk: bad command line: %s\n", bi->cmdline);
		return GUEST_EXIT_BAD_ARGS;
	}
	irq_init();
	tsc_khz();
	crc32_init();
	if (setup(&disk, &opts))
		run_checks(&disk, &opts);
	printf("virtio_blk: done, %u ok, %u failed", nr_ok, nr_failed);
	for (q = 0; q < disk.nr_queues; q++)
		printf(", queue %u kicks %u suppressed %u", q,
		       disk.dev.vq[q].kicks, disk.dev.vq[q].kicks_suppressed);
	printf("\n");
	return nr_failed ? 1 : 0;
}
