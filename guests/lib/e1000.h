/* SPDX-License-Identifier: MIT */
/*
 * A small driver for the Intel 82540EM (e1000) as the 8254x SDM
 * describes it: found on PCI, reset, EEPROM and PHY access, one receive
 * and one transmit ring of legacy descriptors in static memory, frames
 * sent and received by polling the descriptors' DD bits, and INTx
 * causes gathered by an interrupt handler that reads ICR.
 */
#ifndef GUEST_E1000_H
#define GUEST_E1000_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

#define E1000_CTRL	0x0000
#define E1000_STATUS	0x0008
#define E1000_EECD	0x0010
#define E1000_EERD	0x0014
#define E1000_MDIC	0x0020
#define E1000_ICR	0x00c0
#define E1000_ITR	0x00c4
#define E1000_ICS	0x00c8
#define E1000_IMS	0x00d0
#define E1000_IMC	0x00d8
#define E1000_RCTL	0x0100
#define E1000_TCTL	0x0400
#define E1000_RDBAL	0x2800
#define E1000_RDBAH	0x2804
#define E1000_RDLEN	0x2808
#define E1000_RDH	0x2810
#define E1000_RDT	0x2818
#define E1000_RDTR	0x2820
#define E1000_TDBAL	0x3800
#define E1000_TDBAH	0x3804
#define E1000_TDLEN	0x3808
#define E1000_TDH	0x3810
#define E1000_TDT	0x3818
#define E1000_TIDV	0x3820
#define E1000_RXCSUM	0x5000
#define E1000_MTA	0x5200
#define E1000_RAL0	0x5400
#define E1000_RAH0	0x5404

/* Statistics */
#define E1000_MPC	0x4010
#define E1000_GPRC	0x4074
#define E1000_BPRC	0x4078
#define E1000_GPTC	0x4080
#define E1000_GORCL	0x4088
#define E1000_GORCH	0x408c
#define E1000_GOTCL	0x4090
#define E1000_GOTCH	0x4094
#define E1000_RNBC	0x40a0
#define E1000_TPR	0x40d0
#define E1000_TPT	0x40d4
#define E1000_BPTC	0x40f4
#define E1000_TSCTC	0x40f8

#define E1000_CTRL_SLU	(1U << 6)
#define E1000_CTRL_RST	(1U << 26)
#define E1000_STATUS_LU	(1U << 1)
#define E1000_EECD_SK	(1U << 0)
#define E1000_EECD_CS	(1U << 1)
#define E1000_EECD_DI	(1U << 2)
#define E1000_EECD_DO	(1U << 3)
#define E1000_EECD_REQ	(1U << 6)
#define E1000_EECD_GNT	(1U << 7)

#define E1000_ICR_TXDW	(1U << 0)
#define E1000_ICR_TXQE	(1U << 1)
#define E1000_ICR_LSC	(1U << 2)
#define E1000_ICR_RXDMT0 (1U << 4)
#define E1000_ICR_RXO	(1U << 6)
#define E1000_ICR_RXT0	(1U << 7)

#define E1000_RCTL_EN	(1U << 1)
#define E1000_RCTL_UPE	(1U << 3)
#define E1000_RCTL_MPE	(1U << 4)
#define E1000_RCTL_BAM	(1U << 15)
#define E1000_RCTL_SECRC (1U << 26)
#define E1000_TCTL_EN	(1U << 1)
#define E1000_TCTL_PSP	(1U << 3)
#define E1000_RXCSUM_IPOFL (1U << 8)
#define E1000_RXCSUM_TUOFL (1U << 9)

/* Descriptor bits */
#define E1000_RXD_DD	(1U << 0)
#define E1000_RXD_EOP	(1U << 1)
#define E1000_RXD_IXSM	(1U << 2)
#define E1000_RXD_TCPCS	(1U << 5)
#define E1000_RXD_IPCS	(1U << 6)
#define E1000_TXD_EOP	(1U << 0)
#define E1000_TXD_IFCS	(1U << 1)
#define E1000_TXD_RS	(1U << 3)
#define E1000_TXD_DEXT	(1U << 5)
#define E1000_TXD_TSE	(1U << 2)
#define E1000_TXD_DD	(1U << 0)
#define E1000_DTYP_CTX	(0U << 20)
#define E1000_DTYP_DATA	(1U << 20)
#define E1000_POPTS_IXSM (1U << 0)
#define E1000_POPTS_TXSM (1U << 1)
#define E1000_TUCMD_TCP	(1U << 0)
#define E1000_TUCMD_IP	(1U << 1)
#define E1000_TUCMD_TSE	(1U << 2)

