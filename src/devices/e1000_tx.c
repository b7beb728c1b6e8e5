// SPDX-License-Identifier: MIT
/*
 * Transmit (SDM 3.3-3.5): the ring from TDH up to TDT, run on the vCPU
 * thread that moved TDT.  A packet is gathered from legacy descriptors,
 * or from data descriptors that follow a context descriptor giving the
 * checksum offload and TCP segmentation parameters.  Checksums are
 * inserted and TSO segments cut in software, every segment going to the
 * backend as its own frame, unless the backend takes offloads: then a
 * TCP checksum running to the end of the frame is left to it, and a
 * TCP TSO packet whose headers agree with its context goes out whole,
 * for the host kernel to segment.
 *
 * A hostile ring costs the guest its own packets, never the host: the
 * walk stops after one lap of the ring, buffers outside RAM, oversized
 * packets and impossible TSO contexts are counted as guest errors and
 * the packet dropped, and every descriptor is still written back so the
 * driver can reclaim it.
 */
#include <string.h>

#include "kvmlite/checksum.h"
#include "kvmlite/memory.h"
#include "e1000_priv.h"

#define IPV4_MIN_HLEN		20
#define IPV6_HLEN		40
#define TCP_MIN_HLEN		20
#define UDP_HLEN		8
#define TCP_FLAGS		13
#define TCP_CSUM		16
#define TCP_FIN			0x01
#define TCP_PSH			0x08

/* A descriptor as read from the ring, fields in host order. */
struct tx_desc {
	uint64_t addr;		/* a buffer, or a context's offsets */
	uint32_t lower;		/* length, CSO or DTYP, command */
	uint32_t upper;		/* status, CSS/POPTS/HDRLEN, special */
};

static uint8_t desc_cmd(const struct tx_desc *d)
{
	return d->lower >> 24;
}

static bool is_extended(const struct tx_desc *d)
{
	return desc_cmd(d) & TXD_CMD_DEXT;
}

static void packet_reset(struct tx_packet *tx)
{
	tx->active = false;
	tx->bad = false;
	tx->gso = false;
	tx->len = 0;
	tx->hdr_len = 0;
	tx->sent = 0;
	tx->segments = 0;
}

void e1000_tx_reset(struct e1000 *e)
{
	memset(&e->ctx, 0, sizeof(e->ctx));
	packet_reset(&e->tx);
}

static void drop_packet(struct e1000 *e, const char *why)
{
	e1000_guest_error(e, why);
	e->tx.bad = true;
}

/* --- sending ---------------------------------------------------------- */

/* A frame of @len bytes, FCS excluded, on the wire. */
static void count_sent(struct e1000 *e, const uint8_t *frame, uint32_t len)
{
	e1000_count(e, TPT, 1);
	e1000_count(e, GPTC, 1);
	e1000_count_octets(e, GOTCL, len + FCS_LEN);
	e1000_count_octets(e, TOTL, len + FCS_LEN);
	e1000_count_size(e, PTC64, len + FCS_LEN);
	if (is_broadcast(frame))
		e1000_count(e, BPTC, 1);
	else if (frame[0] & 1)
		e1000_count(e, MPTC, 1);
}

static bool vlan_inserted(struct e1000 *e, const struct tx_desc *d)
{
	return (desc_cmd(d) & TXD_CMD_VLE) && (e1000_reg(e, CTRL) & CTRL_VME);
}

static bool backend_offloads(const struct e1000 *e)
{
	return e->netdev && e->netdev->offloads;
}

/*
 * One frame to the wire, with the VLAN tag of descriptor @d inserted
 * after the addresses (VLE, with CTRL.VME) and padded if short (PSP).
 * @vh: the checksum left to the backend, if any (flags 0: none).
 */
static void send_frame(struct e1000 *e, const struct tx_desc *d,
		       const uint8_t *frame, uint32_t len,
		       struct virtio_net_hdr *vh)
{
	static const uint8_t zeros[NET_MIN_FRAME];
	bool vlan = vlan_inserted(e, d);
	uint8_t tag[VLAN_HLEN];
	struct iovec iov[4];
	uint32_t total = len;
	int n = 0;

