#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The human monitor, QMP and the VM lifecycle, against live guests:
every HMP command's text, QMP conversations and their shapes, events,
malformed input, stop/cont/-S, pinning the vCPU threads a monitor names,
signals, -daemonize and -pidfile.  Prints "PASS name" / "FAIL name"."""

import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from monclient import HMP, QMP, Closed, Reader, vcpu_threads  # noqa: E402

KVMLITE = os.environ.get("KVMLITE", "./kvmlite")
GUESTS = os.environ.get("GUESTS", "build/guests")
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
TIMEOUT = 20
TMP = tempfile.mkdtemp()


def report(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name)
    if not ok and detail:
        print("  " + str(detail).replace("\n", "\n  "))
    sys.stdout.flush()


def check(name, got, want):
    report(name, got == want, f"got  {got!r}\nwant {want!r}")


class VM:
    """kvmlite with a QMP and a human monitor socket, serial to a file."""

    count = 0

    def __init__(self, *args, guest="echo", append="", qmp=True, hmp=True,
                 serial=True, stdin=subprocess.DEVNULL, prefix=()):
        VM.count += 1
        base = f"{TMP}/vm{VM.count}"
        self.qmp_path = f"{base}.qmp"
        self.hmp_path = f"{base}.hmp"
        self.serial_path = f"{base}.serial"
        cmd = [*prefix, KVMLITE, *DEBUG_EXIT, "-kernel", f"{GUESTS}/{guest}"]
        if append:
            cmd += ["-append", append]
        if serial:
            cmd += ["-serial", f"file:{self.serial_path}"]
        if qmp:
            cmd += ["-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        if hmp:
            cmd += ["-monitor", f"unix:{self.hmp_path},server,nowait"]
        self.proc = subprocess.Popen(cmd + list(args), stdin=stdin,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

    def qmp(self, **kw):
        return QMP(self.qmp_path, **kw)

    def hmp(self):
        return HMP(self.hmp_path)

    def serial(self):
        try:
            with open(self.serial_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_serial(self, pattern, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.serial()):
                return True
            time.sleep(0.02)
        return False

    def wait(self, timeout=TIMEOUT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def stderr(self):
        return self.proc.stderr.read().decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def lines(text):
    return text.split("\r\n")


# --- the human monitor -----------------------------------------------------

HELP = [
    "cont|c  -- resume emulation",
    "cpu index -- set the default CPU",
    "help|? [cmd] -- show the help",
    "info [subcommand] -- show various information about the system state",
    "quit|q  -- quit the emulator",
    "stop|s  -- stop emulation",
    "system_powerdown  -- send system power down event (kvmlite has no "
    "ACPI power button yet: only the POWERDOWN event is sent)",
    "system_reset  -- reset the system",
    "",
]

# QEMU 7.2's -M pc shows the same host bridge, in these words.
HOST_BRIDGE = {"irq_pin": 0, "bus": 0, "qdev_id": "", "slot": 0,
               "class_info": {"class": 1536, "desc": "Host bridge"},
               "id": {"device": 4663, "subsystem-vendor": 6900,
                      "vendor": 32902, "subsystem": 4352},
               "function": 0, "regions": []}
HOST_BRIDGE_TEXT = ("  Bus  0, device   0, function 0:\r\n"
                    "    Host bridge: PCI device 8086:1237\r\n"
                    "      PCI subsystem 1af4:1100\r\n"
                    "      id \"\"\r\n")

QTREE_START = [
    "bus: main-system-bus",
    "  type System",
    "  dev: kvm-ioapic, id \"\"",
    "    gpio-in \"\" 24",
    "    gsi_base = 0 (0x0)",
    "    mmio 00000000fec00000/0000000000001000",
    "  dev: isabus-bridge, id \"\"",
    "    bus: isa.0",
    "      type ISA",
    "      dev: isa-debug-exit, id \"\"",
    "        iobase = 244 (0xf4)",
    "        iosize = 4 (0x4)",
    "      dev: i8042, id \"\"",
    "      dev: isa-serial, id \"\"",
    "        index = 0 (0x0)",
    "        iobase = 1016 (0x3f8)",
    "        irq = 4 (0x4)",
]


def test_hmp_texts(vm, h):
    check("hmp_banner", h.banner,
          b"kvmlite 0.1.0 monitor - type 'help' for more information\r\n"
          b"(kvmlite) ")
    check("hmp_help", lines(h.cmd("help")), HELP)
    info = lines(h.cmd("info"))
    report("hmp_info_lists_subcommands",
           "info status  -- show the current VM status (running|paused)"
           in info and "info cpus  -- show infos for each CPU" in info and
           len(info) == 11, info)
    check("hmp_help_one_command", h.cmd("help stop"),
          "stop|s  -- stop emulation\r\n")
    check("hmp_help_info_command", h.cmd("help info cpus"),
          "info cpus  -- show infos for each CPU\r\n")
    check("hmp_info_version", h.cmd("info version"), "0.1.0 (kvmlite)\r\n")
    check("hmp_info_name", h.cmd("info name"), "testvm\r\n")
    check("hmp_info_kvm", h.cmd("info kvm"), "kvm support: enabled\r\n")
    check("hmp_unknown_command", h.cmd("bogus"),
          "unknown command: 'bogus'\r\n")
    check("hmp_unknown_info", h.cmd("info bogus"),
          "unknown command: 'info bogus'\r\n")
    check("hmp_extraneous_argument", h.cmd("stop now"),
          "stop|s: extraneous characters at the end of line\r\n"
          "Try \"help stop\" for more information\r\n")
    check("hmp_extraneous_info_argument", h.cmd("info status x"),
          "status: extraneous characters at the end of line\r\n"
          "Try \"help info status\" for more information\r\n")
    check("hmp_empty_line", h.cmd(""), "")
    check("hmp_info_block_empty", h.cmd("info block"), "")
    check("hmp_info_network_empty", h.cmd("info network"), "")
    check("hmp_info_pci_host_bridge", h.cmd("info pci"), HOST_BRIDGE_TEXT)
    qtree = lines(h.cmd("info qtree"))
    check("hmp_info_qtree", qtree[:len(QTREE_START)], QTREE_START)


def test_hmp_cpus(vm, h):
    threads = vcpu_threads(vm.proc.pid)
    want = "".join(f"{'*' if i == 0 else ' '} CPU #{i}: thread_id={t}\r\n"
                   for i, t in sorted(threads.items()))
    check("hmp_info_cpus_are_the_vcpu_threads", h.cmd("info cpus"), want)
    check("hmp_cpu_sets_current", h.cmd("cpu 1"), "")
    report("hmp_cpu_moves_star",
           h.cmd("info cpus").startswith("  CPU #0") and
           f"* CPU #1: thread_id={threads[1]}" in h.cmd("info cpus"))
    check("hmp_cpu_invalid_index", h.cmd("cpu 7"), "invalid CPU index\r\n")
    check("hmp_cpu_missing_index", h.cmd("cpu"),
          "unexpected end of expression\r\n"
          "Try \"help cpu\" for more information\r\n")
    check("hmp_cpu_bad_index", h.cmd("cpu x"),
          "invalid char 'x' in expression\r\n"
          "Try \"help cpu\" for more information\r\n")
    h.cmd("cpu 0")


REGS = re.compile(r"\r\nCPU#(\d)\r\n(RAX|EAX)=[0-9a-f]+ .*"
                  r"(RIP|EIP)=[0-9a-f]+ (RFL|EFL)=[0-9a-f]{8} \[[-A-Z]{7}\] "
                  r"CPL=\d II=\d A20=1 SMM=\d HLT=\d\r\n"
                  r"ES =.*\r\nCS =.*\r\nSS =.*\r\nDS =.*\r\nFS =.*\r\n"
                  r"GS =.*\r\nLDT=.*\r\nTR =.*\r\nGDT=     .*\r\n"
                  r"IDT=     .*\r\nCR0=.*\r\nDR0=.*\r\nDR6=.*\r\n"
                  r"EFER=[0-9a-f]{16}\r\nFCW=.*\r\n(FPR.*\r\n){4}"
                  r"(XMM.*\r\n){4,8}$", re.S)


def test_hmp_registers(vm, h):
    """Read while the guest spins: the vCPU must be got out of the guest."""
    out = h.cmd("info registers")
    m = REGS.match("\r\n" + out.lstrip("\r\n"))
    report("hmp_info_registers_while_running", m and m.group(1) == "0" and
           "CS =0008 0000000000000000 ffffffff 00a09b00 DPL=0 CS64 [-RA]"
           in out, out)
    out = h.cmd("info registers -a")
    report("hmp_info_registers_all",
           out.count("\r\nCPU#") == 2 and "\r\nCPU#1\r\n" in out and
           out.count("EFER=") == 2, out[:300])
    check("hmp_info_registers_unknown_cpu", h.cmd("info registers 5"),
          "CPU#5 not available\r\n")
    check("hmp_info_registers_bad_argument", h.cmd("info registers foo"),
          "invalid char 'f' in expression\r\n"
          "Try \"help info registers\" for more information\r\n")


def test_hmp_stop_cont(vm, h):
    check("hmp_info_status_running", h.cmd("info status"),
          "VM status: running\r\n")
    check("hmp_stop_is_silent", h.cmd("stop"), "")
    check("hmp_info_status_paused", h.cmd("info status"),
          "VM status: paused\r\n")
    check("hmp_cont_is_silent", h.cmd("c"), "")
    check("hmp_info_status_running_again", h.cmd("info status"),
          "VM status: running\r\n")
    check("hmp_system_powerdown_is_silent", h.cmd("system_powerdown"), "")


def test_hmp():
    vm = VM("-smp", "2", "-name", "testvm", guest="spin")
    try:
        h = vm.hmp()
        test_hmp_texts(vm, h)
        test_hmp_cpus(vm, h)
        test_hmp_registers(vm, h)
        test_hmp_stop_cont(vm, h)
        report("hmp_quit_closes_connection", h.quit())
        status = vm.wait()
        report("hmp_quit_exits_0", status == 0, f"status {status}")
    except (OSError, TimeoutError, Closed) as e:
        report("hmp_session", False, repr(e))
    vm.kill()


def test_hmp_system_reset():
    vm = VM(qmp=False)
    try:
        vm.wait_serial(r"echo: ready")
        h = vm.hmp()
        out = h.cmd("system_reset")
        report("hmp_system_reset_reboots", out == "" and
               vm.wait_serial(r"echo: ready\n(.|\n)*echo: ready"),
               f"{out!r} {vm.serial()!r}")
        h.quit()
    except (OSError, TimeoutError, Closed) as e:
        report("hmp_system_reset_reboots", False, repr(e))
    vm.kill()


# --- QMP -------------------------------------------------------------------

def test_qmp_negotiation(vm):
    q = vm.qmp(negotiate=False)
    g = q.greeting
    report("qmp_greeting", list(g) == ["QMP"] and
           list(g["QMP"]) == ["version", "capabilities"] and
           g["QMP"]["capabilities"] == ["oob"] and
           g["QMP"]["version"] == {"qemu": {"micro": 0, "minor": 1,
                                            "major": 0},
                                   "package": " (kvmlite)"}, g)
    check("qmp_command_before_negotiation", q.cmd("query-status"),
          {"error": {"class": "CommandNotFound", "desc":
                     "Expecting capabilities negotiation with "
                     "'qmp_capabilities'"}})
    check("qmp_capabilities", q.cmd("qmp_capabilities"), {"return": {}})
    check("qmp_capabilities_twice", q.cmd("qmp_capabilities"),
          {"error": {"class": "CommandNotFound", "desc":
                     "Capabilities negotiation is already complete, "
                     "command ignored"}})
    q.close()
    q = vm.qmp(negotiate=False)
    check("qmp_capabilities_oob", q.cmd("qmp_capabilities",
                                        {"enable": ["oob"]}), {"return": {}})
    q.close()


def test_qmp_shapes(vm, q):
    check("qmp_query_status", q.cmd("query-status"),
          {"return": {"status": "running", "singlestep": False,
                      "running": True}})
    check("qmp_query_version", q.cmd("query-version"),
          {"return": {"qemu": {"micro": 0, "minor": 1, "major": 0},
                      "package": " (kvmlite)"}})
    check("qmp_query_name", q.cmd("query-name"),
          {"return": {"name": "testvm"}})
    check("qmp_query_kvm", q.cmd("query-kvm"),
          {"return": {"enabled": True, "present": True}})
    check("qmp_query_block_empty", q.cmd("query-block"), {"return": []})
    check("qmp_query_pci_host_bridge", q.cmd("query-pci"),
          {"return": [{"bus": 0, "devices": [HOST_BRIDGE]}]})
    names = {c["name"] for c in q.cmd("query-commands")["return"]}
    report("qmp_query_commands", {
        "qmp_capabilities", "query-version", "query-name", "query-status",
        "query-cpus-fast", "query-block", "query-pci", "stop", "cont",
        "system_reset", "system_powerdown", "quit",
        "human-monitor-command"} <= names, names)


def test_qmp_cpus(vm, q):
    """-smp 4 with 2 dies: die-id appears, as in QEMU."""
    threads = vcpu_threads(vm.proc.pid)
    cpus = q.cmd("query-cpus-fast")["return"]
    want = [{"thread-id": threads.get(i),
             "props": {"core-id": i % 2, "thread-id": 0, "die-id": i // 2,
                       "socket-id": 0},
             "qom-path": f"/machine/unattached/device[{i}]",
             "cpu-index": i, "target": "x86_64"} for i in range(4)]
    check("qmp_query_cpus_fast", cpus, want)
    report("qmp_query_cpus_fast_member_order",
           all(list(c) == ["thread-id", "props", "qom-path", "cpu-index",
                           "target"] for c in cpus), cpus)


def test_qmp_ids(q):
    for name, ident in (("int", 1), ("string", "abc"), ("array", [1, {}]),
                        ("object", {"a": None})):
        r = q.cmd("query-name", id=ident)
        report(f"qmp_id_echoed_{name}", r.get("id") == ident and
               list(r) == ["return", "id"], r)
    q.send_raw('{"execute": "nonesuch", "id": 7}\n')
    line = q.reader.until(rb"\r\n")
    check("qmp_unknown_command_id_first", line,
          b'{"id": 7, "error": {"class": "CommandNotFound", '
          b'"desc": "The command nonesuch has not been found"}}\r\n')


def generic(desc):
    return {"error": {"class": "GenericError", "desc": desc}}


def raw(q, text):
    q.send_raw(text)
    return q.reply()


def test_qmp_malformed(q):
    check("qmp_garbage", raw(q, "garbage\n"),
          generic("JSON parse error, invalid keyword 'garbage'"))
    check("qmp_not_an_object", raw(q, "[1, 2]"),
          generic("QMP input must be a JSON object"))
    check("qmp_missing_value", raw(q, '{"a":}'),
          generic("JSON parse error, expecting value"))
    check("qmp_stray_closer", raw(q, "}"),
          generic("JSON parse error, expecting value"))
    check("qmp_unexpected_member", raw(q, '{"foo": 1}'),
          generic("QMP input member 'foo' is unexpected"))
    check("qmp_execute_not_string", raw(q, '{"execute": 1}'),
          generic("QMP input member 'execute' must be a string"))
    check("qmp_arguments_not_object",
          raw(q, '{"execute": "stop", "arguments": []}'),
          generic("QMP input member 'arguments' must be an object"))
    check("qmp_lacks_execute", raw(q, '{"arguments": {}}'),
          generic("QMP input lacks member 'execute'"))
    check("qmp_unexpected_argument",
          q.cmd("query-status", {"x": 1}),
          generic("Parameter 'x' is unexpected"))
    check("qmp_missing_argument", q.cmd("human-monitor-command"),
          generic("Parameter 'command-line' is missing"))
    check("qmp_argument_type",
          q.cmd("human-monitor-command", {"command-line": 3}),
          generic("Invalid parameter type for 'command-line', "
                  "expected: string"))
    check("qmp_deep_nesting", raw(q, "[" * 5000 + "]" * 5000),
          generic("JSON nesting depth limit exceeded"))
    check("qmp_oversized", raw(q, '{"execute": "' + "x" * (2 << 20) + '"}'),
          generic("JSON token size limit exceeded"))
    q.send_raw('{"execute":')
    q.send_raw('"query-name"} {"execute": "query-kvm"}')
    check("qmp_split_and_joined_input", [q.reply(), q.reply()],
          [{"return": {"name": "testvm"}},
           {"return": {"enabled": True, "present": True}}])
    check("qmp_connection_survives_bad_input", q.cmd("query-name"),
          {"return": {"name": "testvm"}})


def test_qmp_hmp_passthrough(vm, q):
    threads = vcpu_threads(vm.proc.pid)
    want = "".join(f"{'*' if i == 1 else ' '} CPU #{i}: thread_id={t}\r\n"
                   for i, t in sorted(threads.items()))
    check("qmp_human_monitor_command", q.hmp("info cpus", **{"cpu-index": 1}),
          {"return": want})
    check("qmp_human_monitor_command_no_output", q.hmp("cpu 1"),
          {"return": ""})
    check("qmp_human_monitor_command_error", q.hmp("bogus"),
          {"return": "unknown command: 'bogus'\r\n"})
    check("qmp_human_monitor_command_bad_cpu",
          q.hmp("info status", **{"cpu-index": 9}),
          generic("Parameter 'cpu-index' expects a CPU number"))


def test_qmp_events(vm, q):
    other = vm.qmp()
    r = q.cmd("stop")
    report("qmp_stop_event_before_return",
           r == {"return": {}} and len(q.events) == 1 and
           q.events[0]["event"] == "STOP" and
           set(q.events[0]["timestamp"]) == {"seconds", "microseconds"} and
           list(q.events[0]) == ["timestamp", "event"], q.events)
    q.events.clear()
    ev = other.event("STOP")
    report("qmp_events_reach_every_client", ev["event"] == "STOP", ev)
    check("qmp_status_paused", q.cmd("query-status"),
          {"return": {"status": "paused", "singlestep": False,
                      "running": False}})
    r = q.cmd("stop")
    report("qmp_stop_when_stopped_is_silent",
           r == {"return": {}} and not q.events, q.events)
    r = q.cmd("cont")
    report("qmp_cont_resume_event", r == {"return": {}} and
           [e["event"] for e in q.events] == ["RESUME"], q.events)
    q.events.clear()
    r = q.cmd("system_reset")
    ev = q.events.pop(0) if q.events else {}
    report("qmp_system_reset_event",
           r == {"return": {}} and ev.get("event") == "RESET" and
           ev.get("data") == {"guest": False,
                              "reason": "host-qmp-system-reset"} and
           list(ev) == ["timestamp", "event", "data"], ev)
    r = q.cmd("system_powerdown")
    ev = q.events.pop(0) if q.events else {}
    report("qmp_system_powerdown_event",
           r == {"return": {}} and ev.get("event") == "POWERDOWN", ev)
    other.close()


def test_qmp_quit(vm, q):
    r = q.cmd("quit")
    ev = q.events[0] if q.events else {}
    report("qmp_quit_shutdown_event",
           r == {"return": {}} and ev.get("event") == "SHUTDOWN" and
           ev.get("data") == {"guest": False, "reason": "host-qmp-quit"}, ev)
    report("qmp_quit_closes_connection", q.reader.at_eof())
    status = vm.wait()
    report("qmp_quit_exits_0", status == 0, f"status {status}")


def test_qmp():
    vm = VM("-smp", "4,dies=2", "-name", "testvm", guest="spin")
    try:
        test_qmp_negotiation(vm)
        q = vm.qmp()
        test_qmp_shapes(vm, q)
        test_qmp_cpus(vm, q)
        test_qmp_ids(q)
        test_qmp_malformed(q)
        test_qmp_hmp_passthrough(vm, q)
        test_qmp_events(vm, q)
        test_qmp_quit(vm, q)
    except (OSError, TimeoutError, Closed, ValueError) as e:
        report("qmp_session", False, repr(e))
    vm.kill()


def test_qmp_no_name():
    vm = VM(hmp=False)
    try:
        check("qmp_query_name_without_name", vm.qmp().cmd("query-name"),
              {"return": {}})
    except (OSError, TimeoutError, Closed) as e:
        report("qmp_query_name_without_name", False, repr(e))
    vm.kill()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_qmp_tcp():
    port = free_port()
    vm = VM("-qmp", f"tcp:127.0.0.1:{port},server=on,wait=off", qmp=False,
            hmp=False)
    try:
        q = QMP(f"tcp:127.0.0.1:{port}")
        check("qmp_over_tcp", q.cmd("query-status")["return"]["status"],
              "running")
        q.close()
    except (OSError, TimeoutError, Closed) as e:
        report("qmp_over_tcp", False, repr(e))
    vm.kill()


def test_qmp_wait_for_client():
    """server without nowait: start-up waits for the first client."""
    path = f"{TMP}/wait.qmp"
    vm = VM("-qmp", f"unix:{path},server", qmp=False, hmp=False)
    time.sleep(0.5)
    report("qmp_server_waits_for_client",
           vm.proc.poll() is None and vm.serial() == "", vm.serial())
    try:
        q = QMP(path)
        ok = vm.wait_serial(r"echo: ready")
        report("qmp_waited_client_is_served", ok and
               q.cmd("query-status")["return"]["running"])
    except (OSError, TimeoutError, Closed) as e:
        report("qmp_waited_client_is_served", False, repr(e))
    vm.kill()
    err = vm.stderr()
    report("qmp_server_wait_message",
           f"kvmlite: -qmp unix:{path},server: info: kvmlite waiting for "
           f"connection on: disconnected:unix:{path},server=on" in err, err)


def test_guest_reset_events():
    vm = VM(guest="fault", append="mode=reset", hmp=False)
    try:
        q = vm.qmp()
        ev = q.event("RESET")
        check("qmp_guest_reset_event", ev.get("data"),
              {"guest": True, "reason": "guest-reset"})
    except (OSError, TimeoutError, Closed) as e:
        report("qmp_guest_reset_event", False, repr(e))
    vm.kill()
    vm = VM("-no-reboot", "-S", guest="fault", append="mode=reset",
            hmp=False)
    try:
        q = vm.qmp()
        q.cmd("cont")
        ev = q.event("SHUTDOWN")
        status = vm.wait()
        report("qmp_no_reboot_shutdown_event",
               ev.get("data") == {"guest": True, "reason": "guest-reset"}
               and status == 0, f"{ev} status {status}")
    except (OSError, TimeoutError, Closed) as e:
        report("qmp_no_reboot_shutdown_event", False, repr(e))
    vm.kill()


def test_sigterm():
    vm = VM(hmp=False)
    try:
        q = vm.qmp()
        vm.wait_serial(r"echo: ready")
        vm.proc.send_signal(signal.SIGTERM)
        ev = q.event("SHUTDOWN")
        status = vm.wait()
        err = vm.stderr()
        report("sigterm_shutdown_event",
               ev.get("data") == {"guest": False, "reason": "host-signal"},
               ev)
        report("sigterm_exits_0_with_message", status == 0 and re.search(
            r"^kvmlite: terminating on signal 15 from pid \d+ \(.*\)$", err,
            re.M), f"status {status}, stderr {err!r}")
    except (OSError, TimeoutError, Closed) as e:
        report("sigterm_shutdown_event", False, repr(e))
    vm.kill()
    for sig in (signal.SIGINT, signal.SIGHUP):
        vm = VM(hmp=False, qmp=False)
        vm.wait_serial(r"echo: ready")
        vm.proc.send_signal(sig)
        status = vm.wait()
        report(f"{signal.Signals(sig).name.lower()}_exits_0", status == 0 and
               f"terminating on signal {int(sig)}" in vm.stderr(),
               f"status {status}")


# --- stop, cont, -S --------------------------------------------------------

def ticks(vm):
    return len(re.findall(r"spin: tick \d+", vm.serial()))


def test_stop_really_stops():
    vm = VM("-smp", "2", guest="spin", append="tick=20", hmp=False)
    try:
        q = vm.qmp()
        vm.wait_serial(r"spin: tick 3\n")
        q.cmd("stop")
        before = ticks(vm)
        time.sleep(0.5)
        after = ticks(vm)
        report("stop_stops_the_guest", after == before,
               f"{before} ticks at stop, {after} half a second later")
        q.cmd("cont")
        ok = vm.wait_serial(rf"spin: tick {after + 3}\n", 5)
        report("cont_resumes_the_guest", ok, vm.serial()[-200:])
    except (OSError, TimeoutError, Closed) as e:
        report("stop_stops_the_guest", False, repr(e))
    vm.kill()


def test_start_paused():
    vm = VM("-S", hmp=False)
    try:
        q = vm.qmp()
        check("S_status_prelaunch", q.cmd("query-status"),
              {"return": {"status": "prelaunch", "singlestep": False,
                          "running": False}})
        check("S_hmp_status", q.hmp("info status"),
              {"return": "VM status: paused (prelaunch)\r\n"})
        time.sleep(0.3)
        report("S_guest_has_not_run", vm.serial() == "", vm.serial())
        threads = vcpu_threads(vm.proc.pid)
        report("S_vcpu_threads_exist_and_named", list(threads) == [0],
               threads)
        q.cmd("stop")
        report("S_stop_keeps_prelaunch", not q.events and
               q.cmd("query-status")["return"]["status"] == "prelaunch",
               q.events)
        r = q.cmd("cont")
        report("S_cont_starts_the_guest", r == {"return": {}} and
               [e["event"] for e in q.events] == ["RESUME"] and
               vm.wait_serial(r"echo: ready"), q.events)
        q.cmd("stop")
        q.cmd("system_reset")
        check("reset_while_stopped_is_prelaunch",
              q.cmd("query-status")["return"]["status"], "prelaunch")
    except (OSError, TimeoutError, Closed) as e:
        report("S_session", False, repr(e))
    vm.kill()


# --- vCPU threads ----------------------------------------------------------

def allowed(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        for line in f:
            if line.startswith("Cpus_allowed_list:"):
                return line.split()[1]
    return None


def test_pin_through_qmp():
    """scripts/pin-vcpus.sh --qmp: thread IDs from query-cpus-fast."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        print("SKIP pin_vcpus_through_qmp (needs two host CPUs)")
        return
    vm = VM("-smp", "2", guest="spin", hmp=False)
    try:
        vm.qmp().close()
        vm.wait_serial(r"spin: 2 CPUs spinning")
        script = subprocess.run(
            ["scripts/pin-vcpus.sh", "--qmp", vm.qmp_path,
             f"{cpus[1]},{cpus[0]}"], capture_output=True, timeout=TIMEOUT)
        threads = vcpu_threads(vm.proc.pid)
        got = (allowed(vm.proc.pid, threads[0]),
               allowed(vm.proc.pid, threads[1]))
        report("pin_vcpus_through_qmp", script.returncode == 0 and
               got == (str(cpus[1]), str(cpus[0])) and
               vm.proc.poll() is None,
               f"{got} {script.stdout!r} {script.stderr!r}")
    except (OSError, TimeoutError, Closed) as e:
        report("pin_vcpus_through_qmp", False, repr(e))
    vm.kill()


