// SPDX-License-Identifier: MIT
/*
 * Reads lines from a UART and prints each back on COM1 as "echo: LINE",
 * until the line "quit".  port=0x2f8 reads COM2 instead of COM1.  By
 * default the line status register is polled; the flag irq waits for the
 * receive interrupt through the 8259 PIC instead.  Carriage returns are
 * dropped, and a line longer than LINE_MAX - 1 bytes is cut short.
 */
#include "guest.h"
#include "irq.h"

#define COM1		0x3f8
#define COM2		0x2f8
#define COM1_IRQ	4
#define COM2_IRQ	3

#define UART_RX		0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5

#define UART_IER_RDI		0x01
#define UART_FCR_ENABLE_FIFO	0x01	/* trigger level 1 byte */
#define UART_LCR_WLEN8		0x03
#define UART_MCR_OUT2		0x08	/* connects the IRQ line on PCs */
#define UART_LSR_DR		0x01

#define LINE_MAX	256

/*
 * Have the UART at @port raise IRQ @irq when a byte arrives, with that IRQ
 * the only one the PICs pass on.  Its handler sends the EOI; the guest
 * looks at the UART itself once hlt returns.
 */
static void enable_rx_irq(uint16_t port, unsigned int irq)
{
	irq_init();
	irq_eoi = IRQ_EOI_PIC;
	pic_unmask(irq);

	outb(port + UART_MCR, UART_MCR_OUT2);
	outb(port + UART_IER, UART_IER_RDI);
}

static char read_byte(uint16_t port, bool use_irq)
{
	while (!(inb(port + UART_LSR) & UART_LSR_DR)) {
		if (use_irq) {
			/* No interrupt can come between sti and hlt. */
			asm volatile("sti; hlt; cli");
		} else {
			cpu_relax();
		}
	}
	return inb(port + UART_RX);
}

int guest_main(const struct boot_info *bi)
{
	const char *val = cmdline_get(bi->cmdline, "port");
	bool use_irq = cmdline_get(bi->cmdline, "irq");
	unsigned long port = COM1;
	char line[LINE_MAX];
	size_t len = 0;
	char c;

	if (val && (!cmdline_parse_ulong(val, &port) ||
		    (port != COM1 && port != COM2))) {
		printf("echo: expected port=0x3f8 or port=0x2f8\n");
		return GUEST_EXIT_BAD_ARGS;
	}

	/* No LSR has all bits set; an unclaimed port reads as all ones. */
	if (inb(port + UART_LSR) == 0xff) {
		printf("echo: no UART at port 0x%lx\n", port);
		return 1;
	}
	outb(port + UART_LCR, UART_LCR_WLEN8);
	outb(port + UART_FCR, UART_FCR_ENABLE_FIFO);
	if (use_irq)
		enable_rx_irq(port, port == COM1 ? COM1_IRQ : COM2_IRQ);
	printf("echo: ready\n");

	for (;;) {
		c = read_byte(port, use_irq);
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = '\0';
		len = 0;
		if (!strncmp(line, "quit", sizeof("quit")))
			return 0;
		printf("echo: %s\n", line);
	}
}
