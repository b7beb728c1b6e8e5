// SPDX-License-Identifier: MIT
/*
 * The Intel 82540EM as the 8254x SDM describes it: registers, the
 * Microwire EEPROM, the PHY behind MDIC, interrupts with their delay
 * and throttling timers, and reset.  Transmit and receive are in
 * e1000_tx.c and e1000_rx.c.
 *
 * The link is always up at 1000 Mb/s full duplex, as a cable plugged
 * into a gigabit switch; a PHY reset or a restart of auto-negotiation
 * completes at once and reports a link status change.
 *
 * Interrupts: ICR collects causes, IMS masks them, and INTx# is high
 * while a cause is both set and enabled.  ITR is the shortest time
 * between two rises of INTx#; the receive and transmit delay registers
 * (RDTR/RADV, TIDV/TADV) hold RXT0 and TXDW back, each pair as a timer
 * restarted by every packet and an absolute one.  All of them share one
 * host timer on the I/O thread, armed for the earliest deadline.
 */
#include <stdlib.h>
#include <string.h>

#include "kvmlite/log.h"
#include "kvmlite/memory.h"
#include "kvmlite/timer.h"
#include "e1000_priv.h"

#define E1000_REVISION		0x03
#define PCI_CLASS_ETHERNET	0x020000

#define ITR_UNIT_NS		256
#define DELAY_UNIT_NS		1024
#define DELAY_MASK		0xffffU
#define MAX_LOGGED_ERRORS	100

/* EEPROM words (SDM 5.6) */
#define EE_MAC			0x00	/* three words */
#define EE_LED			0x04
#define EE_PBA			0x08	/* two words */
#define EE_INIT1		0x0a
#define EE_SUBSYS_ID		0x0b
#define EE_SUBSYS_VENDOR	0x0c
#define EE_DEVICE_ID		0x0d
#define EE_VENDOR_ID		0x0e
#define EE_INIT2		0x0f
#define EE_CHECKSUM		0x3f
#define EE_SUM			0xbaba
#define EE_INIT1_SIGNATURE	0x4000	/* bits 15:14 = 01b: valid */
#define EE_INIT2_PAUSE		0x3000	/* both kinds of pause */
/* Microwire: a start bit, two opcode bits and six address bits. */
#define EE_OPCODE_BITS		3
#define EE_ADDR_BITS		6
#define EE_OP_READ		2U

/* PHY registers (IEEE 802.3 clause 22, then M88E1011 ones) */
#define PHY_CTRL		0x00
#define PHY_STATUS		0x01
#define PHY_ID1			0x02
#define PHY_ID2			0x03
#define PHY_AUTONEG_ADV		0x04
#define PHY_LP_ABILITY		0x05
#define PHY_AUTONEG_EXP		0x06
#define PHY_NEXT_PAGE_TX	0x07
#define PHY_1000T_CTRL		0x09
#define PHY_1000T_STATUS	0x0a
#define PHY_EXT_STATUS		0x0f
#define PHY_SPEC_CTRL		0x10
#define PHY_SPEC_STATUS		0x11
#define PHY_EXT_SPEC_CTRL	0x14
#define PHY_CTRL_RESET		(1U << 15)
#define PHY_CTRL_AUTONEG	(1U << 12)
#define PHY_CTRL_RESTART_AN	(1U << 9)
#define PHY_STATUS_LINK		(1U << 2)
#define PHY_STATUS_AN_DONE	(1U << 5)

static const uint16_t phy_power_on[PHY_REGS] = {
	[PHY_CTRL] = 0x1140,		/* auto-negotiation, 1000, FD */
	[PHY_STATUS] = 0x796d,		/* link up, negotiated */
	[PHY_ID1] = 0x0141,		/* Marvell */
	[PHY_ID2] = 0x0c20,		/* 88E1011 */
	[PHY_AUTONEG_ADV] = 0x0de1,	/* 10/100 HD/FD, pause */
	[PHY_LP_ABILITY] = 0x45e1,	/* the same, acknowledged */
	[PHY_AUTONEG_EXP] = 0x0001,	/* partner negotiates */
	[PHY_NEXT_PAGE_TX] = 0x2001,
	[PHY_1000T_CTRL] = 0x0300,	/* 1000 HD/FD */
	[PHY_1000T_STATUS] = 0x3c00,	/* partner 1000 HD/FD, rx ok */
	[PHY_EXT_STATUS] = 0x3000,	/* 1000BASE-T HD/FD */
	[PHY_SPEC_CTRL] = 0x0068,
	[PHY_SPEC_STATUS] = 0xac00,	/* 1000, FD, resolved, link */
	[PHY_EXT_SPEC_CTRL] = 0x0d60,
};

