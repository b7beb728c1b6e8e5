/* SPDX-License-Identifier: MIT */
/*
 * The protected-mode part of the bzImage guests: startup_32 at its start
 * and startup_64 0x200 bytes in, as in a Linux kernel.  The 64-bit boot
 * protocol enters startup_64 in long mode on identity-mapped page tables,
 * CS = __BOOT_CS, DS/ES/SS = __BOOT_DS, interrupts off, rsi = boot_params,
 * and promises no stack.  What the loader left is recorded in linux_entry_*
 * (in .data: start64 clears .bss) for the guest to check.
 */
#include "bootproto.h"

#define MSR_EFER	0xc0000080

	.section .text.linux32, "ax"
	.code32
	.globl startup_32
startup_32:
	/* kvmlite must never take the 32-bit entry: say so and stop. */
	movl $LINUX_WRONG_ENTRY_EXIT, %eax
	outl %eax, $DEBUG_EXIT_PORT
1:	hlt
	jmp 1b

	.section .text.linux64, "ax"
	.code64
	.globl startup_64
startup_64:
	movq %rsi, linux_entry_rsi
	movw %cs, linux_entry_cs
	movw %ds, linux_entry_ds
	movw %es, linux_entry_es
	movw %ss, linux_entry_ss
	movq %cr0, %rax
	movq %rax, linux_entry_cr0
	movq %cr4, %rax
	movq %rax, linux_entry_cr4
	movl $MSR_EFER, %ecx
	rdmsr
	movl %eax, linux_entry_efer
	/* Only now is there a stack to push flags on. */
	movl $stack_top, %esp
	pushfq
	popq linux_entry_rflags
	cli
	movl $BOOT_LINUX_MAGIC, %edi
	xorl %edx, %edx
	jmp long_mode_entry

	.data
	.balign 8
	.globl linux_entry_rsi, linux_entry_cr0, linux_entry_cr4
	.globl linux_entry_rflags, linux_entry_efer
	.globl linux_entry_cs, linux_entry_ds, linux_entry_es, linux_entry_ss
linux_entry_rsi:	.quad 0
linux_entry_cr0:	.quad 0
linux_entry_cr4:	.quad 0
linux_entry_rflags:	.quad 0
linux_entry_efer:	.long 0
linux_entry_cs:		.word 0
linux_entry_ds:		.word 0
linux_entry_es:		.word 0
linux_entry_ss:		.word 0

	.section .note.GNU-stack, "", @progbits
