// SPDX-License-Identifier: MIT
/*
 * MP spec 1.4 tables: the floating pointer structure and a base
 * configuration table without an extended part.
 */
#include <stdio.h>
#include <string.h>

#include "kvmlite/irqchip.h"
#include "kvmlite/memory.h"
#include "kvmlite/mptable.h"

#define MP_OEM_ID		"KVMLITE "	/* 8 bytes, space padded */
#define MP_PRODUCT_ID		"KVMLITE VMM "	/* 12 bytes */

enum mp_entry_type {
	MP_PROCESSOR	= 0,
	MP_BUS		= 1,
	MP_IOAPIC	= 2,
	MP_IOINTR	= 3,
	MP_LINTR	= 4,
};

enum mp_int_type {
	MP_INT		= 0,
	MP_NMI		= 1,
	MP_SMI		= 2,
	MP_EXTINT	= 3,
};

#define MP_CPU_EN		(1U << 0)
#define MP_CPU_BP		(1U << 1)
#define MP_IOAPIC_EN		(1U << 0)

/* I/O interrupt flags: polarity in bits 1:0, trigger mode in bits 3:2. */
#define MP_IRQ_CONFORMING	0x0
#define MP_IRQ_ACTIVE_LOW	0x3
#define MP_IRQ_LEVEL		(0x3 << 2)

#define ISA_IRQ_TIMER		0
#define IOAPIC_PIN_TIMER	2

struct mp_floating {
	char signature[4];		/* "_MP_" */
	uint32_t physptr;		/* the configuration table */
	uint8_t length;			/* in 16-byte units: 1 */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];		/* all 0: a configuration table follows */
} __attribute__((packed));

struct mp_config {
	char signature[4];		/* "PCMP" */
	uint16_t length;		/* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_processor {
	uint8_t type;
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type;
	uint8_t bus_id;
	char bus_type[6];
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type;
	uint8_t id;
	uint8_t version;
	uint8_t flags;
	uint32_t addr;
} __attribute__((packed));

/* The I/O (type 3) and local (type 4) interrupt entries share a layout. */
struct mp_intr {
	uint8_t type;
	uint8_t int_type;
	uint16_t flags;
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_id;			/* I/O APIC ID, or local APIC ID */
	uint8_t dst_pin;		/* INTIN#, or LINTIN# */
} __attribute__((packed));

_Static_assert(sizeof(struct mp_floating) == 16, "floating pointer size");
_Static_assert(sizeof(struct mp_config) == 44, "configuration header size");
_Static_assert(sizeof(struct mp_processor) == 20, "processor entry size");
_Static_assert(sizeof(struct mp_bus) == 8, "bus entry size");
_Static_assert(sizeof(struct mp_ioapic) == 8, "I/O APIC entry size");
_Static_assert(sizeof(struct mp_intr) == 8, "interrupt entry size");

#define NR_ISA_ENTRIES		(NR_ISA_IRQS - 1)	/* all but the cascade */
#define NR_LINT_ENTRIES		2

static unsigned int nr_entries(const struct mptable_config *cfg)
{
	return cfg->nr_cpus + 2 + 1 + NR_ISA_ENTRIES +
	       cfg->nr_pci_slots * 4 + NR_LINT_ENTRIES;
}

static size_t config_size(const struct mptable_config *cfg)
{
	return sizeof(struct mp_config) +
	       cfg->nr_cpus * sizeof(struct mp_processor) +
	       2 * sizeof(struct mp_bus) + sizeof(struct mp_ioapic) +
	       (NR_ISA_ENTRIES + cfg->nr_pci_slots * 4 + NR_LINT_ENTRIES) *
	       sizeof(struct mp_intr);
}

size_t mptable_size(const struct mptable_config *cfg)
{
	return sizeof(struct mp_floating) + config_size(cfg);
}

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return -sum;
}

static int check_config(const struct mptable_config *cfg, char *err,
			size_t errlen)
{
	bool seen[256] = { false };
	unsigned int i, bsps = 0;

	if (!cfg->cpus || cfg->nr_cpus == 0 || cfg->nr_cpus > 255) {
		snprintf(err, errlen, "mptable: %u CPUs, must be 1 to 255",
			 cfg->nr_cpus);
		return -1;
	}
	for (i = 0; i < cfg->nr_cpus; i++) {
		uint8_t id = cfg->cpus[i].apic_id;

		if (id == 0xff) {
			snprintf(err, errlen,
				 "mptable: CPU %u has the broadcast APIC ID 255",
				 i);
			return -1;
		}
		if (seen[id]) {
			snprintf(err, errlen,
				 "mptable: APIC ID %u is used by two CPUs", id);
			return -1;
		}
		seen[id] = true;
		bsps += cfg->cpus[i].bsp;
	}
	if (bsps != 1) {
		snprintf(err, errlen,
			 "mptable: %u CPUs are marked BSP, must be exactly one",
			 bsps);
		return -1;
	}
	if (cfg->nr_pci_slots > MPTABLE_MAX_PCI_SLOTS) {
		snprintf(err, errlen, "mptable: %u PCI slots, at most %u",
			 cfg->nr_pci_slots, MPTABLE_MAX_PCI_SLOTS);
		return -1;
	}
	return 0;
}

static void put(uint8_t **cur, const void *entry, size_t len)
{
	memcpy(*cur, entry, len);
	*cur += len;
}

