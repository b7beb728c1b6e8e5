// SPDX-License-Identifier: MIT
/*
 * Checks that every RAM range of the memory map is backed by memory: the
 * first and last 8-byte word of each range get an address-derived pattern,
 * all of them before any is read back so that aliased ranges show up, and
 * then their old contents back.  Words inside the guest image are not
 * touched; a range starting or ending there is probed just outside it.
 */
#include "guest.h"

#define WORD		8ULL
#define ALIGN_DOWN(x, a)	((x) & ~((a) - 1))
#define ALIGN_UP(x, a)		ALIGN_DOWN((x) + (a) - 1, a)

struct probe {
	uint64_t addr;
	uint64_t saved;
};

/* A bijection, so no two addresses share a pattern. */
static uint64_t pattern(uint64_t addr)
{
	return (addr ^ 0x6d656d73697a6521ULL) * 0x9e3779b97f4a7c15ULL;
}

static uint64_t peek(uint64_t addr)
{
	return *(volatile uint64_t *)addr;
}

static void poke(uint64_t addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
}

/* Fills @addrs with the words to probe in @r; returns how many (0-2). */
static unsigned int range_probes(const struct boot_mem_range *r,
				 uint64_t addrs[2])
{
	uint64_t image_start = (uintptr_t)_image_start;
	uint64_t image_end = ALIGN_UP((uintptr_t)_end, WORD);
	uint64_t lo = ALIGN_UP(r->addr, WORD);
	uint64_t hi = ALIGN_DOWN(r->addr + r->len, WORD);

	if (lo >= image_start && lo < image_end)
		lo = image_end;
	if (hi > image_start && hi <= image_end)
		hi = image_start;
	if (lo + WORD > hi)
		return 0;
	addrs[0] = lo;
	addrs[1] = hi - WORD;
	return lo == hi - WORD ? 1 : 2;
}

static void print_range(const struct boot_mem_range *r, const char *result)
{
	printf("memsize: range 0x%016lx-0x%016lx %s\n",
	       r->addr, r->addr + r->len - 1, result);
}

int guest_main(const struct boot_info *bi)
{
	struct probe probes[2 * BOOT_MEM_MAX];
	unsigned int nr_probes = 0, i, j, n;
	uint64_t addrs[2], total = 0, bad_value = 0;
	int bad = -1;

	for (i = 0; i < bi->nr_mem; i++) {
		if (bi->mem[i].type != BOOT_MEM_RAM)
			continue;
		total += bi->mem[i].len;
		n = range_probes(&bi->mem[i], addrs);
		for (j = 0; j < n; j++) {
			if (map_identity(addrs[j], WORD)) {
				printf("memsize: cannot map 0x%lx\n", addrs[j]);
				return 1;
			}
			probes[nr_probes++].addr = addrs[j];
		}
	}

	for (i = 0; i < nr_probes; i++) {
		probes[i].saved = peek(probes[i].addr);
		poke(probes[i].addr, pattern(probes[i].addr));
	}
	for (i = 0; i < nr_probes && bad < 0; i++) {
		bad_value = peek(probes[i].addr);
		if (bad_value != pattern(probes[i].addr))
			bad = i;
	}
	/* Backwards, so that aliased words end with their original value. */
	for (i = nr_probes; i--; )
		poke(probes[i].addr, probes[i].saved);

	if (bad >= 0) {
		printf("memsize: MISMATCH at 0x%lx: wrote 0x%lx, read 0x%lx\n",
		       probes[bad].addr, pattern(probes[bad].addr), bad_value);
		return 1;
	}

	for (i = 0; i < bi->nr_mem; i++) {
		if (bi->mem[i].type != BOOT_MEM_RAM)
			continue;
		print_range(&bi->mem[i], range_probes(&bi->mem[i], addrs) ?
					 "ok" : "skipped (guest image)");
	}
	printf("memsize: total %lu MiB\n", total >> 20);
	return 0;
}