/* What the guest may change: the status and identity are read-only. */
static uint16_t phy_wmask(unsigned int reg)
{
	switch (reg) {
	case PHY_STATUS:
	case PHY_ID1:
	case PHY_ID2:
	case PHY_LP_ABILITY:
	case PHY_AUTONEG_EXP:
	case PHY_1000T_STATUS:
	case PHY_EXT_STATUS:
	case PHY_SPEC_STATUS:
		return 0;
	default:
		return 0xffff;
	}
}

/* --- interrupts ---------------------------------------------------------- */

static void set_intx(struct e1000 *e, bool level)
{
	if (e->intx == level)
		return;
	e->intx = level;
	pci_set_irq(&e->pci, level);
}

static bool irq_wanted(const struct e1000 *e)
{
	return e1000_reg(e, ICR) & e1000_reg(e, IMS);
}

/* Arms the host timer for the earliest deadline that matters. */
static void rearm(struct e1000 *e)
{
	uint64_t next = 0;
	unsigned int d;

	if (!e->timer)
		return;
	for (d = 0; d < NR_DELAYS; d++) {
		if (!e->delay[d] || (next && e->delay[d] >= next))
			continue;
		if (d == DELAY_ITR && (e->intx || !irq_wanted(e)))
			continue;
		next = e->delay[d];
	}
	if (next == e->armed)
		return;
	e->armed = next;
	if (next)
		timer_arm(e->timer, next);
	else
		timer_cancel(e->timer);
}

static void update_irq(struct e1000 *e)
{
	uint32_t itr = e1000_reg(e, ITR) & DELAY_MASK;
	uint64_t now;

	if (!irq_wanted(e)) {
		set_intx(e, false);
		return;
	}
	if (e->intx)
		return;
	if (itr && e->timer) {
		now = clock_now_ns();
		if (now < e->delay[DELAY_ITR]) {
			rearm(e);
			return;
		}
		e->delay[DELAY_ITR] = now + (uint64_t)itr * ITR_UNIT_NS;
	}
	set_intx(e, true);
}

/* A raised cause also ends the delay timers that were holding it back. */
void e1000_raise(struct e1000 *e, uint32_t causes)
{
	if (causes & ICR_RXT0)
		e->delay[DELAY_RX] = e->delay[DELAY_RX_ABS] = 0;
	if (causes & ICR_TXDW)
		e->delay[DELAY_TX] = e->delay[DELAY_TX_ABS] = 0;
	e1000_set_reg(e, ICR, e1000_reg(e, ICR) | causes);
	update_irq(e);
	rearm(e);
}

static uint32_t delay_reg(enum e1000_delay d)
{
	static const uint32_t regs[] = {
		[DELAY_RX] = RDTR, [DELAY_RX_ABS] = RADV,
		[DELAY_TX] = TIDV, [DELAY_TX_ABS] = TADV,
	};

	return regs[d];
}

void e1000_raise_delayed(struct e1000 *e, enum e1000_delay delay,
			 enum e1000_delay abs_delay, uint32_t cause)
{
	uint64_t units = e1000_reg(e, delay_reg(delay)) & DELAY_MASK;
	uint64_t abs_units = e1000_reg(e, delay_reg(abs_delay)) & DELAY_MASK;
	uint64_t now;

	if (!units || !e->timer) {
		e1000_raise(e, cause);
		return;
	}
	now = clock_now_ns();
	e->delay[delay] = now + units * DELAY_UNIT_NS;
	if (!e->delay[abs_delay] && abs_units)
		e->delay[abs_delay] = now + abs_units * DELAY_UNIT_NS;
	rearm(e);
}

static bool expired(const struct e1000 *e, enum e1000_delay d, uint64_t now)
{
	return e->delay[d] && e->delay[d] <= now;
}

