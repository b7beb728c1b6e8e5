// SPDX-License-Identifier: MIT
/*
 * The virtio 1.x PCI transport (virtio 1.2, 4.1).
 *
 * Locks: vp->lock serialises the driver's register accesses (common and
 * device configuration) and resets; vp->irq_lock pairs the ISR with the
 * INTx# level so a read that clears the ISR cannot lower a line a new
 * interrupt just raised.  Device threads never take vp->lock: the status
 * byte, vectors and queue state they read are atomics or fixed while the
 * device runs (queues change only before DRIVER_OK and after ops->stop).
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#define VIRTIO_PCI_NO_LEGACY
#include <linux/virtio_pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmlite/machine.h"
#include "kvmlite/pci.h"
#include "kvmlite/virtio_pci.h"
#include "kvmlite/virtqueue.h"

#define PAGE_SIZE		0x1000ULL
#define ISR_SIZE		1
#define ISR_QUEUE		0x1
#define ISR_CONFIG		VIRTIO_PCI_ISR_CONFIG
#define NOTIFY_WIDTH		2	/* the driver writes a 16-bit index */
#define TRANSPORT_FEATURES	(1ULL << VIRTIO_F_VERSION_1 | \
				 1ULL << VIRTIO_F_INDIRECT_DESC | \
				 1ULL << VIRTIO_F_RING_EVENT_IDX)

#define CFG_CAP_DATA	offsetof(struct virtio_pci_cfg_cap, pci_cfg_data)

struct queue {
	struct virtq vq;
	bool enabled;
	bool kick_bound;	/* a KVM ioeventfd signals kick_fd */
	uint16_t size;
	uint16_t vector;
	uint64_t desc, driver, device;
	int kick_fd;
};

struct virtio_pci {
	struct pci_dev pci;
	const struct virtio_device_ops *ops;
	void *opaque;
	const struct guest_mem *mem;
	pthread_mutex_t lock;
	pthread_mutex_t irq_lock;

	uint64_t device_features;
	uint64_t driver_features;
	uint32_t device_feature_select;
	uint32_t driver_feature_select;
	uint16_t config_vector;
	uint16_t queue_select;
	uint8_t status;
	uint8_t isr;
	unsigned int nr_vectors;
	uint64_t notify_base;	/* where the kicks are bound */
	uint8_t cfg_cap;	/* the PCI configuration access capability */
	struct queue *queues;
};

/* The common configuration fields (4.1.4.3), without gaps. */
static const struct {
	uint8_t offset, size;
} common_fields[] = {
	{ VIRTIO_PCI_COMMON_DFSELECT, 4 },
	{ VIRTIO_PCI_COMMON_DF, 4 },
	{ VIRTIO_PCI_COMMON_GFSELECT, 4 },
	{ VIRTIO_PCI_COMMON_GF, 4 },
	{ VIRTIO_PCI_COMMON_MSIX, 2 },
	{ VIRTIO_PCI_COMMON_NUMQ, 2 },
	{ VIRTIO_PCI_COMMON_STATUS, 1 },
	{ VIRTIO_PCI_COMMON_CFGGENERATION, 1 },
	{ VIRTIO_PCI_COMMON_Q_SELECT, 2 },
	{ VIRTIO_PCI_COMMON_Q_SIZE, 2 },
	{ VIRTIO_PCI_COMMON_Q_MSIX, 2 },
	{ VIRTIO_PCI_COMMON_Q_ENABLE, 2 },
	{ VIRTIO_PCI_COMMON_Q_NOFF, 2 },
	{ VIRTIO_PCI_COMMON_Q_DESCLO, 8 },
	{ VIRTIO_PCI_COMMON_Q_AVAILLO, 8 },
	{ VIRTIO_PCI_COMMON_Q_USEDLO, 8 },
};

static uint8_t load_status(struct virtio_pci *vp)
{
	return __atomic_load_n(&vp->status, __ATOMIC_ACQUIRE);
}