#define E1000_RX_BUF	2048
#define E1000_MAX_RING	128
#define E1000_MMIO_SIZE	0x20000		/* BAR 0 */

struct e1000_rx_desc {
	uint64_t addr;
	uint16_t length;
	uint16_t csum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
};

struct e1000_tx_desc {
	uint64_t addr;
	uint32_t lower;		/* length, CSO or DTYP, command */
	uint32_t upper;		/* status, CSS/POPTS/HDRLEN, special */
};

/* The offsets of one context descriptor (SDM 3.3.6). */
struct e1000_tx_ctx {
	uint8_t ipcss, ipcso, tucss, tucso;
	uint16_t ipcse, tucse;
	uint32_t paylen;
	uint8_t tucmd;
	uint8_t hdrlen;
	uint16_t mss;
};

struct e1000_dev {
	unsigned int devfn;
	uint64_t mmio;
	uint16_t io;			/* the I/O BAR, 0 if none */
	struct pci_intx intx;
	uint8_t mac[6];			/* from the EEPROM */
	struct e1000_rx_desc *rx;
	struct e1000_tx_desc *tx;
	unsigned int rx_count, rx_next;	/* next descriptor to look at */
	unsigned int tx_count, tx_next;	/* next descriptor to fill */
	unsigned int tx_clean;		/* oldest not yet reclaimed */
};

/* Interrupts seen by the handler, and the ICR causes they carried. */
extern volatile uint32_t e1000_irq_count;
extern volatile uint32_t e1000_irq_causes;

/* The @index-th 8086:100e on bus 0 (0: the first); 0, or -1. */
int e1000_find(struct e1000_dev *d, unsigned int index);

static inline uint32_t e1000_read(const struct e1000_dev *d, uint32_t reg)
{
	return *(volatile uint32_t *)(d->mmio + reg);
}

static inline void e1000_write(const struct e1000_dev *d, uint32_t reg,
			       uint32_t val)
{
	*(volatile uint32_t *)(d->mmio + reg) = val;
}

/* EEPROM words, bit-banged through EECD (Microwire) or through EERD. */
uint16_t e1000_eeprom_microwire(const struct e1000_dev *d, unsigned int addr);
uint16_t e1000_eeprom_eerd(const struct e1000_dev *d, unsigned int addr);
/* PHY registers through MDIC; -1 if the access fails or times out. */
int e1000_phy_read(const struct e1000_dev *d, unsigned int reg,
		   uint16_t *val);
int e1000_phy_write(const struct e1000_dev *d, unsigned int reg,
		    uint16_t val);

/* CTRL.RST, then the MAC from the EEPROM; -1 if RST never clears. */
int e1000_reset(struct e1000_dev *d);
/* Rings of @rx and @tx descriptors (multiples of 8, up to 128). */
void e1000_rings(struct e1000_dev *d, unsigned int rx, unsigned int tx,
		 uint32_t rctl);
/* Routes INTx# to the IDT gate of the handler, enables @ims causes. */
int e1000_irq_setup(struct e1000_dev *d, unsigned int vector, uint32_t ims);

/*
 * Queues a frame in one legacy descriptor with RS; -1 if the ring is
 * full.  e1000_tx_kick() moves TDT past everything queued.
 */
int e1000_tx_queue(struct e1000_dev *d, const void *frame, uint16_t len);
/* The same without the copy: @frame must stay until it is sent. */
int e1000_tx_queue_buf(struct e1000_dev *d, const void *frame, uint16_t len);
/* A context descriptor, then the packet in data descriptors. */
int e1000_tx_queue_offload(struct e1000_dev *d,
			   const struct e1000_tx_ctx *ctx, uint8_t popts,
			   bool tse, const void *packet, uint32_t len);
void e1000_tx_kick(struct e1000_dev *d);
/* Reclaims sent descriptors; true once every queued one is done. */
bool e1000_tx_done(struct e1000_dev *d);

/* Whether the next received frame is there (its descriptor's DD). */
bool e1000_rx_ready(const struct e1000_dev *d);
/*
 * The next received frame, polled for up to @us microseconds: its
 * length and descriptor status, or -1 on timeout.  The buffer stays
 * the driver's until e1000_rx_release().
 */
int e1000_rx_poll(struct e1000_dev *d, const uint8_t **frame,
		  uint8_t *status, uint8_t *errors, uint64_t us);
/* Gives @n received buffers back to the device (one RDT write). */
void e1000_rx_release(struct e1000_dev *d, unsigned int n);
/* The same in two halves: done with one buffer; hand all back. */
void e1000_rx_consume(struct e1000_dev *d);
void e1000_rx_refill(struct e1000_dev *d);

#endif /* GUEST_E1000_H */