static void timer_fired(void *opaque)
{
	struct e1000 *e = opaque;
	uint32_t causes = 0;
	uint64_t now;

	pthread_mutex_lock(&e->lock);
	now = clock_now_ns();
	e->armed = 0;
	if (expired(e, DELAY_RX, now) || expired(e, DELAY_RX_ABS, now))
		causes |= ICR_RXT0;
	if (expired(e, DELAY_TX, now) || expired(e, DELAY_TX_ABS, now))
		causes |= ICR_TXDW;
	e1000_raise(e, causes);
	pthread_mutex_unlock(&e->lock);
}

/* --- statistics and guest errors ----------------------------------------- */

/* The counters stick at their maximum instead of wrapping. */
void e1000_count(struct e1000 *e, uint32_t stat, uint64_t n)
{
	uint64_t v = (uint64_t)e1000_reg(e, stat) + n;

	e1000_set_reg(e, stat, v > UINT32_MAX ? UINT32_MAX : v);
}

void e1000_count_octets(struct e1000 *e, uint32_t low, uint64_t n)
{
	uint64_t v = (uint64_t)e1000_reg(e, low + 4) << 32 |
		     e1000_reg(e, low);

	v = v + n < v ? UINT64_MAX : v + n;
	e1000_set_reg(e, low, v);
	e1000_set_reg(e, low + 4, v >> 32);
}

/* Bins of 64, 65-127, 128-255, 256-511, 512-1023 and 1024-1522 bytes. */
void e1000_count_size(struct e1000 *e, uint32_t bin, uint32_t len)
{
	static const uint32_t limits[] = { 64, 127, 255, 511, 1023, 1522 };
	unsigned int i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if (len <= limits[i]) {
			e1000_count(e, bin + 4 * i, 1);
			return;
		}
	}
}

/* The first ones go to the -d guest_errors log; a flood would not. */
void e1000_guest_error(struct e1000 *e, const char *what)
{
	e->guest_errors++;
	if (!e->log_guest_errors || e->guest_errors > MAX_LOGGED_ERRORS)
		return;
	log_msg("e1000 %02x: %s%s", e->pci.slot, what,
		e->guest_errors == MAX_LOGGED_ERRORS ?
		" (further guest errors not logged)" : "");
}

/*
 * A ring's registers: 16-byte aligned base, length in 128-byte units
 * (SDM 3.2.6, 3.4), the head and tail inside it, all of it in RAM.
 */
bool e1000_ring(struct e1000 *e, uint32_t bal, uint32_t *count,
		uint64_t *base)
{
	uint64_t addr = ((uint64_t)e1000_reg(e, bal + 4) << 32 |
			 e1000_reg(e, bal)) & RING_BASE_MASK;
	uint32_t len = e1000_reg(e, bal + 8) & RING_LEN_MASK;
	uint32_t head = e1000_reg(e, bal + 0x10);
	uint32_t tail = e1000_reg(e, bal + 0x18);

	if (!len || head >= len / DESC_SIZE || tail >= len / DESC_SIZE ||
	    !guest_ptr(e->mem, addr, len)) {
		e1000_guest_error(e, bal == TDBAL ? "unusable transmit ring" :
				  "unusable receive ring");
		return false;
	}
	*count = len / DESC_SIZE;
	*base = addr;
	return true;
}

/* --- EEPROM --------------------------------------------------------------- */

static void eeprom_init(struct e1000 *e)
{
	uint16_t *w = e->eeprom, sum = 0;
	unsigned int i;

	memset(w, 0, sizeof(e->eeprom));
	for (i = 0; i < ETH_ALEN / 2; i++)
		w[EE_MAC + i] = e->mac[2 * i] | e->mac[2 * i + 1] << 8;
	w[EE_LED] = 0xffff;			/* the driver's defaults */
	w[EE_PBA] = 0x4b56;			/* "KV" */
	w[EE_PBA + 1] = 0x4d4c;			/* "ML" */
	w[EE_INIT1] = EE_INIT1_SIGNATURE;
	w[EE_SUBSYS_ID] = PCI_SUBSYS_DEVICE;
	w[EE_SUBSYS_VENDOR] = PCI_SUBSYS_VENDOR;
	w[EE_DEVICE_ID] = E1000_DEVICE;
	w[EE_VENDOR_ID] = E1000_VENDOR;
	w[EE_INIT2] = EE_INIT2_PAUSE;
	for (i = 0; i < EE_CHECKSUM; i++)
		sum += w[i];
	w[EE_CHECKSUM] = EE_SUM - sum;
}

