#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Exit round trips: the exitbench guest times N reads each of COM1's line
# status register (a port exit every VMM answers in user space), of an
# MMIO address no device claims (an MMIO exit to user space) and of the
# PIT's counter (in the kernel under QEMU, in kvmlite's process here), on
# its own TSC, under kvmlite, QEMU pc and microvm and kvm_floor, whose bare
# KVM_RUN loop answers the same accesses: the physical floor of an exit.
#
# Usage: scripts/bench/exits.sh   env RUNS, QUICK, CPU (lib.bash),
#        N=accesses of each kind per run (default 100000, QUICK 20000)
set -u
source "$(dirname "$0")/lib.bash"
bench_init exits

if [ "$QUICK" = 1 ]; then N=${N:-20000}; else N=${N:-100000}; fi
TIMEOUT=120
GUEST=$BUILD/guests/exitbench
make -s kvmlite guests "$BUILD/kvm_floor" "$TIMEIT" >&2 ||
	bench_die "cannot build kvmlite, the guests, kvm_floor or timeit"

declare -A WHO CMD METRIC
IDS=(kvm pc microvm floor)
WHO=([kvm]=$K [pc]=$QPC [microvm]=$QMV [floor]=$FLOOR)
GUEST_ARGS="${DEBUG_EXIT[*]} -kernel $GUEST -append count=$N"
CMD[kvm]="./kvmlite -m 64M $GUEST_ARGS"
CMD[pc]="${QEMU_PC[*]} -m 64M $GUEST_ARGS"
CMD[microvm]="${QEMU_MICROVM[*]} -m 64M $GUEST_ARGS"
CMD[floor]="$BUILD/kvm_floor -m 64 $GUEST count=$N"
KINDS=(pio mmio pit)
METRIC=([pio]="PIO exit round trip (COM1 LSR read)"
	[mmio]="MMIO exit round trip (unclaimed address)"
	[pit]="PIT counter read")

if ! bench_have_qemu; then
	IDS=(kvm floor)
	for kind in "${KINDS[@]}"; do
		bench_skip "${METRIC[$kind]}" ns lower "$QPC" "$QEMU not installed"
		bench_skip "${METRIC[$kind]}" ns lower "$QMV" "$QEMU not installed"
	done
fi

for ((r = 0; r < RUNS; r++)); do
	bench_progress "round $((r + 1))/$RUNS, $N accesses of each kind"
	for id in $(bench_rotate "$r" "${IDS[@]}"); do
		read -ra cmd <<<"${CMD[$id]}"
		if ! bench_time "$CPU" "$TIMEOUT" "${cmd[@]}" ||
		   [ "$T_STATUS" != 1 ]; then
			bench_failed "${METRIC[pio]}" ns lower "${WHO[$id]}"
			continue
		fi
		for kind in "${KINDS[@]}"; do
			ns=$(sed -n "s/^exitbench: $kind .* ns=\([0-9.]*\).*/\1/p" \
				"$BENCH_TMP/out")
			[ -n "$ns" ] && bench_sample "${METRIC[$kind]}" ns lower \
				"${WHO[$id]}" "$r" "$ns"
		done
	done
done
bench_finish
