/* SPDX-License-Identifier: MIT */
/*
 * A small virtio 1.2 driver over the modern PCI transport (virtio 1.2
 * section 4.1): capabilities, feature negotiation, split virtqueues in
 * guest memory, and MSI-X or INTx + ISR interrupts.  It serves test
 * guests, so the rings and transport registers are public: a guest may
 * write descriptors by hand and publish them with virtq_publish().
 *
 * Interrupts are counted per slot in virtio_irq_count[]: slot 0 is the
 * configuration change interrupt; with MSI-X, slot 1 + i is queue i's
 * vector (queues share the last one if the table is small); with INTx,
 * slot 1 counts every interrupt whose ISR read had the queue bit set.
 * Interrupts are enabled only inside virtq_wait().
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_MODERN_BASE		0x1040	/* + device type */

/* Device status */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Transport feature bits */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_BIT(feature)		(1ULL << (feature))

/* The common configuration structure */
#define VIRTIO_COMMON_DFSELECT		0x00
#define VIRTIO_COMMON_DF		0x04
#define VIRTIO_COMMON_GFSELECT		0x08
#define VIRTIO_COMMON_GF		0x0c
#define VIRTIO_COMMON_MSIX		0x10
#define VIRTIO_COMMON_NUMQ		0x12
#define VIRTIO_COMMON_STATUS		0x14
#define VIRTIO_COMMON_CFGGEN		0x15
#define VIRTIO_COMMON_Q_SELECT		0x16
#define VIRTIO_COMMON_Q_SIZE		0x18
#define VIRTIO_COMMON_Q_MSIX		0x1a
#define VIRTIO_COMMON_Q_ENABLE		0x1c
#define VIRTIO_COMMON_Q_NOFF		0x1e
#define VIRTIO_COMMON_Q_DESC		0x20
#define VIRTIO_COMMON_Q_AVAIL		0x28
#define VIRTIO_COMMON_Q_USED		0x30

#define VIRTIO_ISR_QUEUE		0x1
#define VIRTIO_ISR_CONFIG		0x2
#define VIRTIO_NO_VECTOR		0xffff

#define VIRTQ_DESC_F_NEXT		0x1
#define VIRTQ_DESC_F_WRITE		0x2
#define VIRTQ_DESC_F_INDIRECT		0x4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	0x1
#define VIRTQ_USED_F_NO_NOTIFY		0x1

#define VIRTIO_MAX_QUEUES		4
#define VIRTQ_MAX_SIZE			256	/* what the static rings hold */
#define VIRTQ_INDIRECT_MAX		256	/* a queue's indirect table */

#define VIRTIO_IRQ_SLOT_CONFIG		0
#define VIRTIO_IRQ_SLOTS		(1 + VIRTIO_MAX_QUEUES)

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* used_event follows ring[size] */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* avail_event follows ring[size] */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

struct virtio_dev;

struct virtq {
	struct virtio_dev *dev;
	uint16_t index;
	uint16_t size;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	struct virtq_desc *indirect;	/* VIRTQ_INDIRECT_MAX entries */
	uint16_t next_desc;		/* where the next chain starts */
	uint16_t avail_idx;		/* the driver's copy of avail->idx */
	uint16_t kicked_idx;		/* avail_idx when last kicked */
	uint16_t last_used;		/* used entries consumed */
	unsigned int irq_slot;
	uint32_t irq_mark;		/* the slot's count at the last kick */
	uint64_t notify;		/* the address a kick writes */
	bool polled;			/* the driver wants no interrupts */
	unsigned int kicks;
	unsigned int kicks_suppressed;
};

struct virtio_dev {
	unsigned int devfn;
	uint16_t pci_device;
	uint64_t common, notify, isr, device;	/* mapped capability regions */
	uint32_t notify_mult;
	uint32_t device_len;
	unsigned int msix_cap;		/* 0: none */
	unsigned int msix_entries;
	uint64_t msix_table;
	bool msix;			/* MSI-X in use, else INTx */
	struct pci_intx intx;
	uint64_t offered;		/* device features */
	uint64_t features;		/* negotiated */
	unsigned int nr_queues;		/* set up by virtq_setup */
	struct virtq vq[VIRTIO_MAX_QUEUES];
};

