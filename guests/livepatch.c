// SPDX-License-Identifier: MIT
/*
 * Code rewritten while another CPU runs it, as Linux patches its text:
 * the AP flips one byte of a function between NOP and INT3 without end,
 * while the BSP calls the function again and again.  Each call runs the
 * NOP, or takes a breakpoint whose handler counts it and returns after
 * the INT3; either way the call returns.  Where the host emulates kernel
 * code, the emulator may fetch the INT3 and give up on it, and the byte
 * be a NOP again by the time the VMM looks: the VMM must then run it
 * again rather than end the guest.  Prints how many calls took the
 * breakpoint; needs -smp 2.
 */
#include "guest.h"
#include "irq.h"
#include "smp.h"

#define CALLS			20000
#define AP_APIC_ID		1
#define OPCODE_NOP		0x90
#define OPCODE_INT3		0xcc
#define BREAKPOINT_VECTOR	3

volatile uint32_t breakpoints;
static volatile bool ap_running;

/* One byte to flip, then the return. */
void patched(void);
extern volatile uint8_t patched_site[];
extern char breakpoint_entry[];
asm(".pushsection .text\n"
    "patched:\n"
    "patched_site:\n"
    "	nop\n"
    "	ret\n"
    "breakpoint_entry:\n"
    "	lock incl breakpoints(%rip)\n"
    "	iretq\n"
    ".popsection\n");

static void __attribute__((noreturn)) flip_forever(unsigned int slot)
{
	(void)slot;
	ap_running = true;
	for (;;) {
		patched_site[0] = OPCODE_INT3;
		patched_site[0] = OPCODE_NOP;
	}
}

int guest_main(const struct boot_info *bi)
{
	static const unsigned int ap[] = { AP_APIC_ID };
	unsigned int i;

	(void)bi;
	irq_init();
	irq_set_gate(BREAKPOINT_VECTOR, breakpoint_entry);
	smp_start_aps(ap, 1, flip_forever);
	while (!ap_running)
		asm volatile("pause");
	for (i = 0; i < CALLS; i++)
		patched();
	printf("livepatch: %u calls, %u breakpoints\n", CALLS, breakpoints);
	return 0;
}
