// SPDX-License-Identifier: MIT
/*
 * virtio-blk (virtio 1.2, 5.2).  Everything a request says is guest
 * input: lengths, sectors, flags and the shape of the chain are checked
 * before anything reaches the image.  A request the device can answer is
 * answered with a status byte (IOERR for what is out of range or
 * misaligned, UNSUPP for what is not offered); one it cannot answer, with
 * no header or no status byte, and a malformed ring, set
 * DEVICE_NEEDS_RESET, and the device serves nothing until the reset.
 *
 * Each queue owns as many request slots as it has descriptors, each with
 * room for the longest chain (seg_max data segments, which indirect
 * descriptors allow even in a small queue), so a request needs no
 * allocation.  A driver that keeps more chains in flight than that (by
 * reusing heads) merely waits for slots to come back.
 */
#include <endian.h>
#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmlite/block.h"
#include "kvmlite/iov.h"
#include "kvmlite/machine.h"
#include "kvmlite/sandbox.h"
#include "kvmlite/virtio_blk.h"
#include "kvmlite/virtio_pci.h"
#include "kvmlite/virtqueue.h"

#define SECTOR_SHIFT		9
#define SECTOR_SIZE		(1u << SECTOR_SHIFT)
#define HEADER_SIZE		sizeof(struct virtio_blk_outhdr)
#define SEG_MAX			(VIRTIO_BLK_QUEUE_SIZE - 2)
/* A chain's segments: the data, the header and the status byte. */
#define CHAIN_MAX		(SEG_MAX + 2)
#define SIZE_MAX_BYTES		(4u << 20)
#define MAX_DISCARD_SECTORS	0x3fffffu	/* just under 2 GiB, as QEMU */
#define TAG_BLOCK		0xfffffffeu	/* epoll tags, beside queues */
#define TAG_STOP		0xffffffffu
#define MAX_EVENTS		16
/*
 * Data bytes of reads and writes in flight on one disk, past which chains
 * wait in their ring.  An unaligned request on an O_DIRECT disk takes a
 * bounce buffer of its whole length, and a guest may queue 256 requests of
 * 254 x 4 MiB per queue, all over the same pages of its RAM.
 */
#define INFLIGHT_BYTES_MAX	(64u << 20)

#define DEVICE_FEATURES	(1ULL << VIRTIO_BLK_F_SIZE_MAX |		\
			 1ULL << VIRTIO_BLK_F_SEG_MAX |			\
			 1ULL << VIRTIO_BLK_F_BLK_SIZE |		\
			 1ULL << VIRTIO_BLK_F_FLUSH |			\
			 1ULL << VIRTIO_BLK_F_TOPOLOGY |		\
			 1ULL << VIRTIO_BLK_F_MQ |			\
			 1ULL << VIRTIO_BLK_F_DISCARD |			\
			 1ULL << VIRTIO_BLK_F_WRITE_ZEROES)

struct blk_queue;

struct blk_req {
	struct block_request breq;
	struct blk_queue *q;
	uint16_t head;
	uint8_t *status;	/* the chain's last writable byte */
	uint32_t written;	/* data bytes for the driver, on success */
	uint32_t bytes;		/* counted in inflight_bytes */
	struct iovec *iov;	/* room for a whole chain */
	struct blk_req *next;	/* free list */
};

struct blk_queue {
	struct virtio_blk *vb;
	unsigned int index;
	struct virtq *vq;	/* NULL: the driver left it disabled */
	struct blk_req *slots;
	struct iovec *iovs;
	struct blk_req *free;
	bool starved;		/* chains may wait for a free slot */
	bool pushed;		/* completions since the last interrupt check */
};

struct virtio_blk {
	struct virtio_device_ops ops;
	struct virtio_pci *vp;
	struct block *bs;
	struct virtio_blk_config config;	/* little-endian, as read */
	char serial[VIRTIO_BLK_ID_BYTES];
	uint32_t block_size;	/* logical: requests are multiples of it */
	uint64_t capacity;	/* bytes reachable, whole sectors */
	uint64_t driver_features;

	/* While started (DRIVER_OK until reset). */
	struct blk_queue *queues;
	pthread_t thread;
	bool running;
	int epfd;
	int stopfd;
	bool stopping;		/* atomic: completions leave the rings alone */
	bool broken;		/* DEVICE_NEEDS_RESET was set */
	bool shut;		/* the machine is ending */
	uint64_t inflight_bytes;	/* I/O thread only */
};

/* --- completing requests ------------------------------------------------- */

