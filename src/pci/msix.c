// SPDX-License-Identifier: MIT
/*
 * MSI-X (PCI Local Bus 3.0, 6.8.2): the capability, the vector table and
 * the pending bit array in a memory BAR.
 *
 * A vector is delivered only while MSI-X is enabled, the function mask is
 * clear and the vector's own mask bit is clear; otherwise a notification
 * sets its pending bit, and the vector is sent when it becomes unmasked.
 * Delivery goes through the platform: the table entry's message is
 * routed when the vector becomes deliverable (on the vCPU thread that
 * wrote the table or the capability), and a notification only fires it,
 * so device threads never change routes.  One lock per function orders
 * the guest's mask changes against device notifications: once a write
 * masking a vector returns, that vector is no longer sent.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvmlite/pci.h"
#include "pci_priv.h"

#define MSIX_CAP_SIZE		12
#define MSIX_MAX_VECTORS	2048
#define MSIX_CONTROL_WMASK	(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)

struct msix_vector {
	int handle;		/* the platform's */
	bool pending;
};

struct pci_msix {
	pthread_mutex_t lock;
	struct pci_dev *dev;
	unsigned int nr;
	uint8_t cap;		/* offset of the capability in config space */
	bool enabled;
	bool masked;		/* the function mask */
	uint8_t *table;		/* the guest's view, nr entries */
	struct msix_vector *vectors;
};

uint64_t pci_msix_table_size(unsigned int nr_vectors)
{
	return (uint64_t)nr_vectors * PCI_MSIX_ENTRY_SIZE;
}

uint64_t pci_msix_pba_size(unsigned int nr_vectors)
{
	return (nr_vectors + 63) / 64 * 8;
}

static uint8_t *entry(struct pci_msix *msix, unsigned int v)
{
	return msix->table + v * PCI_MSIX_ENTRY_SIZE;
}

static bool vector_masked(struct pci_msix *msix, unsigned int v)
{
	return !msix->enabled || msix->masked ||
	       (pci_get32(entry(msix, v) + PCI_MSIX_ENTRY_VECTOR_CTRL) &
		PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static const struct pci_platform *platform(struct pci_msix *msix)
{
	return pci_host_platform(msix->dev->host);
}

/* Routes an unmasked vector to its entry's message; sends it if pending. */
static void vector_sync(struct pci_msix *msix, unsigned int v)
{
	const struct pci_platform *plat = platform(msix);
	struct msix_vector *vec = &msix->vectors[v];
	uint8_t *e = entry(msix, v);
	uint64_t addr;

	if (vector_masked(msix, v))
		return;
	addr = pci_get32(e + PCI_MSIX_ENTRY_LOWER_ADDR) |
	       (uint64_t)pci_get32(e + PCI_MSIX_ENTRY_UPPER_ADDR) << 32;
	if (plat->msi_route(plat->opaque, vec->handle, addr,
			    pci_get32(e + PCI_MSIX_ENTRY_DATA)))
		return;
	if (vec->pending) {
		vec->pending = false;
		plat->msi_fire(plat->opaque, vec->handle);
	}
}

static void sync_all(struct pci_msix *msix)
{
	unsigned int v;

	for (v = 0; v < msix->nr; v++)
		vector_sync(msix, v);
}

static void table_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		     bool is_write)
{
	struct pci_msix *msix = opaque;
	uint64_t size = pci_msix_table_size(msix->nr);
	uint32_t n = offset + len > size ? size - offset : len;
	unsigned int v;

	pthread_mutex_lock(&msix->lock);
	if (!is_write) {
		memset(data, 0xff, len);
		memcpy(data, msix->table + offset, n);
		goto out;
	}
	memcpy(msix->table + offset, data, n);
	for (v = offset / PCI_MSIX_ENTRY_SIZE;
	     v <= (offset + n - 1) / PCI_MSIX_ENTRY_SIZE; v++) {
		uint8_t *ctrl = entry(msix, v) + PCI_MSIX_ENTRY_VECTOR_CTRL;

		/* Bits 31:1 of Vector Control are reserved, read as 0. */
		pci_put32(ctrl, pci_get32(ctrl) & PCI_MSIX_ENTRY_CTRL_MASKBIT);
		vector_sync(msix, v);
	}
out:
	pthread_mutex_unlock(&msix->lock);
}

static void pba_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		   bool is_write)
{
	struct pci_msix *msix = opaque;
	uint8_t *out = data;
	uint32_t i;

	if (is_write)
		return;	/* read-only */
	memset(data, 0, len);
	pthread_mutex_lock(&msix->lock);
	for (i = 0; i < len * 8; i++) {
		uint64_t v = offset * 8 + i;

		if (v < msix->nr && msix->vectors[v].pending)
			out[i / 8] |= 1U << (i % 8);
	}
	pthread_mutex_unlock(&msix->lock);
}

static int add_regions(struct pci_dev *dev, struct pci_msix *msix,
		       unsigned int bar, uint64_t table_offset,
		       uint64_t pba_offset)
{
	struct pci_region table = {
		table_offset, pci_msix_table_size(msix->nr), table_io, msix,
		"msix-table",
	};
	struct pci_region pba = {
		pba_offset, pci_msix_pba_size(msix->nr), pba_io, msix,
		"msix-pba",
	};

	if (dev->bars[bar].type == PCI_BAR_IO ||
	    (table_offset | pba_offset) & PCI_MSIX_TABLE_BIR)
		return -1;
	return pci_bar_add_region(dev, bar, &table) ||
	       pci_bar_add_region(dev, bar, &pba) ? -1 : 0;
}

