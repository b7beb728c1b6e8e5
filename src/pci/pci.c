// SPDX-License-Identifier: MIT
/*
 * The PCI function model (PCI Local Bus 3.0, chapter 6): a 256-byte
 * configuration space whose read-only parts are kept by per-byte write
 * masks, BARs that follow the guest's sizing and moves on the machine's
 * buses, the capability list and INTx#.
 *
 * A BAR's register holds only the bits its size lets the guest write, so
 * writing all ones reads back the size mask with the type bits.  The BAR
 * is on the bus only while its decode bit is on, its address is not 0,
 * it is not being sized (all writable bits set) and it fits its space.
 */
#include <linux/pci_regs.h>

#include "kvmlite/pci.h"
#include "pci_priv.h"

#define IO_BAR_MAX_SIZE		256
#define MEM_BAR_MIN_SIZE	16
#define MEM32_BAR_MAX_SIZE	(1ULL << 31)
#define MEM64_BAR_MAX_SIZE	(1ULL << 62)
#define IO_ADDR_BITS		0xfffcU		/* 16-bit I/O decoding */
#define MEM_FLAG_BITS		0xfU

/* The command bits kvmlite's functions implement. */
#define COMMAND_WMASK	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | \
			 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)

static bool is_power_of_2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static uint32_t bar_reg(unsigned int bar)
{
	return PCI_BASE_ADDRESS_0 + 4 * bar;
}

void pci_dev_init(struct pci_dev *dev, const struct pci_ids *ids,
		  const char *name, const struct pci_dev_ops *ops,
		  void *opaque)
{
	unsigned int i;

	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	dev->ops = ops;
	dev->opaque = opaque;
	dev->slot = -1;
	pci_put16(dev->config + PCI_VENDOR_ID, ids->vendor);
	pci_put16(dev->config + PCI_DEVICE_ID, ids->device);
	dev->config[PCI_REVISION_ID] = ids->revision;
	dev->config[PCI_CLASS_PROG] = ids->class_code & 0xff;
	pci_put16(dev->config + PCI_CLASS_DEVICE, ids->class_code >> 8);
	pci_put16(dev->config + PCI_SUBSYSTEM_VENDOR_ID, ids->subsys_vendor);
	pci_put16(dev->config + PCI_SUBSYSTEM_ID, ids->subsys_device);
	dev->config[PCI_INTERRUPT_PIN] = ids->irq_pin;

	pci_put16(dev->wmask + PCI_COMMAND, COMMAND_WMASK);
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_LATENCY_TIMER] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;

	dev->cap_end = PCI_STD_HEADER_SIZEOF;
	for (i = 0; i < PCI_NR_BARS; i++)
		dev->bars[i].mapped = PCI_BAR_UNMAPPED;
	pthread_mutex_init(&dev->intx_lock, NULL);
}

static bool bar_size_ok(enum pci_bar_type type, uint64_t size)
{
	if (!is_power_of_2(size))
		return false;
	switch (type) {
	case PCI_BAR_IO:
		return size >= 4 && size <= IO_BAR_MAX_SIZE;
	case PCI_BAR_MEM32:
		return size >= MEM_BAR_MIN_SIZE && size <= MEM32_BAR_MAX_SIZE;
	case PCI_BAR_MEM64:
		return size >= MEM_BAR_MIN_SIZE && size <= MEM64_BAR_MAX_SIZE;
	default:
		return false;
	}
}

/* Is BAR register @bar free: not declared, not the top of a 64-bit BAR? */
static bool bar_free(const struct pci_dev *dev, unsigned int bar)
{
	return bar < PCI_NR_BARS && dev->bars[bar].type == PCI_BAR_NONE &&
	       (bar == 0 || dev->bars[bar - 1].type != PCI_BAR_MEM64);
}

int pci_dev_add_bar(struct pci_dev *dev, unsigned int bar,
		    enum pci_bar_type type, uint64_t size)
{
	uint32_t reg = bar_reg(bar), flags, mask = ~(size - 1);

	if (dev->host || !bar_free(dev, bar) || !bar_size_ok(type, size) ||
	    (type == PCI_BAR_MEM64 && !bar_free(dev, bar + 1)))
		return -1;
	dev->bars[bar].type = type;
	dev->bars[bar].size = size;
	if (type == PCI_BAR_IO) {
		flags = PCI_BASE_ADDRESS_SPACE_IO;
		mask &= IO_ADDR_BITS;
	} else {
		flags = type == PCI_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 :
			PCI_BASE_ADDRESS_MEM_TYPE_32;
		mask &= ~MEM_FLAG_BITS;
	}
	pci_put32(dev->config + reg, flags);
	pci_put32(dev->wmask + reg, mask);
	if (type == PCI_BAR_MEM64)
		pci_put32(dev->wmask + reg + 4, ~(size - 1) >> 32);
	return 0;
}

