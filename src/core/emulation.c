// SPDX-License-Identifier: MIT
/*
 * What kvmlite completes when KVM's instruction emulator gives up.  On
 * hosts whose KVM emulates guest kernel code in software (kvm_pvm), INT3
 * and INT n outside real mode, and FWAIT, end KVM_RUN with an emulation
 * failure.  All INT3 and INT n do is raise their vector with the return
 * address after them, so kvmlite moves RIP past them and has KVM deliver
 * the vector (KVM_SET_VCPU_EVENTS); the guest's handler then returns where
 * the CPU would have returned.  FWAIT only checks for a pending x87
 * exception, which the FPU state KVM keeps says.  LDMXCSR and STMXCSR
 * (which Linux runs in kernel_fpu_begin()) move 32 bits between memory and
 * the MXCSR that KVM_GET_FPU / KVM_SET_FPU hold.  An instruction another
 * vCPU rewrote after the emulator fetched it is simply run again.
 */
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvmlite/insn.h"
#include "kvmlite/machine.h"

#define OPCODE_INT3		0xcc
#define OPCODE_INT_N		0xcd
#define OPCODE_FWAIT		0x9b
#define OPCODE_0F_GROUP15	0xae	/* after 0F; ModRM.reg picks */
#define GROUP15_LDMXCSR		2
#define GROUP15_STMXCSR		3
#define INVALID_OPCODE_VECTOR	6	/* #UD */
#define GENERAL_PROTECTION_VECTOR 13	/* #GP */
#define BREAKPOINT_VECTOR	3
#define NO_FPU_VECTOR		7	/* #NM */
#define X87_FAULT_VECTOR	16	/* #MF */
#define CR0_MP			(1ULL << 1)
#define CR0_EM			(1ULL << 2)
#define CR0_TS			(1ULL << 3)
#define CR0_NE			(1ULL << 5)
#define CR4_OSFXSR		(1ULL << 9)
#define FSW_ES			(1U << 7)	/* unmasked exception pending */
#define MXCSR_SIZE		4
/* What FXSAVE reports when its MXCSR_MASK field is 0 (SDM vol. 1, 11.6.6). */
#define MXCSR_DEFAULT_MASK	0xffbfU
#define FXSAVE_MXCSR_MASK_OFFSET 28
#define XSAVE_MXCSR_WORD	6	/* byte 24 of the legacy area */
#define XSAVE_XSTATE_BV_WORD	128	/* byte 512: the XSAVE header */
#define XFEATURE_SSE		(1U << 1)
/* flags, then insn_size and insn_bytes: three u64s of data */
#define EMULATION_FAILURE_BYTES_NDATA 3

/* The linear address of the instruction at CS:RIP. */
static uint64_t insn_linear(const struct kvm_regs *regs,
			    const struct kvm_sregs *sregs)
{
	if (sregs->cs.l)
		return regs->rip;
	return sregs->cs.base + (uint32_t)regs->rip;
}

/*
 * An exception goes in with an error code of 0 if it has one (#GP is the
 * only one raised here, always with 0); INT n as an external interrupt,
 * which skips the gate's DPL check.  That check only matters at CPL 3,
 * where the emulator is never involved.
 */
int vcpu_deliver(struct vcpu *vcpu, struct kvm_regs *regs,
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
		ev.exception.has_error_code =
			vector == GENERAL_PROTECTION_VECTOR;
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
		return vcpu_deliver(vcpu, regs, 0, NO_FPU_VECTOR, true);
	if (ioctl(vcpu->fd, KVM_GET_FPU, &fpu) < 0)
		return -1;
	if (fpu.fsw & FSW_ES) {
		/* Without CR0.NE the error goes to the PIC: not modelled. */
		if (!(sregs->cr0 & CR0_NE))
			return -1;
		return vcpu_deliver(vcpu, regs, 0, X87_FAULT_VECTOR, true);
	}
	regs->rip += 1;
	return ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0 ? -1 : 0;
}

/* The MXCSR bits this CPU implements: a reserved bit set is #GP. */
static uint32_t mxcsr_mask(void)
{
	static uint8_t area[512] __attribute__((aligned(16)));
	static uint32_t mask;
	uint32_t saved;

	if (mask)
		return mask;
	asm volatile("fxsave %0" : "=m"(area));
	memcpy(&saved, area + FXSAVE_MXCSR_MASK_OFFSET, sizeof(saved));
	mask = saved ? saved : MXCSR_DEFAULT_MASK;
	return mask;
}

