// SPDX-License-Identifier: MIT
/*
 * Receive (SDM 3.2): frames from the backend, on the I/O thread, pass
 * the address, multicast and VLAN filters, lose or keep their VLAN tag,
 * get padded to the Ethernet minimum and an FCS unless RCTL.SECRC strips
 * it, and fill as many buffers from RDH on as they need.
 *
 * When the buffers between RDH and RDT cannot hold the frame, the
 * backend is paused and keeps the frame until the driver moves RDT: no
 * frame is lost to a slow guest.  Only frames that could never fit
 * (bigger than the whole ring) or arrive at an unusable ring are
 * dropped, counted in MPC and reported with RXO.
 */
#include <string.h>

#include "kvmlite/checksum.h"
#include "kvmlite/memory.h"
#include "e1000_priv.h"

#define ETH_P_IPV4		0x0800
#define IPPROTO_UDP_NR		17
#define IP_FRAG_MASK		0x3fff	/* MF, fragment offset */
#define UDP_CSUM_OFF		6
#define LONG_FRAME		1522	/* with FCS, without RCTL.LPE */
#define IPV4_HLEN_MIN		20
#define UDP_HLEN_MIN		8

/* What became of a frame offered to the ring. */
enum rx_result {
	RX_NO_ROOM = -1,	/* the backend is paused and keeps it */
	RX_DROPPED,
	RX_DELIVERED,
};

/* What the last descriptor of a frame reports. */
struct rx_status {
	uint8_t status;
	uint8_t errors;
	uint16_t csum;
	uint16_t special;
};

/* --- filters ---------------------------------------------------------- */

static bool address_match(struct e1000 *e, const uint8_t *da)
{
	uint8_t ra[ETH_ALEN];
	uint32_t low, high;
	unsigned int i;

	for (i = 0; i < 16; i++) {
		low = e1000_reg(e, RA + 8 * i);
		high = e1000_reg(e, RA + 8 * i + 4);
		/* Only destination addresses (AS = 00) are matched. */
		if (!(high & RAH_AV) || (high & RAH_AS_MASK))
			continue;
		ra[0] = low;
		ra[1] = low >> 8;
		ra[2] = low >> 16;
		ra[3] = low >> 24;
		ra[4] = high;
		ra[5] = high >> 8;
		if (!memcmp(ra, da, ETH_ALEN))
			return true;
	}
	return false;
}

/* 12 bits of the address chosen by RCTL.MO index the 4096-bit MTA. */
static bool multicast_match(struct e1000 *e, const uint8_t *da)
{
	static const unsigned int shift[4] = { 4, 3, 2, 0 };
	unsigned int mo = e1000_reg(e, RCTL) >> RCTL_MO_SHIFT & 3;
	uint32_t hash = (da[4] >> shift[mo] | da[5] << (8 - shift[mo])) &
			0xfff;

	return e1000_reg(e, MTA + 4 * (hash >> 5)) >> (hash & 31) & 1;
}

static bool accept_address(struct e1000 *e, const uint8_t *da)
{
	uint32_t rctl = e1000_reg(e, RCTL);

	if (is_broadcast(da))
		return rctl & (RCTL_BAM | RCTL_MPE);
	if (da[0] & 1)
		return (rctl & RCTL_MPE) || address_match(e, da) ||
		       multicast_match(e, da);
	return (rctl & RCTL_UPE) || address_match(e, da);
}

static bool vlan_tagged(struct e1000 *e, const uint8_t *frame, size_t len)
{
	return len >= ETH_HLEN + VLAN_HLEN &&
	       get_be16(frame + 2 * ETH_ALEN) == (e1000_reg(e, VET) & 0xffff);
}

static bool vlan_allowed(struct e1000 *e, uint16_t tci)
{
	uint16_t vid = tci & 0xfff;

	return !(e1000_reg(e, RCTL) & RCTL_VFE) ||
	       (e1000_reg(e, VFTA + 4 * (vid >> 5)) >> (vid & 31) & 1);
}

/* --- checksums -------------------------------------------------------- */

/* The TCP or UDP checksum of an IPv4 packet, with its pseudo-header. */
static bool l4_checksum_ok(const uint8_t *ip, uint32_t ihl, uint32_t tot)
{
	uint32_t l4_len = tot - ihl;
	uint32_t sum = csum_add(0, ip + 12, 8);

	sum = csum_add16(sum, ip[9]);
	sum = csum_add16(sum, l4_len);
	return csum_fold(csum_add(sum, ip + ihl, l4_len)) == 0xffff;
}

static void l4_offload(const uint8_t *ip, uint32_t ihl, uint32_t tot,
		       struct rx_status *st)
{
	uint8_t proto = ip[9];

