// SPDX-License-Identifier: MIT
/*
 * Drives the e1000 NIC against a host on a TAP and prints one line per
 * check, "e1000: NAME ok|FAIL ...", then exits 0 only if none failed.
 *
 * Command line:
 *   mac=MAC		what the EEPROM holds (default 52:54:00:12:34:56)
 *   macs=MAC,MAC...	only check that the NICs are there, in this order,
 *			with these EEPROM MACs
 *   ip=A.B.C.D		the guest's address (default 10.0.0.2)
 *   host=A.B.C.D	the host side's (default 10.0.0.1)
 *   rx=N		UDP datagrams the host sends to port 5001 once the
 *			guest prints "e1000: ready udp_rx" (default 0)
 *   tx=N		UDP datagrams to send to the host's port 5002
 *   tso=N		a TCP packet of N payload bytes cut by TSO in segments
 *			of 1000 bytes, to the host's port 5003
 *   oracle=qemu	QEMU 7.2's e1000 is the device: skip the checks of
 *			what it leaves out (registers through IODATA, receive
 *			checksum offload)
 */
#include "guest.h"
#include "clock.h"
#include "e1000.h"
#include "irq.h"
#include "netproto.h"

#define DEFAULT_MAC	"52:54:00:12:34:56"
#define RX_PORT		5001
#define TX_PORT		5002
#define TSO_PORT	5003
#define GUEST_PORT	4000
#define RX_RING		32
#define TX_RING		64
#define IRQ_VECTOR_NIC	IRQ_FREE_VECTOR_BASE
#define UDP_DATA	200
#define TSO_MSS		1000
#define TSO_SEQ		0x10000000U
#define TSO_MAX		16000
#define REPLY_US	2000000
#define BURST_US	30000000
#define MAX_NICS	8
#define IMS_CAUSES	(E1000_ICR_RXT0 | E1000_ICR_TXDW | E1000_ICR_LSC | \
			 E1000_ICR_RXO | E1000_ICR_RXDMT0)
#define EE_SUM		0xbaba
/* PHY control: 1000 Mb/s full duplex, auto-negotiation (re)started. */
#define PHY_RESTART_AN	0x1340

struct options {
	uint8_t mac[ETH_ALEN];
	uint8_t macs[MAX_NICS][ETH_ALEN];
	unsigned int nr_macs;
	uint32_t ip, host;
	unsigned long rx, tx, tso;
	bool qemu;
};

struct nic {
	struct e1000_dev dev;
	struct net_addr self, peer;
	unsigned int frames_sent;	/* what GPTC must count */
};

static unsigned int nr_ok, nr_failed, nr_skipped;
static uint8_t frame[2048];
static uint8_t tso_packet[TSO_MAX + 100];

static void verdict_start(const char *name, bool ok)
{
	printf("e1000: %s %s", name, ok ? "ok" : "FAIL");
	if (ok)
		nr_ok++;
	else
		nr_failed++;
}

static void skip(const char *name, const char *why)
{
	printf("e1000: %s skip %s\n", name, why);
	nr_skipped++;
}

/* One line per check: its name, ok or FAIL, then what it saw. */
#define verdict(name, ok, ...)						\
	do {								\
		verdict_start(name, ok);				\
		printf(" " __VA_ARGS__);				\
		printf("\n");						\
	} while (0)

/* --- options ---------------------------------------------------------- */

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int i, j, v;

	for (i = 0; i < ETH_ALEN; i++, s++) {
		for (v = 0, j = 0; j < 2; j++, s++) {
			if (*s >= '0' && *s <= '9')
				v = v << 4 | (*s - '0');
			else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
				v = v << 4 | ((*s | 0x20) - 'a' + 10);
			else
				return -1;
		}
		mac[i] = v;
		if (i < ETH_ALEN - 1 && *s != ':')
			return -1;
	}
	return 0;
}

static bool parse_macs(const char *s, struct options *o)
{
	while (s && o->nr_macs < MAX_NICS) {
		if (parse_mac(s, o->macs[o->nr_macs++]))
			return false;
		s += 17;
		if (*s != ',')
			break;
		s++;
	}
	return true;
}

