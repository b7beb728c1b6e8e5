// SPDX-License-Identifier: MIT
/*
 * Split virtqueues, device side (virtio 1.2, 2.7).
 *
 * The driver runs concurrently on other CPUs and may be hostile, so:
 * - ring fields are read with single atomic loads and descriptors are
 *   snapshotted before they are checked, so a value cannot change between
 *   its check and its use;
 * - avail->idx is loaded with acquire ordering before the ring entries and
 *   descriptors it publishes, and used->idx is stored with release
 *   ordering after the used entry it publishes;
 * - a full fence separates our writes that the driver acts on (used->idx,
 *   avail_event, used->flags) from our reads of its matching state
 *   (used_event, avail->flags, avail->idx): both sides store then load,
 *   and without the fence each could miss the other's store.
 */
#include <endian.h>
#include <string.h>

#include "kvmlite/memory.h"
#include "kvmlite/virtqueue.h"

/* Guest memory layouts of 2.7; every field is little-endian. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* size entries, then used_event */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];	/* size entries, then avail_event */
};

#define DESC_SIZE	sizeof(struct virtq_desc)

/* The state of one chain walk. */
struct chain {
	struct virtq_elem *elem;
	unsigned int descs;	/* buffer descriptors seen so far */
	bool writable;		/* a device-writable buffer was seen */
};

static uint16_t load16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static void store16(uint16_t *p, uint16_t val)
{
	__atomic_store_n(p, htole16(val), __ATOMIC_RELAXED);
}