/* A rising edge of SK: shift DI in, or the next bit of a word out. */
static void eeprom_clock(struct e1000 *e, bool di)
{
	struct eeprom_wire *ew = &e->wire;

	if (ew->reading) {
		if (ew->out_bit == 16) {	/* sequential read */
			ew->out_bit = 0;
			ew->addr = (ew->addr + 1) % EEPROM_WORDS;
		}
		ew->out = e->eeprom[ew->addr] >> (15 - ew->out_bit++) & 1;
		return;
	}
	if (!ew->started) {
		ew->started = di;	/* leading zeros are not commands */
		ew->bits = di;
		ew->command = di;
		return;
	}
	ew->command = ew->command << 1 | di;
	ew->bits++;
	if (ew->bits == EE_OPCODE_BITS + EE_ADDR_BITS &&
	    (ew->command >> EE_ADDR_BITS & 3) == EE_OP_READ) {
		ew->reading = true;
		ew->addr = ew->command & (EEPROM_WORDS - 1);
		ew->out_bit = 0;
		ew->out = 0;		/* the dummy bit before D15 */
	}
}

/*
 * Only reads are implemented: write and erase commands are taken and
 * ignored, with DO high as an EEPROM that finished them.
 */
static void eecd_write(struct e1000 *e, uint32_t val)
{
	struct eeprom_wire *ew = &e->wire;
	bool sk = val & EECD_SK;

	e1000_set_reg(e, EECD, (val & (EECD_SK | EECD_CS | EECD_DI |
				       EECD_FWE_MASK | EECD_REQ)) | EECD_PRES);
	if (!(val & EECD_CS)) {
		memset(ew, 0, sizeof(*ew));
		ew->out = true;
		return;
	}
	if (sk && !ew->clock)
		eeprom_clock(e, val & EECD_DI);
	ew->clock = sk;
}

static uint32_t eecd_read(struct e1000 *e)
{
	uint32_t v = e1000_reg(e, EECD) & ~(EECD_DO | EECD_GNT);

	if (e->wire.out)
		v |= EECD_DO;
	if (v & EECD_REQ)
		v |= EECD_GNT;	/* nothing else wants the EEPROM */
	return v;
}

static void eerd_write(struct e1000 *e, uint32_t val)
{
	uint32_t addr = val >> EERD_ADDR_SHIFT & 0xff;
	uint32_t data = addr < EEPROM_WORDS ? e->eeprom[addr] : 0;

	if (!(val & EERD_START))
		return;
	e1000_set_reg(e, EERD, data << EERD_DATA_SHIFT |
		      addr << EERD_ADDR_SHIFT | EERD_DONE);
}

/* --- PHY ------------------------------------------------------------------ */

/* Auto-negotiation completes at once: the link partner is always there. */
static void phy_link_up(struct e1000 *e)
{
	e->phy[PHY_STATUS] |= PHY_STATUS_LINK | PHY_STATUS_AN_DONE;
	e1000_raise(e, ICR_LSC);
}

static void phy_write(struct e1000 *e, unsigned int reg, uint16_t val)
{
	uint16_t mask = phy_wmask(reg);

	e->phy[reg] = (e->phy[reg] & ~mask) | (val & mask);
	if (reg != PHY_CTRL)
		return;
	if (val & PHY_CTRL_RESET) {
		memcpy(e->phy, phy_power_on, sizeof(e->phy));
		phy_link_up(e);
	} else if ((val & (PHY_CTRL_AUTONEG | PHY_CTRL_RESTART_AN)) ==
		   (PHY_CTRL_AUTONEG | PHY_CTRL_RESTART_AN)) {
		e->phy[PHY_CTRL] &= ~PHY_CTRL_RESTART_AN;
		phy_link_up(e);
	}
}

