// SPDX-License-Identifier: MIT
/*
 * The virtio 1.2 modern PCI transport and split virtqueues, as a driver
 * that does one thing at a time: every request is waited for before the
 * caller goes on, so the rings never fill and descriptors are handed out
 * in order.
 */
#include "guest.h"
#include "clock.h"
#include "irq.h"
#include "virtio.h"

#define STR(x)			#x
#define XSTR(x)			STR(x)

#define PAGE_SIZE		4096
#define FOUR_GIB		(1ULL << 32)
#define LAPIC_EOI_ADDR		0xfee000b0
#define MSI_ADDRESS		0xfee00000	/* to APIC ID 0 */

/* struct virtio_pci_cap, in PCI configuration space */
#define VIRTIO_CAP_CFG_TYPE	3
#define VIRTIO_CAP_BAR		4
#define VIRTIO_CAP_OFFSET	8
#define VIRTIO_CAP_LENGTH	12
#define VIRTIO_CAP_NOTIFY_MULT	16
#define VIRTIO_CAP_COMMON	1
#define VIRTIO_CAP_NOTIFY	2
#define VIRTIO_CAP_ISR		3
#define VIRTIO_CAP_DEVICE	4

#define TRANSITIONAL_FIRST	0x1000
#define TRANSITIONAL_LAST	0x103f

#define MSIX_VECTOR_BASE	IRQ_FREE_VECTOR_BASE
#define INTX_VECTOR		(MSIX_VECTOR_BASE + VIRTIO_IRQ_SLOTS)
#define MSIX_ENTRY_SIZE		16

#define IOAPIC_PINS		24	/* KVM's and QEMU's */

#define RESET_TIMEOUT_US	1000000
#define STATUS_POLL_US		1000
#define CONFIG_READ_TRIES	16

volatile uint32_t virtio_irq_count[VIRTIO_IRQ_SLOTS];
/* The ISR status register the INTx handler reads (and so clears) */
uint64_t virtio_isr_addr;

extern char virtio_msix_entries[], virtio_intx_entry[];

/*
 * An MSI-X vector counts itself in its slot; INTx reads ISR, which
 * lowers the line, and counts the queue and configuration bits it saw.
 * Both then send the local APIC its EOI.
 */
asm(".pushsection .text\n"
    "	.balign 16\n"
    "virtio_msix_entries:\n"
    "	.set slot, 0\n"
    "	.rept " XSTR(VIRTIO_IRQ_SLOTS) "\n"
    "	.org virtio_msix_entries + slot * " XSTR(MSIX_ENTRY_SIZE) "\n"
    "	pushq %rax\n"
    "	movl $slot, %eax\n"
    "	incl virtio_irq_count(,%rax,4)\n"
    "	jmp virtio_eoi\n"
    "	.set slot, slot + 1\n"
    "	.endr\n"
    "virtio_intx_entry:\n"
    "	pushq %rax\n"
    "	movq virtio_isr_addr(%rip), %rax\n"
    "	movzbl (%rax), %eax\n"
    "	testb $" XSTR(VIRTIO_ISR_QUEUE) ", %al\n"
    "	jz 1f\n"
    "	incl virtio_irq_count + 4(%rip)\n"
    "1:	testb $" XSTR(VIRTIO_ISR_CONFIG) ", %al\n"
    "	jz virtio_eoi\n"
    "	incl virtio_irq_count(%rip)\n"
    "virtio_eoi:\n"
    "	xorl %eax, %eax\n"
    "	movabsl %eax, " XSTR(LAPIC_EOI_ADDR) "\n"
    "	popq %rax\n"
    "	iretq\n"
    ".popsection\n");

/* Rings and indirect table of each queue, zeroed when it is set up */
struct virtq_mem {
	struct virtq_desc desc[VIRTQ_MAX_SIZE];
	uint8_t avail[PAGE_SIZE];
	uint8_t used[PAGE_SIZE];
	struct virtq_desc indirect[VIRTQ_INDIRECT_MAX];
};

static struct virtq_mem virtq_mem[VIRTIO_MAX_QUEUES]
	__attribute__((aligned(PAGE_SIZE), section(".noinit")));

_Static_assert(sizeof(struct virtq_desc) * VIRTQ_MAX_SIZE == PAGE_SIZE,
	       "descriptor table size");
_Static_assert(4 + 8 * VIRTQ_MAX_SIZE + 2 <= PAGE_SIZE, "used ring size");

