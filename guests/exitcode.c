// SPDX-License-Identifier: MIT
/*
 * Exits with the status given as code=N (0..255) by writing N to the
 * isa-debug-exit device at port=P (default 0xf4), with an access of
 * width=1, 2 or 4 bytes (default 4).  Numbers are decimal or 0x hex.
 */
#include "guest.h"

#define DEFAULT_PORT	0xf4
#define DEFAULT_WIDTH	4

/* Sets *@out to the value of @key, or to @def if the key is absent. */
static bool get_option(const char *cmdline, const char *key,
		       unsigned long def, unsigned long max, unsigned long *out)
{
	const char *val = cmdline_get(cmdline, key);

	if (!val) {
		*out = def;
		return true;
	}
	return cmdline_parse_ulong(val, out) && *out <= max;
}

int guest_main(const struct boot_info *bi)
{
	const char *val = cmdline_get(bi->cmdline, "code");
	unsigned long code, port, width;

	if (!val || !cmdline_parse_ulong(val, &code) || code > 255 ||
	    !get_option(bi->cmdline, "port", DEFAULT_PORT, 0xffff, &port) ||
	    !get_option(bi->cmdline, "width", DEFAULT_WIDTH, 4, &width) ||
	    !width || width == 3) {
		printf("exitcode: expected code=N with N in 0..255, "
		       "optional port=P (0..0xffff) and width=1|2|4\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	printf("exitcode: %lu\n", code);

	out_sized(port, width, code);

	/*
	 * Still running: no exit device there.  Returning @code would let
	 * the runtime's own exit through port 0xf4 pass for this one.
	 */
	printf("exitcode: still running after writing port 0x%lx\n", port);
	return GUEST_EXIT_BAD_ARGS;
}
