// SPDX-License-Identifier: MIT
/*
 * SYSCALL from user mode on hosts whose KVM runs the guest's kernel code
 * in an instruction emulator and its user code natively (kvm_pvm).  There
 * a user-mode SYSCALL sets RCX and R11 and jumps to LSTAR, but leaves the
 * user's CS and SS, so CPL 3: the kernel's entry, in a page user mode may
 * not execute, faults at once, and the guest's #PF handler gets a frame
 * whose RIP is LSTAR and whose CS is a user selector.  Linux kills the
 * process ("segfault at ... entry_SYSCALL_64"); no user space can run.
 *
 * kvmlite finishes the instruction.  Guest writes to LSTAR exit to
 * userspace (an MSR filter), so it knows the entry; a hardware breakpoint
 * goes on the #PF handler the guest's IDT names then (breakpoints are
 * taken in emulated kernel code).  When the handler is entered for that
 * fault, kvmlite drops the exception frame and does what SYSCALL should
 * have: CS and SS from STAR at DPL 0, RIP from LSTAR, RFLAGS as R11 less
 * SFMASK.  Every other page fault goes on to the handler as before.
 *
 * Only on such hosts: elsewhere SYSCALL needs no help, and the guest
 * keeps its debug registers.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvmlite/log.h"
#include "kvmlite/machine.h"
#include "kvmlite/syscall_entry.h"

#define HOST_NEEDS_IT		"/sys/module/kvm_pvm"

#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_SFMASK		0xc0000084
#define MSRS_MAX		2	/* the most kvmlite moves at once */
#define STAR_SYSCALL_CS(star)	((uint16_t)((star) >> 32) & ~3)

#define OPCODE_SYSCALL_0	0x0f
#define OPCODE_SYSCALL_1	0x05

#define PAGE_FAULT_VECTOR	14
#define IDT_GATE_SIZE		16
#define IDT_GATE_PRESENT	0x80
#define RPL_MASK		3
#define PF_ERROR_USER		(1U << 2)
#define RFLAGS_FIXED		(1ULL << 1)
#define RFLAGS_RF		(1ULL << 16)
#define DEBUG_VECTOR		1
#define DR6_B0			(1ULL << 0)	/* DR0's breakpoint was hit */
#define DR6_BS			(1ULL << 14)	/* a single step */
#define DR7_L0			(1ULL << 0)	/* DR0, execute, 1 byte */

/* What the CPU pushes for an exception with an error code, in 64-bit mode. */
struct exception_frame {
	uint64_t error, rip, cs, rflags, rsp, ss;
};

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, attributes;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
};

void syscall_entry_init(struct kvm *kvm)
{
	/* A clear bit denies: guest writes to LSTAR exit to kvmlite. */
	static uint8_t lstar_write_denied;
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args[0] = KVM_MSR_EXIT_REASON_FILTER,
	};
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges[0] = {
			.flags = KVM_MSR_FILTER_WRITE,
			.nmsrs = 1,
			.base = MSR_LSTAR,
			.bitmap = &lstar_write_denied,
		},
	};

	if (access(HOST_NEEDS_IT, F_OK))
		return;
	if (ioctl(kvm->vm_fd, KVM_ENABLE_CAP, &cap) < 0 ||
	    ioctl(kvm->vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0)
		warn_report("this host's KVM enters SYSCALL at CPL 3 and "
			    "cannot filter MSR writes (%s): the guest's user "
			    "mode cannot make system calls", strerror(errno));
}

/* KVM_GET_MSRS or KVM_SET_MSRS on @n entries; -1 unless all were done. */
static int msrs_ioctl(struct vcpu *vcpu, unsigned long request,
		      struct kvm_msr_entry *entries, uint32_t n)
{
	uint64_t buf[(sizeof(struct kvm_msrs) +
		      MSRS_MAX * sizeof(struct kvm_msr_entry)) /
		     sizeof(uint64_t)] = { 0 };
	struct kvm_msrs *msrs = (struct kvm_msrs *)buf;

	if (n > MSRS_MAX)
		return -1;
	msrs->nmsrs = n;
	memcpy(msrs->entries, entries, n * sizeof(*entries));
	if (ioctl(vcpu->fd, request, msrs) != (int)n)
		return -1;
	memcpy(entries, msrs->entries, n * sizeof(*entries));
	return 0;
}

static int get_msrs(struct vcpu *vcpu, uint64_t *star, uint64_t *sfmask)
{
	struct kvm_msr_entry entries[] = {
		{ .index = MSR_STAR }, { .index = MSR_SFMASK },
	};

	if (msrs_ioctl(vcpu, KVM_GET_MSRS, entries, 2))
		return -1;
	*star = entries[0].data;
	*sfmask = entries[1].data;
	return 0;
}

static int set_lstar(struct vcpu *vcpu, uint64_t value)
{
	struct kvm_msr_entry entry = { .index = MSR_LSTAR, .data = value };

	return msrs_ioctl(vcpu, KVM_SET_MSRS, &entry, 1);
}

/* The #PF handler's address in the guest's IDT, or 0 if it has none. */
static uint64_t page_fault_handler(struct vcpu *vcpu)
{
	uint64_t at = PAGE_FAULT_VECTOR * IDT_GATE_SIZE;
	struct kvm_sregs sregs;
	struct idt_gate gate;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0 ||
	    sregs.idt.limit < at + IDT_GATE_SIZE - 1 ||
	    vcpu_copy_linear(vcpu, sregs.idt.base + at, &gate, sizeof(gate),
			     false) != sizeof(gate) ||
	    !(gate.attributes & IDT_GATE_PRESENT))
		return 0;
	return (uint64_t)gate.offset_high << 32 |
	       (uint64_t)gate.offset_mid << 16 | gate.offset_low;
}

