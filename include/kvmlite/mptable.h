/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_MPTABLE_H
#define KVMLITE_MPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem;

/*
 * Intel MultiProcessor Specification 1.4 tables, as guests find them:
 * the 16-byte floating pointer structure at MPTABLE_BASE (in the BIOS
 * area that e820 reserves) and the configuration table right after it,
 * both inside [0xf0000, 0x100000).
 *
 * Layout of the configuration table, in the order the spec asks for:
 *	processor entries		one per CPU, the BSP flagged BP
 *	bus entries			bus 0 "PCI   ", bus 1 "ISA   "
 *	one I/O APIC entry
 *	I/O interrupt entries		ISA IRQs, then PCI INTA#-INTD#
 *	local interrupt entries		ExtINT on LINT0, NMI on LINT1
 */

#define MPTABLE_BASE		0xf0000U	/* the floating pointer */
#define MPTABLE_END		0x100000U	/* all tables end below this */
#define MPTABLE_SPEC_REV	4		/* MP spec 1.4 */

#define MPTABLE_LAPIC_ADDR	0xfee00000U
#define MPTABLE_IOAPIC_ADDR	0xfec00000U

#define MPTABLE_BUS_PCI		0
#define MPTABLE_BUS_ISA		1

/* Device numbers on a PCI bus; nr_pci_slots may not exceed it. */
#define MPTABLE_MAX_PCI_SLOTS	32
/* The count a PC-like machine describes: every slot of bus 0. */
#define MPTABLE_DEFAULT_PCI_SLOTS MPTABLE_MAX_PCI_SLOTS

/* What a processor entry reports: family 6, and FPU | APIC in CPUID.1 EDX. */
#define MPTABLE_CPU_SIGNATURE	0x600U
#define MPTABLE_CPU_FEATURES	((1U << 0) | (1U << 9))
#define MPTABLE_LAPIC_VERSION	0x14
#define MPTABLE_IOAPIC_VERSION	0x11

/*
 * PCI interrupt routing, the one formula the MP table and the PCI host
 * bridge share.  INTx# (@intx: 0 = INTA# .. 3 = INTD#) of device @slot on
 * bus 0 is wired, level-triggered and active low, to IOAPIC pin
 *
 *	pin = 16 + ((slot + intx) % 4)
 *
 * that is, pins 16-19 with the usual swizzle so that single-function
 * devices (which all use INTA#) are spread over the four pins.  The MP
 * table names the source as bus IRQ (slot << 2) | intx on bus 0, as the
 * spec defines for PCI.  The GSI of a pin is the pin number.
 */
#define MPTABLE_PCI_FIRST_PIN	16
#define MPTABLE_PCI_NR_PINS	4

static inline unsigned int mptable_pci_ioapic_pin(unsigned int slot,
						  unsigned int intx)
{
	return MPTABLE_PCI_FIRST_PIN + (slot + intx) % MPTABLE_PCI_NR_PINS;
}

struct mptable_cpu {
	uint8_t apic_id;	/* unique; not 0xff, the broadcast ID */
	bool bsp;		/* exactly one CPU is the BSP */
};

struct mptable_config {
	const struct mptable_cpu *cpus;
	unsigned int nr_cpus;		/* 1..255 */
	uint8_t ioapic_id;		/* best distinct from every APIC ID */
	uint32_t ioapic_addr;		/* MPTABLE_IOAPIC_ADDR */
	/*
	 * PCI INTA#-INTD# entries for slots 0..nr_pci_slots-1 of bus 0;
	 * 0 describes none, MPTABLE_DEFAULT_PCI_SLOTS all of them.
	 */
	unsigned int nr_pci_slots;
	uint32_t lapic_addr;		/* MPTABLE_LAPIC_ADDR */
};

/* Bytes the floating pointer and configuration table take for @cfg. */
size_t mptable_size(const struct mptable_config *cfg);

/*
 * Writes the floating pointer at MPTABLE_BASE and the configuration
 * table after it into @mem.  Returns 0, or -1 with a message in @err
 * (bad configuration, tables past MPTABLE_END, or no RAM there).
 */
int mptable_write(struct guest_mem *mem, const struct mptable_config *cfg,
		  char *err, size_t errlen);

#endif