static void finish(struct blk_req *req, uint8_t status)
{
	struct blk_queue *q = req->q;

	if (!__atomic_load_n(&q->vb->stopping, __ATOMIC_ACQUIRE)) {
		*req->status = status;
		virtq_push(q->vq, req->head,
			   (status == VIRTIO_BLK_S_OK ? req->written : 0) + 1);
		q->pushed = true;
	}
	q->vb->inflight_bytes -= req->bytes;
	req->bytes = 0;
	req->next = q->free;
	q->free = req;
}

static void block_done(struct block_request *breq, int ret)
{
	finish(breq->opaque, ret ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

static void prepare(struct blk_req *req, enum block_op op, uint64_t offset,
		    uint64_t len, bool may_unmap)
{
	req->breq = (struct block_request){
		.op = op,
		.offset = offset,
		.len = len,
		.may_unmap = may_unmap,
		.done = block_done,
		.opaque = req,
	};
}

static void broken(struct virtio_blk *vb)
{
	vb->broken = true;
	virtio_pci_needs_reset(vb->vp);
}

/* --- parsing ------------------------------------------------------------- */

/*
 * Keeps, in place, the bytes of @iov[0..@cnt) after the first @skip and
 * before the last @drop; returns the new count, starting at @iov.
 */
static unsigned int iov_trim(struct iovec *iov, unsigned int cnt,
			     size_t skip, size_t drop)
{
	unsigned int first = 0, i;

	while (first < cnt && skip >= iov[first].iov_len)
		skip -= iov[first++].iov_len;
	cnt -= first;
	memmove(iov, iov + first, cnt * sizeof(*iov));
	if (cnt) {
		iov[0].iov_base = (uint8_t *)iov[0].iov_base + skip;
		iov[0].iov_len -= skip;
	}
	for (i = cnt; i > 0 && drop; i--) {
		if (drop < iov[i - 1].iov_len) {
			iov[i - 1].iov_len -= drop;
			break;
		}
		drop -= iov[i - 1].iov_len;
		cnt--;
	}
	return cnt;
}

/* Whether [sector, + len) is inside the disk and whole logical blocks. */
static bool range_ok(const struct virtio_blk *vb, uint64_t sector,
		     uint64_t len, bool aligned)
{
	uint64_t offset;

	if (sector > vb->capacity >> SECTOR_SHIFT)
		return false;
	offset = sector << SECTOR_SHIFT;
	if (len > vb->capacity - offset)
		return false;
	return !aligned || !((offset | len) % vb->block_size);
}

/* Within what seg_max and size_max promised the driver. */
static bool segments_ok(const struct iovec *iov, unsigned int cnt)
{
	unsigned int i;

	if (cnt > SEG_MAX)
		return false;
	for (i = 0; i < cnt; i++)
		if (iov[i].iov_len > SIZE_MAX_BYTES)
			return false;
	return true;
}

static void handle_rw(struct blk_req *req, enum block_op op, uint64_t sector,
		      struct iovec *iov, unsigned int cnt)
{
	struct virtio_blk *vb = req->q->vb;
	uint64_t len = iov_size(iov, cnt);

	if (!segments_ok(iov, cnt) || !range_ok(vb, sector, len, true)) {
		finish(req, VIRTIO_BLK_S_IOERR);
		return;
	}
	req->written = op == BLOCK_OP_READ ? len : 0;
	req->bytes = len;
	vb->inflight_bytes += len;
	prepare(req, op, sector << SECTOR_SHIFT, 0, false);
	req->breq.iov = iov;
	req->breq.iovcnt = cnt;
	block_submit(vb->bs, &req->breq);
}

static void handle_get_id(struct blk_req *req, struct iovec *iov,
			  unsigned int cnt)
{
	req->written = iov_from_buf(iov, cnt, 0, req->q->vb->serial,
				    VIRTIO_BLK_ID_BYTES);
	finish(req, VIRTIO_BLK_S_OK);
}

/* One segment, as max_discard_seg and max_write_zeroes_seg say. */
static uint8_t check_segment(const struct virtio_blk *vb, uint32_t type,
			     const struct iovec *iov, unsigned int cnt,
			     struct virtio_blk_discard_write_zeroes *seg)
{
	uint64_t len = iov_size(iov, cnt), sector;
	uint32_t flags, sectors;
	bool zeroes = type == VIRTIO_BLK_T_WRITE_ZEROES;

	if (!(vb->driver_features & 1ULL << (zeroes ? VIRTIO_BLK_F_WRITE_ZEROES
						    : VIRTIO_BLK_F_DISCARD)))
		return VIRTIO_BLK_S_UNSUPP;
	if (len < sizeof(*seg) || len % sizeof(*seg))
		return VIRTIO_BLK_S_IOERR;
	if (len > sizeof(*seg))
		return VIRTIO_BLK_S_UNSUPP;
	iov_to_buf(iov, cnt, 0, seg, sizeof(*seg));
	flags = le32toh(seg->flags);
	sector = le64toh(seg->sector);
	sectors = le32toh(seg->num_sectors);
	/* 5.2.6.2: unknown flags, and unmap on a discard, are UNSUPP. */
	if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
	    (!zeroes && flags))
		return VIRTIO_BLK_S_UNSUPP;
	if (sectors > MAX_DISCARD_SECTORS ||
	    !range_ok(vb, sector, (uint64_t)sectors << SECTOR_SHIFT, zeroes))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static void handle_discard(struct blk_req *req, uint32_t type,
			   struct iovec *iov, unsigned int cnt)
{
	struct virtio_blk_discard_write_zeroes seg;
	uint8_t status = check_segment(req->q->vb, type, iov, cnt, &seg);

	if (status != VIRTIO_BLK_S_OK) {
		finish(req, status);
		return;
	}
	req->written = 0;
	prepare(req, type == VIRTIO_BLK_T_DISCARD ? BLOCK_OP_DISCARD :
						   BLOCK_OP_WRITE_ZEROES,
	       le64toh(seg.sector) << SECTOR_SHIFT,
	       (uint64_t)le32toh(seg.num_sectors) << SECTOR_SHIFT,
	       le32toh(seg.flags) & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	block_submit(req->q->vb->bs, &req->breq);
}

/* Splits the chain into header, data out, data in and the status byte. */
static bool parse(struct blk_req *req, const struct virtq_elem *elem,
		  struct virtio_blk_outhdr *hdr, struct iovec **out,
		  unsigned int *nr_out, struct iovec **in,
		  unsigned int *nr_in)
{
	struct iovec *last;

	if (elem->out_len < HEADER_SIZE || !elem->in_len)
		return false;
	iov_to_buf(elem->iov, elem->nr_out, 0, hdr, HEADER_SIZE);
	last = &elem->iov[elem->nr_out + elem->nr_in - 1];
	req->head = elem->head;
	req->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	*in = elem->iov + elem->nr_out;
	*nr_in = iov_trim(*in, elem->nr_in, 0, 1);
	*out = elem->iov;
	*nr_out = iov_trim(*out, elem->nr_out, HEADER_SIZE, 0);
	return true;
}

static void handle_request(struct blk_req *req, const struct virtq_elem *elem)
{
	struct virtio_blk_outhdr hdr;
	struct iovec *out, *in;
	unsigned int nr_out, nr_in;
	uint32_t type;

	if (!parse(req, elem, &hdr, &out, &nr_out, &in, &nr_in)) {
		virtq_push(req->q->vq, elem->head, 0);
		req->next = req->q->free;
		req->q->free = req;
		broken(req->q->vb);
		return;
	}
	type = le32toh(hdr.type);
	req->written = 0;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		handle_rw(req, BLOCK_OP_READ, le64toh(hdr.sector), in, nr_in);
		break;
	case VIRTIO_BLK_T_OUT:
		handle_rw(req, BLOCK_OP_WRITE, le64toh(hdr.sector), out,
			  nr_out);
		break;
	case VIRTIO_BLK_T_FLUSH:
		prepare(req, BLOCK_OP_FLUSH, 0, 0, false);
		block_submit(req->q->vb->bs, &req->breq);
		break;
	case VIRTIO_BLK_T_GET_ID:
		handle_get_id(req, in, nr_in);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		handle_discard(req, type, out, nr_out);
		break;
	default:
		finish(req, VIRTIO_BLK_S_UNSUPP);
		break;
	}
}

/* --- the I/O thread ------------------------------------------------------ */

/* A free slot, and room in the disk's in-flight budget */
static bool can_take(const struct blk_queue *q)
{
	return q->free && q->vb->inflight_bytes < INFLIGHT_BYTES_MAX;
}

/* Pops until the queue is empty, out of slots or budget, or broken. */
static void serve_available(struct blk_queue *q)
{
	struct virtq_elem elem;
	struct blk_req *req;
	int ret;

	while (!q->vb->broken) {
		if (!can_take(q)) {
			q->starved = true;
			return;
		}
		req = q->free;
		elem.iov = req->iov;
		elem.max_iov = CHAIN_MAX;
		ret = virtq_pop(q->vq, &elem);
		if (ret <= 0) {
			if (ret < 0)
				broken(q->vb);
			return;
		}
		q->free = req->next;
		handle_request(req, &elem);
	}
}

/* Kicks stay off while the queue is drained (virtio 1.2, 2.7.10). */
static void serve_queue(struct blk_queue *q)
{
	q->starved = false;
	do {
		virtq_notify_enable(q->vq, false);
		serve_available(q);
	} while (!q->starved && !q->vb->broken &&
		 virtq_notify_enable(q->vq, true));
}

static void on_kick(struct blk_queue *q)
{
	uint64_t count;

	if (read(virtio_pci_kick_fd(q->vb->vp, q->index), &count,
		 sizeof(count)) < 0 && errno != EAGAIN)
		return;
	serve_queue(q);
}

/* After completions: queues that waited for slots, then interrupts. */
static void after_completions(struct virtio_blk *vb)
{
	struct blk_queue *q;
	unsigned int i;

	for (i = 0; i < vb->ops.num_queues; i++) {
		q = &vb->queues[i];
		if (q->vq && q->starved && can_take(q))
			serve_queue(q);
	}
	for (i = 0; i < vb->ops.num_queues; i++) {
		q = &vb->queues[i];
		if (q->pushed) {
			q->pushed = false;
			if (virtq_should_interrupt(q->vq))
				virtio_pci_interrupt(vb->vp, i);
		}
	}
}

static void dispatch(struct virtio_blk *vb, uint32_t tag)
{
	uint64_t count;

	if (tag == TAG_STOP) {
		if (read(vb->stopfd, &count, sizeof(count)) < 0)
			return;
	} else if (tag == TAG_BLOCK) {
		block_reap(vb->bs);
	} else {
		on_kick(&vb->queues[tag]);
	}
}

static void *io_thread(void *opaque)
{
	struct virtio_blk *vb = opaque;
	struct epoll_event events[MAX_EVENTS];
	int i, n;

	pthread_setname_np(pthread_self(), "virtio-blk");
	sandbox_enter(SANDBOX_BLOCK);
	while (!__atomic_load_n(&vb->stopping, __ATOMIC_ACQUIRE)) {
		n = epoll_wait(vb->epfd, events, MAX_EVENTS, -1);
		block_plug(vb->bs);
		for (i = 0; i < n; i++)
			dispatch(vb, events[i].data.u32);
		block_unplug(vb->bs);
		/* Whatever the kernel finished at submission. */
		block_reap(vb->bs);
		after_completions(vb);
	}
	block_drain(vb->bs);
	return NULL;
}

/* --- start and stop ------------------------------------------------------ */

static int watch(struct virtio_blk *vb, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(vb->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int queue_start(struct virtio_blk *vb, struct blk_queue *q,
		       unsigned int index)
{
	unsigned int size, i;

	q->vb = vb;
	q->index = index;
	q->vq = virtio_pci_queue(vb->vp, index);
	if (!q->vq)
		return 0;
	size = q->vq->size;
	q->slots = calloc(size, sizeof(*q->slots));
	q->iovs = calloc((size_t)size * CHAIN_MAX, sizeof(*q->iovs));
	if (!q->slots || !q->iovs)
		return -1;
	for (i = 0; i < size; i++) {
		q->slots[i].q = q;
		q->slots[i].iov = q->iovs + (size_t)i * CHAIN_MAX;
		q->slots[i].next = q->free;
		q->free = &q->slots[i];
	}
	return watch(vb, virtio_pci_kick_fd(vb->vp, index), index);
}

static void queues_free(struct virtio_blk *vb)
{
	unsigned int i;

	for (i = 0; vb->queues && i < vb->ops.num_queues; i++) {
		free(vb->queues[i].slots);
		free(vb->queues[i].iovs);
	}
	free(vb->queues);
	vb->queues = NULL;
	if (vb->epfd >= 0)
		close(vb->epfd);
	vb->epfd = -1;
}

/* The thread, and the block workers it starts, take no signals. */
static int start_thread(struct virtio_blk *vb)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&vb->thread, NULL, io_thread, vb);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret ? -1 : 0;
}

static int blk_start(void *opaque, struct virtio_pci *vp)
{
	struct virtio_blk *vb = opaque;
	unsigned int i;

	if (vb->shut)
		return -1;
	vb->vp = vp;
	vb->driver_features = virtio_pci_driver_features(vp);
	vb->broken = false;
	vb->stopping = false;
	vb->inflight_bytes = 0;
	vb->epfd = epoll_create1(EPOLL_CLOEXEC);
	vb->queues = calloc(vb->ops.num_queues, sizeof(*vb->queues));
	if (vb->epfd < 0 || !vb->queues)
		goto fail;
	for (i = 0; i < vb->ops.num_queues; i++)
		if (queue_start(vb, &vb->queues[i], i))
			goto fail;
	if (watch(vb, block_event_fd(vb->bs), TAG_BLOCK) ||
	    watch(vb, vb->stopfd, TAG_STOP) || start_thread(vb))
		goto fail;
	vb->running = true;
	return 0;
fail:
	queues_free(vb);
	return -1;
}

static void blk_stop(void *opaque)
{
	struct virtio_blk *vb = opaque;
	uint64_t one = 1;
	ssize_t n;

	if (!vb->running)
		return;
	__atomic_store_n(&vb->stopping, true, __ATOMIC_RELEASE);
	/* Only a full counter fails, and that wakes the thread as well. */
	n = write(vb->stopfd, &one, sizeof(one));
	(void)n;
	pthread_join(vb->thread, NULL);
	vb->running = false;
	queues_free(vb);
}

void virtio_blk_shutdown(struct virtio_blk *vb)
{
	vb->shut = true;
	blk_stop(vb);
}

/* --- the device ---------------------------------------------------------- */

static uint64_t blk_features(void *opaque)
{
	struct virtio_blk *vb = opaque;

	return DEVICE_FEATURES |
	       (block_read_only(vb->bs) ? 1ULL << VIRTIO_BLK_F_RO : 0);
}

static void blk_config_read(void *opaque, uint32_t offset, void *data,
			    uint32_t len)
{
	struct virtio_blk *vb = opaque;

	memcpy(data, (uint8_t *)&vb->config + offset, len);
}

static void fill_config(struct virtio_blk *vb, unsigned int num_queues)
{
	struct virtio_blk_config *c = &vb->config;
	uint32_t sectors_per_block = vb->block_size >> SECTOR_SHIFT;

	c->capacity = htole64(vb->capacity >> SECTOR_SHIFT);
	c->size_max = htole32(SIZE_MAX_BYTES);
	c->seg_max = htole32(SEG_MAX);
	c->blk_size = htole32(vb->block_size);
	c->min_io_size = htole16(1);
	c->num_queues = htole16(num_queues);
	c->max_discard_sectors = htole32(MAX_DISCARD_SECTORS);
	c->max_discard_seg = htole32(1);
	c->discard_sector_alignment = htole32(sectors_per_block);
	c->max_write_zeroes_sectors = htole32(MAX_DISCARD_SECTORS);
	c->max_write_zeroes_seg = htole32(1);
	c->write_zeroes_may_unmap = block_discard_unmap(vb->bs);
}

struct virtio_blk *virtio_blk_create(struct pci_host *host,
				     const struct guest_mem *mem,
				     const struct virtio_blk_params *p,
				     char *err, size_t errlen)
{
	struct virtio_blk *vb = calloc(1, sizeof(*vb));
	uint32_t align = block_alignment(p->bs);

	if (!vb) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vb->bs = p->bs;
	vb->epfd = -1;
	vb->block_size = align > SECTOR_SIZE ? align : SECTOR_SIZE;
	vb->capacity = block_length(p->bs) & ~(uint64_t)(SECTOR_SIZE - 1);
	/* 20 bytes, zero-padded, with no NUL when all are used (5.2.6). */
	if (p->serial)
		memcpy(vb->serial, p->serial,
		       strnlen(p->serial, sizeof(vb->serial)));
	fill_config(vb, p->num_queues);
	vb->ops = (struct virtio_device_ops){
		.name = "virtio-blk-pci",
		.id = p->id,
		.device_id = VIRTIO_ID_BLOCK,
		.num_queues = p->num_queues,
		.queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
		.config_size = sizeof(vb->config),
		.features = blk_features,
		.config_read = blk_config_read,
		.start = blk_start,
		.stop = blk_stop,
	};
	vb->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vb->stopfd < 0) {
		snprintf(err, errlen, "virtio-blk-pci: %s", strerror(errno));
		free(vb);
		return NULL;
	}
	vb->vp = virtio_pci_create(host, mem, p->slot, &vb->ops, vb, err,
				   errlen);
	if (!vb->vp) {
		close(vb->stopfd);
		free(vb);
		return NULL;
	}
	return vb;
}

struct virtio_blk *virtio_blk_new(struct machine *m,
				  const struct virtio_blk_params *p,
				  char *err, size_t errlen)
{
	return virtio_blk_create(m->pci, &m->mem, p, err, errlen);
}