static bool parse_num(const char *cmdline, const char *key,
		      unsigned long *out)
{
	const char *v = cmdline_get(cmdline, key);

	return !v || cmdline_parse_ulong(v, out);
}

static bool parse_options(const char *cmdline, struct options *o)
{
	const char *mac = cmdline_get(cmdline, "mac");
	const char *ip = cmdline_get(cmdline, "ip");
	const char *host = cmdline_get(cmdline, "host");

	memset(o, 0, sizeof(*o));
	o->qemu = cmdline_get(cmdline, "oracle") &&
		  !strncmp(cmdline_get(cmdline, "oracle"), "qemu", 4);
	return !parse_mac(mac ? mac : DEFAULT_MAC, o->mac) &&
	       !parse_ip(ip ? ip : "10.0.0.2", &o->ip) &&
	       !parse_ip(host ? host : "10.0.0.1", &o->host) &&
	       parse_macs(cmdline_get(cmdline, "macs"), o) &&
	       parse_num(cmdline, "rx", &o->rx) &&
	       parse_num(cmdline, "tx", &o->tx) &&
	       parse_num(cmdline, "tso", &o->tso) && o->tso <= TSO_MAX;
}

/* --- device checks ---------------------------------------------------- */

static bool check_eeprom(struct nic *n, const uint8_t *mac)
{
	struct e1000_dev *d = &n->dev;
	uint8_t wire[ETH_ALEN], eerd[ETH_ALEN];
	uint16_t sum = 0, w;
	unsigned int i;

	for (i = 0; i < ETH_ALEN / 2; i++) {
		w = e1000_eeprom_microwire(d, i);
		wire[2 * i] = w;
		wire[2 * i + 1] = w >> 8;
		w = e1000_eeprom_eerd(d, i);
		eerd[2 * i] = w;
		eerd[2 * i + 1] = w >> 8;
	}
	for (i = 0; i < 64; i++)
		sum += e1000_eeprom_eerd(d, i);
	verdict("eeprom_mac", !memcmp(wire, mac, ETH_ALEN) &&
		!memcmp(eerd, mac, ETH_ALEN),
		"microwire %02x:%02x:%02x:%02x:%02x:%02x eerd "
		"%02x:%02x:%02x:%02x:%02x:%02x", wire[0], wire[1], wire[2],
		wire[3], wire[4], wire[5], eerd[0], eerd[1], eerd[2],
		eerd[3], eerd[4], eerd[5]);
	verdict("eeprom_checksum", sum == EE_SUM, "sum 0x%04x", sum);
	return !memcmp(eerd, mac, ETH_ALEN);
}

static void check_io_window(struct nic *n, bool qemu)
{
	struct e1000_dev *d = &n->dev;
	uint32_t via_io;

	if (qemu) {
		skip("io_window", "(QEMU's IODATA reaches no register)");
		return;
	}
	if (!d->io) {
		verdict("io_window", false, "no I/O BAR");
		return;
	}
	outl(d->io, E1000_STATUS);
	via_io = inl(d->io + 4);
	verdict("io_window", via_io == e1000_read(d, E1000_STATUS),
		"STATUS 0x%x through IODATA", via_io);
}

static void check_reset(struct nic *n, const uint8_t *mac)
{
	struct e1000_dev *d = &n->dev;
	uint32_t ral, rah;
	bool ok = !e1000_reset(d);

	ral = e1000_read(d, E1000_RAL0);
	rah = e1000_read(d, E1000_RAH0);
	ok = ok && ral == (uint32_t)(mac[0] | mac[1] << 8 | mac[2] << 16 |
				     mac[3] << 24) &&
	     rah == (uint32_t)(mac[4] | mac[5] << 8 | 1U << 31) &&
	     !e1000_read(d, E1000_RCTL) && !e1000_read(d, E1000_TCTL);
	verdict("reset", ok, "RAL0 0x%08x RAH0 0x%08x", ral, rah);
}

/* Link up and auto-negotiation complete, which may take a while. */
static bool phy_negotiated(struct nic *n, uint16_t *bmsr)
{
	uint64_t end = rdtsc() + tsc_cycles_us(REPLY_US);

	do {
		if (e1000_phy_read(&n->dev, 1, bmsr))
			return false;
		if ((*bmsr & 0x24) == 0x24)
			return true;
	} while (rdtsc() < end);
	return false;
}

