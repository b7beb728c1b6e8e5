// SPDX-License-Identifier: MIT
#include <linux/pci_regs.h>
#include <stdlib.h>

#include "check.h"
#include "fake_pci.h"
#include "kvmlite/pci.h"

#define NR_VECTORS	4
#define MSIX_TABLE	0x1000
#define MSIX_PBA	0x1800

/* A test device: BAR0 I/O 64, BAR1 mem32 4K, BAR2-3 mem64 16K. */
struct test_dev {
	struct pci_dev pci;
	int io_calls;
	uint64_t last_offset;
	uint64_t moved[PCI_NR_BARS];
	int resets;
};

static void test_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		    bool is_write)
{
	struct test_dev *t = opaque;

	t->io_calls++;
	t->last_offset = offset;
	if (!is_write)
		memset(data, 0xab, len);
}

static void test_bar_moved(struct pci_dev *dev, unsigned int bar,
			   uint64_t addr)
{
	struct test_dev *t = dev->opaque;

	t->moved[bar] = addr;
}

static void test_reset(struct pci_dev *dev)
{
	struct test_dev *t = dev->opaque;

	t->resets++;
}

static const struct pci_dev_ops test_ops = {
	.bar_moved = test_bar_moved,
	.reset = test_reset,
};

static const struct pci_ids test_ids = {
	.vendor = 0x1234, .device = 0x5678,
	.subsys_vendor = 0x1af4, .subsys_device = 0x1100,
	.class_code = 0xff0000, .revision = 3, .irq_pin = 1,
};

static void init_test_dev(struct test_dev *t)
{
	struct pci_region r = { 0, 0, test_io, t, "test" };

	memset(t, 0, sizeof(*t));
	pci_dev_init(&t->pci, &test_ids, "test-dev", &test_ops, t);
	CHECK_EQ(pci_dev_add_bar(&t->pci, 0, PCI_BAR_IO, 64), 0);
	CHECK_EQ(pci_dev_add_bar(&t->pci, 1, PCI_BAR_MEM32, 0x1000), 0);
	CHECK_EQ(pci_dev_add_bar(&t->pci, 2, PCI_BAR_MEM64, 0x4000), 0);
	r.len = 64;
	CHECK_EQ(pci_bar_add_region(&t->pci, 0, &r), 0);
	r.len = 0x1000;
	CHECK_EQ(pci_bar_add_region(&t->pci, 1, &r), 0);
	r.len = 0x800;
	CHECK_EQ(pci_bar_add_region(&t->pci, 2, &r), 0);
}

static struct pci_host *host_with_dev(struct test_dev *t, int slot)
{
	struct pci_host *host = new_host();
	char err[160];

	init_test_dev(t);
	CHECK_EQ(pci_host_attach(host, &t->pci, slot, err, sizeof(err)), 0);
	return host;
}

static bool mapped_io(uint64_t port)
{
	struct bus_range r;

	return bus_find(fake.pio, port, &r);
}

static bool mapped_mem(uint64_t addr)
{
	struct bus_range r;

	return bus_find(fake.mmio, addr, &r);
}

TEST(address_register_takes_only_dword_accesses)
{
	struct pci_host *host = new_host();

	out(PCI_CONFIG_ADDRESS, 0x80000000, 4);
	CHECK_EQ(in(PCI_CONFIG_ADDRESS, 4), 0x80000000);
	/* Bits 1:0 and 30:24 are not part of the address. */
	out(PCI_CONFIG_ADDRESS, 0xff00ff03, 4);
	CHECK_EQ(in(PCI_CONFIG_ADDRESS, 4), 0x8000ff00);
	out(PCI_CONFIG_ADDRESS + 3, 0x01, 1);
	out(PCI_CONFIG_ADDRESS, 0x00, 2);
	CHECK_EQ(in(PCI_CONFIG_ADDRESS, 4), 0x8000ff00);
	CHECK_EQ(in(PCI_CONFIG_ADDRESS, 1), 0xff);
	CHECK_EQ(in(PCI_CONFIG_ADDRESS + 2, 2), 0xffff);
	free_host(host);
}

