// SPDX-License-Identifier: MIT
/*
 * Linux bzImage kernels, by the x86 boot protocol (Documentation/arch/
 * x86/boot.rst): the protected-mode kernel goes to its preferred address,
 * boot_params (the "zero page") is filled in as a boot loader and the
 * kernel's real-mode setup code would have left it, and the vCPU starts
 * at the 64-bit entry point in long mode, so no 16-bit code ever runs.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "loader_priv.h"

#define SECTOR_SIZE		512
#define DEFAULT_SETUP_SECTS	4	/* what setup_sects 0 means */
#define BOOT_FLAG_MAGIC		0xaa55
#define HDRS_MAGIC		0x53726448	/* "HdrS" */
#define MIN_VERSION		0x0206	/* cmdline_size */
#define XLOADFLAGS_VERSION	0x020c	/* first with xloadflags */
#define PREF_ADDRESS_VERSION	0x020a	/* pref_address and init_size */
#define LOADED_HIGH		(1 << 0)
#define XLF_KERNEL_64		(1 << 0)
#define LOW_LOAD_ADDR		0x100000ULL
#define STARTUP_64_OFFSET	0x200
/* type_of_loader of a loader without an assigned ID */
#define LOADER_UNDEFINED	0xff
#define SUBARCH_PC		0

/* Where boot_params keeps the setup header and the memory map. */
#define BP_E820_ENTRIES		0x1e8
#define BP_HDR			0x1f1
#define BP_HDR_LIMIT		0x290	/* where the next field begins */
#define BP_E820_TABLE		0x2d0
#define BP_SIZE			0x1000

