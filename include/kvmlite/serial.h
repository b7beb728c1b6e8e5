/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_SERIAL_H
#define KVMLITE_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "irq.h"

struct chardev;

#define UART_COM1_BASE	0x3f8
#define UART_COM1_IRQ	4
#define UART_COM2_BASE	0x2f8
#define UART_COM2_IRQ	3
#define UART_NR_REGS	8
#define UART_PC_PORTS	4

/* Where a PC has COM1..COM4. */
struct uart_port {
	uint16_t base;
	uint8_t irq;
};

extern const struct uart_port uart_pc_ports[UART_PC_PORTS];

/*
 * A 16550A UART.  The register model knows nothing of KVM: interrupts go
 * out through @irq, bytes through @chr, so the unit tests drive it alone.
 */
struct uart;

/*
 * @irq is copied.  With a @chr the port attaches itself as the chardev's
 * frontend and takes host input from then on; with none, output is
 * discarded.  Returns NULL when out of memory.
 */
struct uart *uart_new(const struct irq_line *irq, struct chardev *chr);

/* Stop host input first (close @chr or stop its loop): it calls into us. */
void uart_free(struct uart *uart);

/* Power-on state, IRQ line low. */
void uart_reset(struct uart *uart);

/*
 * Register access at @offset (0..7) from the base port: a bus_io_fn.  The
 * registers are a byte wide: a wider access uses the low byte and reads
 * zeros above it.  Offsets past the last register read as all ones.
 */
void uart_io(void *opaque, uint64_t offset, void *data, uint32_t len,
	     bool is_write);

#endif
