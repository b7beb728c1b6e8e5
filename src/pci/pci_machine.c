// SPDX-License-Identifier: MIT
/*
 * The machine's PCI bus: the host bridge on the machine's buses, INTx#
 * on the irqchip's PCI lines, MSI vectors as irqchip GSI routes with
 * irqfds, and queue notifications as KVM ioeventfds.
 */
#include <stdio.h>

#include "kvmlite/irqchip.h"
#include "kvmlite/machine.h"
#include "kvmlite/pci.h"

static const struct irq_line *intx_line(void *opaque, unsigned int slot,
					unsigned int intx)
{
	struct machine *m = opaque;

	return irqchip_pci_intx_line(m->irqchip, slot, intx);
}

static int msi_new(void *opaque)
{
	struct machine *m = opaque;

	return irqchip_msi_new(m->irqchip);
}

static int msi_route(void *opaque, int handle, uint64_t addr, uint32_t data)
{
	struct machine *m = opaque;

	return irqchip_msi_route(m->irqchip, handle, addr, data);
}

static void msi_fire(void *opaque, int handle)
{
	struct machine *m = opaque;

	irqchip_msi_fire(m->irqchip, handle);
}

static int ioeventfd(void *opaque, uint64_t addr, uint32_t len, int fd,
		     bool assign)
{
	struct machine *m = opaque;

	return kvm_ioeventfd(&m->kvm, addr, len, fd, assign);
}

static void host_reset(void *opaque)
{
	pci_host_reset(opaque);
}

/* 64-bit BARs start above RAM and above 4 GiB, on a 1 GiB boundary. */
static uint64_t mem64_base(const struct guest_mem *mem)
{
	uint64_t end = guest_mem_end(mem);

	if (end < HIGH_RAM_BASE)
		end = HIGH_RAM_BASE;
	return (end + PCI_MEM64_ALIGN - 1) & ~(PCI_MEM64_ALIGN - 1);
}

int pci_machine_init(struct machine *m, char *err, size_t errlen)
{
	struct pci_platform plat = {
		.pio = m->pio,
		.mmio = m->mmio,
		.mem64_base = mem64_base(&m->mem),
		.intx_line = intx_line,
		.msi_new = msi_new,
		.msi_route = msi_route,
		.msi_fire = msi_fire,
		.ioeventfd = ioeventfd,
		.opaque = m,
	};

	m->pci = pci_host_new(&plat);
	if (!m->pci) {
		snprintf(err, errlen, "cannot create the PCI host bridge");
		return -1;
	}
	machine_add_reset(m, host_reset, m->pci);
	return 0;
}
