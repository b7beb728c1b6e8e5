// SPDX-License-Identifier: MIT
/*
 * The MP floating pointer is searched, in order, in the first KiB of the
 * EBDA, in the last KiB of base memory and in the BIOS ROM area, on
 * 16-byte boundaries (MP spec 1.4, 4.1).  Without a BIOS the BDA words
 * are zero and only the ROM area is searched.
 */
#include "guest.h"
#include "mptable.h"

#define BDA_EBDA_SEGMENT	0x40e
#define BDA_BASE_MEM_KB		0x413
#define BIOS_ROM_START		0xf0000
#define BIOS_ROM_END		0x100000
#define MP_FLOAT_SIZE		16
#define MP_CONFIG_HEADER_SIZE	44

enum mp_entry_type {
	MP_PROCESSOR	= 0,
	MP_BUS		= 1,
	MP_IOAPIC	= 2,
	MP_IOINTR	= 3,
	MP_LINTR	= 4,
};

#define MP_INT			0	/* interrupt type: vectored */
#define MP_PROCESSOR_SIZE	20
#define MP_OTHER_ENTRY_SIZE	8
#define MP_CPU_ENABLED		(1U << 0)
#define MP_CPU_BSP		(1U << 1)

static uint8_t checksum(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

static const uint8_t *scan(uint64_t start, uint64_t len)
{
	uint64_t addr;

	for (addr = start; addr + MP_FLOAT_SIZE <= start + len;
	     addr += MP_FLOAT_SIZE) {
		const uint8_t *p = (const uint8_t *)addr;

		if (!memcmp(p, "_MP_", 4) && p[8] == 1 &&
		    !checksum(p, MP_FLOAT_SIZE))
			return p;
	}
	return NULL;
}

static const uint8_t *find_floating(void)
{
	uint64_t ebda = (uint64_t)mmio_read16(BDA_EBDA_SEGMENT) << 4;
	uint64_t base_kb = mmio_read16(BDA_BASE_MEM_KB);
	const uint8_t *mpf = NULL;

	if (ebda)
		mpf = scan(ebda, 1024);
	if (!mpf && base_kb > 1)
		mpf = scan((base_kb - 1) * 1024, 1024);
	return mpf ? mpf : scan(BIOS_ROM_START, BIOS_ROM_END - BIOS_ROM_START);
}

static uint32_t read32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t read16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void add_processor(struct mp_info *info, const uint8_t *e)
{
	if (!(e[3] & MP_CPU_ENABLED) || info->nr_cpus == MP_MAX_CPUS)
		return;
	if (e[3] & MP_CPU_BSP)
		info->bsp = info->nr_cpus;
	info->apic_id[info->nr_cpus++] = e[1];
}

/*
 * Calls @visit on each entry of the base table at @cfg until it returns
 * true; stops early, with what was wrong, at an entry it cannot size.
 */
static const char *walk_entries(const uint8_t *cfg,
				bool (*visit)(const uint8_t *e, void *arg),
				void *arg)
{
	const uint8_t *e = cfg + MP_CONFIG_HEADER_SIZE;
	const uint8_t *end = cfg + read16(cfg + 4);
	uint16_t count = read16(cfg + 34);

	while (count--) {
		uint32_t size = *e == MP_PROCESSOR ? MP_PROCESSOR_SIZE :
						     MP_OTHER_ENTRY_SIZE;

		if (*e > MP_LINTR)
			return "unknown entry type";
		if (e + size > end)
			return "entries overrun the table length";
		if (visit(e, arg))
			break;
		e += size;
	}
	return NULL;
}

static bool count_entry(const uint8_t *e, void *arg)
{
	struct mp_info *info = arg;

	if (*e == MP_PROCESSOR)
		add_processor(info, e);
	info->nr_buses += *e == MP_BUS;
	info->nr_ioapics += *e == MP_IOAPIC;
	info->nr_irqs += *e == MP_IOINTR;
	return false;
}

/* The base configuration table, or NULL with what was wrong in *@err */
static const uint8_t *find_config(const char **err)
{
	const uint8_t *mpf = find_floating(), *cfg;
	uint16_t length;

	*err = "no floating pointer";
	if (!mpf)
		return NULL;
	*err = "default configuration, no table";
	if (mpf[11])
		return NULL;
	cfg = (const uint8_t *)(uint64_t)read32(mpf + 4);
	*err = "no PCMP signature at the floating pointer's address";
	if (!cfg || memcmp(cfg, "PCMP", 4))
		return NULL;
	length = read16(cfg + 4);
	*err = "bad configuration table length or checksum";
	if (length < MP_CONFIG_HEADER_SIZE || checksum(cfg, length))
		return NULL;
	return cfg;
}

const char *mp_read(struct mp_info *info)
{
	const char *err;
	const uint8_t *cfg = find_config(&err);

	memset(info, 0, sizeof(*info));
	info->bsp = -1;
	if (!cfg)
		return err;
	info->lapic_addr = read32(cfg + 36);
	return walk_entries(cfg, count_entry, info);
}

struct irq_search {
	const char *bus_type;
	uint8_t src_irq;
	int bus_id;			/* of the first bus of bus_type */
	struct mp_irq_route *route;
	bool found;
};

/* Bus entries come before the interrupt entries that name them. */
static bool match_irq(const uint8_t *e, void *arg)
{
	struct irq_search *s = arg;

	if (*e == MP_BUS && s->bus_id < 0 &&
	    !memcmp(e + 2, s->bus_type, strlen(s->bus_type)))
		s->bus_id = e[1];
	if (*e != MP_IOINTR || e[1] != MP_INT || s->bus_id < 0 ||
	    e[4] != s->bus_id || e[5] != s->src_irq)
		return false;
	s->route->flags = read16(e + 2);
	s->route->ioapic_id = e[6];
	s->route->ioapic_pin = e[7];
	s->found = true;
	return true;
}

const char *mp_find_irq(const char *bus_type, uint8_t src_irq,
			struct mp_irq_route *route)
{
	struct irq_search s = { bus_type, src_irq, -1, route, false };
	const char *err;
	const uint8_t *cfg = find_config(&err);

	if (!cfg)
		return err;
	err = walk_entries(cfg, match_irq, &s);
	if (err)
		return err;
	return s.found ? NULL : "no interrupt entry for that source";
}
