// SPDX-License-Identifier: MIT
/*
 * A bzImage (guests/boot/bzsetup.S, linux64.S) that checks, from the
 * kernel's side, what a loader of the Linux 64-bit boot protocol set:
 *   entry    long mode with paging, CS 0x10, DS/ES/SS 0x18, interrupts
 *            off, rsi = boot_params
 *   header   boot_params carries this image's setup header, with
 *            type_of_loader, loadflags, cmd_line_ptr, hardware_subarch and
 *            the sentinel as a loader leaves them
 *   cmdline  shorter than cmdline_size (and printed, for the test to see)
 *   e820     sorted, disjoint, RAM covering the kernel, and RAM adding up
 *            to ram=MiB less the legacy holes below 1 MiB
 *   initrd   below initrd_addr_max, clear of the kernel's init_size, and
 *            initrd_size= bytes with the POSIX cksum CRC initrd_cksum=
 * Prints "linuxboot: all checks passed" and returns 0, or names each
 * failed check and returns 1.
 */
#include "guest.h"
#include "bootproto.h"

#define EFER_LMA		(1U << 10)
#define CR0_PG			(1UL << 31)
#define CR4_PAE			(1UL << 5)
#define RFLAGS_IF		(1UL << 9)
#define LOADER_UNDEFINED	0xff
#define CKSUM_POLY		0x04c11db7
/* The RAM kvmlite's e820 leaves out or reserves below 1 MiB. */
#define LEGACY_HOLES		(0x100000 - 0x9fc00)

extern uint64_t linux_entry_rsi, linux_entry_cr0, linux_entry_cr4;
extern uint64_t linux_entry_rflags;
extern uint32_t linux_entry_efer;
extern uint16_t linux_entry_cs, linux_entry_ds, linux_entry_es;
extern uint16_t linux_entry_ss;
extern char bz_syssize[], bz_init_size[];

static unsigned int failures;

static void expect(bool ok, const char *what, uint64_t got, uint64_t want)
{
	if (ok)
		return;
	printf("linuxboot: FAIL %s: 0x%lx, expected 0x%lx\n", what, got, want);
	failures++;
}

#define EXPECT_EQ(what, got, want) \
	expect((got) == (want), what, got, want)

static void check_entry(void)
{
	/* rsi itself is checked by everything read from boot_params. */
	printf("linuxboot: entered with rsi 0x%lx\n", linux_entry_rsi);
	expect(linux_entry_efer & EFER_LMA, "entry EFER.LMA",
	       linux_entry_efer, EFER_LMA);
	expect(linux_entry_cr0 & CR0_PG, "entry CR0.PG", linux_entry_cr0,
	       CR0_PG);
	expect(linux_entry_cr4 & CR4_PAE, "entry CR4.PAE", linux_entry_cr4,
	       CR4_PAE);
	expect(!(linux_entry_rflags & RFLAGS_IF), "entry RFLAGS.IF",
	       linux_entry_rflags, 0);
	EXPECT_EQ("entry CS", linux_entry_cs, LINUX_BOOT_CS);
	EXPECT_EQ("entry DS", linux_entry_ds, LINUX_BOOT_DS);
	EXPECT_EQ("entry ES", linux_entry_es, LINUX_BOOT_DS);
	EXPECT_EQ("entry SS", linux_entry_ss, LINUX_BOOT_DS);
}

/* The header fields a loader copies unchanged. */
static void check_header(const uint8_t *params,
			 const struct linux_setup_header *h)
{
	EXPECT_EQ("header magic", h->header, 0x53726448);
	EXPECT_EQ("setup_sects", h->setup_sects, LINUX_SETUP_SECTS);
	EXPECT_EQ("syssize", h->syssize, (uintptr_t)bz_syssize);
	EXPECT_EQ("boot_flag", h->boot_flag, 0xaa55);
	EXPECT_EQ("version", h->version, LINUX_BOOT_VERSION);
	EXPECT_EQ("initrd_addr_max", h->initrd_addr_max,
		  LINUX_INITRD_ADDR_MAX);
	EXPECT_EQ("kernel_alignment", h->kernel_alignment,
		  LINUX_KERNEL_ALIGNMENT);
	EXPECT_EQ("relocatable_kernel", h->relocatable_kernel, 1);
	EXPECT_EQ("xloadflags", h->xloadflags, LINUX_XLF_KERNEL_64);
	EXPECT_EQ("cmdline_size", h->cmdline_size, LINUX_CMDLINE_SIZE);
	EXPECT_EQ("pref_address", h->pref_address, (uintptr_t)_image_start);
	EXPECT_EQ("init_size", h->init_size, (uintptr_t)bz_init_size);
	/* What the loader writes. */
	EXPECT_EQ("type_of_loader", h->type_of_loader, LOADER_UNDEFINED);
	EXPECT_EQ("loadflags", h->loadflags, LINUX_LOADED_HIGH);
	EXPECT_EQ("hardware_subarch", h->hardware_subarch, 0);
	EXPECT_EQ("hardware_subarch_data", h->hardware_subarch_data, 0);
	EXPECT_EQ("setup_data", h->setup_data, 0);
	EXPECT_EQ("sentinel", params[BP_SENTINEL], 0);
}

