/* SPDX-License-Identifier: MIT */
/* Reading the Intel MultiProcessor Specification 1.4 tables, as an OS does. */
#ifndef GUEST_MPTABLE_H
#define GUEST_MPTABLE_H

#include <stdbool.h>
#include <stdint.h>

#define MP_MAX_CPUS	256	/* xAPIC IDs are 8 bits */

struct mp_info {
	uint32_t lapic_addr;
	unsigned int nr_cpus;		/* enabled processor entries */
	uint8_t apic_id[MP_MAX_CPUS];	/* in table order */
	int bsp;			/* index in apic_id[], or -1 */
	unsigned int nr_buses, nr_ioapics, nr_irqs;
};

/*
 * Finds the floating pointer where the spec says to look, checks both
 * checksums and reads the base table.  Returns NULL on success, else what
 * was wrong.
 */
const char *mp_read(struct mp_info *info);

/* I/O interrupt entry flags: polarity in bits 1:0, trigger in bits 3:2 */
#define MP_IRQ_POLARITY_MASK	0x3
#define MP_IRQ_ACTIVE_HIGH	0x1
#define MP_IRQ_ACTIVE_LOW	0x3
#define MP_IRQ_TRIGGER_MASK	0xc
#define MP_IRQ_EDGE		0x4
#define MP_IRQ_LEVEL		0xc

/* Where an I/O interrupt entry sends its source */
struct mp_irq_route {
	uint16_t flags;			/* MP_IRQ_*; 0: the bus's default */
	uint8_t ioapic_id;
	uint8_t ioapic_pin;
};

/*
 * Looks up the vectored interrupt entry for bus IRQ @src_irq of the
 * first bus whose type starts with @bus_type ("PCI", "ISA"); for PCI the
 * bus IRQ is (device << 2) | INTx#.  Returns NULL on success, else what
 * was wrong.
 */
const char *mp_find_irq(const char *bus_type, uint8_t src_irq,
			struct mp_irq_route *route);

#endif /* GUEST_MPTABLE_H */