static uint16_t *used_event(const struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *avail_event(const struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

static int mark_broken(struct virtq *vq)
{
	vq->broken = true;
	return -1;
}

int virtq_enable(struct virtq *vq, const struct guest_mem *mem, uint16_t size,
		 uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa,
		 bool event_idx, bool indirect)
{
	memset(vq, 0, sizeof(*vq));
	vq->broken = true;
	/* A 16-bit power of two is at most VIRTQ_MAX_SIZE. */
	if (!size || (size & (size - 1)))
		return -1;
	/* 2.7: the alignments the driver must honour; atomics rely on them. */
	if (desc_gpa % 16 || avail_gpa % 2 || used_gpa % 4)
		return -1;
	vq->desc = guest_ptr(mem, desc_gpa, (uint64_t)DESC_SIZE * size);
	vq->avail = guest_ptr(mem, avail_gpa, 6 + 2ULL * size);
	vq->used = guest_ptr(mem, used_gpa,
			     6 + sizeof(struct virtq_used_elem) * size);
	if (!vq->desc || !vq->avail || !vq->used)
		return -1;
	vq->mem = mem;
	vq->size = size;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->notify = true;
	vq->broken = false;
	return 0;
}

void virtq_disable(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
	vq->broken = true;
}

/* Chains the driver made available that were not popped yet. */
static uint16_t avail_pending(const struct virtq *vq)
{
	/* Acquire: what idx publishes is read after idx. */
	uint16_t idx = le16toh(__atomic_load_n(&vq->avail->idx,
					       __ATOMIC_ACQUIRE));

	return idx - vq->last_avail_idx;
}

/*
 * Asks for a kick on the next chain made available, then looks again: a
 * driver that published a chain before it could see our request does not
 * kick for it.
 */
static uint16_t request_kick(struct virtq *vq)
{
	if (vq->event_idx)
		store16(avail_event(vq), vq->last_avail_idx);
	else
		store16(&vq->used->flags, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return avail_pending(vq);
}

/*
 * Copies descriptor @i of @table: the guest may rewrite the table at any
 * time, so only the copy is checked and used.
 */
static void read_desc(const uint8_t *table, unsigned int i,
		      struct virtq_desc *d)
{
	memcpy(d, table + (size_t)i * DESC_SIZE, DESC_SIZE);
	/* Forbids the compiler to read the guest's copy again instead. */
	__asm__ __volatile__("" : : : "memory");
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

static int add_buffer(const struct virtq *vq, struct chain *c,
		      const struct virtq_desc *d)
{
	struct virtq_elem *elem = c->elem;
	bool write = d->flags & VIRTQ_DESC_F_WRITE;
	unsigned int n = elem->nr_out + elem->nr_in;
	void *host;

	/*
	 * Every buffer counts against the queue size, so loops end here and
	 * a queue-sized iov array always suffices.
	 */
	if (++c->descs > vq->size)
		return -1;
	if (c->writable && !write)
		return -1;
	c->writable = write;
	if (elem->out_len + elem->in_len + d->len > VIRTQ_MAX_CHAIN_LEN)
		return -1;
	if (!d->len)
		return 0;
	host = guest_ptr(vq->mem, d->addr, d->len);
	if (!host || n >= elem->max_iov)
		return -1;
	elem->iov[n].iov_base = host;
	elem->iov[n].iov_len = d->len;
	if (write) {
		elem->nr_in++;
		elem->in_len += d->len;
	} else {
		elem->nr_out++;
		elem->out_len += d->len;
	}
	return 0;
}

/*
 * Switches the walk to the indirect table @d refers to: it holds at most a
 * queue's worth of descriptors and lies wholly in RAM.
 */
static int enter_indirect(const struct virtq *vq, const struct virtq_desc *d,
			  const uint8_t **table, unsigned int *entries)
{
	if (!vq->indirect || (d->flags & VIRTQ_DESC_F_NEXT))
		return -1;
	if (!d->len || d->len % DESC_SIZE || d->len / DESC_SIZE > vq->size)
		return -1;
	*table = guest_ptr(vq->mem, d->addr, d->len);
	*entries = d->len / DESC_SIZE;
	return *table ? 0 : -1;
}

/*
 * Follows the chain from descriptor @head: zero or more descriptors of the
 * main table, possibly ending in one indirect table (2.7.5.3.2).
 */
static int walk_chain(const struct virtq *vq, struct chain *c, uint16_t head)
{
	const uint8_t *table = (const uint8_t *)vq->desc;
	unsigned int entries = vq->size, i = head;
	bool indirect = false;
	struct virtq_desc d;

	for (;;) {
		read_desc(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* Only one table per chain, never nested. */
			if (indirect || enter_indirect(vq, &d, &table,
						       &entries) < 0)
				return -1;
			indirect = true;
			i = 0;
			continue;
		}
		if (add_buffer(vq, c, &d) < 0)
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= entries)
			return -1;
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_elem *elem)
{
	struct chain c = { .elem = elem };
	uint16_t pending, head;

	if (vq->broken)
		return -1;
	pending = avail_pending(vq);
	/*
	 * Re-arming the kick on an empty ring lets a device simply pop until
	 * empty and then wait for a kick.
	 */
	if (!pending && vq->notify && vq->event_idx)
		pending = request_kick(vq);
	if (!pending)
		return 0;
	if (pending > vq->size)
		return mark_broken(vq);
	head = load16(&vq->avail->ring[vq->last_avail_idx & (vq->size - 1)]);
	if (head >= vq->size)
		return mark_broken(vq);
	elem->head = head;
	elem->nr_out = elem->nr_in = 0;
	elem->out_len = elem->in_len = 0;
	if (walk_chain(vq, &c, head) < 0)
		return mark_broken(vq);
	vq->last_avail_idx++;
	return 1;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	struct virtq_used_elem *e;

	if (vq->broken)
		return;
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&e->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(written), __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the entry is visible before the index that publishes it. */
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx),
			 __ATOMIC_RELEASE);
	/* Saturates: past 65535 pushes every used_event was crossed. */
	if (vq->unsignalled <= UINT16_MAX)
		vq->unsignalled++;
}

/* Did the used index move across @event, going from @old to @new? */
static bool crossed(uint16_t event, uint16_t new, uint16_t old)
{
	/* The entries written were old .. new - 1, modulo 2^16. */
	return (uint16_t)(event - old) < (uint16_t)(new - old);
}

bool virtq_should_interrupt(struct virtq *vq)
{
	uint32_t pushed = vq->unsignalled;
	uint16_t old = vq->used_idx - pushed;

	if (vq->broken || !pushed)
		return false;
	vq->unsignalled = 0;
	/* used->idx must be visible before we read whether the driver waits. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(&vq->avail->flags) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (pushed > UINT16_MAX)
		return true;
	return crossed(load16(used_event(vq)), vq->used_idx, old);
}

bool virtq_notify_enable(struct virtq *vq, bool enable)
{
	if (vq->broken)
		return false;
	vq->notify = enable;
	if (enable)
		return request_kick(vq) != 0;
	/*
	 * With EVENT_IDX, flags must stay 0 (2.7.10); avail_event is left
	 * behind the driver's index, which therefore does not cross it again.
	 */
	if (!vq->event_idx)
		store16(&vq->used->flags, VIRTQ_USED_F_NO_NOTIFY);
	return avail_pending(vq) != 0;
}
