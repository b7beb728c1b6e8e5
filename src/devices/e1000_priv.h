/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_E1000_PRIV_H
#define KVMLITE_E1000_PRIV_H

/*
 * Between the parts of the e1000 model: registers and interrupts
 * (e1000.c), transmit (e1000_tx.c) and receive (e1000_rx.c).  Names and
 * bits are those of Intel's PCI/PCI-X Family of Gigabit Ethernet
 * Controllers Software Developer's Manual (the 8254x SDM).
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kvmlite/e1000.h"
#include "kvmlite/net.h"
#include "kvmlite/pci.h"

/* Registers (byte offsets in BAR 0). */
#define CTRL		0x0000
#define STATUS		0x0008
#define EECD		0x0010
#define EERD		0x0014
#define CTRL_EXT	0x0018
#define FLA		0x001c
#define MDIC		0x0020
#define FCAL		0x0028
#define FCAH		0x002c
#define FCT		0x0030
#define VET		0x0038
#define ICR		0x00c0
#define ITR		0x00c4
#define ICS		0x00c8
#define IMS		0x00d0
#define IMC		0x00d8
#define RCTL		0x0100
#define FCTTV		0x0170
#define TXCW		0x0178
#define RXCW		0x0180
#define TCTL		0x0400
#define TIPG		0x0410
#define AIT		0x0458
#define LEDCTL		0x0e00
#define PBA		0x1000
#define FCRTL		0x2160
#define FCRTH		0x2168
#define RDBAL		0x2800
#define RDBAH		0x2804
#define RDLEN		0x2808
#define RDH		0x2810
#define RDT		0x2818
#define RDTR		0x2820
#define RXDCTL		0x2828
#define RADV		0x282c
#define RSRPD		0x2c00
#define TXDMAC		0x3000
#define TDBAL		0x3800
#define TDBAH		0x3804
#define TDLEN		0x3808
#define TDH		0x3810
#define TDT		0x3818
#define TIDV		0x3820
#define TXDCTL		0x3828
#define TADV		0x382c
#define TSPMT		0x3830
#define STATS_FIRST	0x4000
#define STATS_LAST	0x40fc
#define RXCSUM		0x5000
#define MTA		0x5200		/* 128 dwords */
#define MTA_LAST	0x53fc
#define RA		0x5400		/* 16 pairs: RAL, RAH */
#define RA_LAST		0x547c
#define VFTA		0x5600		/* 128 dwords */
#define VFTA_LAST	0x57fc
#define WUC		0x5800
#define WUFC		0x5808
#define WUS		0x5810
#define MANC		0x5820
#define IPAV		0x5838
#define IP4AT		0x5840
#define IP4AT_LAST	0x5858
#define IP6AT		0x5880
#define IP6AT_LAST	0x588c
#define WUPL		0x5900
#define WUPM		0x5a00
#define WUPM_LAST	0x5a7c
#define FFLT		0x5f00
#define FFLT_LAST	0x5f18
/* kvmlite keeps registers up to here; the rest of BAR 0 reads 0. */
#define REG_FILE_SIZE	0x6000

/* Statistics (clear on read; 64-bit ones clear when the high half is). */
#define CRCERRS		0x4000
#define MPC		0x4010
#define COLC		0x4028
#define RLEC		0x4040
#define PRC64		0x405c
#define GPRC		0x4074
#define BPRC		0x4078
#define MPRC		0x407c
#define GPTC		0x4080
#define GORCL		0x4088
#define GORCH		0x408c
#define GOTCL		0x4090
#define GOTCH		0x4094
#define RNBC		0x40a0
#define RUC		0x40a4
#define ROC		0x40ac
#define TORL		0x40c0
#define TORH		0x40c4
#define TOTL		0x40c8
#define TOTH		0x40cc
#define TPR		0x40d0
#define TPT		0x40d4
#define PTC64		0x40d8
#define MPTC		0x40f0
#define BPTC		0x40f4
#define TSCTC		0x40f8
#define TSCTFC		0x40fc

/* CTRL */
#define CTRL_FD		(1U << 0)
#define CTRL_SLU	(1U << 6)
#define CTRL_SPD_1000	(2U << 8)
#define CTRL_RST	(1U << 26)
#define CTRL_VME	(1U << 30)
#define CTRL_PHY_RST	(1U << 31)

/* STATUS */
#define STATUS_FD	(1U << 0)
#define STATUS_LU	(1U << 1)
#define STATUS_SPEED_1000 (2U << 6)
#define STATUS_ASDV_1000 (2U << 8)