	if (len < 2 * ETH_ALEN) {
		e1000_guest_error(e, "transmit frame too short");
		return;
	}
	if (vlan) {
		put_be16(tag, e1000_reg(e, VET));
		put_be16(tag + 2, d->upper >> 16);
		iov[n++] = (struct iovec){ (void *)frame, 2 * ETH_ALEN };
		iov[n++] = (struct iovec){ tag, VLAN_HLEN };
		iov[n++] = (struct iovec){ (void *)(frame + 2 * ETH_ALEN),
					   len - 2 * ETH_ALEN };
		total += VLAN_HLEN;
		vh->csum_start += VLAN_HLEN;
	} else {
		/* One piece: the kernel walks fewer iovecs per frame. */
		iov[n++] = (struct iovec){ (void *)frame, len };
	}
	if (total < NET_MIN_FRAME && (e1000_reg(e, TCTL) & TCTL_PSP)) {
		iov[n++] = (struct iovec){ (void *)zeros,
					   NET_MIN_FRAME - total };
		total = NET_MIN_FRAME;
	}
	count_sent(e, frame, total);
	if (e->netdev)
		netdev_send(e->netdev, vh->flags ? vh : NULL, iov, n);
}

/*
 * The one's complement checksum of [@css, @cse] (inclusive; 0: to the
 * end) stored at @cso, over whatever the driver seeded that field with.
 */
static void insert_checksum(struct e1000 *e, uint8_t *frame, uint32_t len,
			    uint32_t css, uint32_t cso, uint32_t cse,
			    bool udp)
{
	uint32_t end = cse ? cse + 1 : len;
	uint16_t sum;

	if (end > len || css >= end || cso + 2 > len) {
		e1000_guest_error(e, "checksum offsets outside the packet");
		return;
	}
	sum = ~csum_fold(csum_add(0, frame + css, end - css));
	/* UDP sends a zero checksum as all ones (RFC 768). */
	if (udp && !sum)
		sum = 0xffff;
	put_be16(frame + cso, sum);
}

/*
 * TXSM: a checksum that runs to the end of the frame is what a
 * virtio_net_hdr's NEEDS_CSUM asks of the backend, which then does it;
 * any other is inserted here.
 */
static void offload_checksum(struct e1000 *e, struct virtio_net_hdr *vh,
			     uint8_t *frame, uint32_t len)
{
	const struct tx_context *c = &e->ctx;

	if (backend_offloads(e) && (!c->tucse || c->tucse + 1U == len) &&
	    c->tucss < len && c->tucso >= c->tucss && c->tucso + 2U <= len) {
		vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->csum_start = c->tucss;
		vh->csum_offset = c->tucso - c->tucss;
		return;
	}
	insert_checksum(e, frame, len, c->tucss, c->tucso, c->tucse,
			!(c->tucmd & TUCMD_TCP));
}

/* --- TCP segmentation ------------------------------------------------- */

/* The context must describe headers that fit in HDRLEN. */
static bool tso_context_ok(const struct tx_context *c)
{
	uint32_t ip_len = c->tucmd & TUCMD_IP ? IPV4_MIN_HLEN : IPV6_HLEN;
	uint32_t l4_len = c->tucmd & TUCMD_TCP ? TCP_MIN_HLEN : UDP_HLEN;

	return c->mss && c->hdrlen &&
	       (uint32_t)c->hdrlen + c->mss <= E1000_MAX_FRAME &&
	       (uint32_t)c->ipcss + ip_len <= c->hdrlen &&
	       (uint32_t)c->tucss + l4_len <= c->hdrlen &&
	       (uint32_t)c->ipcso + 2 <= c->hdrlen &&
	       (uint32_t)c->tucso + 2 <= c->hdrlen;
}