struct setup_header {
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

_Static_assert(offsetof(struct setup_header, header) == 0x202 - BP_HDR,
	       "setup header layout");
_Static_assert(offsetof(struct setup_header, kernel_info_offset) ==
	       0x268 - BP_HDR, "setup header layout");

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* What the loader decided, from the header of the file. */
struct bzimage {
	const struct setup_header *hdr;
	uint64_t setup_size;	/* boot sector and setup sectors */
	uint64_t hdr_end;	/* file offset after the setup header */
	uint64_t load_addr;
	uint64_t kernel_size;	/* bytes of protected-mode kernel */
	uint64_t mem_size;	/* what it needs from load_addr on */
};

static int bz_check_header(const struct boot_file *f, struct bzimage *bz,
			   char *err, size_t errlen)
{
	const struct setup_header *h = bz->hdr;
	unsigned int sects = h->setup_sects ? h->setup_sects
					    : DEFAULT_SETUP_SECTS;

	if (h->version < MIN_VERSION) {
		snprintf(err, errlen, "%s: Linux boot protocol %u.%02u is too "
			 "old; kvmlite needs 2.06 or later", f->path,
			 h->version >> 8, h->version & 0xff);
		return -1;
	}
	if (h->boot_flag != BOOT_FLAG_MAGIC || !(h->loadflags & LOADED_HIGH)) {
		snprintf(err, errlen, "%s: not a bzImage (boot flag 0x%x, "
			 "loadflags 0x%x); kvmlite expects a bzImage",
			 f->path, h->boot_flag, h->loadflags);
		return -1;
	}
	if (h->version < XLOADFLAGS_VERSION ||
	    !(h->xloadflags & XLF_KERNEL_64)) {
		snprintf(err, errlen, "%s: no 64-bit entry point (boot "
			 "protocol %u.%02u); kvmlite expects a 64-bit bzImage "
			 "with XLF_KERNEL_64", f->path, h->version >> 8,
			 h->version & 0xff);
		return -1;
	}
	bz->setup_size = (uint64_t)(sects + 1) * SECTOR_SIZE;
	bz->kernel_size = (uint64_t)h->syssize * 16;
	if (!bz->kernel_size || f->size < bz->setup_size + bz->kernel_size) {
		snprintf(err, errlen, "%s: truncated bzImage: %zu bytes, but "
			 "its header describes %llu", f->path, f->size,
			 (unsigned long long)(bz->setup_size +
					      bz->kernel_size));
		return -1;
	}
	/* The whole file past the setup code is the kernel. */
	bz->kernel_size = f->size - bz->setup_size;
	bz->hdr_end = 0x202 + f->data[0x201];
	if (bz->hdr_end > BP_HDR_LIMIT)
		bz->hdr_end = BP_HDR_LIMIT;
	return 0;
}

static void bz_place_kernel(struct bzimage *bz)
{
	const struct setup_header *h = bz->hdr;

	bz->load_addr = LOW_LOAD_ADDR;
	bz->mem_size = bz->kernel_size;
	if (h->version < PREF_ADDRESS_VERSION)
		return;
	if (h->relocatable_kernel && h->pref_address >= LOW_LOAD_ADDR)
		bz->load_addr = h->pref_address;
	/* The decompressor works in place, in init_size bytes. */
	if (h->init_size > bz->mem_size)
		bz->mem_size = h->init_size;
}

static void bz_write_e820(struct guest_mem *mem, uint8_t *params)
{
	struct e820_entry e820[MAX_E820_ENTRIES];
	struct boot_e820_entry *table = (void *)(params + BP_E820_TABLE);
	int i, n = guest_mem_e820(mem, e820);

	for (i = 0; i < n; i++) {
		table[i].addr = e820[i].addr;
		table[i].size = e820[i].size;
		table[i].type = e820[i].type;
	}
	params[BP_E820_ENTRIES] = n;
}

static int bz_check_cmdline(const struct boot_files *files,
			    const struct setup_header *h, char *err,
			    size_t errlen)
{
	size_t len = strlen(files->cmdline);

	if (len <= h->cmdline_size)
		return 0;
	snprintf(err, errlen, "-append: the command line is %zu bytes; %s "
		 "accepts at most %u", len, files->kernel.path,
		 h->cmdline_size);
	return -1;
}

/* The zero page: the file's setup header, then what a loader fills in. */
static void bz_write_params(struct guest_mem *mem, const struct boot_file *f,
			    const struct bzimage *bz, uint64_t initrd,
			    uint64_t initrd_size)
{
	uint8_t *params = guest_ptr(mem, BOOT_INFO_ADDR, BP_SIZE);
	struct setup_header *h = (void *)(params + BP_HDR);

	memset(params, 0, BP_SIZE);
	memcpy(params + BP_HDR, f->data + BP_HDR, bz->hdr_end - BP_HDR);
	h->type_of_loader = LOADER_UNDEFINED;
	h->code32_start = bz->load_addr;
	h->cmd_line_ptr = BOOT_CMDLINE_ADDR;
	h->ramdisk_image = initrd;
	h->ramdisk_size = initrd_size;
	h->hardware_subarch = SUBARCH_PC;
	h->hardware_subarch_data = 0;
	h->setup_data = 0;
	bz_write_e820(mem, params);
}

static int bzimage_load(struct guest_mem *mem, const struct boot_files *files,
			struct boot_state *state, char *err, size_t errlen)
{
	const struct boot_file *f = &files->kernel;
	struct bzimage bz;
	uint64_t initrd;

	if (f->size < BP_HDR + sizeof(*bz.hdr))
		return 0;
	bz.hdr = (const void *)(f->data + BP_HDR);
	if (bz.hdr->header != HDRS_MAGIC)
		return 0;
	if (bz_check_header(f, &bz, err, errlen) ||
	    bz_check_cmdline(files, bz.hdr, err, errlen))
		return -1;
	bz_place_kernel(&bz);
	if (boot_check_range(mem, f->path, bz.load_addr, bz.mem_size, err,
			     errlen) ||
	    boot_write_cmdline(mem, NULL, files->cmdline, err, errlen) ||
	    boot_write_page_tables(mem, err, errlen))
		return -1;
	memcpy(guest_ptr(mem, bz.load_addr, bz.kernel_size),
	       f->data + bz.setup_size, bz.kernel_size);
	/* initrd_addr_max is the last byte the initrd may occupy. */
	initrd = boot_place_initrd(mem, files, bz.load_addr + bz.mem_size,
				   (uint64_t)bz.hdr->initrd_addr_max + 1, err,
				   errlen);
	if (files->initrd.size && !initrd)
		return -1;
	boot_write_gdt(mem);
	bz_write_params(mem, f, &bz, initrd, files->initrd.size);
	state->format = "bzimage";
	state->mode = BOOT_LONG64;
	state->entry = bz.load_addr + STARTUP_64_OFFSET;
	state->rsi = BOOT_INFO_ADDR;
	return 1;
}

const struct loader_format bzimage_format = { "bzImage", bzimage_load };