TEST(data_port_byte_word_dword_at_every_offset)
{
	struct pci_host *host = new_host();

	CHECK_EQ(cfg_read(0, PCI_VENDOR_ID, 4), 0x12378086);
	CHECK_EQ(cfg_read(0, PCI_VENDOR_ID, 2), 0x8086);
	CHECK_EQ(cfg_read(0, PCI_DEVICE_ID, 2), 0x1237);
	CHECK_EQ(cfg_read(0, 0, 1), 0x86);
	CHECK_EQ(cfg_read(0, 1, 1), 0x80);
	CHECK_EQ(cfg_read(0, 2, 1), 0x37);
	CHECK_EQ(cfg_read(0, 3, 1), 0x12);
	CHECK_EQ(cfg_read(0, 1, 2), 0x3780);
	/* A dword at 0xcfe reads two config bytes; the rest is not ours. */
	CHECK_EQ(cfg_read(0, 2, 4), 0xffff1237);
	CHECK_EQ(cfg_read(0, PCI_CLASS_REVISION, 4), 0x06000002);
	cfg_write(0, PCI_INTERRUPT_LINE, 0x5a, 1);
	CHECK_EQ(cfg_read(0, PCI_INTERRUPT_LINE, 1), 0x5a);
	cfg_write(0, PCI_LATENCY_TIMER, 0x40, 1);
	CHECK_EQ(cfg_read(0, PCI_CACHE_LINE_SIZE, 4), 0x00004000);
	free_host(host);
}

TEST(missing_functions_read_all_ones)
{
	struct pci_host *host = new_host();

	CHECK_EQ(cfg_read(5, 0, 4), 0xffffffff);
	CHECK_EQ(cfg_read(5, 2, 2), 0xffff);
	/* Function 1 of slot 0, bus 1, and the enable bit off. */
	out(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | 1 << 8, 4);
	CHECK_EQ(in(PCI_CONFIG_DATA, 4), 0xffffffff);
	out(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | 1 << 16, 4);
	CHECK_EQ(in(PCI_CONFIG_DATA, 4), 0xffffffff);
	out(PCI_CONFIG_ADDRESS, 0, 4);
	CHECK_EQ(in(PCI_CONFIG_DATA, 4), 0xffffffff);
	out(PCI_CONFIG_DATA, 0, 4);
	CHECK_EQ(cfg_read(0, 0, 4), 0x12378086);
	free_host(host);
}

TEST(read_only_fields_keep_their_values)
{
	struct test_dev t;
	struct pci_host *host = host_with_dev(&t, 3);

	cfg_write(3, PCI_VENDOR_ID, 0, 4);
	CHECK_EQ(cfg_read(3, PCI_VENDOR_ID, 4), 0x56781234);
	cfg_write(3, PCI_CLASS_REVISION, 0, 4);
	CHECK_EQ(cfg_read(3, PCI_CLASS_REVISION, 4), 0xff000003);
	cfg_write(3, PCI_SUBSYSTEM_VENDOR_ID, 0, 4);
	CHECK_EQ(cfg_read(3, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	cfg_write(3, PCI_HEADER_TYPE, 0xff, 1);
	CHECK_EQ(cfg_read(3, PCI_HEADER_TYPE, 1), 0);
	cfg_write(3, PCI_INTERRUPT_PIN, 4, 1);
	CHECK_EQ(cfg_read(3, PCI_INTERRUPT_PIN, 1), 1);
	/* Status is read-only; command keeps only what is implemented. */
	cfg_write(3, PCI_COMMAND, 0xffffffff, 4);
	CHECK_EQ(cfg_read(3, PCI_COMMAND, 2), 0x0407);
	CHECK_EQ(cfg_read(3, PCI_STATUS, 2), 0);
	cfg_write(3, PCI_ROM_ADDRESS, 0xffffffff, 4);
	CHECK_EQ(cfg_read(3, PCI_ROM_ADDRESS, 4), 0);
	free_host(host);
}

TEST(kvmlite_places_bars_and_turns_decoding_on)
{
	struct test_dev t;
	struct pci_host *host = host_with_dev(&t, 3);

	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_0, 4), 0xc001);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_1, 4), 0xc0000000);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_2, 4), 0x00000004);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_3, 4), 0x1);
	CHECK_EQ(cfg_read(3, PCI_COMMAND, 2),
		 PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	CHECK(mapped_io(0xc000) && mapped_io(0xc03f) && !mapped_io(0xc040));
	CHECK(mapped_mem(0xc0000fff));
	CHECK(mapped_mem(MEM64_BASE + 0x7ff));
	CHECK(!mapped_mem(MEM64_BASE + 0x800));
	CHECK_EQ(t.moved[2], MEM64_BASE);
	free_host(host);
}