/* Lengths, IP ID and TCP sequence of segment n (SDM 3.5.5). */
static void segment_headers(struct e1000 *e, uint8_t *f, uint32_t total,
			    bool last)
{
	const struct tx_context *c = &e->ctx;
	const uint8_t *tmpl = e->tx.header;

	if (c->tucmd & TUCMD_IP) {
		put_be16(f + c->ipcss + 2, total - c->ipcss);
		put_be16(f + c->ipcss + 4, get_be16(tmpl + c->ipcss + 4) +
			 e->tx.segments);
	} else {
		put_be16(f + c->ipcss + 4, total - c->ipcss - IPV6_HLEN);
	}
	if (!(c->tucmd & TUCMD_TCP)) {
		put_be16(f + c->tucss + 4, total - c->tucss);
		return;
	}
	put_be32(f + c->tucss + 4, get_be32(tmpl + c->tucss + 4) +
		 e->tx.sent);
	if (!last)
		f[c->tucss + TCP_FLAGS] &= ~(TCP_FIN | TCP_PSH);
}

/*
 * The driver seeds the TCP/UDP checksum with the pseudo-header sum
 * without the length, which differs per segment and is added here.
 */
static void segment_checksums(struct e1000 *e, uint8_t *f, uint32_t total)
{
	const struct tx_context *c = &e->ctx;
	uint32_t l4_len = total - c->tucss;
	uint16_t sum;

	if (e->tx.popts & TXD_POPTS_TXSM) {
		sum = ~csum_fold(csum_add16(csum_add(0, f + c->tucss, l4_len),
					    l4_len));
		put_be16(f + c->tucso, sum);
	}
	if (e->tx.popts & TXD_POPTS_IXSM)
		insert_checksum(e, f, total, c->ipcss, c->ipcso, c->ipcse,
				false);
}

/* Segment @f of @len bytes: its payload is in place, its header not. */
static void send_segment(struct e1000 *e, const struct tx_desc *d,
			 uint8_t *f, uint32_t len, bool last)
{
	struct virtio_net_hdr none = { 0 };
	struct tx_packet *tx = &e->tx;

	memcpy(f, tx->header, e->ctx.hdrlen);
	segment_headers(e, f, len, last);
	segment_checksums(e, f, len);
	send_frame(e, d, f, len, &none);
	tx->segments++;
	tx->sent += len - e->ctx.hdrlen;
}

/*
 * A whole gathered packet cut here after all: each segment's header
 * goes over the end of the payload the one before it carried.
 */
static void segment_in_place(struct e1000 *e, const struct tx_desc *d)
{
	struct tx_packet *tx = &e->tx;
	uint32_t mss = e->ctx.mss, off = 0;

	while (tx->len - off - e->ctx.hdrlen > mss) {
		send_segment(e, d, tx->buf + off, e->ctx.hdrlen + mss, false);
		off += mss;
	}
	send_segment(e, d, tx->buf + off, tx->len - off, true);
}

/* --- TCP segmentation by the backend ------------------------------------ */

/*
 * Whether the backend may cut this TSO packet, judged at its first
 * descriptor: TCP with both checksums asked for (the backend does them
 * per segment), the TCP checksum where TCP has it, no VLAN tag to insert,
 * and a PAYLEN that fits one backend frame (whose IP lengths then fit
 * their 16 bits).
 */
static bool gso_possible(struct e1000 *e)
{
	const struct tx_context *c = &e->ctx;
	uint8_t want = TXD_POPTS_TXSM |
		       (c->tucmd & TUCMD_IP ? TXD_POPTS_IXSM : 0);

	return backend_offloads(e) && (c->tucmd & TUCMD_TCP) &&
	       (e->tx.popts & want) == want &&
	       c->tucso == c->tucss + TCP_CSUM &&
	       !(e1000_reg(e, CTRL) & CTRL_VME) &&
	       (uint32_t)c->hdrlen + c->paylen <= NET_MAX_FRAME;
}

/*
 * The headers must be what the context says, Ethernet, IPv4 or IPv6
 * without extension headers, then TCP, so that the virtio_net_hdr built
 * from the context describes the frame the kernel will parse.
 */