static bool is_power_of_2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static struct queue *selected_queue(struct virtio_pci *vp)
{
	if (vp->queue_select >= vp->ops->num_queues)
		return NULL;
	return &vp->queues[vp->queue_select];
}

/* A vector the driver may use, or NO_VECTOR (4.1.5.1.2). */
static uint16_t checked_vector(struct virtio_pci *vp, uint64_t vector)
{
	return vector < vp->nr_vectors ? vector : VIRTIO_PCI_NO_VECTOR;
}

static void raise_isr(struct virtio_pci *vp, uint8_t bit)
{
	pthread_mutex_lock(&vp->irq_lock);
	vp->isr |= bit;
	pci_set_irq(&vp->pci, 1);
	pthread_mutex_unlock(&vp->irq_lock);
}

static void notify(struct virtio_pci *vp, const uint16_t *vector,
		   uint8_t isr_bit)
{
	uint16_t v;

	if (!pci_msix_enabled(&vp->pci)) {
		raise_isr(vp, isr_bit);
		return;
	}
	v = __atomic_load_n(vector, __ATOMIC_RELAXED);
	if (v != VIRTIO_PCI_NO_VECTOR)
		pci_msix_notify(&vp->pci, v);
}

void virtio_pci_interrupt(struct virtio_pci *vp, unsigned int index)
{
	if (index < vp->ops->num_queues)
		notify(vp, &vp->queues[index].vector, ISR_QUEUE);
}

void virtio_pci_needs_reset(struct virtio_pci *vp)
{
	uint8_t old = __atomic_fetch_or(&vp->status,
					VIRTIO_CONFIG_S_NEEDS_RESET,
					__ATOMIC_ACQ_REL);

	/* 2.1.2: a running driver is told through a config change. */
	if ((old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_NEEDS_RESET))
		notify(vp, &vp->config_vector, ISR_CONFIG);
}

struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned int index)
{
	if (index >= vp->ops->num_queues || !vp->queues[index].enabled)
		return NULL;
	return &vp->queues[index].vq;
}

int virtio_pci_kick_fd(struct virtio_pci *vp, unsigned int index)
{
	return index < vp->ops->num_queues ? vp->queues[index].kick_fd : -1;
}

uint64_t virtio_pci_driver_features(struct virtio_pci *vp)
{
	return vp->driver_features;
}

static void reset_queue(struct virtio_pci *vp, struct queue *q)
{
	if (q->enabled)
		virtq_disable(&q->vq);
	q->enabled = false;
	q->size = vp->ops->queue_max_size;
	__atomic_store_n(&q->vector, VIRTIO_PCI_NO_VECTOR, __ATOMIC_RELAXED);
	q->desc = q->driver = q->device = 0;
}

/* Status 0 or machine reset: back to the state at power-on (2.4). */
static void reset_device(struct virtio_pci *vp)
{
	unsigned int i;

	vp->ops->stop(vp->opaque);
	for (i = 0; i < vp->ops->num_queues; i++)
		reset_queue(vp, &vp->queues[i]);
	vp->driver_features = 0;
	vp->device_feature_select = 0;
	vp->driver_feature_select = 0;
	vp->queue_select = 0;
	__atomic_store_n(&vp->config_vector, VIRTIO_PCI_NO_VECTOR,
			 __ATOMIC_RELAXED);
	pthread_mutex_lock(&vp->irq_lock);
	vp->isr = 0;
	pci_set_irq(&vp->pci, 0);
	pthread_mutex_unlock(&vp->irq_lock);
	__atomic_store_n(&vp->status, 0, __ATOMIC_RELEASE);
}

static bool features_acceptable(struct virtio_pci *vp)
{
	return !(vp->driver_features & ~vp->device_features) &&
	       (vp->driver_features & 1ULL << VIRTIO_F_VERSION_1);
}

static void start_device(struct virtio_pci *vp)
{
	if (vp->ops->start(vp->opaque, vp))
		virtio_pci_needs_reset(vp);
}

/*
 * The driver only adds status bits (2.1); FEATURES_OK sticks only for an
 * acceptable feature set (3.1.1), DRIVER_OK only after FEATURES_OK.
 */
