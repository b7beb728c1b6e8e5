/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_DEVICES_H
#define KVMLITE_DEVICES_H

#include <stdint.h>

struct machine;

/*
 * The small platform devices.  Each registers its own ports on the
 * machine's port bus; 0 on success, -1 if its ports are taken.
 */

/* QEMU's isa-debug-exit: writing V ends kvmlite with status (V << 1) | 1. */
int debug_exit_init(struct machine *m, uint16_t iobase, uint16_t iosize);

/* The i8042 keyboard controller, as far as reset (0xfe to 0x64) goes. */
int i8042_init(struct machine *m);

/* Port 0x80, the POST code port guests write to as an I/O delay. */
int post_port_init(struct machine *m);

#endif
