/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_PCI_H
#define KVMLITE_PCI_H

#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bus.h"
#include "irq.h"

/*
 * PCI bus 0 behind a host bridge, as on a PC without firmware: kvmlite
 * places every BAR itself and turns decoding on, so a guest that never
 * reassigns resources finds working devices, and one that does (sizing,
 * moving, turning decode bits off and on) is followed.
 *
 * Configuration mechanism #1: a dword write of the address to 0xcf8
 * (bit 31 enable, bus 23:16, device 15:11, function 10:8, register 7:2)
 * selects the register that 0xcfc-0xcff then read and write in bytes,
 * words or dwords.  Functions that do not exist read as all ones.
 *
 * Every function is single-function (function 0).  INTx# of a slot is
 * wired to the IOAPIC as the MP table describes it
 * (mptable_pci_ioapic_pin()); the interrupt line register holds that
 * IOAPIC pin, which is also the GSI.
 *
 * Threads: config cycles are serialised by the host bridge; BAR accesses
 * come from vCPU threads through the buses; interrupts (pci_set_irq(),
 * pci_msix_notify()) may come from any thread.
 */

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_CONFIG_ENABLE	(1U << 31)

#define PCI_CONFIG_SIZE		256
#define PCI_MAX_SLOTS		32
#define PCI_NR_BARS		6
#define PCI_BAR_UNMAPPED	UINT64_MAX

/* Where kvmlite places BARs: the I/O range and the hole below 4 GiB. */
#define PCI_IO_WINDOW_BASE	0xc000ULL
#define PCI_IO_WINDOW_END	0x10000ULL
#define PCI_MEM32_WINDOW_BASE	0xc0000000ULL
#define PCI_MEM32_WINDOW_END	0xfec00000ULL	/* the IOAPIC */
/* 64-bit BARs go above RAM and 4 GiB, on a boundary of this size. */
#define PCI_MEM64_ALIGN		(1ULL << 30)

/*
 * The host bridge at 00:00.0 has the identity of an Intel 82441FX
 * (440FX PMC), which guests know as a plain host bridge with nothing
 * to set up; QEMU's pc machine shows the same one.
 */
#define PCI_HOST_VENDOR		0x8086
#define PCI_HOST_DEVICE		0x1237
#define PCI_HOST_REVISION	0x02
#define PCI_HOST_NAME		"i440FX"
/* Subsystem ids kvmlite gives its functions (those of QEMU's devices). */
#define PCI_SUBSYS_VENDOR	0x1af4
#define PCI_SUBSYS_DEVICE	0x1100

#define PCI_CLASS_HOST_BRIDGE	0x060000

enum pci_bar_type {
	PCI_BAR_NONE,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,		/* takes this BAR and the next */
};

/* A piece of a BAR with its own handler, offset relative to the piece. */
struct pci_region {
	uint64_t offset;
	uint64_t len;
	bus_io_fn fn;
	void *opaque;
	const char *name;
};

#define PCI_MAX_REGIONS		8

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size;			/* a power of two */
	uint64_t home;			/* kvmlite's placement */
	uint64_t mapped;		/* where it is decoded, or UNMAPPED */
	struct pci_region regions[PCI_MAX_REGIONS];
	unsigned int nr_regions;
};

struct pci_dev;

/* A function's hooks; any may be NULL.  Config hooks run serialised. */
struct pci_dev_ops {
	/* Before the guest reads config[@offset, +@len): refresh it. */
	void (*config_read)(struct pci_dev *dev, uint32_t offset,
			    uint32_t len);
	/* After a guest write to config[@offset, +@len), masks applied. */
	void (*config_write)(struct pci_dev *dev, uint32_t offset,
			     uint32_t len);
	/* BAR @bar is decoded at @addr now (PCI_BAR_UNMAPPED: not at all). */
	void (*bar_moved)(struct pci_dev *dev, unsigned int bar,
			  uint64_t addr);
	/* Machine reset: config space and BARs are at power-on already. */
	void (*reset)(struct pci_dev *dev);
};

struct pci_ids {
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint32_t class_code;		/* base class, subclass, prog-if */
	uint8_t revision;
	uint8_t irq_pin;		/* 0: no INTx, 1: INTA# */
};

struct pci_msix;
struct pci_host;

struct pci_dev {
	const char *name;		/* as QEMU names the device type */
	const char *id;			/* the user's id=, or NULL */
	const struct pci_dev_ops *ops;
	void *opaque;

	uint8_t config[PCI_CONFIG_SIZE];
	uint8_t wmask[PCI_CONFIG_SIZE];	/* bits the guest may write */
	uint8_t power_on[PCI_CONFIG_SIZE];
	struct pci_bar bars[PCI_NR_BARS];
	uint8_t last_cap;		/* 0 while the list is empty */
	uint8_t cap_end;		/* where the next capability goes */
	struct pci_msix *msix;

	struct pci_host *host;		/* set by pci_host_attach() */
	int slot;