# --- -daemonize, -pidfile --------------------------------------------------

def test_daemonize():
    pidfile = f"{TMP}/k.pid"
    qmp = f"{TMP}/daemon.qmp"
    args = [KVMLITE, "-daemonize", "-pidfile", pidfile, "-qmp",
            f"unix:{qmp},server=on,wait=off", *DEBUG_EXIT, "-kernel",
            f"{GUESTS}/spin"]
    start = time.monotonic()
    parent = subprocess.run(args, capture_output=True, timeout=TIMEOUT)
    try:
        with open(pidfile) as f:
            text = f.read()
        pid = int(text)
        alive = os.path.exists(f"/proc/{pid}")
    except (OSError, ValueError):
        text, pid, alive = "", 0, False
    report("daemonize_parent_exits_0", parent.returncode == 0 and
           time.monotonic() - start < 10, parent.stderr)
    report("pidfile_holds_daemon_pid", alive and text == f"{pid}\n", text)
    second = subprocess.run(args, capture_output=True, timeout=TIMEOUT)
    check("pidfile_locked_against_second_instance",
          (second.returncode, second.stderr.decode()),
          (1, "kvmlite: cannot create PID file: Cannot lock pid file: "
              "Resource temporarily unavailable\n"))
    try:
        q = QMP(qmp)
        check("daemon_answers_qmp", q.cmd("query-status")["return"]["status"],
              "running")
        q.cmd("quit")
        deadline = time.monotonic() + TIMEOUT
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.02)
        report("daemon_quits_and_removes_pidfile",
               not os.path.exists(pidfile) and
               not os.path.exists(f"/proc/{pid}"))
    except (OSError, TimeoutError, Closed) as e:
        report("daemon_answers_qmp", False, repr(e))
        if alive:
            os.kill(pid, signal.SIGKILL)