/* One buffer of a descriptor chain */
struct virtio_seg {
	uint64_t addr;
	uint32_t len;
	bool device_writes;
};

enum virtq_result {
	VIRTQ_USED,
	VIRTQ_NEEDS_RESET,
	VIRTQ_TIMEOUT,
};

extern volatile uint32_t virtio_irq_count[VIRTIO_IRQ_SLOTS];

/*
 * The first virtio function of @type on bus 0 (in slot @slot unless it is
 * negative): modern (0x1040 + type) or transitional (0x1000-0x103f with
 * subsystem ID @type).  Returns its devfn or -1.
 */
int virtio_pci_find(unsigned int type, int slot);

/*
 * Finds the capabilities, maps their regions and turns on memory decode
 * and bus mastering.  Returns 0, or -1 after printing why.
 */
int virtio_probe(struct virtio_dev *dev, unsigned int devfn);

uint8_t virtio_status(struct virtio_dev *dev);
void virtio_set_status(struct virtio_dev *dev, uint8_t status);
/* Writes 0 and waits for the device to read back 0: false if it does not */
bool virtio_reset(struct virtio_dev *dev);
/* The device set DEVICE_NEEDS_RESET: only a reset brings it back. */
bool virtio_needs_reset(struct virtio_dev *dev);

/*
 * Resets, acknowledges and accepts offered & @wanted (VERSION_1 is
 * required); FEATURES_OK must stick.  Returns 0, or -1 after printing why.
 */
int virtio_negotiate(struct virtio_dev *dev, uint64_t wanted);

/* MSI-X vectors (@msix) or the INTx pin, before any queue is set up */
int virtio_irq_setup(struct virtio_dev *dev, bool msix);

/*
 * Queue @index with the driver's static rings and at most @size entries
 * (rounded down to a power of two, capped by the device's maximum).
 */
int virtq_setup(struct virtio_dev *dev, unsigned int index, unsigned int size);
/* The same with exactly @size and the rings at the given addresses */
int virtq_setup_at(struct virtio_dev *dev, unsigned int index,
		   unsigned int size, uint64_t desc, uint64_t avail,
		   uint64_t used);

void virtio_driver_ok(struct virtio_dev *dev);

uint8_t virtio_config_read8(struct virtio_dev *dev, unsigned int off);
uint16_t virtio_config_read16(struct virtio_dev *dev, unsigned int off);
uint32_t virtio_config_read32(struct virtio_dev *dev, unsigned int off);
uint64_t virtio_config_read64(struct virtio_dev *dev, unsigned int off);

/*
 * Writes a chain for @n segments, directly in the ring or through the
 * queue's indirect table, and publishes it.  Chains in flight at once
 * must fit in the ring, and at most one may be indirect.  Returns the
 * head, or -1 if @n does not fit.
 */
int virtq_add(struct virtq *vq, const struct virtio_seg *segs, unsigned int n,
	      bool indirect);
/*
 * The same, directly in the ring at descriptors @first.. @first + @n - 1,
 * for a driver that keeps each request in slots of its own, so chains may
 * complete in any order.
 */
int virtq_add_at(struct virtq *vq, uint16_t first,
		 const struct virtio_seg *segs, unsigned int n);
/*
 * Puts @head in the available ring and asks for an interrupt when used,
 * or, if the queue is polled, that there be none.
 */
void virtq_publish(struct virtq *vq, uint16_t head);
/* Notifies the device unless its event index or flags say not to */
void virtq_kick(struct virtq *vq);
/*
 * Waits up to @timeout_us for a used entry and its interrupt.  On
 * VIRTQ_USED, @elem is the entry and @irq tells whether the interrupt
 * came; NEEDS_RESET is checked while nothing is used.
 */
enum virtq_result virtq_wait(struct virtq *vq, uint64_t timeout_us,
			     struct virtq_used_elem *elem, bool *irq);
/*
 * Asks for an interrupt at the next used entry; false if there is one
 * already, so a caller may halt only on true, with interrupts off.
 */
bool virtq_arm_interrupt(struct virtq *vq);
/* Takes the next used entry if there is one, without waiting. */
bool virtq_get_used(struct virtq *vq, struct virtq_used_elem *elem);

#endif /* GUEST_VIRTIO_H */
