#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Round-trip latency of monitor requests: N requests one after another,
each timed from the send to the whole answer; prints
"NAME median_ms p99_ms max_ms" per kind.

The client asks for the same short scheduler slice as kvmlite's I/O
thread, so that what is measured is the monitor's latency rather than
the client's wait for a CPU behind the busy vCPUs.

usage: monitor_latency.py QMP-ADDRESS HMP-ADDRESS N"""

import ctypes
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "guest"))
from monclient import HMP, QMP  # noqa: E402

WARMUP = 20
SYS_SCHED_SETATTR = 314		# x86-64
SLICE_NS = 100000


def short_slice():
    """sched_setattr(2) with SCHED_OTHER and a 100 us slice (Linux 6.12
    and later; ignored before)."""
    attr = struct.pack("=IIQiIQQQ", 48, 0, 0, os.getpriority(
        os.PRIO_PROCESS, 0), 0, SLICE_NS, 0, 0)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall(SYS_SCHED_SETATTR, 0, ctypes.c_char_p(attr), 0)


def percentile(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * p / 100))]


def measure(request, n):
    for _ in range(WARMUP):
        request()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        request()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main():
    qmp_addr, hmp_addr, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    short_slice()
    qmp = QMP(qmp_addr)
    hmp = HMP(hmp_addr)
    kinds = {
        "qmp_query-status": lambda: qmp.cmd("query-status"),
        "hmp_info_cpus": lambda: hmp.cmd("info cpus"),
        "qmp_query-cpus-fast": lambda: qmp.cmd("query-cpus-fast"),
    }
    for name, request in kinds.items():
        s = measure(request, n)
        print(f"{name} {percentile(s, 50):.3f} {percentile(s, 99):.3f} "
              f"{max(s):.3f}")


if __name__ == "__main__":
    main()
