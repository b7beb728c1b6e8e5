/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_IRQCHIP_H
#define KVMLITE_IRQCHIP_H

#include <stdint.h>

#include "irq.h"

struct kvm;
struct kvm_irq_routing_entry;

#define NR_ISA_IRQS	16
#define NR_IOAPIC_PINS	24
/* The cascade input; no device may use it. */
#define ISA_IRQ_CASCADE	2

/*
 * Interrupt plumbing to the in-kernel irqchip, in one place.  GSIs are
 * numbered as on a PC: GSI n is ISA IRQ n for n < 16 and IOAPIC pin n
 * above; ISA IRQ 0 arrives on IOAPIC pin 2 (and PIC line 0), the
 * override guests learn from the MP table.  Routing goes through
 * KVM_SET_GSI_ROUTING so MSI and irqfd routes can join the same table.
 */
struct irqchip;

struct irqchip *irqchip_new(struct kvm *kvm);
/* Installs the PC routes; 0, or -1 with errno set. */
int irqchip_setup_routing(struct irqchip *chip);

/* The line of ISA IRQ @irq (0..15, not 2): edge, as ISA devices drive it. */
const struct irq_line *irqchip_isa_line(struct irqchip *chip,
					unsigned int irq);

/*
 * The line of INTx# @intx (0 = INTA#) of PCI slot @slot: level-triggered,
 * on the IOAPIC pin mptable_pci_ioapic_pin() names.  Slots share pins, so
 * a pin is high while any of its lines is.  NULL if out of range.
 */
const struct irq_line *irqchip_pci_intx_line(struct irqchip *chip,
					     unsigned int slot,
					     unsigned int intx);

/*
 * MSI vectors: a GSI above the IOAPIC's whose route carries one message,
 * and an eventfd bound to it with KVM_IRQFD, so that a device thread
 * injects the message by writing the eventfd, without leaving its thread
 * or taking a lock.  Routes change on vCPU threads while devices signal:
 * KVM applies a new table atomically, and an irqfd follows it.
 */
#define IRQCHIP_MAX_MSI		1024

/* A new vector with no message yet; its GSI, or -1 with errno set. */
int irqchip_msi_new(struct irqchip *chip);
/* Points @gsi at the message (@addr, @data); 0, or -1 with errno set. */
int irqchip_msi_route(struct irqchip *chip, int gsi, uint64_t addr,
		      uint32_t data);
/* Sends @gsi's message; any thread. */
void irqchip_msi_fire(struct irqchip *chip, int gsi);

/*
 * Fills @routes with the PC routing (PIC and IOAPIC pins per GSI);
 * returns how many entries, at most irqchip_max_pc_routes().
 */
unsigned int irqchip_pc_routes(struct kvm_irq_routing_entry *routes);
unsigned int irqchip_max_pc_routes(void);

#endif
