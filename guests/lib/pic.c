// SPDX-License-Identifier: MIT
/* The 8259 PIC pair, with IRQs 0-7 on the master and 8-15 on the slave. */
#include "guest.h"
#include "irq.h"

#define PIC1_CMD		0x20
#define PIC1_DATA		0x21
#define PIC2_CMD		0xa0
#define PIC2_DATA		0xa1
#define PIC_ICW1_INIT		0x11	/* edge triggered, cascade, ICW4 */
#define PIC_ICW3_SLAVE_ON_IRQ2	0x04
#define PIC_ICW3_SLAVE_ID	0x02
#define PIC_ICW4_8086		0x01
#define PIC_EOI			0x20	/* non-specific */
#define PIC_CASCADE_IRQ		2

static void pic_init_one(uint16_t cmd, uint16_t data, uint8_t vector,
			 uint8_t icw3)
{
	outb(cmd, PIC_ICW1_INIT);
	outb(data, vector);
	outb(data, icw3);
	outb(data, PIC_ICW4_8086);
	outb(data, 0xff);
}

/* All IRQs masked but the cascade, which only passes on unmasked ones. */
void pic_init(void)
{
	pic_init_one(PIC1_CMD, PIC1_DATA, IRQ_VECTOR(0),
		     PIC_ICW3_SLAVE_ON_IRQ2);
	pic_init_one(PIC2_CMD, PIC2_DATA, IRQ_VECTOR(8), PIC_ICW3_SLAVE_ID);
	pic_unmask(PIC_CASCADE_IRQ);
}

static uint16_t pic_data_port(unsigned int irq)
{
	return irq < 8 ? PIC1_DATA : PIC2_DATA;
}

void pic_mask(unsigned int irq)
{
	uint16_t port = pic_data_port(irq);

	outb(port, inb(port) | 1U << (irq % 8));
}

void pic_unmask(unsigned int irq)
{
	uint16_t port = pic_data_port(irq);

	outb(port, inb(port) & ~(1U << (irq % 8)));
}

void pic_eoi(unsigned int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}
