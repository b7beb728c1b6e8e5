// SPDX-License-Identifier: MIT
/*
 * Sprays random accesses over every device the machine has: the ISA ports
 * (UARTs, PIT, port 0x61, RTC, PICs, i8042, POST port), the configuration
 * space of every PCI function (BARs, command register, capabilities, the
 * virtio access window), every byte of every BAR, MSI-X tables, and the
 * rings of a virtio-blk disk and an e1000 (queues at addresses outside RAM
 * or full of garbage, descriptor loops, kick and interrupt-cause floods,
 * resets while requests are in flight).  Then it puts the PCI functions
 * back, checks that the UART still talks, the disk still reads and the
 * NIC still resets, and exits 0.
 *
 * Command line: seed=N (the PRNG's seed, printed so that a failing run can
 * be replayed, default 1), rounds=N (default 200), flood=N (first, N kicks
 * of an empty virtio queue and N e1000 tails moved nowhere), idle (at the
 * end, stop the timers and halt with interrupts off instead of exiting,
 * for the host to measure what kvmlite does meanwhile).
 *
 * What is never sprayed, because it would end the guest on purpose: the
 * isa-debug-exit port, the i8042's pulse-output commands (0xf0-0xff, which
 * include reset), and MSI-X messages other than fixed interrupts (NMI,
 * INIT...).  Interrupts stay disabled throughout.  A device may DMA only
 * into the scratch area at the top of RAM or outside RAM: every address
 * register gets a "safe" address, and the scratch area holds only words
 * that are safe as addresses (see fill_scratch), so the guest's own code
 * and data survive whatever the devices make of the garbage.
 */
#include "guest.h"
#include "blk.h"
#include "clock.h"
#include "e1000.h"
#include "virtio.h"

#define ROUNDS_DEFAULT		200
#define SCRATCH_SIZE		0x10000
#define REFILL_SIZE		512
/* All RAM below 4 GiB: then any non-zero high half is outside RAM. */
#define RAM_LIMIT		0xc0000000ULL
#define MAX_FUNCS		16
#define NR_HDR_DWORDS		16
#define MAX_BAR_SIZE		0x100000
#define KICK_FLOOD		64
#define ICS_FLOOD		64
#define OPS_PER_ROUND		16
#define FINAL_WAIT_US		2000000
#define PIO_LIMIT		0x10000
#define FLOOD_RING		8
#define RCTL_BROADCAST		(E1000_RCTL_EN | E1000_RCTL_BAM)

#define PCI_BAR_IO		0x1
#define PCI_BAR_TYPE_64		0x4
#define PCI_ROM			0x30
#define PCI_BARS_END		0x28
#define PCI_CAP_ID_VIRTIO	PCI_CAP_ID_VENDOR
#define VIRTIO_CAP_CFG_TYPE	3
#define VIRTIO_CAP_BAR		4
#define VIRTIO_CAP_OFFSET	8
#define VIRTIO_CAP_LENGTH	12
#define VIRTIO_CAP_DATA		16
#define VIRTIO_PCI_CAP_PCI_CFG	5
#define VIRTIO_COMMON_Q_END	0x38

#define E1000_VENDOR		0x8086
#define E1000_DEVICE		0x100e
#define E1000_IODATA		4

#define I8042_COMMAND		0x64
#define I8042_PULSE_FIRST	0xf0
#define UART_MCR		0x3fc
#define UART_MCR_DTR_RTS	0x03
#define UART_LSR		0x3fd
#define PIT_CONTROL		0x43
#define PIT_CH0			0x40
#define PIT_CH0_ONE_SHOT	0x30	/* channel 0, both bytes, mode 0 */

#define MSIX_DATA_DELIVERY	9	/* entry byte with delivery mode */
#define MSIX_DELIVERY_MASK	0x07

#define ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))

struct bar {
	uint64_t base;			/* port or address; 0: none */
	uint32_t size;
	bool io;
};

