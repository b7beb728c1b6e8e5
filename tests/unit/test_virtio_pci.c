// SPDX-License-Identifier: MIT
#include <linux/pci_regs.h>
#include <sys/eventfd.h>

#include "check.h"
#include "fake_pci.h"
#include "virtio_driver.h"
#include "kvmlite/memory.h"
#include "kvmlite/virtio_pci.h"
#include "kvmlite/virtqueue.h"

#define SLOT		1	/* the first free one */
#define BAR		MEM64_BASE
#define NR_QUEUES	2
#define QUEUE_MAX	256
#define RAM_SIZE	(1ULL << 20)
#define DEVICE_FEATURE	(1ULL << 9)
#define VERSION_1	(1ULL << VIRTIO_F_VERSION_1)
#define GOOD_FEATURES	(VERSION_1 | DEVICE_FEATURE)


/* A device with two queues and 8 bytes of configuration. */
struct fake_dev {
	uint8_t config[8];
	uint8_t written[8];
	int starts, stops, start_result;
	bool queue0_at_start;
};

static uint64_t fake_features(void *opaque)
{
	(void)opaque;
	return DEVICE_FEATURE;
}

static void fake_config_read(void *opaque, uint32_t offset, void *data,
			     uint32_t len)
{
	struct fake_dev *d = opaque;

	memcpy(data, d->config + offset, len);
}

static void fake_config_write(void *opaque, uint32_t offset,
			      const void *data, uint32_t len)
{
	struct fake_dev *d = opaque;

	memcpy(d->written + offset, data, len);
}

static struct virtio_pci *the_vp;

static int fake_start(void *opaque, struct virtio_pci *vp)
{
	struct fake_dev *d = opaque;

	d->starts++;
	d->queue0_at_start = virtio_pci_queue(vp, 0) != NULL;
	return d->start_result;
}

static void fake_stop(void *opaque)
{
	struct fake_dev *d = opaque;

	d->stops++;
}

static const struct virtio_device_ops fake_ops = {
	.name = "virtio-fake-pci",
	.device_id = 2,
	.num_queues = NR_QUEUES,
	.queue_max_size = QUEUE_MAX,
	.config_size = 8,
	.features = fake_features,
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.start = fake_start,
	.stop = fake_stop,
};

static struct fake_dev dev;
static struct guest_mem ram;

static struct pci_host *setup(void)
{
	struct pci_host *host = new_host();
	char err[160];
	unsigned int i;

	memset(&dev, 0, sizeof(dev));
	for (i = 0; i < sizeof(dev.config); i++)
		dev.config[i] = 0x10 + i;
	CHECK_EQ(guest_mem_init(&ram, RAM_SIZE), 0);
	the_vp = virtio_pci_create(host, &ram, -1, &fake_ops, &dev, err,
				   sizeof(err));
	CHECK(the_vp != NULL);
	return host;
}

static void teardown(struct pci_host *host)
{
	guest_mem_free(&ram);
	free_host(host);
}

