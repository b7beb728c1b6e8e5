// SPDX-License-Identifier: MIT
/*
 * Multiboot (version 0.6.96) kernels: a 32-bit ELF, or any image with the
 * a.out kludge, with a header in its first 8 KiB.  The information
 * structure matches what QEMU's -kernel gives such a kernel.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "loader_priv.h"

#define MB_HEADER_MAGIC		0x1badb002
#define MB_BOOT_MAGIC		0x2badb002
#define MB_SEARCH_LIMIT		8192
#define MB_FLAG_AOUT_KLUDGE	(1U << 16)
/* Bits 0-1 (page-align modules, memory info) are always satisfied. */
#define MB_FLAGS_UNDERSTOOD	(0x3U | MB_FLAG_AOUT_KLUDGE)

#define MBI_MEM			(1U << 0)
#define MBI_CMDLINE		(1U << 2)
#define MBI_MODS		(1U << 3)
#define MBI_MMAP		(1U << 6)
#define MBI_LOADER_NAME		(1U << 9)

#define MB_LOADER_NAME_ADDR	(BOOT_MODNAME_ADDR + 0x400)
#define MB_NAME_MAX		0x400

struct mb_header {
	uint32_t magic;
	uint32_t flags;
	uint32_t checksum;
	uint32_t header_addr;
	uint32_t load_addr;
	uint32_t load_end_addr;
	uint32_t bss_end_addr;
	uint32_t entry_addr;
};

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
};

struct mb_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;
};

struct mb_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __attribute__((packed));

/*
 * Copies the header out of the file, zero-padded past its end: the
 * file's bytes need not be 4-byte aligned in memory.
 */
static bool mb_find_header(const struct boot_file *f, struct mb_header *h,
			   uint64_t *offset)
{
	uint64_t limit = f->size < MB_SEARCH_LIMIT ? f->size : MB_SEARCH_LIMIT;
	uint64_t off;

	for (off = 0; off + 12 <= limit; off += 4) {
		memset(h, 0, sizeof(*h));
		memcpy(h, f->data + off, f->size - off < sizeof(*h) ?
		       f->size - off : sizeof(*h));
		if (h->magic == MB_HEADER_MAGIC &&
		    h->magic + h->flags + h->checksum == 0) {
			*offset = off;
			return true;
		}
	}
	return false;
}

/* The a.out kludge: the header says where the image goes. */
static int mb_load_kludge(struct guest_mem *mem, const struct boot_file *f,
			  const struct mb_header *h, uint64_t hdr_off,
			  uint64_t *end, char *err, size_t errlen)
{
	uint64_t file_off, load_len, mem_end;

	if (hdr_off + sizeof(*h) > f->size || h->header_addr < h->load_addr ||
	    h->header_addr - h->load_addr > hdr_off)
		goto bad;
	file_off = hdr_off - (h->header_addr - h->load_addr);
	load_len = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr
				    : f->size - file_off;
	if (h->load_end_addr && h->load_end_addr < h->load_addr)
		goto bad;
	if (load_len > f->size - file_off)
		goto bad;
	mem_end = h->bss_end_addr ? h->bss_end_addr : h->load_addr + load_len;
	if (mem_end < h->load_addr + load_len)
		goto bad;
	if (boot_check_range(mem, f->path, h->load_addr,
			     mem_end - h->load_addr, err, errlen))
		return -1;
	memcpy(guest_ptr(mem, h->load_addr, load_len), f->data + file_off,
	       load_len);
	memset(guest_ptr(mem, h->load_addr + load_len, mem_end - h->load_addr - load_len),
	       0, mem_end - h->load_addr - load_len);
	*end = mem_end;
	return 0;
bad:
	snprintf(err, errlen, "%s: inconsistent multiboot a.out addresses",
		 f->path);
	return -1;
}

static int mb_write_name(struct guest_mem *mem, uint64_t addr,
			 const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name) + 1;

	if (len > MB_NAME_MAX) {
		snprintf(err, errlen, "-initrd: the name '%s' is too long for "
			 "a multiboot module string", name);
		return -1;
	}
	memcpy(guest_ptr(mem, addr, len), name, len);
	return 0;
}

