// SPDX-License-Identifier: MIT
/*
 * The runtime's user mode (guests/lib/usermode.c).  By default, calls a
 * function in user mode a few times: it must run at CPL 3 and return its
 * value to kernel mode, with the caller's registers intact.  With
 * "fault", the user function reads a page it was not given, and the
 * runtime's handler must report the page fault (vector 14, error code:
 * present, read, user).  With "syscall", the user function executes
 * SYSCALL, which must enter kernel mode at LSTAR with CPL 0, RCX, R11
 * and RFLAGS as the SDM says, and SYSRET must bring it back.  (kvm_pvm
 * hosts enter LSTAR at CPL 3; kvmlite completes the entry there.)  With
 * "jump", user code jumps to the kernel's entry without a SYSCALL and
 * must take a page fault there; with "step", kernel code sets TF and
 * must get its own debug exception.
 */
#include "guest.h"
#include "cpu.h"
#include "irq.h"
#include "paging.h"
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

#define EFER_SCE	(1ULL << 0)
/* SYSCALL: CS 0x08, SS 0x10; SYSRET: SS 0x18 | 3, CS 0x20 | 3 */
#define STAR_SEGMENTS	0x0010000800000000ULL
#define RFLAGS_TF	(1ULL << 8)
#define RFLAGS_DF	(1ULL << 10)
#define RFLAGS_RF	(1ULL << 16)
#define SYSCALL_MASK	(RFLAGS_IF | RFLAGS_DF)
#define JMP_RIP_INDIRECT 0x25ff		/* ff 25: jmp *disp32(%rip) */

/* What each side saw, for guest_main() to judge. */
uint64_t syscall_rcx, syscall_r11, syscall_rflags, syscall_cs;
uint64_t user_return_rip, user_rflags, user_rflags_after;

/*
 * The kernel side: it records the registers SYSCALL sets and the CPL and
 * RFLAGS it runs with, then returns with SYSRET.
 */
void syscall_entry(void);
asm(".pushsection .text\n"
    "syscall_entry:\n"
    "	movq %rcx, syscall_rcx(%rip)\n"
    "	movq %r11, syscall_r11(%rip)\n"
    "	movq %cs, %rax\n"
    "	movq %rax, syscall_cs(%rip)\n"
    "	pushfq\n"
    "	popq syscall_rflags(%rip)\n"
    "	sysretq\n"
    ".popsection\n");

/*
 * The user side, with DF set so that SFMASK has something to clear and
 * SYSRET something to restore.  Returns the CPL it came back at.
 */
uint64_t make_syscall(void *arg);
asm(".pushsection .text\n"
    "make_syscall:\n"
    "	std\n"
    "	leaq 1f(%rip), %rax\n"
    "	movq %rax, user_return_rip(%rip)\n"
    "	pushfq\n"
    "	popq user_rflags(%rip)\n"
    "	syscall\n"
    "1:	pushfq\n"
    "	popq user_rflags_after(%rip)\n"
    "	cld\n"
    "	movq %cs, %rax\n"
    "	andl $3, %eax\n"
    "	ret\n"
    ".popsection\n");

/*
 * LSTAR points at a jump to syscall_entry in a page user mode may not
 * execute, as an OS's entry is: a host that enters it at CPL 3 takes a
 * page fault there instead of running kernel code in user mode.
 */
static uint64_t kernel_only_trampoline(void)
{
	uint64_t page = ((uintptr_t)_end + PAGE_2M - 1) & ~(PAGE_2M - 1);
	uint64_t target = (uintptr_t)syscall_entry;
	uint16_t jmp = JMP_RIP_INDIRECT;
	uint8_t *p = (uint8_t *)(uintptr_t)page;

	memcpy(p, &jmp, sizeof(jmp));
	memset(p + 2, 0, 4);
	memcpy(p + 6, &target, sizeof(target));
	return page;
}

static bool check(bool ok, const char *what)
{
	if (!ok)
		printf("usermode: %s\n", what);
	return ok;
}

static int probe_syscall(void)
{
	uint64_t back_at;
	bool ok;

	wrmsr(MSR_STAR, STAR_SEGMENTS);
	wrmsr(MSR_LSTAR, kernel_only_trampoline());
	wrmsr(MSR_SFMASK, SYSCALL_MASK);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	back_at = usermode_call(make_syscall, NULL);
	ok = check((syscall_cs & CPL_MASK) == 0, "syscall entry not at CPL 0");
	ok &= check(syscall_rcx == user_return_rip, "RCX is not the return RIP");
	ok &= check((syscall_r11 & ~RFLAGS_RF) == (user_rflags & ~RFLAGS_RF),
		    "R11 is not the user's RFLAGS");
	ok &= check(!(syscall_rflags & SYSCALL_MASK),
		    "SFMASK's flags still set in kernel mode");
	ok &= check(back_at == USER_CPL, "sysret did not return to CPL 3");
	ok &= check(user_rflags_after & RFLAGS_DF,
		    "sysret did not restore RFLAGS from R11");
	if (!ok)
		return 1;
	printf("usermode: syscall and sysret ok\n");
	return 0;
}

/* Jumps to @arg with RCX 0: the fault there must stay a fault. */
uint64_t jump_to(void *arg);
asm(".pushsection .text\n"
    "jump_to:\n"
    "	xorl %ecx, %ecx\n"
    "	jmp *%rdi\n"
    ".popsection\n");

static int expect_fault(uint64_t (*fn)(void *arg), void *arg)
{
	uint64_t ret = usermode_call(fn, arg);

	printf("usermode: returned 0x%lx from 0x%lx without a fault\n", ret,
	       (uintptr_t)arg);
	return 1;
}

static int calls(void)
{
	uint64_t i, ret;

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

/*
 * Faults come after the syscall probe when both are asked for: with
 * kvmlite watching for stranded SYSCALLs, other page faults, the one at
 * the entry included, and debug exceptions must still reach the guest.
 */
int guest_main(const struct boot_info *bi)
{
	bool syscall = cmdline_get(bi->cmdline, "syscall");

	irq_init();
	if (usermode_init())
		return 1;
	if (syscall && probe_syscall())
		return 1;
	if (cmdline_get(bi->cmdline, "fault"))
		return expect_fault(read_kernel_page, (void *)KERNEL_ONLY);
	if (cmdline_get(bi->cmdline, "jump"))
		return expect_fault(jump_to, (void *)rdmsr(MSR_LSTAR));
	if (cmdline_get(bi->cmdline, "step")) {
		asm volatile("pushfq; orq %0, (%%rsp); popfq; nop"
			     : : "i"(RFLAGS_TF) : "memory", "cc");
		printf("usermode: no debug exception with TF set\n");
		return 1;
	}
	return syscall ? 0 : calls();
}
