// SPDX-License-Identifier: MIT
/*
 * The MP table as a guest reads it: found by scanning the BIOS area for
 * "_MP_", then parsed byte by byte (not through mptable.c's structs)
 * against the MP spec 1.4 layouts.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "kvmlite/memory.h"
#include "kvmlite/mptable.h"

#define MEM_SIZE	(64ULL << 20)
#define SCAN_START	0xf0000U
#define SCAN_END	0x100000U
#define MAX_ENTRIES	1024

static char err[256];

struct parsed {
	uint32_t mpf;			/* floating pointer address */
	uint32_t table;			/* configuration table address */
	uint16_t length;
	uint16_t count;
	unsigned int nr;		/* entries walked */
	uint32_t entry[MAX_ENTRIES];	/* their addresses */
};

static uint8_t *gp(struct guest_mem *mem, uint32_t gpa, uint32_t len)
{
	return guest_ptr(mem, gpa, len);
}

static uint16_t rd16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static unsigned int entry_size(uint8_t type)
{
	return type == 0 ? 20 : type <= 4 ? 8 : 0;
}

/* Finds and walks the tables as a guest would; false if anything is off. */
static bool parse(struct guest_mem *mem, struct parsed *mp)
{
	const uint8_t *p = NULL, *t;
	uint32_t a, end;

	memset(mp, 0, sizeof(*mp));
	for (a = SCAN_START; a < SCAN_END; a += 16) {
		p = gp(mem, a, 16);
		if (p && !memcmp(p, "_MP_", 4))
			break;
	}
	CHECK(a < SCAN_END);
	if (a >= SCAN_END)
		return false;
	mp->mpf = a;
	CHECK_EQ(sum(p, 16), 0);
	CHECK_EQ(p[8], 1);		/* length, 16-byte units */
	CHECK_EQ(p[9], 4);		/* spec revision 1.4 */
	CHECK_EQ(p[11], 0);		/* feature 1: a table is present */
	mp->table = rd32(p + 4);
	CHECK(mp->table >= SCAN_START && mp->table + 44 <= SCAN_END);
	if (mp->table < SCAN_START || mp->table + 44 > SCAN_END)
		return false;

	t = gp(mem, mp->table, 44);
	CHECK(!memcmp(t, "PCMP", 4));
	mp->length = rd16(t + 4);
	mp->count = rd16(t + 34);
	CHECK(mp->table + mp->length <= SCAN_END);
	if (mp->table + mp->length > SCAN_END || mp->length < 44)
		return false;
	t = gp(mem, mp->table, mp->length);
	CHECK_EQ(sum(t, mp->length), 0);
	CHECK_EQ(t[6], 4);
	CHECK(!memcmp(t + 8, "KVMLITE ", 8));
	CHECK_EQ(rd32(t + 28), 0);	/* no OEM table */
	CHECK_EQ(rd16(t + 32), 0);
	CHECK_EQ(rd16(t + 40), 0);	/* no extended table */
	CHECK_EQ(t[42], 0);

	/* Walk the entries: known types, in the spec's order, exact fit. */
	end = mp->table + mp->length;
	for (a = mp->table + 44; a < end; ) {
		const uint8_t *e = gp(mem, a, 1);
		unsigned int size = entry_size(e[0]);

		CHECK(size);
		CHECK(a + size <= end);
		if (!size || a + size > end || mp->nr == MAX_ENTRIES)
			return false;
		if (mp->nr)
			CHECK(e[0] >= *gp(mem, mp->entry[mp->nr - 1], 1));
		mp->entry[mp->nr++] = a;
		a += size;
	}
	CHECK_EQ(a, end);
	CHECK_EQ(mp->nr, mp->count);
	return a == end && mp->nr == mp->count;
}

static const uint8_t *entry(struct guest_mem *mem, const struct parsed *mp,
			    unsigned int i)
{
	return gp(mem, mp->entry[i], 8);
}

/* The type 3/4 entry with this source, or NULL. */
static const uint8_t *find_intr(struct guest_mem *mem,
				const struct parsed *mp, uint8_t type,
				uint8_t bus, uint8_t irq)
{
	unsigned int i;

	for (i = 0; i < mp->nr; i++) {
		const uint8_t *e = entry(mem, mp, i);

		if (e[0] == type && e[4] == bus && e[5] == irq)
			return e;
	}
	return NULL;
}

static unsigned int count_type(struct guest_mem *mem, const struct parsed *mp,
			       uint8_t type)
{
	unsigned int i, n = 0;

	for (i = 0; i < mp->nr; i++)
		n += entry(mem, mp, i)[0] == type;
	return n;
}

