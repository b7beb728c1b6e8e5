/* SPDX-License-Identifier: MIT */
/*
 * Constants shared by the boot code (assembly) and the C runtime: the boot
 * protocols the guests speak and the memory layout of the boot code.
 */
#ifndef GUEST_BOOTPROTO_H
#define GUEST_BOOTPROTO_H

/* Multiboot v1 */
#define MULTIBOOT_HEADER_MAGIC		0x1BADB002
#define MULTIBOOT_PAGE_ALIGN		(1 << 0)	/* modules on 4 KiB */
#define MULTIBOOT_MEMORY_INFO		(1 << 1)	/* mem_* and mmap_* */
#define MULTIBOOT_HEADER_FLAGS		(MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)
#define MULTIBOOT_BOOTLOADER_MAGIC	0x2BADB002

/* Xen PVH: the ELF note carrying the 32-bit entry point */
#define XEN_ELFNOTE_PHYS32_ENTRY	18
#define HVM_START_MAGIC			0x336ec578

/*
 * Not a protocol value: the ELF64 entry hands it to the common 64-bit code
 * in place of the magic a 32-bit loader leaves in eax.
 */
#define BOOT_ELF64_MAGIC		0x454c4636

/* Selectors of the boot code's own GDT */
#define GDT_CODE64			0x08
#define GDT_DATA			0x10

#define STACK_SIZE			0x4000

#ifndef __ASSEMBLER__

#include <stdint.h>

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* version >= 1 */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

#define MULTIBOOT_INFO_MEMORY		(1 << 0)
#define MULTIBOOT_INFO_CMDLINE		(1 << 2)
#define MULTIBOOT_INFO_MODS		(1 << 3)
#define MULTIBOOT_INFO_MEM_MAP		(1 << 6)

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;		/* KiB from 0 */
	uint32_t mem_upper;		/* KiB from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
};

struct multiboot_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;
};

/* @size counts the bytes after itself, so entries may grow. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __attribute__((packed));

#endif /* __ASSEMBLER__ */
#endif /* GUEST_BOOTPROTO_H */
