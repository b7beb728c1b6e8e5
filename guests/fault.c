// SPDX-License-Identifier: MIT
/*
 * Misbehaves as told by mode=:
 *   ud      executes ud2: the runtime reports vector 6
 *   pf      reads unmapped memory: vector 14
 *   triple  raises an exception with an empty IDT: a triple fault
 *   int3    executes int3: vector 3
 *   reset   asks the keyboard controller for a reset, after leaving a
 *           mark in RAM that a clean machine reset must wipe
 *   hang    halts with interrupts off, forever
 */
#include "guest.h"

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
	printf("fault: expected mode=ud|pf|triple|int3|reset|hang\n");
	return GUEST_EXIT_BAD_ARGS;
}