/*
 * KVM_GET_FPU and KVM_SET_FPU leave MXCSR out, so it goes through the
 * XSAVE image, whose SSE bit in XSTATE_BV makes KVM take it.
 * Returns 1 for reserved bits (#GP), 0 when done, -1 on failure.
 */
static int move_mxcsr(struct vcpu *vcpu, const struct insn_mem *op)
{
	struct kvm_xsave xsave;
	uint32_t value;

	if (ioctl(vcpu->fd, KVM_GET_XSAVE, &xsave) < 0)
		return -1;
	if (op->reg == GROUP15_STMXCSR) {
		value = xsave.region[XSAVE_MXCSR_WORD];
		return vcpu_copy_linear(vcpu, op->linear, &value, MXCSR_SIZE,
					true) == MXCSR_SIZE ? 0 : -1;
	}
	if (vcpu_copy_linear(vcpu, op->linear, &value, MXCSR_SIZE, false) !=
	    MXCSR_SIZE)
		return -1;
	if (value & ~mxcsr_mask())
		return 1;
	xsave.region[XSAVE_MXCSR_WORD] = value;
	xsave.region[XSAVE_XSTATE_BV_WORD] |= XFEATURE_SSE;
	return ioctl(vcpu->fd, KVM_SET_XSAVE, &xsave) < 0 ? -1 : 0;
}

/*
 * The checks the CPU makes first (SDM vol. 2, LDMXCSR: #UD, #NM, then
 * #GP for reserved bits).  A page that is not mapped is left to the
 * caller's report: raising #PF would need the page walk's error code.
 */
static int complete_mxcsr(struct vcpu *vcpu, struct kvm_regs *regs,
			  const struct kvm_sregs *sregs,
			  const struct insn_mem *op)
{
	int moved;

	if ((sregs->cr0 & CR0_EM) || !(sregs->cr4 & CR4_OSFXSR))
		return vcpu_deliver(vcpu, regs, 0, INVALID_OPCODE_VECTOR, true);
	if (sregs->cr0 & CR0_TS)
		return vcpu_deliver(vcpu, regs, 0, NO_FPU_VECTOR, true);
	moved = move_mxcsr(vcpu, op);
	if (moved > 0)
		return vcpu_deliver(vcpu, regs, 0, GENERAL_PROTECTION_VECTOR, true);
	if (moved < 0)
		return -1;
	regs->rip += op->len;
	return ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0 ? -1 : 0;
}

static bool is_mxcsr_move(const struct insn_mem *op)
{
	return op->opcode == OPCODE_0F_GROUP15 &&
	       (op->reg == GROUP15_LDMXCSR || op->reg == GROUP15_STMXCSR);
}

/*
 * The emulator fetched the instruction before kvmlite read it: whether
 * another vCPU rewrote it in between.  Linux patches live code, with an
 * INT3 on the first byte while it does, so the emulator can fail on an
 * INT3 that is gone by the time kvmlite looks.
 */
static bool code_changed(const struct kvm_run *run, const uint8_t *insn,
			 size_t len)
{
	size_t n = run->emulation_failure.insn_size;

	if (run->emulation_failure.ndata < EMULATION_FAILURE_BYTES_NDATA ||
	    !(run->emulation_failure.flags &
	      KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return false;
	if (n > len)
		n = len;
	return n && memcmp(run->emulation_failure.insn_bytes, insn, n);
}

int vcpu_emulation_fallback(struct vcpu *vcpu, uint8_t *insn, size_t *len)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct insn_mem op;

	*len = 0;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	*len = vcpu_copy_linear(vcpu, insn_linear(&regs, &sregs), insn,
				VCPU_INSN_MAX, false);
	/* As if fetched now: the guest runs what is there. */
	if (code_changed(vcpu->run, insn, *len))
		return 0;
	if (*len >= 1 && insn[0] == OPCODE_INT3)
		return vcpu_deliver(vcpu, &regs, 1, BREAKPOINT_VECTOR, true);
	if (*len >= 2 && insn[0] == OPCODE_INT_N)
		return vcpu_deliver(vcpu, &regs, 2, insn[1], false);
	if (*len >= 1 && insn[0] == OPCODE_FWAIT)
		return complete_fwait(vcpu, &regs, &sregs);
	if (!insn_decode_0f_mem(insn, *len, &regs, &sregs, &op) &&
	    is_mxcsr_move(&op))
		return complete_mxcsr(vcpu, &regs, &sregs, &op);
	return -1;
}
