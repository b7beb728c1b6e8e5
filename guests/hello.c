// SPDX-License-Identifier: MIT
/* Prints what the loader told it: command line, protocol, memory map. */
#include "guest.h"

static const char *const protocol_names[] = {
	[BOOT_PVH] = "pvh",
	[BOOT_MULTIBOOT] = "multiboot",
	[BOOT_ELF64] = "elf64",
	[BOOT_LINUX] = "linux",
};

int guest_main(const struct boot_info *bi)
{
	unsigned int i;

	printf("kvmlite hello guest\ncmdline: %s\nboot: %s\n",
	       bi->cmdline, protocol_names[bi->protocol]);
	for (i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_range *m = &bi->mem[i];

		printf("mem: 0x%016lx-0x%016lx type %u\n",
		       m->addr, m->addr + m->len - 1, m->type);
	}
	printf("hello: done\n");
	return 0;
}
