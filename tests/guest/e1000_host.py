#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The host side of the e1000 guest, run in the test's network namespace.

    e1000_host.py SERIAL_LOG GUEST_IP

Counts the UDP datagrams the guest sends to port 5002 (each must carry its
sequence number in its first 4 bytes), captures the TCP segments it sends
to port 5003 and checks their lengths, sequence numbers and IP and TCP
checksums, and, when the guest's serial output says "e1000: ready udp_rx
N", sends it N datagrams to port 5001.

The capture reads each packet's virtio_net_hdr (PACKET_VNET_HDR), so a
TAP with a vnet header that hands the kernel one GSO frame is checked
too: its partial checksum is completed, checked for the whole frame, and
the frame cut into the segments the kernel would send on a wire.  Stops once the guest prints
"e1000: done" (or after a minute) and prints one "host: ..." line per
result.
"""
import re
import select
import socket
import struct
import sys
import time

TX_PORT, RX_PORT, TSO_PORT = 5002, 5001, 5003
UDP_DATA = 200
TSO_SEQ = 0x10000000
TSO_MSS = 1000
ETH_P_IP = 0x0800
DEADLINE_S = 60
SOL_PACKET, PACKET_VNET_HDR = 263, 15
# flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
VNET_HDR = struct.Struct("=BBHHHH")
NEEDS_CSUM = 1
GSO_NONE = 0
TCP_FIN_PSH = 0x09


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return total


def put_csum(frame, field, start, prefix=b""):
    """A complete checksum at field over prefix and frame[start:]."""
    struct.pack_into("!H", frame, field, 0)
    struct.pack_into("!H", frame, field,
                     ~csum(prefix + bytes(frame[start:])) & 0xffff)


def complete_csum(frame, start, offset):
    """What the kernel does for a partial checksum: sums from start on."""
    f = bytearray(frame)
    struct.pack_into("!H", f, start + offset, ~csum(bytes(f[start:])) & 0xffff)
    return bytes(f)


def cut(frame, mss):
    """The kernel's TCP segmentation of a GSO frame, headers renewed."""
    ihl = (frame[14] & 0xf) * 4
    thl = (frame[14 + ihl + 12] >> 4) * 4
    hlen = 14 + ihl + thl
    ip_id = struct.unpack("!H", frame[18:20])[0]
    seq = struct.unpack("!I", frame[14 + ihl + 4:14 + ihl + 8])[0]
    out = []
    for i, off in enumerate(range(hlen, len(frame), mss)):
        f = bytearray(frame[:hlen] + frame[off:off + mss])
        struct.pack_into("!HH", f, 16, len(f) - 14, (ip_id + i) & 0xffff)
        struct.pack_into("!I", f, 14 + ihl + 4, seq + off - hlen)
        if off + mss < len(frame):
            f[14 + ihl + 13] &= ~TCP_FIN_PSH
        pseudo = f[26:34] + struct.pack("!BBH", 0, 6, len(f) - 14 - ihl)
        put_csum(f, 14 + ihl + 16, 14 + ihl, bytes(pseudo))
        ip = bytearray(f[14:14 + ihl])
        put_csum(ip, 10, 0)
        out.append(bytes(f[:14] + ip + f[14 + ihl:]))
    return out


def wire_frames(packet, gso):
    """The frames a captured packet stands for, its checksum completed;
    counts GSO frames in gso[0]."""
    flags, gso_type, _, gso_size, start, offset = VNET_HDR.unpack_from(packet)
    frame = packet[VNET_HDR.size:]
    if flags & NEEDS_CSUM:
        frame = complete_csum(frame, start, offset)
    if gso_type == GSO_NONE:
        return [frame]
    gso[0] += 1
    whole = []
    # A wrong seed shows as a bad checksum of the whole frame.
    if not check_segment(frame, whole) or not whole[0]["tcp_ok"]:
        return [frame]
    return cut(frame, gso_size)


def check_segment(frame, segments):
    """Records a TCP segment to TSO_PORT, or returns False if not one."""
    if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return False
    ihl = (frame[14] & 0xf) * 4
    ip = frame[14:14 + ihl]
    tot = struct.unpack("!H", frame[16:18])[0]
    tcp = frame[14 + ihl:14 + tot]
    if struct.unpack("!H", tcp[2:4])[0] != TSO_PORT:
        return False
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
    seq = struct.unpack("!I", tcp[4:8])[0]
    hlen = (tcp[12] >> 4) * 4
    segments.append({
        "seq": seq - TSO_SEQ,
        "len": len(tcp) - hlen,
        "ip_ok": csum(ip) == 0xffff,
        "tcp_ok": csum(pseudo + tcp) == 0xffff,
        "id": struct.unpack("!H", ip[4:6])[0],
        "flags": tcp[13],
        "data_ok": all(tcp[hlen + i] == ord("a") + (seq - TSO_SEQ + i) % 26
                       for i in range(len(tcp) - hlen)),
    })
    return True


def report_tso(segments):
    total = sum(s["len"] for s in segments)
    ok = bool(segments)
    expect = 0
    for i, s in enumerate(segments):
        last = i == len(segments) - 1
        ok &= s["seq"] == expect and s["ip_ok"] and s["tcp_ok"]
        ok &= s["data_ok"] and s["id"] == segments[0]["id"] + i
        ok &= s["len"] == TSO_MSS or last
        ok &= bool(s["flags"] & 0x08) == last     # PSH on the last only
        expect += s["len"]
    print(f"host: tso segments {len(segments)} bytes {total} "
          f"{'ok' if ok else 'bad'}")


def send_burst(guest, count):
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(count):
        out.sendto(struct.pack("!I", i) + b"h" * (UDP_DATA - 4),
                   (guest, RX_PORT))
    out.close()


def main():
    log, guest = sys.argv[1], sys.argv[2]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    udp.bind(("0.0.0.0", TX_PORT))
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                        socket.htons(ETH_P_IP))
    raw.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    received, segments, sent_burst, gso = set(), [], False, [0]
    print("host: listening", flush=True)
    deadline = time.time() + DEADLINE_S
    while time.time() < deadline:
        ready, _, _ = select.select([udp, raw], [], [], 0.05)
        if udp in ready:
            data = udp.recv(2048)
            if len(data) == UDP_DATA:
                received.add(struct.unpack("!I", data[:4])[0])
        if raw in ready:
            packet, addr = raw.recvfrom(70000)
            if addr[2] != socket.PACKET_OUTGOING:
                for frame in wire_frames(packet, gso):
                    check_segment(frame, segments)
        with open(log, errors="replace") as f:
            text = f.read()
        m = re.search(r"e1000: ready udp_rx (\d+)", text)
        if m and not sent_burst:
            send_burst(guest, int(m.group(1)))
            sent_burst = True
        if "e1000: done" in text:
            break
    udp.setblocking(False)
    raw.setblocking(False)
    try:
        while True:
            data = udp.recv(2048)
            if len(data) == UDP_DATA:
                received.add(struct.unpack("!I", data[:4])[0])
    except BlockingIOError:
        pass
    try:
        while True:
            packet, addr = raw.recvfrom(70000)
            if addr[2] != socket.PACKET_OUTGOING:
                for frame in wire_frames(packet, gso):
                    check_segment(frame, segments)
    except BlockingIOError:
        pass
    print(f"host: udp_tx received {len(received)}")
    report_tso(segments)
    print(f"host: gso frames {gso[0]}")


if __name__ == "__main__":
    main()