TEST(sizing_reads_back_the_size_mask)
{
	struct test_dev t;
	struct pci_host *host = host_with_dev(&t, 3);
	unsigned int bar;

	for (bar = 0; bar < 4; bar++)
		cfg_write(3, PCI_BASE_ADDRESS_0 + 4 * bar, 0xffffffff, 4);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_0, 4), 0x0000ffc1);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_1, 4), 0xfffff000);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_2, 4), 0xffffc004);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_3, 4), 0xffffffff);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_4, 4), 0);
	free_host(host);
}

TEST(bar_is_unmapped_while_sized)
{
	struct test_dev t;
	struct pci_host *host = host_with_dev(&t, 3);

	cfg_write(3, PCI_BASE_ADDRESS_1, 0xffffffff, 4);
	CHECK(!mapped_mem(0xc0000000));
	CHECK(!mapped_mem(0xfffff000));
	CHECK_EQ(t.moved[1], PCI_BAR_UNMAPPED);
	cfg_write(3, PCI_BASE_ADDRESS_1, 0xc0000000, 4);
	CHECK(mapped_mem(0xc0000000));
	/* The high half of a 64-bit BAR sized alone unmaps it too. */
	cfg_write(3, PCI_BASE_ADDRESS_3, 0xffffffff, 4);
	CHECK(!mapped_mem(MEM64_BASE));
	cfg_write(3, PCI_BASE_ADDRESS_3, 1, 4);
	CHECK(mapped_mem(MEM64_BASE));
	cfg_write(3, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	CHECK(!mapped_io(0xc000) && !mapped_io(0xffc0));
	free_host(host);
}

TEST(moving_a_bar_moves_its_bus_ranges)
{
	struct test_dev t;
	struct pci_host *host = host_with_dev(&t, 3);
	uint32_t val = 0;

	cfg_write(3, PCI_BASE_ADDRESS_1, 0xd0000000, 4);
	CHECK(!mapped_mem(0xc0000000));
	CHECK(mapped_mem(0xd0000000) && mapped_mem(0xd0000fff));
	CHECK_EQ(t.moved[1], 0xd0000000);
	bus_access(fake.mmio, 0xd0000010, &val, 4, false);
	CHECK_EQ(val, 0xabababab);
	CHECK_EQ(t.last_offset, 0x10);
	/* Low bits below the size are not writable. */
	cfg_write(3, PCI_BASE_ADDRESS_1, 0xd0000fff, 4);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_1, 4), 0xd0000000);

	cfg_write(3, PCI_BASE_ADDRESS_2, 0x00008000, 4);
	cfg_write(3, PCI_BASE_ADDRESS_3, 0x2, 4);
	CHECK(!mapped_mem(MEM64_BASE));
	CHECK(mapped_mem(0x200008000ULL));
	CHECK_EQ(t.moved[2], 0x200008000ULL);

	cfg_write(3, PCI_BASE_ADDRESS_0, 0xe000, 4);
	CHECK(!mapped_io(0xc000) && mapped_io(0xe000));
	free_host(host);
}

