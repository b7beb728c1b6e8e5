// SPDX-License-Identifier: MIT
/*
 * The host bridge: bus 0's slots, configuration mechanism #1 and
 * kvmlite's placement of BARs.
 *
 * The address register at 0xcf8 is one register for the whole machine,
 * as on real hardware, so every config cycle takes the bridge's lock;
 * a guest that lets two CPUs race between 0xcf8 and 0xcfc gets what real
 * hardware gives it.
 */
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvmlite/mptable.h"
#include "kvmlite/pci.h"
#include "pci_priv.h"

#define CONFIG_ADDRESS_MASK	0x80fffffcU
#define ADDRESS_BUS(a)		(((a) >> 16) & 0xff)
#define ADDRESS_SLOT(a)		(((a) >> 11) & 0x1f)
#define ADDRESS_FUNCTION(a)	(((a) >> 8) & 0x7)
#define ADDRESS_REGISTER(a)	((a) & 0xfc)

struct pci_host {
	struct pci_platform plat;
	pthread_mutex_t lock;
	uint32_t address;		/* the 0xcf8 register */
	struct pci_dev *slots[PCI_MAX_SLOTS];
	struct pci_dev bridge;
	/* Where the next BAR of each kind goes. */
	uint64_t next_io, next_mem32, next_mem64;
};

static const struct pci_ids bridge_ids = {
	.vendor = PCI_HOST_VENDOR,
	.device = PCI_HOST_DEVICE,
	.subsys_vendor = PCI_SUBSYS_VENDOR,
	.subsys_device = PCI_SUBSYS_DEVICE,
	.class_code = PCI_CLASS_HOST_BRIDGE,
	.revision = PCI_HOST_REVISION,
};

const struct pci_platform *pci_host_platform(struct pci_host *host)
{
	return &host->plat;
}

/* The function config cycles reach now, or NULL. */
static struct pci_dev *addressed_dev(struct pci_host *host)
{
	uint32_t a = host->address;

	if (!(a & PCI_CONFIG_ENABLE) || ADDRESS_BUS(a) ||
	    ADDRESS_FUNCTION(a))
		return NULL;
	return host->slots[ADDRESS_SLOT(a)];
}

/* Only dword accesses reach the address register (PCI 3.0, 3.2.2.3.2). */
static void config_address_io(void *opaque, uint64_t offset, void *data,
			      uint32_t len, bool is_write)
{
	struct pci_host *host = opaque;
	uint32_t val;

	if (offset || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&host->lock);
	if (is_write) {
		memcpy(&val, data, 4);
		host->address = le32toh(val) & CONFIG_ADDRESS_MASK;
	} else {
		val = htole32(host->address);
		memcpy(data, &val, 4);
	}
	pthread_mutex_unlock(&host->lock);
}

static void config_data_io(void *opaque, uint64_t offset, void *data,
			   uint32_t len, bool is_write)
{
	struct pci_host *host = opaque;
	/* Bytes past 0xcff belong to other ports. */
	uint32_t n = offset + len > 4 ? 4 - offset : len;
	uint32_t reg, val;
	struct pci_dev *dev;

	if (!is_write)
		memset(data, 0xff, len);
	pthread_mutex_lock(&host->lock);
	dev = addressed_dev(host);
	reg = ADDRESS_REGISTER(host->address) + offset;
	if (dev && is_write) {
		val = 0;
		memcpy(&val, data, n);
		pci_config_write(dev, reg, le32toh(val), n);
	} else if (dev) {
		val = htole32(pci_config_read(dev, reg, n));
		memcpy(data, &val, n);
	}
	pthread_mutex_unlock(&host->lock);
}

struct pci_host *pci_host_new(const struct pci_platform *plat)
{
	struct pci_host *host = calloc(1, sizeof(*host));
	char err[128];

	if (!host)
		return NULL;
	host->plat = *plat;
	pthread_mutex_init(&host->lock, NULL);
	host->next_io = PCI_IO_WINDOW_BASE;
	host->next_mem32 = PCI_MEM32_WINDOW_BASE;
	host->next_mem64 = plat->mem64_base;
	pci_dev_init(&host->bridge, &bridge_ids, PCI_HOST_NAME, NULL, NULL);
	if (bus_register(plat->pio, PCI_CONFIG_ADDRESS, 4, config_address_io,
			 host, "pci-address")) {
		free(host);
		return NULL;
	}
	if (bus_register(plat->pio, PCI_CONFIG_DATA, 4, config_data_io, host,
			 "pci-data")) {
		bus_unregister(plat->pio, PCI_CONFIG_ADDRESS);
		free(host);
		return NULL;
	}
	/* Slot 0 is free and the bridge has no BARs: this cannot fail. */
	pci_host_attach(host, &host->bridge, 0, err, sizeof(err));
	return host;
}

