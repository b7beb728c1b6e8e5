// SPDX-License-Identifier: MIT
/*
 * The runtime's user mode (guests/lib/usermode.c).  By default, calls a
 * function in user mode a few times: it must run at CPL 3 and return its
 * value to kernel mode, with the caller's registers intact.  With
 * "fault", the user function reads a page it was not given, and the
 * runtime's handler must report the page fault (vector 14, error code:
 * present, read, user).  With "syscall", the user function executes
 * SYSCALL, which must enter kernel mode at LSTAR; it says at which CPL
 * it got there (a probe of the host: kvm_pvm runs the entry at CPL 3).
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

#define MSR_EFER	0xc0000080
#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_SFMASK	0xc0000084
#define EFER_SCE	(1ULL << 0)
/* SYSCALL: CS 0x08, SS 0x10; SYSRET: SS 0x18 | 3, CS 0x20 | 3 */
#define STAR_SEGMENTS	0x0010000800000000ULL
#define RFLAGS_IF	(1ULL << 9)

static void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val),
		     "d"((uint32_t)(val >> 32)));
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

void syscall_in_kernel_mode(void) __attribute__((noreturn));
void syscall_in_kernel_mode(void)
{
	printf("usermode: syscall entered kernel mode\n");
	exit(0);
}

/* At CPL 3 (a host's error) it can only go back through the stub. */
void syscall_entry(void);
asm(".pushsection .text\n"
    "syscall_entry:\n"
    "	movl %cs, %eax\n"
    "	andl $3, %eax\n"
    "	jnz usermode_return_stub\n"
    "	andq $-16, %rsp\n"
    "	call syscall_in_kernel_mode\n"
    ".popsection\n");

static uint64_t make_syscall(void *arg)
{
	(void)arg;
	asm volatile("syscall" : : : "rcx", "r11", "memory");
	return 0;
}

static int probe_syscall(void)
{
	wrmsr(MSR_STAR, STAR_SEGMENTS);
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_SFMASK, RFLAGS_IF);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	printf("usermode: syscall entry ran at CPL %lu\n",
	       usermode_call(make_syscall, NULL));
	return 1;
}

int guest_main(const struct boot_info *bi)
{
	uint64_t i, ret;

	irq_init();
	if (usermode_init())
		return 1;
	if (cmdline_get(bi->cmdline, "syscall"))
		return probe_syscall();
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
