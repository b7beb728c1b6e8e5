// SPDX-License-Identifier: MIT
/*
 * A plain x86-64 ELF kernel: entered at e_entry in long mode on identity
 * page tables, with the command line in rdi and, for guests that want the
 * memory map, an hvm_start_info in rsi.
 */
#include <stdio.h>

#include "loader_priv.h"

static int elf64_load(struct guest_mem *mem, const struct boot_files *files,
		      struct boot_state *state, char *err, size_t errlen)
{
	struct elf_image elf;

	if (!elf_parse(&files->kernel, &elf) || !elf.is64)
		return 0;
	if (elf.machine != EM_X86_64) {
		snprintf(err, errlen, "%s: ELF64 file for machine %u, not "
			 "x86-64", files->kernel.path, elf.machine);
		return -1;
	}
	if (boot_write_page_tables(mem, err, errlen) ||
	    pvh_load_elf(mem, files, &elf, err, errlen))
		return -1;
	state->format = "elf64";
	state->mode = BOOT_LONG64;
	state->entry = elf.entry;
	state->rdi = BOOT_CMDLINE_ADDR;
	state->rsi = BOOT_INFO_ADDR;
	return 1;
}

const struct loader_format elf64_format = { "ELF64", elf64_load };
