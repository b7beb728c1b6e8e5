// SPDX-License-Identifier: MIT
/*
 * Polled output on COM1.  Every port access is an exit to the VMM, so the
 * line status is read only when the 16-byte transmit FIFO may be full: once
 * THRE says it is empty, 16 bytes go out without asking again.
 */
#include "guest.h"

#define COM1		0x3f8
#define UART_TX		0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_LSR	5

#define UART_FCR_ENABLE_FIFO	0x01
#define UART_FCR_CLEAR_RCVR	0x02
#define UART_FCR_CLEAR_XMIT	0x04
#define UART_LCR_WLEN8		0x03
#define UART_LSR_THRE		0x20
#define UART_FIFO_SIZE		16

/* Bytes the transmit FIFO is known to accept without checking LSR */
static unsigned int tx_room;

void serial_init(void)
{
	/* LCR first: clearing DLAB makes offsets 0 and 1 the data registers. */
	outb(COM1 + UART_LCR, UART_LCR_WLEN8);
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR |
			      UART_FCR_CLEAR_XMIT);
	/* The FCR write just emptied the transmit FIFO. */
	tx_room = UART_FIFO_SIZE;
}

/* Keeps the common case, all of @s fitting in the FIFO, short. */
void serial_write(const char *s, size_t len)
{
	while (len > tx_room) {
		outsb(COM1 + UART_TX, s, tx_room);
		s += tx_room;
		len -= tx_room;
		while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
			cpu_relax();
		tx_room = UART_FIFO_SIZE;
	}
	outsb(COM1 + UART_TX, s, len);
	tx_room -= len;
}
