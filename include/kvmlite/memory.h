/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_MEMORY_H
#define KVMLITE_MEMORY_H

#include <stdint.h>

/*
 * Guest physical layout, as on a PC: RAM from 0 up to 3 GiB, the rest of
 * RAM moved above 4 GiB so [3 GiB, 4 GiB) is free for the PCI hole, the
 * IOAPIC, the LAPIC and the KVM TSS.
 */
#define LOW_RAM_LIMIT		(3ULL << 30)
#define HIGH_RAM_BASE		(4ULL << 30)
#define KVM_TSS_ADDR		0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR	0xfeffc000ULL

/* The legacy holes below 1 MiB that e820 reports as reserved. */
#define EBDA_START		0x9fc00ULL
#define BIOS_AREA_END		0x100000ULL

#define E820_RAM		1
#define E820_RESERVED		2
#define MAX_E820_ENTRIES	8

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct guest_mem {
	uint8_t *host;		/* one mapping; high RAM follows low RAM */
	uint64_t size;
	uint64_t low_size;	/* RAM at guest physical 0 */
	uint64_t high_size;	/* RAM at HIGH_RAM_BASE */
};

/* Reserves @size bytes without touching them; -1 with errno on failure. */
int guest_mem_init(struct guest_mem *mem, uint64_t size);
void guest_mem_free(struct guest_mem *mem);

/* Returns every page to the zero state, as at power-on. */
void guest_mem_clear(struct guest_mem *mem);

/* The host address of [gpa, gpa + len) if it lies wholly in RAM. */
void *guest_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* The highest guest physical address of RAM, plus one. */
uint64_t guest_mem_end(const struct guest_mem *mem);

/* Fills @map with the memory map guests see; returns the entry count. */
int guest_mem_e820(const struct guest_mem *mem, struct e820_entry *map);

#endif
