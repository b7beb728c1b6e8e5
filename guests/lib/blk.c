// SPDX-License-Identifier: MIT
/* virtio-blk requests: header, data segments, status byte. */
#include "guest.h"
#include "blk.h"

/* Poisons the status byte, so that one the device never wrote shows. */
#define STATUS_UNWRITTEN	0xff

static bool device_writes_data(uint32_t type)
{
	return type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
}

int blk_submit(struct virtq *vq, struct blk_req *req, uint32_t type,
	       uint64_t sector, void *data, uint32_t len, uint32_t seg_len,
	       bool indirect)
{
	static struct virtio_seg segs[BLK_MAX_SEGS + 2];
	bool writes = device_writes_data(type);
	unsigned int n = 0;
	uint32_t off, piece;

	req->hdr.type = type;
	req->hdr.reserved = 0;
	req->hdr.sector = sector;
	req->status = STATUS_UNWRITTEN;
	req->vq = vq;
	req->in_len = 1 + (writes ? len : 0);
	segs[n++] = (struct virtio_seg){ (uintptr_t)&req->hdr,
					 sizeof(req->hdr), false };
	for (off = 0; off < len; off += piece) {
		if (n > BLK_MAX_SEGS)
			return BLK_ERR_SUBMIT;
		piece = len - off < seg_len ? len - off : seg_len;
		segs[n++] = (struct virtio_seg){ (uintptr_t)data + off, piece,
						 writes };
	}
	segs[n++] = (struct virtio_seg){ (uintptr_t)&req->status, 1, true };
	req->head = virtq_add(vq, segs, n, indirect);
	return req->head < 0 ? BLK_ERR_SUBMIT : 0;
}

/* The used length may not claim more than the device could write. */
int blk_finish(struct blk_req *req)
{
	struct virtq_used_elem elem;
	bool irq;

	switch (virtq_wait(req->vq, BLK_TIMEOUT_US, &elem, &irq)) {
	case VIRTQ_NEEDS_RESET:
		return BLK_ERR_NEEDS_RESET;
	case VIRTQ_TIMEOUT:
		return BLK_ERR_TIMEOUT;
	case VIRTQ_USED:
		break;
	}
	if (elem.id != (uint32_t)req->head || elem.len > req->in_len) {
		printf("blk: used id %u len %u, expected id %d len <= %u\n",
		       elem.id, elem.len, req->head, req->in_len);
		return BLK_ERR_BAD_USED;
	}
	if (!irq)
		return BLK_ERR_NO_IRQ;
	return req->status;
}

int blk_request(struct virtq *vq, uint32_t type, uint64_t sector, void *data,
		uint32_t len, uint32_t seg_len, bool indirect)
{
	struct blk_req req;
	int err = blk_submit(vq, &req, type, sector, data, len, seg_len,
			     indirect);

	if (err)
		return err;
	virtq_kick(vq);
	return blk_finish(&req);
}

int blk_open_first(struct virtio_dev *dev, uint64_t features,
		   unsigned int queue_size)
{
	int devfn = virtio_pci_find(VIRTIO_ID_BLOCK, -1);

	if (devfn < 0 || virtio_probe(dev, devfn) ||
	    virtio_negotiate(dev, features) || virtio_irq_setup(dev, true) ||
	    virtq_setup(dev, 0, queue_size))
		return -1;
	virtio_driver_ok(dev);
	return 0;
}

const char *blk_result_name(int result)
{
	switch (result) {
	case VIRTIO_BLK_S_OK:
		return "OK";
	case VIRTIO_BLK_S_IOERR:
		return "IOERR";
	case VIRTIO_BLK_S_UNSUPP:
		return "UNSUPP";
	case STATUS_UNWRITTEN:
		return "status never written";
	case BLK_ERR_TIMEOUT:
		return "timeout";
	case BLK_ERR_NEEDS_RESET:
		return "NEEDS_RESET";
	case BLK_ERR_NO_IRQ:
		return "no interrupt";
	case BLK_ERR_BAD_USED:
		return "bad used entry";
	case BLK_ERR_SUBMIT:
		return "too many segments";
	default:
		return "bad status byte";
	}
}