/* Negotiated, queue 0 enabled, DRIVER_OK. */
static void bring_up(void)
{
	CHECK(negotiate(GOOD_FEATURES) & S_FEATURES_OK);
	setup_queue(0, 128);
	enable_queue(0);
	set_status(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* The config offset of the first vendor capability of @type. */
static unsigned int find_cap(uint8_t id, int type)
{
	unsigned int off = cfg_read(SLOT, PCI_CAPABILITY_LIST, 1), i;

	for (i = 0; off && i < 48; i++) {
		if (cfg_read(SLOT, off, 1) == id &&
		    (type < 0 ||
		     (int)cfg_read(SLOT, off + VIRTIO_PCI_CAP_CFG_TYPE, 1) ==
		     type))
			return off;
		off = cfg_read(SLOT, off + 1, 1);
	}
	return 0;
}

static void check_virtio_cap(int type, uint32_t offset, uint32_t length)
{
	unsigned int cap = find_cap(PCI_CAP_ID_VNDR, type);

	CHECK(cap != 0);
	CHECK_EQ(cfg_read(SLOT, cap + VIRTIO_PCI_CAP_BAR, 1), 0);
	CHECK_EQ(cfg_read(SLOT, cap + VIRTIO_PCI_CAP_OFFSET, 4), offset);
	CHECK_EQ(cfg_read(SLOT, cap + VIRTIO_PCI_CAP_LENGTH, 4), length);
}

TEST(identity_and_capabilities)
{
	struct pci_host *host = setup();
	unsigned int notify;

	CHECK_EQ(cfg_read(SLOT, PCI_VENDOR_ID, 4), 0x10421af4);
	CHECK_EQ(cfg_read(SLOT, PCI_CLASS_REVISION, 4), 0x01000001);
	CHECK_EQ(cfg_read(SLOT, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	CHECK_EQ(cfg_read(SLOT, PCI_INTERRUPT_PIN, 1), 1);
	CHECK_EQ(cfg_read(SLOT, PCI_BASE_ADDRESS_0, 4), 0x00000004);
	CHECK_EQ(cfg_read(SLOT, PCI_BASE_ADDRESS_1, 4), 0x1);
	check_virtio_cap(VIRTIO_PCI_CAP_COMMON_CFG, 0, 0x38);
	check_virtio_cap(VIRTIO_PCI_CAP_NOTIFY_CFG, 0x3000, 4 * NR_QUEUES);
	check_virtio_cap(VIRTIO_PCI_CAP_ISR_CFG, 0x1000, 1);
	check_virtio_cap(VIRTIO_PCI_CAP_DEVICE_CFG, 0x2000, 8);
	check_virtio_cap(VIRTIO_PCI_CAP_PCI_CFG, 0, 0);
	notify = find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_NOTIFY_CFG);
	CHECK_EQ(cfg_read(SLOT, notify + VIRTIO_PCI_NOTIFY_CAP_MULT, 4), 4);
	CHECK(find_cap(PCI_CAP_ID_MSIX, -1) != 0);
	/* One BAR holds it all: 32 KiB, 64-bit. */
	cfg_write(SLOT, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	CHECK_EQ(cfg_read(SLOT, PCI_BASE_ADDRESS_0, 4), 0xffff8004);
	teardown(host);
}

TEST(common_cfg_layout_follows_the_spec)
{
	struct pci_host *host = setup();

	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_NUMQ, 2), NR_QUEUES);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_NUMQ + 1, 1), 0);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_MSIX, 2), 0xffff);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_CFGGENERATION, 1), 0);
	CHECK_EQ(queue_reg(0, VIRTIO_PCI_COMMON_Q_SIZE), QUEUE_MAX);
	CHECK_EQ(queue_reg(1, VIRTIO_PCI_COMMON_Q_NOFF), 1);
	CHECK_EQ(queue_reg(1, VIRTIO_PCI_COMMON_Q_MSIX), 0xffff);
	CHECK_EQ(queue_reg(1, VIRTIO_PCI_COMMON_Q_ENABLE), 0);
	/* 64-bit fields: one qword or two dwords. */
	bar_write(VIRTIO_PCI_COMMON_Q_DESCLO, 0x1122334455667788ULL, 8);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0x55667788);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_DESCHI, 4), 0x11223344);
	bar_write(VIRTIO_PCI_COMMON_Q_USEDHI, 0xaabbccdd, 4);
	bar_write(VIRTIO_PCI_COMMON_Q_USEDLO, 0x01020304, 4);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_USEDLO, 8),
		 0xaabbccdd01020304ULL);
	bar_write(VIRTIO_PCI_COMMON_Q_AVAILLO, 0x5000, 4);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_AVAILLO, 8), 0x5000);
	/* A queue that does not exist reads as size 0; writes are lost. */
	bar_write(VIRTIO_PCI_COMMON_Q_SELECT, NR_QUEUES, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_SIZE, 16, 2);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_SELECT, 2), NR_QUEUES);
	/* Read-only fields ignore writes. */
	bar_write(VIRTIO_PCI_COMMON_NUMQ, 9, 2);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_NUMQ, 2), NR_QUEUES);
	/* Past the structure nothing answers. */
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_SIZE, 4), 0xffffffff);
	teardown(host);
}

TEST(device_features_by_select)
{
	struct pci_host *host = setup();

	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_DF, 4),
		 DEVICE_FEATURE | 1U << VIRTIO_F_INDIRECT_DESC |
		 1U << VIRTIO_F_RING_EVENT_IDX);
	bar_write(VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_DF, 4), 1);	/* VERSION_1 */
	bar_write(VIRTIO_PCI_COMMON_DFSELECT, 2, 4);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_DF, 4), 0);
	bar_write(VIRTIO_PCI_COMMON_DFSELECT, 0xffffffff, 4);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_DF, 4), 0);
	teardown(host);
}