/* Keeps the compiler from moving ring accesses across it. */
static inline void barrier(void)
{
	asm volatile("" : : : "memory");
}

/* x86 orders stores, and loads after loads, but not loads after stores. */
static inline void full_barrier(void)
{
	asm volatile("mfence" : : : "memory");
}

static inline uint16_t read_once16(const uint16_t *p)
{
	return *(const volatile uint16_t *)p;
}

static inline void write_once16(uint16_t *p, uint16_t val)
{
	*(volatile uint16_t *)p = val;
}

static uint16_t common_read16(struct virtio_dev *dev, unsigned int off)
{
	return mmio_read16(dev->common + off);
}

static void common_write16(struct virtio_dev *dev, unsigned int off,
			   uint16_t val)
{
	mmio_write16(dev->common + off, val);
}

static void common_write64(struct virtio_dev *dev, unsigned int off,
			   uint64_t val)
{
	mmio_write32(dev->common + off, val);
	mmio_write32(dev->common + off + 4, val >> 32);
}

struct virtio_match {
	unsigned int type;
	int slot;
};

static bool virtio_match(unsigned int devfn, const void *arg)
{
	const struct virtio_match *m = arg;
	uint16_t device = pci_read16(devfn, PCI_DEVICE_ID);

	if (pci_read16(devfn, PCI_VENDOR_ID) != VIRTIO_PCI_VENDOR)
		return false;
	if (m->slot >= 0 && PCI_SLOT(devfn) != (unsigned int)m->slot)
		return false;
	if (device == VIRTIO_PCI_MODERN_BASE + m->type)
		return true;
	return device >= TRANSITIONAL_FIRST && device <= TRANSITIONAL_LAST &&
	       pci_read16(devfn, PCI_SUBSYSTEM_ID) == m->type;
}

int virtio_pci_find(unsigned int type, int slot)
{
	struct virtio_match m = { .type = type, .slot = slot };

	return pci_find(virtio_match, &m);
}

/*
 * The region a capability describes: BAR address plus offset, identity
 * mapped if the BAR is above the boot code's 4 GiB.
 */
static int map_cap(struct virtio_dev *dev, unsigned int cap, uint64_t *addr,
		   uint32_t *len)
{
	unsigned int bar = pci_read8(dev->devfn, cap + VIRTIO_CAP_BAR);
	uint64_t base;

	if (pci_bar(dev->devfn, bar, &base)) {
		printf("virtio: capability at 0x%x: BAR %u is not an assigned "
		       "memory BAR\n", cap, bar);
		return -1;
	}
	*addr = base + pci_read32(dev->devfn, cap + VIRTIO_CAP_OFFSET);
	*len = pci_read32(dev->devfn, cap + VIRTIO_CAP_LENGTH);
	if (*addr + *len > FOUR_GIB && map_identity(*addr, *len)) {
		printf("virtio: cannot map 0x%lx\n", *addr);
		return -1;
	}
	return 0;
}

/* The first capability of each type wins, as the spec asks. */
static int find_caps(struct virtio_dev *dev)
{
	unsigned int cap = 0, type;
	uint64_t *region[] = {
		[VIRTIO_CAP_COMMON] = &dev->common,
		[VIRTIO_CAP_NOTIFY] = &dev->notify,
		[VIRTIO_CAP_ISR] = &dev->isr,
		[VIRTIO_CAP_DEVICE] = &dev->device,
	};
	uint32_t len;

	while ((cap = pci_find_cap(dev->devfn, PCI_CAP_ID_VENDOR, cap))) {
		type = pci_read8(dev->devfn, cap + VIRTIO_CAP_CFG_TYPE);
		if (type < VIRTIO_CAP_COMMON || type > VIRTIO_CAP_DEVICE ||
		    *region[type])
			continue;
		if (map_cap(dev, cap, region[type], &len))
			return -1;
		if (type == VIRTIO_CAP_NOTIFY)
			dev->notify_mult =
				pci_read32(dev->devfn,
					   cap + VIRTIO_CAP_NOTIFY_MULT);
		if (type == VIRTIO_CAP_DEVICE)
			dev->device_len = len;
	}
	for (type = VIRTIO_CAP_COMMON; type <= VIRTIO_CAP_DEVICE; type++) {
		if (!*region[type]) {
			printf("virtio: no capability of type %u\n", type);
			return -1;
		}
	}
	return 0;
}