static void put_intr(uint8_t **cur, uint8_t type, uint8_t int_type,
		     uint16_t flags, uint8_t src_bus, uint8_t src_irq,
		     uint8_t dst_id, uint8_t dst_pin)
{
	struct mp_intr e = {
		.type = type,
		.int_type = int_type,
		.flags = flags,
		.src_bus = src_bus,
		.src_irq = src_irq,
		.dst_id = dst_id,
		.dst_pin = dst_pin,
	};

	put(cur, &e, sizeof(e));
}

int mptable_write(struct guest_mem *mem, const struct mptable_config *cfg,
		  char *err, size_t errlen)
{
	struct mp_floating mpf = { .signature = { '_', 'M', 'P', '_' } };
	struct mp_config hdr = { .signature = { 'P', 'C', 'M', 'P' } };
	uint8_t *base, *cur, *table;
	unsigned int i, slot, intx;
	size_t size;

	if (check_config(cfg, err, errlen))
		return -1;
	size = mptable_size(cfg);
	if (size > MPTABLE_END - MPTABLE_BASE) {
		snprintf(err, errlen,
			 "mptable: %zu bytes do not fit in [%#x, %#x)", size,
			 MPTABLE_BASE, MPTABLE_END);
		return -1;
	}
	base = guest_ptr(mem, MPTABLE_BASE, size);
	if (!base) {
		snprintf(err, errlen,
			 "mptable: no guest RAM at [%#x, %#zx) for the MP table",
			 MPTABLE_BASE, MPTABLE_BASE + size);
		return -1;
	}
	memset(base, 0, size);

	/* The configuration table, header first; its sums come last. */
	table = base + sizeof(mpf);
	cur = table + sizeof(hdr);

	for (i = 0; i < cfg->nr_cpus; i++) {
		struct mp_processor e = {
			.type = MP_PROCESSOR,
			.apic_id = cfg->cpus[i].apic_id,
			.apic_version = MPTABLE_LAPIC_VERSION,
			.flags = MP_CPU_EN | (cfg->cpus[i].bsp ? MP_CPU_BP : 0),
			.signature = MPTABLE_CPU_SIGNATURE,
			.features = MPTABLE_CPU_FEATURES,
		};

		put(&cur, &e, sizeof(e));
	}

	{
		struct mp_bus pci = { .type = MP_BUS, .bus_id = MPTABLE_BUS_PCI };
		struct mp_bus isa = { .type = MP_BUS, .bus_id = MPTABLE_BUS_ISA };

		memcpy(pci.bus_type, "PCI   ", 6);
		memcpy(isa.bus_type, "ISA   ", 6);
		put(&cur, &pci, sizeof(pci));
		put(&cur, &isa, sizeof(isa));
	}

	{
		struct mp_ioapic e = {
			.type = MP_IOAPIC,
			.id = cfg->ioapic_id,
			.version = MPTABLE_IOAPIC_VERSION,
			.flags = MP_IOAPIC_EN,
			.addr = cfg->ioapic_addr,
		};

		put(&cur, &e, sizeof(e));
	}

	/* ISA IRQ n on pin n, but the timer on pin 2; no entry for the cascade. */
	for (i = 0; i < NR_ISA_IRQS; i++) {
		if (i == ISA_IRQ_CASCADE)
			continue;
		put_intr(&cur, MP_IOINTR, MP_INT, MP_IRQ_CONFORMING,
			 MPTABLE_BUS_ISA, i, cfg->ioapic_id,
			 i == ISA_IRQ_TIMER ? IOAPIC_PIN_TIMER : i);
	}

	for (slot = 0; slot < cfg->nr_pci_slots; slot++)
		for (intx = 0; intx < 4; intx++)
			put_intr(&cur, MP_IOINTR, MP_INT,
				 MP_IRQ_ACTIVE_LOW | MP_IRQ_LEVEL,
				 MPTABLE_BUS_PCI, (slot << 2) | intx,
				 cfg->ioapic_id,
				 mptable_pci_ioapic_pin(slot, intx));

	/* Virtual wire: the PIC through LINT0, NMI on LINT1, of every LAPIC. */
	put_intr(&cur, MP_LINTR, MP_EXTINT, MP_IRQ_CONFORMING, MPTABLE_BUS_ISA,
		 0, 0xff, 0);
	put_intr(&cur, MP_LINTR, MP_NMI, MP_IRQ_CONFORMING, MPTABLE_BUS_ISA,
		 0, 0xff, 1);

	hdr.length = cur - table;
	hdr.spec_rev = MPTABLE_SPEC_REV;
	memcpy(hdr.oem_id, MP_OEM_ID, sizeof(hdr.oem_id));
	memcpy(hdr.product_id, MP_PRODUCT_ID, sizeof(hdr.product_id));
	hdr.entry_count = nr_entries(cfg);
	hdr.lapic_addr = cfg->lapic_addr;
	memcpy(table, &hdr, sizeof(hdr));
	table[offsetof(struct mp_config, checksum)] = checksum(table,
							       hdr.length);

	mpf.physptr = MPTABLE_BASE + sizeof(mpf);
	mpf.length = 1;
	mpf.spec_rev = MPTABLE_SPEC_REV;
	mpf.checksum = checksum(&mpf, sizeof(mpf));
	memcpy(base, &mpf, sizeof(mpf));
	return 0;
}