struct func {
	unsigned int devfn;
	uint32_t hdr[NR_HDR_DWORDS];	/* as found, restored after sprays */
	struct bar bars[PCI_NR_BARS];
	unsigned int msix_cap, msix_bar;
	uint32_t msix_off, msix_len;
	unsigned int virtio_cfg_cap;	/* the config access window, or 0 */
	uint32_t virtio_common;		/* offset in bars[virtio_bar] */
	unsigned int virtio_bar;
	bool is_virtio, is_e1000;
};

/* An I/O port range a device claims, all of it fair game */
struct port_range {
	uint16_t base, len;
};

static const struct port_range port_ranges[] = {
	{ 0x3f8, 8 }, { 0x2f8, 8 }, { 0x3e8, 8 }, { 0x2e8, 8 },	/* UARTs */
	{ 0x40, 4 }, { 0x61, 1 },				/* PIT */
	{ 0x70, 2 },						/* RTC */
	{ 0x20, 2 }, { 0xa0, 2 },				/* PICs */
	{ 0x60, 1 }, { 0x64, 1 },				/* i8042 */
	{ 0x80, 1 },						/* POST */
};

static uint64_t rng_state;
static uint64_t ram_top, scratch;
static struct func funcs[MAX_FUNCS];
static unsigned int nr_funcs;
static struct virtio_dev blk;
static struct e1000_dev nic;
static bool have_blk, have_nic;
static uint8_t sector[BLK_SECTOR];

enum stat { ST_PIO, ST_CONFIG, ST_BAR, ST_MSIX, ST_VIRTIO, ST_E1000, NR_ST };
static unsigned long stats[NR_ST];

/* xorshift64*: small, and the same sequence for the same seed */
static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() >> 32) % n : 0;
}

static uint32_t rnd32_nonzero(void)
{
	uint32_t v = rnd64() >> 32;

	return v ? v : 1;
}

/* 1, 2 or 4 bytes; 8 too where @wide */
static unsigned int rnd_width(bool wide)
{
	return 1U << rnd(wide ? 4 : 3);
}

/*
 * A low half of a DMA address that is safe with any high half: inside
 * the scratch area (sometimes misaligned) or between the end of RAM and
 * 4 GiB (MMIO, the APICs, nothing).  A non-zero high half is outside RAM.
 */
static uint32_t safe_lo32(void)
{
	switch (rnd(4)) {
	case 0:
		return scratch + (rnd(SCRATCH_SIZE) & ~0xfffU);
	case 1:
		return scratch + rnd(SCRATCH_SIZE);
	case 2:
		return ram_top + rnd(-(uint32_t)ram_top);
	default:
		return -(1 + rnd(0x1000));
	}
}

static uint64_t safe_addr(void)
{
	if (rnd(2))
		return safe_lo32();
	return (uint64_t)rnd32_nonzero() << 32 | (rnd64() >> 32);
}

/*
 * Garbage for the devices to chew on.  Every dword is non-zero except the
 * high half of a word whose low half is safe_lo32(), so every 4-byte
 * aligned 8-byte window read as an address is safe: scratch or no RAM.
 * Small low halves make plausible lengths.
 */
static void fill_scratch(uint32_t off, uint32_t len)
{
	uint32_t *p = (uint32_t *)(uintptr_t)(scratch + (off & ~7U));
	uint32_t i;

	for (i = 0; i + 1 < len / 4; i += 2) {
		switch (rnd(3)) {
		case 0:
			p[i] = safe_lo32();
			p[i + 1] = 0;
			break;
		case 1:
			p[i] = 1 + rnd(0x1000);
			p[i + 1] = rnd32_nonzero();
			break;
		default:
			p[i] = rnd32_nonzero();
			p[i + 1] = rnd32_nonzero();
		}
	}
}

static bool find_scratch(const struct boot_info *bi)
{
	unsigned int i;

	for (i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == BOOT_MEM_RAM &&
		    bi->mem[i].addr + bi->mem[i].len > ram_top)
			ram_top = bi->mem[i].addr + bi->mem[i].len;
	scratch = ram_top - SCRATCH_SIZE;
	return ram_top <= RAM_LIMIT && scratch >= (uintptr_t)_end;
}

