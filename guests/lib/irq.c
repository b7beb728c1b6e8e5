// SPDX-License-Identifier: MIT
/*
 * IDT gates for the ISA IRQ vectors.  Each handler counts its interrupt in
 * irq_count[], sends the end of interrupt irq_eoi selects, and returns: the
 * guest does the rest outside interrupt context.
 */
#include "guest.h"
#include "bootproto.h"
#include "clock.h"
#include "irq.h"

#define STR(x)			#x
#define XSTR(x)			STR(x)

#define NR_EXCEPTIONS		32
#define IRQ_ENTRY_SIZE		16
#define IDT_ENTRIES		256
#define IDT_INTERRUPT_GATE	0x8e
#define PIC1_CMD_PORT		0x20
#define PIC2_CMD_PORT		0xa0
#define PIC_EOI_CMD		0x20
#define LAPIC_EOI_ADDR		0xfee000b0

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

volatile uint32_t irq_count[ISA_IRQS];
volatile uint32_t irq_eoi;

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));

extern char irq_entries[], irq_spurious[];

/*
 * One fixed-size entry per IRQ puts the IRQ number in eax for the common
 * part.  A slave PIC interrupt needs an EOI on both PICs.
 */
asm(".pushsection .text\n"
    "	.balign 16\n"
    "irq_entries:\n"
    "	.set irq, 0\n"
    "	.rept " XSTR(ISA_IRQS) "\n"
    "	.org irq_entries + irq * " XSTR(IRQ_ENTRY_SIZE) "\n"
    "	pushq %rax\n"
    "	movl $irq, %eax\n"
    "	jmp irq_common\n"
    "	.set irq, irq + 1\n"
    "	.endr\n"
    "irq_common:\n"
    "	incl irq_count(,%rax,4)\n"
    "	testl $" XSTR(IRQ_EOI_PIC) ", irq_eoi(%rip)\n"
    "	jz 2f\n"
    "	cmpl $8, %eax\n"
    "	movb $" XSTR(PIC_EOI_CMD) ", %al\n"
    "	jb 1f\n"
    "	outb %al, $" XSTR(PIC2_CMD_PORT) "\n"
    "1:	outb %al, $" XSTR(PIC1_CMD_PORT) "\n"
    "2:	testl $" XSTR(IRQ_EOI_LAPIC) ", irq_eoi(%rip)\n"
    "	jz 3f\n"
    "	xorl %eax, %eax\n"
    "	movabsl %eax, " XSTR(LAPIC_EOI_ADDR) "\n"
    "3:	popq %rax\n"
    "irq_spurious:\n"
    "	iretq\n"
    ".popsection\n");

void irq_set_gate(unsigned int vector, const void *handler)
{
	uint64_t addr = (uintptr_t)handler;

	idt[vector].offset_low = addr;
	idt[vector].selector = GDT_CODE64;
	idt[vector].type = IDT_INTERRUPT_GATE;
	idt[vector].offset_mid = addr >> 16;
	idt[vector].offset_high = addr >> 32;
}

/* The runtime's IDT covers the exceptions only: extend a copy of it. */
static void idt_init(void)
{
	struct idt_ptr ptr;
	unsigned int irq;

	asm volatile("sidt %0" : "=m"(ptr));
	memcpy(idt, (const void *)ptr.base,
	       NR_EXCEPTIONS * sizeof(struct idt_gate));
	for (irq = 0; irq < ISA_IRQS; irq++)
		irq_set_gate(IRQ_VECTOR(irq), irq_entries + irq * IRQ_ENTRY_SIZE);
	irq_set_gate(IRQ_SPURIOUS_VECTOR, irq_spurious);
	ptr.limit = sizeof(idt) - 1;
	ptr.base = (uintptr_t)idt;
	asm volatile("lidt %0" : : "m"(ptr));
}

/*
 * Interrupts stay disabled.  Afterwards no IRQ is unmasked anywhere, the
 * local APIC passes on the PIC's interrupts (virtual wire mode), and IRQ
 * handlers send no EOI.
 */
void irq_init(void)
{
	irq_disable();
	idt_init();
	irq_eoi = IRQ_EOI_NONE;
	pic_init();
	ioapic_init();
	lapic_init(IRQ_SPURIOUS_VECTOR);
}

/*
 * Enables interrupts until irq_count[@irq] reaches @count or @cycles TSC
 * cycles have passed, then disables them.  Returns whether it got there.
 */
bool irq_wait(unsigned int irq, uint32_t count, uint64_t cycles)
{
	uint64_t start = rdtsc();
	bool reached;

	irq_enable();
	while (!(reached = irq_count[irq] >= count) &&
	       rdtsc() - start < cycles)
		cpu_relax();
	irq_disable();
	return reached;
}