static void write_status(struct virtio_pci *vp, uint8_t val)
{
	uint8_t old = load_status(vp);
	uint8_t new = val & ~old & ~VIRTIO_CONFIG_S_NEEDS_RESET;

	if (!val) {
		reset_device(vp);
		return;
	}
	if ((new & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(vp))
		new &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((new & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !((old | new) & VIRTIO_CONFIG_S_FEATURES_OK))
		new &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	old = __atomic_fetch_or(&vp->status, new, __ATOMIC_ACQ_REL);
	if ((new & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_NEEDS_RESET))
		start_device(vp);
}

static bool driver_has(struct virtio_pci *vp, unsigned int bit)
{
	return vp->driver_features & 1ULL << bit;
}

/* Queues are set up between FEATURES_OK and DRIVER_OK (3.1.1). */
static void enable_queue(struct virtio_pci *vp, struct queue *q)
{
	uint8_t status = load_status(vp);

	if (q->enabled)
		return;
	if (!(status & VIRTIO_CONFIG_S_FEATURES_OK) ||
	    (status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    !is_power_of_2(q->size) || q->size > vp->ops->queue_max_size ||
	    virtq_enable(&q->vq, vp->mem, q->size, q->desc, q->driver,
			 q->device, driver_has(vp, VIRTIO_F_RING_EVENT_IDX),
			 driver_has(vp, VIRTIO_F_INDIRECT_DESC))) {
		virtio_pci_needs_reset(vp);
		return;
	}
	q->enabled = true;
}

static uint64_t read_queue_field(struct virtio_pci *vp, unsigned int field)
{
	struct queue *q = selected_queue(vp);

	if (!q)
		return 0;	/* queue_size 0: no such queue */
	switch (field) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return q->size;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q->vector;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return q->enabled;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return vp->queue_select;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		return q->desc;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		return q->driver;
	default:
		return q->device;
	}
}

static uint64_t read_field(struct virtio_pci *vp, unsigned int field)
{
	switch (field) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return vp->device_feature_select;
	case VIRTIO_PCI_COMMON_DF:
		return vp->device_feature_select < 2 ?
		       (uint32_t)(vp->device_features >>
				  (32 * vp->device_feature_select)) : 0;
	case VIRTIO_PCI_COMMON_GFSELECT:
		return vp->driver_feature_select;
	case VIRTIO_PCI_COMMON_GF:
		return vp->driver_feature_select < 2 ?
		       (uint32_t)(vp->driver_features >>
				  (32 * vp->driver_feature_select)) : 0;
	case VIRTIO_PCI_COMMON_MSIX:
		return vp->config_vector;
	case VIRTIO_PCI_COMMON_NUMQ:
		return vp->ops->num_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		return load_status(vp);
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return 0;	/* the device configuration never changes */
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return vp->queue_select;
	default:
		return read_queue_field(vp, field);
	}
}

static void write_driver_features(struct virtio_pci *vp, uint32_t val)
{
	unsigned int shift = 32 * vp->driver_feature_select;

	if (vp->driver_feature_select >= 2 ||
	    (load_status(vp) & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	vp->driver_features &= ~(0xffffffffULL << shift);
	vp->driver_features |= (uint64_t)val << shift;
}

/* Ring addresses and size are fixed once the queue is enabled. */
static void write_queue_field(struct virtio_pci *vp, unsigned int field,
			      uint64_t val)
{
	struct queue *q = selected_queue(vp);

	if (!q)
		return;
	if (field == VIRTIO_PCI_COMMON_Q_MSIX) {
		__atomic_store_n(&q->vector, checked_vector(vp, val),
				 __ATOMIC_RELAXED);
		return;
	}
	if (field == VIRTIO_PCI_COMMON_Q_ENABLE) {
		if (val == 1)
			enable_queue(vp, q);
		return;
	}
	if (q->enabled)
		return;
	switch (field) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		q->size = val;
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		q->desc = val;
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		q->driver = val;
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		q->device = val;
		break;
	}
}

static void write_field(struct virtio_pci *vp, unsigned int field,
			uint64_t val)
{
	switch (field) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->device_feature_select = val;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->driver_feature_select = val;
		break;
	case VIRTIO_PCI_COMMON_GF:
		write_driver_features(vp, val);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		__atomic_store_n(&vp->config_vector, checked_vector(vp, val),
				 __ATOMIC_RELAXED);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		write_status(vp, val);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = val;
		break;
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		break;		/* read-only */
	default:
		write_queue_field(vp, field, val);
	}
}

static int find_field(uint64_t offset)
{
	unsigned int i;

	for (i = 0; i < sizeof(common_fields) / sizeof(common_fields[0]);
	     i++)
		if (offset - common_fields[i].offset < common_fields[i].size &&
		    offset >= common_fields[i].offset)
			return i;
	return -1;
}

/* Any width at any offset reads; a write must stay inside one field. */
static void common_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		      bool is_write)
{
	struct virtio_pci *vp = opaque;
	int f = find_field(offset);
	uint8_t *bytes = data;
	unsigned int shift;
	uint64_t val, mask;
	uint32_t i;

	pthread_mutex_lock(&vp->lock);
	if (!is_write) {
		for (i = 0; i < len; i++) {
			f = find_field(offset + i);
			if (f < 0) {
				bytes[i] = 0;
				continue;
			}
			shift = 8 * (offset + i - common_fields[f].offset);
			bytes[i] = read_field(vp, common_fields[f].offset) >>
				   shift;
		}
	} else if (f >= 0 && offset + len <= common_fields[f].offset +
					       common_fields[f].size) {
		shift = 8 * (offset - common_fields[f].offset);
		mask = (len == 8 ? UINT64_MAX : (1ULL << (8 * len)) - 1)
		       << shift;
		val = 0;
		memcpy(&val, data, len);
		val = (read_field(vp, common_fields[f].offset) & ~mask) |
		      ((le64toh(val) << shift) & mask);
		write_field(vp, common_fields[f].offset, val);
	}
	pthread_mutex_unlock(&vp->lock);
}