static const struct mptable_cpu four_cpus[] = {
	{ .apic_id = 0, .bsp = true },
	{ .apic_id = 2 },
	{ .apic_id = 4 },
	{ .apic_id = 6 },
};

static struct mptable_config config(const struct mptable_cpu *cpus,
				    unsigned int nr)
{
	return (struct mptable_config) {
		.cpus = cpus,
		.nr_cpus = nr,
		.ioapic_id = 8,
		.ioapic_addr = MPTABLE_IOAPIC_ADDR,
		.nr_pci_slots = MPTABLE_DEFAULT_PCI_SLOTS,
		.lapic_addr = MPTABLE_LAPIC_ADDR,
	};
}

static struct guest_mem mem;
static struct parsed mp;

/* Writes @cfg into fresh memory, with stale bytes in the BIOS area. */
static bool write_parse(const struct mptable_config *cfg)
{
	guest_mem_clear(&mem);
	memset(gp(&mem, SCAN_START, SCAN_END - SCAN_START), 0xaa,
	       SCAN_END - SCAN_START);
	err[0] = '\0';
	CHECK_EQ(mptable_write(&mem, cfg, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	return parse(&mem, &mp);
}

TEST(floating_pointer)
{
	struct mptable_config cfg = config(four_cpus, 4);

	CHECK(write_parse(&cfg));
	CHECK_EQ(mp.mpf, 0xf0000);
	CHECK_EQ(mp.mpf % 16, 0);
	CHECK_EQ(mp.table, 0xf0010);
	/* All five feature bytes zero, whatever was there before. */
	CHECK(!memcmp(gp(&mem, mp.mpf + 11, 5), "\0\0\0\0\0", 5));
}

TEST(header)
{
	struct mptable_config cfg = config(four_cpus, 4);
	const uint8_t *t;

	CHECK(write_parse(&cfg));
	t = gp(&mem, mp.table, 44);
	CHECK_EQ(rd32(t + 36), 0xfee00000);
	/* 4 CPUs, 2 buses, 1 IOAPIC, 15 ISA, 128 PCI, 2 LINT */
	CHECK_EQ(mp.count, 4 + 2 + 1 + 15 + 32 * 4 + 2);
	CHECK_EQ(mp.length, 44 + 4 * 20 + (2 + 1 + 15 + 128 + 2) * 8);
	CHECK_EQ(mptable_size(&cfg), 16 + mp.length);
	/* The product ID is printable, space-padded ASCII. */
	for (unsigned int i = 0; i < 12; i++)
		CHECK(t[16 + i] >= 0x20 && t[16 + i] < 0x7f);
}

TEST(processors)
{
	struct mptable_config cfg = config(four_cpus, 4);
	unsigned int i;

	CHECK(write_parse(&cfg));
	for (i = 0; i < 4; i++) {
		const uint8_t *e = gp(&mem, mp.entry[i], 20);

		CHECK_EQ(e[0], 0);
		CHECK_EQ(e[1], 2 * i);
		CHECK_EQ(e[2], 0x14);
		CHECK_EQ(e[3], i == 0 ? 0x3 : 0x1);	/* EN, BP on the BSP */
		CHECK_EQ(rd32(e + 4), 0x600);
		CHECK_EQ(rd32(e + 8) & 0x201, 0x201);	/* FPU, APIC */
		CHECK_EQ(rd32(e + 12), 0);
		CHECK_EQ(rd32(e + 16), 0);
	}
	CHECK_EQ(count_type(&mem, &mp, 0), 4);
}

TEST(bsp_not_first)
{
	static const struct mptable_cpu cpus[] = {
		{ .apic_id = 3 }, { .apic_id = 1, .bsp = true },
	};
	struct mptable_config cfg = config(cpus, 2);

	CHECK(write_parse(&cfg));
	CHECK_EQ(entry(&mem, &mp, 0)[1], 3);
	CHECK_EQ(entry(&mem, &mp, 0)[3], 0x1);
	CHECK_EQ(entry(&mem, &mp, 1)[1], 1);
	CHECK_EQ(entry(&mem, &mp, 1)[3], 0x3);
}

TEST(buses_and_ioapic)
{
	struct mptable_config cfg = config(four_cpus, 4);
	const uint8_t *e;

	CHECK(write_parse(&cfg));
	e = entry(&mem, &mp, 4);
	CHECK_EQ(e[0], 1);
	CHECK_EQ(e[1], 0);
	CHECK(!memcmp(e + 2, "PCI   ", 6));
	e = entry(&mem, &mp, 5);
	CHECK_EQ(e[0], 1);
	CHECK_EQ(e[1], 1);
	CHECK(!memcmp(e + 2, "ISA   ", 6));
	CHECK_EQ(count_type(&mem, &mp, 1), 2);

	e = entry(&mem, &mp, 6);
	CHECK_EQ(e[0], 2);
	CHECK_EQ(e[1], 8);
	CHECK_EQ(e[2], 0x11);
	CHECK_EQ(e[3], 1);
	CHECK_EQ(rd32(e + 4), 0xfec00000);
	CHECK_EQ(count_type(&mem, &mp, 2), 1);
}

TEST(isa_interrupts)
{
	struct mptable_config cfg = config(four_cpus, 4);
	const uint8_t *e;
	unsigned int irq;

	CHECK(write_parse(&cfg));
	e = find_intr(&mem, &mp, 3, 1, 0);
	CHECK(e);
	if (e) {
		CHECK_EQ(e[1], 0);		/* INT */
		CHECK_EQ(rd16(e + 2), 0);	/* conforming */
		CHECK_EQ(e[6], 8);
		CHECK_EQ(e[7], 2);		/* the timer override */
	}
	CHECK(!find_intr(&mem, &mp, 3, 1, 2));
	e = find_intr(&mem, &mp, 3, 1, 4);
	CHECK(e);
	if (e)
		CHECK_EQ(e[7], 4);
	for (irq = 1; irq < 16; irq++) {
		if (irq == 2)
			continue;
		e = find_intr(&mem, &mp, 3, 1, irq);
		CHECK(e);
		if (!e)
			continue;
		CHECK_EQ(e[1], 0);
		CHECK_EQ(rd16(e + 2), 0);
		CHECK_EQ(e[6], 8);
		CHECK_EQ(e[7], irq);
	}
}

TEST(pci_interrupts)
{
	struct mptable_config cfg = config(four_cpus, 4);
	unsigned int slot, intx, n = 0, i;
	const uint8_t *e;

	CHECK(write_parse(&cfg));
	/* Slot 1 INTB#: bus IRQ (1 << 2) | 1, pin 16 + (1 + 1) % 4. */
	e = find_intr(&mem, &mp, 3, 0, (1 << 2) | 1);
	CHECK(e);
	if (e) {
		CHECK_EQ(e[1], 0);
		CHECK_EQ(rd16(e + 2), 0x0f);	/* active low, level */
		CHECK_EQ(e[6], 8);
		CHECK_EQ(e[7], 18);
	}
	/* A few more, worked by hand. */
	CHECK_EQ(mptable_pci_ioapic_pin(0, 0), 16);
	CHECK_EQ(mptable_pci_ioapic_pin(3, 3), 18);
	CHECK_EQ(mptable_pci_ioapic_pin(31, 0), 19);
	CHECK_EQ(mptable_pci_ioapic_pin(5, 2), 19);
	e = find_intr(&mem, &mp, 3, 0, (31 << 2) | 3);
	CHECK(e && e[7] == 16 + (31 + 3) % 4);

	for (slot = 0; slot < 32; slot++)
		for (intx = 0; intx < 4; intx++) {
			e = find_intr(&mem, &mp, 3, 0, (slot << 2) | intx);
			CHECK(e);
			if (!e)
				continue;
			CHECK_EQ(rd16(e + 2), 0x0f);
			CHECK_EQ(e[7], 16 + (slot + intx) % 4);
		}
	for (i = 0; i < mp.nr; i++) {
		e = entry(&mem, &mp, i);
		n += e[0] == 3 && e[4] == 0;
	}
	CHECK_EQ(n, 128);
	CHECK_EQ(count_type(&mem, &mp, 3), 15 + 128);
}

TEST(pci_slot_count)
{
	struct mptable_config cfg = config(four_cpus, 4);

	cfg.nr_pci_slots = 3;
	CHECK(write_parse(&cfg));
	CHECK_EQ(count_type(&mem, &mp, 3), 15 + 12);
	CHECK(find_intr(&mem, &mp, 3, 0, (2 << 2) | 3));
	CHECK(!find_intr(&mem, &mp, 3, 0, 3 << 2));

	cfg.nr_pci_slots = 0;
	CHECK(write_parse(&cfg));
	CHECK_EQ(count_type(&mem, &mp, 3), 15);
	CHECK_EQ(mp.count, 4 + 2 + 1 + 15 + 2);
}

TEST(local_interrupts)
{
	struct mptable_config cfg = config(four_cpus, 4);
	const uint8_t *e;

	CHECK(write_parse(&cfg));
	CHECK_EQ(count_type(&mem, &mp, 4), 2);
	e = entry(&mem, &mp, mp.nr - 2);
	CHECK_EQ(e[0], 4);
	CHECK_EQ(e[1], 3);		/* ExtINT */
	CHECK_EQ(e[6], 0xff);		/* every local APIC */
	CHECK_EQ(e[7], 0);		/* LINT0 */
	e = entry(&mem, &mp, mp.nr - 1);
	CHECK_EQ(e[0], 4);
	CHECK_EQ(e[1], 1);		/* NMI */
	CHECK_EQ(e[6], 0xff);
	CHECK_EQ(e[7], 1);		/* LINT1 */
}

TEST(max_cpus)
{
	struct mptable_cpu cpus[255];
	struct mptable_config cfg;
	unsigned int i;

	for (i = 0; i < 255; i++)
		cpus[i] = (struct mptable_cpu) { .apic_id = i, .bsp = !i };
	cfg = config(cpus, 255);
	cfg.ioapic_id = 0;	/* every other ID is taken; only a hint */
	CHECK(write_parse(&cfg));
	CHECK_EQ(mp.count, 255 + 2 + 1 + 15 + 128 + 2);
	CHECK_EQ(mp.length, 44 + 255 * 20 + (2 + 1 + 15 + 128 + 2) * 8);
	CHECK(mp.table + mp.length <= SCAN_END);
	for (i = 0; i < 255; i++) {
		const uint8_t *e = entry(&mem, &mp, i);

		CHECK_EQ(e[0], 0);
		CHECK_EQ(e[1], i);
		CHECK_EQ(e[3], i ? 0x1 : 0x3);
	}
	for (i = 0; i < mp.nr; i++)
		CHECK(mp.entry[i] >= SCAN_START &&
		      mp.entry[i] + entry_size(entry(&mem, &mp, i)[0]) <=
		      SCAN_END);
}

static void expect_error(const struct mptable_config *cfg, const char *what)
{
	err[0] = '\0';
	guest_mem_clear(&mem);
	CHECK_EQ(mptable_write(&mem, cfg, err, sizeof(err)), -1);
	if (!strstr(err, what))
		printf("  error \"%s\" lacks \"%s\"\n", err, what);
	CHECK(strstr(err, what));
	/* Nothing half-written. */
	CHECK(!memcmp(gp(&mem, SCAN_START, 4), "\0\0\0\0", 4));
}

TEST(errors)
{
	static const struct mptable_cpu dup[] = {
		{ .apic_id = 1, .bsp = true }, { .apic_id = 1 },
	};
	static const struct mptable_cpu two_bsps[] = {
		{ .apic_id = 0, .bsp = true }, { .apic_id = 1, .bsp = true },
	};
	static const struct mptable_cpu no_bsp[] = {
		{ .apic_id = 0 }, { .apic_id = 1 },
	};
	static const struct mptable_cpu broadcast[] = {
		{ .apic_id = 0xff, .bsp = true },
	};
	struct mptable_cpu many[256];
	struct mptable_config cfg;
	unsigned int i;

	cfg = config(four_cpus, 0);
	expect_error(&cfg, "0 CPUs");
	cfg = config(NULL, 1);
	expect_error(&cfg, "CPUs");
	for (i = 0; i < 256; i++)
		many[i] = (struct mptable_cpu) { .apic_id = i, .bsp = !i };
	cfg = config(many, 256);
	expect_error(&cfg, "256 CPUs");
	cfg = config(dup, 2);
	expect_error(&cfg, "APIC ID 1");
	cfg = config(two_bsps, 2);
	expect_error(&cfg, "BSP");
	cfg = config(no_bsp, 2);
	expect_error(&cfg, "BSP");
	cfg = config(broadcast, 1);
	expect_error(&cfg, "broadcast");
	cfg = config(four_cpus, 4);
	cfg.nr_pci_slots = 33;
	expect_error(&cfg, "33 PCI slots");
}

TEST(no_bios_ram)
{
	struct mptable_config cfg = config(four_cpus, 4);
	struct guest_mem small;

	CHECK_EQ(guest_mem_init(&small, 512 << 10), 0);
	err[0] = '\0';
	CHECK_EQ(mptable_write(&small, &cfg, err, sizeof(err)), -1);
	CHECK(strstr(err, "no guest RAM"));
	guest_mem_free(&small);
}

int main(void)
{
	if (guest_mem_init(&mem, MEM_SIZE)) {
		perror("guest_mem_init");
		return 1;
	}
	RUN(floating_pointer);
	RUN(header);
	RUN(processors);
	RUN(bsp_not_first);
	RUN(buses_and_ioapic);
	RUN(isa_interrupts);
	RUN(pci_interrupts);
	RUN(pci_slot_count);
	RUN(local_interrupts);
	RUN(max_cpus);
	RUN(errors);
	RUN(no_bios_ram);
	guest_mem_free(&mem);
	return check_summary();
}