static void check_phy(struct nic *n)
{
	uint16_t id1 = 0, id2 = 0, bmsr = 0;
	bool ok = !e1000_phy_read(&n->dev, 2, &id1) &&
		  !e1000_phy_read(&n->dev, 3, &id2) &&
		  !e1000_phy_write(&n->dev, 0, PHY_RESTART_AN) &&
		  phy_negotiated(n, &bmsr);

	verdict("phy", ok && id1 == 0x0141 && (id2 & 0xfff0) == 0x0c20 &&
		(bmsr & 0x24) == 0x24, "id %04x:%04x status %04x", id1, id2,
		bmsr);
}

static void check_link(struct nic *n)
{
	struct e1000_dev *d = &n->dev;
	uint64_t end = rdtsc() + tsc_cycles_us(REPLY_US);
	uint32_t status;

	e1000_write(d, E1000_CTRL, e1000_read(d, E1000_CTRL) |
		    E1000_CTRL_SLU);
	do
		status = e1000_read(d, E1000_STATUS);
	while (!(status & E1000_STATUS_LU) && rdtsc() < end);
	verdict("link_up", status & E1000_STATUS_LU, "STATUS 0x%x", status);
}

/* Waits up to @us for an interrupt beyond @count; true if one came. */
static bool irq_after(uint32_t count, uint64_t us)
{
	uint64_t end = rdtsc() + tsc_cycles_us(us);

	while (e1000_irq_count == count && rdtsc() < end)
		cpu_relax();
	return e1000_irq_count != count;
}

/* ICS raises a cause; masked (IMC) it stays in ICR without INTx. */
static void check_interrupts(struct nic *n)
{
	struct e1000_dev *d = &n->dev;
	uint32_t count, icr;
	bool raised, masked;

	if (e1000_irq_setup(d, IRQ_VECTOR_NIC, IMS_CAUSES)) {
		verdict("irq_setup", false, "no INTx route");
		return;
	}
	irq_enable();
	count = e1000_irq_count;
	e1000_irq_causes = 0;
	e1000_write(d, E1000_ICS, E1000_ICR_LSC);
	raised = irq_after(count, REPLY_US) &&
		 (e1000_irq_causes & E1000_ICR_LSC);
	e1000_write(d, E1000_IMC, E1000_ICR_LSC);
	count = e1000_irq_count;
	e1000_write(d, E1000_ICS, E1000_ICR_LSC);
	masked = !irq_after(count, 20000);
	icr = e1000_read(d, E1000_ICR);
	e1000_write(d, E1000_IMS, IMS_CAUSES);
	verdict("irq_ics", raised, "causes 0x%x on I/O APIC pin %u",
		e1000_irq_causes, d->intx.ioapic_pin);
	verdict("irq_masked", masked && (icr & E1000_ICR_LSC),
		"ICR 0x%x", icr);
}

/* --- frames ----------------------------------------------------------- */

static bool send(struct nic *n, const void *f, size_t len)
{
	uint64_t end = rdtsc() + tsc_cycles_us(REPLY_US);

	while (e1000_tx_queue(&n->dev, f, len)) {
		if (rdtsc() > end)
			return false;
		e1000_tx_done(&n->dev);
	}
	e1000_tx_kick(&n->dev);
	n->frames_sent++;
	return true;
}

static bool is_arp_request_for(const uint8_t *f, int len, uint32_t ip)
{
	return len >= ETH_HLEN + ARP_LEN && be16(f + 12) == ETH_P_ARP &&
	       be16(f + ETH_HLEN + 6) == ARP_REQUEST &&
	       be32(f + ETH_HLEN + 24) == ip;
}

/* Answers the host's ARP requests for us on the way. */
static void answer_arp(struct nic *n, const uint8_t *f)
{
	static uint8_t reply[64];
	struct net_addr asker;

	memcpy(asker.mac, f + ETH_HLEN + 8, ETH_ALEN);
	asker.ip = be32(f + ETH_HLEN + 14);
	send(n, reply, build_arp(reply, &n->self, &asker, ARP_REPLY));
}

typedef bool (*frame_match)(struct nic *n, const uint8_t *f, int len,
			    uint8_t status, void *arg);

