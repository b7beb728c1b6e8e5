// SPDX-License-Identifier: MIT
#include "guest.h"
#include "clock.h"
#include "e1000.h"
#include "irq.h"

#define STR(x)			#x
#define XSTR(x)			STR(x)

#define E1000_VENDOR		0x8086
#define E1000_DEVICE		0x100e
#define LAPIC_EOI_ADDR		0xfee000b0
#define IOAPIC_PINS		24
#define EE_READ_OPCODE		0x6	/* start bit, then 10b */
#define EE_OPCODE_BITS		3
#define EE_ADDR_BITS		6
#define EERD_START		(1U << 0)
#define EERD_DONE		(1U << 4)
#define MDIC_READY		(1U << 28)
#define MDIC_ERROR		(1U << 30)
#define MDIC_OP_WRITE		(1U << 26)
#define MDIC_OP_READ		(2U << 26)
#define PHY_ADDR		1
#define WAIT_US			100000
#define TX_BUF			2048
#define TX_CHUNK		4096	/* per data descriptor */

volatile uint32_t e1000_irq_count;
volatile uint32_t e1000_irq_causes;
/* The ICR the INTx handler reads, which also lowers INTx#. */
uint64_t e1000_icr_addr;

extern char e1000_intx_entry[];

asm(".pushsection .text\n"
    "e1000_intx_entry:\n"
    "	pushq %rax\n"
    "	movq e1000_icr_addr(%rip), %rax\n"
    "	movl (%rax), %eax\n"
    "	lock orl %eax, e1000_irq_causes(%rip)\n"
    "	lock incl e1000_irq_count(%rip)\n"
    "	xorl %eax, %eax\n"
    "	movabsl %eax, " XSTR(LAPIC_EOI_ADDR) "\n"
    "	popq %rax\n"
    "	iretq\n"
    ".popsection\n");

static struct e1000_rx_desc rx_ring[E1000_MAX_RING]
	__attribute__((aligned(4096), section(".noinit")));
static struct e1000_tx_desc tx_ring[E1000_MAX_RING]
	__attribute__((aligned(4096), section(".noinit")));
static uint8_t rx_bufs[E1000_MAX_RING][E1000_RX_BUF]
	__attribute__((aligned(4096), section(".noinit")));
static uint8_t tx_bufs[E1000_MAX_RING][TX_BUF]
	__attribute__((aligned(4096), section(".noinit")));

static inline void barrier(void)
{
	asm volatile("" : : : "memory");
}

struct match {
	unsigned int index;
};

static bool is_e1000(unsigned int devfn, const void *arg)
{
	struct match *m = (struct match *)arg;

	if (pci_read16(devfn, PCI_VENDOR_ID) != E1000_VENDOR ||
	    pci_read16(devfn, PCI_DEVICE_ID) != E1000_DEVICE)
		return false;
	return m->index-- == 0;
}

/* The first I/O BAR, as the Linux driver looks for one. */
static uint16_t find_io_bar(unsigned int devfn)
{
	unsigned int bar;
	uint32_t v;

	for (bar = 1; bar < PCI_NR_BARS; bar++) {
		v = pci_read32(devfn, PCI_BAR0 + 4 * bar);
		if (v & 1)
			return v & 0xfffc;
	}
	return 0;
}

