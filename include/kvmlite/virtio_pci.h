/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_VIRTIO_PCI_H
#define KVMLITE_VIRTIO_PCI_H

#include <stddef.h>
#include <stdint.h>

/*
 * The virtio 1.x modern PCI transport (virtio 1.2, 4.1): a
 * non-transitional function 1af4:(0x1040 + device id), revision 1, whose
 * common, ISR, device, notification and MSI-X structures all live in one
 * 64-bit memory BAR, described by vendor capabilities, plus the PCI
 * configuration access capability for drivers that cannot map the BAR.
 *
 * Queue kicks are KVM ioeventfds on per-queue notify addresses: a guest's
 * kick signals the queue's eventfd inside KVM, and the device polls that
 * eventfd on its own thread.  Used-buffer and configuration interrupts go
 * out as MSI-X vectors (irqfds) when the driver enabled MSI-X, otherwise
 * through the ISR and INTx#.
 *
 * Threads: the driver's register accesses arrive on vCPU threads and are
 * serialised per device.  The device calls virtio_pci_queue(),
 * virtio_pci_kick_fd(), virtio_pci_driver_features(),
 * virtio_pci_interrupt() and virtio_pci_needs_reset() from its own
 * threads; none of them blocks on the vCPU side, so ops->stop may wait
 * for those threads.
 */

struct guest_mem;
struct machine;
struct pci_host;
struct virtio_pci;
struct virtq;

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040
#define VIRTIO_PCI_REVISION	1
#define VIRTIO_PCI_MAX_QUEUES	1024
#define VIRTIO_PCI_MAX_CONFIG	0x1000
#define VIRTIO_PCI_NO_VECTOR	0xffff

/* The BAR and where its structures are (each on its own page). */
#define VIRTIO_PCI_BAR			0
#define VIRTIO_PCI_COMMON_OFFSET	0x0000
#define VIRTIO_PCI_COMMON_SIZE		0x38	/* through queue_used */
#define VIRTIO_PCI_ISR_OFFSET		0x1000
#define VIRTIO_PCI_DEVICE_OFFSET	0x2000
#define VIRTIO_PCI_NOTIFY_OFFSET	0x3000
#define VIRTIO_PCI_NOTIFY_MULTIPLIER	4	/* queue i kicks at 4 * i */
#define VIRTIO_PCI_MSIX_OFFSET		0x4000	/* table, then the PBA */

struct virtio_device_ops {
	const char *name;		/* QEMU's, e.g. "virtio-blk-pci" */
	const char *id;			/* the user's id=, or NULL */
	uint16_t device_id;		/* 2 = block */
	uint16_t num_queues;		/* 1..VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_max_size;	/* a power of two up to 32768 */
	uint32_t config_size;		/* up to VIRTIO_PCI_MAX_CONFIG */
	/* Device feature bits; the transport adds VERSION_1,
	 * INDIRECT_DESC and RING_EVENT_IDX. */
	uint64_t (*features)(void *opaque);
	/* @offset + @len <= config_size; a read starts zeroed. */
	void (*config_read)(void *opaque, uint32_t offset, void *data,
			    uint32_t len);
	void (*config_write)(void *opaque, uint32_t offset, const void *data,
			     uint32_t len);
	/*
	 * DRIVER_OK set: the queues the driver enabled are valid
	 * (virtio_pci_queue()); start serving kicks.  0, or -1 for
	 * DEVICE_NEEDS_RESET.  Runs on a vCPU thread.
	 */
	int (*start)(void *opaque, struct virtio_pci *vp);
	/*
	 * The driver wrote status 0, or the machine resets: stop serving and
	 * forget in-flight state before returning.  Also called when the
	 * device was never started.
	 */
	void (*stop)(void *opaque);
};

/*
 * Creates the function at @slot (-1 = next free) on the machine's bus.
 * NULL with a message in @err on failure (QEMU's for slot conflicts).
 */
struct virtio_pci *virtio_pci_new(struct machine *m, int slot,
				  const struct virtio_device_ops *ops,
				  void *opaque, char *err, size_t errlen);
/* The same on any bus and RAM (unit tests). */
struct virtio_pci *virtio_pci_create(struct pci_host *host,
				     const struct guest_mem *mem, int slot,
				     const struct virtio_device_ops *ops,
				     void *opaque, char *err, size_t errlen);

/* Queue @index, or NULL if the driver did not enable it. */
struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned int index);
/* The eventfd the guest's kicks of queue @index signal; -1 if none. */
int virtio_pci_kick_fd(struct virtio_pci *vp, unsigned int index);
/* The features the driver accepted (valid once FEATURES_OK is set). */
uint64_t virtio_pci_driver_features(struct virtio_pci *vp);
/* Used-buffer notification for queue @index: its MSI-X vector, or ISR. */
void virtio_pci_interrupt(struct virtio_pci *vp, unsigned int index);
/* Sets DEVICE_NEEDS_RESET and, after DRIVER_OK, tells the driver. */
void virtio_pci_needs_reset(struct virtio_pci *vp);

#endif