static bool gso_headers_agree(struct e1000 *e, const uint8_t *f)
{
	const struct tx_context *c = &e->ctx;
	uint32_t ip_len = c->tucss - c->ipcss;
	uint32_t tcp_len = c->hdrlen - c->tucss;	/* >= 20: context ok */

	if (c->ipcss != ETH_HLEN || c->tucss < c->ipcss ||
	    (f[c->tucss + 12] >> 4) * 4U != tcp_len)
		return false;
	if (c->tucmd & TUCMD_IP)
		return get_be16(f + ETH_HLEN - 2) == ETH_P_IP &&
		       f[c->ipcss] >> 4 == 4 &&
		       (f[c->ipcss] & 0xf) * 4U == ip_len &&
		       f[c->ipcss + 9] == IPPROTO_TCP_NR;
	return get_be16(f + ETH_HLEN - 2) == ETH_P_IPV6 &&
	       ip_len == IPV6_HLEN && f[c->ipcss] >> 4 == 6 &&
	       f[c->ipcss + 6] == IPPROTO_TCP_NR;
}

/* The wire's statistics for the segments the backend will cut. */
static void count_gso_segments(struct e1000 *e, const uint8_t *f)
{
	uint32_t hdrlen = e->ctx.hdrlen, mss = e->ctx.mss;
	uint32_t left = e->tx.len - hdrlen;

	for (; left > mss; left -= mss)
		count_sent(e, f, hdrlen + mss);
	count_sent(e, f, hdrlen + left);
}

/*
 * The packet as one frame: the headers of a first and last segment,
 * the TCP checksum seeded with the pseudo-header's length as the kernel
 * expects of a partial checksum, and a virtio_net_hdr asking for
 * segments of MSS payload bytes.
 */
static void send_gso(struct e1000 *e, const struct tx_desc *d)
{
	const struct tx_context *c = &e->ctx;
	struct tx_packet *tx = &e->tx;
	uint8_t *f = tx->buf;
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.hdr_len = c->hdrlen,
		.csum_start = c->tucss,
		.csum_offset = TCP_CSUM,
	};
	struct iovec iov = { f, tx->len };

	memcpy(f, tx->header, c->hdrlen);
	if (vlan_inserted(e, d) || !gso_headers_agree(e, f)) {
		segment_in_place(e, d);
		return;
	}
	segment_headers(e, f, tx->len, true);
	put_be16(f + c->tucso, csum_fold(csum_add16(get_be16(f + c->tucso),
						    tx->len - c->tucss)));
	if (c->tucmd & TUCMD_IP)
		insert_checksum(e, f, tx->len, c->ipcss, c->ipcso, c->ipcse,
				false);
	if (tx->len - c->hdrlen > c->mss) {
		vh.gso_type = c->tucmd & TUCMD_IP ? VIRTIO_NET_HDR_GSO_TCPV4 :
						    VIRTIO_NET_HDR_GSO_TCPV6;
		vh.gso_size = c->mss;
	}
	count_gso_segments(e, f);
	netdev_send(e->netdev, &vh, &iov, 1);
}

/*
 * Header bytes first, then payload cut into MSS-sized segments; a
 * segment goes out once it is full and more payload follows.
 */
static void tso_data(struct e1000 *e, const struct tx_desc *d,
		     const uint8_t *data, uint32_t len)
{
	struct tx_packet *tx = &e->tx;
	uint32_t full = tx->gso ? sizeof(tx->buf) :
				  (uint32_t)e->ctx.hdrlen + e->ctx.mss, n;

	if (tx->hdr_len < e->ctx.hdrlen) {
		n = e->ctx.hdrlen - tx->hdr_len;
		n = n < len ? n : len;
		memcpy(tx->header + tx->hdr_len, data, n);
		tx->hdr_len += n;
		tx->len = tx->hdr_len;
		data += n;
		len -= n;
	}
	while (len) {
		if (tx->len == full && tx->gso) {
			drop_packet(e, "TSO packet longer than its PAYLEN");
			return;
		}
		if (tx->len == full) {
			send_segment(e, d, tx->buf, tx->len, false);
			tx->len = e->ctx.hdrlen;
		}
		n = full - tx->len;
		n = n < len ? n : len;
		memcpy(tx->buf + tx->len, data, n);
		tx->len += n;
		data += n;
		len -= n;
	}
}