def test_daemonize_failure():
    r = subprocess.run([KVMLITE, "-daemonize", "-kernel", "/nonexistent"],
                       capture_output=True, timeout=TIMEOUT)
    report("daemonize_parent_fails_with_setup", r.returncode == 1 and
           b"/nonexistent" in r.stderr, r)
    r = subprocess.run([KVMLITE, "-pidfile", "/nonexistent/dir/p", "-kernel",
                        f"{GUESTS}/hello"], capture_output=True,
                       timeout=TIMEOUT)
    check("pidfile_bad_directory", (r.returncode, r.stderr.decode()),
          (1, "kvmlite: cannot create PID file: Could not create "
              "'/nonexistent/dir/p': No such file or directory\n"))


# --- monitors on stdio -----------------------------------------------------

def test_ctrl_a_c():
    """-nographic: C-a c moves the terminal to the monitor and back."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([KVMLITE, "-nographic", *DEBUG_EXIT, "-kernel",
                             f"{GUESTS}/echo"], stdin=slave, stdout=slave,
                            stderr=slave, start_new_session=True)
    os.close(slave)
    r = Reader(master_socket(master))
    try:
        r.until(rb"echo: ready")
        os.write(master, b"\x01c")
        banner = r.until(rb"\(kvmlite\) ")
        os.write(master, b"info status\r")
        status = r.until(rb"\(kvmlite\) ")
        os.write(master, b"\x01c")
        back = r.until(rb"\r\n")
        os.write(master, b"hi there\n")
        echo = r.until(rb"echo: hi there")
        os.write(master, b"\x01h")
        help_text = r.until(rb"C-a C-a  sends C-a\r?\n\r")
        report("ctrl_a_c_shows_monitor",
               banner.endswith(b"kvmlite 0.1.0 monitor - type 'help' for "
                               b"more information\r\n(kvmlite) "), banner)
        # A line end the guest sent before the switch may come first.
        report("ctrl_a_c_monitor_answers",
               status.endswith(b"info status\r\nVM status: running\r\n"
                               b"(kvmlite) "), status)
        report("ctrl_a_c_back_to_guest", back == b"\r\n" and
               b"echo: hi there" in echo, (back, echo))
        report("ctrl_a_h_lists_c", re.search(
            rb"C-a c    switch between console and monitor\r?\n\r",
            help_text), help_text)
        os.write(master, b"\x01cquit\r")
        status = proc.wait(TIMEOUT)
        report("ctrl_a_c_quit_exits_0", status == 0, f"status {status}")
    except (OSError, TimeoutError, Closed, subprocess.TimeoutExpired) as e:
        report("ctrl_a_c_session", False, repr(e))
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    os.close(master)


class master_socket:
    """Lets Reader read a pty master as if it were a socket.  The pty
    adds a CR before each LF (ONLCR): "\r\n" arrives as "\r\r\n"."""

    def __init__(self, fd):
        self.fd = fd

    def fileno(self):
        return self.fd

    def recv(self, n):
        try:
            return os.read(self.fd, n).replace(b"\r\r\n", b"\r\n")
        except OSError:
            return b""


def test_monitor_stdio():
    """-monitor stdio on pipes: the serial port goes to null, as QEMU's
    invisible default console."""
    proc = subprocess.Popen([KVMLITE, "-monitor", "stdio", *DEBUG_EXIT,
                             "-kernel", f"{GUESTS}/echo"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        out, _ = proc.communicate(b"info status\nquit\n", TIMEOUT)
        report("monitor_on_stdio", proc.returncode == 0 and
               out.startswith(b"kvmlite 0.1.0 monitor") and
               b"info status\r\nVM status: running\r\n" in out, out)
    except subprocess.TimeoutExpired:
        proc.kill()
        report("monitor_on_stdio", False, "timeout")


# --- drives -----------------------------------------------------------------

BLOCK_NODE = re.compile(r"#block\d+")


def block_image(name, size):
    path = f"{TMP}/{name}"
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def test_info_block():
    """info block and query-block as QEMU 7.2 gives them for the same
    -drive/-device lines (node names are generated, so only their form
    is checked)."""
    img = block_image("d0.img", 1 << 20)
    spare = block_image("spare.img", 2 << 20)
    vm = VM("-drive", f"file={img},format=raw,if=none,id=d0",
            "-device", "virtio-blk-pci,drive=d0",
            "-drive", f"file={spare},format=raw,if=none,readonly=on,"
            "cache=unsafe", guest="spin")
    try:
        text = vm.hmp().cmd("info block")
        check("info_block_text", BLOCK_NODE.sub("#block", text), "\r\n".join([
            f"d0 (#block): {img} (raw)",
            "    Attached to:      "
            "/machine/peripheral-anon/device[1]/virtio-backend",
            "    Cache mode:       writeback",
            "",
            f"none1 (#block): {spare} (raw, read-only)",
            "    Removable device: not locked, tray closed",
            "    Cache mode:       writeback, ignore flushes", ""]))
        blocks = vm.qmp().cmd("query-block")["return"]
        test_query_block(blocks, img, spare)
    except (OSError, TimeoutError, Closed, KeyError, ValueError) as e:
        report("info_block_session", False, repr(e))
    vm.kill()


def inserted(path, size, ro, node, cache):
    return {"iops_rd": 0, "detect_zeroes": "off",
            "image": {"virtual-size": size, "filename": path,
                      "format": "raw", "actual-size": 0,
                      "dirty-flag": False},
            "iops_wr": 0, "ro": ro, "node-name": node,
            "backing_file_depth": 0, "drv": "raw", "iops": 0, "bps_wr": 0,
            "write_threshold": 0, "encrypted": False, "bps": 0,
            "bps_rd": 0, "cache": cache, "file": path}


def test_query_block(blocks, img, spare):
    nodes = [b.get("inserted", {}).get("node-name", "") for b in blocks]
    report("query_block_node_names",
           len(nodes) == 2 and all(re.fullmatch(r"#block\d{3,}", n)
                                   for n in nodes) and
           nodes[0] != nodes[1], nodes)
    if len(nodes) != 2:
        return
    attached = {"io-status": "ok", "device": "d0", "locked": False,
                "removable": False,
                "inserted": inserted(img, 1 << 20, False, nodes[0], {
                    "no-flush": False, "direct": False,
                    "writeback": True}),
                "qdev": "/machine/peripheral-anon/device[1]/virtio-backend",
                "type": "unknown"}
    alone = {"device": "none1", "locked": False, "removable": True,
             "inserted": inserted(spare, 2 << 20, True, nodes[1], {
                 "no-flush": True, "direct": False, "writeback": True}),
             "type": "unknown"}
    check("query_block_attached", blocks[0], attached)
    check("query_block_attached_order", list(blocks[0]), list(attached))
    check("query_block_inserted_order", list(blocks[0]["inserted"]),
          list(attached["inserted"]))
    check("query_block_unattached", blocks[1], alone)
    check("query_block_unattached_order", list(blocks[1]), list(alone))


# --- network ----------------------------------------------------------------

WITH_TAP_FD = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "with_tap_fd.py")


def test_info_network():
    """info network for TAPs by name and by fd=, in a network
    namespace of the test's own, so that no host interface is touched."""
    if os.geteuid() or not shutil.which("ip"):
        print("SKIP info_network (needs root and ip)")
        return
    ns = f"kvmlmon{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", ns]).returncode:
        report("info_network_netns", False, "ip netns add failed")
        return
    prefix = ["ip", "netns", "exec", ns, sys.executable, WITH_TAP_FD,
              "kmfd0", "9"]
    vm = VM("-netdev", "tap,id=t0,ifname=kmt0,script=no,downscript=no",
            "-device", "e1000,netdev=t0,id=nic0",
            "-netdev", "tap,id=t1,fd=9", "-device", "e1000,netdev=t1",
            "-nic", "tap,script=no,downscript=no",
            guest="spin", prefix=prefix)
    try:
        check("info_network_text", vm.hmp().cmd("info network"),
              "\r\n".join([
                  "e1000.0: index=0,type=nic,model=e1000,"
                  "macaddr=52:54:00:12:34:58",
                  " \\ #net2: index=0,type=tap,ifname=tap0,script=no,"
                  "downscript=no",
                  "nic0: index=0,type=nic,model=e1000,"
                  "macaddr=52:54:00:12:34:56",
                  " \\ t0: index=0,type=tap,ifname=kmt0,script=no,"
                  "downscript=no",
                  "e1000.2: index=0,type=nic,model=e1000,"
                  "macaddr=52:54:00:12:34:57",
                  " \\ t1: index=0,type=tap,fd=9", ""]))
    except (OSError, TimeoutError, Closed) as e:
        report("info_network_session", False, repr(e))
    vm.kill()
    subprocess.run(["ip", "netns", "del", ns])


def main():
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP monitor tests (no /dev/kvm)")
        return
    try:
        test_hmp()
        test_hmp_system_reset()
        test_qmp()
        test_qmp_no_name()
        test_qmp_tcp()
        test_qmp_wait_for_client()
        test_guest_reset_events()
        test_sigterm()
        test_stop_really_stops()
        test_start_paused()
        test_pin_through_qmp()
        test_info_block()
        test_info_network()
        test_daemonize()
        test_daemonize_failure()
        test_ctrl_a_c()
        test_monitor_stdio()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
