#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Where a running guest spends its time, by sampling.

Asks kvmlite's human monitor for every vCPU's registers (`info registers
-a`) every INTERVAL seconds for SECONDS, and prints how often each vCPU
was found in each function: kernel addresses are named from a
System.map, user-mode samples are counted as "user".  Each sample takes
the vCPUs out of KVM_RUN for a moment, so keep INTERVAL well above a
millisecond.

Usage: scripts/guest-profile.py MONITOR_SOCKET SYSTEM_MAP [SECONDS [INTERVAL]]
(make test-linux's monitor is build/linux/monitor.sock; the Debian
kernel's map is build/linux/root/boot/System.map-*).
"""
import bisect
import collections
import re
import socket
import sys
import time

PROMPT = b"(kvmlite) "
CPU_RE = re.compile(r"^CPU#(\d+)", re.M)
RIP_RE = re.compile(r"RIP=([0-9a-f]+) .*CPL=(\d)")


def load_map(path):
    addrs, names = [], []
    with open(path) as f:
        for line in f:
            addr, kind, name = line.split()[:3]
            if kind.lower() in "tw":
                addrs.append(int(addr, 16))
                names.append(name)
    order = sorted(range(len(addrs)), key=addrs.__getitem__)
    return [addrs[i] for i in order], [names[i] for i in order]


def symbol(addrs, names, rip):
    i = bisect.bisect_right(addrs, rip) - 1
    return names[i] if i >= 0 else hex(rip)


def command(sock, text):
    sock.sendall(text.encode() + b"\n")
    reply = b""
    while not reply.endswith(PROMPT):
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("guest-profile: the monitor closed")
        reply += chunk
    return reply.decode(errors="replace")


def samples(reply):
    """(cpu, rip, cpl) for each vCPU in an `info registers -a` reply."""
    parts = CPU_RE.split(reply)[1:]
    for cpu, text in zip(parts[::2], parts[1::2]):
        m = RIP_RE.search(text)
        if m:
            yield int(cpu), int(m.group(1), 16), int(m.group(2))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().split("\n\n")[-1])
    sock_path, map_path = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 30
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.2
    addrs, names = load_map(map_path)
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(sock_path)
    command(sock, "")
    counts = collections.defaultdict(collections.Counter)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for cpu, rip, cpl in samples(command(sock, "info registers -a")):
            where = "user" if cpl == 3 else symbol(addrs, names, rip)
            counts[cpu][where] += 1
        time.sleep(interval)
    for cpu in sorted(counts):
        total = sum(counts[cpu].values())
        print(f"CPU {cpu}: {total} samples")
        for where, n in counts[cpu].most_common(15):
            print(f"  {100 * n / total:5.1f}%  {where}")


if __name__ == "__main__":
    main()
