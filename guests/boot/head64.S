/* SPDX-License-Identifier: MIT */
/*
 * 64-bit startup shared by all entries, and the static tables it needs.
 *
 * Guest code runs emulated on the target hosts, so every table here (page
 * tables, GDT, IDT) is laid out by the assembler and linker instead of being
 * filled in by loops at boot.
 */
#include "bootproto.h"

#define PTE_PRESENT	(1 << 0)
#define PTE_WRITE	(1 << 1)
#define PTE_LARGE	(1 << 7)
#define PAGE_2M		0x200000
#define IDENTITY_PDS	4		/* one page directory per GiB */

#define NR_EXCEPTIONS	32
/* Vectors for which the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30 */
#define ERROR_CODE_VECTORS	0x60227d00
#define IDT_INTERRUPT_GATE	0x8e	/* present, DPL 0, 64-bit interrupt gate */

/*
 * In: edi = protocol magic, rsi = boot information, rdx = command line or 0.
 * The CPU is in long mode on our page tables and GDT; nothing else is set.
 */
	.section .text.boot, "ax"
	.code64
	.globl start64
start64:
	movl $GDT_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movl $stack_top, %esp
	lidt idt_ptr

	/* rep stosq needs rdi, rcx and rax. */
	movl %edi, %r8d
	movq %rdx, %r9
	cld
	movl $__bss_start, %edi
	movl $__bss_qwords, %ecx
	xorl %eax, %eax
	rep stosq

	movl %r8d, %edi
	movq %r9, %rdx
	call boot_main
	/* boot_main does not return. */

/*
 * For the entries a loader starts in long mode (elf64.S, linux64.S): moves
 * to our GDT and page tables, which map the low 4 GiB holding the image and
 * the boot data, then to start64.  In: edi, rsi, rdx as start64 takes them
 * and a stack.
 */
	.globl long_mode_entry
long_mode_entry:
	lgdt gdt_ptr
	movl $pml4, %eax
	movq %rax, %cr3
	/* A far return is the portable way to reload CS in long mode. */
	pushq $GDT_CODE64
	pushq $start64
	lretq

/*
 * One fixed-size entry per exception vector, so that the IDT can be written
 * out statically: gate N points at isr_entries + N * ISR_ENTRY_SIZE.  Each entry
 * leaves the same frame: vector, error code (0 if the CPU pushed none),
 * then the CPU's rip, cs, rflags, rsp, ss.  The .org makes the assembler
 * fail should an entry outgrow ISR_ENTRY_SIZE.
 */
	.text
	.balign 512
	.globl isr_entries
isr_entries:
	.set vec, 0
	.rept NR_EXCEPTIONS
	.org isr_entries + vec * ISR_ENTRY_SIZE
	.if !((ERROR_CODE_VECTORS >> vec) & 1)
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	movq %rsp, %rdi
	andq $-16, %rsp
	call exception_handler
	/* exception_handler does not return. */

	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* GDT_CODE64: 64-bit code, accessed */
	.quad 0x00cf93000000ffff	/* GDT_DATA: flat data, accessed */
gdt_end:

	/* lgdt reads 6 bytes in 32-bit mode and 10 in 64-bit mode. */
	.globl gdt_ptr
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

/*
 * The gate fields come from symbols the linker script derives from
 * isr_entries; the 512-byte alignment of isr_entries keeps all entries inside one
 * 64 KiB block, so only the low 16 bits differ between gates.
 */
	.balign 16
idt:
	.set vec, 0
	.rept NR_EXCEPTIONS
	.word isr_entries_low + vec * ISR_ENTRY_SIZE
	.word GDT_CODE64
	.byte 0				/* no IST */
	.byte IDT_INTERRUPT_GATE
	.word isr_entries_mid
	.long isr_entries_high
	.long 0
	.set vec, vec + 1
	.endr
idt_end:

idt_ptr:
	.word idt_end - idt - 1
	.quad idt

/* Identity map of the low 4 GiB with 2 MiB pages. */
	.section .data.pagetables, "aw"
	.balign 4096
	.globl pml4
pml4:
	.quad pdpt + (PTE_PRESENT | PTE_WRITE)
	.fill 511, 8, 0

pdpt:
	.set pd_index, 0
	.rept IDENTITY_PDS
	.quad pds + pd_index * 4096 + (PTE_PRESENT | PTE_WRITE)
	.set pd_index, pd_index + 1
	.endr
	.fill 512 - IDENTITY_PDS, 8, 0

pds:
	.set addr, 0
	.rept IDENTITY_PDS * 512
	.quad addr + (PTE_PRESENT | PTE_WRITE | PTE_LARGE)
	.set addr, addr + PAGE_2M
	.endr

	/* Not zeroed: nothing reads the stack before writing it. */
	.section .noinit, "aw", @nobits
	.balign 16
	.skip STACK_SIZE
	.globl stack_top
stack_top:

	.section .note.GNU-stack, "", @progbits
