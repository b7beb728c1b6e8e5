// SPDX-License-Identifier: MIT
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>

#include "kvmlite/irqchip.h"
#include "kvmlite/kvm.h"

/* Every ISA IRQ but the cascade on a PIC, and every GSI on the IOAPIC. */
#define MAX_PC_ROUTES	((NR_ISA_IRQS - 1) + (NR_IOAPIC_PINS - 1))

struct isa_irq {
	struct kvm *kvm;
	uint32_t gsi;
};

struct irqchip {
	struct kvm *kvm;
	struct isa_irq isa[NR_ISA_IRQS];
	struct irq_line lines[NR_ISA_IRQS];
};

static void isa_irq_set(void *opaque, int level)
{
	struct isa_irq *irq = opaque;

	kvm_irq_line(irq->kvm, irq->gsi, level);
}

struct irqchip *irqchip_new(struct kvm *kvm)
{
	struct irqchip *chip = calloc(1, sizeof(*chip));
	unsigned int i;

	if (!chip)
		return NULL;
	chip->kvm = kvm;
	for (i = 0; i < NR_ISA_IRQS; i++) {
		chip->isa[i].kvm = kvm;
		chip->isa[i].gsi = i;
		chip->lines[i].set_level = isa_irq_set;
		chip->lines[i].opaque = &chip->isa[i];
	}
	return chip;
}

const struct irq_line *irqchip_isa_line(struct irqchip *chip,
					unsigned int irq)
{
	if (irq >= NR_ISA_IRQS || irq == ISA_IRQ_CASCADE)
		return NULL;
	return &chip->lines[irq];
}

static void add_route(struct kvm_irq_routing_entry *routes, unsigned int *n,
		      uint32_t gsi, uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry *e = &routes[(*n)++];

	*e = (struct kvm_irq_routing_entry) {
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

unsigned int irqchip_max_pc_routes(void)
{
	return MAX_PC_ROUTES;
}

unsigned int irqchip_pc_routes(struct kvm_irq_routing_entry *routes)
{
	unsigned int n = 0, gsi;

	for (gsi = 0; gsi < NR_ISA_IRQS; gsi++) {
		if (gsi == ISA_IRQ_CASCADE)
			continue;
		if (gsi < 8)
			add_route(routes, &n, gsi, KVM_IRQCHIP_PIC_MASTER, gsi);
		else
			add_route(routes, &n, gsi, KVM_IRQCHIP_PIC_SLAVE,
				  gsi - 8);
	}
	/* The PIT's IRQ 0 is wired to IOAPIC pin 2 on PCs; pin 0 is unused. */
	for (gsi = 0; gsi < NR_IOAPIC_PINS; gsi++) {
		if (gsi == ISA_IRQ_CASCADE)
			continue;
		add_route(routes, &n, gsi, KVM_IRQCHIP_IOAPIC,
			  gsi == 0 ? ISA_IRQ_CASCADE : gsi);
	}
	return n;
}

int irqchip_setup_routing(struct irqchip *chip)
{
	struct kvm_irq_routing *table;
	int ret;

	table = calloc(1, sizeof(*table) +
		       MAX_PC_ROUTES * sizeof(table->entries[0]));
	if (!table) {
		errno = ENOMEM;
		return -1;
	}
	table->nr = irqchip_pc_routes(table->entries);
	ret = kvm_set_gsi_routing(chip->kvm, table);
	free(table);
	return ret;
}
