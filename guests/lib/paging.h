/* SPDX-License-Identifier: MIT */
/* The runtime's page tables: head64.S's identity map of the low 4 GiB. */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include <stdint.h>

#define PTE_PRESENT	(1ULL << 0)
#define PTE_WRITE	(1ULL << 1)
#define PTE_USER	(1ULL << 2)
#define PTE_LARGE	(1ULL << 7)
#define PTE_ADDR_MASK	0x000ffffffffff000ULL
#define PAGE_2M		(1ULL << 21)
#define PT_ENTRIES	512
#define PT_LEVEL_PD	2	/* below the PML4 (0) and the PDPT (1) */

extern uint64_t pml4[PT_ENTRIES];

/* The index of @addr in a table of level @level */
static inline unsigned int pt_index(uint64_t addr, unsigned int level)
{
	return (addr >> (39 - 9 * level)) % PT_ENTRIES;
}

#endif /* GUEST_PAGING_H */
