// SPDX-License-Identifier: MIT
/*
 * From the boot code to guest_main(): turns whatever boot information the
 * loader passed into a struct boot_info.  All loader data is read in place
 * through the identity map, so it must lie below 4 GiB.
 */
#include "guest.h"
#include "bootproto.h"

void boot_main(uint32_t magic, uint64_t info, uint64_t cmdline)
	__attribute__((noreturn));

static void add_mem(struct boot_info *bi, uint64_t addr, uint64_t len,
		    uint32_t type)
{
	/* QEMU's Multiboot map ends with an all-zero entry. */
	if (!len)
		return;
	if (bi->nr_mem == BOOT_MEM_MAX) {
		printf("boot: memory map truncated at %u entries\n",
		       BOOT_MEM_MAX);
		return;
	}
	bi->mem[bi->nr_mem].addr = addr;
	bi->mem[bi->nr_mem].len = len;
	bi->mem[bi->nr_mem].type = type;
	bi->nr_mem++;
}

static void parse_multiboot(struct boot_info *bi,
			    const struct multiboot_info *mbi)
{
	if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
		bi->cmdline = (const char *)(uintptr_t)mbi->cmdline;

	if (mbi->flags & MULTIBOOT_INFO_MODS && mbi->mods_count) {
		const struct multiboot_module *mod =
			(const void *)(uintptr_t)mbi->mods_addr;

		bi->nr_modules = mbi->mods_count;
		bi->module_addr = mod->mod_start;
		bi->module_size = mod->mod_end - mod->mod_start;
	}

	if (mbi->flags & MULTIBOOT_INFO_MEM_MAP) {
		uintptr_t p = mbi->mmap_addr;
		uintptr_t end = p + mbi->mmap_length;

		while (p < end) {
			const struct multiboot_mmap_entry *e = (const void *)p;

			add_mem(bi, e->addr, e->len, e->type);
			p += e->size + sizeof(e->size);
		}
	} else if (mbi->flags & MULTIBOOT_INFO_MEMORY) {
		/* Only the sizes of conventional and extended memory */
		add_mem(bi, 0, (uint64_t)mbi->mem_lower << 10, BOOT_MEM_RAM);
		add_mem(bi, 1 << 20, (uint64_t)mbi->mem_upper << 10,
			BOOT_MEM_RAM);
	}
}

static bool parse_pvh(struct boot_info *bi, const struct hvm_start_info *si)
{
	if (!si || si->magic != HVM_START_MAGIC)
		return false;

	if (si->cmdline_paddr)
		bi->cmdline = (const char *)(uintptr_t)si->cmdline_paddr;

	if (si->nr_modules && si->modlist_paddr) {
		const struct hvm_modlist_entry *mod =
			(const void *)(uintptr_t)si->modlist_paddr;

		bi->nr_modules = si->nr_modules;
		bi->module_addr = mod->paddr;
		bi->module_size = mod->size;
	}

	if (si->version >= 1 && si->memmap_paddr) {
		const struct hvm_memmap_table_entry *e =
			(const void *)(uintptr_t)si->memmap_paddr;
		uint32_t i;

		for (i = 0; i < si->memmap_entries; i++)
			add_mem(bi, e[i].addr, e[i].size, e[i].type);
	}
	return true;
}

/* boot_params: the command line, the e820 table and the initrd. */
static void parse_linux(struct boot_info *bi, const uint8_t *params)
{
	const struct linux_setup_header *hdr = (const void *)(params + BP_HDR);
	const struct linux_e820_entry *e820 =
		(const void *)(params + BP_E820_TABLE);
	unsigned int i;

	if (hdr->cmd_line_ptr)
		bi->cmdline = (const char *)(uintptr_t)hdr->cmd_line_ptr;
	for (i = 0; i < params[BP_E820_ENTRIES]; i++)
		add_mem(bi, e820[i].addr, e820[i].size, e820[i].type);
	if (hdr->ramdisk_size) {
		bi->nr_modules = 1;
		bi->module_addr = hdr->ramdisk_image;
		bi->module_size = hdr->ramdisk_size;
	}
}

/*
 * Called by head64.S with the protocol magic (Multiboot's, PVH's,
 * BOOT_ELF64_MAGIC or BOOT_LINUX_MAGIC), the boot information pointer and,
 * for ELF64 entry only, the command line pointer.
 */
void boot_main(uint32_t magic, uint64_t info, uint64_t cmdline)
{
	/* boot_main never returns, so its stack frame lives forever. */
	struct boot_info bi;

	serial_init();

	/* Field by field: an initializer would clear all of bi.mem. */
	bi.cmdline = "";
	bi.nr_mem = 0;
	bi.nr_modules = 0;
	bi.module_addr = 0;
	bi.module_size = 0;
	bi.info = info;

	switch (magic) {
	case MULTIBOOT_BOOTLOADER_MAGIC:
		bi.protocol = BOOT_MULTIBOOT;
		parse_multiboot(&bi, (const void *)(uintptr_t)info);
		break;
	case HVM_START_MAGIC:
	case BOOT_ELF64_MAGIC:
		bi.protocol = magic == HVM_START_MAGIC ? BOOT_PVH : BOOT_ELF64;
		if (!parse_pvh(&bi, (const void *)(uintptr_t)info)) {
			printf("boot: no PVH start info at 0x%lx\n", info);
			exit(GUEST_EXIT_BAD_BOOT);
		}
		if (cmdline)
			bi.cmdline = (const char *)(uintptr_t)cmdline;
		break;
	case BOOT_LINUX_MAGIC:
		bi.protocol = BOOT_LINUX;
		parse_linux(&bi, (const void *)(uintptr_t)info);
		break;
	default:
		printf("boot: unknown boot protocol magic 0x%x\n", magic);
		exit(GUEST_EXIT_BAD_BOOT);
	}

	exit(guest_main(&bi));
}
