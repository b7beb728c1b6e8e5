// SPDX-License-Identifier: MIT
/*
 * The Xen PVH boot ABI: an ELF kernel that names a 32-bit entry point in
 * a XEN_ELFNOTE_PHYS32_ENTRY note is entered in flat protected mode with
 * ebx pointing at struct hvm_start_info.
 */
#include <stdio.h>
#include <string.h>

#include "loader_priv.h"

#define XEN_ELFNOTE_PHYS32_ENTRY	18
#define HVM_START_MAGIC			0x336ec578
#define HVM_START_VERSION		1	/* has the memory map */

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
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

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

void pvh_write_start_info(struct guest_mem *mem,
			  const struct boot_files *files, uint64_t initrd)
{
	struct hvm_start_info *info = guest_ptr(mem, BOOT_INFO_ADDR,
						sizeof(*info));
	struct hvm_memmap_entry *map = guest_ptr(mem, BOOT_MEMMAP_ADDR,
					sizeof(*map) * MAX_E820_ENTRIES);
	struct hvm_modlist_entry *mod = guest_ptr(mem, BOOT_MODLIST_ADDR,
						  sizeof(*mod));
	struct e820_entry e820[MAX_E820_ENTRIES];
	int i, n = guest_mem_e820(mem, e820);

	memset(info, 0, sizeof(*info));
	info->magic = HVM_START_MAGIC;
	info->version = HVM_START_VERSION;
	info->cmdline_paddr = BOOT_CMDLINE_ADDR;
	info->memmap_paddr = BOOT_MEMMAP_ADDR;
	info->memmap_entries = n;
	for (i = 0; i < n; i++) {
		map[i].addr = e820[i].addr;
		map[i].size = e820[i].size;
		map[i].type = e820[i].type;
		map[i].reserved = 0;
	}
	if (initrd) {
		memset(mod, 0, sizeof(*mod));
		mod->paddr = initrd;
		mod->size = files->initrd.size;
		info->nr_modules = 1;
		info->modlist_paddr = BOOT_MODLIST_ADDR;
	}
}

int pvh_load_elf(struct guest_mem *mem, const struct boot_files *files,
		 const struct elf_image *elf, char *err, size_t errlen)
{
	uint64_t end, initrd;

	if (elf_load(elf, mem, &end, err, errlen) ||
	    boot_write_cmdline(mem, NULL, files->cmdline, err, errlen))
		return -1;
	initrd = boot_place_initrd(mem, files, end, LOW_RAM_LIMIT, err,
				   errlen);
	if (files->initrd.size && !initrd)
		return -1;
	boot_write_gdt(mem);
	pvh_write_start_info(mem, files, initrd);
	return 0;
}

static int pvh_load(struct guest_mem *mem, const struct boot_files *files,
		    struct boot_state *state, char *err, size_t errlen)
{
	const char *path = files->kernel.path;
	struct elf_image elf;
	const void *desc;
	uint32_t desc_len, entry;

	if (!elf_parse(&files->kernel, &elf))
		return 0;
	desc = elf_find_note(&elf, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &desc_len);
	if (!desc)
		return 0;
	if (desc_len != 4 && desc_len != 8) {
		snprintf(err, errlen, "%s: PVH entry note has %u bytes, "
			 "expected 4 or 8", path, desc_len);
		return -1;
	}
	memcpy(&entry, desc, sizeof(entry));
	if (pvh_load_elf(mem, files, &elf, err, errlen))
		return -1;
	state->format = "pvh";
	state->mode = BOOT_PROTECTED32;
	state->entry = entry;
	state->rbx = BOOT_INFO_ADDR;
	return 1;
}

const struct loader_format pvh_format = { "PVH ELF", pvh_load };
