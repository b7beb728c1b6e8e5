#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Serial console tests that need a live conversation with the guest:
host input through the I/O thread, the -serial backends, the -nographic
escapes and the terminal state.  Prints "PASS name" / "FAIL name"."""

import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import time

KVMLITE = os.environ.get("KVMLITE", "./kvmlite")
GUESTS = os.environ.get("GUESTS", "build/guests")
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
TIMEOUT = 20


def report(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name)
    if not ok and detail:
        print("  " + detail.replace("\n", "\n  "))
    sys.stdout.flush()


def read_until(fd, pattern, timeout=TIMEOUT):
    """Reads from fd until pattern (bytes regex) matches what was read."""
    data = b""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, data):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def wait(proc):
    try:
        return proc.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


QEMU = ["qemu-system-x86_64", "-M", "microvm", "-enable-kvm", "-cpu", "host",
        "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio"]


def echo_over_pipes(name, extra, append, vmm=(KVMLITE,)):
    proc = subprocess.Popen([*vmm, *DEBUG_EXIT, *extra, "-kernel",
                             f"{GUESTS}/echo", "-append", append],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    out = read_until(proc.stdout.fileno(), rb"echo: ready\r?\n")
    proc.stdin.write(b"abc\nhello world\nquit\n")
    proc.stdin.flush()
    out += read_until(proc.stdout.fileno(), rb"echo: hello world\r?\n")
    status = wait(proc)
    ok = status == 1 and b"echo: abc" in out and b"echo: hello world" in out
    report(name, ok, f"status {status}, output {out!r}, "
           f"stderr {proc.stderr.read()!r}")
    return proc


def test_echo():
    echo_over_pipes("stdin_reaches_guest_polled", [], "")
    echo_over_pipes("stdin_reaches_guest_by_irq4", [], "irq")
    test_com2()
    if shutil.which(QEMU[0]):
        echo_over_pipes("qemu_stdin_reaches_guest", [], "", QEMU)
        echo_over_pipes("qemu_stdin_reaches_guest_by_irq", [], "irq", QEMU)
    else:
        print("SKIP qemu_stdin_reaches_guest (qemu-system-x86_64 missing)")


def wait_for_file(path, text, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and text in open(path, "rb").read():
            return True
        time.sleep(0.01)
    return False


def test_com2():
    """Input on COM2 (IRQ 3); the guest answers on COM1, here a file."""
    with tempfile.TemporaryDirectory() as tmp:
        com1 = f"{tmp}/com1"
        proc = subprocess.Popen([KVMLITE, *DEBUG_EXIT, "-serial",
                                 f"file:{com1}", "-serial", "stdio",
                                 "-kernel", f"{GUESTS}/echo", "-append",
                                 "port=0x2f8 irq"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        wait_for_file(com1, b"echo: ready")
        proc.stdin.write(b"on com2\nquit\n")
        proc.stdin.flush()
        status = wait(proc)
        out = open(com1, "rb").read()
        report("com2_second_serial_irq3", status == 1 and
               b"echo: on com2" in out, f"status {status}, COM1 {out!r}")


def test_file_backend():
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/console.log"
        status = subprocess.run([KVMLITE, *DEBUG_EXIT, "-serial",
                                 f"file:{path}", "-kernel",
                                 f"{GUESTS}/hello", "-append", "to a file"],
                                stdin=subprocess.DEVNULL,
                                capture_output=True,
                                timeout=TIMEOUT).returncode
        text = open(path, "rb").read()
        report("serial_file_backend", status == 1 and
               b"cmdline: to a file" in text and b"hello: done" in text,
               f"status {status}, file {text!r}")


def start_on_pty(args):
    """Runs kvmlite with a pty as its terminal; returns (proc, master)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([KVMLITE, *args], stdin=slave, stdout=slave,
                            stderr=slave, start_new_session=True)
    os.close(slave)
    return proc, master


def pty_modes(master):
    attrs = termios.tcgetattr(master)
    return attrs[3] & (termios.ICANON | termios.ECHO | termios.ISIG)


def test_nographic():
    args = ["-nographic", *DEBUG_EXIT, "-kernel", f"{GUESTS}/echo"]
    proc, master = start_on_pty(args)
    out = read_until(master, rb"echo: ready")
    raw = pty_modes(master)
    os.write(master, b"\x01h")
    out += read_until(master, rb"C-a x +exit emulator")
    os.write(master, b"\x01\x01z\n")
    out += read_until(master, rb"echo: \x01z")
    os.write(master, b"\x01x")
    out += read_until(master, rb"Terminated")
    status = wait(proc)
    after = pty_modes(master)
    os.close(master)
    report("nographic_raw_terminal", raw == 0,
           f"ICANON/ECHO/ISIG still set while running: {raw:#x}")
    report("ctrl_a_h_prints_help", b"C-a h    print this help" in out and
           b"C-a x    exit emulator" in out, f"output {out!r}")
    report("ctrl_a_ctrl_a_sends_ctrl_a", b"echo: \x01z" in out,
           f"output {out!r}")
    report("ctrl_a_x_exits_0", status == 0 and b"kvmlite: Terminated" in out,
           f"status {status}, output {out!r}")
    report("terminal_restored_after_ctrl_a_x",
           after == (termios.ICANON | termios.ECHO | termios.ISIG),
           f"modes after exit {after:#x}")


