/* SPDX-License-Identifier: MIT */
/*
 * The guest runtime.  A guest is one file defining guest_main(); the boot
 * boot code calls it with the boot information normalized across protocols and
 * passes its return value to exit().
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"

/* Exit statuses the runtime itself uses */
#define GUEST_EXIT_BAD_ARGS	0x7d	/* for guests: bad command line */
#define GUEST_EXIT_EXCEPTION	0x7e
#define GUEST_EXIT_BAD_BOOT	0x7f	/* no boot information recognized */

enum boot_protocol {
	BOOT_PVH,
	BOOT_MULTIBOOT,
	BOOT_ELF64,
	BOOT_LINUX,
};

#define BOOT_MEM_RAM	1	/* e820 / Multiboot type of usable RAM */
#define BOOT_MEM_MAX	64

struct boot_mem_range {
	uint64_t addr;
	uint64_t len;
	uint32_t type;
};

struct boot_info {
	enum boot_protocol protocol;
	uint64_t info;			/* what the loader passed, as is */
	const char *cmdline;		/* never NULL */
	unsigned int nr_mem;
	struct boot_mem_range mem[BOOT_MEM_MAX];
	unsigned int nr_modules;
	uint64_t module_addr;		/* first module, if nr_modules */
	uint64_t module_size;
};

int guest_main(const struct boot_info *bi);

/* Start and end of the loaded image, including stack and page tables */
extern char _image_start[], _end[];

void exit(int code) __attribute__((noreturn));

void serial_init(void);
void serial_write(const char *s, size_t len);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char *cmdline_get(const char *cmdline, const char *key);
bool cmdline_parse_ulong(const char *val, unsigned long *out);
bool cmdline_value_is(const char *val, const char *word);

int map_identity(uint64_t addr, uint64_t len);

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

#endif /* GUEST_H */
