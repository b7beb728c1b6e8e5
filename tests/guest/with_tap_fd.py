#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""with_tap_fd.py IFNAME FD COMMAND...: runs COMMAND with the TAP
interface IFNAME (IFF_TAP | IFF_NO_PI, and IFF_VNET_HDR if the
environment has VNET_HDR=1) open on file descriptor FD, as a caller of
-netdev tap,fd=FD does."""
import fcntl
import os
import struct
import sys

TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454ca, 0x0002, 0x1000
IFF_VNET_HDR = 0x4000

flags = IFF_TAP | IFF_NO_PI
if os.environ.get("VNET_HDR") == "1":
    flags |= IFF_VNET_HDR

fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF,
            struct.pack("16sH", sys.argv[1].encode(), flags))
os.dup2(fd, int(sys.argv[2]))
os.execvp(sys.argv[3], sys.argv[3:])