int pci_bar_add_region(struct pci_dev *dev, unsigned int bar,
		       const struct pci_region *region)
{
	struct pci_bar *b;
	unsigned int i;

	if (dev->host || bar >= PCI_NR_BARS)
		return -1;
	b = &dev->bars[bar];
	if (b->type == PCI_BAR_NONE || b->nr_regions == PCI_MAX_REGIONS ||
	    !region->len || region->offset >= b->size ||
	    region->len > b->size - region->offset)
		return -1;
	for (i = 0; i < b->nr_regions; i++) {
		const struct pci_region *r = &b->regions[i];

		if (region->offset < r->offset + r->len &&
		    r->offset < region->offset + region->len)
			return -1;
	}
	b->regions[b->nr_regions++] = *region;
	return 0;
}

int pci_add_capability(struct pci_dev *dev, uint8_t id, uint8_t len)
{
	unsigned int off = (dev->cap_end + 3) & ~3U;

	if (dev->host || len < 2 || off + len > PCI_CONFIG_SIZE)
		return -1;
	dev->config[off] = id;
	dev->config[off + 1] = 0;
	if (dev->last_cap)
		dev->config[dev->last_cap + 1] = off;
	else
		dev->config[PCI_CAPABILITY_LIST] = off;
	pci_put16(dev->config + PCI_STATUS,
		  pci_get16(dev->config + PCI_STATUS) | PCI_STATUS_CAP_LIST);
	dev->last_cap = off;
	dev->cap_end = off + len;
	return off;
}

static bool config_range_ok(uint32_t offset, uint32_t len)
{
	return len >= 1 && len <= 4 && offset < PCI_CONFIG_SIZE &&
	       len <= PCI_CONFIG_SIZE - offset;
}

uint32_t pci_config_read(struct pci_dev *dev, uint32_t offset, uint32_t len)
{
	uint8_t bytes[4] = { 0 };
	uint32_t val;

	if (!config_range_ok(offset, len))
		return UINT32_MAX;
	if (dev->ops && dev->ops->config_read)
		dev->ops->config_read(dev, offset, len);
	memcpy(bytes, dev->config + offset, len);
	/* Interrupt Status follows the device's INTx# level. */
	if (pci_overlaps(offset, len, PCI_STATUS, 1) &&
	    __atomic_load_n(&dev->intx_level, __ATOMIC_RELAXED))
		bytes[PCI_STATUS - offset] |= PCI_STATUS_INTERRUPT;
	val = pci_get32(bytes);
	return len == 4 ? val : val & ((1U << (8 * len)) - 1);
}

/* Drives the line to the level the device asks for, unless disabled. */
static void intx_update_locked(struct pci_dev *dev)
{
	bool out = dev->intx_level && !dev->intx_disabled;

	if (out == dev->intx_out)
		return;
	dev->intx_out = out;
	if (dev->intx)
		irq_line_set(dev->intx, out);
}

static void intx_command_written(struct pci_dev *dev)
{
	uint16_t cmd = pci_get16(dev->config + PCI_COMMAND);

	pthread_mutex_lock(&dev->intx_lock);
	dev->intx_disabled = cmd & PCI_COMMAND_INTX_DISABLE;
	intx_update_locked(dev);
	pthread_mutex_unlock(&dev->intx_lock);
}

void pci_set_irq(struct pci_dev *dev, int level)
{
	pthread_mutex_lock(&dev->intx_lock);
	__atomic_store_n(&dev->intx_level, level != 0, __ATOMIC_RELAXED);
	intx_update_locked(dev);
	pthread_mutex_unlock(&dev->intx_lock);
}

void pci_config_write(struct pci_dev *dev, uint32_t offset, uint32_t val,
		      uint32_t len)
{
	uint32_t i;

	if (!config_range_ok(offset, len))
		return;
	for (i = 0; i < len; i++) {
		uint8_t wmask = dev->wmask[offset + i];
		uint8_t *byte = &dev->config[offset + i];

		*byte = (*byte & ~wmask) | ((val >> (8 * i)) & wmask);
	}
	if (pci_overlaps(offset, len, PCI_COMMAND, 2) ||
	    pci_overlaps(offset, len, PCI_BASE_ADDRESS_0, 4 * PCI_NR_BARS))
		pci_update_bars(dev);
	if (pci_overlaps(offset, len, PCI_COMMAND, 2))
		intx_command_written(dev);
	if (dev->msix)
		pci_msix_config_written(dev, offset, len);
	if (dev->ops && dev->ops->config_write)
		dev->ops->config_write(dev, offset, len);
}

/* Are all writable bits of a dword of the BAR set, as when sizing? */
static bool bar_sizing(const struct pci_dev *dev, unsigned int bar)
{
	unsigned int n = dev->bars[bar].type == PCI_BAR_MEM64 ? 2 : 1, i;

	for (i = 0; i < n; i++) {
		uint32_t reg = bar_reg(bar + i);
		uint32_t wmask = pci_get32(dev->wmask + reg);

		if (wmask && (pci_get32(dev->config + reg) & wmask) == wmask)
			return true;
	}
	return false;
}