static void isr_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		   bool is_write)
{
	struct virtio_pci *vp = opaque;

	if (is_write)
		return;
	memset(data, 0, len);
	if (offset)
		return;
	/* Reading the ISR acknowledges it and lowers INTx# (4.1.4.5). */
	pthread_mutex_lock(&vp->irq_lock);
	*(uint8_t *)data = vp->isr;
	vp->isr = 0;
	pci_set_irq(&vp->pci, 0);
	pthread_mutex_unlock(&vp->irq_lock);
}

static void device_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		      bool is_write)
{
	struct virtio_pci *vp = opaque;
	uint32_t n = offset + len > vp->ops->config_size ?
		     vp->ops->config_size - offset : len;

	pthread_mutex_lock(&vp->lock);
	if (!is_write) {
		memset(data, 0, len);
		vp->ops->config_read(vp->opaque, offset, data, n);
	} else if (vp->ops->config_write) {
		vp->ops->config_write(vp->opaque, offset, data, n);
	}
	pthread_mutex_unlock(&vp->lock);
}

/* Kicks of other widths than KVM's ioeventfd takes land here. */
static void notify_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		      bool is_write)
{
	struct virtio_pci *vp = opaque;
	uint64_t index = offset / VIRTIO_PCI_NOTIFY_MULTIPLIER;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (offset % VIRTIO_PCI_NOTIFY_MULTIPLIER == 0 &&
	    index < vp->ops->num_queues)
		eventfd_write(vp->queues[index].kick_fd, 1);
}

static void unbind_kicks(struct virtio_pci *vp)
{
	const struct pci_platform *plat = pci_host_platform(vp->pci.host);
	unsigned int i;

	for (i = 0; i < vp->ops->num_queues; i++) {
		struct queue *q = &vp->queues[i];
		uint64_t addr = vp->notify_base +
				i * VIRTIO_PCI_NOTIFY_MULTIPLIER;

		if (q->kick_bound)
			plat->ioeventfd(plat->opaque, addr, NOTIFY_WIDTH,
					q->kick_fd, false);
		q->kick_bound = false;
	}
	vp->notify_base = PCI_BAR_UNMAPPED;
}