def test_signal_restores_terminal():
    """SIGTERM ends kvmlite cleanly, as QEMU: status 0, a message naming
    the signal and its sender, the terminal back in cooked mode."""
    proc, master = start_on_pty(["-nographic", *DEBUG_EXIT, "-kernel",
                                 f"{GUESTS}/echo"])
    read_until(master, rb"echo: ready")
    proc.send_signal(signal.SIGTERM)
    out = read_until(master, rb"terminating on signal 15 from pid \d+ \(")
    status = wait(proc)
    after = pty_modes(master)
    os.close(master)
    # As QEMU: "terminating on signal 15 from pid N (...)", status 0.
    report("terminal_restored_after_sigterm",
           status == 0 and b"kvmlite: terminating on signal 15" in out and
           after == (termios.ICANON | termios.ECHO | termios.ISIG),
           f"status {status}, modes {after:#x}, output {out!r}")


def test_thread_names():
    proc = subprocess.Popen([KVMLITE, "-smp", "2", *DEBUG_EXIT, "-kernel",
                             f"{GUESTS}/echo"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    read_until(proc.stdout.fileno(), rb"echo: ready")
    names = sorted(allowed_cpus(proc.pid, ("CPU 0/KVM", "CPU 1/KVM")))
    proc.stdin.write(b"quit\n")
    proc.stdin.flush()
    wait(proc)
    report("vcpu_threads_named_like_qemu",
           "CPU 0/KVM" in names and "CPU 1/KVM" in names, f"{names}")


def allowed_cpus(pid, want=("CPU 0/KVM", "CPU 1/KVM", "io")):
    """Each thread's name and its Cpus_allowed_list, once @want all exist
    (the guest may print before the last vCPU thread has started)."""
    deadline = time.monotonic() + 5
    while True:
        out = thread_cpus(pid)
        if all(n in out for n in want) or time.monotonic() > deadline:
            return out
        time.sleep(0.01)


def thread_cpus(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            name = f.read().strip()
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith("Cpus_allowed_list:"):
                    out[name] = line.split()[1]
    return out


def test_pinning():
    """-pin-vcpus 1,0 and -pin-io 1: the affinity each thread really has."""
    if len(os.sched_getaffinity(0)) < 2:
        print("SKIP vcpu_and_io_threads_pinned (needs two host CPUs)")
        return
    first, second = sorted(os.sched_getaffinity(0))[:2]
    proc = subprocess.Popen([KVMLITE, "-smp", "2", "-pin-vcpus",
                             f"{second},{first}", "-pin-io", str(second),
                             *DEBUG_EXIT, "-kernel", f"{GUESTS}/echo"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    read_until(proc.stdout.fileno(), rb"echo: ready")
    cpus = allowed_cpus(proc.pid)
    proc.stdin.write(b"quit\n")
    proc.stdin.flush()
    wait(proc)
    report("vcpu_and_io_threads_pinned",
           cpus.get("CPU 0/KVM") == str(second) and
           cpus.get("CPU 1/KVM") == str(first) and
           cpus.get("io") == str(second), f"{cpus}")


def test_pin_script():
    """scripts/pin-vcpus.sh pins a running kvmlite's vCPUs by thread name."""
    if len(os.sched_getaffinity(0)) < 2:
        print("SKIP pin_script_pins_running_vcpus (needs two host CPUs)")
        return
    first, second = sorted(os.sched_getaffinity(0))[:2]
    proc = subprocess.Popen([KVMLITE, "-smp", "2", *DEBUG_EXIT, "-kernel",
                             f"{GUESTS}/echo"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    read_until(proc.stdout.fileno(), rb"echo: ready")
    script = subprocess.run(["scripts/pin-vcpus.sh", str(proc.pid),
                             f"{second},{first}"], capture_output=True,
                            timeout=TIMEOUT)
    cpus = allowed_cpus(proc.pid)
    proc.stdin.write(b"quit\n")
    proc.stdin.flush()
    wait(proc)
    report("pin_script_pins_running_vcpus", script.returncode == 0 and
           cpus.get("CPU 0/KVM") == str(second) and
           cpus.get("CPU 1/KVM") == str(first),
           f"{cpus} {script.stderr!r}")


def test_pty_backend():
    proc = subprocess.Popen([KVMLITE, "-serial", "pty", *DEBUG_EXIT,
                             "-kernel", f"{GUESTS}/echo"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    line = read_until(proc.stdout.fileno(), rb"\(label serial0\)\r?\n", 10)
    m = re.search(rb"char device redirected to (/dev/pts/\d+) "
                  rb"\(label serial0\)", line)
    out = b""
    if m:
        fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
        attrs = termios.tcgetattr(fd)
        attrs[3] &= ~(termios.ICANON | termios.ECHO)
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        out = read_until(fd, rb"echo: ready")
        os.write(fd, b"via pty\nquit\n")
        out += read_until(fd, rb"echo: via pty")
        os.close(fd)
    status = wait(proc)
    report("serial_pty_backend", m is not None and status == 1 and
           b"echo: via pty" in out, f"status {status}, {line!r} {out!r}")


def test_unix_backend():
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/serial.sock"
        proc = subprocess.Popen([KVMLITE, "-serial",
                                 f"unix:{path},server,nowait", *DEBUG_EXIT,
                                 "-kernel", f"{GUESTS}/echo"],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.01)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        out = b""
        try:
            sock.connect(path)
            # Input sent before the guest set up its UART would be lost.
            out = read_until(sock.fileno(), rb"echo: ready")
            sock.sendall(b"over a socket\nquit\n")
            out += read_until(sock.fileno(), rb"echo: over a socket")
        except OSError as e:
            out = repr(e).encode()
        sock.close()
        status = wait(proc)
        report("serial_unix_socket_backend", status == 1 and
               b"echo: over a socket" in out, f"status {status}, {out!r}")


def main():
    test_echo()
    test_file_backend()
    test_nographic()
    test_signal_restores_terminal()
    test_thread_names()
    test_pinning()
    test_pin_script()
    test_pty_backend()
    test_unix_backend()


if __name__ == "__main__":
    main()
