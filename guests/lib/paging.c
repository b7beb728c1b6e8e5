// SPDX-License-Identifier: MIT
/*
 * Identity mappings beyond the static low 4 GiB of head64.S, with 2 MiB
 * pages and page tables taken from a small static pool that is never freed.
 */
#include "guest.h"
#include "paging.h"

/* Page directories (1 GiB each) and PDPTs (512 GiB each) to hand out */
#define PT_POOL_PAGES	16

static uint64_t pt_pool[PT_POOL_PAGES][PT_ENTRIES]
	__attribute__((aligned(4096), section(".noinit")));
static unsigned int pt_pool_used;

/* Returns the table @table[@index] points to, creating it if need be. */
static uint64_t *next_table(uint64_t *table, unsigned int index)
{
	uint64_t *next;

	if (!(table[index] & PTE_PRESENT)) {
		if (pt_pool_used == PT_POOL_PAGES)
			return NULL;
		next = pt_pool[pt_pool_used++];
		memset(next, 0, sizeof(pt_pool[0]));
		table[index] = (uintptr_t)next | PTE_PRESENT | PTE_WRITE;
	}
	return (uint64_t *)(uintptr_t)(table[index] & PTE_ADDR_MASK);
}

/*
 * Identity-maps every 2 MiB page touching [@addr, @addr + @len).  Returns 0,
 * or -1 when the pool is exhausted.  No TLB flush is needed: the CPU does
 * not cache entries that were not present.
 */
int map_identity(uint64_t addr, uint64_t len)
{
	uint64_t page, end = addr + len;
	uint64_t *pdpt, *pd;

	for (page = addr & ~(PAGE_2M - 1); page < end; page += PAGE_2M) {
		pdpt = next_table(pml4, pt_index(page, 0));
		if (!pdpt)
			return -1;
		pd = next_table(pdpt, pt_index(page, 1));
		if (!pd)
			return -1;
		pd[pt_index(page, PT_LEVEL_PD)] = page | PTE_PRESENT |
						PTE_WRITE | PTE_LARGE;
	}
	/* The caller's accesses through the new mapping must come after. */
	asm volatile("" : : : "memory");
	return 0;
}
