// SPDX-License-Identifier: MIT
/*
 * The runtime's user mode (guests/lib/usermode.c).  By default, calls a
 * function in user mode a few times: it must run at CPL 3 and return its
 * value to kernel mode, with the caller's registers intact.  With
 * "fault", the user function reads a page it was not given, and the
 * runtime's handler must report the page fault (vector 14, error code:
 * present, read, user).
 */
#include "guest.h"
#include "irq.h"
#include "usermode.h"

#define CALLS		3
#define CPL_MASK	3
#define USER_CPL	3
/* Identity-mapped at boot, in a GiB the image does not open to user mode */
#define KERNEL_ONLY	0x40000000UL

static unsigned int cpl(void)
{
	uint16_t cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs & CPL_MASK;
}

static uint64_t report_cpl(void *arg)
{
	return (uintptr_t)arg * 10 + cpl();
}

static uint64_t read_kernel_page(void *arg)
{
	return *(volatile uint64_t *)arg;
}

int guest_main(const struct boot_info *bi)
{
	uint64_t i, ret;

	irq_init();
	if (usermode_init())
		return 1;
	if (cmdline_get(bi->cmdline, "fault")) {
		ret = usermode_call(read_kernel_page, (void *)KERNEL_ONLY);
		printf("usermode: read 0x%lx at 0x%lx without a fault\n", ret,
		       KERNEL_ONLY);
		return 1;
	}
	for (i = 0; i < CALLS; i++) {
		ret = usermode_call(report_cpl, (void *)i);
		if (ret != i * 10 + USER_CPL || cpl()) {
			printf("usermode: call %lu returned %lu, back at CPL "
			       "%u; expected %lu, CPL 0\n", i, ret, cpl(),
			       i * 10 + USER_CPL);
			return 1;
		}
	}
	printf("usermode: %u calls ok\n", CALLS);
	return 0;
}