static void msix_free(struct pci_msix *msix)
{
	free(msix->table);
	free(msix->vectors);
	free(msix);
}

static void init_table(struct pci_msix *msix)
{
	unsigned int v;

	memset(msix->table, 0, pci_msix_table_size(msix->nr));
	for (v = 0; v < msix->nr; v++) {
		pci_put32(entry(msix, v) + PCI_MSIX_ENTRY_VECTOR_CTRL,
			  PCI_MSIX_ENTRY_CTRL_MASKBIT);
		msix->vectors[v].pending = false;
	}
	__atomic_store_n(&msix->enabled, false, __ATOMIC_RELAXED);
	msix->masked = false;
}

static struct pci_msix *msix_alloc(struct pci_dev *dev, unsigned int nr)
{
	struct pci_msix *msix = calloc(1, sizeof(*msix));

	if (!msix)
		return NULL;
	msix->table = calloc(nr, PCI_MSIX_ENTRY_SIZE);
	msix->vectors = calloc(nr, sizeof(*msix->vectors));
	if (!msix->table || !msix->vectors) {
		msix_free(msix);
		return NULL;
	}
	pthread_mutex_init(&msix->lock, NULL);
	msix->dev = dev;
	msix->nr = nr;
	init_table(msix);
	return msix;
}

int pci_msix_init(struct pci_dev *dev, unsigned int nr_vectors,
		  unsigned int bar, uint64_t table_offset, uint64_t pba_offset)
{
	struct pci_msix *msix;
	unsigned int nr_regions;
	int cap;

	if (dev->msix || !nr_vectors || nr_vectors > MSIX_MAX_VECTORS ||
	    bar >= PCI_NR_BARS || table_offset > UINT32_MAX ||
	    pba_offset > UINT32_MAX)
		return -1;
	msix = msix_alloc(dev, nr_vectors);
	if (!msix)
		return -1;
	nr_regions = dev->bars[bar].nr_regions;
	if (add_regions(dev, msix, bar, table_offset, pba_offset) ||
	    (cap = pci_add_capability(dev, PCI_CAP_ID_MSIX,
				      MSIX_CAP_SIZE)) < 0) {
		dev->bars[bar].nr_regions = nr_regions;
		msix_free(msix);
		return -1;
	}
	msix->cap = cap;
	pci_put16(dev->config + cap + PCI_MSIX_FLAGS, nr_vectors - 1);
	pci_put16(dev->wmask + cap + PCI_MSIX_FLAGS, MSIX_CONTROL_WMASK);
	pci_put32(dev->config + cap + PCI_MSIX_TABLE, table_offset | bar);
	pci_put32(dev->config + cap + PCI_MSIX_PBA, pba_offset | bar);
	dev->msix = msix;
	return 0;
}

int pci_msix_attach(struct pci_dev *dev, char *err, size_t errlen)
{
	const struct pci_platform *plat = pci_host_platform(dev->host);
	struct pci_msix *msix = dev->msix;
	unsigned int v;

	for (v = 0; v < msix->nr; v++) {
		msix->vectors[v].handle = plat->msi_new(plat->opaque);
		if (msix->vectors[v].handle < 0) {
			snprintf(err, errlen, "%s: cannot create MSI-X vector "
				 "%u: %s", dev->name, v, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void pci_msix_config_written(struct pci_dev *dev, uint32_t offset,
			     uint32_t len)
{
	struct pci_msix *msix = dev->msix;
	uint16_t control;

	if (!pci_overlaps(offset, len, msix->cap + PCI_MSIX_FLAGS, 2))
		return;
	control = pci_get16(dev->config + msix->cap + PCI_MSIX_FLAGS);
	pthread_mutex_lock(&msix->lock);
	__atomic_store_n(&msix->enabled, control & PCI_MSIX_FLAGS_ENABLE,
			 __ATOMIC_RELAXED);
	msix->masked = control & PCI_MSIX_FLAGS_MASKALL;
	sync_all(msix);
	pthread_mutex_unlock(&msix->lock);
}

void pci_msix_reset(struct pci_dev *dev)
{
	struct pci_msix *msix = dev->msix;

	pthread_mutex_lock(&msix->lock);
	init_table(msix);
	pthread_mutex_unlock(&msix->lock);
}

bool pci_msix_enabled(struct pci_dev *dev)
{
	return dev->msix && __atomic_load_n(&dev->msix->enabled,
					    __ATOMIC_RELAXED);
}

bool pci_msix_notify(struct pci_dev *dev, unsigned int vector)
{
	struct pci_msix *msix = dev->msix;
	const struct pci_platform *plat;
	bool sent = false;

	if (!msix || vector >= msix->nr)
		return false;
	plat = platform(msix);
	pthread_mutex_lock(&msix->lock);
	if (msix->enabled) {
		sent = true;
		if (vector_masked(msix, vector))
			msix->vectors[vector].pending = true;
		else
			plat->msi_fire(plat->opaque,
				       msix->vectors[vector].handle);
	}
	pthread_mutex_unlock(&msix->lock);
	return sent;
}
