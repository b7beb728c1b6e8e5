/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_TESTS_FAKE_PCI_H
#define KVMLITE_TESTS_FAKE_PCI_H

/*
 * A PCI host bridge on test buses, wired to a platform that records
 * INTx levels, MSI routes and sends, and ioeventfd bindings; port and
 * MMIO helpers that access them as a vCPU would.
 */

#include <stdlib.h>

#include "check.h"
#include "kvmlite/bus.h"
#include "kvmlite/pci.h"

#define MEM64_BASE	0x100000000ULL
#define FAKE_MAX_MSI	64
#define FAKE_MAX_KICKS	16

struct fake_kick {
	uint64_t addr;
	uint32_t len;
	int fd;
};

/* A platform that records what the PCI core asks of it. */
struct fake_platform {
	struct bus *pio, *mmio;
	struct irq_line lines[PCI_MAX_SLOTS];
	int levels[PCI_MAX_SLOTS];
	int nr_msi;
	uint64_t route_addr[FAKE_MAX_MSI];
	uint32_t route_data[FAKE_MAX_MSI];
	int routes, fired[FAKE_MAX_MSI];
	struct fake_kick kicks[FAKE_MAX_KICKS];	/* bound ioeventfds */
	int nr_kicks;
};

static struct fake_platform fake;

static inline void record_level(void *opaque, int level)
{
	*(int *)opaque = level;
}

static inline const struct irq_line *fake_intx(void *opaque,
					       unsigned int slot,
					       unsigned int intx)
{
	struct fake_platform *f = opaque;

	CHECK_EQ(intx, 0);
	return &f->lines[slot];
}

static inline int fake_msi_new(void *opaque)
{
	struct fake_platform *f = opaque;

	return f->nr_msi < (int)ARRAY_SIZE(f->fired) ? f->nr_msi++ : -1;
}

static inline int fake_msi_route(void *opaque, int handle, uint64_t addr,
				 uint32_t data)
{
	struct fake_platform *f = opaque;

	f->route_addr[handle] = addr;
	f->route_data[handle] = data;
	f->routes++;
	return 0;
}

static inline void fake_msi_fire(void *opaque, int handle)
{
	struct fake_platform *f = opaque;

	f->fired[handle]++;
}

static inline int fake_ioeventfd(void *opaque, uint64_t addr, uint32_t len,
				 int fd, bool assign)
{
	struct fake_platform *f = opaque;
	int i;

	if (assign) {
		CHECK(f->nr_kicks < FAKE_MAX_KICKS);
		f->kicks[f->nr_kicks++] = (struct fake_kick) { addr, len, fd };
		return 0;
	}
	for (i = 0; i < f->nr_kicks; i++) {
		if (f->kicks[i].addr == addr && f->kicks[i].fd == fd) {
			f->kicks[i] = f->kicks[--f->nr_kicks];
			return 0;
		}
	}
	CHECK(!"unbinding an ioeventfd that is not bound");
	return -1;
}

static inline struct pci_host *new_host(void)
{
	struct pci_platform plat = {
		.mem64_base = MEM64_BASE,
		.intx_line = fake_intx,
		.msi_new = fake_msi_new,
		.msi_route = fake_msi_route,
		.msi_fire = fake_msi_fire,
		.ioeventfd = fake_ioeventfd,
		.opaque = &fake,
	};
	unsigned int i;

	memset(&fake, 0, sizeof(fake));
	fake.pio = bus_new("pio");
	fake.mmio = bus_new("mmio");
	for (i = 0; i < PCI_MAX_SLOTS; i++)
		fake.lines[i] = (struct irq_line) { record_level,
						    &fake.levels[i] };
	plat.pio = fake.pio;
	plat.mmio = fake.mmio;
	return pci_host_new(&plat);
}

static inline void free_host(struct pci_host *host)
{
	bus_free(fake.pio);
	bus_free(fake.mmio);
	free(host);
}

/* Port I/O as a vCPU does it. */
static inline uint32_t in(uint16_t port, uint32_t len)
{
	uint32_t val = 0;

	bus_access(fake.pio, port, &val, len, false);
	return val;
}

static inline void out(uint16_t port, uint32_t val, uint32_t len)
{
	bus_access(fake.pio, port, &val, len, true);
}

static inline uint32_t address(unsigned int slot, unsigned int reg)
{
	return PCI_CONFIG_ENABLE | slot << 11 | (reg & 0xfc);
}

static inline uint32_t cfg_read(unsigned int slot, unsigned int reg,
				uint32_t len)
{
	out(PCI_CONFIG_ADDRESS, address(slot, reg), 4);
	return in(PCI_CONFIG_DATA + (reg & 3), len);
}

static inline void cfg_write(unsigned int slot, unsigned int reg,
			     uint32_t val, uint32_t len)
{
	out(PCI_CONFIG_ADDRESS, address(slot, reg), 4);
	out(PCI_CONFIG_DATA + (reg & 3), val, len);
}

static inline uint32_t mem_read(uint64_t addr)
{
	uint32_t val = 0;

	bus_access(fake.mmio, addr, &val, 4, false);
	return val;
}

static inline void mem_write(uint64_t addr, uint32_t val)
{
	bus_access(fake.mmio, addr, &val, 4, true);
}

#endif