/* The next frame @match accepts, within @us; its buffer is released. */
static bool wait_frame(struct nic *n, frame_match match, void *arg,
		       uint64_t us)
{
	uint64_t end = rdtsc() + tsc_cycles_us(us);
	const uint8_t *f;
	uint8_t status, errors;
	bool found = false;
	int len;

	while (!found && rdtsc() < end) {
		len = e1000_rx_poll(&n->dev, &f, &status, &errors, 1000);
		if (len < 0)
			continue;
		if (is_arp_request_for(f, len, n->self.ip))
			answer_arp(n, f);
		else if (!errors)
			found = match(n, f, len, status, arg);
		e1000_rx_release(&n->dev, 1);
	}
	return found;
}

static bool is_arp_reply(struct nic *n, const uint8_t *f, int len,
			 uint8_t status, void *arg)
{
	(void)status;
	(void)arg;
	if (len < ETH_HLEN + ARP_LEN || be16(f + 12) != ETH_P_ARP ||
	    be16(f + ETH_HLEN + 6) != ARP_REPLY ||
	    be32(f + ETH_HLEN + 14) != n->peer.ip)
		return false;
	memcpy(n->peer.mac, f + ETH_HLEN + 8, ETH_ALEN);
	return true;
}

static bool check_arp(struct nic *n)
{
	size_t len = build_arp(frame, &n->self, &n->peer, ARP_REQUEST);
	bool ok = send(n, frame, len) &&
		  wait_frame(n, is_arp_reply, NULL, REPLY_US);

	verdict("arp", ok, "host %02x:%02x:%02x:%02x:%02x:%02x",
		n->peer.mac[0], n->peer.mac[1], n->peer.mac[2],
		n->peer.mac[3], n->peer.mac[4], n->peer.mac[5]);
	return ok;
}

static const char echo_data[] = "kvmlite e1000 echo 0123456789abcdef";

static bool is_echo_reply(struct nic *n, const uint8_t *f, int len,
			  uint8_t status, void *arg)
{
	int l4 = ip_for(f, len, n->self.ip, IPPROTO_ICMP);
	const uint8_t *icmp = f + L4_OFF;

	(void)status;
	(void)arg;
	return l4 == ICMP_HLEN + (int)sizeof(echo_data) &&
	       icmp[0] == ICMP_ECHO_REPLY && be16(icmp + 4) == 0x4b56 &&
	       be16(icmp + 6) == 1 &&
	       !memcmp(icmp + ICMP_HLEN, echo_data, sizeof(echo_data)) &&
	       !inet_csum(icmp, l4, 0);
}

static void check_icmp(struct nic *n)
{
	size_t len = build_icmp_echo(frame, &n->self, &n->peer, 0x4b56, 1,
				     echo_data, sizeof(echo_data));

	verdict("icmp_echo", send(n, frame, len) &&
		wait_frame(n, is_echo_reply, NULL, REPLY_US), "");
}

struct udp_rx {
	unsigned long next;		/* the sequence number expected */
	unsigned int csum_ok;		/* TCPCS set without TCPE */
};

/* Datagrams carry their sequence number in their first 4 bytes. */
static bool is_burst_datagram(struct nic *n, const uint8_t *f, int len,
			      uint8_t status, void *arg)
{
	struct udp_rx *rx = arg;
	int l4 = ip_for(f, len, n->self.ip, IPPROTO_UDP);
	const uint8_t *udp = f + L4_OFF;

	if (l4 < UDP_HLEN + 4 || be16(udp + 2) != RX_PORT ||
	    be32(udp + UDP_HLEN) != rx->next)
		return false;
	rx->next++;
	rx->csum_ok += (status & (E1000_RXD_TCPCS | E1000_RXD_IXSM)) ==
		       E1000_RXD_TCPCS;
	return true;
}

static void check_udp_rx(struct nic *n, unsigned long count, bool qemu)
{
	struct udp_rx rx = { 0, 0 };

	printf("e1000: ready udp_rx %lu\n", count);
	while (rx.next < count &&
	       wait_frame(n, is_burst_datagram, &rx, BURST_US))
		;
	verdict("udp_rx", rx.next == count, "%lu of %lu in order",
		rx.next, count);
	if (qemu)
		skip("rx_checksum_offload", "(QEMU's e1000 does not offload)");
	else
		verdict("rx_checksum_offload", rx.csum_ok == rx.next,
			"%u of %lu with TCPCS", rx.csum_ok, rx.next);
}

