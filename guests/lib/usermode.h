/* SPDX-License-Identifier: MIT */
/*
 * Running a function in user mode (CPL 3).  Some hosts emulate a guest's
 * kernel-mode code instruction by instruction but run its user-mode code
 * natively, so a hot loop that must not measure the emulator runs here.
 *
 * User mode has interrupts off and no port I/O (so no printf: MMIO and
 * memory only); it sees the pages usermode_allow() opened, the guest
 * image always.
 * The function returns normally to come back to kernel mode; any fault
 * it takes ends the guest through the runtime's exception handler.
 */
#ifndef GUEST_USERMODE_H
#define GUEST_USERMODE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * User segments and a TSS in a new GDT, the return path's #UD gate, and
 * the guest image opened to user mode.  Call it after irq_init(), whose
 * IDT it changes.  Returns 0, or -1 after printing why.
 */
int usermode_init(void);

/* Opens the 2 MiB pages touching [@addr, @addr + @len) to user mode. */
int usermode_allow(uint64_t addr, uint64_t len);

/* Calls @fn(@arg) at CPL 3 on a stack of its own; returns what it returns. */
uint64_t usermode_call(uint64_t (*fn)(void *arg), void *arg);

/*
 * Jumping here in user mode returns to usermode_call()'s caller at once,
 * with RAX as the value returned.
 */
extern char usermode_return_stub[];

/*
 * The benchmarks' option wait=poll|irq in @cmdline: poll, the default,
 * runs the hot loop here polling the device; irq runs it in kernel mode,
 * halting until an interrupt.  Sets *@poll; false for another value.
 */
bool usermode_parse_wait(const char *cmdline, bool *poll);

#endif /* GUEST_USERMODE_H */
