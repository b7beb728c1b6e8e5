// SPDX-License-Identifier: MIT
/*
 * PCI configuration mechanism #1 on bus 0, and INTx routing as the MP
 * specification 1.4 tables describe it.
 */
#include "guest.h"
#include "irq.h"
#include "pci.h"

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_CONFIG_ENABLE	0x80000000U
#define PCI_BAR_IO		0x1
#define PCI_BAR_TYPE_MASK	0x6
#define PCI_BAR_TYPE_64		0x4
#define PCI_BAR_MEM_MASK	(~0xfULL)
/* More capabilities than fit in config space means the list loops. */
#define PCI_MAX_CAPS		48

#define MP_SIGNATURE		0x5f504d5f	/* "_MP_" */
#define MP_CONFIG_SIGNATURE	0x504d4350	/* "PCMP" */
#define MP_ENTRY_PROCESSOR	0
#define MP_ENTRY_BUS		1
#define MP_ENTRY_IOINTR		3
#define MP_PROCESSOR_SIZE	20
#define MP_ENTRY_SIZE		8
#define MP_INT			0
#define MP_POLARITY_MASK	0x3
#define MP_POLARITY_HIGH	0x1
#define MP_TRIGGER_MASK		0xc
#define MP_TRIGGER_EDGE		0x4
#define BDA_EBDA_SEGMENT	0x40e
#define BIOS_ROM_START		0xf0000
#define BIOS_ROM_END		0x100000
#define EBDA_SCAN_LEN		1024