/*
 * Even datagrams: checksums in software, one legacy descriptor.  Odd:
 * IP and UDP checksums offloaded through a context descriptor.
 */
static bool send_datagram(struct nic *n, unsigned long i)
{
	struct e1000_tx_ctx ctx = {
		.ipcss = IP_OFF, .ipcso = IP_OFF + 10,
		.ipcse = L4_OFF - 1, .tucss = L4_OFF,
		.tucso = L4_OFF + 6, .tucmd = E1000_TUCMD_IP,
	};
	uint8_t data[UDP_DATA];
	size_t len;

	memset(data, 'u', sizeof(data));
	put32(data, i);
	len = build_udp(frame, &n->self, &n->peer, GUEST_PORT, TX_PORT,
			data, sizeof(data), !(i & 1));
	if (!(i & 1))
		return send(n, frame, len);
	put16(frame + IP_OFF + 10, 0);
	if (e1000_tx_queue_offload(&n->dev, &ctx, E1000_POPTS_IXSM |
				   E1000_POPTS_TXSM, false, frame, len))
		return false;
	e1000_tx_kick(&n->dev);
	n->frames_sent++;
	return true;
}

static bool drain_tx(struct nic *n)
{
	uint64_t end = rdtsc() + tsc_cycles_us(REPLY_US);

	while (!e1000_tx_done(&n->dev))
		if (rdtsc() > end)
			return false;
	return true;
}

static void check_udp_tx(struct nic *n, unsigned long count)
{
	unsigned long i;
	bool ok = true;

	for (i = 0; i < count && ok; i++)
		ok = drain_tx(n) && send_datagram(n, i);
	ok = ok && drain_tx(n);
	verdict("udp_tx", ok, "sent %lu", i);
}

/* One TCP packet, segmented by the device at 1000 bytes a segment. */
static void check_tso(struct nic *n, unsigned long payload)
{
	struct e1000_tx_ctx ctx = {
		.ipcss = IP_OFF, .ipcso = IP_OFF + 10,
		.ipcse = L4_OFF - 1, .tucss = L4_OFF,
		.tucso = L4_OFF + 16, .tucmd = E1000_TUCMD_IP |
		E1000_TUCMD_TCP | E1000_TUCMD_TSE, .paylen = payload,
		.hdrlen = L4_OFF + TCP_HLEN, .mss = TSO_MSS,
	};
	uint8_t *tcp = tso_packet + L4_OFF;
	unsigned long i;

	build_ip(tso_packet, &n->self, &n->peer, IPPROTO_TCP, 0, 0x100,
		 false);
	memset(tcp, 0, TCP_HLEN);
	put16(tcp, GUEST_PORT);
	put16(tcp + 2, TSO_PORT);
	put32(tcp + 4, TSO_SEQ);
	tcp[12] = (TCP_HLEN / 4) << 4;
	tcp[13] = 0x18;			/* PSH, ACK */
	put16(tcp + 14, 8192);
	/* The pseudo-header sum without the length, as TSO wants it. */
	put16(tcp + 16, ~inet_csum(NULL, 0, pseudo_sum(n->self.ip, n->peer.ip,
						       IPPROTO_TCP, 0)));
	for (i = 0; i < payload; i++)
		tcp[TCP_HLEN + i] = 'a' + i % 26;
	verdict("tso_tx", drain_tx(n) &&
		!e1000_tx_queue_offload(&n->dev, &ctx, E1000_POPTS_IXSM |
					E1000_POPTS_TXSM, true, tso_packet,
					L4_OFF + TCP_HLEN + payload) &&
		(e1000_tx_kick(&n->dev), drain_tx(n)),
		"%lu bytes in %lu segments", payload,
		(payload + TSO_MSS - 1) / TSO_MSS);
	n->frames_sent += (payload + TSO_MSS - 1) / TSO_MSS;
}

