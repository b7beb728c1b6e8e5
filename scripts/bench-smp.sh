#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# SMP start-up benchmark: wall time from exec to exit of the smp guest in
# mode=up (the BSP starts every AP with INIT-SIPI-SIPI and exits once all
# have checked in) for -smp 1, 8, 32 and 64, and the guest's own figure
# for the INIT-SIPI-SIPI to last-AP-up interval.  The vCPU threads are not
# pinned: 64 vCPUs share this machine's CPUs, as users' overcommitted
# guests do.  The cost per vCPU is the slope between consecutive sizes;
# creation is linear when the slopes agree.
#
# Usage: scripts/bench-smp.sh
#   env RUNS=N (default 5), TIMEOUT=s per run (default 30)
# Prints a Markdown report and writes it to bench/smp.md.

set -u
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
TIMEOUT=${TIMEOUT:-30}
BUILD=build
GUEST=$BUILD/guests/smp
OUT=bench/smp.md
SIZES=(1 8 32 64)
TARGET_MS=2000		# -smp 64 up within 2 s

die() { echo "bench-smp: $*" >&2; exit 1; }

make -s kvmlite guests "$BUILD/timeit" >&2 || die "cannot build kvmlite, the guests or timeit"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run N: one timed run; appends "ns guest_us" to $TMP/N.samples.
run() {
	local n=$1 ns status
	taskset -c 0-$(($(nproc) - 1)) "$BUILD/timeit" -o "$TMP/t" -t "$TIMEOUT" \
		./kvmlite -m 64M -smp "$n" -nographic \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$GUEST" \
		-append "cpus=$n sockets=1 cores=$n threads=1 mode=up" \
		</dev/null >"$TMP/out" 2>"$TMP/err" || die "timeit failed"
	read -r _ ns _ status _ <"$TMP/t"
	if [ "$status" != 1 ]; then
		echo "bench-smp: -smp $n exited with status $status:" >&2
		tail -n 5 "$TMP/out" "$TMP/err" >&2
		return 1
	fi
	echo "$ns $(sed -n 's/^smp: [0-9]* APs up in \([0-9]*\) us/\1/p' "$TMP/out")" \
		>>"$TMP/$n.samples"
}

# median FILE COLUMN
median() {
	sort -n -k"$2","$2" "$1" | awk -v f="$2" '{ v[NR] = $f }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for ((r = 0; r < RUNS; r++)); do
	for n in "${SIZES[@]}"; do
		run "$n" || die "-smp $n failed"
	done
done

declare -A MS GUEST_MS
for n in "${SIZES[@]}"; do
	MS[$n]=$(awk -v v="$(median "$TMP/$n.samples" 1)" 'BEGIN { printf "%.1f", v / 1e6 }')
	GUEST_MS[$n]=$(awk -v v="$(median "$TMP/$n.samples" 2)" 'BEGIN { printf "%.1f", v / 1e3 }')
done

{
	echo "# kvmlite SMP start-up benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo none)," \
	     "kernel $(uname -r), $(nproc) CPUs, $RUNS runs each, medians."
	echo "Wall: exec to exit (build/timeit). Guest: INIT-SIPI-SIPI to the last AP up, by the guest's TSC"
	echo "(includes the MP spec's 10 ms INIT delay)."
	echo
	echo "| -smp | wall ms | guest ms | wall ms per vCPU since previous row |"
	echo "| ---: | ---: | ---: | ---: |"
	prev=
	for n in "${SIZES[@]}"; do
		slope=
		[ -n "$prev" ] && slope=$(awk -v a="${MS[$n]}" -v b="${MS[$prev]}" -v n="$n" -v p="$prev" \
			'BEGIN { printf "%.2f", (a - b) / (n - p) }')
		echo "| $n | ${MS[$n]} | ${GUEST_MS[$n]} | $slope |"
		prev=$n
	done
	echo
	echo "-smp 64 up in ${MS[64]} ms; target < $TARGET_MS ms:" \
	     "$(awk -v v="${MS[64]}" -v t="$TARGET_MS" 'BEGIN { print (v < t) ? "met" : "**not met**" }')."
	echo
	echo "Command: \`./kvmlite -m 64M -smp N -nographic -device isa-debug-exit,iobase=0xf4,iosize=4" \
	     "-kernel $GUEST -append \"cpus=N sockets=1 cores=N threads=1 mode=up\"\`"
} >"$TMP/report.md"

mkdir -p bench
cp "$TMP/report.md" "$OUT"
cat "$OUT"
echo "(written to $OUT)" >&2
