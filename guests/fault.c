// SPDX-License-Identifier: MIT
/*
 * Misbehaves as told by mode=:
 *   ud      executes ud2: the runtime reports vector 6
 *   pf      reads unmapped memory: vector 14
 *   triple  raises an exception with an empty IDT: a triple fault
 *   int3    executes int3: vector 3
 *   trap    executes int3 and int $0x41 with handlers installed, and
 *           checks each returns right after its instruction
 *   cx16    executes cmpxchg16b, which some emulators refuse
 *   fwait   executes fwait with no x87 exception pending, and goes on
 *   mxcsr   loads and stores MXCSR through several addressing forms and
 *           checks what it reads back
 *   reset   asks the keyboard controller for a reset, after leaving a
 *           mark in RAM that a clean machine reset must wipe
 *   hang    halts with interrupts off, forever
 */
#include "guest.h"
#include "irq.h"

/* Above the identity map of the low 4 GiB; nothing maps it. */
#define UNMAPPED_ADDR		0x8000000000ULL
#define I8042_COMMAND_PORT	0x64
#define I8042_CMD_RESET		0xfe
/* In RAM under every -m the tests use, above this guest's image. */
#define RESET_MARK_ADDR		0x1000000ULL
#define RESET_MARK		0x6b766d6c69746521ULL

static void fault_ud(void)
{
	asm volatile("ud2");
}

static void fault_pf(void)
{
	(void)*(volatile uint64_t *)UNMAPPED_ADDR;
}

/* Limit 0: no gate fits, so every exception escalates to a triple fault. */
static void fault_triple(void)
{
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty_idt;

	asm volatile("lidt %0; ud2" : : "m"(empty_idt));
}

static void fault_int3(void)
{
	asm volatile("int3");
}

/*
 * Trap handlers that keep the return address of their last trap and
 * count them.
 */
#define TRAP_VECTOR		(IRQ_FREE_VECTOR_BASE + 1)
#define STR(x)			#x
#define XSTR(x)			STR(x)

volatile uint64_t trap_rip[2];
volatile uint32_t trap_count[2];
extern char bp_entry[], int_entry[];

asm(".pushsection .text\n"
    ".macro trap_entry name, slot\n"
    "\\name:\n"
    "	pushq %rax\n"
    "	movq 8(%rsp), %rax\n"
    "	movq %rax, trap_rip + 8 * \\slot(%rip)\n"
    "	incl trap_count + 4 * \\slot(%rip)\n"
    "	popq %rax\n"
    "	iretq\n"
    ".endm\n"
    "trap_entry bp_entry, 0\n"
    "trap_entry int_entry, 1\n"
    ".popsection\n");

static bool trap_returned(const char *what, int slot, uint64_t want)
{
	if (trap_count[slot] == 1 && trap_rip[slot] == want)
		return true;
	printf("fault: %s: %u traps, returned to 0x%lx, expected 0x%lx\n",
	       what, trap_count[slot], trap_rip[slot], want);
	return false;
}

static void fault_trap(void)
{
	uint64_t after_int3, after_int_n;
	bool ok;

	irq_init();
	irq_set_gate(3, bp_entry);
	irq_set_gate(TRAP_VECTOR, int_entry);
	asm volatile("int3\n1: leaq 1b(%%rip), %0" : "=r"(after_int3));
	asm volatile("int $" XSTR(TRAP_VECTOR) "\n1: leaq 1b(%%rip), %0"
		     : "=r"(after_int_n));
	ok = trap_returned("int3", 0, after_int3);
	ok = trap_returned("int $0x41", 1, after_int_n) && ok;
	if (ok) {
		printf("fault: int3 and int $0x41 returned after themselves\n");
		exit(0);
	}
}

static void fault_cx16(void)
{
	static volatile uint64_t target[2] __attribute__((aligned(16)));
	uint64_t lo = 0, hi = 0;

	asm volatile("lock cmpxchg16b %2"
		     : "+a"(lo), "+d"(hi), "+m"(*target)
		     : "b"(1UL), "c"(2UL) : "memory", "cc");
}

static void fault_fwait(void)
{
	asm volatile("fninit; fwait");
	printf("fault: fwait completed\n");
	exit(0);
}

#define CR4_OSFXSR		(1UL << 9)
#define MXCSR_ROUND_UP_MASKED	0x5f80	/* every exception masked, RC=10 */
#define MXCSR_TRUNCATE_MASKED	0x7f80	/* RC=11 */

static void enable_sse(void)
{
	unsigned long cr4;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSFXSR));
}

/*
 * Each form is one the decoder has to get right: RIP-relative, SIB with
 * an 8-bit displacement, and a REX-extended base with a 32-bit one.
 */
static void fault_mxcsr(void)
{
	static volatile uint32_t words[128] __attribute__((aligned(16)));
	static volatile uint32_t loaded = MXCSR_ROUND_UP_MASKED;
	unsigned long index = 3;

	enable_sse();
	asm volatile("ldmxcsr %0" : : "m"(loaded));
	asm volatile("stmxcsr 4(%0,%1,4)" : : "r"(words), "r"(index)
		     : "memory");
	words[100] = MXCSR_TRUNCATE_MASKED;
	asm volatile("mov %0, %%r9; ldmxcsr 0x190(%%r9); stmxcsr 0x194(%%r9)"
		     : : "r"(words) : "r9", "memory");
	printf("fault: mxcsr read back 0x%x and 0x%x\n", words[4], words[101]);
	exit(0);
}

static void fault_reset(void)
{
	volatile uint64_t *mark = (volatile uint64_t *)RESET_MARK_ADDR;

	if (*mark == RESET_MARK) {
		printf("fault: RAM kept its contents across the reset\n");
		exit(1);
	}
	*mark = RESET_MARK;
	outb(I8042_COMMAND_PORT, I8042_CMD_RESET);
}

static void fault_hang(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

static const struct {
	const char *name;
	void (*act)(void);
} modes[] = {
	{ "ud", fault_ud },
	{ "pf", fault_pf },
	{ "triple", fault_triple },
	{ "int3", fault_int3 },
	{ "trap", fault_trap },
	{ "cx16", fault_cx16 },
	{ "fwait", fault_fwait },
	{ "mxcsr", fault_mxcsr },
	{ "reset", fault_reset },
	{ "hang", fault_hang },
};

int guest_main(const struct boot_info *bi)
{
	const char *val = cmdline_get(bi->cmdline, "mode");
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!cmdline_value_is(val, modes[i].name))
			continue;
		printf("fault: %s\n", modes[i].name);
		modes[i].act();
		printf("fault: still running after mode=%s\n", modes[i].name);
		return 1;
	}
	printf("fault: expected mode=ud|pf|triple|int3|trap|cx16|fwait|mxcsr|"
	       "reset|hang\n");
	return GUEST_EXIT_BAD_ARGS;
}
