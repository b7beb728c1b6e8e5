/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_LOADER_H
#define KVMLITE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem;

/*
 * Where the loaders put what they hand the guest, all below the EBDA so a
 * kernel loaded at 1 MiB never overlaps it.
 */
#define BOOT_GDT_ADDR		0x0500ULL
/* hvm_start_info, Multiboot information or Linux boot_params (4 KiB) */
#define BOOT_INFO_ADDR		0x1000ULL
#define BOOT_MEMMAP_ADDR	0x1100ULL
#define BOOT_MODLIST_ADDR	0x1800ULL
#define BOOT_MODNAME_ADDR	0x1900ULL
#define BOOT_CMDLINE_ADDR	0x2000ULL
#define BOOT_CMDLINE_MAX	0x2000ULL	/* bytes, with the NUL */
#define BOOT_PML4_ADDR		0x4000ULL
#define BOOT_PDPT_ADDR		0x5000ULL
#define BOOT_PD_ADDR		0x6000ULL	/* one 4 KiB PD per GiB */
#define BOOT_PD_LIMIT		0x9f000ULL

/*
 * GDT selectors the boot state refers to.  0x10 and 0x18 are the code and
 * data selectors Linux's 64-bit boot protocol asks for (__BOOT_CS/_DS).
 */
#define BOOT_CS32		0x08
#define BOOT_CS64		0x10
#define BOOT_DS			0x18
#define BOOT_TSS		0x20

/* A file mapped read-only into kvmlite's memory. */
struct boot_file {
	const char *path;
	const uint8_t *data;
	size_t size;
};

struct boot_files {
	struct boot_file kernel;
	struct boot_file initrd;	/* size 0 when there is none */
	const char *cmdline;		/* never NULL */
};

enum boot_cpu_mode {
	BOOT_PROTECTED32,	/* flat 32-bit protected mode, paging off */
	BOOT_LONG64,		/* long mode on identity-mapped page tables */
};

/* How the boot vCPU starts: the loader's answer. */
struct boot_state {
	const char *format;	/* "pvh", "multiboot", "elf64", "bzimage" */
	enum boot_cpu_mode mode;
	uint64_t entry;
	uint64_t rax, rbx, rsi, rdi;
};

/* @what names the file in messages: "kernel file", "initrd file". */
int boot_file_map(struct boot_file *file, const char *what, const char *path,
		  char *err, size_t errlen);
void boot_file_unmap(struct boot_file *file);

/*
 * Copies the kernel, initrd and boot information into guest memory and
 * says how to enter the kernel.  Called again on every machine reset.
 */
int loader_load(struct guest_mem *mem, const struct boot_files *files,
		struct boot_state *state, char *err, size_t errlen);

#endif
