/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_VIRTQUEUE_H
#define KVMLITE_VIRTQUEUE_H

/*
 * Split virtqueues (virtio 1.2, 2.7) over guest RAM, the device side.
 * No transport knowledge: the transport hands over the ring addresses
 * the driver wrote and the negotiated features.
 *
 * The rings live in memory the guest may rewrite at any moment from
 * another CPU, so every value is read once, checked, and only the
 * checked copy is used.  A malformed ring marks the queue broken: the
 * device then sets DEVICE_NEEDS_RESET and the guest can only reset it.
 *
 * Only one thread uses a given virtq at a time (the device's I/O thread).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_USED_F_NO_NOTIFY		1

#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_RING_EVENT_IDX		29

#define VIRTQ_MAX_SIZE			32768

/* The most bytes one chain may describe, both directions together (2.7.5). */
#define VIRTQ_MAX_CHAIN_LEN		(1ULL << 32)

struct guest_mem;
struct virtq_desc;
struct virtq_avail;
struct virtq_used;

struct virtq {
	const struct guest_mem *mem;
	uint16_t size;			/* power of two, 1..32768 */
	bool event_idx, indirect;	/* negotiated features */
	bool broken;			/* device must set DEVICE_NEEDS_RESET */

	/* Private: host views of the rings, checked at enable. */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail_idx;	/* next avail ring entry to pop */
	uint16_t used_idx;		/* our copy of used->idx */
	uint32_t unsignalled;		/* pushes not yet checked */
	bool notify;			/* kicks wanted (virtq_notify_enable) */
};

/*
 * Validates and maps the rings: @size a power of two up to VIRTQ_MAX_SIZE,
 * each part aligned as 2.7 requires and wholly inside RAM.  0 or -1.
 * A queue that failed to enable, or was disabled, is broken: every call
 * on it does nothing (virtq_pop returns -1).
 */
int virtq_enable(struct virtq *vq, const struct guest_mem *mem, uint16_t size,
		 uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa,
		 bool event_idx, bool indirect);
void virtq_disable(struct virtq *vq);

struct virtq_elem {
	uint16_t head;
	unsigned int nr_out, nr_in;	/* device-readable first in iov[] */
	uint64_t out_len, in_len;
	struct iovec *iov;		/* caller-provided */
	unsigned int max_iov;		/* capacity; queue size suffices */
};

/*
 * Takes the next available chain.  1: @elem filled; 0: nothing available;
 * -1: malformed chain or ring (vq->broken set, nothing consumed).
 * Zero-length buffers take no iov slot.  A chain needing more than
 * @elem->max_iov segments is malformed: devices advertise their limits.
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *elem);

/*
 * Returns a finished chain with @written bytes written into its
 * device-writable part (at most its in_len).
 */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/*
 * After a batch of pushes: does the driver want an interrupt (EVENT_IDX
 * used_event, or VIRTQ_AVAIL_F_NO_INTERRUPT)?  False if nothing was pushed
 * since the last call.
 */
bool virtq_should_interrupt(struct virtq *vq);

/*
 * Suppresses (false) or requests (true) kicks: used->flags NO_NOTIFY, or
 * avail_event with EVENT_IDX.  Returns true if buffers are available that
 * were not popped yet, so a device that re-enables kicks after draining
 * the queue loops instead of missing a kick that raced with it.
 */
bool virtq_notify_enable(struct virtq *vq, bool enable);

#endif