/* Binds each queue's notify address to its kick eventfd in KVM. */
static void bind_kicks(struct virtio_pci *vp, uint64_t base)
{
	const struct pci_platform *plat = pci_host_platform(vp->pci.host);
	unsigned int i;

	vp->notify_base = base;
	if (!plat->ioeventfd)
		return;
	for (i = 0; i < vp->ops->num_queues; i++) {
		struct queue *q = &vp->queues[i];
		uint64_t addr = base + i * VIRTIO_PCI_NOTIFY_MULTIPLIER;

		q->kick_bound = !plat->ioeventfd(plat->opaque, addr,
						 NOTIFY_WIDTH, q->kick_fd,
						 true);
	}
}

static void bar_moved(struct pci_dev *dev, unsigned int bar, uint64_t addr)
{
	struct virtio_pci *vp = dev->opaque;

	if (bar != VIRTIO_PCI_BAR)
		return;
	unbind_kicks(vp);
	if (addr != PCI_BAR_UNMAPPED)
		bind_kicks(vp, addr + VIRTIO_PCI_NOTIFY_OFFSET);
}

/*
 * The configuration access window (4.1.4.9): an access to pci_cfg_data
 * is an access of cap.length bytes at cap.offset of BAR cap.bar.
 */
static void cfg_window(struct virtio_pci *vp, bool is_write)
{
	uint8_t *cap = vp->pci.config + vp->cfg_cap;
	uint8_t *window = cap + CFG_CAP_DATA;
	uint32_t offset = pci_get32(cap + VIRTIO_PCI_CAP_OFFSET);
	uint32_t len = pci_get32(cap + VIRTIO_PCI_CAP_LENGTH);
	uint8_t buf[4] = { 0 };

	if ((len != 1 && len != 2 && len != 4) || offset % len)
		return;
	if (is_write) {
		pci_bar_access(&vp->pci, cap[VIRTIO_PCI_CAP_BAR], offset,
			       window, len, true);
		return;
	}
	pci_bar_access(&vp->pci, cap[VIRTIO_PCI_CAP_BAR], offset, buf, len,
		       false);
	memcpy(window, buf, len);
}

static void config_read(struct pci_dev *dev, uint32_t offset, uint32_t len)
{
	struct virtio_pci *vp = dev->opaque;

	if (pci_overlaps(offset, len, vp->cfg_cap + CFG_CAP_DATA, 4))
		cfg_window(vp, false);
}

static void config_write(struct pci_dev *dev, uint32_t offset, uint32_t len)
{
	struct virtio_pci *vp = dev->opaque;

	if (pci_overlaps(offset, len, vp->cfg_cap + CFG_CAP_DATA, 4))
		cfg_window(vp, true);
}

static void pci_reset(struct pci_dev *dev)
{
	struct virtio_pci *vp = dev->opaque;

	pthread_mutex_lock(&vp->lock);
	reset_device(vp);
	pthread_mutex_unlock(&vp->lock);
}

static const struct pci_dev_ops virtio_pci_dev_ops = {
	.config_read = config_read,
	.config_write = config_write,
	.bar_moved = bar_moved,
	.reset = pci_reset,
};

