#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The benchmark report's machinery on fixed input, no timing: samples
written through scripts/bench/lib.bash, their statistics, the Markdown,
the targets and the SVG.  Prints PASS/FAIL lines for tests/run.sh."""

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import OrderedDict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts", "bench"))
import report  # noqa: E402

failures = 0


def check(name, got, want):
    global failures
    if got == want:
        print("PASS", name)
    else:
        failures += 1
        print("FAIL %s:\n  got  %r\n  want %r" % (name, got, want))


# The samples as the scenario scripts write them, quoting included.
SCRIPT = r'''
source scripts/bench/lib.bash
bench_init startup
for v in 12 10 11; do bench_sample "exec to exit" ms lower "$K" 0 $v; done
for v in 100 120; do bench_sample "exec to exit" ms lower "$QPC" 0 $v; done
bench_sample "exec to exit" ms lower "$FLOOR" 0 10
bench_skip "exec to exit" ms lower "$QMV" 'FAILED (status 3, "x")'
SCENARIO=exits bench_sample "PIO, a port" ns lower "$K" 0 11
SCENARIO=exits bench_sample "PIO, a port" ns lower "$FLOOR" 0 10
SCENARIO=blk bench_sample read MB/s higher "$K" 0 90
SCENARIO=blk bench_sample read MB/s higher "$QPC" 0 100
SCENARIO=blk bench_sample "raw, c: read 1 MiB" MB/s higher "$K" 0 90
SCENARIO=blk bench_sample "raw, c: read 1 MiB" MB/s higher "$HOST" 0 100
SCENARIO=blk bench_sample "qcow2, c: read 1 MiB" MB/s higher "$K" 0 80
SCENARIO=blk bench_sample "raw, c: write 1 MiB" MB/s higher "$K" 0 100
SCENARIO=blk bench_sample "qcow2, c: write 1 MiB into new clusters" MB/s \
	higher "$K" 0 70
'''


def samples():
    fd, path = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    env = dict(os.environ, BENCH_SAMPLES=path, QUICK="1")
    with open(path, "w") as f:
        f.write(",".join(report.FIELDS) + "\n")
    subprocess.run(["bash", "-c", SCRIPT], cwd=ROOT, env=env, check=True)
    rows = report.load(path)
    os.unlink(path)
    return rows


def main():
    check("median odd", report.median([3, 1, 2]), 2)
    check("median even", report.median([4, 1, 3, 2]), 2.5)
    check("fmt", [report.fmt(x) for x in (0, 0.0436, 1.5, 12.34, 4664.2)],
          ["0", "0.0436", "1.50", "12.3", "4664"])

    rows = samples()
    check("csv rows", len(rows), 16)
    check("csv quoting", (rows[6]["metric"], rows[6]["note"]),
          ("exec to exit", 'FAILED (status 3, "x")'))
    check("csv comma", rows[7]["metric"], "PIO, a port")

    s = report.summarize(rows)
    m = s["startup"]["exec to exit"]
    check("stats", m.stats("kvmlite"), (11.0, 10.0, 12.0, 3))
    check("ratio", m.ratio("QEMU pc"), 0.1)
    check("advantage lower", m.advantage("QEMU pc"), 10.0)
    check("advantage higher", s["blk"]["read"].advantage("QEMU pc"), 0.9)

    meta = OrderedDict([("date", "D"), ("kernel", "K")])
    md = report.markdown(s, meta, "T")
    check("markdown", md.split("\n"), EXPECTED_MD.split("\n"))

    root = ET.fromstring(report.svg(s))
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    fills = [r.get("fill") for r in rects[1:]]
    # startup vs QEMU pc, vs floor; exits vs floor; blk vs QEMU pc, host
    check("svg bars", fills, ["#3a3", "#c33", "#c33", "#c33", "#c33"])
    return 1 if failures else 0


EXPECTED_MD = """# T

- date: D
- kernel: K

Cells: median (min–max) over the runs; ratios are of medians, kvmlite's \
over the column's.

| startup: metric | unit | kvmlite | QEMU pc | floor | QEMU microvm | \
kvmlite / QEMU pc | kvmlite / floor |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
| exec to exit | ms (lower is better) | 11.0 (10.0–12.0) | 110 (100–120) | \
10.0 | FAILED (status 3, "x") | 0.100 | 1.10 |

| exits: metric | unit | kvmlite | floor | kvmlite / floor |
| --- | --- | ---: | ---: | ---: |
| PIO, a port | ns (lower is better) | 11.0 | 10.0 | 1.10 |

| blk: metric | unit | kvmlite | QEMU pc | host | kvmlite / QEMU pc | \
kvmlite / host |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
| read | MB/s (higher is better) | 90.0 | 100 |  | 0.900 |  |
| raw, c: read 1 MiB | MB/s (higher is better) | 90.0 |  | 100 |  | 0.900 |
| qcow2, c: read 1 MiB | MB/s (higher is better) | 80.0 |  |  |  |  |
| raw, c: write 1 MiB | MB/s (higher is better) | 100 |  |  |  |  |
| qcow2, c: write 1 MiB into new clusters | MB/s (higher is better) | 70.0 \
|  |  |  |  |

## Targets

| target | metric | against | value | |
| --- | --- | --- | ---: | --- |
| startup ≤ 1/10 of QEMU | exec to exit | QEMU pc | 0.100 | met |
| per-exit overhead over the floor ≤ 10% of the floor's exit | PIO, a port \
| floor | +10% | met |
| every I/O row ≥ QEMU | read | QEMU pc | 0.900 | **not met** |
| 1 MiB sequential I/O ≥ 80% of the host | raw, c: read 1 MiB | host | 0.900 \
| met |
| qcow2 reads ≥ 90% of raw | qcow2, c: read 1 MiB | raw, c: read 1 MiB \
| 0.889 | **not met** |
| qcow2 writes into new clusters ≥ 70% of raw | qcow2, c: write 1 MiB into \
new clusters | raw, c: write 1 MiB | 0.700 | met |
"""

if __name__ == "__main__":
    sys.exit(main())