/* EECD: a Microwire EEPROM driven bit by bit, and its arbitration. */
#define EECD_SK		(1U << 0)
#define EECD_CS		(1U << 1)
#define EECD_DI		(1U << 2)
#define EECD_DO		(1U << 3)
#define EECD_FWE_MASK	(3U << 4)
#define EECD_REQ	(1U << 6)
#define EECD_GNT	(1U << 7)
#define EECD_PRES	(1U << 8)

/* EERD */
#define EERD_START	(1U << 0)
#define EERD_DONE	(1U << 4)
#define EERD_ADDR_SHIFT	8
#define EERD_DATA_SHIFT	16

/* MDIC */
#define MDIC_DATA_MASK	0xffffU
#define MDIC_REG_SHIFT	16
#define MDIC_PHY_SHIFT	21
#define MDIC_OP_SHIFT	26
#define MDIC_OP_WRITE	1U
#define MDIC_OP_READ	2U
#define MDIC_READY	(1U << 28)
#define MDIC_IE		(1U << 29)
#define MDIC_ERROR	(1U << 30)
#define PHY_ADDR	1

/* Interrupt causes (ICR, ICS, IMS, IMC) */
#define ICR_TXDW	(1U << 0)
#define ICR_TXQE	(1U << 1)
#define ICR_LSC		(1U << 2)
#define ICR_RXSEQ	(1U << 3)
#define ICR_RXDMT0	(1U << 4)
#define ICR_RXO		(1U << 6)
#define ICR_RXT0	(1U << 7)
#define ICR_MDAC	(1U << 9)
#define ICR_TXD_LOW	(1U << 15)
#define ICR_SRPD	(1U << 16)
#define ICR_CAUSES	0x0001ffdfU

/* RCTL */
#define RCTL_EN		(1U << 1)
#define RCTL_SBP	(1U << 2)
#define RCTL_UPE	(1U << 3)
#define RCTL_MPE	(1U << 4)
#define RCTL_LPE	(1U << 5)
#define RCTL_RDMTS_SHIFT 8
#define RCTL_MO_SHIFT	12
#define RCTL_BAM	(1U << 15)
#define RCTL_BSIZE_SHIFT 16
#define RCTL_VFE	(1U << 18)
#define RCTL_BSEX	(1U << 25)
#define RCTL_SECRC	(1U << 26)

/* RDTR */
#define RDTR_FPD	(1U << 31)

/* RXCSUM */
#define RXCSUM_PCSS_MASK 0xffU
#define RXCSUM_IPOFL	(1U << 8)
#define RXCSUM_TUOFL	(1U << 9)

/* TCTL */
#define TCTL_EN		(1U << 1)
#define TCTL_PSP	(1U << 3)

/* RAH */
#define RAH_AV		(1U << 31)
#define RAH_AS_MASK	(3U << 16)

/* Descriptor rings: 16-byte descriptors, lengths in 128-byte units. */
#define DESC_SIZE	16
#define RING_LEN_MASK	0x000fff80U
#define RING_BASE_MASK	(~0xfULL)
#define RING_INDEX_MASK	0xffffU

/* Receive descriptor status and errors */
#define RXD_STAT_DD	(1U << 0)
#define RXD_STAT_EOP	(1U << 1)
#define RXD_STAT_IXSM	(1U << 2)
#define RXD_STAT_VP	(1U << 3)
#define RXD_STAT_TCPCS	(1U << 5)
#define RXD_STAT_IPCS	(1U << 6)
#define RXD_ERR_TCPE	(1U << 5)
#define RXD_ERR_IPE	(1U << 6)
#define RXD_ERR_RXE	(1U << 7)

/* Transmit descriptors: command, status, data descriptor options */
#define TXD_CMD_EOP	(1U << 0)
#define TXD_CMD_IFCS	(1U << 1)
#define TXD_CMD_IC	(1U << 2)
#define TXD_CMD_RS	(1U << 3)
#define TXD_CMD_RPS	(1U << 4)
#define TXD_CMD_DEXT	(1U << 5)
#define TXD_CMD_VLE	(1U << 6)
#define TXD_CMD_IDE	(1U << 7)
#define TXD_CMD_TSE	(1U << 2)	/* in a data descriptor's DCMD */
#define TXD_STAT_DD	(1U << 0)
#define TXD_DTYP_CONTEXT 0U
#define TXD_DTYP_DATA	1U
#define TXD_POPTS_IXSM	(1U << 0)
#define TXD_POPTS_TXSM	(1U << 1)
#define TUCMD_TCP	(1U << 0)
#define TUCMD_IP	(1U << 1)
#define TUCMD_TSE	(1U << 2)

#define EEPROM_WORDS	64
#define PHY_REGS	32
/* The longest frame either way, without FCS (the 82540EM's jumbo limit). */
#define E1000_MAX_FRAME	16384
#define VLAN_HLEN	4
#define ETH_HLEN	14
#define FCS_LEN		4
#define IPPROTO_TCP_NR	6

