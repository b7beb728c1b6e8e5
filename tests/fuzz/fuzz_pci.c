// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for PCI configuration space: the input is a hostile
 * guest's sequence of accesses to the host bridge's ports 0xcf8/0xcfc-
 * 0xcff (any bus, device, function and register, with BAR sizing,
 * command and capability writes), of accesses to wherever the BARs are
 * decoded at that moment, and of machine resets.  On the bus: the host
 * bridge, an e1000, and a function with an I/O, a 32-bit and a 64-bit
 * memory BAR and MSI-X, on tests/unit/fake_pci.h's platform.
 *
 * The host and functions are made once; each input starts from a reset.
 *
 * Input layout (little-endian): steps of 8 bytes, a kind byte, a byte
 * that picks the access size (and, for BAR accesses, the function and
 * BAR), a 16-bit offset (into the BAR, or of the data port), 32 bits of
 * data.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fake_pci.h"
#include "kvmlite/bus.h"
#include "kvmlite/e1000.h"
#include "kvmlite/memory.h"
#include "kvmlite/pci.h"

#define STEP_SIZE	8
#define RAM_SIZE	0x10000U
#define MSIX_VECTORS	8

enum step_kind {
	CONFIG_ADDRESS,
	CONFIG_READ,
	CONFIG_WRITE,
	BAR_READ,
	BAR_WRITE,
	RESET,
	NR_KINDS
};

struct fuzz_pci {
	struct pci_host *host;
	struct pci_dev bare;
	struct e1000 *e1000;
	struct guest_mem mem;
};

static struct fuzz_pci fz;

/* The bare function's registers: reads return the offset, writes vanish. */
static void bare_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		    bool write)
{
	(void)opaque;
	if (!write)
		memcpy(data, &offset, len < 8 ? len : 8);
}

static void add_bare(struct fuzz_pci *f)
{
	static const struct pci_ids ids = {
		.vendor = 0x1af4, .device = 0x10ff, .class_code = 0xff0000,
		.irq_pin = 1,
	};
	struct pci_region io = { 0, 32, bare_io, f, "bare-io" };
	struct pci_region mem = { 0, 4096, bare_io, f, "bare-mem" };
	char err[256];

	pci_dev_init(&f->bare, &ids, "bare", NULL, f);
	ENSURE(!pci_dev_add_bar(&f->bare, 0, PCI_BAR_IO, 32) &&
	       !pci_dev_add_bar(&f->bare, 1, PCI_BAR_MEM32, 4096) &&
	       !pci_dev_add_bar(&f->bare, 2, PCI_BAR_MEM64, 0x4000) &&
	       !pci_bar_add_region(&f->bare, 0, &io) &&
	       !pci_bar_add_region(&f->bare, 1, &mem) &&
	       !pci_msix_init(&f->bare, MSIX_VECTORS, 2, 0, 0x2000) &&
	       !pci_host_attach(f->host, &f->bare, -1, err, sizeof(err)));
}

static void setup(struct fuzz_pci *f)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct e1000_params params = { .mac = mac, .mem = &f->mem };
	char err[256];

	f->mem.host = calloc(1, RAM_SIZE);
	ENSURE(f->mem.host);
	f->mem.size = f->mem.low_size = RAM_SIZE;
	f->host = new_host();
	ENSURE(f->host);
	f->e1000 = e1000_new(&params);
	ENSURE(f->e1000 && !pci_host_attach(f->host, e1000_pci_dev(f->e1000),
					     -1, err, sizeof(err)));
	add_bare(f);
}

/* An access inside BAR (@pick / 4) % 6 of one of the two functions. */
static void bar_access(struct fuzz_pci *f, uint8_t pick, uint16_t offset,
		       uint32_t *val, uint32_t len, bool write)
{
	struct pci_dev *dev = pick & 0x80 ? &f->bare : e1000_pci_dev(f->e1000);
	const struct pci_bar *bar = &dev->bars[(pick >> 2) % PCI_NR_BARS];
	uint64_t addr;

	if (bar->type == PCI_BAR_NONE || bar->mapped == PCI_BAR_UNMAPPED)
		return;
	addr = bar->mapped + (offset & (bar->size - 1) & ~(uint64_t)(len - 1));
	bus_access(bar->type == PCI_BAR_IO ? fake.pio : fake.mmio, addr, val,
		   len, write);
}

static void step(struct fuzz_pci *f, const uint8_t *s)
{
	static const uint32_t sizes[4] = { 1, 2, 4, 4 };
	uint32_t len = sizes[s[1] & 3], val = fuzz_rd32(s + 4);
	uint16_t offset = fuzz_rd16(s + 2);
	uint16_t port = PCI_CONFIG_DATA + (offset & 3);

	switch (s[0] % NR_KINDS) {
	case CONFIG_ADDRESS:
		bus_access(fake.pio, PCI_CONFIG_ADDRESS, &val, 4, true);
		break;
	case CONFIG_READ:
		bus_access(fake.pio, port, &val, len, false);
		break;
	case CONFIG_WRITE:
		bus_access(fake.pio, port, &val, len, true);
		break;
	case BAR_READ:
	case BAR_WRITE:
		bar_access(f, s[1], offset, &val, len,
			   s[0] % NR_KINDS == BAR_WRITE);
		break;
	default:
		pci_host_reset(f->host);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;

	if (!fz.host)
		setup(&fz);
	pci_host_reset(fz.host);
	for (i = 0; i + STEP_SIZE <= size; i += STEP_SIZE)
		step(&fz, data + i);
	return 0;
}
