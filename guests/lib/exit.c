// SPDX-License-Identifier: MIT
/* Leaving the VM, on purpose or because of an exception. */
#include "guest.h"
#include "bootproto.h"

#define I8042_COMMAND_PORT	0x64
#define I8042_CMD_RESET		0xfe

/* What the entry points in head64.S push, followed by the CPU's frame */
struct exception_frame {
	uint64_t vector;
	uint64_t error;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

void exception_handler(const struct exception_frame *frame)
	__attribute__((noreturn));

/*
 * isa-debug-exit ends the VM with status (code << 1) | 1.  Without that
 * device, reset through the keyboard controller, which -no-reboot turns
 * into a VM exit; failing both, stop here.
 */
void exit(int code)
{
	outl(DEBUG_EXIT_PORT, code);
	outb(I8042_COMMAND_PORT, I8042_CMD_RESET);
	for (;;)
		asm volatile("cli; hlt");
}

void exception_handler(const struct exception_frame *frame)
{
	printf("EXCEPTION vector=%lu error=0x%lx rip=0x%lx\n",
	       frame->vector, frame->error, frame->rip);
	exit(GUEST_EXIT_EXCEPTION);
}