/* --- Port I/O ---------------------------------------------------------- */

/* Whatever byte lands on the i8042's command port is not a pulse command. */
static uint32_t no_i8042_pulse(uint16_t port, unsigned int width,
			       uint32_t val)
{
	unsigned int shift;

	if (port > I8042_COMMAND || port + width <= I8042_COMMAND)
		return val;
	shift = 8 * (I8042_COMMAND - port);
	if (((val >> shift) & 0xff) >= I8042_PULSE_FIRST)
		val &= ~(0x80U << shift);
	return val;
}

static void spray_pio(void)
{
	const struct port_range *r = &port_ranges[rnd(ARRAY_LEN(port_ranges))];
	uint16_t port = r->base + rnd(r->len);
	unsigned int width = rnd_width(false);

	if (rnd(3))
		out_sized(port, width, no_i8042_pulse(port, width,
						      rnd64() >> 32));
	else
		in_sized(port, width);
	stats[ST_PIO]++;
}

/* --- PCI configuration space ------------------------------------------- */

static uint32_t config_read(unsigned int devfn, unsigned int reg,
			    unsigned int width)
{
	if (width == 1)
		return pci_read8(devfn, reg);
	return width == 2 ? pci_read16(devfn, reg) : pci_read32(devfn, reg);
}

static void config_write(unsigned int devfn, unsigned int reg,
			 unsigned int width, uint32_t val)
{
	if (width == 1)
		pci_write8(devfn, reg, val);
	else if (width == 2)
		pci_write16(devfn, reg, val);
	else
		pci_write32(devfn, reg, val);
}

/*
 * Decode off while the BARs go back, so that no BAR passes over another
 * one's place; then the command register as it was.
 */
static void restore_header(const struct func *f)
{
	unsigned int reg;

	pci_write16(f->devfn, PCI_COMMAND, 0);
	for (reg = PCI_BAR0; reg < PCI_BARS_END; reg += 4)
		pci_write32(f->devfn, reg, f->hdr[reg / 4]);
	pci_write32(f->devfn, PCI_ROM, f->hdr[PCI_ROM / 4]);
	pci_write16(f->devfn, PCI_COMMAND, f->hdr[PCI_COMMAND / 4]);
}

static bool overlaps(uint32_t off, uint32_t len, uint32_t start,
		     uint32_t size)
{
	return off < start + size && start < off + len;
}

/* BAR sizing as firmware does it, with decode off */
static uint32_t size_bar(const struct func *f, unsigned int reg, bool io)
{
	uint32_t mask;

	pci_write32(f->devfn, reg, ~0U);
	mask = pci_read32(f->devfn, reg);
	pci_write32(f->devfn, reg, f->hdr[reg / 4]);
	mask &= io ? ~3U : ~0xfU;
	return io ? (~mask + 1) & 0xffff : ~mask + 1;
}

static void find_bars(struct func *f)
{
	unsigned int i;

	pci_write16(f->devfn, PCI_COMMAND, 0);
	for (i = 0; i < PCI_NR_BARS; i++) {
		uint32_t low = f->hdr[PCI_BAR0 / 4 + i];
		struct bar *b = &f->bars[i];

		if (!low)
			continue;
		b->io = low & PCI_BAR_IO;
		b->base = low & (b->io ? ~3U : ~0xfU);
		b->size = size_bar(f, PCI_BAR0 + 4 * i, b->io);
		if (!b->io && (low & PCI_BAR_TYPE_64) && ++i < PCI_NR_BARS)
			b->base |= (uint64_t)f->hdr[PCI_BAR0 / 4 + i] << 32;
		if (b->size > MAX_BAR_SIZE || (b->io && b->base +
					       b->size > PIO_LIMIT) ||
		    (!b->io && map_identity(b->base, b->size)))
			b->base = 0;
	}
	pci_write16(f->devfn, PCI_COMMAND, f->hdr[PCI_COMMAND / 4]);
}

