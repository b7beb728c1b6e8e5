/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_KVM_H
#define KVMLITE_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_cpuid2;
struct kvm_irqchip;
struct kvm_irq_routing;

/* The /dev/kvm system handle and one VM with its in-kernel irqchip. */
struct kvm {
	int sys_fd;
	int vm_fd;
	size_t run_size;		/* size of each vCPU's kvm_run area */
	struct kvm_cpuid2 *supported_cpuid;
	int nr_slots;
	int max_vcpus;
	struct kvm_irqchip *irqchip_reset_state;
};

/* Opens /dev/kvm, checks the API and capabilities, creates the VM. */
int kvm_open(struct kvm *kvm, const char *dev, char *err, size_t errlen);

/*
 * Creates the in-kernel PIC, IOAPIC and LAPICs.  Call it after guest RAM
 * is registered: once the irqchip's own memory exists, every further
 * memslot change waits for an SRCU grace period (milliseconds).
 */
int kvm_create_irqchip(struct kvm *kvm, char *err, size_t errlen);
/* Returns the PIC and IOAPIC to their state at creation. */
int kvm_irqchip_reset(struct kvm *kvm);
void kvm_close(struct kvm *kvm);

int kvm_add_memory(struct kvm *kvm, uint64_t gpa, uint64_t size, void *hva);

/* Replaces the whole GSI routing table. */
int kvm_set_gsi_routing(struct kvm *kvm, const struct kvm_irq_routing *table);

/* Drives the input pin @gsi of the in-kernel PIC/IOAPIC to @level. */
int kvm_irq_line(struct kvm *kvm, uint32_t gsi, int level);

/* Binds eventfd @fd to @gsi (KVM_IRQFD): a write to it signals the GSI. */
int kvm_irqfd(struct kvm *kvm, uint32_t gsi, int fd);

/*
 * Binds (or with !@assign unbinds) a guest MMIO write of @len bytes at
 * @addr to eventfd @fd (KVM_IOEVENTFD, any data): such a write signals
 * @fd inside KVM and never exits to userspace.
 */
int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, uint32_t len, int fd,
		  bool assign);

#endif
