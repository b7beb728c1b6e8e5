/* SPDX-License-Identifier: MIT */
/*
 * PCI for guests: configuration mechanism #1 (ports 0xcf8/0xcfc), a scan
 * of bus 0, capability lists, BARs as the firmware or the VMM left them,
 * and the I/O APIC pin of a function's INTx from the MP table.
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAP_PTR		0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_IO		0x0001
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_INTX_OFF	0x0400
#define PCI_STATUS_CAP_LIST	0x0010
#define PCI_HEADER_MULTIFN	0x80
#define PCI_NR_BARS		6

#define PCI_CAP_ID_VENDOR	0x09
#define PCI_CAP_ID_MSIX		0x11

/* MSI-X capability: message control, table and PBA offset/BIR */
#define PCI_MSIX_CTRL		2
#define PCI_MSIX_TABLE		4
#define PCI_MSIX_CTRL_SIZE	0x07ff	/* table size - 1 */
#define PCI_MSIX_CTRL_MASKALL	0x4000
#define PCI_MSIX_CTRL_ENABLE	0x8000
#define PCI_MSIX_BIR		0x7
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_ADDR_LO	0
#define PCI_MSIX_ENTRY_ADDR_HI	4
#define PCI_MSIX_ENTRY_DATA	8
#define PCI_MSIX_ENTRY_CTRL	12

/* Bus 0 only: a function is (device << 3) | function. */
#define PCI_DEVFN(dev, fn)	((dev) << 3 | (fn))
#define PCI_SLOT(devfn)		((devfn) >> 3)
#define PCI_FUNC(devfn)		((devfn) & 7)
#define PCI_NR_DEVFN		256

/* The I/O APIC redirection bit irq.h does not name */
#define IOAPIC_ACTIVE_LOW	(1U << 13)

uint8_t pci_read8(unsigned int devfn, unsigned int reg);
uint16_t pci_read16(unsigned int devfn, unsigned int reg);
uint32_t pci_read32(unsigned int devfn, unsigned int reg);
void pci_write8(unsigned int devfn, unsigned int reg, uint8_t val);
void pci_write16(unsigned int devfn, unsigned int reg, uint16_t val);
void pci_write32(unsigned int devfn, unsigned int reg, uint32_t val);

/* The first function on bus 0 for which @match returns true, or -1 */
int pci_find(bool (*match)(unsigned int devfn, const void *arg),
	     const void *arg);

/* The first capability @id after the one at @after (0: the first), or 0 */
unsigned int pci_find_cap(unsigned int devfn, unsigned int id,
			  unsigned int after);

/*
 * The address a memory BAR decodes, 64-bit BARs included.  Returns -1 for
 * an I/O BAR, the upper half of a 64-bit BAR, or an unassigned BAR (0).
 */
int pci_bar(unsigned int devfn, unsigned int bar, uint64_t *addr);

/* Where INTx of a function arrives, and how to program that pin */
struct pci_intx {
	unsigned int ioapic_pin;
	uint32_t flags;			/* IOAPIC_LEVEL, IOAPIC_ACTIVE_LOW */
	bool from_mptable;		/* else the interrupt line register */
};

/*
 * Looks the function's interrupt pin up in the MP table's I/O interrupt
 * entries for PCI bus 0; without a table or an entry, falls back to the
 * interrupt line register as a level-triggered, active-high pin.  Returns
 * -1 if the function has no interrupt pin.
 */
int pci_intx_route(unsigned int devfn, struct pci_intx *route);

#endif /* GUEST_PCI_H */
