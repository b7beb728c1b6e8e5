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
/* The same for the Linux 64-bit entry (guests/boot/linux64.S). */
#define BOOT_LINUX_MAGIC		0x4c696e78

/*
 * The Linux boot protocol (Documentation/arch/x86/boot.rst) as the bzImage
 * guests declare it in their setup header (guests/boot/bzsetup.S).
 */
#define LINUX_SETUP_SECTS		1
#define LINUX_BOOT_VERSION		0x020f
#define LINUX_LOADED_HIGH		(1 << 0)
#define LINUX_XLF_KERNEL_64		(1 << 0)
#define LINUX_KERNEL_ALIGNMENT		0x200000
#define LINUX_CMDLINE_SIZE		2047
/* Below -m 1G's top, so a loader that ignores it is caught. */
#define LINUX_INITRD_ADDR_MAX		0x37ffffff
#define LINUX_BOOT_CS			0x10
#define LINUX_BOOT_DS			0x18
/* Status of a guest the loader entered at the 32-bit entry point. */
#define LINUX_WRONG_ENTRY_EXIT		0x7c

/* Selectors of the boot code's own GDT */
#define GDT_CODE64			0x08
#define GDT_DATA			0x10

/* head64.S's exception entries: vector N's is at isr_entries + N * this */
#define ISR_ENTRY_SIZE			16

#define STACK_SIZE			0x4000

/* isa-debug-exit, as the tests configure it */
#define DEBUG_EXIT_PORT			0xf4

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

/* Where boot_params keeps what the guests read. */
#define BP_E820_ENTRIES			0x1e8
#define BP_SENTINEL			0x1ef
#define BP_HDR				0x1f1
#define BP_E820_TABLE			0x2d0

struct linux_setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

struct linux_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#endif /* __ASSEMBLER__ */
#endif /* GUEST_BOOTPROTO_H */
