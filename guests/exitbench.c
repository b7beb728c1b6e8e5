// SPDX-License-Identifier: MIT
/*
 * The round trip of one exit to the VMM, timed by the guest's TSC:
 *
 *	count=N (default 100000)
 *
 * reads COM1's line status register (a port every VMM answers in user
 * space), then a 32-bit MMIO address no device claims (user space too),
 * then the PIT's channel 0 counter (in the kernel under QEMU), N times
 * each, and prints one line per kind:
 *
 *	exitbench: KIND count=N cycles=C ns=X
 *
 * with X the nanoseconds per access.  Timing in the guest leaves boot
 * time out, which under QEMU's default firmware is seconds here.
 */
#include "guest.h"
#include "clock.h"

#define COM1_LSR	0x3fd
#define PIT_CHANNEL0	0x40
/* Below the IOAPIC and past any RAM these guests are given, in the PCI
 * hole of both kvmlite and QEMU, where no device is placed without BARs. */
#define UNCLAIMED_MMIO	0xd0000000UL
#define DEFAULT_COUNT	100000

static void read_lsr(void)
{
	inb(COM1_LSR);
}

static void read_mmio(void)
{
	mmio_read32(UNCLAIMED_MMIO);
}

static void read_pit(void)
{
	inb(PIT_CHANNEL0);
}

static void time_exits(const char *kind, void (*access)(void),
		       unsigned long count)
{
	uint64_t start, cycles, ns_x1000;
	unsigned long i;

	start = rdtsc();
	for (i = 0; i < count; i++)
		access();
	cycles = rdtsc() - start;
	/* cycles / kHz = ms: per access in ns with three decimals */
	ns_x1000 = count ? cycles * 1000000 / tsc_khz() * 1000 / count : 0;
	printf("exitbench: %s count=%lu cycles=%lu ns=%lu.%03lu\n", kind, count,
	       cycles, ns_x1000 / 1000, ns_x1000 % 1000);
}

int guest_main(const struct boot_info *bi)
{
	const char *val = cmdline_get(bi->cmdline, "count");
	unsigned long count = DEFAULT_COUNT;

	if (val && !cmdline_parse_ulong(val, &count)) {
		printf("exitbench: expected count=N\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	time_exits("pio", read_lsr, count);
	time_exits("mmio", read_mmio, count);
	time_exits("pit", read_pit, count);
	return 0;
}
