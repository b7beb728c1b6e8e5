/* SPDX-License-Identifier: MIT */
/* Exits with the status given as code=N (decimal or 0x hex, 0..255). */
#include "guest.h"

int guest_main(const struct boot_info *bi)
{
	const char *val = cmdline_get(bi->cmdline, "code");
	unsigned long code;

	if (!val || !cmdline_parse_ulong(val, &code) || code > 255) {
		printf("exitcode: expected code=N with N in 0..255\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	printf("exitcode: %lu\n", code);
	return code;
}