static void mb_write_mmap(struct guest_mem *mem, struct mb_info *info)
{
	struct e820_entry e820[MAX_E820_ENTRIES];
	struct mb_mmap_entry *map = guest_ptr(mem, BOOT_MEMMAP_ADDR,
					sizeof(*map) * MAX_E820_ENTRIES);
	int i, n = guest_mem_e820(mem, e820);

	for (i = 0; i < n; i++) {
		map[i].size = sizeof(map[i]) - sizeof(map[i].size);
		map[i].addr = e820[i].addr;
		map[i].len = e820[i].size;
		map[i].type = e820[i].type;
	}
	info->mmap_addr = BOOT_MEMMAP_ADDR;
	info->mmap_length = n * sizeof(*map);
}

static int mb_write_info(struct guest_mem *mem, const struct boot_files *files,
			 uint64_t initrd, char *err, size_t errlen)
{
	struct mb_info *info = guest_ptr(mem, BOOT_INFO_ADDR, sizeof(*info));
	struct mb_module *mod = guest_ptr(mem, BOOT_MODLIST_ADDR, sizeof(*mod));

	memset(info, 0, sizeof(*info));
	info->flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME;
	info->mem_lower = EBDA_START >> 10;
	info->mem_upper = (mem->low_size - BIOS_AREA_END) >> 10;
	info->cmdline = BOOT_CMDLINE_ADDR;
	mb_write_mmap(mem, info);
	if (mb_write_name(mem, MB_LOADER_NAME_ADDR, "kvmlite", err, errlen))
		return -1;
	info->boot_loader_name = MB_LOADER_NAME_ADDR;
	if (!initrd)
		return 0;
	if (mb_write_name(mem, BOOT_MODNAME_ADDR, files->initrd.path, err,
			  errlen))
		return -1;
	mod->mod_start = initrd;
	mod->mod_end = initrd + files->initrd.size;
	mod->string = BOOT_MODNAME_ADDR;
	mod->reserved = 0;
	info->flags |= MBI_MODS;
	info->mods_count = 1;
	info->mods_addr = BOOT_MODLIST_ADDR;
	return 0;
}

static int mb_load_image(struct guest_mem *mem, const struct boot_file *f,
			 const struct mb_header *h, uint64_t hdr_off,
			 uint64_t *entry, uint64_t *end, char *err,
			 size_t errlen)
{
	struct elf_image elf;

	if (h->flags & MB_FLAG_AOUT_KLUDGE) {
		/* Only once the kludge fields are known to lie in the file. */
		if (mb_load_kludge(mem, f, h, hdr_off, end, err, errlen))
			return -1;
		*entry = h->entry_addr;
		return 0;
	}
	if (!elf_parse(f, &elf) || elf.is64 || elf.machine != EM_386) {
		snprintf(err, errlen, "%s: a multiboot kernel must be a 32-bit "
			 "ELF or use the a.out kludge", f->path);
		return -1;
	}
	*entry = elf.entry;
	return elf_load(&elf, mem, end, err, errlen);
}

static int multiboot_load(struct guest_mem *mem,
			  const struct boot_files *files,
			  struct boot_state *state, char *err, size_t errlen)
{
	const struct boot_file *f = &files->kernel;
	struct mb_header header, *h = &header;
	struct elf_image elf;
	uint64_t hdr_off, entry, end, initrd;

	if (!mb_find_header(f, h, &hdr_off))
		return 0;
	/* A 64-bit ELF that also carries a header boots as plain ELF64. */
	if (!(h->flags & MB_FLAG_AOUT_KLUDGE) && elf_parse(f, &elf) &&
	    elf.is64)
		return 0;
	if (h->flags & 0xffff & ~MB_FLAGS_UNDERSTOOD) {
		snprintf(err, errlen, "%s: multiboot header requests features "
			 "kvmlite does not provide (flags 0x%x)", f->path,
			 h->flags);
		return -1;
	}
	/* Like GRUB and QEMU, the command line starts with the kernel. */
	if (mb_load_image(mem, f, h, hdr_off, &entry, &end, err, errlen) ||
	    boot_write_cmdline(mem, f->path, files->cmdline, err, errlen))
		return -1;
	initrd = boot_place_initrd(mem, files, end, LOW_RAM_LIMIT, err,
				   errlen);
	if ((files->initrd.size && !initrd) ||
	    mb_write_info(mem, files, initrd, err, errlen))
		return -1;
	boot_write_gdt(mem);
	state->format = "multiboot";
	state->mode = BOOT_PROTECTED32;
	state->entry = entry;
	state->rax = MB_BOOT_MAGIC;
	state->rbx = BOOT_INFO_ADDR;
	return 1;
}

const struct loader_format multiboot_format = { "Multiboot", multiboot_load };
