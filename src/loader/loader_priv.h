/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_LOADER_PRIV_H
#define KVMLITE_LOADER_PRIV_H

#include <elf.h>

#include "kvmlite/loader.h"
#include "kvmlite/memory.h"

/* An ELF file whose headers were checked to lie inside the file. */
struct elf_image {
	const struct boot_file *file;
	bool is64;
	uint16_t machine;
	uint64_t entry;
	uint64_t phoff;
	uint16_t phnum;
};

struct elf_segment {
	uint32_t type;
	uint64_t offset;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
};

bool elf_parse(const struct boot_file *file, struct elf_image *elf);
void elf_segment(const struct elf_image *elf, unsigned int i,
		 struct elf_segment *seg);
/* The descriptor of note @name/@type in a PT_NOTE segment, or NULL. */
const void *elf_find_note(const struct elf_image *elf, const char *name,
			  uint32_t type, uint32_t *desc_len);
/* Copies every PT_LOAD segment to its physical address. */
int elf_load(const struct elf_image *elf, struct guest_mem *mem,
	     uint64_t *end, char *err, size_t errlen);

/* Boot environment pieces shared by the formats. */
void boot_write_gdt(struct guest_mem *mem);
int boot_write_page_tables(struct guest_mem *mem, char *err, size_t errlen);
/* Writes "@prefix @cmdline", or just @cmdline when @prefix is NULL. */
int boot_write_cmdline(struct guest_mem *mem, const char *prefix,
		       const char *cmdline, char *err, size_t errlen);
/*
 * Copies the initrd as high as it goes below @top and the end of low RAM,
 * above @kernel_end; returns its address, or 0 (and @err) if it does not
 * fit.
 */
uint64_t boot_place_initrd(struct guest_mem *mem,
			   const struct boot_files *files, uint64_t kernel_end,
			   uint64_t top, char *err, size_t errlen);
/* Whether [start, end) of the image may be written: above 1 MiB, in RAM. */
int boot_check_range(struct guest_mem *mem, const char *path, uint64_t start,
		     uint64_t len, char *err, size_t errlen);

/*
 * Loads @elf with the command line, initrd, GDT and hvm_start_info: all
 * a PVH kernel, or an ELF64 kernel entered in long mode, is given.
 */
int pvh_load_elf(struct guest_mem *mem, const struct boot_files *files,
		 const struct elf_image *elf, char *err, size_t errlen);

/* Writes hvm_start_info (PVH ABI) at BOOT_INFO_ADDR. */
void pvh_write_start_info(struct guest_mem *mem,
			  const struct boot_files *files, uint64_t initrd);

struct loader_format {
	const char *name;
	/* 1: loaded, 0: not this format, -1: this format but broken. */
	int (*load)(struct guest_mem *mem, const struct boot_files *files,
		    struct boot_state *state, char *err, size_t errlen);
};

extern const struct loader_format bzimage_format;
extern const struct loader_format pvh_format;
extern const struct loader_format multiboot_format;
extern const struct loader_format elf64_format;

#endif
