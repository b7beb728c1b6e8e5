/* SPDX-License-Identifier: MIT */
/* virtio-blk (virtio 1.2 section 5.2) requests over the guest virtio driver. */
#ifndef GUEST_BLK_H
#define GUEST_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

#define VIRTIO_ID_BLOCK			2

#define VIRTIO_BLK_F_SIZE_MAX		1
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_GEOMETRY		4
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_TOPOLOGY		10
#define VIRTIO_BLK_F_CONFIG_WCE		11
#define VIRTIO_BLK_F_MQ			12
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* struct virtio_blk_config */
#define VIRTIO_BLK_CFG_CAPACITY		0
#define VIRTIO_BLK_CFG_SIZE_MAX		8
#define VIRTIO_BLK_CFG_SEG_MAX		12
#define VIRTIO_BLK_CFG_BLK_SIZE		20
#define VIRTIO_BLK_CFG_PHYS_EXP		24
#define VIRTIO_BLK_CFG_MIN_IO		26
#define VIRTIO_BLK_CFG_OPT_IO		28
#define VIRTIO_BLK_CFG_WRITEBACK	32
#define VIRTIO_BLK_CFG_NUM_QUEUES	34
#define VIRTIO_BLK_CFG_MAX_DISCARD	36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG	40
#define VIRTIO_BLK_CFG_DISCARD_ALIGN	44
#define VIRTIO_BLK_CFG_MAX_WZ		48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG	52
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP	56
#define VIRTIO_BLK_CFG_SIZE		60

#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13

#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2

#define VIRTIO_BLK_ID_BYTES		20
#define VIRTIO_BLK_WZ_UNMAP		0x1
#define BLK_SECTOR			512

/* What blk_finish() returns besides a status byte */
#define BLK_ERR_TIMEOUT			(-1)
#define BLK_ERR_NEEDS_RESET		(-2)
#define BLK_ERR_NO_IRQ			(-3)
#define BLK_ERR_BAD_USED		(-4)
#define BLK_ERR_SUBMIT			(-5)

/* Waiting for one request, in microseconds of guest TSC */
#define BLK_TIMEOUT_US			2000000

#define BLK_MAX_SEGS			256

struct virtio_blk_outhdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* The payload of DISCARD and WRITE_ZEROES */
struct virtio_blk_range {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

/* One request in flight; it must stay in place until blk_finish(). */
struct blk_req {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
	struct virtq *vq;
	int head;
	uint32_t in_len;		/* device-writable bytes and status */
};

/*
 * Queues a request of @type at @sector: the header, @len bytes at @data
 * cut into @seg_len pieces (device-writable for IN and GET_ID), and the
 * status byte, in the ring or through the indirect table.  Returns 0 or
 * BLK_ERR_SUBMIT.  The caller kicks.
 */
int blk_submit(struct virtq *vq, struct blk_req *req, uint32_t type,
	       uint64_t sector, void *data, uint32_t len, uint32_t seg_len,
	       bool indirect);

/* Waits for @req: its status byte, or a BLK_ERR_* code. */
int blk_finish(struct blk_req *req);

/* blk_submit(), kick, blk_finish() */
int blk_request(struct virtq *vq, uint32_t type, uint64_t sector, void *data,
		uint32_t len, uint32_t seg_len, bool indirect);

/*
 * The first virtio-blk function, negotiated (@features & offered, with
 * VERSION_1), with MSI-X and queue 0 of at most @queue_size entries, and
 * DRIVER_OK set.  Returns 0 or -1.
 */
int blk_open_first(struct virtio_dev *dev, uint64_t features,
		   unsigned int queue_size);
/* "OK", "IOERR", "UNSUPP", "timeout"... for a blk_finish() result */
const char *blk_result_name(int result);

#endif /* GUEST_BLK_H */
