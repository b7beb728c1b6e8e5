#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The host side of the e1000 guest, run in the test's network namespace.

    e1000_host.py SERIAL_LOG GUEST_IP

Counts the UDP datagrams the guest sends to port 5002 (each must carry its
sequence number in its first 4 bytes), captures the TCP segments it sends
to port 5003 and checks their lengths, sequence numbers and IP and TCP
checksums, and, when the guest's serial output says "e1000: ready udp_rx
N", sends it N datagrams to port 5001.  Stops once the guest prints
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


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return total


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
    received, segments, sent_burst = set(), [], False
    print("host: listening", flush=True)
    deadline = time.time() + DEADLINE_S
    while time.time() < deadline:
        ready, _, _ = select.select([udp, raw], [], [], 0.05)
        if udp in ready:
            data = udp.recv(2048)
            if len(data) == UDP_DATA:
                received.add(struct.unpack("!I", data[:4])[0])
        if raw in ready:
            frame, addr = raw.recvfrom(65536)
            if addr[2] != socket.PACKET_OUTGOING:
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
            frame, addr = raw.recvfrom(65536)
            if addr[2] != socket.PACKET_OUTGOING:
                check_segment(frame, segments)
    except BlockingIOError:
        pass
    print(f"host: udp_tx received {len(received)}")
    report_tso(segments)


if __name__ == "__main__":
    main()
