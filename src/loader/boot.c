// SPDX-License-Identifier: MIT
/*
 * The boot environment every loader shares: a flat GDT, identity-mapped
 * page tables for long-mode entry, the command line and the initrd.
 */
#include <stdio.h>
#include <string.h>

#include "loader_priv.h"

#define PAGE_SIZE	4096ULL
#define GIB		(1ULL << 30)
#define PTE_PRESENT	(1ULL << 0)
#define PTE_WRITE	(1ULL << 1)
#define PTE_LARGE	(1ULL << 7)

static const uint64_t boot_gdt[] = {
	[0] = 0,
	[BOOT_CS32 / 8] = 0x00cf9b000000ffffULL,	/* 32-bit code, flat */
	[BOOT_CS64 / 8] = 0x00af9b000000ffffULL,	/* 64-bit code */
	[BOOT_DS / 8] = 0x00cf93000000ffffULL,		/* data, flat */
	[BOOT_TSS / 8] = 0x00008b0000000067ULL,		/* busy TSS at 0 */
	[BOOT_TSS / 8 + 1] = 0,				/* its upper half */
};

void boot_write_gdt(struct guest_mem *mem)
{
	memcpy(guest_ptr(mem, BOOT_GDT_ADDR, sizeof(boot_gdt)), boot_gdt,
	       sizeof(boot_gdt));
}

int boot_write_page_tables(struct guest_mem *mem, char *err, size_t errlen)
{
	uint64_t end = guest_mem_end(mem);
	uint64_t max_pds = (BOOT_PD_LIMIT - BOOT_PD_ADDR) / PAGE_SIZE;
	uint64_t *pml4 = guest_ptr(mem, BOOT_PML4_ADDR, PAGE_SIZE);
	uint64_t *pdpt = guest_ptr(mem, BOOT_PDPT_ADDR, PAGE_SIZE);
	uint64_t nr_pds, *pd, i;

	/* The low 4 GiB always, so the MMIO hole is reachable too. */
	if (end < 4 * GIB)
		end = 4 * GIB;
	nr_pds = (end + GIB - 1) / GIB;
	if (nr_pds > max_pds) {
		snprintf(err, errlen, "an ELF64 kernel is entered with at most "
			 "%llu GiB identity-mapped; RAM ends at %llu GiB",
			 (unsigned long long)max_pds,
			 (unsigned long long)(end / GIB));
		return -1;
	}
	pd = guest_ptr(mem, BOOT_PD_ADDR, nr_pds * PAGE_SIZE);
	if (!pml4 || !pdpt || !pd) {
		snprintf(err, errlen, "guest RAM too small for page tables");
		return -1;
	}
	pml4[0] = BOOT_PDPT_ADDR | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < nr_pds; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * PAGE_SIZE) | PTE_PRESENT |
			  PTE_WRITE;
	for (i = 0; i < nr_pds * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
	return 0;
}

int boot_write_cmdline(struct guest_mem *mem, const char *prefix,
		       const char *cmdline, char *err, size_t errlen)
{
	char *dst = guest_ptr(mem, BOOT_CMDLINE_ADDR, BOOT_CMDLINE_MAX);
	int len;

	if (prefix)
		len = snprintf(dst, BOOT_CMDLINE_MAX, "%s %s", prefix, cmdline);
	else
		len = snprintf(dst, BOOT_CMDLINE_MAX, "%s", cmdline);
	if (len >= (int)BOOT_CMDLINE_MAX) {
		snprintf(err, errlen, "-append: the command line is %d bytes;"
			 " at most %llu fit", len, BOOT_CMDLINE_MAX - 1);
		return -1;
	}
	return 0;
}

int boot_check_range(struct guest_mem *mem, const char *path, uint64_t start,
		     uint64_t len, char *err, size_t errlen)
{
	if (start < BIOS_AREA_END) {
		snprintf(err, errlen, "%s: loads at 0x%llx, below 1 MiB, where "
			 "kvmlite keeps the boot data", path,
			 (unsigned long long)start);
		return -1;
	}
	if (!guest_ptr(mem, start, len)) {
		snprintf(err, errlen, "%s: needs guest RAM at 0x%llx-0x%llx, "
			 "which this -m does not provide", path,
			 (unsigned long long)start,
			 (unsigned long long)(start + len - 1));
		return -1;
	}
	return 0;
}

uint64_t boot_place_initrd(struct guest_mem *mem,
			   const struct boot_files *files, uint64_t kernel_end,
			   uint64_t top, char *err, size_t errlen)
{
	const struct boot_file *rd = &files->initrd;
	uint64_t addr;

	if (!rd->size)
		return 0;
	if (top > mem->low_size)
		top = mem->low_size;
	addr = (top - rd->size) & ~(PAGE_SIZE - 1);
	if (rd->size > top || addr < kernel_end || addr < BIOS_AREA_END) {
		snprintf(err, errlen, "%s: the initrd (%zu bytes) does not fit "
			 "in guest RAM between the kernel and 0x%llx",
			 rd->path, rd->size, (unsigned long long)top);
		return 0;
	}
	memcpy(guest_ptr(mem, addr, rd->size), rd->data, rd->size);
	return addr;
}
