// SPDX-License-Identifier: MIT
/* PCI configuration mechanism #1 on bus 0, and INTx routing. */
#include "guest.h"
#include "irq.h"
#include "mptable.h"
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

/* PCI's conforming defaults are level-triggered and active low. */
static uint32_t ioapic_flags(uint16_t mp_flags)
{
	uint32_t flags = IOAPIC_LEVEL | IOAPIC_ACTIVE_LOW;

	if ((mp_flags & MP_IRQ_TRIGGER_MASK) == MP_IRQ_EDGE)
		flags &= ~IOAPIC_LEVEL;
	if ((mp_flags & MP_IRQ_POLARITY_MASK) == MP_IRQ_ACTIVE_HIGH)
		flags &= ~IOAPIC_ACTIVE_LOW;
	return flags;
}

int pci_intx_route(unsigned int devfn, struct pci_intx *route)
{
	unsigned int pin = pci_read8(devfn, PCI_INTERRUPT_PIN);
	struct mp_irq_route mp;

	if (pin < 1 || pin > 4)
		return -1;
	if (!mp_find_irq("PCI", PCI_SLOT(devfn) << 2 | (pin - 1), &mp)) {
		route->ioapic_pin = mp.ioapic_pin;
		route->flags = ioapic_flags(mp.flags);
		route->from_mptable = true;
		return 0;
	}
	route->ioapic_pin = pci_read8(devfn, PCI_INTERRUPT_LINE);
	route->flags = IOAPIC_LEVEL;
	route->from_mptable = false;
	return 0;
}