TEST(decode_bits_map_and_unmap)
{
	struct test_dev t;
	struct pci_host *host = host_with_dev(&t, 3);

	cfg_write(3, PCI_COMMAND, PCI_COMMAND_IO, 2);
	CHECK(mapped_io(0xc000));
	CHECK(!mapped_mem(0xc0000000) && !mapped_mem(MEM64_BASE));
	/* A move while decoding is off maps nothing... */
	cfg_write(3, PCI_BASE_ADDRESS_1, 0xd0000000, 4);
	CHECK(!mapped_mem(0xd0000000));
	cfg_write(3, PCI_COMMAND, 0, 2);
	CHECK(!mapped_io(0xc000));
	/* ...until decoding is on again. */
	cfg_write(3, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	CHECK(mapped_mem(0xd0000000) && mapped_mem(MEM64_BASE));
	CHECK(!mapped_io(0xc000));
	/* Address 0 is never decoded. */
	cfg_write(3, PCI_BASE_ADDRESS_1, 0, 4);
	CHECK(!mapped_mem(0));
	free_host(host);
}

TEST(a_bar_moved_onto_another_range_is_not_decoded)
{
	struct test_dev a, b;
	struct pci_host *host = host_with_dev(&a, 3);
	char err[160];

	init_test_dev(&b);
	CHECK_EQ(pci_host_attach(host, &b.pci, 4, err, sizeof(err)), 0);
	CHECK_EQ(cfg_read(4, PCI_BASE_ADDRESS_1, 4), 0xc0001000);
	cfg_write(4, PCI_BASE_ADDRESS_1, 0xc0000000, 4);
	CHECK_EQ(b.moved[1], PCI_BAR_UNMAPPED);
	bus_access(fake.mmio, 0xc0000000, &err, 4, false);
	CHECK_EQ(a.io_calls, 1);
	CHECK_EQ(b.io_calls, 0);
	cfg_write(4, PCI_BASE_ADDRESS_1, 0xc0002000, 4);
	CHECK_EQ(b.moved[1], 0xc0002000);
	free_host(host);
}

TEST(bar_declarations_are_checked)
{
	struct pci_dev dev;
	struct pci_region r = { 0x800, 0x900, test_io, NULL, "x" };

	pci_dev_init(&dev, &test_ids, "x", NULL, NULL);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, PCI_BAR_IO, 512), -1);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 0x3000), -1);
	CHECK_EQ(pci_dev_add_bar(&dev, 5, PCI_BAR_MEM64, 0x1000), -1);
	CHECK_EQ(pci_dev_add_bar(&dev, 6, PCI_BAR_MEM32, 0x1000), -1);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, PCI_BAR_MEM64, 0x1000), 0);
	CHECK_EQ(pci_dev_add_bar(&dev, 1, PCI_BAR_MEM32, 0x1000), -1);
	CHECK_EQ(pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 0x1000), -1);
	CHECK_EQ(pci_bar_add_region(&dev, 0, &r), -1);	/* past the end */
	r.len = 0x800;
	CHECK_EQ(pci_bar_add_region(&dev, 0, &r), 0);
	r.offset = 0xc00;
	r.len = 4;
	CHECK_EQ(pci_bar_add_region(&dev, 0, &r), -1);	/* overlaps */
	CHECK_EQ(pci_bar_add_region(&dev, 2, &r), -1);	/* no such BAR */
}