/* Breaks at @handler, or at nothing if it is 0. */
static void set_breakpoint(struct vcpu *vcpu, uint64_t handler)
{
	struct kvm_guest_debug debug = { 0 };

	if (handler) {
		debug.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
		debug.arch.debugreg[0] = handler;
		debug.arch.debugreg[7] = DR7_L0;
	}
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &debug) == 0)
		vcpu->pf_breakpoint = handler;
}

/*
 * The handler is looked up here only: an OS sets its IDT up before its
 * SYSCALL entry (Linux does), and nothing exits to kvmlite when the IDT
 * changes.
 */
void syscall_entry_wrmsr(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t handler;

	/* An error makes KVM raise #GP, as a bad WRMSR would. */
	run->msr.error = run->msr.index != MSR_LSTAR ||
			 set_lstar(vcpu, run->msr.data);
	if (run->msr.error)
		return;
	vcpu->syscall_entry = run->msr.data;
	handler = page_fault_handler(vcpu);
	if (handler != vcpu->pf_breakpoint)
		set_breakpoint(vcpu, handler);
}

/*
 * Whether a fault at LSTAR is the one a SYSCALL left at CPL 3 takes: a
 * user fetch there, with RFLAGS already masked and a SYSCALL instruction
 * just before RCX.  User code that jumped to the entry instead runs with
 * IF set (it cannot clear it) and is left to its page fault.
 */
static bool is_stranded_syscall(struct vcpu *vcpu, const struct kvm_regs *regs,
				const struct kvm_sregs *sregs,
				const struct exception_frame *frame,
				uint64_t sfmask)
{
	uint8_t insn[2];

	return sregs->cr2 == vcpu->syscall_entry &&
	       (frame->cs & RPL_MASK) == RPL_MASK &&
	       (frame->error & PF_ERROR_USER) &&
	       !(frame->rflags & sfmask & ~RFLAGS_RF) &&
	       vcpu_copy_linear(vcpu, regs->rcx - sizeof(insn), insn,
				sizeof(insn), false) == sizeof(insn) &&
	       insn[0] == OPCODE_SYSCALL_0 && insn[1] == OPCODE_SYSCALL_1;
}

static int finish_syscall(struct vcpu *vcpu, struct kvm_regs *regs,
			  struct kvm_sregs *sregs,
			  const struct exception_frame *frame, uint64_t star,
			  uint64_t sfmask)
{
	uint16_t cs = STAR_SYSCALL_CS(star);

	vcpu_flat_segment(&sregs->cs, cs, SEGMENT_CODE, true);
	vcpu_flat_segment(&sregs->ss, cs + 8, SEGMENT_DATA, false);
	regs->rflags = (regs->r11 & ~(sfmask | RFLAGS_RF)) | RFLAGS_FIXED;
	regs->rip = vcpu->syscall_entry;
	regs->rsp = frame->rsp;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
		return -1;
	return 0;
}

/*
 * The handler's first instruction runs with the breakpoint off, one step,
 * and the breakpoint goes back.  (The emulator ignores RFLAGS.RF, which
 * is how a CPU steps past an instruction breakpoint.)
 */
static int step_over_breakpoint(struct vcpu *vcpu)
{
	struct kvm_guest_debug debug = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
	};

	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &debug) < 0)
		return -1;
	vcpu->stepping_over = true;
	return 0;
}

/*
 * KVM hands every #DB to kvmlite while it debugs the guest: those that
 * are the guest's own (TF, ICEBP) go back to it with their DR6.
 */
static int reflect_debug_exception(struct vcpu *vcpu, struct kvm_regs *regs,
				   uint64_t dr6)
{
	struct kvm_debugregs debugregs;

	if (ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &debugregs) < 0)
		return -1;
	debugregs.dr6 = dr6;
	if (ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &debugregs) < 0)
		return -1;
	return vcpu_deliver(vcpu, regs, 0, DEBUG_VECTOR, true);
}

int syscall_entry_debug(struct vcpu *vcpu)
{
	struct exception_frame frame;
	uint64_t star, sfmask;
	struct kvm_sregs sregs;
	uint64_t dr6 = vcpu->run->debug.arch.dr6;
	struct kvm_regs regs;

	if (vcpu->stepping_over && (dr6 & DR6_BS)) {
		vcpu->stepping_over = false;
		/* None after a reset, until the guest sets LSTAR again. */
		set_breakpoint(vcpu, vcpu->syscall_entry ?
				     vcpu->pf_breakpoint : 0);
		return 0;
	}
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		return -1;
	if (!(dr6 & DR6_B0) || !vcpu->pf_breakpoint ||
	    regs.rip != vcpu->pf_breakpoint)
		return reflect_debug_exception(vcpu, &regs, dr6);
	/* Most page faults are not at LSTAR: they cost no more than this. */
	if (!vcpu->syscall_entry ||
	    vcpu_copy_linear(vcpu, regs.rsp, &frame, sizeof(frame), false) !=
	    sizeof(frame) || frame.rip != vcpu->syscall_entry)
		return step_over_breakpoint(vcpu);
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0 ||
	    get_msrs(vcpu, &star, &sfmask))
		return -1;
	if (!is_stranded_syscall(vcpu, &regs, &sregs, &frame, sfmask))
		return step_over_breakpoint(vcpu);
	return finish_syscall(vcpu, &regs, &sregs, &frame, star, sfmask);
}

void syscall_entry_reset(struct vcpu *vcpu)
{
	vcpu->syscall_entry = 0;
}