TEST(features_ok_needs_version_1_and_offered_bits)
{
	struct pci_host *host = setup();

	CHECK(!(negotiate(DEVICE_FEATURE) & S_FEATURES_OK));
	set_status(0);
	CHECK(!(negotiate(GOOD_FEATURES | 1ULL << 3) & S_FEATURES_OK));
	set_status(0);
	CHECK_EQ(negotiate(GOOD_FEATURES),
		 S_ACK | S_DRIVER | S_FEATURES_OK);
	CHECK_EQ(virtio_pci_driver_features(the_vp), GOOD_FEATURES);
	/* Features are fixed once FEATURES_OK is set. */
	write_driver_features(VERSION_1);
	CHECK_EQ(virtio_pci_driver_features(the_vp), GOOD_FEATURES);
	bar_write(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_GF, 4), DEVICE_FEATURE);
	teardown(host);
}

TEST(driver_ok_starts_and_status_zero_resets)
{
	struct pci_host *host = setup();

	bring_up();
	CHECK_EQ(dev.starts, 1);
	CHECK(dev.queue0_at_start);
	CHECK(virtio_pci_queue(the_vp, 0) != NULL);
	CHECK(virtio_pci_queue(the_vp, 1) == NULL);
	CHECK(virtio_pci_queue(the_vp, NR_QUEUES) == NULL);
	CHECK(virtio_pci_queue(the_vp, 0)->event_idx == false);
	CHECK_EQ(queue_reg(0, VIRTIO_PCI_COMMON_Q_ENABLE), 1);
	bar_write(VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
	set_status(0);
	CHECK_EQ(dev.stops, 1);
	CHECK_EQ(status(), 0);
	CHECK(virtio_pci_queue(the_vp, 0) == NULL);
	CHECK_EQ(queue_reg(0, VIRTIO_PCI_COMMON_Q_ENABLE), 0);
	CHECK_EQ(queue_reg(0, VIRTIO_PCI_COMMON_Q_SIZE), QUEUE_MAX);
	CHECK_EQ(queue_reg(0, VIRTIO_PCI_COMMON_Q_MSIX), 0xffff);
	CHECK_EQ(queue_reg(0, VIRTIO_PCI_COMMON_Q_DESCLO), 0);
	CHECK_EQ(virtio_pci_driver_features(the_vp), 0);
	/* Status bits only accumulate; DRIVER_OK needs FEATURES_OK. */
	set_status(S_ACK | S_DRIVER_OK);
	CHECK_EQ(status(), S_ACK);
	set_status(S_DRIVER);
	CHECK_EQ(status(), S_ACK | S_DRIVER);
	CHECK_EQ(dev.starts, 1);
	teardown(host);
}

TEST(negotiated_ring_features_reach_the_queue)
{
	struct pci_host *host = setup();

	negotiate(GOOD_FEATURES | 1ULL << VIRTIO_F_RING_EVENT_IDX |
		  1ULL << VIRTIO_F_INDIRECT_DESC);
	setup_queue(1, 64);
	enable_queue(1);
	set_status(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	CHECK(virtio_pci_queue(the_vp, 1) != NULL);
	CHECK(virtio_pci_queue(the_vp, 1)->event_idx);
	CHECK(virtio_pci_queue(the_vp, 1)->indirect);
	CHECK_EQ(virtio_pci_queue(the_vp, 1)->size, 64);
	teardown(host);
}

/* Enables queue 0 after @prepare; the device must refuse it. */
static void check_refused(void (*prepare)(void))
{
	set_status(0);
	prepare();
	enable_queue(0);
	CHECK(status() & S_NEEDS_RESET);
	CHECK_EQ(queue_reg(0, VIRTIO_PCI_COMMON_Q_ENABLE), 0);
	set_status(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	CHECK_EQ(dev.starts, 0);	/* not with NEEDS_RESET set */
}

static void size_not_power_of_2(void)
{
	negotiate(GOOD_FEATURES);
	setup_queue(0, 48);
}

static void size_above_max(void)
{
	negotiate(GOOD_FEATURES);
	setup_queue(0, 2 * QUEUE_MAX);
}

static void size_zero(void)
{
	negotiate(GOOD_FEATURES);
	setup_queue(0, 0);
}

static void ring_outside_ram(void)
{
	negotiate(GOOD_FEATURES);
	setup_queue(0, 16);
	bar_write(VIRTIO_PCI_COMMON_Q_USEDLO, RAM_SIZE - 8, 8);
}

static void before_features_ok(void)
{
	set_status(S_ACK | S_DRIVER);
	setup_queue(0, 16);
}

TEST(bad_queue_setups_set_needs_reset)
{
	struct pci_host *host = setup();

	check_refused(size_not_power_of_2);
	check_refused(size_above_max);
	check_refused(size_zero);
	check_refused(ring_outside_ram);
	check_refused(before_features_ok);
	/* Reset clears NEEDS_RESET and a good setup works again. */
	set_status(0);
	bring_up();
	CHECK_EQ(status(), S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	CHECK_EQ(dev.starts, 1);
	teardown(host);
}

TEST(enabled_queue_keeps_its_setup)
{
	struct pci_host *host = setup();

	bring_up();
	bar_write(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_SIZE, 16, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_DESCLO, 0x80000, 8);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_SIZE, 2), 128);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0x10000);
	/* Enabling another queue after DRIVER_OK is refused. */
	setup_queue(1, 16);
	enable_queue(1);
	CHECK(status() & S_NEEDS_RESET);
	CHECK(virtio_pci_queue(the_vp, 1) == NULL);
	teardown(host);
}

TEST(msix_vectors_are_range_checked)
{
	struct pci_host *host = setup();

	/* NR_QUEUES + 1 vectors: 0..2. */
	bar_write(VIRTIO_PCI_COMMON_MSIX, 2, 2);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_MSIX, 2), 2);
	bar_write(VIRTIO_PCI_COMMON_MSIX, 3, 2);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_MSIX, 2), 0xffff);
	bar_write(VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_MSIX, 0, 2);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_MSIX, 2), 0);
	bar_write(VIRTIO_PCI_COMMON_Q_MSIX, 0xfffe, 2);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_Q_MSIX, 2), 0xffff);
	teardown(host);
}