/* --- gathering packets ------------------------------------------------ */

static void add_data(struct e1000 *e, const struct tx_desc *d, uint32_t len)
{
	struct tx_packet *tx = &e->tx;
	const uint8_t *data;

	if (tx->bad || !len)
		return;
	data = guest_ptr(e->mem, d->addr, len);
	if (!data) {
		drop_packet(e, "transmit buffer outside RAM");
		return;
	}
	if (tx->tse) {
		tso_data(e, d, data, len);
		return;
	}
	if (len > E1000_MAX_FRAME - tx->len) {
		drop_packet(e, "transmit packet too long");
		return;
	}
	memcpy(tx->buf + tx->len, data, len);
	tx->len += len;
}

static void start_packet(struct e1000 *e, bool tse, uint8_t popts)
{
	struct tx_packet *tx = &e->tx;

	if (tx->active)
		return;
	packet_reset(tx);
	tx->active = true;
	tx->tse = tse;
	tx->popts = popts;
	if (tse && !tso_context_ok(&e->ctx)) {
		e1000_count(e, TSCTFC, 1);
		drop_packet(e, "impossible TSO context");
		return;
	}
	tx->gso = tse && gso_possible(e);
}

static void send_packet(struct e1000 *e, const struct tx_desc *d)
{
	struct tx_packet *tx = &e->tx;
	const struct tx_context *c = &e->ctx;
	struct virtio_net_hdr vh = { 0 };

	if (tx->tse && tx->hdr_len < c->hdrlen) {
		e1000_guest_error(e, "TSO packet shorter than its header");
		return;
	}
	if (tx->tse) {
		if (tx->gso)
			send_gso(e, d);
		else
			send_segment(e, d, tx->buf, tx->len, true);
		e1000_count(e, TSCTC, 1);
		return;
	}
	if (tx->popts & TXD_POPTS_TXSM)
		offload_checksum(e, &vh, tx->buf, tx->len);
	if (tx->popts & TXD_POPTS_IXSM)
		insert_checksum(e, tx->buf, tx->len, c->ipcss, c->ipcso,
				c->ipcse, false);
	send_frame(e, d, tx->buf, tx->len, &vh);
}

/* The descriptor with EOP: the rest of the packet goes out. */
static void end_packet(struct e1000 *e, const struct tx_desc *d)
{
	if (!e->tx.bad)
		send_packet(e, d);
	packet_reset(&e->tx);
}

/*
 * A whole frame in one legacy descriptor with nothing to insert goes to
 * the backend from guest memory, without the copy into tx.buf.  A guest
 * that changes the buffer meanwhile only garbles its own frame.  False
 * if the frame must take the gathering path (which reports the errors).
 */
static bool send_in_place(struct e1000 *e, const struct tx_desc *d)
{
	uint32_t len = d->lower & 0xffff;
	struct virtio_net_hdr vh = { 0 };
	const uint8_t *frame;

	if (e->tx.active ||
	    (desc_cmd(d) & (TXD_CMD_EOP | TXD_CMD_IC)) != TXD_CMD_EOP ||
	    !len || len > E1000_MAX_FRAME)
		return false;
	frame = guest_ptr(e->mem, d->addr, len);
	if (!frame)
		return false;
	send_frame(e, d, frame, len, &vh);
	return true;
}

