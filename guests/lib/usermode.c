// SPDX-License-Identifier: MIT
/*
 * User mode for the guest runtime.  usermode_call() enters CPL 3 with an
 * iretq whose stack holds, as the function's return address, a stub that
 * executes ud2.  The #UD gate recognizes that stub by its address and code
 * segment, and resumes the caller on the kernel stack saved in the TSS's
 * RSP0.  An exception rather than INT n or SYSCALL, because some hosts'
 * emulators refuse those outside real mode; a #UD anywhere else still goes
 * to the runtime's handler.
 */
#include "guest.h"
#include "bootproto.h"
#include "irq.h"
#include "paging.h"
#include "usermode.h"

#define STR(x)			#x
#define XSTR(x)			STR(x)

/* The runtime's GDT (null, code, data), then ours */
#define RUNTIME_GDT_SIZE	(GDT_DATA + 8)
#define GDT_USER_DATA		0x18
#define GDT_USER_CODE64		0x20
#define GDT_TSS			0x28	/* two entries */
#define GDT_ENTRIES		7
#define RPL_USER		3
#define USER_CS			(GDT_USER_CODE64 | RPL_USER)
#define USER_SS			(GDT_USER_DATA | RPL_USER)

#define DESC_USER_DATA		0x00cff3000000ffffULL	/* DPL 3, flat */
#define DESC_USER_CODE64	0x00affb000000ffffULL	/* DPL 3, long */
#define DESC_TSS_AVAILABLE	0x89ULL			/* present, 64-bit */

/*
 * IF clear, IOPL 0: this host's KVM faults port I/O from user mode even
 * with IOPL 3, so user mode does not pretend to have it.
 */
#define USER_RFLAGS		0x0002
#define UD_VECTOR		6
#define USER_STACK_SIZE		0x4000
#define TSS_RSP0		4	/* offset in struct tss */

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
/* Read and written by the assembly below. */
static struct tss usermode_tss __attribute__((used, aligned(16)));
static uint8_t usermode_stack[USER_STACK_SIZE]
	__attribute__((used, aligned(16), section(".noinit")));

extern char usermode_ud_entry[];

_Static_assert(__builtin_offsetof(struct tss, rsp) == TSS_RSP0,
	       "TSS layout");

/*
 * usermode_call saves the callee-saved registers and leaves its stack
 * pointer in RSP0, where both the CPU (for the exception's frame) and the
 * return path find it.  The return path reloads the data segments the
 * privilege change left null.
 */
asm(".pushsection .text\n"
    "	.globl usermode_call, usermode_return_stub\n"
    "usermode_call:\n"
    "	pushq %rbx\n"
    "	pushq %rbp\n"
    "	pushq %r12\n"
    "	pushq %r13\n"
    "	pushq %r14\n"
    "	pushq %r15\n"
    "	movq %rsp, usermode_tss + " XSTR(TSS_RSP0) "(%rip)\n"
    "	leaq usermode_stack + " XSTR(USER_STACK_SIZE) " - 8(%rip), %rax\n"
    "	movq $usermode_return_stub, (%rax)\n"
    "	pushq $" XSTR(USER_SS) "\n"
    "	pushq %rax\n"
    "	pushq $" XSTR(USER_RFLAGS) "\n"
    "	pushq $" XSTR(USER_CS) "\n"
    "	pushq %rdi\n"
    "	movq %rsi, %rdi\n"
    "	iretq\n"
    "usermode_return_stub:\n"
    "	ud2\n"
    "usermode_ud_entry:\n"
    "	cmpq $usermode_return_stub, (%rsp)\n"
    "	jne 1f\n"
    "	cmpq $" XSTR(USER_CS) ", 8(%rsp)\n"
    "	jne 1f\n"
    "	movq usermode_tss + " XSTR(TSS_RSP0) "(%rip), %rsp\n"
    "	movl $" XSTR(GDT_DATA) ", %ecx\n"
    "	movl %ecx, %ds\n"
    "	movl %ecx, %es\n"
    "	movl %ecx, %ss\n"
    "	popq %r15\n"
    "	popq %r14\n"
    "	popq %r13\n"
    "	popq %r12\n"
    "	popq %rbp\n"
    "	popq %rbx\n"
    "	ret\n"
    "1:	jmp isr_entries + " XSTR(UD_VECTOR) " * " XSTR(ISR_ENTRY_SIZE) "\n"
    ".popsection\n");

static void set_tss_descriptor(uint64_t *desc, const struct tss *tss)
{
	uint64_t base = (uintptr_t)tss, limit = sizeof(*tss) - 1;

	desc[0] = (limit & 0xffff) | (base & 0xffffff) << 16 |
		  DESC_TSS_AVAILABLE << 40 | (limit >> 16 & 0xf) << 48 |
		  (base >> 24 & 0xff) << 56;
	desc[1] = base >> 32;
}

/* The runtime's descriptors stay at their selectors. */
static int load_gdt(void)
{
	struct gdt_ptr ptr;

	asm volatile("sgdt %0" : "=m"(ptr));
	if (ptr.limit + 1 != RUNTIME_GDT_SIZE) {
		printf("usermode: GDT of %u bytes, expected %u\n",
		       ptr.limit + 1, RUNTIME_GDT_SIZE);
		return -1;
	}
	memcpy(gdt, (const void *)ptr.base, RUNTIME_GDT_SIZE);
	gdt[GDT_USER_DATA / 8] = DESC_USER_DATA;
	gdt[GDT_USER_CODE64 / 8] = DESC_USER_CODE64;
	/* No I/O bitmap: user mode has no port access at all. */
	usermode_tss.iomap_base = sizeof(usermode_tss);
	set_tss_descriptor(&gdt[GDT_TSS / 8], &usermode_tss);
	ptr.limit = sizeof(gdt) - 1;
	ptr.base = (uintptr_t)gdt;
	asm volatile("lgdt %0" : : "m"(ptr) : "memory");
	asm volatile("ltr %w0" : : "r"(GDT_TSS));
	return 0;
}

int usermode_init(void)
{
	if (load_gdt())
		return -1;
	irq_set_gate(UD_VECTOR, usermode_ud_entry);
	if (usermode_allow((uintptr_t)_image_start, _end - _image_start)) {
		printf("usermode: cannot open the image to user mode\n");
		return -1;
	}
	return 0;
}

/*
 * Sets the user bit at every level down to the 2 MiB pages the runtime
 * maps with.  Returns -1 if a page is not mapped that way.
 */
int usermode_allow(uint64_t addr, uint64_t len)
{
	uint64_t page, *table, *entry;
	unsigned int level;

	for (page = addr & ~(PAGE_2M - 1); page < addr + len;
	     page += PAGE_2M) {
		table = pml4;
		for (level = 0; level <= PT_LEVEL_PD; level++) {
			entry = &table[pt_index(page, level)];
			if (!(*entry & PTE_PRESENT) ||
			    (level == PT_LEVEL_PD && !(*entry & PTE_LARGE)))
				return -1;
			*entry |= PTE_USER;
			if (*entry & PTE_LARGE)
				break;
			table = (uint64_t *)(uintptr_t)(*entry & PTE_ADDR_MASK);
		}
	}
	/* Entries cached without the user bit must go. */
	asm volatile("movq %%cr3, %%rax; movq %%rax, %%cr3" : : : "rax",
		     "memory");
	return 0;
}

bool usermode_parse_wait(const char *cmdline, bool *poll)
{
	const char *wait = cmdline_get(cmdline, "wait");

	*poll = !wait || cmdline_value_is(wait, "poll");
	return *poll || cmdline_value_is(wait, "irq");
}