static uint64_t page_align(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static uint64_t msix_pba_offset(const struct virtio_pci *vp)
{
	return VIRTIO_PCI_MSIX_OFFSET +
	       page_align(pci_msix_table_size(vp->nr_vectors));
}

static uint64_t bar_size(const struct virtio_pci *vp)
{
	uint64_t end = msix_pba_offset(vp) + pci_msix_pba_size(vp->nr_vectors);
	uint64_t size = PAGE_SIZE;

	while (size < end)
		size <<= 1;
	return size;
}

/* A virtio structure capability (4.1.4) pointing into the BAR. */
static int add_virtio_cap(struct virtio_pci *vp, uint8_t type, uint8_t len,
			  uint32_t offset, uint32_t size)
{
	int cap = pci_add_capability(&vp->pci, PCI_CAP_ID_VNDR, len);
	uint8_t *c = vp->pci.config + cap;

	if (cap < 0)
		return -1;
	c[VIRTIO_PCI_CAP_LEN] = len;
	c[VIRTIO_PCI_CAP_CFG_TYPE] = type;
	c[VIRTIO_PCI_CAP_BAR] = VIRTIO_PCI_BAR;
	pci_put32(c + VIRTIO_PCI_CAP_OFFSET, offset);
	pci_put32(c + VIRTIO_PCI_CAP_LENGTH, size);
	return cap;
}

static int add_caps(struct virtio_pci *vp)
{
	uint32_t notify_size = vp->ops->num_queues *
			       VIRTIO_PCI_NOTIFY_MULTIPLIER;
	int notify, cfg;

	if (add_virtio_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG,
			   sizeof(struct virtio_pci_cap),
			   VIRTIO_PCI_COMMON_OFFSET,
			   VIRTIO_PCI_COMMON_SIZE) < 0)
		return -1;
	notify = add_virtio_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG,
				sizeof(struct virtio_pci_notify_cap),
				VIRTIO_PCI_NOTIFY_OFFSET, notify_size);
	if (notify < 0 ||
	    add_virtio_cap(vp, VIRTIO_PCI_CAP_ISR_CFG,
			   sizeof(struct virtio_pci_cap),
			   VIRTIO_PCI_ISR_OFFSET, ISR_SIZE) < 0 ||
	    (vp->ops->config_size &&
	     add_virtio_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG,
			    sizeof(struct virtio_pci_cap),
			    VIRTIO_PCI_DEVICE_OFFSET,
			    vp->ops->config_size) < 0))
		return -1;
	pci_put32(vp->pci.config + notify + VIRTIO_PCI_NOTIFY_CAP_MULT,
		  VIRTIO_PCI_NOTIFY_MULTIPLIER);
	cfg = add_virtio_cap(vp, VIRTIO_PCI_CAP_PCI_CFG,
			     sizeof(struct virtio_pci_cfg_cap), 0, 0);
	if (cfg < 0)
		return -1;
	/* The driver programs bar, offset, length and the data window. */
	vp->cfg_cap = cfg;
	vp->pci.wmask[cfg + VIRTIO_PCI_CAP_BAR] = 0xff;
	memset(vp->pci.wmask + cfg + VIRTIO_PCI_CAP_OFFSET, 0xff, 12);
	return pci_msix_init(&vp->pci, vp->nr_vectors, VIRTIO_PCI_BAR,
			     VIRTIO_PCI_MSIX_OFFSET, msix_pba_offset(vp));
}

static int add_bar(struct virtio_pci *vp)
{
	const struct pci_region regions[] = {
		{ VIRTIO_PCI_COMMON_OFFSET, VIRTIO_PCI_COMMON_SIZE, common_io,
		  vp, "virtio-common" },
		{ VIRTIO_PCI_ISR_OFFSET, ISR_SIZE, isr_io, vp, "virtio-isr" },
		{ VIRTIO_PCI_NOTIFY_OFFSET,
		  vp->ops->num_queues * VIRTIO_PCI_NOTIFY_MULTIPLIER,
		  notify_io, vp, "virtio-notify" },
		{ VIRTIO_PCI_DEVICE_OFFSET, vp->ops->config_size, device_io,
		  vp, "virtio-device" },
	};
	/* The device region goes last: it is absent without a config. */
	unsigned int i, n = vp->ops->config_size ? 4 : 3;

	if (pci_dev_add_bar(&vp->pci, VIRTIO_PCI_BAR, PCI_BAR_MEM64,
			    bar_size(vp)))
		return -1;
	for (i = 0; i < n; i++)
		if (pci_bar_add_region(&vp->pci, VIRTIO_PCI_BAR, &regions[i]))
			return -1;
	return 0;
}

