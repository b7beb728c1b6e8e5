// SPDX-License-Identifier: MIT
/*
 * The i8042 keyboard controller, reduced to what guests use it for here:
 * the pulse-reset command.  Status reads say "input buffer empty, no
 * data", so a guest waiting to send a command never spins forever.
 */
#include <string.h>

#include "kvmlite/bus.h"
#include "kvmlite/devices.h"
#include "kvmlite/machine.h"

#define I8042_DATA_PORT		0x60
#define I8042_COMMAND_PORT	0x64
#define I8042_CMD_PULSE_RESET	0xfe
#define I8042_STATUS_SYSFLAG	0x04	/* self test passed */
#define I8042_STATUS_UNLOCKED	0x10

static void i8042_command_io(void *opaque, uint64_t offset, void *data,
			     uint32_t len, bool is_write)
{
	struct machine *m = opaque;

	(void)offset;
	if (!is_write) {
		memset(data, 0, len);
		*(uint8_t *)data = I8042_STATUS_SYSFLAG | I8042_STATUS_UNLOCKED;
		return;
	}
	if (*(uint8_t *)data == I8042_CMD_PULSE_RESET)
		machine_request_reset(m);
}

static void i8042_data_io(void *opaque, uint64_t offset, void *data,
			  uint32_t len, bool is_write)
{
	(void)opaque;
	(void)offset;
	if (!is_write)
		memset(data, 0, len);
}

int i8042_init(struct machine *m)
{
	if (bus_register(m->pio, I8042_DATA_PORT, 1, i8042_data_io, m,
			 "i8042-data"))
		return -1;
	return bus_register(m->pio, I8042_COMMAND_PORT, 1, i8042_command_io,
			    m, "i8042-command");
}
