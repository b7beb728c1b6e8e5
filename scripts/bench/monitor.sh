#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Monitor latency under load: the spin guest keeps every vCPU busy in the
# guest (one vCPU per host CPU, so the I/O thread has to win a CPU back
# from them for each request) while a client sends N query-status
# requests over QMP, N "info cpus" over the human monitor and N
# query-cpus-fast, one after another.  Reports the median and the 99th
# percentile of the round trip for each; the target is a p99 under 5 ms.
# The latencies include the Python client's own time (about 15 us).
#
# Usage: scripts/bench/monitor.sh   env N (default 1000), SMP (default:
#        the number of host CPUs), KVMLITE (default ./kvmlite).
#        Writes bench/monitor.md too.
set -u
cd "$(dirname "$0")/../.."

N=${N:-1000}
SMP=${SMP:-$(nproc)}
TARGET_MS=5
OUT=bench/monitor.md
make -s kvmlite guests >&2 || exit 1

TMP=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

"${KVMLITE:-./kvmlite}" -smp "$SMP" -m 64M -serial "file:$TMP/serial" \
	-qmp "unix:$TMP/qmp,server=on,wait=off" \
	-monitor "unix:$TMP/hmp,server,nowait" \
	-device isa-debug-exit,iobase=0xf4,iosize=4 \
	-kernel build/guests/spin </dev/null >/dev/null 2>"$TMP/err" &
pid=$!
for _ in $(seq 200); do
	grep -q "CPUs spinning" "$TMP/serial" 2>/dev/null && break
	sleep 0.05
done
grep -q "spin: $SMP CPUs spinning" "$TMP/serial" ||
	{ echo "bench-monitor: the spin guest did not start all CPUs" >&2; cat "$TMP/err" >&2; exit 1; }

python3 tests/bench/monitor_latency.py "$TMP/qmp" "$TMP/hmp" "$N" >"$TMP/result" ||
	{ echo "bench-monitor: the client failed" >&2; exit 1; }

{
	echo "# kvmlite monitor latency under load"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo none)," \
	     "kernel $(uname -r), $(nproc) CPUs; guest: spin with -smp $SMP (every vCPU busy in the guest)."
	echo "$N requests of each kind, one after another, over unix sockets; round trip as the client sees it."
	echo
	echo "| request | median ms | p99 ms | max ms |"
	echo "| --- | ---: | ---: | ---: |"
	awk '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$TMP/result"
	echo
	awk -v t="$TARGET_MS" '{ if ($3 >= t) bad = bad " " $1 }
		END { print "p99 target < " t " ms: " (bad ? "**not met** by" bad : "met") "." }' "$TMP/result"
} >"$TMP/report.md"

mkdir -p bench
cp "$TMP/report.md" "$OUT"
cat "$OUT"
echo "(written to $OUT)" >&2