int e1000_find(struct e1000_dev *d, unsigned int index)
{
	struct match m = { index };
	int devfn = pci_find(is_e1000, &m);

	memset(d, 0, sizeof(*d));
	if (devfn < 0 || pci_bar(devfn, 0, &d->mmio))
		return -1;
	d->devfn = devfn;
	d->io = find_io_bar(devfn);
	pci_write16(devfn, PCI_COMMAND, pci_read16(devfn, PCI_COMMAND) |
		    PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	return 0;
}

/* --- EEPROM and PHY --------------------------------------------------- */

static void ee_bit_out(const struct e1000_dev *d, uint32_t eecd, bool bit)
{
	eecd = (eecd & ~E1000_EECD_DI) | (bit ? E1000_EECD_DI : 0);
	e1000_write(d, E1000_EECD, eecd);
	e1000_write(d, E1000_EECD, eecd | E1000_EECD_SK);
	e1000_write(d, E1000_EECD, eecd);
}

static bool ee_bit_in(const struct e1000_dev *d, uint32_t eecd)
{
	bool bit;

	e1000_write(d, E1000_EECD, eecd | E1000_EECD_SK);
	bit = e1000_read(d, E1000_EECD) & E1000_EECD_DO;
	e1000_write(d, E1000_EECD, eecd);
	return bit;
}

uint16_t e1000_eeprom_microwire(const struct e1000_dev *d, unsigned int addr)
{
	uint32_t eecd = e1000_read(d, E1000_EECD) | E1000_EECD_REQ;
	uint16_t word = 0;
	int i;

	e1000_write(d, E1000_EECD, eecd);
	for (i = 0; i < 1000 && !(e1000_read(d, E1000_EECD) & E1000_EECD_GNT);
	     i++)
		tsc_delay_us(5);
	eecd = (eecd | E1000_EECD_CS) & ~(E1000_EECD_SK | E1000_EECD_DI);
	e1000_write(d, E1000_EECD, eecd);
	for (i = EE_OPCODE_BITS - 1; i >= 0; i--)
		ee_bit_out(d, eecd, EE_READ_OPCODE >> i & 1);
	for (i = EE_ADDR_BITS - 1; i >= 0; i--)
		ee_bit_out(d, eecd, addr >> i & 1);
	eecd &= ~E1000_EECD_DI;
	for (i = 0; i < 16; i++)
		word = word << 1 | ee_bit_in(d, eecd);
	e1000_write(d, E1000_EECD, eecd & ~(E1000_EECD_CS | E1000_EECD_REQ));
	return word;
}

uint16_t e1000_eeprom_eerd(const struct e1000_dev *d, unsigned int addr)
{
	uint32_t v = 0;
	int i;

	e1000_write(d, E1000_EERD, addr << 8 | EERD_START);
	for (i = 0; i < 1000; i++) {
		v = e1000_read(d, E1000_EERD);
		if (v & EERD_DONE)
			break;
		tsc_delay_us(5);
	}
	return v >> 16;
}

static int mdic(const struct e1000_dev *d, uint32_t cmd, uint32_t *result)
{
	uint64_t end = rdtsc() + tsc_cycles_us(WAIT_US);
	uint32_t v;

	e1000_write(d, E1000_MDIC, cmd | PHY_ADDR << 21);
	do {
		v = e1000_read(d, E1000_MDIC);
		if (v & MDIC_READY) {
			*result = v;
			return v & MDIC_ERROR ? -1 : 0;
		}
	} while (rdtsc() < end);
	return -1;
}

int e1000_phy_read(const struct e1000_dev *d, unsigned int reg,
		   uint16_t *val)
{
	uint32_t v;

	if (mdic(d, MDIC_OP_READ | reg << 16, &v))
		return -1;
	*val = v;
	return 0;
}

int e1000_phy_write(const struct e1000_dev *d, unsigned int reg,
		    uint16_t val)
{
	uint32_t v;

	return mdic(d, MDIC_OP_WRITE | reg << 16 | val, &v);
}

/* --- setup ------------------------------------------------------------ */

int e1000_reset(struct e1000_dev *d)
{
	uint64_t end;
	unsigned int i;
	uint16_t w;

	e1000_write(d, E1000_IMC, ~0U);
	e1000_write(d, E1000_CTRL, e1000_read(d, E1000_CTRL) | E1000_CTRL_RST);
	end = rdtsc() + tsc_cycles_us(WAIT_US);
	while (e1000_read(d, E1000_CTRL) & E1000_CTRL_RST)
		if (rdtsc() > end)
			return -1;
	e1000_write(d, E1000_IMC, ~0U);
	e1000_read(d, E1000_ICR);
	for (i = 0; i < 3; i++) {
		w = e1000_eeprom_eerd(d, i);
		d->mac[2 * i] = w;
		d->mac[2 * i + 1] = w >> 8;
	}
	return 0;
}

void e1000_rings(struct e1000_dev *d, unsigned int rx, unsigned int tx,
		 uint32_t rctl)
{
	unsigned int i;

	d->rx = rx_ring;
	d->tx = tx_ring;
	d->rx_count = rx;
	d->tx_count = tx;
	d->rx_next = d->tx_next = d->tx_clean = 0;
	memset(rx_ring, 0, sizeof(rx_ring));
	memset(tx_ring, 0, sizeof(tx_ring));
	for (i = 0; i < rx; i++)
		rx_ring[i].addr = (uintptr_t)rx_bufs[i];
	e1000_write(d, E1000_RDBAL, (uintptr_t)rx_ring);
	e1000_write(d, E1000_RDBAH, 0);
	e1000_write(d, E1000_RDLEN, rx * sizeof(*rx_ring));
	e1000_write(d, E1000_RDH, 0);
	e1000_write(d, E1000_RDT, rx - 1);
	e1000_write(d, E1000_TDBAL, (uintptr_t)tx_ring);
	e1000_write(d, E1000_TDBAH, 0);
	e1000_write(d, E1000_TDLEN, tx * sizeof(*tx_ring));
	e1000_write(d, E1000_TDH, 0);
	e1000_write(d, E1000_TDT, 0);
	e1000_write(d, E1000_RCTL, rctl);
	e1000_write(d, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
}

int e1000_irq_setup(struct e1000_dev *d, unsigned int vector, uint32_t ims)
{
	if (pci_intx_route(d->devfn, &d->intx) ||
	    d->intx.ioapic_pin >= IOAPIC_PINS)
		return -1;
	pci_write16(d->devfn, PCI_COMMAND,
		    pci_read16(d->devfn, PCI_COMMAND) & ~PCI_COMMAND_INTX_OFF);
	e1000_icr_addr = d->mmio + E1000_ICR;
	irq_set_gate(vector, e1000_intx_entry);
	ioapic_route(d->intx.ioapic_pin, vector, d->intx.flags);
	e1000_write(d, E1000_IMS, ims);
	return 0;
}

/* --- transmit --------------------------------------------------------- */

static unsigned int tx_free(const struct e1000_dev *d)
{
	return (d->tx_clean + d->tx_count - d->tx_next - 1) % d->tx_count;
}

static void tx_put(struct e1000_dev *d, uint64_t addr, uint32_t lower,
		   uint32_t upper)
{
	struct e1000_tx_desc *t = &d->tx[d->tx_next];

	t->addr = addr;
	t->lower = lower;
	t->upper = upper;
	d->tx_next = (d->tx_next + 1) % d->tx_count;
}

int e1000_tx_queue_buf(struct e1000_dev *d, const void *frame, uint16_t len)
{
	if (!tx_free(d))
		return -1;
	tx_put(d, (uintptr_t)frame, len |
	       (uint32_t)(E1000_TXD_EOP | E1000_TXD_IFCS | E1000_TXD_RS) << 24,
	       0);
	return 0;
}

int e1000_tx_queue(struct e1000_dev *d, const void *frame, uint16_t len)
{
	if (!tx_free(d) || len > TX_BUF)
		return -1;
	memcpy(tx_bufs[d->tx_next], frame, len);
	return e1000_tx_queue_buf(d, tx_bufs[d->tx_next], len);
}

static uint64_t ctx_offsets(const struct e1000_tx_ctx *c)
{
	return c->ipcss | c->ipcso << 8 | (uint64_t)c->ipcse << 16 |
	       (uint64_t)c->tucss << 32 | (uint64_t)c->tucso << 40 |
	       (uint64_t)c->tucse << 48;
}

int e1000_tx_queue_offload(struct e1000_dev *d,
			   const struct e1000_tx_ctx *ctx, uint8_t popts,
			   bool tse, const void *packet, uint32_t len)
{
	uint32_t chunks = (len + TX_CHUNK - 1) / TX_CHUNK, off, n, cmd;
	const uint8_t *p = packet;

	if (tx_free(d) < chunks + 1)
		return -1;
	tx_put(d, ctx_offsets(ctx), ctx->paylen | E1000_DTYP_CTX |
	       (uint32_t)(ctx->tucmd | E1000_TXD_DEXT) << 24,
	       (uint32_t)ctx->hdrlen << 8 | (uint32_t)ctx->mss << 16);
	for (off = 0; off < len; off += n) {
		n = len - off < TX_CHUNK ? len - off : TX_CHUNK;
		cmd = E1000_TXD_DEXT | E1000_TXD_IFCS |
		      (tse ? E1000_TXD_TSE : 0) |
		      (off + n == len ? E1000_TXD_EOP | E1000_TXD_RS : 0);
		tx_put(d, (uintptr_t)(p + off), n | E1000_DTYP_DATA |
		       cmd << 24, (uint32_t)popts << 8);
	}
	return 0;
}

void e1000_tx_kick(struct e1000_dev *d)
{
	barrier();
	e1000_write(d, E1000_TDT, d->tx_next);
}

/* Descriptors without RS are done once a later one with RS is. */
bool e1000_tx_done(struct e1000_dev *d)
{
	unsigned int i;

	for (i = d->tx_clean; i != d->tx_next; i = (i + 1) % d->tx_count) {
		struct e1000_tx_desc *t = &d->tx[i];

		if (!(t->lower >> 24 & E1000_TXD_RS))
			continue;
		if (!(*(volatile uint32_t *)&t->upper & E1000_TXD_DD))
			break;
		d->tx_clean = (i + 1) % d->tx_count;
	}
	return d->tx_clean == d->tx_next;
}

/* --- receive ---------------------------------------------------------- */

bool e1000_rx_ready(const struct e1000_dev *d)
{
	return *(volatile uint8_t *)&d->rx[d->rx_next].status & E1000_RXD_DD;
}

int e1000_rx_poll(struct e1000_dev *d, const uint8_t **frame,
		  uint8_t *status, uint8_t *errors, uint64_t us)
{
	struct e1000_rx_desc *r = &d->rx[d->rx_next];
	uint64_t end = rdtsc() + tsc_cycles_us(us);

	while (!e1000_rx_ready(d))
		if (rdtsc() > end)
			return -1;
	barrier();
	*frame = rx_bufs[d->rx_next];
	*status = r->status;
	*errors = r->errors;
	return r->length;
}

void e1000_rx_consume(struct e1000_dev *d)
{
	d->rx[d->rx_next].status = 0;
	d->rx_next = (d->rx_next + 1) % d->rx_count;
}

void e1000_rx_refill(struct e1000_dev *d)
{
	barrier();
	e1000_write(d, E1000_RDT, (d->rx_next + d->rx_count - 1) %
		    d->rx_count);
}

void e1000_rx_release(struct e1000_dev *d, unsigned int n)
{
	while (n--)
		e1000_rx_consume(d);
	e1000_rx_refill(d);
}
