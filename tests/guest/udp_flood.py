# SPDX-License-Identifier: MIT
"""UDP datagrams to a guest as fast as the host takes them, for the e1000
receive benchmarks: usage LOG ADDR PORT SIZE.  Starts once LOG (the
guest's serial output) says "ready rx", so that the guest's clock starts
with a flood already running, and sends until killed."""
import socket
import sys
import time

log, addr, port, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4])
while "ready rx" not in open(log).read():
    time.sleep(0.01)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data = b"x" * size
while True:
    try:
        s.sendto(data, (addr, port))
    except OSError:
        # The TAP's queue is full: the guest is behind.
        time.sleep(0.0001)
