/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_VIRTIO_BLK_H
#define KVMLITE_VIRTIO_BLK_H

/*
 * virtio-blk (virtio 1.2, 5.2) on the virtio PCI transport: 1af4:1042.
 *
 * Threads: each device has one I/O thread, started when the driver sets
 * DRIVER_OK, that waits on every queue's kick eventfd and on the image's
 * completion eventfd, pops requests, submits them to the block layer and
 * completes them as they finish; it stops, waiting for its requests in
 * flight, when the driver resets the device.  The vCPU threads only touch
 * the device through the transport's registers.
 */

#include <stddef.h>

struct block;
struct guest_mem;
struct machine;
struct pci_host;
struct virtio_blk;

#define VIRTIO_BLK_QUEUE_SIZE	256	/* QEMU 7.2's queue-size */

struct virtio_blk_params {
	struct block *bs;	/* open and locked; stays the caller's */
	const char *id;		/* -device id=, or NULL */
	const char *serial;	/* GET_ID's answer, or NULL */
	unsigned int num_queues;
	int slot;		/* PCI slot, or -1 for the next free one */
};

/* The function on the machine's PCI bus; NULL with @err on failure. */
struct virtio_blk *virtio_blk_new(struct machine *m,
				  const struct virtio_blk_params *p,
				  char *err, size_t errlen);
/* The same on any bus and RAM (unit tests). */
struct virtio_blk *virtio_blk_create(struct pci_host *host,
				     const struct guest_mem *mem,
				     const struct virtio_blk_params *p,
				     char *err, size_t errlen);
/*
 * The machine is ending: stops the I/O thread after its requests in
 * flight, and the device does nothing more.  The image can then be
 * closed.
 */
void virtio_blk_shutdown(struct virtio_blk *vb);

#endif