	/* INTx: the device's level and what the line is driven to. */
	pthread_mutex_t intx_lock;
	const struct irq_line *intx;
	bool intx_level, intx_disabled, intx_out;
};

/*
 * What the bus is wired to: kvmlite's buses, irqchip and KVM in the
 * machine, recorders in unit tests.
 */
struct pci_platform {
	struct bus *pio;
	struct bus *mmio;
	uint64_t mem64_base;		/* first address for 64-bit BARs */
	/* The line INTx# @intx (0 = INTA#) of @slot is wired to. */
	const struct irq_line *(*intx_line)(void *opaque, unsigned int slot,
					    unsigned int intx);
	/* A new MSI vector: a handle >= 0, or -1. */
	int (*msi_new)(void *opaque);
	/* The message vector @handle sends from now on; 0 or -1. */
	int (*msi_route)(void *opaque, int handle, uint64_t addr,
			 uint32_t data);
	/* Sends it; any thread. */
	void (*msi_fire)(void *opaque, int handle);
	/* A guest write of @len bytes at MMIO @addr signals @fd; 0 or -1. */
	int (*ioeventfd)(void *opaque, uint64_t addr, uint32_t len, int fd,
			 bool assign);
	void *opaque;
};

/* Little-endian fields of config space and of registers. */
static inline uint16_t pci_get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t pci_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline void pci_put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void pci_put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

/* Does [@off, +@len) meet [@start, +@size)? */
static inline bool pci_overlaps(uint32_t off, uint32_t len, uint32_t start,
				uint32_t size)
{
	return off < start + size && start < off + len;
}

/* Function model (src/pci/pci.c). */
void pci_dev_init(struct pci_dev *dev, const struct pci_ids *ids,
		  const char *name, const struct pci_dev_ops *ops,
		  void *opaque);
/* Declares BAR @bar; @size a power of two (I/O 4-256, memory >= 16). */
int pci_dev_add_bar(struct pci_dev *dev, unsigned int bar,
		    enum pci_bar_type type, uint64_t size);
/* Adds a handler for part of a BAR, before the function is attached. */
int pci_bar_add_region(struct pci_dev *dev, unsigned int bar,
		       const struct pci_region *region);
/* Links a capability of @len bytes; its config offset, or -1 if full. */
int pci_add_capability(struct pci_dev *dev, uint8_t id, uint8_t len);

/* Config cycles, @len 1..4 bytes not past the end of config space. */
uint32_t pci_config_read(struct pci_dev *dev, uint32_t offset, uint32_t len);
void pci_config_write(struct pci_dev *dev, uint32_t offset, uint32_t val,
		      uint32_t len);

/*
 * An access to BAR @bar at @offset as if the guest made it on the bus,
 * whether or not the BAR is decoded.  False (reads all ones) when no
 * region of the BAR covers @offset.
 */
bool pci_bar_access(struct pci_dev *dev, unsigned int bar, uint64_t offset,
		    void *data, uint32_t len, bool is_write);

/* Drives INTx# (the pin in the ids); honours the INTx disable bit. */
void pci_set_irq(struct pci_dev *dev, int level);

/* Config space, MSI-X and BARs back to power-on, then ops->reset. */
void pci_dev_reset(struct pci_dev *dev);

/* MSI-X (src/pci/msix.c). */

/*
 * Adds the capability with @nr_vectors (1..2048) vectors, the table at
 * @table_offset and the pending bits at @pba_offset of memory BAR @bar
 * (declared already, both 8-byte aligned and inside it).  0 or -1.
 */
int pci_msix_init(struct pci_dev *dev, unsigned int nr_vectors,
		  unsigned int bar, uint64_t table_offset, uint64_t pba_offset);
bool pci_msix_enabled(struct pci_dev *dev);
/*
 * Sends vector @vector, or sets its pending bit while it is masked.
 * False when MSI-X is off or @vector does not exist.
 */
bool pci_msix_notify(struct pci_dev *dev, unsigned int vector);
/* The bytes of the table and of the pending bit array. */
uint64_t pci_msix_table_size(unsigned int nr_vectors);
uint64_t pci_msix_pba_size(unsigned int nr_vectors);

/* The host bridge and bus 0 (src/pci/host.c). */

/* Registers the configuration ports on @plat->pio; NULL if taken. */
struct pci_host *pci_host_new(const struct pci_platform *plat);
const struct pci_platform *pci_host_platform(struct pci_host *host);
/*
 * Puts @dev in @slot (-1: the first free one), places and maps its BARs
 * and wires its INTx#.  0, or -1 with QEMU's message in @err.
 */
int pci_host_attach(struct pci_host *host, struct pci_dev *dev, int slot,
		    char *err, size_t errlen);
/* Every function back to power-on (machine reset). */
void pci_host_reset(struct pci_host *host);

struct machine;
/* The machine's PCI bus: m->pci on its buses, irqchip and KVM. */
int pci_machine_init(struct machine *m, char *err, size_t errlen);

#endif
