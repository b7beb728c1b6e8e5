// SPDX-License-Identifier: MIT
/*
 * Reads lines from a UART and prints each back on COM1 as "echo: LINE",
 * until the line "quit".  port=0x2f8 reads COM2 instead of COM1.  By
 * default the line status register is polled; the flag irq waits for the
 * receive interrupt through the 8259 PIC instead.  Carriage returns are
 * dropped, and a line longer than LINE_MAX - 1 bytes is cut short.
 */
#include "guest.h"
#include "bootproto.h"

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

/* Only the master PIC: KVM's 8259 has no single mode, hence ICW3. */
#define PIC1_CMD		0x20
#define PIC1_DATA		0x21
#define PIC_ICW1_INIT		0x11	/* edge triggered, cascade, ICW4 */
#define PIC_ICW3_SLAVE_ON_IRQ2	0x04
#define PIC_ICW4_8086		0x01
#define PIC_EOI			0x20	/* non-specific */
#define PIC_VECTOR_BASE		0x20	/* right after the exceptions */
#define PIC_IRQS		8

/*
 * The local APIC in virtual wire mode passes the PIC's interrupts on.
 * Firmware normally sets that up; with none, the reset state may mask it.
 */
#define LAPIC_BASE		0xfee00000
#define LAPIC_SVR		0xf0
#define LAPIC_LVT0		0x350
#define LAPIC_SVR_ENABLE	0x100
#define LAPIC_LVT_EXTINT	0x700
/* Needs no EOI, like the PIC's own spurious IRQ 7 on the same vector */
#define LAPIC_SPURIOUS_VECTOR	(PIC_VECTOR_BASE + 7)

#define IDT_INTERRUPT_GATE	0x8e
#define LINE_MAX		256

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[PIC_VECTOR_BASE + PIC_IRQS]
	__attribute__((aligned(16)));

/*
 * The handler of every PIC vector.  It only has to end the hlt in
 * read_byte(), which does the rest with interrupts off again.
 */
void irq_wake(void);
asm(".pushsection .text\n"
    "irq_wake:\n"
    "	iretq\n"
    ".popsection\n");

/*
 * The runtime's IDT covers the exceptions only: extend a copy of it with
 * the PIC vectors, program the PIC with IRQ @irq the only one unmasked, and
 * have the UART at @port raise it when a byte arrives.
 */
static void enable_rx_irq(uint16_t port, unsigned int irq)
{
	uint64_t handler = (uintptr_t)irq_wake;
	struct idt_ptr ptr;
	unsigned int i;

	asm volatile("sidt %0" : "=m"(ptr));
	memcpy(idt, (const void *)ptr.base,
	       PIC_VECTOR_BASE * sizeof(struct idt_gate));
	for (i = PIC_VECTOR_BASE; i < PIC_VECTOR_BASE + PIC_IRQS; i++) {
		idt[i].offset_low = handler;
		idt[i].selector = GDT_CODE64;
		idt[i].type = IDT_INTERRUPT_GATE;
		idt[i].offset_mid = handler >> 16;
		idt[i].offset_high = handler >> 32;
	}
	ptr.limit = sizeof(idt) - 1;
	ptr.base = (uintptr_t)idt;
	asm volatile("lidt %0" : : "m"(ptr));

	/* The LVT stays masked while the APIC is software-disabled. */
	mmio_write32(LAPIC_BASE + LAPIC_SVR,
		     LAPIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
	mmio_write32(LAPIC_BASE + LAPIC_LVT0, LAPIC_LVT_EXTINT);

	outb(PIC1_CMD, PIC_ICW1_INIT);
	outb(PIC1_DATA, PIC_VECTOR_BASE);
	outb(PIC1_DATA, PIC_ICW3_SLAVE_ON_IRQ2);
	outb(PIC1_DATA, PIC_ICW4_8086);
	outb(PIC1_DATA, (uint8_t)~(1U << irq));

	outb(port + UART_MCR, UART_MCR_OUT2);
	outb(port + UART_IER, UART_IER_RDI);
}

static char read_byte(uint16_t port, bool use_irq)
{
	while (!(inb(port + UART_LSR) & UART_LSR_DR)) {
		if (use_irq) {
			/* No interrupt can come between sti and hlt. */
			asm volatile("sti; hlt; cli");
			outb(PIC1_CMD, PIC_EOI);
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
