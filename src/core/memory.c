// SPDX-License-Identifier: MIT
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "kvmlite/memory.h"

#define HUGE_PAGE_SIZE	(2ULL << 20)

/*
 * RAM starts on a huge page boundary and asks for transparent huge pages,
 * as QEMU's does: fewer TLB misses for the guest, and for the devices
 * that copy into it (a 1 MiB read lands in 256 pages otherwise).
 */
static void *map_ram(uint64_t size)
{
	uint64_t span = size + HUGE_PAGE_SIZE, lead;
	uint8_t *p;

	/*
	 * MAP_NORESERVE: a large -m costs nothing until the guest touches
	 * it, as with QEMU's anonymous RAM.
	 */
	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	lead = -(uintptr_t)p & (HUGE_PAGE_SIZE - 1);
	if (lead)
		munmap(p, lead);
	munmap(p + lead + size, HUGE_PAGE_SIZE - lead);
	p += lead;
	madvise(p, size, MADV_HUGEPAGE);
	return p;
}

int guest_mem_init(struct guest_mem *mem, uint64_t size)
{
	void *p = map_ram(size);

	if (!p)
		return -1;
	mem->host = p;
	mem->size = size;
	mem->low_size = size < LOW_RAM_LIMIT ? size : LOW_RAM_LIMIT;
	mem->high_size = size - mem->low_size;
	return 0;
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->host)
		munmap(mem->host, mem->size);
	mem->host = NULL;
}

void guest_mem_clear(struct guest_mem *mem)
{
	/* Private anonymous pages read back as zero after MADV_DONTNEED. */
	madvise(mem->host, mem->size, MADV_DONTNEED);
}

void *guest_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (gpa < mem->low_size) {
		if (len > mem->low_size - gpa)
			return NULL;
		return mem->host + gpa;
	}
	if (gpa >= HIGH_RAM_BASE && gpa - HIGH_RAM_BASE < mem->high_size) {
		if (len > mem->high_size - (gpa - HIGH_RAM_BASE))
			return NULL;
		return mem->host + mem->low_size + (gpa - HIGH_RAM_BASE);
	}
	return NULL;
}

uint64_t guest_mem_end(const struct guest_mem *mem)
{
	return mem->high_size ? HIGH_RAM_BASE + mem->high_size : mem->low_size;
}

static int e820_add(struct e820_entry *map, int n, uint64_t addr,
		    uint64_t end, uint32_t type)
{
	if (end <= addr)
		return n;
	map[n].addr = addr;
	map[n].size = end - addr;
	map[n].type = type;
	return n + 1;
}

int guest_mem_e820(const struct guest_mem *mem, struct e820_entry *map)
{
	uint64_t low = mem->low_size;
	int n = 0;

	if (low <= BIOS_AREA_END)
		return e820_add(map, n, 0, low < EBDA_START ? low : EBDA_START,
				E820_RAM);
	/*
	 * The EBDA and the BIOS area stay reserved as on a PC: guests keep
	 * firmware tables (the MP table) there and never allocate it.
	 */
	n = e820_add(map, n, 0, EBDA_START, E820_RAM);
	n = e820_add(map, n, EBDA_START, 0xa0000, E820_RESERVED);
	n = e820_add(map, n, 0xf0000, BIOS_AREA_END, E820_RESERVED);
	n = e820_add(map, n, BIOS_AREA_END, low, E820_RAM);
	return e820_add(map, n, HIGH_RAM_BASE, HIGH_RAM_BASE + mem->high_size,
			E820_RAM);
}