	if ((get_be16(ip + 6) & IP_FRAG_MASK) ||
	    (proto != IPPROTO_TCP_NR && proto != IPPROTO_UDP_NR) ||
	    (proto == IPPROTO_UDP_NR &&
	     (tot < ihl + UDP_HLEN_MIN || !get_be16(ip + ihl + UDP_CSUM_OFF))))
		return;
	st->status |= RXD_STAT_TCPCS;
	if (!l4_checksum_ok(ip, ihl, tot))
		st->errors |= RXD_ERR_TCPE;
}

/* RXCSUM: IPv4 header and TCP/UDP checksums, IXSM for anything else. */
static void rx_checksums(struct e1000 *e, const uint8_t *f, uint32_t len,
			 struct rx_status *st)
{
	uint32_t rxcsum = e1000_reg(e, RXCSUM), off = 2 * ETH_ALEN;
	uint32_t ihl, tot, pcss = rxcsum & RXCSUM_PCSS_MASK;
	const uint8_t *ip;

	if (pcss < len)
		st->csum = csum_fold(csum_add(0, f + pcss, len - pcss));
	if (len >= off + 2 + VLAN_HLEN && vlan_tagged(e, f, len))
		off += VLAN_HLEN;
	ip = f + off + 2;
	if (!(rxcsum & (RXCSUM_IPOFL | RXCSUM_TUOFL)) ||
	    len < off + 2 + IPV4_HLEN_MIN || get_be16(f + off) != ETH_P_IPV4 ||
	    (ip[0] >> 4) != 4) {
		st->status |= RXD_STAT_IXSM;
		return;
	}
	ihl = (ip[0] & 0xf) * 4;
	tot = get_be16(ip + 2);
	if (ihl < IPV4_HLEN_MIN || tot < ihl || off + 2 + tot > len) {
		st->status |= RXD_STAT_IXSM;
		return;
	}
	if (rxcsum & RXCSUM_IPOFL) {
		st->status |= RXD_STAT_IPCS;
		if (csum_fold(csum_add(0, ip, ihl)) != 0xffff)
			st->errors |= RXD_ERR_IPE;
	}
	if (rxcsum & RXCSUM_TUOFL)
		l4_offload(ip, ihl, tot, st);
}

/* --- the ring --------------------------------------------------------- */

/* RCTL.BSIZE with BSEX (SDM 13.4.22); 0 for the reserved encoding. */
static uint32_t buffer_size(uint32_t rctl)
{
	static const uint32_t sizes[2][4] = {
		{ 2048, 1024, 512, 256 },
		{ 0, 16384, 8192, 4096 },
	};

	return sizes[!!(rctl & RCTL_BSEX)][rctl >> RCTL_BSIZE_SHIFT & 3];
}

/* Status byte last, so the driver never sees DD on a half-written one. */
static void write_back(uint8_t *desc, uint16_t len, const struct rx_status *st,
		       bool eop)
{
	uint16_t v;

	v = htole16(len);
	memcpy(desc + 8, &v, 2);
	v = htole16(eop ? st->csum : 0);
	memcpy(desc + 10, &v, 2);
	desc[13] = eop ? st->errors : 0;
	v = htole16(eop ? st->special : 0);
	memcpy(desc + 14, &v, 2);
	__atomic_store_n(&desc[12], RXD_STAT_DD |
			 (eop ? RXD_STAT_EOP | st->status : 0),
			 __ATOMIC_RELEASE);
}

/* Copies one buffer's worth; a buffer outside RAM spoils the frame. */
static void fill_buffer(struct e1000 *e, uint8_t *desc, const uint8_t *data,
			uint32_t n, struct rx_status *st)
{
	uint64_t addr;
	uint8_t *dst;

	memcpy(&addr, desc, 8);
	dst = guest_ptr(e->mem, le64toh(addr), n);
	if (!dst) {
		e1000_guest_error(e, "receive buffer outside RAM");
		st->errors |= RXD_ERR_RXE;
		return;
	}
	memcpy(dst, data, n);
}

static void count_received(struct e1000 *e, const uint8_t *f, uint32_t len)
{
	e1000_count(e, GPRC, 1);
	e1000_count_octets(e, GORCL, len);
	e1000_count_size(e, PRC64, len);
	if (is_broadcast(f))
		e1000_count(e, BPRC, 1);
	else if (f[0] & 1)
		e1000_count(e, MPRC, 1);
}

static void missed(struct e1000 *e)
{
	e1000_count(e, MPC, 1);
	e1000_raise(e, ICR_RXO);
}

/* RXDMT0 when the free descriptors fall to RCTL.RDMTS of the ring. */
static void check_threshold(struct e1000 *e, uint32_t count, uint32_t before,
			    uint32_t after)
{
	unsigned int rdmts = e1000_reg(e, RCTL) >> RCTL_RDMTS_SHIFT & 3;
	uint32_t threshold = count >> (1 + (rdmts < 2 ? rdmts : 2));

	if (before > threshold && after <= threshold)
		e1000_raise(e, ICR_RXDMT0);
}

