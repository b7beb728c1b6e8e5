/* SPDX-License-Identifier: MIT */
/*
 * Entry of the ELF32 images: a Multiboot v1 header, a Xen PVH note and the
 * 32-bit code both protocols enter.  It only switches to long mode; the
 * rest of the startup is shared with the ELF64 entry in head64.S.
 *
 * Both loaders enter in flat 32-bit protected mode with paging off and ebx
 * pointing to their boot information.  Multiboot enters at the ELF entry
 * point with its magic in eax; PVH enters at the address in the note with
 * eax undefined (QEMU's firmware leaves the Multiboot magic there), so the
 * PVH entry puts the PVH magic in eax itself.  Neither protocol guarantees
 * a stack, and none is used.
 */
#include "bootproto.h"

#define X86_CR0_PE	(1 << 0)
#define X86_CR0_ET	(1 << 4)
#define X86_CR0_PG	(1 << 31)
#define X86_CR4_PAE	(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)

	/* The linker script puts this first, well inside the first 8 KiB. */
	.section .multiboot, "a"
	.balign 4
	.long MULTIBOOT_HEADER_MAGIC
	.long MULTIBOOT_HEADER_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen" and its NUL */
	.long 4				/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long pvh_start

	.section .text.boot, "ax"
	.code32
pvh_start:
	movl $HVM_START_MAGIC, %eax
	.globl _start
_start:
	cli
	/* eax and ebx travel to the 64-bit code in esi and ebx. */
	movl %eax, %esi
	lgdt gdt_ptr

	movl $X86_CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3

	/* Nothing else in EFER matters yet, so skip reading it. */
	movl $MSR_EFER, %ecx
	movl $EFER_LME, %eax
	xorl %edx, %edx
	wrmsr

	/* A fixed value also clears any CD/NW/TS the loader may have left. */
	movl $(X86_CR0_PG | X86_CR0_ET | X86_CR0_PE), %eax
	movl %eax, %cr0
	ljmp $GDT_CODE64, $1f

	.code64
	/* 32-bit moves: the upper halves are undefined after the switch. */
1:	movl %esi, %edi
	movl %ebx, %esi
	xorl %edx, %edx
	jmp start64

	.section .note.GNU-stack, "", @progbits
