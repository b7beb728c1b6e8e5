#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns the benchmark's raw samples into the report.

Input: a CSV of samples written by scripts/bench/lib.bash, one line per
measurement (or per skipped contender, with an empty value and the reason
in the note):

    scenario,metric,unit,better,contender,run,value,note

Output: a Markdown report (median, min and max per contender, kvmlite's
ratio to each other contender, the project's targets), and an SVG bar
chart of kvmlite's advantage over each contender.  Python's standard
library only.

    report.py SAMPLES.csv --md OUT.md [--svg OUT.svg] [--title T]
"""

import argparse
import csv
import datetime
import math
import os
import platform
import re
import subprocess
import sys
from collections import OrderedDict

SUBJECT = "kvmlite"
EPS = 1e-9	# a ratio exactly at its limit meets it, rounding aside
FIELDS = ["scenario", "metric", "unit", "better", "contender", "run",
          "value", "note"]

# What the README promises, checked against the medians.  Each target:
# (scenario, metric regex (matched at the start), contender prefix, kind,
# limit, text).
#   ratio_le: kvmlite / contender <= limit
#   ratio_ge: kvmlite / contender >= limit
#   overhead_le: (kvmlite - contender) / contender <= limit
#   value_le: kvmlite's own median <= limit
#   metric_ge: kvmlite's median / its median on another metric >= limit;
#     the contender field is then that metric, a re.sub() template of the
#     metric regex (qcow2 against raw on the same row)
TARGETS = [
    ("startup", "exec to", "QEMU", "ratio_le", 0.1,
     "startup ≤ 1/10 of QEMU"),
    ("exits", "", "floor", "overhead_le", 0.1,
     "per-exit overhead over the floor ≤ 10% of the floor's exit"),
    ("blk", "", "QEMU", "ratio_ge", 1.0, "every I/O row ≥ QEMU"),
    ("blk", r"raw, .*: (read|write) 1 MiB", "host", "ratio_ge", 0.8,
     "1 MiB sequential I/O ≥ 80% of the host"),
    ("blk", r"qcow2, (.*): (read|randread) (.*)", r"raw, \1: \2 \3",
     "metric_ge", 0.9, "qcow2 reads ≥ 90% of raw"),
    ("blk", r"qcow2, (.*): write (.*) into new clusters",
     r"raw, \1: write \2", "metric_ge", 0.7,
     "qcow2 writes into new clusters ≥ 70% of raw"),
    ("blk", r"qcow2, (.*): write (.*) into new clusters",
     r"raw, \1: write \2 into a new sparse file", "metric_ge", 0.7,
     "qcow2 writes into new clusters ≥ 70% of raw"),
    ("e1000", "", "QEMU", "ratio_ge", 1.0, "every I/O row ≥ QEMU"),
    ("convert", "", "qemu-img", "ratio_le", 1.0,
     "kvmlite-img convert at least as fast as qemu-img"),
    ("rss", "", "", "value_le", 4.0, "RSS overhead ≤ 4 MiB"),
]


def median(values):
    """The middle value; the mean of the two middle ones for even counts."""
    v = sorted(values)
    n = len(v)
    if not n:
        raise ValueError("median of no values")
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def fmt(x):
    """Three significant digits, no exponent for the sizes seen here."""
    if x == 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    return "%.*f" % (digits, x)


def load(path):
    with open(path, newline="") as f:
        return [row for row in csv.DictReader(f)]


class Metric:
    """One row of a scenario's table: every contender's samples."""

    def __init__(self, scenario, name, unit, better):
        self.scenario, self.name = scenario, name
        self.unit, self.better = unit, better
        self.values = OrderedDict()	# contender -> [float]
        self.notes = OrderedDict()	# contender -> why it has no value

    def stats(self, contender):
        v = self.values.get(contender)
        return (median(v), min(v), max(v), len(v)) if v else None

    def ratio(self, contender):
        """kvmlite's median over @contender's, or None."""
        a, b = self.stats(SUBJECT), self.stats(contender)
        if not a or not b or b[0] == 0:
            return None
        return a[0] / b[0]

    def advantage(self, contender):
        """How many times better kvmlite is (> 1) or worse (< 1)."""
        r = self.ratio(contender)
        if r is None or r == 0:
            return None
        return 1 / r if self.better == "lower" else r


def summarize(rows):
    """scenario -> OrderedDict(metric name -> Metric), in input order."""
    scenarios = OrderedDict()
    for row in rows:
        metrics = scenarios.setdefault(row["scenario"], OrderedDict())
        m = metrics.get(row["metric"])
        if m is None:
            m = metrics[row["metric"]] = Metric(row["scenario"],
                                                row["metric"], row["unit"],
                                                row["better"])
        if row["value"] == "":
            m.notes[row["contender"]] = row["note"]
        else:
            m.values.setdefault(row["contender"], []).append(
                float(row["value"]))
    return scenarios


def contenders(metrics):
    seen = OrderedDict()
    for m in metrics.values():
        for c in list(m.values) + list(m.notes):
            seen[c] = True
    return list(seen)


def cell(m, contender):
    s = m.stats(contender)
    if s:
        med, lo, hi, n = s
        return fmt(med) if n == 1 else "%s (%s–%s)" % (fmt(med), fmt(lo),
                                                       fmt(hi))
    if contender in m.notes:
        return m.notes[contender]
    return ""


def scenario_table(name, metrics):
    who = contenders(metrics)
    others = [c for c in who if c != SUBJECT and
              any(m.ratio(c) is not None for m in metrics.values())]
    head = ["%s: metric" % name, "unit"] + who + \
        ["%s / %s" % (SUBJECT, c) for c in others]
    lines = ["| " + " | ".join(head) + " |",
             "| --- | --- |" + " ---: |" * (len(head) - 2)]
    for m in metrics.values():
        cells = [m.name, "%s (%s is better)" % (m.unit, m.better)
                 if m.unit else ""]
        cells += [cell(m, c) for c in who]
        for c in others:
            r = m.ratio(c)
            cells.append(fmt(r) if r is not None else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def check_target(target, scenarios):
    """Yields (metric, contender, value text, met) for one target."""
    scenario, pattern, who, kind, limit, _ = target
    metrics = scenarios.get(scenario, {})
    for m in metrics.values():
        if not re.match(pattern, m.name) or not m.stats(SUBJECT):
            continue
        if kind == "value_le":
            v = m.stats(SUBJECT)[0]
            yield m.name, SUBJECT, fmt(v) + " " + m.unit, v <= limit + EPS
            continue
        if kind == "metric_ge":
            other = metrics.get(re.sub(pattern, who, m.name))
            if other and other.stats(SUBJECT):
                r = m.stats(SUBJECT)[0] / other.stats(SUBJECT)[0]
                yield m.name, other.name, fmt(r), r >= limit - EPS
            continue
        for c in m.values:
            if c == SUBJECT or not c.startswith(who):
                continue
            r = m.ratio(c)
            if kind == "overhead_le":
                v = r - 1
                yield m.name, c, "%+.0f%%" % (100 * v), v <= limit + EPS
            elif kind == "ratio_le":
                yield m.name, c, fmt(r), r <= limit + EPS
            else:
                yield m.name, c, fmt(r), r >= limit - EPS


def targets_table(scenarios):
    lines = ["| target | metric | against | value | |",
             "| --- | --- | --- | ---: | --- |"]
    for t in TARGETS:
        for metric, c, value, met in check_target(t, scenarios):
            lines.append("| %s | %s | %s | %s | %s |" % (
                t[5], metric, c, value, "met" if met else "**not met**"))
    return "\n".join(lines) if len(lines) > 2 else ""


def markdown(scenarios, meta, title="kvmlite benchmarks"):
    out = ["# " + title, ""]
    out += ["- %s: %s" % (k, v) for k, v in meta.items()]
    out += ["", "Cells: median (min–max) over the runs; ratios are of "
            "medians, %s's over the column's." % SUBJECT, ""]
    for name, metrics in scenarios.items():
        out += [scenario_table(name, metrics), ""]
    t = targets_table(scenarios)
    if t:
        out += ["## Targets", "", t, ""]
    return "\n".join(out)


def bars(scenarios):
    """(label, advantage) for every metric and contender kvmlite faces."""
    for name, metrics in scenarios.items():
        for m in metrics.values():
            for c in m.values:
                a = m.advantage(c) if c != SUBJECT else None
                if a:
                    yield "%s: %s vs %s" % (name, m.name, c), a


def svg(scenarios, title="kvmlite's advantage (× better, log scale)"):
    """A horizontal bar per metric and contender: right of the axis is
    kvmlite better, left worse, on a log2 scale clipped at ±2^6."""
    items = list(bars(scenarios))
    row, label_w, half, top = 18, 420, 240, 40
    width = label_w + 2 * half + 60
    height = top + row * len(items) + 30
    axis = label_w + half
    scale = half / 6.0
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="14">%s</text>' % esc(title)]
    for k in range(-6, 7, 2):
        x = axis + k * scale
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" '
                   'stroke="#ddd"/>' % (x, top - 5, x, height - 25))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' %
                   (x, height - 10, fmt(2.0 ** k)))
    for i, (label, adv) in enumerate(items):
        y = top + i * row
        v = max(-6.0, min(6.0, math.log2(adv)))
        x0, x1 = sorted((axis, axis + v * scale))
        color = "#3a3" if adv >= 1 else "#c33"
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' %
                   (label_w - 6, y + 12, esc(label)))
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" '
                   'fill="%s"/>' % (x0, y + 2, max(x1 - x0, 1), row - 4,
                                    color))
        out.append('<text x="%.1f" y="%d" text-anchor="%s">%s</text>' %
                   (x1 + 3 if adv >= 1 else x0 - 3, y + 12,
                    "start" if adv >= 1 else "end", fmt(adv)))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' %
               (axis, top - 5, axis, height - 25))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def esc(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def command(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def machine_meta():
    """What the numbers depend on: machine, kernel, KVM, QEMU, date."""
    model = ""
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    try:
        kvm = sorted(m for m in os.listdir("/sys/module")
                     if m.startswith("kvm"))
    except OSError:
        kvm = []
    qemu = command(os.environ.get("QEMU", "qemu-system-x86_64"),
                   "--version").split("\n")[0]
    return OrderedDict([
        ("date", datetime.datetime.now(datetime.timezone.utc)
         .strftime("%Y-%m-%d %H:%M UTC")),
        ("commit", command("git", "rev-parse", "--short", "HEAD") or "none"),
        ("machine", "%s, %d CPUs" % (model or platform.machine(),
                                     os.cpu_count() or 0)),
        ("kernel", platform.release()),
        ("KVM modules", ", ".join(kvm) or "none loaded"),
        ("QEMU", qemu or "not installed"),
        ("load average at the end",
         " ".join(read("/proc/loadavg").split()[:3])),
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples")
    ap.add_argument("--md", required=True)
    ap.add_argument("--svg")
    ap.add_argument("--title", default="kvmlite benchmarks")
    ap.add_argument("--note", action="append", default=[],
                    help="KEY=VALUE added to the header")
    args = ap.parse_args()
    scenarios = summarize(load(args.samples))
    meta = machine_meta()
    for note in args.note:
        key, _, value = note.partition("=")
        meta[key] = value
    text = markdown(scenarios, meta, args.title)
    with open(args.md, "w") as f:
        f.write(text)
    if args.svg:
        with open(args.svg, "w") as f:
            f.write(svg(scenarios))
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