TEST(intx_interrupt_through_the_isr)
{
	struct pci_host *host = setup();

	bring_up();
	virtio_pci_interrupt(the_vp, 0);
	CHECK_EQ(fake.levels[SLOT], 1);
	CHECK(cfg_read(SLOT, PCI_STATUS, 1) & PCI_STATUS_INTERRUPT);
	CHECK_EQ(bar_read(VIRTIO_PCI_ISR_OFFSET, 1), 1);
	CHECK_EQ(fake.levels[SLOT], 0);
	CHECK_EQ(bar_read(VIRTIO_PCI_ISR_OFFSET, 1), 0);
	virtio_pci_interrupt(the_vp, NR_QUEUES);	/* no such queue */
	CHECK_EQ(fake.levels[SLOT], 0);
	/* A reset drops a pending interrupt. */
	virtio_pci_interrupt(the_vp, 0);
	set_status(0);
	CHECK_EQ(fake.levels[SLOT], 0);
	CHECK_EQ(bar_read(VIRTIO_PCI_ISR_OFFSET, 1), 0);
	teardown(host);
}

static void enable_msix_vector(unsigned int v)
{
	unsigned int cap = find_cap(PCI_CAP_ID_MSIX, -1);
	uint64_t entry = VIRTIO_PCI_MSIX_OFFSET + v * PCI_MSIX_ENTRY_SIZE;

	cfg_write(SLOT, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
	bar_write(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee00000, 4);
	bar_write(entry + PCI_MSIX_ENTRY_DATA, 0x40 + v, 4);
	bar_write(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
}

TEST(msix_interrupts_use_the_queue_vector)
{
	struct pci_host *host = setup();

	bring_up();
	enable_msix_vector(1);
	CHECK_EQ(fake.route_data[1], 0x41);
	virtio_pci_interrupt(the_vp, 0);	/* NO_VECTOR: nothing */
	CHECK_EQ(fake.fired[1], 0);
	bar_write(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	bar_write(VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
	virtio_pci_interrupt(the_vp, 0);
	CHECK_EQ(fake.fired[1], 1);
	CHECK_EQ(fake.levels[SLOT], 0);
	CHECK_EQ(bar_read(VIRTIO_PCI_ISR_OFFSET, 1), 0);
	teardown(host);
}

TEST(needs_reset_tells_a_running_driver)
{
	struct pci_host *host = setup();

	negotiate(GOOD_FEATURES);
	virtio_pci_needs_reset(the_vp);
	CHECK(status() & S_NEEDS_RESET);
	CHECK_EQ(fake.levels[SLOT], 0);
	set_status(0);
	bring_up();
	virtio_pci_needs_reset(the_vp);
	CHECK(status() & S_NEEDS_RESET);
	CHECK_EQ(fake.levels[SLOT], 1);
	CHECK_EQ(bar_read(VIRTIO_PCI_ISR_OFFSET, 1), VIRTIO_PCI_ISR_CONFIG);
	/* With MSI-X, the config vector. */
	set_status(0);
	bring_up();
	enable_msix_vector(0);
	bar_write(VIRTIO_PCI_COMMON_MSIX, 0, 2);
	virtio_pci_needs_reset(the_vp);
	CHECK_EQ(fake.fired[0], 1);
	teardown(host);
}

TEST(failed_start_sets_needs_reset)
{
	struct pci_host *host = setup();

	dev.start_result = -1;
	bring_up();
	CHECK_EQ(dev.starts, 1);
	CHECK(status() & S_NEEDS_RESET);
	CHECK_EQ(fake.levels[SLOT], 1);
	teardown(host);
}

static bool kick_bound(uint64_t addr, int fd)
{
	int i;

	for (i = 0; i < fake.nr_kicks; i++)
		if (fake.kicks[i].addr == addr && fake.kicks[i].fd == fd &&
		    fake.kicks[i].len == 2)
			return true;
	return false;
}

TEST(kicks_are_bound_per_queue_and_follow_the_bar)
{
	struct pci_host *host = setup();
	int fd0 = virtio_pci_kick_fd(the_vp, 0);
	int fd1 = virtio_pci_kick_fd(the_vp, 1);
	eventfd_t count = 0;

	CHECK(fd0 >= 0 && fd1 >= 0 && fd0 != fd1);
	CHECK_EQ(virtio_pci_kick_fd(the_vp, NR_QUEUES), -1);
	CHECK_EQ(fake.nr_kicks, 2);
	CHECK(kick_bound(BAR + 0x3000, fd0));
	CHECK(kick_bound(BAR + 0x3004, fd1));
	/* A kick KVM did not take (another width) still arrives. */
	bar_write(0x3004, 1, 4);
	CHECK_EQ(eventfd_read(fd1, &count), 0);
	CHECK_EQ(count, 1);
	CHECK(eventfd_read(fd0, &count) < 0);
	bar_write(0x3002, 0, 2);	/* between queues */
	CHECK(eventfd_read(fd0, &count) < 0);

	cfg_write(SLOT, PCI_BASE_ADDRESS_1, 0x2, 4);
	CHECK_EQ(fake.nr_kicks, 2);
	CHECK(kick_bound(0x200000000ULL + 0x3000, fd0));
	cfg_write(SLOT, PCI_COMMAND, 0, 2);
	CHECK_EQ(fake.nr_kicks, 0);
	pci_host_reset(host);
	CHECK(kick_bound(BAR + 0x3004, fd1));
	CHECK_EQ(fake.nr_kicks, 2);
	teardown(host);
}

TEST(pci_cfg_window_reaches_the_bar)
{
	struct pci_host *host = setup();
	unsigned int cap = find_cap(PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG);
	unsigned int data = cap + offsetof(struct virtio_pci_cfg_cap,
					   pci_cfg_data);

	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_BAR, 0, 1);
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_OFFSET, VIRTIO_PCI_COMMON_NUMQ,
		  4);
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_LENGTH, 2, 4);
	CHECK_EQ(cfg_read(SLOT, data, 2), NR_QUEUES);
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_OFFSET,
		  VIRTIO_PCI_COMMON_STATUS, 4);
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_LENGTH, 1, 4);
	cfg_write(SLOT, data, S_ACK, 1);
	CHECK_EQ(status(), S_ACK);
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_OFFSET, 0x2004, 4);
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_LENGTH, 4, 4);
	CHECK_EQ(cfg_read(SLOT, data, 4), 0x17161514);
	/* Misaligned or odd lengths do nothing; the window keeps its data. */
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_OFFSET, 0x2002, 4);
	CHECK_EQ(cfg_read(SLOT, data, 4), 0x17161514);
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_LENGTH, 3, 4);
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_OFFSET, 0x2000, 4);
	CHECK_EQ(cfg_read(SLOT, data, 4), 0x17161514);
	/* A BAR that does not exist reads as all ones. */
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_BAR, 7, 1);
	cfg_write(SLOT, cap + VIRTIO_PCI_CAP_LENGTH, 4, 4);
	CHECK_EQ(cfg_read(SLOT, data, 4), 0xffffffff);
	teardown(host);
}