static enum rx_result to_ring(struct e1000 *e, const uint8_t *f,
			      uint32_t len, struct rx_status *st)
{
	uint32_t bsize = buffer_size(e1000_reg(e, RCTL));
	uint32_t count, head, avail, need, n, off;
	uint64_t base;
	uint8_t *desc;

	if (!bsize)
		e1000_guest_error(e, "reserved receive buffer size");
	if (!bsize || !e1000_ring(e, RDBAL, &count, &base)) {
		missed(e);
		return RX_DROPPED;
	}
	head = e1000_reg(e, RDH);
	avail = (e1000_reg(e, RDT) + count - head) % count;
	need = (len + bsize - 1) / bsize;
	if (need >= count) {
		e1000_guest_error(e, "receive ring too small for the frame");
		missed(e);
		return RX_DROPPED;
	}
	if (need > avail) {
		e1000_count(e, RNBC, 1);
		e->rx_paused = true;
		if (e->netdev)
			netdev_pause(e->netdev, true);
		return RX_NO_ROOM;
	}
	for (off = 0; off < len; off += n) {
		n = len - off < bsize ? len - off : bsize;
		desc = guest_ptr(e->mem, base + (uint64_t)head * DESC_SIZE,
				 DESC_SIZE);
		fill_buffer(e, desc, f + off, n, st);
		write_back(desc, n, st, off + n == len);
		head = (head + 1) % count;
	}
	e1000_set_reg(e, RDH, head);
	check_threshold(e, count, avail, avail - need);
	return RX_DELIVERED;
}

/* --- frames ----------------------------------------------------------- */

/*
 * The frame as the driver gets it in e->rx_buf: VLAN tag stripped into
 * the status (CTRL.VME), padded to 60 bytes, FCS appended unless
 * RCTL.SECRC.  Returns its length, 0 if the filters drop it.
 */
static uint32_t shape_frame(struct e1000 *e, const uint8_t *frame,
			    uint32_t len, struct rx_status *st)
{
	uint8_t *buf = e->rx_buf;
	uint32_t fcs;

	if (vlan_tagged(e, frame, len)) {
		uint16_t tci = get_be16(frame + ETH_HLEN);

		if (!vlan_allowed(e, tci))
			return 0;
		if (e1000_reg(e, CTRL) & CTRL_VME) {
			st->status |= RXD_STAT_VP;
			st->special = tci;
			memcpy(buf, frame, 2 * ETH_ALEN);
			memcpy(buf + 2 * ETH_ALEN, frame + ETH_HLEN + 2,
			       len - ETH_HLEN - 2);
			len -= VLAN_HLEN;
			frame = buf;
		}
	}
	if (frame != buf)
		memcpy(buf, frame, len);
	if (len < NET_MIN_FRAME) {
		memset(buf + len, 0, NET_MIN_FRAME - len);
		len = NET_MIN_FRAME;
	}
	rx_checksums(e, buf, len, st);
	if (!(e1000_reg(e, RCTL) & RCTL_SECRC)) {
		fcs = htole32(eth_crc32(buf, len));
		memcpy(buf + len, &fcs, FCS_LEN);
		len += FCS_LEN;
	}
	return len;
}

static bool length_ok(struct e1000 *e, size_t len)
{
	if (len < ETH_HLEN) {
		e1000_count(e, RUC, 1);
		return false;
	}
	if (len + FCS_LEN > (e1000_reg(e, RCTL) & RCTL_LPE ?
			     E1000_MAX_FRAME : LONG_FRAME)) {
		e1000_count(e, ROC, 1);
		return false;
	}
	return true;
}

static enum rx_result receive_frame(struct e1000 *e, const uint8_t *frame,
				    size_t len)
{
	struct rx_status st = { 0 };
	enum rx_result ret;
	uint32_t n;

	if (!length_ok(e, len) || !accept_address(e, frame))
		return RX_DROPPED;
	n = shape_frame(e, frame, len, &st);
	if (!n)
		return RX_DROPPED;
	ret = to_ring(e, e->rx_buf, n, &st);
	if (ret != RX_DELIVERED)
		return ret;
	count_received(e, e->rx_buf, n + (e1000_reg(e, RCTL) & RCTL_SECRC ?
					  FCS_LEN : 0));
	e1000_raise_delayed(e, DELAY_RX, DELAY_RX_ABS, ICR_RXT0);
	return RX_DELIVERED;
}

/* A disabled receiver hears nothing: frames are dropped uncounted. */
int e1000_rx_frame(struct e1000 *e, const uint8_t *frame, size_t len)
{
	if (!(e1000_reg(e, RCTL) & RCTL_EN))
		return 0;
	if (receive_frame(e, frame, len) == RX_NO_ROOM)
		return -1;
	e1000_count(e, TPR, 1);
	e1000_count_octets(e, TORL, len + FCS_LEN);
	return 0;
}

void e1000_rx_resume(struct e1000 *e)
{
	if (!e->rx_paused)
		return;
	e->rx_paused = false;
	if (e->netdev)
		netdev_pause(e->netdev, false);
}
