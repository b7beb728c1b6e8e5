# SPDX-License-Identifier: MIT
"""Minimal QMP and human-monitor clients for kvmlite (and QEMU), used by
the monitor tests, scripts/bench/monitor.sh and scripts/pin-vcpus.sh.

An address is a unix socket path or "tcp:HOST:PORT"."""

import json
import os
import re
import select
import socket
import time

TIMEOUT = 20


def connect(address, timeout=TIMEOUT):
    """Connects, retrying while the server is still coming up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if address.startswith("tcp:"):
                host, port = address[4:].rsplit(":", 1)
                sock = socket.create_connection((host, int(port)))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            else:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(address)
            return sock
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Closed(Exception):
    """The monitor closed the connection."""


class Reader:
    """Buffered reads from a socket, with deadlines."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.sock], [], [], left)[0]:
            raise TimeoutError("no answer from the monitor")
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buf += data

    def until(self, pattern, timeout=TIMEOUT):
        """Returns everything up to and including the regex @pattern."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.buf)
            if m:
                out, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return out
            self.fill(deadline)

    def at_eof(self, timeout=TIMEOUT):
        """True if the peer closes the connection within @timeout."""
        try:
            while True:
                self.fill(time.monotonic() + timeout)
        except Closed:
            return True
        except TimeoutError:
            return False


class QMP:
    """A QMP connection: read_greeting(), then cmd() for each command.
    Events that arrive meanwhile are kept in self.events."""

    def __init__(self, address, negotiate=True, timeout=TIMEOUT):
        self.sock = connect(address, timeout)
        self.reader = Reader(self.sock)
        self.events = []
        self.greeting = self.read()
        if negotiate:
            self.cmd("qmp_capabilities")

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def read(self, timeout=TIMEOUT):
        """The next message, whatever it is."""
        line = self.reader.until(rb"\r\n", timeout)
        return json.loads(line)

    def reply(self, timeout=TIMEOUT):
        """The next answer; events before it go to self.events."""
        while True:
            msg = self.read(timeout)
            if "event" in msg:
                self.events.append(msg)
            else:
                return msg

    def cmd(self, name, arguments=None, **extra):
        req = {"execute": name, **extra}
        if arguments is not None:
            req["arguments"] = arguments
        self.send_raw(json.dumps(req) + "\n")
        return self.reply()

    def event(self, name, timeout=TIMEOUT):
        """Waits for the event @name (keeping others in self.events)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["event"] == name:
                    return self.events.pop(i)
            self.events.append(self.read(max(0, deadline -
                                             time.monotonic())))

    def hmp(self, line, **arguments):
        return self.cmd("human-monitor-command",
                        {"command-line": line, **arguments})


class HMP:
    """A human monitor connection: cmd() sends a line and returns what
    the monitor printed in answer (without the echo and the prompt)."""

    PROMPT = rb"\(kvmlite\) $"

    def __init__(self, address, timeout=TIMEOUT, prompt=None):
        self.prompt = prompt or self.PROMPT
        self.sock = connect(address, timeout)
        self.reader = Reader(self.sock)
        self.banner = self.reader.until(self.prompt, timeout)

    def close(self):
        self.sock.close()

    def cmd(self, line, timeout=TIMEOUT):
        self.sock.sendall(line.encode() + b"\n")
        out = self.reader.until(self.prompt, timeout)
        # The echo of the line comes first, then its output.
        echo, _, rest = out.partition(b"\r\n")
        return re.sub(self.prompt, b"", rest).decode()

    def quit(self):
        """Sends quit; True if the monitor then closes the connection."""
        self.sock.sendall(b"quit\n")
        return self.reader.at_eof()


def vcpu_threads(pid):
    """{vCPU index: thread ID} from the names of /proc/PID/task."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                m = re.fullmatch(r"CPU (\d+)/KVM", f.read().strip())
        except OSError:
            continue
        if m:
            out[int(m.group(1))] = int(tid)
    return out