/* MDIC completes at once; only the PHY at address 1 answers. */
static void mdic_write(struct e1000 *e, uint32_t val)
{
	unsigned int phy = val >> MDIC_PHY_SHIFT & 0x1f;
	unsigned int reg = val >> MDIC_REG_SHIFT & 0x1f;
	unsigned int op = val >> MDIC_OP_SHIFT & 3;
	uint32_t result = val & ~(MDIC_READY | MDIC_ERROR);

	if (phy != PHY_ADDR || (op != MDIC_OP_READ && op != MDIC_OP_WRITE))
		result |= MDIC_ERROR;
	else if (op == MDIC_OP_READ)
		result = (result & ~MDIC_DATA_MASK) | e->phy[reg];
	else
		phy_write(e, reg, val & MDIC_DATA_MASK);
	e1000_set_reg(e, MDIC, result | MDIC_READY);
	if (val & MDIC_IE)
		e1000_raise(e, ICR_MDAC);
}

/* --- reset ---------------------------------------------------------------- */

static void load_receive_address(struct e1000 *e)
{
	const uint8_t *m = e->mac;

	e1000_set_reg(e, RA, m[0] | m[1] << 8 | m[2] << 16 |
		      (uint32_t)m[3] << 24);
	e1000_set_reg(e, RA + 4, m[4] | m[5] << 8 | RAH_AV);
}

/* Everything but PCI configuration, as CTRL.RST does (SDM 13.4.1). */
static void device_reset(struct e1000 *e)
{
	memset(e->regs, 0, sizeof(e->regs));
	memset(e->delay, 0, sizeof(e->delay));
	memset(&e->wire, 0, sizeof(e->wire));
	e->wire.out = true;
	memcpy(e->phy, phy_power_on, sizeof(e->phy));
	e1000_set_reg(e, CTRL, CTRL_SLU | CTRL_SPD_1000 | CTRL_FD);
	e1000_set_reg(e, STATUS, STATUS_FD | STATUS_LU | STATUS_SPEED_1000 |
		      STATUS_ASDV_1000);
	e1000_set_reg(e, EECD, EECD_PRES);
	e1000_set_reg(e, VET, 0x8100);
	e1000_set_reg(e, LEDCTL, 0x07068302);
	e1000_set_reg(e, PBA, 0x00000030);	/* 48 KiB receive */
	load_receive_address(e);
	set_intx(e, false);
	rearm(e);
	e1000_tx_reset(e);
	e1000_rx_resume(e);
}

static void ctrl_write(struct e1000 *e, uint32_t val)
{
	if (val & CTRL_RST) {
		device_reset(e);
		return;
	}
	if (val & CTRL_PHY_RST)
		memcpy(e->phy, phy_power_on, sizeof(e->phy));
	e1000_set_reg(e, CTRL, val);
}

/* --- registers ------------------------------------------------------------ */

/* Registers with no side effects, kept as the driver writes them. */
static bool plain_register(uint32_t off)
{
	switch (off) {
	case CTRL_EXT: case FLA: case FCAL: case FCAH: case FCT: case VET:
	case FCTTV: case TXCW: case TIPG: case AIT: case LEDCTL: case PBA:
	case FCRTL: case FCRTH: case RDBAL: case RDBAH: case RXDCTL:
	case RADV: case RSRPD: case TXDMAC: case TDBAL: case TDBAH:
	case TIDV: case TXDCTL: case TADV: case TSPMT: case RXCSUM:
	case WUC: case WUFC: case MANC: case IPAV: case WUPL:
	case MTA ... MTA_LAST: case RA ... RA_LAST:
	case VFTA ... VFTA_LAST: case IP4AT ... IP4AT_LAST:
	case IP6AT ... IP6AT_LAST: case WUPM ... WUPM_LAST:
	case FFLT ... FFLT_LAST:
		return true;
	default:
		return false;
	}
}

static void interrupt_write(struct e1000 *e, uint32_t off, uint32_t val)
{
	uint32_t icr = e1000_reg(e, ICR), ims = e1000_reg(e, IMS);

	val &= ICR_CAUSES;
	switch (off) {
	case ICR:
		e1000_set_reg(e, ICR, icr & ~val);
		break;
	case ICS:
		e1000_raise(e, val);
		return;
	case IMS:
		e1000_set_reg(e, IMS, ims | val);
		break;
	case IMC:
		e1000_set_reg(e, IMS, ims & ~val);
		break;
	}
	update_irq(e);
	rearm(e);
}