static void find_msix(struct func *f)
{
	uint32_t table;
	unsigned int entries;

	f->msix_cap = pci_find_cap(f->devfn, PCI_CAP_ID_MSIX, 0);
	if (!f->msix_cap)
		return;
	table = pci_read32(f->devfn, f->msix_cap + PCI_MSIX_TABLE);
	entries = (pci_read16(f->devfn, f->msix_cap + PCI_MSIX_CTRL) &
		   PCI_MSIX_CTRL_SIZE) + 1;
	f->msix_bar = table & PCI_MSIX_BIR;
	f->msix_off = table & ~PCI_MSIX_BIR;
	f->msix_len = entries * PCI_MSIX_ENTRY_SIZE;
}

static void find_virtio_caps(struct func *f)
{
	unsigned int cap = 0;

	while ((cap = pci_find_cap(f->devfn, PCI_CAP_ID_VIRTIO, cap))) {
		uint8_t type = pci_read8(f->devfn, cap + VIRTIO_CAP_CFG_TYPE);

		if (type == VIRTIO_PCI_CAP_PCI_CFG) {
			f->virtio_cfg_cap = cap;
		} else if (type == 1) {	/* common configuration */
			f->virtio_bar = pci_read8(f->devfn,
						  cap + VIRTIO_CAP_BAR);
			f->virtio_common = pci_read32(f->devfn,
						      cap + VIRTIO_CAP_OFFSET);
		}
	}
}

static bool add_func(unsigned int devfn, const void *arg)
{
	struct func *f = &funcs[nr_funcs];
	unsigned int i;

	(void)arg;
	if (nr_funcs == MAX_FUNCS)
		return true;
	f->devfn = devfn;
	for (i = 0; i < NR_HDR_DWORDS; i++)
		f->hdr[i] = pci_read32(devfn, 4 * i);
	f->is_virtio = (f->hdr[0] & 0xffff) == VIRTIO_PCI_VENDOR;
	f->is_e1000 = f->hdr[0] == (E1000_DEVICE << 16 | E1000_VENDOR);
	find_bars(f);
	find_msix(f);
	if (f->is_virtio)
		find_virtio_caps(f);
	nr_funcs++;
	return false;
}

/* --- What a write may not do: DMA addresses and MSI-X messages ----------- */

/*
 * The offset of the DMA address dword that [@off, @off + @len) of BAR
 * @bar touches, with *@low telling whether it is a low half; -1 if none.
 */
static int64_t dma_dword(const struct func *f, unsigned int bar,
			 uint32_t off, uint32_t len, bool *low)
{
	static const uint32_t e1000_regs[] = {
		E1000_RDBAL, E1000_RDBAH, E1000_TDBAL, E1000_TDBAH,
	};
	uint32_t q = f->virtio_common + VIRTIO_COMMON_Q_DESC;
	unsigned int i;

	if (f->is_virtio && bar == f->virtio_bar &&
	    overlaps(off, len, q, VIRTIO_COMMON_Q_END - VIRTIO_COMMON_Q_DESC)) {
		uint32_t dw = (off < q ? q : off & ~3U);

		*low = !((dw - q) & 4);
		return dw;
	}
	if (!f->is_e1000 || bar)
		return -1;
	for (i = 0; i < ARRAY_LEN(e1000_regs); i++) {
		if (overlaps(off, len, e1000_regs[i], 4)) {
			*low = !(e1000_regs[i] & 4);
			return e1000_regs[i];
		}
	}
	return -1;
}

/* Only fixed interrupts: no NMI, SMI, INIT or ExtINT to the guest. */
static uint64_t msix_fixed(const struct func *f, unsigned int bar,
			   uint32_t off, unsigned int width, uint64_t val)
{
	unsigned int i;

	if (!f->msix_cap || bar != f->msix_bar)
		return val;
	for (i = 0; i < width; i++) {
		uint32_t at = off + i;

		if (at >= f->msix_off && at - f->msix_off < f->msix_len &&
		    (at - f->msix_off) % PCI_MSIX_ENTRY_SIZE ==
		    MSIX_DATA_DELIVERY)
			val &= ~((uint64_t)MSIX_DELIVERY_MASK << (8 * i));
	}
	return val;
}

/* --- BARs -------------------------------------------------------------- */

