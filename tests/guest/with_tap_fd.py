#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""with_tap_fd.py IFNAME FD COMMAND...: runs COMMAND with the TAP
interface IFNAME (IFF_TAP | IFF_NO_PI) open on file descriptor FD, as a
caller of -netdev tap,fd=FD does."""
import fcntl
import os
import struct
import sys

TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454ca, 0x0002, 0x1000

fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF,
            struct.pack("16sH", sys.argv[1].encode(), IFF_TAP | IFF_NO_PI))
os.dup2(fd, int(sys.argv[2]))
os.execvp(sys.argv[3], sys.argv[3:])
