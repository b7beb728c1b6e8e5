// SPDX-License-Identifier: MIT
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmlite/irqchip.h"
#include "kvmlite/kvm.h"
#include "kvmlite/mptable.h"

/* Every ISA IRQ but the cascade on a PIC, and every GSI on the IOAPIC. */
#define MAX_PC_ROUTES	((NR_ISA_IRQS - 1) + (NR_IOAPIC_PINS - 1))

#define PCI_INTX_PER_SLOT	4
#define FIRST_MSI_GSI		NR_IOAPIC_PINS

struct isa_irq {
	struct kvm *kvm;
	uint32_t gsi;
};

/* One INTx# output; the pin it shares is high while any source is. */
struct pci_intx {
	struct irqchip *chip;
	uint32_t gsi;
	bool level;
};

struct msi_vector {
	int fd;			/* bound to the GSI with KVM_IRQFD */
	bool routed;
	uint64_t addr;
	uint32_t data;
};

struct irqchip {
	struct kvm *kvm;
	struct isa_irq isa[NR_ISA_IRQS];
	struct irq_line lines[NR_ISA_IRQS];

	pthread_mutex_t intx_lock;
	struct pci_intx intx[MPTABLE_MAX_PCI_SLOTS][PCI_INTX_PER_SLOT];
	struct irq_line intx_lines[MPTABLE_MAX_PCI_SLOTS][PCI_INTX_PER_SLOT];
	unsigned int pin_sources[MPTABLE_PCI_NR_PINS];	/* lines high */

	pthread_mutex_t route_lock;	/* the MSI table and its install */
	struct msi_vector msi[IRQCHIP_MAX_MSI];
	unsigned int nr_msi;
};

static void isa_irq_set(void *opaque, int level)
{
	struct isa_irq *irq = opaque;

	kvm_irq_line(irq->kvm, irq->gsi, level);
}

static void pci_intx_set(void *opaque, int level)
{
	struct pci_intx *src = opaque;
	struct irqchip *chip = src->chip;
	unsigned int *sources;

	level = !!level;
	pthread_mutex_lock(&chip->intx_lock);
	sources = &chip->pin_sources[src->gsi - MPTABLE_PCI_FIRST_PIN];
	if (src->level != level) {
		src->level = level;
		if (level)
			(*sources)++;
		else
			(*sources)--;
		/* Only the first rise and the last fall reach the pin. */
		if (*sources == (unsigned int)level)
			kvm_irq_line(chip->kvm, src->gsi, level);
	}
	pthread_mutex_unlock(&chip->intx_lock);
}

static void init_pci_intx(struct irqchip *chip)
{
	unsigned int slot, intx;

	for (slot = 0; slot < MPTABLE_MAX_PCI_SLOTS; slot++) {
		for (intx = 0; intx < PCI_INTX_PER_SLOT; intx++) {
			chip->intx[slot][intx] = (struct pci_intx) {
				.chip = chip,
				.gsi = mptable_pci_ioapic_pin(slot, intx),
			};
			chip->intx_lines[slot][intx] = (struct irq_line) {
				.set_level = pci_intx_set,
				.opaque = &chip->intx[slot][intx],
			};
		}
	}
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
	pthread_mutex_init(&chip->intx_lock, NULL);
	pthread_mutex_init(&chip->route_lock, NULL);
	init_pci_intx(chip);
	return chip;
}

const struct irq_line *irqchip_isa_line(struct irqchip *chip,
					unsigned int irq)
{
	if (irq >= NR_ISA_IRQS || irq == ISA_IRQ_CASCADE)
		return NULL;
	return &chip->lines[irq];
}

const struct irq_line *irqchip_pci_intx_line(struct irqchip *chip,
					     unsigned int slot,
					     unsigned int intx)
{
	if (slot >= MPTABLE_MAX_PCI_SLOTS || intx >= PCI_INTX_PER_SLOT)
		return NULL;
	return &chip->intx_lines[slot][intx];
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

/* The PC routes and every routed MSI vector, as one table for KVM. */
static int install_routes_locked(struct irqchip *chip)
{
	struct kvm_irq_routing *table;
	unsigned int i, n;
	int ret;

	table = calloc(1, sizeof(*table) + (MAX_PC_ROUTES + chip->nr_msi) *
		       sizeof(table->entries[0]));
	if (!table) {
		errno = ENOMEM;
		return -1;
	}
	n = irqchip_pc_routes(table->entries);
	for (i = 0; i < chip->nr_msi; i++) {
		const struct msi_vector *v = &chip->msi[i];

		if (!v->routed)
			continue;
		table->entries[n++] = (struct kvm_irq_routing_entry) {
			.gsi = FIRST_MSI_GSI + i,
			.type = KVM_IRQ_ROUTING_MSI,
			.u.msi = {
				.address_lo = (uint32_t)v->addr,
				.address_hi = (uint32_t)(v->addr >> 32),
				.data = v->data,
			},
		};
	}
	table->nr = n;
	ret = kvm_set_gsi_routing(chip->kvm, table);
	free(table);
	return ret;
}

int irqchip_setup_routing(struct irqchip *chip)
{
	int ret;

	pthread_mutex_lock(&chip->route_lock);
	ret = install_routes_locked(chip);
	pthread_mutex_unlock(&chip->route_lock);
	return ret;
}

int irqchip_msi_new(struct irqchip *chip)
{
	struct msi_vector *v;
	int gsi = -1, fd;

	pthread_mutex_lock(&chip->route_lock);
	if (chip->nr_msi == IRQCHIP_MAX_MSI) {
		errno = ENOSPC;
		goto out;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		goto out;
	/* Until it is routed, a signal on the GSI reaches nothing. */
	if (kvm_irqfd(chip->kvm, FIRST_MSI_GSI + chip->nr_msi, fd)) {
		close(fd);
		goto out;
	}
	v = &chip->msi[chip->nr_msi];
	v->fd = fd;
	gsi = FIRST_MSI_GSI + chip->nr_msi;
	/* Publishes the fd to irqchip_msi_fire(), which takes no lock. */
	__atomic_store_n(&chip->nr_msi, chip->nr_msi + 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&chip->route_lock);
	return gsi;
}

static struct msi_vector *msi_vector(struct irqchip *chip, int gsi)
{
	unsigned int i = gsi - FIRST_MSI_GSI;

	if (gsi < FIRST_MSI_GSI || i >= __atomic_load_n(&chip->nr_msi,
							 __ATOMIC_ACQUIRE))
		return NULL;
	return &chip->msi[i];
}

int irqchip_msi_route(struct irqchip *chip, int gsi, uint64_t addr,
		      uint32_t data)
{
	struct msi_vector *v, old;
	int ret = 0;

	pthread_mutex_lock(&chip->route_lock);
	v = msi_vector(chip, gsi);
	if (!v) {
		errno = EINVAL;
		ret = -1;
	} else if (!v->routed || v->addr != addr || v->data != data) {
		old = *v;
		v->routed = true;
		v->addr = addr;
		v->data = data;
		ret = install_routes_locked(chip);
		/* A message KVM refuses must not poison later tables. */
		if (ret)
			*v = old;
	}
	pthread_mutex_unlock(&chip->route_lock);
	return ret;
}

void irqchip_msi_fire(struct irqchip *chip, int gsi)
{
	struct msi_vector *v = msi_vector(chip, gsi);

	if (v)
		eventfd_write(v->fd, 1);
}
