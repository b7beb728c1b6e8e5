// SPDX-License-Identifier: MIT
/*
 * What kvmlite completes when KVM's instruction emulator gives up.  On
 * hosts whose KVM emulates guest kernel code in software (kvm_pvm), INT3
 * and INT n outside real mode, and FWAIT, end KVM_RUN with an emulation
 * failure.  All INT3 and INT n do is raise their vector with the return
 * address after them, so kvmlite moves RIP past them and has KVM deliver
 * the vector (KVM_SET_VCPU_EVENTS); the guest's handler then returns where
 * the CPU would have returned.  FWAIT only checks for a pending x87
 * exception, which the FPU state KVM keeps says.
 */
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "kvmlite/machine.h"

#define OPCODE_INT3		0xcc
#define OPCODE_INT_N		0xcd
#define OPCODE_FWAIT		0x9b
#define BREAKPOINT_VECTOR	3
#define NO_FPU_VECTOR		7	/* #NM */
#define X87_FAULT_VECTOR	16	/* #MF */
#define CR0_MP			(1ULL << 1)
#define CR0_TS			(1ULL << 3)
#define CR0_NE			(1ULL << 5)
#define FSW_ES			(1U << 7)	/* unmasked exception pending */

/* The linear address of the instruction at CS:RIP. */
static uint64_t insn_linear(const struct kvm_regs *regs,
			    const struct kvm_sregs *sregs)
{
	if (sregs->cs.l)
		return regs->rip;
	return sregs->cs.base + (uint32_t)regs->rip;
}

/* Byte by byte: the instruction may straddle a page boundary. */
static size_t read_linear(struct vcpu *vcpu, uint64_t linear, uint8_t *buf,
			  size_t len)
{
	struct kvm_translation tr;
	const uint8_t *p;
	size_t i;

	for (i = 0; i < len; i++) {
		tr = (struct kvm_translation){ .linear_address = linear + i };
		if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
			break;
		p = guest_ptr(&vcpu->machine->mem, tr.physical_address, 1);
		if (!p)
			break;
		buf[i] = *p;
	}
	return i;
}

/*
 * An exception goes in as one without an error code (none of those raised
 * here has one); INT n as an external interrupt, which skips the gate's
 * DPL check.  That check only matters at CPL 3, where the emulator is
 * never involved.  @insn_len is 0 for a fault, which returns to the
 * instruction.
 */
static int deliver(struct vcpu *vcpu, struct kvm_regs *regs,
		   unsigned int insn_len, uint8_t vector, bool exception)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0 ||
	    ev.exception.injected || ev.interrupt.injected ||
	    ev.nmi.injected)
		return -1;
	ev.flags = 0;
	if (exception) {
		ev.exception.injected = 1;
		ev.exception.nr = vector;
		ev.exception.has_error_code = 0;
		ev.exception.error_code = 0;
	} else {
		ev.interrupt.injected = 1;
		ev.interrupt.nr = vector;
		ev.interrupt.soft = 0;
	}
	regs->rip += insn_len;
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -1;
	return 0;
}

/* What FWAIT does: #NM, #MF, or nothing. */
static int complete_fwait(struct vcpu *vcpu, struct kvm_regs *regs,
			  const struct kvm_sregs *sregs)
{
	struct kvm_fpu fpu;

	if ((sregs->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		return deliver(vcpu, regs, 0, NO_FPU_VECTOR, true);
	if (ioctl(vcpu->fd, KVM_GET_FPU, &fpu) < 0)
		return -1;
	if (fpu.fsw & FSW_ES) {
		/* Without CR0.NE the error goes to the PIC: not modelled. */
		if (!(sregs->cr0 & CR0_NE))
			return -1;
		return deliver(vcpu, regs, 0, X87_FAULT_VECTOR, true);
	}
	regs->rip += 1;
	return ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0 ? -1 : 0;
}

int vcpu_emulation_fallback(struct vcpu *vcpu, uint8_t *insn, size_t *len)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	*len = 0;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	*len = read_linear(vcpu, insn_linear(&regs, &sregs), insn,
			   VCPU_INSN_MAX);
	if (*len >= 1 && insn[0] == OPCODE_INT3)
		return deliver(vcpu, &regs, 1, BREAKPOINT_VECTOR, true);
	if (*len >= 2 && insn[0] == OPCODE_INT_N)
		return deliver(vcpu, &regs, 2, insn[1], false);
	if (*len >= 1 && insn[0] == OPCODE_FWAIT)
		return complete_fwait(vcpu, &regs, &sregs);
	return -1;
}
