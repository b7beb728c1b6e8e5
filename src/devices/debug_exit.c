// SPDX-License-Identifier: MIT
/*
 * isa-debug-exit, as QEMU's: a guest test ends the VM with a verdict.
 * The status is odd for every value, so it never collides with a clean
 * kvmlite exit (0).
 */
#include <string.h>

#include "kvmlite/bus.h"
#include "kvmlite/devices.h"
#include "kvmlite/machine.h"

static void debug_exit_io(void *opaque, uint64_t offset, void *data,
			  uint32_t len, bool is_write)
{
	struct machine *m = opaque;
	uint64_t value = 0;

	(void)offset;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	memcpy(&value, data, len < sizeof(value) ? len : sizeof(value));
	machine_request_exit(m, (int)(((value << 1) | 1) & 0xff));
}

int debug_exit_init(struct machine *m, uint16_t iobase, uint16_t iosize)
{
	return bus_register(m->pio, iobase, iosize, debug_exit_io, m,
			    "isa-debug-exit");
}