static void bar_write(const struct bar *b, uint32_t off, unsigned int width,
		      uint64_t val)
{
	uint64_t a = b->base + off;

	if (b->io)
		out_sized(a, width, val);
	else if (width == 1)
		mmio_write8(a, val);
	else if (width == 2)
		mmio_write16(a, val);
	else if (width == 4)
		mmio_write32(a, val);
	else
		mmio_write64(a, val);
}

static void bar_read(const struct bar *b, uint32_t off, unsigned int width)
{
	uint64_t a = b->base + off;

	if (b->io)
		in_sized(a, width);
	else if (width == 1)
		mmio_read8(a);
	else if (width == 2)
		mmio_read16(a);
	else if (width == 4)
		mmio_read32(a);
	else
		mmio_read64(a);
}

/*
 * A write of @val to [@off, @off + @width) of what BAR @bar decodes, with
 * @write doing it: a DMA address register gets a whole safe dword instead.
 */
static void safe_write(const struct func *f, unsigned int bar, uint32_t off,
		       unsigned int width, uint64_t val,
		       void (*write)(const struct func *f, unsigned int bar,
				     uint32_t off, unsigned int width,
				     uint64_t val))
{
	bool low;
	int64_t dw = dma_dword(f, bar, off, width, &low);

	if (dw >= 0)
		write(f, bar, dw, 4, low ? safe_lo32() : rnd64() >> 32);
	else
		write(f, bar, off, width, msix_fixed(f, bar, off, width, val));
}

static void direct_write(const struct func *f, unsigned int bar, uint32_t off,
			 unsigned int width, uint64_t val)
{
	bar_write(&f->bars[bar], off, width, val);
}

/* Through the e1000's I/O window: IOADDR, then IODATA */
static void window_write(const struct func *f, unsigned int bar, uint32_t off,
			 unsigned int width, uint64_t val)
{
	(void)f;
	(void)bar;
	outl(nic.io, off);
	out_sized(nic.io + E1000_IODATA, width, val);
}

/* The virtio configuration access window (virtio 1.2, 4.1.4.9) */
static void cfg_window_write(const struct func *f, unsigned int bar,
			     uint32_t off, unsigned int width, uint64_t val)
{
	unsigned int cap = f->virtio_cfg_cap;

	pci_write8(f->devfn, cap + VIRTIO_CAP_BAR, bar);
	pci_write32(f->devfn, cap + VIRTIO_CAP_OFFSET, off);
	pci_write32(f->devfn, cap + VIRTIO_CAP_LENGTH, width);
	config_write(f->devfn, cap + VIRTIO_CAP_DATA, width, val);
}

static void spray_cfg_window(const struct func *f)
{
	unsigned int bar = rnd(4) ? f->virtio_bar : rnd(PCI_NR_BARS);
	unsigned int width = rnd_width(false);
	uint32_t off = rnd(f->bars[f->virtio_bar].size) & ~(width - 1);

	if (rnd(4)) {
		safe_write(f, bar, off, width, rnd64(), cfg_window_write);
		return;
	}
	/* Lengths and offsets the window must refuse, data read back */
	pci_write8(f->devfn, f->virtio_cfg_cap + VIRTIO_CAP_BAR, rnd(256));
	pci_write32(f->devfn, f->virtio_cfg_cap + VIRTIO_CAP_OFFSET,
		    rnd64() >> 32);
	pci_write32(f->devfn, f->virtio_cfg_cap + VIRTIO_CAP_LENGTH, rnd(9));
	pci_read32(f->devfn, f->virtio_cfg_cap + VIRTIO_CAP_DATA);
}

