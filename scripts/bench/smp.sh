#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# SMP bring-up: the smp guest in mode=up (the BSP reads the MP table,
# starts every AP with INIT-SIPI-SIPI and exits once all have checked in)
# with -smp 1, 8 and 64: wall time from exec to exit, and the guest's own
# INIT-SIPI-SIPI to last-AP-up interval (which includes the MP spec's
# 10 ms INIT delay).  The vCPU threads may use every host CPU: 64 vCPUs
# share them, as overcommitted guests do.
#
# QEMU is listed as skipped: on this host SeaBIOS's MP table lists only the
# CPUs it saw start, and qboot (microvm) writes none, so the guest cannot
# find the APs.  The floor has no MP table either.
#
# Usage: scripts/bench/smp.sh   env RUNS, QUICK (lib.bash),
#        TIMEOUT=s per run (default 60)
set -u
source "$(dirname "$0")/lib.bash"
bench_init smp

TIMEOUT=${TIMEOUT:-60}
GUEST=$BUILD/guests/smp
SIZES=(1 8 64)
CPUS=0-$(($(nproc) - 1))
make -s kvmlite guests "$TIMEIT" >&2 ||
	bench_die "cannot build kvmlite, the guests or timeit"

wall() { echo "-smp $1: exec to exit"; }
guest() { echo "-smp $1: INIT-SIPI-SIPI to last AP up (guest TSC)"; }

for n in "${SIZES[@]}"; do
	for who in "$QPC" "$QMV"; do
		bench_skip "$(wall "$n")" ms lower "$who" \
			"skipped: no MP table listing the APs"
	done
	bench_skip "$(wall "$n")" ms lower "$FLOOR" "n/a: no MP table"
done

for ((r = 0; r < RUNS; r++)); do
	bench_progress "round $((r + 1))/$RUNS"
	for n in $(bench_rotate "$r" "${SIZES[@]}"); do
		if ! bench_time "$CPUS" "$TIMEOUT" ./kvmlite -m 64M -smp "$n" \
			-nographic "${DEBUG_EXIT[@]}" -kernel "$GUEST" \
			-append "cpus=$n sockets=1 cores=$n threads=1 mode=up" ||
		   [ "$T_STATUS" != 1 ]; then
			bench_failed "$(wall "$n")" ms lower "$K"
			continue
		fi
		bench_sample "$(wall "$n")" ms lower "$K" "$r" "$(bench_ms "$T_NS")"
		us=$(sed -n 's/^smp: [0-9]* APs up in \([0-9]*\) us/\1/p' \
			"$BENCH_TMP/out")
		[ -n "$us" ] && bench_sample "$(guest "$n")" ms lower "$K" "$r" \
			"$(awk -v v="$us" 'BEGIN { printf "%.3f", v / 1e3 }')"
	done
done
bench_finish
