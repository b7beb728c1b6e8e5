/* SPDX-License-Identifier: MIT */
/*
 * Interrupts for guests: ISA IRQ vectors that count their interrupts, the
 * 8259 PIC pair, the local APIC and the I/O APIC.  IRQ n uses vector
 * IRQ_VECTOR(n) whichever controller delivers it.
 */
#ifndef GUEST_IRQ_H
#define GUEST_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define ISA_IRQS		16
#define IRQ_VECTOR_BASE		0x20	/* right after the exceptions */
#define IRQ_VECTOR(irq)		(IRQ_VECTOR_BASE + (irq))

/* What the handler of an IRQ vector acknowledges, besides counting it */
#define IRQ_EOI_NONE		0
#define IRQ_EOI_PIC		1
#define IRQ_EOI_LAPIC		2

#define IOAPIC_BASE		0xfec00000
#define IOAPIC_LEVEL		(1U << 15)
#define IOAPIC_MASKED		(1U << 16)

extern volatile uint32_t irq_count[ISA_IRQS];
extern volatile uint32_t irq_eoi;

#define IRQ_SPURIOUS_VECTOR	0x3f	/* the local APIC's; needs no EOI */
/* Vectors above it are free for guests' own handlers (IPIs, MSI). */
#define IRQ_FREE_VECTOR_BASE	0x40

void irq_init(void);
/*
 * Points IDT gate @vector at @handler, an assembly entry that saves what
 * it uses and ends with iretq.  Valid after irq_init().
 */
void irq_set_gate(unsigned int vector, const void *handler);
bool irq_wait(unsigned int irq, uint32_t count, uint64_t cycles);

static inline void irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

void pic_init(void);
void pic_mask(unsigned int irq);
void pic_unmask(unsigned int irq);
void pic_eoi(unsigned int irq);

void lapic_init(unsigned int spurious_vector);
void lapic_enable(unsigned int spurious_vector);
void lapic_eoi(void);
unsigned int lapic_id(void);

/* Interrupt command register values for lapic_send_ipi() */
#define ICR_FIXED		0x00000
#define ICR_INIT		0x00500
#define ICR_STARTUP		0x00600
#define ICR_ASSERT		0x04000
#define ICR_LEVEL		0x08000

void lapic_send_ipi(unsigned int apic_id, uint32_t icr);

void ioapic_init(void);
void ioapic_route(unsigned int pin, unsigned int vector, uint32_t flags);
void ioapic_mask(unsigned int pin, bool masked);

#endif /* GUEST_IRQ_H */