static void check_cmdline(const struct linux_setup_header *h)
{
	const char *cmdline = (const char *)(uintptr_t)h->cmd_line_ptr;

	expect(h->cmd_line_ptr != 0, "cmd_line_ptr", 0, 1);
	if (!h->cmd_line_ptr)
		return;
	printf("linuxboot: cmdline: %s\n", cmdline);
	expect(strlen(cmdline) <= h->cmdline_size, "cmdline length",
	       strlen(cmdline), h->cmdline_size);
}

static bool cmdline_ulong(const char *cmdline, const char *key,
			  unsigned long *out)
{
	const char *val = cmdline_get(cmdline, key);

	return val && cmdline_parse_ulong(val, out);
}

static bool covered_by_ram(const struct boot_info *bi, uint64_t addr,
			   uint64_t len)
{
	unsigned int i;

	for (i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == BOOT_MEM_RAM &&
		    addr >= bi->mem[i].addr &&
		    addr + len <= bi->mem[i].addr + bi->mem[i].len)
			return true;
	return false;
}

static void check_e820(const struct boot_info *bi)
{
	unsigned long ram_mib = 0;
	uint64_t ram = 0, end = 0;
	unsigned int i;

	for (i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_range *r = &bi->mem[i];

		printf("linuxboot: e820 0x%016lx-0x%016lx type %u\n", r->addr,
		       r->addr + r->len - 1, r->type);
		expect(r->addr >= end, "e820 entry order", r->addr, end);
		end = r->addr + r->len;
		if (r->type == BOOT_MEM_RAM)
			ram += r->len;
	}
	expect(covered_by_ram(bi, (uintptr_t)_image_start,
			      (uintptr_t)bz_init_size),
	       "kernel in e820 RAM", (uintptr_t)_image_start, 0);
	if (cmdline_ulong(bi->cmdline, "ram", &ram_mib))
		EXPECT_EQ("e820 RAM + legacy holes", ram + LEGACY_HOLES,
			  ram_mib << 20);
}

/* POSIX cksum: CRC-32 over the data, then over its length. */
static uint32_t cksum(const uint8_t *p, uint64_t len)
{
	static uint32_t table[256];
	uint32_t crc = 0, c;
	uint64_t n;
	int i, bit;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i << 24;
		for (bit = 0; bit < 8; bit++)
			c = c & 0x80000000 ? (c << 1) ^ CKSUM_POLY : c << 1;
		table[i] = c;
	}
	for (n = 0; n < len; n++)
		crc = (crc << 8) ^ table[(crc >> 24) ^ p[n]];
	for (n = len; n; n >>= 8)
		crc = (crc << 8) ^ table[(crc >> 24) ^ (n & 0xff)];
	return ~crc;
}

static void check_initrd(const struct boot_info *bi,
			 const struct linux_setup_header *h)
{
	uint64_t start = h->ramdisk_image, size = h->ramdisk_size;
	uint64_t kernel_end = (uintptr_t)_image_start + h->init_size;
	unsigned long want_size = 0, want_sum = 0;

	if (!cmdline_ulong(bi->cmdline, "initrd_size", &want_size)) {
		EXPECT_EQ("ramdisk_size without an initrd", size, 0);
		return;
	}
	printf("linuxboot: initrd 0x%lx, %lu bytes\n", start, size);
	EXPECT_EQ("ramdisk_size", size, want_size);
	expect(size && start + size - 1 <= h->initrd_addr_max,
	       "initrd end within initrd_addr_max", start + size - 1,
	       h->initrd_addr_max);
	expect(start >= kernel_end, "initrd above the kernel's init_size",
	       start, kernel_end);
	expect(covered_by_ram(bi, start, size), "initrd in e820 RAM", start,
	       0);
	if (cmdline_ulong(bi->cmdline, "initrd_cksum", &want_sum))
		EXPECT_EQ("initrd cksum",
			  cksum((const uint8_t *)(uintptr_t)start, size),
			  want_sum);
}

int guest_main(const struct boot_info *bi)
{
	const uint8_t *params = (const void *)(uintptr_t)bi->info;
	const struct linux_setup_header *h = (const void *)(params + BP_HDR);

	if (bi->protocol != BOOT_LINUX) {
		printf("linuxboot: not booted through the Linux protocol\n");
		return 1;
	}
	check_entry();
	check_header(params, h);
	check_cmdline(h);
	check_e820(bi);
	check_initrd(bi, h);
	if (failures) {
		printf("linuxboot: %u checks failed\n", failures);
		return 1;
	}
	printf("linuxboot: all checks passed\n");
	return 0;
}