static void spray_config(void)
{
	struct func *f = &funcs[rnd(nr_funcs)];
	unsigned int width = rnd_width(false);
	unsigned int reg;

	stats[ST_CONFIG]++;
	if (f->msix_cap && !rnd(4))
		reg = f->msix_cap + rnd(12);
	else
		reg = rnd(256);
	reg &= ~(width - 1);
	if (!rnd(3)) {
		config_read(f->devfn, reg, width);
		return;
	}
	if (f->virtio_cfg_cap &&
	    overlaps(reg, width, f->virtio_cfg_cap + VIRTIO_CAP_DATA, 4)) {
		spray_cfg_window(f);
		return;
	}
	config_write(f->devfn, reg, width, rnd64() >> 32);
	if (overlaps(reg, width, PCI_COMMAND, 2) ||
	    overlaps(reg, width, PCI_BAR0, PCI_ROM + 4 - PCI_BAR0))
		restore_header(f);
}

/* A random BAR of a random function, or NULL and *@bar unset */
static struct func *pick_bar(unsigned int *bar)
{
	struct func *f = &funcs[rnd(nr_funcs)];
	unsigned int i, start = rnd(PCI_NR_BARS);

	for (i = 0; i < PCI_NR_BARS; i++) {
		*bar = (start + i) % PCI_NR_BARS;
		if (f->bars[*bar].base)
			return f;
	}
	return NULL;
}

static void spray_bar(void)
{
	unsigned int bar, width;
	struct func *f = pick_bar(&bar);
	const struct bar *b;
	uint32_t off;

	if (!f)
		return;
	b = &f->bars[bar];
	width = rnd_width(!b->io);
	off = rnd(b->size);
	if (off + width > b->size)
		off = b->size - width;
	stats[ST_BAR]++;
	if (!rnd(3)) {
		bar_read(b, off, width);
	} else if (f->is_e1000 && b->io && overlaps(off, width,
						     E1000_IODATA, 4)) {
		safe_write(f, 0, rnd(f->bars[0].size) & ~3U, width,
			   rnd64(), window_write);
	} else {
		safe_write(f, bar, off, width, rnd64(), direct_write);
	}
}

static void spray_msix(void)
{
	struct func *f = &funcs[rnd(nr_funcs)];
	uint32_t off;

	if (!f->msix_cap || !f->bars[f->msix_bar].base)
		return;
	off = f->msix_off + (rnd(f->msix_len) & ~3U);
	safe_write(f, f->msix_bar, off, 4, rnd64(), direct_write);
	if (!rnd(4))
		pci_write16(f->devfn, f->msix_cap + PCI_MSIX_CTRL,
			    rnd(0x10000));
	stats[ST_MSIX]++;
}

/* --- Device state machines ------------------------------------------------ */

static void common_write16(unsigned int off, uint16_t val)
{
	mmio_write16(blk.common + off, val);
}

static void common_write_addr(unsigned int off)
{
	uint64_t addr = safe_addr();

	mmio_write32(blk.common + off, addr);
	mmio_write32(blk.common + off + 4, addr >> 32);
}

/*
 * A queue of a random size at safe addresses, enabled, the device driven
 * to DRIVER_OK (or not), kicked many times, and sometimes reset at once.
 */
static void drive_virtio(void)
{
	unsigned int q = rnd(VIRTIO_MAX_QUEUES + 1), i;

	virtio_set_status(&blk, 0);
	if (rnd(4))
		virtio_negotiate(&blk, rnd64() |
				 VIRTIO_BIT(VIRTIO_F_VERSION_1));
	common_write16(VIRTIO_COMMON_Q_SELECT, q);
	common_write16(VIRTIO_COMMON_Q_SIZE, rnd(3) ? 1U << rnd(16) :
		       rnd(0x10000));
	common_write_addr(VIRTIO_COMMON_Q_DESC);
	common_write_addr(VIRTIO_COMMON_Q_AVAIL);
	common_write_addr(VIRTIO_COMMON_Q_USED);
	common_write16(VIRTIO_COMMON_Q_ENABLE, rnd(4) ? 1 : rnd(0x10000));
	if (rnd(4))
		virtio_set_status(&blk, virtio_status(&blk) |
				  VIRTIO_STATUS_DRIVER_OK);
	for (i = rnd(KICK_FLOOD); i; i--)
		mmio_write16(blk.notify + q * blk.notify_mult,
			     rnd(8) ? q : rnd(0x10000));
	if (rnd(2))
		virtio_set_status(&blk, rnd(2) ? 0 : rnd(256));
	stats[ST_VIRTIO]++;
}