TEST(device_config_is_the_devices)
{
	struct pci_host *host = setup();

	CHECK_EQ(bar_read(0x2000, 4), 0x13121110);
	CHECK_EQ(bar_read(0x2007, 1), 0x17);
	/* The part of an access past the end reads as 0. */
	CHECK_EQ(bar_read(0x2006, 4), 0x1716);
	bar_write(0x2002, 0xbeef, 2);
	CHECK_EQ(dev.written[2], 0xef);
	CHECK_EQ(dev.written[3], 0xbe);
	teardown(host);
}

TEST(machine_reset_stops_the_device)
{
	struct pci_host *host = setup();

	bring_up();
	pci_host_reset(host);
	CHECK_EQ(dev.stops, 1);
	CHECK_EQ(status(), 0);
	CHECK(virtio_pci_queue(the_vp, 0) == NULL);
	teardown(host);
}

TEST(slot_conflicts_are_reported)
{
	struct pci_host *host = setup();
	struct virtio_device_ops named = fake_ops;
	char err[160];

	CHECK(virtio_pci_create(host, &ram, SLOT, &fake_ops, &dev, err,
				sizeof(err)) == NULL);
	CHECK_STR(err, "PCI: slot 1 function 0 not available for "
		  "virtio-fake-pci, in use by virtio-fake-pci,id=(null)");
	named.id = "disk0";
	CHECK(virtio_pci_create(host, &ram, 5, &named, &dev, err,
				sizeof(err)) != NULL);
	CHECK(virtio_pci_create(host, &ram, 5, &fake_ops, &dev, err,
				sizeof(err)) == NULL);
	CHECK_STR(err, "PCI: slot 5 function 0 not available for "
		  "virtio-fake-pci, in use by virtio-fake-pci,id=disk0");
	teardown(host);
}