static int find_msix(struct virtio_dev *dev)
{
	unsigned int cap = pci_find_cap(dev->devfn, PCI_CAP_ID_MSIX, 0);
	uint32_t table;
	uint64_t base;

	if (!cap)
		return 0;
	table = pci_read32(dev->devfn, cap + PCI_MSIX_TABLE);
	if (pci_bar(dev->devfn, table & PCI_MSIX_BIR, &base)) {
		printf("virtio: MSI-X table BAR %u is not an assigned memory "
		       "BAR\n", table & PCI_MSIX_BIR);
		return -1;
	}
	dev->msix_cap = cap;
	dev->msix_entries = (pci_read16(dev->devfn, cap + PCI_MSIX_CTRL) &
			     PCI_MSIX_CTRL_SIZE) + 1;
	dev->msix_table = base + (table & ~PCI_MSIX_BIR);
	if (dev->msix_table + dev->msix_entries * PCI_MSIX_ENTRY_SIZE >
	    FOUR_GIB)
		map_identity(dev->msix_table,
			     dev->msix_entries * PCI_MSIX_ENTRY_SIZE);
	return 0;
}

int virtio_probe(struct virtio_dev *dev, unsigned int devfn)
{
	uint16_t cmd;

	memset(dev, 0, sizeof(*dev));
	dev->devfn = devfn;
	dev->pci_device = pci_read16(devfn, PCI_DEVICE_ID);
	if (find_caps(dev) || find_msix(dev))
		return -1;
	cmd = pci_read16(devfn, PCI_COMMAND);
	pci_write16(devfn, PCI_COMMAND,
		    cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

uint8_t virtio_status(struct virtio_dev *dev)
{
	return mmio_read8(dev->common + VIRTIO_COMMON_STATUS);
}

void virtio_set_status(struct virtio_dev *dev, uint8_t status)
{
	mmio_write8(dev->common + VIRTIO_COMMON_STATUS, status);
}

bool virtio_reset(struct virtio_dev *dev)
{
	uint64_t start = rdtsc(), limit = tsc_cycles_us(RESET_TIMEOUT_US);

	virtio_set_status(dev, 0);
	while (virtio_status(dev)) {
		if (rdtsc() - start > limit)
			return false;
		cpu_relax();
	}
	dev->nr_queues = 0;
	return true;
}

static uint64_t device_features(struct virtio_dev *dev)
{
	uint64_t features;

	mmio_write32(dev->common + VIRTIO_COMMON_DFSELECT, 0);
	features = mmio_read32(dev->common + VIRTIO_COMMON_DF);
	mmio_write32(dev->common + VIRTIO_COMMON_DFSELECT, 1);
	return features | (uint64_t)mmio_read32(dev->common +
						VIRTIO_COMMON_DF) << 32;
}

int virtio_negotiate(struct virtio_dev *dev, uint64_t wanted)
{
	uint8_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	if (!virtio_reset(dev)) {
		printf("virtio: status 0x%x after reset, expected 0\n",
		       virtio_status(dev));
		return -1;
	}
	virtio_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(dev, status);
	dev->offered = device_features(dev);
	if (!(dev->offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		printf("virtio: VERSION_1 not offered (0x%lx)\n", dev->offered);
		return -1;
	}
	dev->features = dev->offered & wanted;
	mmio_write32(dev->common + VIRTIO_COMMON_GFSELECT, 0);
	mmio_write32(dev->common + VIRTIO_COMMON_GF, dev->features);
	mmio_write32(dev->common + VIRTIO_COMMON_GFSELECT, 1);
	mmio_write32(dev->common + VIRTIO_COMMON_GF, dev->features >> 32);
	virtio_set_status(dev, status | VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_status(dev) & VIRTIO_STATUS_FEATURES_OK)) {
		printf("virtio: features 0x%lx refused, status 0x%x\n",
		       dev->features, virtio_status(dev));
		return -1;
	}
	return 0;
}

static void msix_set_entry(struct virtio_dev *dev, unsigned int entry,
			   unsigned int vector)
{
	uint64_t e = dev->msix_table + entry * PCI_MSIX_ENTRY_SIZE;

	mmio_write32(e + PCI_MSIX_ENTRY_ADDR_LO, MSI_ADDRESS);
	mmio_write32(e + PCI_MSIX_ENTRY_ADDR_HI, 0);
	mmio_write32(e + PCI_MSIX_ENTRY_DATA, vector);
	mmio_write32(e + PCI_MSIX_ENTRY_CTRL, 0);
}

static void msix_enable(struct virtio_dev *dev, bool enable)
{
	unsigned int reg = dev->msix_cap + PCI_MSIX_CTRL;
	uint16_t ctrl = pci_read16(dev->devfn, reg) & ~PCI_MSIX_CTRL_MASKALL;

	if (enable)
		ctrl |= PCI_MSIX_CTRL_ENABLE;
	else
		ctrl &= ~PCI_MSIX_CTRL_ENABLE;
	pci_write16(dev->devfn, reg, ctrl);
}

static unsigned int queue_irq_slot(struct virtio_dev *dev, unsigned int index)
{
	unsigned int slot = 1 + index;

	if (!dev->msix)
		return 1;
	return slot < dev->msix_entries ? slot : dev->msix_entries - 1;
}

static int setup_msix(struct virtio_dev *dev)
{
	unsigned int slot;
	uint16_t vector;

	if (!dev->msix_cap) {
		printf("virtio: no MSI-X capability\n");
		return -1;
	}
	for (slot = 0; slot < VIRTIO_IRQ_SLOTS && slot < dev->msix_entries;
	     slot++)
		msix_set_entry(dev, slot, MSIX_VECTOR_BASE + slot);
	msix_enable(dev, true);
	common_write16(dev, VIRTIO_COMMON_MSIX, VIRTIO_IRQ_SLOT_CONFIG);
	vector = common_read16(dev, VIRTIO_COMMON_MSIX);
	if (vector != VIRTIO_IRQ_SLOT_CONFIG) {
		printf("virtio: config vector reads 0x%x, expected 0\n",
		       vector);
		return -1;
	}
	return 0;
}

static int setup_intx(struct virtio_dev *dev)
{
	uint16_t cmd = pci_read16(dev->devfn, PCI_COMMAND);

	if (pci_intx_route(dev->devfn, &dev->intx)) {
		printf("virtio: no interrupt pin\n");
		return -1;
	}
	if (dev->intx.ioapic_pin >= IOAPIC_PINS) {
		printf("virtio: INTx on I/O APIC pin %u, beyond its %u pins\n",
		       dev->intx.ioapic_pin, IOAPIC_PINS);
		return -1;
	}
	if (dev->msix_cap)
		msix_enable(dev, false);
	pci_write16(dev->devfn, PCI_COMMAND, cmd & ~PCI_COMMAND_INTX_OFF);
	virtio_isr_addr = dev->isr;
	irq_set_gate(INTX_VECTOR, virtio_intx_entry);
	ioapic_route(dev->intx.ioapic_pin, INTX_VECTOR, dev->intx.flags);
	return 0;
}

int virtio_irq_setup(struct virtio_dev *dev, bool msix)
{
	unsigned int slot;

	dev->msix = msix;
	for (slot = 0; slot < VIRTIO_IRQ_SLOTS; slot++) {
		virtio_irq_count[slot] = 0;
		irq_set_gate(MSIX_VECTOR_BASE + slot,
			     virtio_msix_entries + slot * MSIX_ENTRY_SIZE);
	}
	return msix ? setup_msix(dev) : setup_intx(dev);
}

static void virtq_init(struct virtio_dev *dev, struct virtq *vq,
		       unsigned int index, unsigned int size,
		       uint16_t notify_off)
{
	memset(vq, 0, sizeof(*vq));
	vq->dev = dev;
	vq->index = index;
	vq->size = size;
	vq->irq_slot = queue_irq_slot(dev, index);
	vq->notify = dev->notify + (uint64_t)notify_off * dev->notify_mult;
}

int virtq_setup_at(struct virtio_dev *dev, unsigned int index,
		   unsigned int size, uint64_t desc, uint64_t avail,
		   uint64_t used)
{
	struct virtq *vq = &dev->vq[index];
	uint16_t vector;

	if (index >= VIRTIO_MAX_QUEUES)
		return -1;
	common_write16(dev, VIRTIO_COMMON_Q_SELECT, index);
	common_write16(dev, VIRTIO_COMMON_Q_SIZE, size);
	if (dev->msix) {
		common_write16(dev, VIRTIO_COMMON_Q_MSIX,
			       queue_irq_slot(dev, index));
		vector = common_read16(dev, VIRTIO_COMMON_Q_MSIX);
		if (vector != queue_irq_slot(dev, index)) {
			printf("virtio: queue %u vector reads 0x%x\n", index,
			       vector);
			return -1;
		}
	}
	common_write64(dev, VIRTIO_COMMON_Q_DESC, desc);
	common_write64(dev, VIRTIO_COMMON_Q_AVAIL, avail);
	common_write64(dev, VIRTIO_COMMON_Q_USED, used);
	virtq_init(dev, vq, index, size,
		   common_read16(dev, VIRTIO_COMMON_Q_NOFF));
	vq->desc = (struct virtq_desc *)desc;
	vq->avail = (struct virtq_avail *)avail;
	vq->used = (struct virtq_used *)used;
	common_write16(dev, VIRTIO_COMMON_Q_ENABLE, 1);
	if (index >= dev->nr_queues)
		dev->nr_queues = index + 1;
	return 0;
}

int virtq_setup(struct virtio_dev *dev, unsigned int index, unsigned int size)
{
	struct virtq_mem *mem = &virtq_mem[index];
	unsigned int max;

	if (index >= VIRTIO_MAX_QUEUES)
		return -1;
	common_write16(dev, VIRTIO_COMMON_Q_SELECT, index);
	max = common_read16(dev, VIRTIO_COMMON_Q_SIZE);
	if (!max) {
		printf("virtio: queue %u does not exist\n", index);
		return -1;
	}
	if (size > max)
		size = max;
	if (size > VIRTQ_MAX_SIZE)
		size = VIRTQ_MAX_SIZE;
	while (size & (size - 1))
		size &= size - 1;
	memset(mem, 0, sizeof(*mem));
	if (virtq_setup_at(dev, index, size, (uintptr_t)mem->desc,
			   (uintptr_t)mem->avail, (uintptr_t)mem->used))
		return -1;
	dev->vq[index].indirect = mem->indirect;
	return 0;
}

void virtio_driver_ok(struct virtio_dev *dev)
{
	virtio_set_status(dev, virtio_status(dev) | VIRTIO_STATUS_DRIVER_OK);
}

/* Retries while the configuration generation changes under the read. */
static uint64_t config_read(struct virtio_dev *dev, unsigned int off,
			    unsigned int size)
{
	uint64_t addr = dev->device + off, val = 0;
	unsigned int tries;
	uint8_t gen;

	for (tries = 0; tries < CONFIG_READ_TRIES; tries++) {
		gen = mmio_read8(dev->common + VIRTIO_COMMON_CFGGEN);
		if (size == 1)
			val = mmio_read8(addr);
		else if (size == 2)
			val = mmio_read16(addr);
		else if (size == 4)
			val = mmio_read32(addr);
		else
			val = mmio_read32(addr) |
			      (uint64_t)mmio_read32(addr + 4) << 32;
		if (gen == mmio_read8(dev->common + VIRTIO_COMMON_CFGGEN))
			break;
	}
	return val;
}

uint8_t virtio_config_read8(struct virtio_dev *dev, unsigned int off)
{
	return config_read(dev, off, 1);
}

uint16_t virtio_config_read16(struct virtio_dev *dev, unsigned int off)
{
	return config_read(dev, off, 2);
}

uint32_t virtio_config_read32(struct virtio_dev *dev, unsigned int off)
{
	return config_read(dev, off, 4);
}

uint64_t virtio_config_read64(struct virtio_dev *dev, unsigned int off)
{
	return config_read(dev, off, 8);
}

static uint16_t *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static bool used_ready(struct virtq *vq)
{
	return read_once16(&vq->used->idx) != vq->last_used;
}

static void fill_chain(struct virtq_desc *table, unsigned int first,
		       const struct virtio_seg *segs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct virtq_desc *d = &table[first + i];
		bool last = i + 1 == n;

		d->addr = segs[i].addr;
		d->len = segs[i].len;
		d->flags = (segs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
			   (last ? 0 : VIRTQ_DESC_F_NEXT);
		d->next = last ? 0 : first + i + 1;
	}
}

/* @n consecutive descriptors, from the start of the ring if need be */
static uint16_t alloc_descs(struct virtq *vq, unsigned int n)
{
	uint16_t first = vq->next_desc;

	if (first + n > vq->size)
		first = 0;
	vq->next_desc = (first + n) % vq->size;
	return first;
}

int virtq_add(struct virtq *vq, const struct virtio_seg *segs, unsigned int n,
	      bool indirect)
{
	uint16_t head;

	if (!n || (indirect && (!vq->indirect || n > VIRTQ_INDIRECT_MAX)) ||
	    (!indirect && n > vq->size))
		return -1;
	if (indirect) {
		fill_chain(vq->indirect, 0, segs, n);
		head = alloc_descs(vq, 1);
		vq->desc[head].addr = (uintptr_t)vq->indirect;
		vq->desc[head].len = n * sizeof(struct virtq_desc);
		vq->desc[head].flags = VIRTQ_DESC_F_INDIRECT;
		vq->desc[head].next = 0;
	} else {
		head = alloc_descs(vq, n);
		fill_chain(vq->desc, head, segs, n);
	}
	virtq_publish(vq, head);
	return head;
}

int virtq_add_at(struct virtq *vq, uint16_t first,
		 const struct virtio_seg *segs, unsigned int n)
{
	if (!n || first + n > vq->size)
		return -1;
	fill_chain(vq->desc, first, segs, n);
	virtq_publish(vq, first);
	return first;
}

bool virtq_arm_interrupt(struct virtq *vq)
{
	write_once16(used_event(vq), vq->last_used);
	vq->avail->flags = 0;
	/* The device must see the event index before we look at its index. */
	full_barrier();
	return !used_ready(vq);
}

bool virtq_get_used(struct virtq *vq, struct virtq_used_elem *elem)
{
	if (!used_ready(vq))
		return false;
	barrier();
	*elem = vq->used->ring[vq->last_used % vq->size];
	vq->last_used++;
	return true;
}

static uint16_t *avail_event(struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

void virtq_publish(struct virtq *vq, uint16_t head)
{
	/*
	 * Interrupt for the next used entry, whichever the method; when
	 * polled, the event index names one the device has passed already.
	 */
	write_once16(used_event(vq),
		     vq->polled ? vq->last_used - 1 : vq->last_used);
	vq->avail->flags = vq->polled ? VIRTQ_AVAIL_F_NO_INTERRUPT : 0;
	vq->avail->ring[vq->avail_idx % vq->size] = head;
	barrier();
	write_once16(&vq->avail->idx, ++vq->avail_idx);
}

/* Whether the index moved past @event on its way from @old to @new */
static bool need_event(uint16_t event, uint16_t new, uint16_t old)
{
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void virtq_kick(struct virtq *vq)
{
	bool notify;

	vq->irq_mark = virtio_irq_count[vq->irq_slot];
	/* Our avail->idx store must be visible before we read theirs. */
	full_barrier();
	if (vq->dev->features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX))
		notify = need_event(read_once16(avail_event(vq)),
				    vq->avail_idx, vq->kicked_idx);
	else
		notify = !(read_once16(&vq->used->flags) &
			   VIRTQ_USED_F_NO_NOTIFY);
	vq->kicked_idx = vq->avail_idx;
	if (notify) {
		mmio_write16(vq->notify, vq->index);
		vq->kicks++;
	} else {
		vq->kicks_suppressed++;
	}
}

bool virtio_needs_reset(struct virtio_dev *dev)
{
	return virtio_status(dev) & VIRTIO_STATUS_NEEDS_RESET;
}

enum virtq_result virtq_wait(struct virtq *vq, uint64_t timeout_us,
			     struct virtq_used_elem *elem, bool *irq)
{
	uint64_t start = rdtsc(), polled = start, now;
	uint64_t limit = tsc_cycles_us(timeout_us);
	uint64_t poll = tsc_cycles_us(STATUS_POLL_US);
	enum virtq_result result = VIRTQ_TIMEOUT;
	bool used;

	irq_enable();
	for (;;) {
		used = used_ready(vq);
		*irq = virtio_irq_count[vq->irq_slot] != vq->irq_mark;
		now = rdtsc();
		if ((used && *irq) || now - start >= limit)
			break;
		if (!used && now - polled >= poll) {
			polled = now;
			if (virtio_needs_reset(vq->dev)) {
				result = VIRTQ_NEEDS_RESET;
				break;
			}
		}
		cpu_relax();
	}
	irq_disable();
	if (!used)
		return result;
	virtq_get_used(vq, elem);
	return VIRTQ_USED;
}