static void ring_write(struct e1000 *e, uint32_t off, uint32_t val)
{
	switch (off) {
	case RDLEN:
	case TDLEN:
		e1000_set_reg(e, off, val & RING_LEN_MASK);
		return;
	case RDTR:
		e1000_set_reg(e, RDTR, val & DELAY_MASK);
		/* Flush Partial Descriptor Block: report what is there now. */
		if ((val & RDTR_FPD) && e->delay[DELAY_RX])
			e1000_raise(e, ICR_RXT0);
		return;
	}
	e1000_set_reg(e, off, val & RING_INDEX_MASK);
	if (off == TDT)
		e1000_tx_run(e);
	else if (off == RDT)
		e1000_rx_resume(e);
}

static void reg_write(struct e1000 *e, uint32_t off, uint32_t val)
{
	switch (off) {
	case CTRL:
		ctrl_write(e, val);
		break;
	case EECD:
		eecd_write(e, val);
		break;
	case EERD:
		eerd_write(e, val);
		break;
	case MDIC:
		mdic_write(e, val);
		break;
	case ICR: case ICS: case IMS: case IMC:
		interrupt_write(e, off, val);
		break;
	case ITR:
		e1000_set_reg(e, ITR, val & DELAY_MASK);
		break;
	case RDLEN: case RDH: case RDT: case RDTR:
	case TDLEN: case TDH: case TDT:
		ring_write(e, off, val);
		break;
	case RCTL:
		e1000_set_reg(e, RCTL, val);
		e1000_rx_resume(e);
		break;
	case TCTL:
		e1000_set_reg(e, TCTL, val);
		e1000_tx_run(e);
		break;
	case WUS:
		e1000_set_reg(e, WUS, e1000_reg(e, WUS) & ~val);
		break;
	default:
		if (plain_register(off))
			e1000_set_reg(e, off, val);
	}
}

/* 64-bit octet counters clear when their high half is read (SDM 13.7). */
static uint32_t stat_read(struct e1000 *e, uint32_t off)
{
	uint32_t v = e1000_reg(e, off);

	switch (off) {
	case GORCL: case GOTCL: case TORL: case TOTL:
		return v;
	case GORCH: case GOTCH: case TORH: case TOTH:
		e1000_set_reg(e, off - 4, 0);
		break;
	}
	e1000_set_reg(e, off, 0);
	return v;
}

static uint32_t reg_read(struct e1000 *e, uint32_t off)
{
	uint32_t v;

	switch (off) {
	case ICR:
		v = e1000_reg(e, ICR);
		e1000_set_reg(e, ICR, 0);
		update_irq(e);
		rearm(e);
		return v;
	case EECD:
		return eecd_read(e);
	case ICS: case IMC:
		return 0;		/* write-only */
	case STATS_FIRST ... STATS_LAST:
		return stat_read(e, off);
	default:
		return off < REG_FILE_SIZE ? e1000_reg(e, off) : 0;
	}
}

/*
 * Registers are dwords.  A narrower access reads the dword or merges
 * into it; an access that straddles two dwords reads 0 and is dropped.
 */
static void reg_access(struct e1000 *e, uint32_t off, uint8_t *data,
		       uint32_t len, bool is_write)
{
	uint32_t dword = off & ~3U, shift = (off & 3) * 8, v, mask;

	if ((off & 3) + len > 4) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	mask = len == 4 ? UINT32_MAX : ((1U << (8 * len)) - 1) << shift;
	if (is_write) {
		memcpy(&v, data, len);
		v = le32toh(v) << shift;
		/* Past the register file there is nothing to merge with. */
		if (len < 4 && dword < REG_FILE_SIZE)
			v |= e1000_reg(e, dword) & ~mask;
		reg_write(e, dword, v);
		return;
	}
	v = htole32((reg_read(e, dword) & mask) >> shift);
	memcpy(data, &v, len);
}

