// SPDX-License-Identifier: MIT
/*
 * ELF32/ELF64 reading for the kernel loaders.  The file is untrusted:
 * every offset and size is checked against the file before it is used.
 * Headers are copied out before they are read: the file may place them at
 * any offset, aligned or not.
 */
#include <stdio.h>
#include <string.h>

#include "loader_priv.h"

static bool in_file(const struct boot_file *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

bool elf_parse(const struct boot_file *file, struct elf_image *elf)
{
	const uint8_t *d = file->data;
	uint64_t phentsize;

	if (file->size < sizeof(Elf32_Ehdr) || memcmp(d, ELFMAG, SELFMAG) ||
	    d[EI_DATA] != ELFDATA2LSB)
		return false;
	elf->file = file;
	if (d[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;

		if (file->size < sizeof(eh))
			return false;
		memcpy(&eh, d, sizeof(eh));
		if (eh.e_phentsize != sizeof(Elf64_Phdr))
			return false;
		elf->is64 = true;
		elf->machine = eh.e_machine;
		elf->entry = eh.e_entry;
		elf->phoff = eh.e_phoff;
		elf->phnum = eh.e_phnum;
		phentsize = sizeof(Elf64_Phdr);
	} else if (d[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		memcpy(&eh, d, sizeof(eh));
		if (eh.e_phentsize != sizeof(Elf32_Phdr))
			return false;
		elf->is64 = false;
		elf->machine = eh.e_machine;
		elf->entry = eh.e_entry;
		elf->phoff = eh.e_phoff;
		elf->phnum = eh.e_phnum;
		phentsize = sizeof(Elf32_Phdr);
	} else {
		return false;
	}
	return in_file(file, elf->phoff, phentsize * elf->phnum);
}

void elf_segment(const struct elf_image *elf, unsigned int i,
		 struct elf_segment *seg)
{
	const uint8_t *d = elf->file->data;

	if (elf->is64) {
		Elf64_Phdr phdr, *ph = &phdr;

		memcpy(ph, d + elf->phoff + i * sizeof(*ph), sizeof(*ph));
		seg->type = ph->p_type;
		seg->offset = ph->p_offset;
		seg->paddr = ph->p_paddr;
		seg->filesz = ph->p_filesz;
		seg->memsz = ph->p_memsz;
	} else {
		Elf32_Phdr phdr, *ph = &phdr;

		memcpy(ph, d + elf->phoff + i * sizeof(*ph), sizeof(*ph));
		seg->type = ph->p_type;
		seg->offset = ph->p_offset;
		seg->paddr = ph->p_paddr;
		seg->filesz = ph->p_filesz;
		seg->memsz = ph->p_memsz;
	}
}

static const void *note_in(const uint8_t *p, uint64_t len, const char *name,
			   uint32_t type, uint32_t *desc_len)
{
	size_t name_len = strlen(name) + 1;

	/* Elf32_Nhdr and Elf64_Nhdr are the same three 32-bit words. */
	while (len >= sizeof(Elf32_Nhdr)) {
		Elf32_Nhdr note, *nh = &note;
		uint64_t name_sz, desc_sz, total;

		memcpy(nh, p, sizeof(*nh));
		name_sz = ((uint64_t)nh->n_namesz + 3) & ~3ULL;
		desc_sz = ((uint64_t)nh->n_descsz + 3) & ~3ULL;
		total = sizeof(*nh) + name_sz + desc_sz;
		if (total > len)
			return NULL;
		if (nh->n_type == type && nh->n_namesz == name_len &&
		    !memcmp(p + sizeof(*nh), name, name_len)) {
			*desc_len = nh->n_descsz;
			return p + sizeof(*nh) + name_sz;
		}
		p += total;
		len -= total;
	}
	return NULL;
}

const void *elf_find_note(const struct elf_image *elf, const char *name,
			  uint32_t type, uint32_t *desc_len)
{
	struct elf_segment seg;
	const void *desc;
	unsigned int i;

	for (i = 0; i < elf->phnum; i++) {
		elf_segment(elf, i, &seg);
		if (seg.type != PT_NOTE ||
		    !in_file(elf->file, seg.offset, seg.filesz))
			continue;
		desc = note_in(elf->file->data + seg.offset, seg.filesz, name,
			       type, desc_len);
		if (desc)
			return desc;
	}
	return NULL;
}

int elf_load(const struct elf_image *elf, struct guest_mem *mem,
	     uint64_t *end, char *err, size_t errlen)
{
	const char *path = elf->file->path;
	struct elf_segment seg;
	unsigned int i, loaded = 0;
	uint8_t *dst;

	*end = 0;
	for (i = 0; i < elf->phnum; i++) {
		elf_segment(elf, i, &seg);
		if (seg.type != PT_LOAD || seg.memsz == 0)
			continue;
		if (seg.filesz > seg.memsz ||
		    !in_file(elf->file, seg.offset, seg.filesz)) {
			snprintf(err, errlen, "%s: ELF segment %u lies outside "
				 "the file", path, i);
			return -1;
		}
		if (boot_check_range(mem, path, seg.paddr, seg.memsz, err,
				     errlen))
			return -1;
		dst = guest_ptr(mem, seg.paddr, seg.memsz);
		memcpy(dst, elf->file->data + seg.offset, seg.filesz);
		memset(dst + seg.filesz, 0, seg.memsz - seg.filesz);
		if (seg.paddr + seg.memsz > *end)
			*end = seg.paddr + seg.memsz;
		loaded++;
	}
	if (!loaded) {
		snprintf(err, errlen, "%s: ELF file has no loadable segment",
			 path);
		return -1;
	}
	return 0;
}
