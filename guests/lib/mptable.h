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

#endif /* GUEST_MPTABLE_H */
