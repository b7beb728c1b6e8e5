/* SPDX-License-Identifier: MIT */
/*
 * Entry of the ELF64 images, for a loader that starts the guest directly in
 * long mode: paging on with an identity map of RAM, a flat 64-bit GDT,
 * interrupts off, rdi = physical address of the command line, rsi = physical
 * address of a struct hvm_start_info.  The loader's GDT, page tables and
 * stack are not trusted beyond this entry; head64.S's own ones take over.
 */
#include "bootproto.h"

	.section .text.boot, "ax"
	.code64
	.globl _start
_start:
	cli
	movl $stack_top, %esp
	movq %rdi, %rdx
	movl $BOOT_ELF64_MAGIC, %edi
	jmp long_mode_entry

	.section .note.GNU-stack, "", @progbits