/*
 * Rings at safe addresses of random lengths, tails anywhere, both
 * directions enabled, interrupt causes raised in a flood, and a reset in
 * the middle now and then.
 */
static void drive_e1000(void)
{
	unsigned int i;

	e1000_write(&nic, E1000_RDBAL, safe_lo32());
	e1000_write(&nic, E1000_RDBAH, rnd(4) ? 0 : rnd64() >> 32);
	e1000_write(&nic, E1000_TDBAL, safe_lo32());
	e1000_write(&nic, E1000_TDBAH, rnd(4) ? 0 : rnd64() >> 32);
	e1000_write(&nic, E1000_RDLEN, rnd(3) ? rnd(SCRATCH_SIZE) :
		    rnd64() >> 32);
	e1000_write(&nic, E1000_TDLEN, rnd(3) ? rnd(SCRATCH_SIZE) & ~0x7fU :
		    rnd64() >> 32);
	e1000_write(&nic, E1000_RDH, rnd(64));
	e1000_write(&nic, E1000_TDH, rnd(64));
	e1000_write(&nic, E1000_RCTL, rnd64() >> 32 | E1000_RCTL_EN);
	e1000_write(&nic, E1000_TCTL, rnd64() >> 32 | E1000_TCTL_EN);
	e1000_write(&nic, E1000_IMS, rnd64() >> 32);
	e1000_write(&nic, E1000_RDT, rnd(0x10000));
	e1000_write(&nic, E1000_TDT, rnd(0x10000));
	for (i = rnd(ICS_FLOOD); i; i--)
		e1000_write(&nic, E1000_ICS, rnd64() >> 32);
	if (rnd(2))
		e1000_write(&nic, E1000_CTRL, E1000_CTRL_RST);
	stats[ST_E1000]++;
}

static void round_of_sprays(void)
{
	unsigned int i;

	fill_scratch(rnd(SCRATCH_SIZE - REFILL_SIZE), REFILL_SIZE);
	for (i = 0; i < OPS_PER_ROUND; i++) {
		switch (rnd(8)) {
		case 0:
		case 1:
			spray_pio();
			break;
		case 2:
			spray_config();
			break;
		case 3:
		case 4:
			spray_bar();
			break;
		case 5:
			spray_msix();
			break;
		case 6:
			if (have_blk)
				drive_virtio();
			break;
		default:
			if (have_nic)
				drive_e1000();
		}
	}
}

/* --- Afterwards: does the machine still work? --------------------------- */

static bool uart_works(void)
{
	outb(UART_MCR, UART_MCR_DTR_RTS);	/* out of loopback */
	serial_init();
	return inb(UART_LSR) != 0xff;
}

/* A read of sector 0 by polling: pending interrupts stay pending. */
static bool disk_works(void)
{
	struct virtq_used_elem elem;
	struct blk_req req;
	uint64_t end;

	if (blk_open_first(&blk, VIRTIO_BIT(VIRTIO_F_VERSION_1), 16) ||
	    blk_submit(&blk.vq[0], &req, VIRTIO_BLK_T_IN, 0, sector,
		       BLK_SECTOR, BLK_SECTOR, false))
		return false;
	virtq_kick(&blk.vq[0]);
	end = rdtsc() + tsc_cycles_us(FINAL_WAIT_US);
	while (rdtsc() < end) {
		if (virtq_get_used(&blk.vq[0], &elem))
			return req.status == VIRTIO_BLK_S_OK;
		cpu_relax();
	}
	return false;
}

static bool nic_works(void)
{
	return !e1000_reset(&nic) &&
	       e1000_read(&nic, E1000_STATUS) != 0xffffffff;
}

static void restore_all(void)
{
	unsigned int i;

	for (i = 0; i < nr_funcs; i++)
		pci_write16(funcs[i].devfn, PCI_COMMAND, 0);
	for (i = 0; i < nr_funcs; i++)
		restore_header(&funcs[i]);
}