/* Random register traffic, as a hostile guest makes it. */
TEST(random_register_traffic_is_survived)
{
	static const uint32_t widths[] = { 1, 2, 4, 8 };
	struct pci_host *host = setup();
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned int i;

	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x % 16 == 0)
			cfg_write(SLOT, (x >> 8) & 0xff, x >> 16,
				  1 << ((x >> 4) % 3));
		else if (x % 16 == 1)
			cfg_read(SLOT, (x >> 8) & 0xff, 4);
		else if (x % 2)
			bar_write((x >> 8) % 0x6000, x >> 20,
				  widths[(x >> 4) % 4]);
		else
			bar_read((x >> 8) % 0x6000, widths[(x >> 4) % 4]);
		if (i % 1000 == 0) {
			virtio_pci_interrupt(the_vp, i % 3);
			virtio_pci_needs_reset(the_vp);
		}
	}
	pci_host_reset(host);
	CHECK_EQ(bar_read(VIRTIO_PCI_COMMON_NUMQ, 2), NR_QUEUES);
	CHECK_EQ(status(), 0);
	teardown(host);
}

int main(void)
{
	RUN(identity_and_capabilities);
	RUN(common_cfg_layout_follows_the_spec);
	RUN(device_features_by_select);
	RUN(features_ok_needs_version_1_and_offered_bits);
	RUN(driver_ok_starts_and_status_zero_resets);
	RUN(negotiated_ring_features_reach_the_queue);
	RUN(bad_queue_setups_set_needs_reset);
	RUN(enabled_queue_keeps_its_setup);
	RUN(msix_vectors_are_range_checked);
	RUN(intx_interrupt_through_the_isr);
	RUN(msix_interrupts_use_the_queue_vector);
	RUN(needs_reset_tells_a_running_driver);
	RUN(failed_start_sets_needs_reset);
	RUN(kicks_are_bound_per_queue_and_follow_the_bar);
	RUN(pci_cfg_window_reaches_the_bar);
	RUN(device_config_is_the_devices);
	RUN(machine_reset_stops_the_device);
	RUN(slot_conflicts_are_reported);
	RUN(random_register_traffic_is_survived);
	return check_summary();
}
