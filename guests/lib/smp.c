// SPDX-License-Identifier: MIT
/*
 * An AP starts in real mode at the 4 KiB page the startup IPI names, so
 * a trampoline is copied below 1 MiB.  It switches to protected mode on
 * a GDT of its own (it runs before the AP can address the image), then
 * to long mode on the runtime's page tables, and jumps into the image.
 * There each AP takes a slot with a locked increment, which picks its
 * stack.
 */
#include "guest.h"
#include "bootproto.h"
#include "clock.h"
#include "irq.h"
#include "smp.h"

#define STR(x)			#x
#define XSTR(x)			STR(x)

#define TRAMPOLINE_BASE		0x8000	/* free in every boot protocol's layout */
#define GDT_CODE32		0x18	/* trampoline GDT only */
#define AP_STACK_SIZE		4096
#define INIT_DELAY_US		10000	/* MP spec B.4: 10 ms after INIT */
#define STARTUP_DELAY_US	200	/* and 200 us after each STARTUP */

/* The trampoline's address of a symbol inside it */
#define TRAMP(sym)	"(" XSTR(TRAMPOLINE_BASE) " + " #sym " - ap_trampoline)"

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern char ap_trampoline[], ap_trampoline_end[];
extern char pml4[];

/* Used from the assembly only */
struct idt_ptr ap_idt_ptr __attribute__((used));
uint32_t ap_next_slot __attribute__((used));
uint8_t ap_stacks[SMP_MAX_APS][AP_STACK_SIZE]
	__attribute__((used, section(".noinit"), aligned(16)));

static ap_main_fn ap_entry;

void ap_start64(unsigned int slot) __attribute__((noreturn));

asm(".pushsection .text\n"
    "	.code16\n"
    "ap_trampoline:\n"
    "	cli\n"
    "	xorw %ax, %ax\n"
    "	movw %ax, %ds\n"
    "	lgdtl " TRAMP(ap_gdt_ptr) "\n"
    "	movl $0x11, %eax\n"			/* CR0.PE | CR0.ET */
    "	movl %eax, %cr0\n"
    "	ljmpl $" XSTR(GDT_CODE32) ", $" TRAMP(ap_protected) "\n"
    "	.code32\n"
    "ap_protected:\n"
    "	movl $" XSTR(GDT_DATA) ", %eax\n"
    "	movl %eax, %ds\n"
    "	movl %eax, %es\n"
    "	movl %eax, %ss\n"
    "	movl $0x20, %eax\n"			/* CR4.PAE */
    "	movl %eax, %cr4\n"
    "	movl $pml4, %eax\n"
    "	movl %eax, %cr3\n"
    "	movl $0xc0000080, %ecx\n"		/* EFER.LME */
    "	movl $0x100, %eax\n"
    "	xorl %edx, %edx\n"
    "	wrmsr\n"
    "	movl $0x80000011, %eax\n"		/* CR0.PG | ET | PE */
    "	movl %eax, %cr0\n"
    "	ljmpl $" XSTR(GDT_CODE64) ", $ap_long\n"
    "	.balign 8\n"
    "ap_gdt:\n"				/* the runtime's selectors, plus 32-bit code */
    "	.quad 0\n"
    "	.quad 0x00af9b000000ffff\n"
    "	.quad 0x00cf93000000ffff\n"
    "	.quad 0x00cf9b000000ffff\n"
    "ap_gdt_ptr:\n"
    "	.word ap_gdt_ptr - ap_gdt - 1\n"
    "	.long " TRAMP(ap_gdt) "\n"
    "ap_trampoline_end:\n"
    "	.code64\n"
    "ap_long:\n"
    "	lgdt gdt_ptr\n"
    "	lidt ap_idt_ptr\n"
    "	movl $1, %edi\n"
    "	lock xaddl %edi, ap_next_slot\n"
    "	leal 1(%edi), %eax\n"
    "	imull $" XSTR(AP_STACK_SIZE) ", %eax\n"
    "	leaq ap_stacks(%rax), %rsp\n"
    "	call ap_start64\n"
    ".popsection\n");

void ap_start64(unsigned int slot)
{
	ap_entry(slot);
}

static void send_all(const unsigned int *apic_ids, unsigned int n,
		     uint32_t icr, uint64_t delay_us)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		lapic_send_ipi(apic_ids[i], icr);
	tsc_delay_us(delay_us);
}

void smp_start_aps(const unsigned int *apic_ids, unsigned int n,
		   ap_main_fn ap_main)
{
	uint32_t startup = ICR_STARTUP | ICR_ASSERT | TRAMPOLINE_BASE >> 12;

	if (!n)
		return;
	ap_entry = ap_main;
	asm volatile("sidt %0" : "=m"(ap_idt_ptr));
	memcpy((void *)TRAMPOLINE_BASE, ap_trampoline,
	       ap_trampoline_end - ap_trampoline);
	send_all(apic_ids, n, ICR_INIT | ICR_ASSERT | ICR_LEVEL,
		 INIT_DELAY_US);
	send_all(apic_ids, n, startup, STARTUP_DELAY_US);
	send_all(apic_ids, n, startup, STARTUP_DELAY_US);
}