/* A legacy descriptor's checksum: from CSS to the end, stored at CSO. */
static void legacy_descriptor(struct e1000 *e, const struct tx_desc *d)
{
	uint8_t cmd = desc_cmd(d);

	if (send_in_place(e, d))
		return;
	start_packet(e, false, 0);
	add_data(e, d, d->lower & 0xffff);
	if (!(cmd & TXD_CMD_EOP))
		return;
	if ((cmd & TXD_CMD_IC) && !e->tx.bad)
		insert_checksum(e, e->tx.buf, e->tx.len, d->upper >> 8 & 0xff,
				d->lower >> 16 & 0xff, 0, false);
	end_packet(e, d);
}

static void context_descriptor(struct e1000 *e, const struct tx_desc *d)
{
	struct tx_context *c = &e->ctx;
	uint64_t a = d->addr;

	/* A packet's offsets must not change under it. */
	if (e->tx.active)
		drop_packet(e, "context descriptor inside a packet");
	c->ipcss = a;
	c->ipcso = a >> 8;
	c->ipcse = a >> 16;
	c->tucss = a >> 32;
	c->tucso = a >> 40;
	c->tucse = a >> 48;
	c->paylen = d->lower & 0xfffff;
	c->tucmd = desc_cmd(d);
	c->hdrlen = d->upper >> 8;
	c->mss = d->upper >> 16;
}

/* POPTS and TSE count in the first data descriptor of a packet. */
static void data_descriptor(struct e1000 *e, const struct tx_desc *d)
{
	uint8_t cmd = desc_cmd(d);

	start_packet(e, cmd & TXD_CMD_TSE, d->upper >> 8);
	add_data(e, d, d->lower & 0xfffff);
	if (cmd & TXD_CMD_EOP)
		end_packet(e, d);
}

static void tx_descriptor(struct e1000 *e, const struct tx_desc *d)
{
	if (!is_extended(d)) {
		legacy_descriptor(e, d);
		return;
	}
	switch (d->lower >> 20 & 0xf) {
	case TXD_DTYP_CONTEXT:
		context_descriptor(e, d);
		break;
	case TXD_DTYP_DATA:
		data_descriptor(e, d);
		break;
	default:
		e1000_guest_error(e, "unknown transmit descriptor type");
	}
}

/* --- the ring --------------------------------------------------------- */

static void read_desc(const uint8_t *p, struct tx_desc *d)
{
	uint64_t addr;
	uint32_t lower, upper;

	memcpy(&addr, p, 8);
	memcpy(&lower, p + 8, 4);
	memcpy(&upper, p + 12, 4);
	d->addr = le64toh(addr);
	d->lower = le32toh(lower);
	d->upper = le32toh(upper);
}

void e1000_tx_run(struct e1000 *e)
{
	uint32_t count, head, tail, n, reported = 0, delayed = 0;
	struct tx_desc d;
	uint64_t base;
	uint8_t *p;

	if (!(e1000_reg(e, TCTL) & TCTL_EN) ||
	    e1000_reg(e, TDH) == e1000_reg(e, TDT) ||
	    !e1000_ring(e, TDBAL, &count, &base))
		return;
	head = e1000_reg(e, TDH);
	tail = e1000_reg(e, TDT);
	for (n = 0; head != tail && n < count; n++) {
		p = guest_ptr(e->mem, base + (uint64_t)head * DESC_SIZE,
			      DESC_SIZE);
		read_desc(p, &d);
		tx_descriptor(e, &d);
		if (desc_cmd(&d) & (TXD_CMD_RS | TXD_CMD_RPS)) {
			/* Write-back: DD in the status nibble (byte 12). */
			__atomic_store_n(&p[12], (p[12] & 0xf0) | TXD_STAT_DD,
					 __ATOMIC_RELEASE);
			reported++;
			delayed += !!(desc_cmd(&d) & TXD_CMD_IDE);
		}
		head = (head + 1) % count;
	}
	e1000_set_reg(e, TDH, head);
	if (reported && delayed == reported)
		e1000_raise_delayed(e, DELAY_TX, DELAY_TX_ABS, ICR_TXDW);
	else if (reported)
		e1000_raise(e, ICR_TXDW);
	e1000_raise(e, ICR_TXQE);
}