/* The Microwire EEPROM's serial interface. */
struct eeprom_wire {
	bool clock;		/* SK as last written */
	bool started;		/* the start bit came */
	unsigned int bits;	/* command bits since, start bit included */
	uint32_t command;
	bool reading;		/* shifting a word out */
	unsigned int addr;
	unsigned int out_bit;	/* 0: the dummy zero, then D15..D0 */
	bool out;		/* DO */
};

/* The offload parameters of the last context descriptor. */
struct tx_context {
	uint8_t ipcss, ipcso, tucss, tucso;
	uint16_t ipcse, tucse;
	uint32_t paylen;
	uint8_t tucmd;
	uint8_t hdrlen;
	uint16_t mss;
};

/* The packet being gathered from data descriptors. */
struct tx_packet {
	bool active;		/* a packet's first descriptor was seen */
	bool bad;		/* dropped at its end */
	bool tse;
	/* TSO left to the backend: buf gathers the whole packet. */
	bool gso;
	uint8_t popts;
	uint32_t len;		/* bytes in buf */
	/* TSO: the header, then segments of up to MSS bytes. */
	uint8_t header[256];
	uint32_t hdr_len;	/* header bytes gathered */
	uint32_t sent;		/* payload in earlier segments */
	unsigned int segments;
	uint8_t buf[NET_MAX_FRAME];
};

/* Interrupt delay timers, as deadlines in CLOCK_MONOTONIC ns (0: off). */
enum e1000_delay {
	DELAY_RX,		/* RDTR, restarted by each packet */
	DELAY_RX_ABS,		/* RADV */
	DELAY_TX,		/* TIDV */
	DELAY_TX_ABS,		/* TADV */
	DELAY_ITR,		/* the next moment INTx may rise again */
	NR_DELAYS,
};

struct e1000 {
	struct pci_dev pci;
	pthread_mutex_t lock;	/* everything below */
	struct guest_mem *mem;
	struct netdev *netdev;
	struct timer *timer;
	uint8_t mac[ETH_ALEN];
	uint16_t eeprom[EEPROM_WORDS];
	struct eeprom_wire wire;
	uint16_t phy[PHY_REGS];
	uint32_t regs[REG_FILE_SIZE / 4];
	uint32_t ioaddr;	/* the I/O window's IOADDR */

	bool intx;		/* the level INTx# is driven to */
	uint64_t delay[NR_DELAYS];
	uint64_t armed;		/* the timer's deadline, 0 if off */
	bool rx_paused;		/* the backend waits for RX room */

	struct tx_context ctx;
	struct tx_packet tx;
	uint8_t rx_buf[E1000_MAX_FRAME + FCS_LEN];
	uint64_t guest_errors;
	bool log_guest_errors;
};

/* Registers, with e->lock held. */
static inline uint32_t e1000_reg(const struct e1000 *e, uint32_t off)
{
	return e->regs[off >> 2];
}

static inline void e1000_set_reg(struct e1000 *e, uint32_t off, uint32_t v)
{
	e->regs[off >> 2] = v;
}

/* Big-endian fields of frames. */
static inline uint16_t get_be16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

static inline bool is_broadcast(const uint8_t *addr)
{
	static const uint8_t all_ones[ETH_ALEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};

	return !memcmp(addr, all_ones, ETH_ALEN);
}

/* e1000.c */
void e1000_raise(struct e1000 *e, uint32_t causes);
/* Raises @cause after a delay register's time, or now if it is 0. */
void e1000_raise_delayed(struct e1000 *e, enum e1000_delay delay,
			 enum e1000_delay abs_delay, uint32_t cause);
void e1000_count(struct e1000 *e, uint32_t stat, uint64_t n);
/* Adds to a 64-bit octet counter, given its low half. */
void e1000_count_octets(struct e1000 *e, uint32_t low, uint64_t n);
/* Counts a frame of @len bytes (FCS included) in the size bins from @bin. */
void e1000_count_size(struct e1000 *e, uint32_t bin, uint32_t len);
void e1000_guest_error(struct e1000 *e, const char *what);
/* The base and descriptor count of a ring; false if it is unusable. */
bool e1000_ring(struct e1000 *e, uint32_t bal, uint32_t *count,
		uint64_t *base);

/* e1000_tx.c: runs the transmit ring up to TDT. */
void e1000_tx_run(struct e1000 *e);
void e1000_tx_reset(struct e1000 *e);

/* e1000_rx.c */
int e1000_rx_frame(struct e1000 *e, const uint8_t *frame, size_t len);
/* After RDT moved: lets a paused backend offer its frame again. */
void e1000_rx_resume(struct e1000 *e);

#endif