/*
 * Doorbells with nothing behind them: every kick finds the rings as they
 * were, every TDT write the tail where it already is.
 */
static void flood(unsigned long n)
{
	unsigned long i;

	if (have_blk && blk_open_first(&blk, VIRTIO_BIT(VIRTIO_F_VERSION_1),
				       FLOOD_RING))
		have_blk = false;
	if (have_nic) {
		e1000_reset(&nic);
		e1000_rings(&nic, FLOOD_RING, FLOOD_RING, RCTL_BROADCAST);
	}
	for (i = 0; i < n; i++) {
		if (have_blk)
			mmio_write16(blk.vq[0].notify, 0);
		if (have_nic)
			e1000_write(&nic, E1000_TDT,
				    e1000_read(&nic, E1000_TDH));
	}
}

/*
 * No timer left ticking: PIT channel 0 runs one count down and stops,
 * the RTC raises nothing.  Then halt for good.
 */
static void __attribute__((noreturn)) idle(void)
{
	outb(PIT_CONTROL, PIT_CH0_ONE_SHOT);
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);
	cmos_write(CMOS_REG_B, RTC_B_24H);
	cmos_read(CMOS_REG_C);
	printf("hostile_spray: idle\n");
	for (;;)
		asm volatile("cli; hlt");
}

static void set_up_devices(void)
{
	int devfn = virtio_pci_find(VIRTIO_ID_BLOCK, -1);

	have_blk = devfn >= 0 && !virtio_probe(&blk, devfn);
	have_nic = !e1000_find(&nic, 0);
	pci_find(add_func, NULL);
}

/* Sets *@out to the number given as @key, or leaves it if there is none. */
static bool get_number(const char *cmdline, const char *key,
		       unsigned long *out)
{
	const char *val = cmdline_get(cmdline, key);

	return !val || cmdline_parse_ulong(val, out);
}

static bool parse_args(const char *cmdline, unsigned long *rounds,
		       unsigned long *kicks)
{
	unsigned long val = 1;

	*rounds = ROUNDS_DEFAULT;
	*kicks = 0;
	if (!get_number(cmdline, "seed", &val) ||
	    !get_number(cmdline, "rounds", rounds) ||
	    !get_number(cmdline, "flood", kicks))
		return false;
	/* xorshift never leaves 0 */
	rng_state = val ? val : 1;
	return true;
}

int guest_main(const struct boot_info *bi)
{
	unsigned long rounds, kicks, i;
	bool uart_ok, disk_ok, nic_ok;

	asm volatile("cli");
	if (!parse_args(bi->cmdline, &rounds, &kicks)) {
		printf("hostile_spray: expected seed=N rounds=N flood=N\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	if (!find_scratch(bi)) {
		printf("hostile_spray: needs RAM above the image, "
		       "below 3 GiB\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	printf("hostile_spray: seed=%lu rounds=%lu\n", rng_state, rounds);
	tsc_khz();
	set_up_devices();
	printf("hostile_spray: %u PCI functions, virtio-blk %s, e1000 %s\n",
	       nr_funcs, have_blk ? "yes" : "no", have_nic ? "yes" : "no");
	flood(kicks);
	fill_scratch(0, SCRATCH_SIZE);
	for (i = 0; i < rounds; i++)
		round_of_sprays();
	restore_all();
	uart_ok = uart_works();
	disk_ok = !have_blk || disk_works();
	nic_ok = !have_nic || nic_works();
	printf("\nhostile_spray: %lu pio, %lu config, %lu bar, %lu msix, "
	       "%lu virtio, %lu e1000\n", stats[ST_PIO], stats[ST_CONFIG],
	       stats[ST_BAR], stats[ST_MSIX], stats[ST_VIRTIO],
	       stats[ST_E1000]);
	printf("hostile_spray: uart %s, disk %s, nic %s\n",
	       uart_ok ? "ok" : "FAIL", disk_ok ? "ok" : "FAIL",
	       nic_ok ? "ok" : "FAIL");
	if (cmdline_get(bi->cmdline, "idle"))
		idle();
	return uart_ok && disk_ok && nic_ok ? 0 : 1;
}