TEST(capability_list_walks_in_order)
{
	static const uint8_t ids[] = { PCI_CAP_ID_VNDR, PCI_CAP_ID_PM,
				       PCI_CAP_ID_VNDR };
	struct pci_host *host = new_host();
	struct pci_dev dev;
	unsigned int i, off, seen = 0;
	char err[160];

	pci_dev_init(&dev, &test_ids, "x", NULL, NULL);
	CHECK_EQ(pci_add_capability(&dev, ids[0], 16), 0x40);
	CHECK_EQ(pci_add_capability(&dev, ids[1], 7), 0x50);
	CHECK_EQ(pci_add_capability(&dev, ids[2], 20), 0x58);
	CHECK_EQ(pci_add_capability(&dev, 0x42, 200), -1);
	CHECK_EQ(pci_host_attach(host, &dev, 2, err, sizeof(err)), 0);
	CHECK(cfg_read(2, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	off = cfg_read(2, PCI_CAPABILITY_LIST, 1);
	for (i = 0; off && i < 48; i++) {
		CHECK(seen < ARRAY_SIZE(ids));
		CHECK_EQ(off & 3, 0);
		if (seen < ARRAY_SIZE(ids))
			CHECK_EQ(cfg_read(2, off, 1), ids[seen]);
		seen++;
		off = cfg_read(2, off + 1, 1);
	}
	CHECK_EQ(seen, 3);
	/* Capability bytes are read-only unless the device says so. */
	cfg_write(2, 0x41, 0, 1);
	CHECK_EQ(cfg_read(2, 0x41, 1), 0x50);
	free_host(host);
}

TEST(intx_line_pin_and_disable_bit)
{
	struct test_dev t;
	struct pci_host *host = host_with_dev(&t, 6);

	CHECK_EQ(cfg_read(6, PCI_INTERRUPT_PIN, 1), 1);
	CHECK_EQ(cfg_read(6, PCI_INTERRUPT_LINE, 1), 16 + 6 % 4);
	pci_set_irq(&t.pci, 1);
	CHECK_EQ(fake.levels[6], 1);
	CHECK(cfg_read(6, PCI_STATUS, 1) & PCI_STATUS_INTERRUPT);
	cfg_write(6, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
	CHECK_EQ(fake.levels[6], 0);
	/* Interrupt Status shows the device's state whatever the mask. */
	CHECK(cfg_read(6, PCI_STATUS, 1) & PCI_STATUS_INTERRUPT);
	cfg_write(6, PCI_COMMAND, 0, 2);
	CHECK_EQ(fake.levels[6], 1);
	pci_set_irq(&t.pci, 0);
	CHECK_EQ(fake.levels[6], 0);
	CHECK(!(cfg_read(6, PCI_STATUS, 1) & PCI_STATUS_INTERRUPT));
	free_host(host);
}

TEST(slots_in_creation_order_and_errors_as_qemu)
{
	struct pci_host *host = new_host();
	struct pci_dev devs[PCI_MAX_SLOTS + 1];
	char err[160] = "";
	int i;

	for (i = 0; i < 3; i++)
		pci_dev_init(&devs[i], &test_ids, "virtio-blk-pci", NULL, NULL);
	devs[1].id = "disk1";
	CHECK_EQ(pci_host_attach(host, &devs[0], -1, err, sizeof(err)), 0);
	CHECK_EQ(devs[0].slot, 1);
	CHECK_EQ(pci_host_attach(host, &devs[1], 7, err, sizeof(err)), 0);
	CHECK_EQ(devs[1].slot, 7);
	CHECK_EQ(cfg_read(7, PCI_VENDOR_ID, 2), test_ids.vendor);
	CHECK_EQ(pci_host_attach(host, &devs[2], 0, err, sizeof(err)), -1);
	CHECK_STR(err, "PCI: slot 0 function 0 not available for "
		  "virtio-blk-pci, in use by i440FX,id=(null)");
	CHECK_EQ(pci_host_attach(host, &devs[2], 7, err, sizeof(err)), -1);
	CHECK_STR(err, "PCI: slot 7 function 0 not available for "
		  "virtio-blk-pci, in use by virtio-blk-pci,id=disk1");
	CHECK_EQ(pci_host_attach(host, &devs[2], 32, err, sizeof(err)), -1);
	CHECK_STR(err, "Property 'virtio-blk-pci.addr' doesn't take value "
		  "'32'");
	CHECK_EQ(pci_host_attach(host, &devs[2], -1, err, sizeof(err)), 0);
	CHECK_EQ(devs[2].slot, 2);
	for (i = 3; i < PCI_MAX_SLOTS + 1; i++) {
		pci_dev_init(&devs[i], &test_ids, "virtio-blk-pci", NULL, NULL);
		pci_host_attach(host, &devs[i], -1, err, sizeof(err));
	}
	CHECK_STR(err, "PCI: no slot/function available for virtio-blk-pci, "
		  "all in use or reserved");
	free_host(host);
}

TEST(reset_restores_power_on_config_and_placement)
{
	struct test_dev t;
	struct pci_host *host = host_with_dev(&t, 3);

	cfg_write(3, PCI_BASE_ADDRESS_1, 0xd0000000, 4);
	cfg_write(3, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	cfg_write(3, PCI_INTERRUPT_LINE, 0x0b, 1);
	cfg_write(3, PCI_COMMAND, PCI_COMMAND_MEMORY |
		  PCI_COMMAND_INTX_DISABLE, 2);
	pci_set_irq(&t.pci, 1);
	pci_host_reset(host);
	CHECK_EQ(t.resets, 1);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_0, 4), 0xc001);
	CHECK_EQ(cfg_read(3, PCI_BASE_ADDRESS_1, 4), 0xc0000000);
	CHECK_EQ(cfg_read(3, PCI_INTERRUPT_LINE, 1), 16 + 3);
	CHECK_EQ(cfg_read(3, PCI_COMMAND, 2),
		 PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	CHECK(mapped_io(0xc000) && mapped_mem(0xc0000000));
	CHECK(!mapped_mem(0xd0000000));
	CHECK_EQ(fake.levels[3], 0);
	free_host(host);
}

TEST(bar_access_reaches_regions_whatever_the_decode_state)
{
	struct test_dev t;
	struct pci_host *host = host_with_dev(&t, 3);
	uint32_t val = 0;

	cfg_write(3, PCI_COMMAND, 0, 2);
	CHECK(pci_bar_access(&t.pci, 2, 0x7fc, &val, 4, false));
	CHECK_EQ(val, 0xabababab);
	CHECK_EQ(t.last_offset, 0x7fc);
	CHECK(!pci_bar_access(&t.pci, 2, 0x800, &val, 4, false));
	CHECK_EQ(val, 0xffffffff);
	CHECK(!pci_bar_access(&t.pci, 4, 0, &val, 4, false));
	CHECK(!pci_bar_access(&t.pci, 9, 0, &val, 4, true));
	free_host(host);
}

/* MSI-X: a device with NR_VECTORS vectors in a 16K mem32 BAR. */
static struct pci_host *host_with_msix(struct pci_dev *dev, int *cap)
{
	struct pci_host *host = new_host();
	char err[160];

	pci_dev_init(dev, &test_ids, "msix-dev", NULL, NULL);
	CHECK_EQ(pci_dev_add_bar(dev, 0, PCI_BAR_MEM32, 0x4000), 0);
	CHECK_EQ(pci_msix_init(dev, NR_VECTORS, 0, MSIX_TABLE, MSIX_PBA), 0);
	CHECK_EQ(pci_host_attach(host, dev, 2, err, sizeof(err)), 0);
	*cap = cfg_read(2, PCI_CAPABILITY_LIST, 1);
	return host;
}

static uint64_t entry_addr(unsigned int v, unsigned int field)
{
	return 0xc0000000 + MSIX_TABLE + v * PCI_MSIX_ENTRY_SIZE + field;
}

static void set_control(int cap, uint16_t control)
{
	cfg_write(2, cap + PCI_MSIX_FLAGS, control, 2);
}

TEST(msix_capability_describes_table_and_pba)
{
	struct pci_dev dev;
	int cap;
	struct pci_host *host = host_with_msix(&dev, &cap);

	CHECK_EQ(cfg_read(2, cap, 1), PCI_CAP_ID_MSIX);
	CHECK_EQ(cfg_read(2, cap + PCI_MSIX_FLAGS, 2), NR_VECTORS - 1);
	CHECK_EQ(cfg_read(2, cap + PCI_MSIX_TABLE, 4), MSIX_TABLE | 0);
	CHECK_EQ(cfg_read(2, cap + PCI_MSIX_PBA, 4), MSIX_PBA | 0);
	/* Only enable and function mask are writable. */
	set_control(cap, 0xffff);
	CHECK_EQ(cfg_read(2, cap + PCI_MSIX_FLAGS, 2),
		 0xc000 | (NR_VECTORS - 1));
	CHECK(pci_msix_enabled(&dev));
	/* Vectors start masked; reserved control bits read 0. */
	CHECK_EQ(mem_read(entry_addr(1, PCI_MSIX_ENTRY_VECTOR_CTRL)), 1);
	mem_write(entry_addr(1, PCI_MSIX_ENTRY_VECTOR_CTRL), 0xfffffffe);
	CHECK_EQ(mem_read(entry_addr(1, PCI_MSIX_ENTRY_VECTOR_CTRL)), 0);
	free_host(host);
}

TEST(msix_masked_vector_pends_until_unmasked)
{
	struct pci_dev dev;
	int cap;
	struct pci_host *host = host_with_msix(&dev, &cap);

	CHECK(!pci_msix_notify(&dev, 1));	/* MSI-X is off */
	set_control(cap, PCI_MSIX_FLAGS_ENABLE);
	CHECK(pci_msix_notify(&dev, 1));
	CHECK_EQ(fake.fired[1], 0);
	CHECK_EQ(mem_read(0xc0000000 + MSIX_PBA), 1 << 1);
	mem_write(entry_addr(1, PCI_MSIX_ENTRY_LOWER_ADDR), 0xfee01000);
	mem_write(entry_addr(1, PCI_MSIX_ENTRY_UPPER_ADDR), 0);
	mem_write(entry_addr(1, PCI_MSIX_ENTRY_DATA), 0x4041);
	CHECK_EQ(fake.fired[1], 0);
	CHECK_EQ(fake.routes, 0);
	/* The PBA is read-only. */
	mem_write(0xc0000000 + MSIX_PBA, 0);
	CHECK_EQ(mem_read(0xc0000000 + MSIX_PBA), 1 << 1);

	mem_write(entry_addr(1, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	CHECK_EQ(fake.route_addr[1], 0xfee01000);
	CHECK_EQ(fake.route_data[1], 0x4041);
	CHECK_EQ(fake.fired[1], 1);
	CHECK_EQ(mem_read(0xc0000000 + MSIX_PBA), 0);
	CHECK(pci_msix_notify(&dev, 1));
	CHECK_EQ(fake.fired[1], 2);
	CHECK(!pci_msix_notify(&dev, NR_VECTORS));
	free_host(host);
}

TEST(msix_function_mask_holds_every_vector)
{
	struct pci_dev dev;
	int cap;
	struct pci_host *host = host_with_msix(&dev, &cap);

	set_control(cap, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	mem_write(entry_addr(0, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	mem_write(entry_addr(3, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	CHECK(pci_msix_notify(&dev, 0));
	CHECK(pci_msix_notify(&dev, 3));
	CHECK(pci_msix_notify(&dev, 2));
	CHECK_EQ(mem_read(0xc0000000 + MSIX_PBA), 0xd);
	CHECK_EQ(fake.fired[0] + fake.fired[3], 0);
	set_control(cap, PCI_MSIX_FLAGS_ENABLE);
	CHECK_EQ(fake.fired[0], 1);
	CHECK_EQ(fake.fired[3], 1);
	CHECK_EQ(fake.fired[2], 0);	/* still masked on its own */
	CHECK_EQ(mem_read(0xc0000000 + MSIX_PBA), 0x4);
	free_host(host);
}

TEST(msix_reset_masks_and_disables)
{
	struct pci_dev dev;
	int cap;
	struct pci_host *host = host_with_msix(&dev, &cap);

	set_control(cap, PCI_MSIX_FLAGS_ENABLE);
	mem_write(entry_addr(2, PCI_MSIX_ENTRY_DATA), 0x30);
	mem_write(entry_addr(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	pci_host_reset(host);
	CHECK(!pci_msix_enabled(&dev));
	CHECK_EQ(cfg_read(2, cap + PCI_MSIX_FLAGS, 2), NR_VECTORS - 1);
	CHECK_EQ(mem_read(entry_addr(2, PCI_MSIX_ENTRY_DATA)), 0);
	CHECK_EQ(mem_read(entry_addr(2, PCI_MSIX_ENTRY_VECTOR_CTRL)), 1);
	free_host(host);
}

int main(void)
{
	RUN(address_register_takes_only_dword_accesses);
	RUN(data_port_byte_word_dword_at_every_offset);
	RUN(missing_functions_read_all_ones);
	RUN(read_only_fields_keep_their_values);
	RUN(kvmlite_places_bars_and_turns_decoding_on);
	RUN(sizing_reads_back_the_size_mask);
	RUN(bar_is_unmapped_while_sized);
	RUN(moving_a_bar_moves_its_bus_ranges);
	RUN(decode_bits_map_and_unmap);
	RUN(a_bar_moved_onto_another_range_is_not_decoded);
	RUN(bar_declarations_are_checked);
	RUN(capability_list_walks_in_order);
	RUN(intx_line_pin_and_disable_bit);
	RUN(slots_in_creation_order_and_errors_as_qemu);
	RUN(reset_restores_power_on_config_and_placement);
	RUN(bar_access_reaches_regions_whatever_the_decode_state);
	RUN(msix_capability_describes_table_and_pba);
	RUN(msix_masked_vector_pends_until_unmasked);
	RUN(msix_function_mask_holds_every_vector);
	RUN(msix_reset_masks_and_disables);
	return check_summary();
}