static uint64_t bar_address(const struct pci_dev *dev, unsigned int bar)
{
	uint32_t reg = bar_reg(bar);
	uint64_t addr = pci_get32(dev->config + reg);

	if (dev->bars[bar].type == PCI_BAR_IO)
		return addr & IO_ADDR_BITS;
	if (dev->bars[bar].type == PCI_BAR_MEM64)
		addr |= (uint64_t)pci_get32(dev->config + reg + 4) << 32;
	return addr & ~(uint64_t)MEM_FLAG_BITS;
}

/* Where the BAR must be decoded now, or PCI_BAR_UNMAPPED. */
static uint64_t bar_target(const struct pci_dev *dev, unsigned int bar)
{
	const struct pci_bar *b = &dev->bars[bar];
	uint16_t cmd = pci_get16(dev->config + PCI_COMMAND);
	uint16_t decode = b->type == PCI_BAR_IO ? PCI_COMMAND_IO :
			  PCI_COMMAND_MEMORY;
	uint64_t addr, limit;

	if (b->type == PCI_BAR_NONE || !(cmd & decode) ||
	    bar_sizing(dev, bar))
		return PCI_BAR_UNMAPPED;
	addr = bar_address(dev, bar);
	limit = b->type == PCI_BAR_IO ? PCI_IO_WINDOW_END :
		b->type == PCI_BAR_MEM32 ? 1ULL << 32 : PCI_BAR_UNMAPPED;
	if (!addr || addr > limit - b->size)
		return PCI_BAR_UNMAPPED;
	return addr;
}

static struct bus *bar_bus(const struct pci_dev *dev, unsigned int bar)
{
	const struct pci_platform *plat = pci_host_platform(dev->host);

	return dev->bars[bar].type == PCI_BAR_IO ? plat->pio : plat->mmio;
}

static void unregister_regions(struct pci_dev *dev, unsigned int bar,
			       uint64_t base, unsigned int n)
{
	const struct pci_bar *b = &dev->bars[bar];
	unsigned int i;

	for (i = 0; i < n; i++)
		bus_unregister(bar_bus(dev, bar), base + b->regions[i].offset);
}

/* Puts every region of the BAR at @base, or none if one collides. */
static int register_regions(struct pci_dev *dev, unsigned int bar,
			    uint64_t base)
{
	const struct pci_bar *b = &dev->bars[bar];
	unsigned int i;

	for (i = 0; i < b->nr_regions; i++) {
		const struct pci_region *r = &b->regions[i];

		if (bus_register(bar_bus(dev, bar), base + r->offset, r->len,
				 r->fn, r->opaque, r->name)) {
			unregister_regions(dev, bar, base, i);
			return -1;
		}
	}
	return 0;
}

void pci_update_bars(struct pci_dev *dev)
{
	unsigned int bar;

	if (!dev->host)
		return;
	for (bar = 0; bar < PCI_NR_BARS; bar++) {
		struct pci_bar *b = &dev->bars[bar];
		uint64_t target = bar_target(dev, bar);

		if (target == b->mapped)
			continue;
		if (b->mapped != PCI_BAR_UNMAPPED)
			unregister_regions(dev, bar, b->mapped,
					   b->nr_regions);
		/* A guest that moves a BAR onto another range loses it. */
		if (target != PCI_BAR_UNMAPPED &&
		    register_regions(dev, bar, target))
			target = PCI_BAR_UNMAPPED;
		if (target == b->mapped)
			continue;
		b->mapped = target;
		if (dev->ops && dev->ops->bar_moved)
			dev->ops->bar_moved(dev, bar, target);
	}
}

static const struct pci_region *region_at(const struct pci_bar *b,
					  uint64_t offset)
{
	unsigned int i;

	for (i = 0; i < b->nr_regions; i++) {
		const struct pci_region *r = &b->regions[i];

		if (offset >= r->offset && offset - r->offset < r->len)
			return r;
	}
	return NULL;
}

bool pci_bar_access(struct pci_dev *dev, unsigned int bar, uint64_t offset,
		    void *data, uint32_t len, bool is_write)
{
	const struct pci_region *r;

	r = bar < PCI_NR_BARS ? region_at(&dev->bars[bar], offset) : NULL;
	if (!r) {
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	r->fn(r->opaque, offset - r->offset, data, len, is_write);
	return true;
}

void pci_dev_reset(struct pci_dev *dev)
{
	memcpy(dev->config, dev->power_on, sizeof(dev->config));
	if (dev->msix)
		pci_msix_reset(dev);
	pthread_mutex_lock(&dev->intx_lock);
	__atomic_store_n(&dev->intx_level, false, __ATOMIC_RELAXED);
	dev->intx_disabled = false;
	intx_update_locked(dev);
	pthread_mutex_unlock(&dev->intx_lock);
	pci_update_bars(dev);
	if (dev->ops && dev->ops->reset)
		dev->ops->reset(dev);
}
