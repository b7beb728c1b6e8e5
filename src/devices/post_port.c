// SPDX-License-Identifier: MIT
/*
 * Port 0x80: PC firmware shows POST codes there and kernels write to it
 * as an I/O delay, so it must not show up as unimplemented.
 */
#include <string.h>

#include "kvmlite/bus.h"
#include "kvmlite/devices.h"
#include "kvmlite/machine.h"

#define POST_PORT 0x80

static void post_port_io(void *opaque, uint64_t offset, void *data,
			 uint32_t len, bool is_write)
{
	(void)opaque;
	(void)offset;
	if (!is_write)
		memset(data, 0xff, len);
}

int post_port_init(struct machine *m)
{
	return bus_register(m->pio, POST_PORT, 1, post_port_io, NULL,
			    "post-port");
}
