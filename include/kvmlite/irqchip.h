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
 * Fills @routes with the PC routing (PIC and IOAPIC pins per GSI);
 * returns how many entries, at most irqchip_max_pc_routes().
 */
unsigned int irqchip_pc_routes(struct kvm_irq_routing_entry *routes);
unsigned int irqchip_max_pc_routes(void);

#endif
