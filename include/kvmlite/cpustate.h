/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_CPUSTATE_H
#define KVMLITE_CPUSTATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>

/* A vCPU's registers as KVM reports them, for "info registers" and crashes. */
struct cpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_debugregs debug;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp_state;
};

/*
 * Reads the state of the vCPU behind @fd; call it on the vCPU's own
 * thread, or while it is parked.  -1 with errno if KVM refused.
 */
int cpu_state_read(int fd, struct cpu_state *st);

/*
 * Prints @st in QEMU's "info registers" layout: 64-bit names in long
 * mode, 32-bit ones otherwise, segment descriptors decoded in protected
 * mode; @fpu adds the x87 and SSE registers.
 */
void cpu_state_print(FILE *out, const struct cpu_state *st, bool fpu);

#endif
