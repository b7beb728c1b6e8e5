// SPDX-License-Identifier: MIT
/*
 * Reads the PIT's channel 0 counter port count=N times (default 100000):
 * the per-exit cost of a port read that a device model answers.  The
 * benchmark runs it with count=0 too and divides the difference.
 */
#include "guest.h"

#define PIT_CHANNEL0	0x40
#define DEFAULT_COUNT	100000

int guest_main(const struct boot_info *bi)
{
	const char *val = cmdline_get(bi->cmdline, "count");
	unsigned long count = DEFAULT_COUNT, i;

	if (val && !cmdline_parse_ulong(val, &count)) {
		printf("pitread: expected count=N\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	for (i = 0; i < count; i++)
		inb(PIT_CHANNEL0);
	printf("pitread: %lu reads\n", count);
	return 0;
}