static bool ops_valid(const struct virtio_device_ops *ops)
{
	return ops->num_queues && ops->num_queues <= VIRTIO_PCI_MAX_QUEUES &&
	       is_power_of_2(ops->queue_max_size) &&
	       ops->queue_max_size <= VIRTQ_MAX_SIZE &&
	       ops->config_size <= VIRTIO_PCI_MAX_CONFIG &&
	       (!ops->config_size || ops->config_read) && ops->features &&
	       ops->start && ops->stop;
}

/* PCI class codes of the device types guests look for by class. */
static uint32_t class_code(uint16_t device_id)
{
	switch (device_id) {
	case 1:
		return 0x020000;	/* Ethernet controller */
	case 2:
		return 0x010000;	/* SCSI storage controller */
	default:
		return 0xff0000;	/* unassigned class */
	}
}

static void init_pci(struct virtio_pci *vp)
{
	const struct pci_ids ids = {
		.vendor = VIRTIO_PCI_VENDOR,
		.device = VIRTIO_PCI_DEVICE_BASE + vp->ops->device_id,
		.subsys_vendor = PCI_SUBSYS_VENDOR,
		.subsys_device = PCI_SUBSYS_DEVICE,
		.class_code = class_code(vp->ops->device_id),
		.revision = VIRTIO_PCI_REVISION,
		.irq_pin = 1,
	};

	pci_dev_init(&vp->pci, &ids, vp->ops->name ? vp->ops->name :
		     "virtio-pci", &virtio_pci_dev_ops, vp);
	vp->pci.id = vp->ops->id;
}

static int init_queues(struct virtio_pci *vp)
{
	unsigned int i;

	vp->queues = calloc(vp->ops->num_queues, sizeof(*vp->queues));
	if (!vp->queues)
		return -1;
	for (i = 0; i < vp->ops->num_queues; i++)
		vp->queues[i].kick_fd = -1;
	for (i = 0; i < vp->ops->num_queues; i++) {
		vp->queues[i].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vp->queues[i].kick_fd < 0)
			return -1;
		reset_queue(vp, &vp->queues[i]);
	}
	return 0;
}

static void free_vp(struct virtio_pci *vp)
{
	unsigned int i;

	for (i = 0; vp->queues && i < vp->ops->num_queues; i++)
		if (vp->queues[i].kick_fd >= 0)
			close(vp->queues[i].kick_fd);
	free(vp->queues);
	free(vp);
}

struct virtio_pci *virtio_pci_create(struct pci_host *host,
				     const struct guest_mem *mem, int slot,
				     const struct virtio_device_ops *ops,
				     void *opaque, char *err, size_t errlen)
{
	struct virtio_pci *vp;

	if (!ops_valid(ops)) {
		snprintf(err, errlen, "%s: invalid virtio device description",
			 ops->name ? ops->name : "virtio-pci");
		return NULL;
	}
	vp = calloc(1, sizeof(*vp));
	if (!vp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vp->ops = ops;
	vp->opaque = opaque;
	vp->mem = mem;
	vp->device_features = ops->features(opaque) | TRANSPORT_FEATURES;
	vp->nr_vectors = ops->num_queues + 1;
	vp->notify_base = PCI_BAR_UNMAPPED;
	vp->config_vector = VIRTIO_PCI_NO_VECTOR;
	pthread_mutex_init(&vp->lock, NULL);
	pthread_mutex_init(&vp->irq_lock, NULL);
	init_pci(vp);
	if (init_queues(vp) || add_bar(vp) || add_caps(vp)) {
		snprintf(err, errlen, "%s: cannot set up the virtio device: "
			 "%s", vp->pci.name, strerror(errno));
		free_vp(vp);
		return NULL;
	}
	if (pci_host_attach(host, &vp->pci, slot, err, errlen)) {
		free_vp(vp);
		return NULL;
	}
	return vp;
}

struct virtio_pci *virtio_pci_new(struct machine *m, int slot,
				  const struct virtio_device_ops *ops,
				  void *opaque, char *err, size_t errlen)
{
	return virtio_pci_create(m->pci, &m->mem, slot, ops, opaque, err,
				 errlen);
}