/* The counters match what went out, and reading cleared them. */
static void check_stats(struct nic *n, unsigned long tso)
{
	struct e1000_dev *d = &n->dev;
	uint32_t gptc = e1000_read(d, E1000_GPTC);
	uint32_t tpt = e1000_read(d, E1000_TPT);
	uint32_t gprc = e1000_read(d, E1000_GPRC);
	uint32_t tsctc = e1000_read(d, E1000_TSCTC);
	uint32_t bptc = e1000_read(d, E1000_BPTC);
	uint64_t gotc = e1000_read(d, E1000_GOTCL);

	gotc |= (uint64_t)e1000_read(d, E1000_GOTCH) << 32;
	verdict("stats", gptc == n->frames_sent && tpt == gptc &&
		gprc >= 2 && tsctc == (tso ? 1 : 0) && bptc >= 1 &&
		gotc >= 64ULL * gptc,
		"gptc %u (sent %u) tpt %u gprc %u gotc %llu tsctc %u bptc %u",
		gptc, n->frames_sent, tpt, gprc, (unsigned long long)gotc,
		tsctc, bptc);
	/* Only transmit counters: the host may send at any moment. */
	verdict("stats_clear_on_read", !e1000_read(d, E1000_GPTC) &&
		!e1000_read(d, E1000_TSCTC) && !e1000_read(d, E1000_GOTCL) &&
		!e1000_read(d, E1000_GOTCH), "");
}

static void check_irq_causes(void)
{
	uint32_t causes = e1000_irq_causes;

	verdict("irq_causes", (causes & (E1000_ICR_RXT0 | E1000_ICR_TXDW)) ==
		(E1000_ICR_RXT0 | E1000_ICR_TXDW), "%u interrupts, causes 0x%x",
		e1000_irq_count, causes);
}

/* --- the runs --------------------------------------------------------- */

static void check_macs(const struct options *o)
{
	struct nic n;
	unsigned int i;

	for (i = 0; i < o->nr_macs; i++) {
		if (e1000_find(&n.dev, i)) {
			verdict("nic_found", false, "NIC %u missing", i);
			return;
		}
		check_eeprom(&n, o->macs[i]);
	}
	verdict("nic_count", e1000_find(&n.dev, o->nr_macs) != 0,
		"%u NICs", o->nr_macs);
}

static void run(const struct options *o)
{
	static struct nic n;
	bool found = !e1000_find(&n.dev, 0);

	verdict("found", found, "slot %u mmio 0x%llx io 0x%x",
		PCI_SLOT(n.dev.devfn), (unsigned long long)n.dev.mmio,
		n.dev.io);
	if (!found)
		return;
	check_eeprom(&n, o->mac);
	check_io_window(&n, o->qemu);
	check_reset(&n, o->mac);
	check_phy(&n);
	check_link(&n);
	check_interrupts(&n);
	memcpy(n.self.mac, n.dev.mac, ETH_ALEN);
	n.self.ip = o->ip;
	n.peer.ip = o->host;
	e1000_write(&n.dev, E1000_RXCSUM, E1000_RXCSUM_IPOFL |
		    E1000_RXCSUM_TUOFL);
	e1000_rings(&n.dev, RX_RING, TX_RING, E1000_RCTL_EN | E1000_RCTL_BAM |
		    E1000_RCTL_SECRC);
	if (!check_arp(&n))
		return;
	check_icmp(&n);
	if (o->rx)
		check_udp_rx(&n, o->rx, o->qemu);
	if (o->tx)
		check_udp_tx(&n, o->tx);
	if (o->tso)
		check_tso(&n, o->tso);
	check_stats(&n, o->tso);
	check_irq_causes();
}

int guest_main(const struct boot_info *bi)
{
	static struct options opts;

	if (!parse_options(bi->cmdline, &opts)) {
		printf("e1000: bad command line: %s\n", bi->cmdline);
		return GUEST_EXIT_BAD_ARGS;
	}
	irq_init();
	lapic_enable(IRQ_SPURIOUS_VECTOR);
	tsc_khz();
	if (opts.nr_macs)
		check_macs(&opts);
	else
		run(&opts);
	printf("e1000: done, %u ok, %u failed, %u skipped\n", nr_ok,
	       nr_failed, nr_skipped);
	return nr_failed ? 1 : 0;
}
