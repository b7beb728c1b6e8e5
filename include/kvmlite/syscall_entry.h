/* SPDX-License-Identifier: MIT */
/*
 * Completing user-mode SYSCALL on hosts that enter LSTAR at CPL 3
 * (src/core/syscall_entry.c says why and how).
 */
#ifndef KVMLITE_SYSCALL_ENTRY_H
#define KVMLITE_SYSCALL_ENTRY_H

struct kvm;
struct vcpu;

/*
 * On such a host, has guest writes to LSTAR exit to userspace (or warns
 * that it cannot); elsewhere does nothing.
 */
void syscall_entry_init(struct kvm *kvm);

/* KVM_EXIT_X86_WRMSR: the guest sets LSTAR. */
void syscall_entry_wrmsr(struct vcpu *vcpu);

/*
 * KVM_EXIT_DEBUG: the breakpoint on the #PF handler.  Returns 0 when the
 * vCPU can go on, -1 if the exit was not kvmlite's own or state could
 * not be changed.
 */
int syscall_entry_debug(struct vcpu *vcpu);

/* The machine resets: the guest has no LSTAR until it writes one. */
void syscall_entry_reset(struct vcpu *vcpu);

#endif /* KVMLITE_SYSCALL_ENTRY_H */