static void mmio_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		    bool is_write)
{
	struct e1000 *e = opaque;
	uint32_t i;

	pthread_mutex_lock(&e->lock);
	for (i = 0; i < len; i += 4)
		reg_access(e, offset + i, (uint8_t *)data + i,
			   len - i < 4 ? len - i : 4, is_write);
	pthread_mutex_unlock(&e->lock);
}

/*
 * The I/O window (SDM 13.2.2): IOADDR selects a register, IODATA
 * reaches it.  IOADDR takes dword writes only.
 */
static void pio_io(void *opaque, uint64_t offset, void *data, uint32_t len,
		   bool is_write)
{
	struct e1000 *e = opaque;
	uint32_t v = 0;

	if (offset == 4) {
		if (e->ioaddr < E1000_MMIO_SIZE)
			mmio_io(e, e->ioaddr, data, len, is_write);
		else if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&e->lock);
	if (offset == 0 && is_write && len == 4) {
		memcpy(&v, data, 4);
		e->ioaddr = le32toh(v) & (E1000_MMIO_SIZE - 1);
	} else if (!is_write) {
		v = htole32(offset == 0 ? e->ioaddr : 0);
		memcpy(data, &v, len < 4 ? len : 4);
	}
	pthread_mutex_unlock(&e->lock);
}

/* --- the PCI function ----------------------------------------------------- */

static void pci_reset(struct pci_dev *dev)
{
	struct e1000 *e = dev->opaque;

	pthread_mutex_lock(&e->lock);
	e->ioaddr = 0;
	device_reset(e);
	pthread_mutex_unlock(&e->lock);
}

static const struct pci_dev_ops e1000_pci_ops = {
	.reset = pci_reset,
};

static const struct pci_ids e1000_ids = {
	.vendor = E1000_VENDOR,
	.device = E1000_DEVICE,
	.subsys_vendor = PCI_SUBSYS_VENDOR,
	.subsys_device = PCI_SUBSYS_DEVICE,
	.class_code = PCI_CLASS_ETHERNET,
	.revision = E1000_REVISION,
	.irq_pin = 1,
};

static int receive(void *opaque, const void *frame, size_t len)
{
	struct e1000 *e = opaque;
	int ret;

	pthread_mutex_lock(&e->lock);
	ret = e1000_rx_frame(e, frame, len);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static int add_bars(struct e1000 *e)
{
	struct pci_region mmio = { 0, E1000_MMIO_SIZE, mmio_io, e, "e1000" };
	struct pci_region pio = { 0, E1000_IO_SIZE, pio_io, e, "e1000-io" };

	return pci_dev_add_bar(&e->pci, E1000_BAR_MMIO, PCI_BAR_MEM32,
			       E1000_MMIO_SIZE) ||
	       pci_dev_add_bar(&e->pci, E1000_BAR_IO, PCI_BAR_IO,
			       E1000_IO_SIZE) ||
	       pci_bar_add_region(&e->pci, E1000_BAR_MMIO, &mmio) ||
	       pci_bar_add_region(&e->pci, E1000_BAR_IO, &pio);
}

struct e1000 *e1000_new(const struct e1000_params *p)
{
	struct e1000 *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	pci_dev_init(&e->pci, &e1000_ids, "e1000", &e1000_pci_ops, e);
	e->pci.id = p->id;
	e->mem = p->mem;
	e->netdev = p->netdev;
	e->log_guest_errors = p->log_guest_errors;
	memcpy(e->mac, p->mac, ETH_ALEN);
	eeprom_init(e);
	if (p->loop)
		e->timer = timer_new(p->loop, timer_fired, e);
	if (add_bars(e) || (p->loop && !e->timer)) {
		timer_free(e->timer);
		free(e);
		return NULL;
	}
	device_reset(e);
	if (e->netdev) {
		e->netdev->peer = (struct net_peer){ receive, e };
		if (p->loop && e->netdev->ops->start(e->netdev, p->loop)) {
			timer_free(e->timer);
			free(e);
			return NULL;
		}
	}
	return e;
}

struct pci_dev *e1000_pci_dev(struct e1000 *e)
{
	return &e->pci;
}

uint64_t e1000_guest_errors(struct e1000 *e)
{
	uint64_t n;

	pthread_mutex_lock(&e->lock);
	n = e->guest_errors;
	pthread_mutex_unlock(&e->lock);
	return n;
}