static int pick_slot(struct pci_host *host, struct pci_dev *dev, int slot,
		     char *err, size_t errlen)
{
	const struct pci_dev *used;

	if (slot < 0) {
		for (slot = 0; slot < PCI_MAX_SLOTS; slot++)
			if (!host->slots[slot])
				return slot;
		snprintf(err, errlen, "PCI: no slot/function available for "
			 "%s, all in use or reserved", dev->name);
		return -1;
	}
	if (slot >= PCI_MAX_SLOTS) {
		snprintf(err, errlen, "Property '%s.addr' doesn't take value "
			 "'%d'", dev->name, slot);
		return -1;
	}
	used = host->slots[slot];
	if (used) {
		snprintf(err, errlen, "PCI: slot %d function 0 not available "
			 "for %s, in use by %s,id=%s", slot, dev->name,
			 used->name, used->id ? used->id : "(null)");
		return -1;
	}
	return slot;
}

static uint64_t align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

/* The window BARs of @type go in: its next free address and its end. */
static uint64_t *bar_window(struct pci_host *host, enum pci_bar_type type,
			    uint64_t *end)
{
	switch (type) {
	case PCI_BAR_IO:
		*end = PCI_IO_WINDOW_END;
		return &host->next_io;
	case PCI_BAR_MEM32:
		*end = PCI_MEM32_WINDOW_END;
		return &host->next_mem32;
	default:
		*end = UINT64_MAX;
		return &host->next_mem64;
	}
}

/* Gives every BAR its home in its window and turns decoding on. */
static int place_bars(struct pci_host *host, struct pci_dev *dev, char *err,
		      size_t errlen)
{
	uint16_t cmd = pci_get16(dev->config + PCI_COMMAND);
	unsigned int bar;

	for (bar = 0; bar < PCI_NR_BARS; bar++) {
		struct pci_bar *b = &dev->bars[bar];
		uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * bar;
		uint64_t *next, end, addr;

		if (b->type == PCI_BAR_NONE)
			continue;
		next = bar_window(host, b->type, &end);
		addr = align_up(*next, b->size);
		if (addr < *next || addr > end || b->size > end - addr) {
			snprintf(err, errlen, "%s: no room for BAR %u (%llu "
				 "bytes) in the PCI address space", dev->name,
				 bar, (unsigned long long)b->size);
			return -1;
		}
		*next = addr + b->size;
		b->home = addr;
		pci_put32(dev->config + reg,
			  pci_get32(dev->config + reg) | (uint32_t)addr);
		if (b->type == PCI_BAR_MEM64)
			pci_put32(dev->config + reg + 4, addr >> 32);
		cmd |= b->type == PCI_BAR_IO ? PCI_COMMAND_IO :
		       PCI_COMMAND_MEMORY;
	}
	pci_put16(dev->config + PCI_COMMAND, cmd);
	return 0;
}

static int check_mapped(struct pci_dev *dev, char *err, size_t errlen)
{
	unsigned int bar;

	for (bar = 0; bar < PCI_NR_BARS; bar++) {
		const struct pci_bar *b = &dev->bars[bar];

		if (b->type != PCI_BAR_NONE && b->mapped != b->home) {
			snprintf(err, errlen, "%s: BAR %u at 0x%llx overlaps "
				 "another device", dev->name, bar,
				 (unsigned long long)b->home);
			return -1;
		}
	}
	return 0;
}

static void wire_intx(struct pci_host *host, struct pci_dev *dev)
{
	uint8_t pin = dev->config[PCI_INTERRUPT_PIN];

	if (!pin)
		return;
	dev->intx = host->plat.intx_line(host->plat.opaque, dev->slot,
					 pin - 1);
	dev->config[PCI_INTERRUPT_LINE] = mptable_pci_ioapic_pin(dev->slot,
								 pin - 1);
}

int pci_host_attach(struct pci_host *host, struct pci_dev *dev, int slot,
		    char *err, size_t errlen)
{
	int ret = -1;

	pthread_mutex_lock(&host->lock);
	slot = pick_slot(host, dev, slot, err, errlen);
	if (slot < 0 || place_bars(host, dev, err, errlen))
		goto out;
	dev->host = host;
	dev->slot = slot;
	wire_intx(host, dev);
	memcpy(dev->power_on, dev->config, sizeof(dev->power_on));
	if (dev->msix && pci_msix_attach(dev, err, errlen))
		goto detach;
	pci_update_bars(dev);
	if (check_mapped(dev, err, errlen))
		goto unmap;
	host->slots[slot] = dev;
	ret = 0;
	goto out;
unmap:
	pci_put16(dev->config + PCI_COMMAND, 0);
	pci_update_bars(dev);
detach:
	dev->host = NULL;
out:
	pthread_mutex_unlock(&host->lock);
	return ret;
}

void pci_host_reset(struct pci_host *host)
{
	unsigned int slot;

	pthread_mutex_lock(&host->lock);
	host->address = 0;
	for (slot = 0; slot < PCI_MAX_SLOTS; slot++)
		if (host->slots[slot])
			pci_dev_reset(host->slots[slot]);
	pthread_mutex_unlock(&host->lock);
}