struct mp_floating {
	uint32_t signature;
	uint32_t config;
	uint8_t length;			/* 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mp_config {
	uint32_t signature;
	uint16_t length;
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

struct mp_bus {
	uint8_t type;
	uint8_t id;
	char name[6];
} __attribute__((packed));

struct mp_intr {
	uint8_t type;
	uint8_t int_type;
	uint16_t flags;
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic;
	uint8_t dst_pin;
} __attribute__((packed));

static void pci_select(unsigned int devfn, unsigned int reg)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | devfn << 8 | (reg & 0xfc));
}

uint8_t pci_read8(unsigned int devfn, unsigned int reg)
{
	pci_select(devfn, reg);
	return inb(PCI_CONFIG_DATA + (reg & 3));
}

uint16_t pci_read16(unsigned int devfn, unsigned int reg)
{
	pci_select(devfn, reg);
	return inw(PCI_CONFIG_DATA + (reg & 2));
}

uint32_t pci_read32(unsigned int devfn, unsigned int reg)
{
	pci_select(devfn, reg);
	return inl(PCI_CONFIG_DATA);
}

void pci_write8(unsigned int devfn, unsigned int reg, uint8_t val)
{
	pci_select(devfn, reg);
	outb(PCI_CONFIG_DATA + (reg & 3), val);
}

void pci_write16(unsigned int devfn, unsigned int reg, uint16_t val)
{
	pci_select(devfn, reg);
	outw(PCI_CONFIG_DATA + (reg & 2), val);
}

void pci_write32(unsigned int devfn, unsigned int reg, uint32_t val)
{
	pci_select(devfn, reg);
	outl(PCI_CONFIG_DATA, val);
}

/* Functions 1-7 exist only behind a multi-function function 0. */
int pci_find(bool (*match)(unsigned int devfn, const void *arg),
	     const void *arg)
{
	unsigned int devfn;

	for (devfn = 0; devfn < PCI_NR_DEVFN; devfn++) {
		if (pci_read16(devfn, PCI_VENDOR_ID) == 0xffff) {
			if (!PCI_FUNC(devfn))
				devfn += 7;
			continue;
		}
		if (match(devfn, arg))
			return devfn;
		if (!PCI_FUNC(devfn) &&
		    !(pci_read8(devfn, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFN))
			devfn += 7;
	}
	return -1;
}

unsigned int pci_find_cap(unsigned int devfn, unsigned int id,
			  unsigned int after)
{
	unsigned int pos, n;

	if (!(pci_read16(devfn, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = pci_read8(devfn, after ? after + 1 : PCI_CAP_PTR);
	for (n = 0; n < PCI_MAX_CAPS && pos >= 0x40; n++) {
		pos &= ~3U;
		if (pci_read8(devfn, pos) == id)
			return pos;
		pos = pci_read8(devfn, pos + 1);
	}
	return 0;
}

int pci_bar(unsigned int devfn, unsigned int bar, uint64_t *addr)
{
	uint32_t low, reg = PCI_BAR0 + 4 * bar;
	uint64_t val;

	if (bar >= PCI_NR_BARS)
		return -1;
	low = pci_read32(devfn, reg);
	if (low & PCI_BAR_IO)
		return -1;
	val = low;
	if ((low & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64) {
		if (bar + 1 >= PCI_NR_BARS)
			return -1;
		val |= (uint64_t)pci_read32(devfn, reg + 4) << 32;
	}
	*addr = val & PCI_BAR_MEM_MASK;
	return *addr ? 0 : -1;
}

static bool checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return !sum;
}

static const struct mp_floating *mp_scan(uint64_t start, uint64_t len)
{
	uint64_t addr;

	for (addr = start; addr + sizeof(struct mp_floating) <= start + len;
	     addr += 16) {
		const struct mp_floating *mpf = (const void *)addr;

		if (mpf->signature == MP_SIGNATURE && mpf->length == 1 &&
		    checksum_ok(mpf, sizeof(*mpf)))
			return mpf;
	}
	return NULL;
}

/*
 * A word of the BIOS data area.  GCC takes any access to a constant
 * address this low for a null pointer dereference: hide the constant.
 */
static uint16_t bda_read16(uint64_t off)
{
	asm("" : "+r"(off));
	return mmio_read16(off);
}

/* The floating pointer in the EBDA's first KiB or the BIOS ROM area */
static const struct mp_config *mp_find_config(void)
{
	uint64_t ebda = (uint64_t)bda_read16(BDA_EBDA_SEGMENT) << 4;
	const struct mp_floating *mpf = NULL;
	const struct mp_config *mpc;

	if (ebda)
		mpf = mp_scan(ebda, EBDA_SCAN_LEN);
	if (!mpf)
		mpf = mp_scan(BIOS_ROM_START, BIOS_ROM_END - BIOS_ROM_START);
	if (!mpf || !mpf->config)
		return NULL;
	mpc = (const void *)(uintptr_t)mpf->config;
	if (mpc->signature != MP_CONFIG_SIGNATURE ||
	    mpc->length < sizeof(*mpc) || !checksum_ok(mpc, mpc->length))
		return NULL;
	return mpc;
}

/* PCI's conforming defaults are level-triggered and active low. */
static uint32_t mp_ioapic_flags(uint16_t mp_flags)
{
	uint32_t flags = IOAPIC_LEVEL | IOAPIC_ACTIVE_LOW;

	if ((mp_flags & MP_TRIGGER_MASK) == MP_TRIGGER_EDGE)
		flags &= ~IOAPIC_LEVEL;
	if ((mp_flags & MP_POLARITY_MASK) == MP_POLARITY_HIGH)
		flags &= ~IOAPIC_ACTIVE_LOW;
	return flags;
}

/*
 * Walks the base table once: bus entries come before interrupt entries,
 * so the first PCI bus (bus 0) is known by the time its interrupts appear.
 */
static bool mp_lookup(unsigned int devfn, unsigned int intx,
		      struct pci_intx *route)
{
	const struct mp_config *mpc = mp_find_config();
	const uint8_t *p, *end;
	int pci_bus = -1;
	unsigned int i;

	if (!mpc)
		return false;
	p = (const uint8_t *)(mpc + 1);
	end = (const uint8_t *)mpc + mpc->length;
	for (i = 0; i < mpc->entry_count && p < end; i++) {
		const struct mp_bus *bus = (const void *)p;
		const struct mp_intr *in = (const void *)p;

		if (*p == MP_ENTRY_BUS && pci_bus < 0 &&
		    !memcmp(bus->name, "PCI", 3))
			pci_bus = bus->id;
		if (*p == MP_ENTRY_IOINTR && in->int_type == MP_INT &&
		    in->src_bus == pci_bus &&
		    in->src_irq == (PCI_SLOT(devfn) << 2 | intx)) {
			route->ioapic_pin = in->dst_pin;
			route->flags = mp_ioapic_flags(in->flags);
			route->from_mptable = true;
			return true;
		}
		p += *p == MP_ENTRY_PROCESSOR ? MP_PROCESSOR_SIZE :
						MP_ENTRY_SIZE;
	}
	return false;
}

int pci_intx_route(unsigned int devfn, struct pci_intx *route)
{
	unsigned int pin = pci_read8(devfn, PCI_INTERRUPT_PIN);

	if (pin < 1 || pin > 4)
		return -1;
	if (mp_lookup(devfn, pin - 1, route))
		return 0;
	route->ioapic_pin = pci_read8(devfn, PCI_INTERRUPT_LINE);
	route->flags = IOAPIC_LEVEL;
	route->from_mptable = false;
	return 0;
}
