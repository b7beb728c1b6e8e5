#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Startup: the hello guest from exec to its first serial byte and from exec
# to exit, under kvmlite, QEMU's default machine (SeaBIOS), QEMU microvm
# with the fastest options found, and kvm_floor (the least code that boots
# it through /dev/kvm); also -m 64G under kvmlite and the floor.  Every
# run is pinned to CPU $CPU, timed by build/timeit, and must exit with
# status 1 (the guest's outl(0xf4, 0)) after printing "hello: done".
#
# The same runs give scenario "rss": each contender's peak RSS less the
# guest pages the floor touches (what any VMM must have resident).
#
# Usage: scripts/bench/startup.sh   env RUNS, QUICK, CPU (lib.bash),
#        TIMEOUT=s per run (default 60)
set -u
source "$(dirname "$0")/lib.bash"
bench_init startup

TIMEOUT=${TIMEOUT:-60}
GUEST=$BUILD/guests/hello
make -s guests kvmlite "$BUILD/kvm_floor" "$TIMEIT" >&2 ||
	bench_die "cannot build kvmlite, the guests, kvm_floor or timeit"

# The fastest microvm found that still boots hello: no option ROMs, RTC,
# PIT, PIC, ACPI or second IOAPIC (together ~25% faster than plain microvm).
MICROVM_FAST=microvm,x-option-roms=off,rtc=off,pit=off,pic=off,acpi=off
MICROVM_FAST+=,ioapic2=off,auto-kernel-cmdline=off

IDS=(kvm pc microvm floor kvm64g floor64g)
declare -A WHO CMD METRIC_SUFFIX
WHO=([kvm]=$K [pc]=$QPC [microvm]=$QMV [floor]=$FLOOR [kvm64g]=$K
     [floor64g]=$FLOOR)
KVM_ARGS="-nographic ${DEBUG_EXIT[*]} -kernel $GUEST -append bench"
QEMU_ARGS="-m 64M ${DEBUG_EXIT[*]} -kernel $GUEST -append bench"
# Split on spaces: no argument contains one.
CMD[kvm]="./kvmlite -m 64M $KVM_ARGS"
CMD[kvm64g]="./kvmlite -m 64G $KVM_ARGS"
CMD[pc]="${QEMU_PC[*]} $QEMU_ARGS"
CMD[microvm]="$QEMU -M $MICROVM_FAST ${QEMU_COMMON[*]} $QEMU_ARGS"
CMD[floor]="$BUILD/kvm_floor -m 64 $GUEST bench"
CMD[floor64g]="$BUILD/kvm_floor -m 65536 $GUEST bench"
METRIC_SUFFIX=([kvm64g]=", -m 64G" [floor64g]=", -m 64G")

declare -A OK
for id in "${IDS[@]}"; do OK[$id]=1; done
if ! bench_have_qemu; then
	for id in pc microvm; do
		OK[$id]=0
		for m in "exec to first serial byte" "exec to exit"; do
			bench_skip "$m" ms lower "${WHO[$id]}" "$QEMU not installed"
		done
	done
fi

# run ID: one timed run; fails unless hello ran to its end.
run() {
	local -a cmd
	read -ra cmd <<<"${CMD[$1]}"
	bench_time "$CPU" "$TIMEOUT" "${cmd[@]}" && [ "$T_STATUS" = 1 ] &&
		grep -q '^hello: done' "$BENCH_TMP/out"
}

# One checked run each, not counted: warms the caches (not with QUICK=1:
# a QEMU pc boot is seconds here).
for id in "${IDS[@]}"; do
	[ "${OK[$id]}" = 1 ] && [ "$QUICK" != 1 ] || continue
	if ! run "$id"; then
		bench_failed "exec to exit${METRIC_SUFFIX[$id]:-}" ms lower \
			"${WHO[$id]}"
		OK[$id]=0
	fi
done

# Guest pages the floor touches, in KiB.
FLOOR_KIB=0
if "$BUILD/kvm_floor" -stats -m 64 "$GUEST" bench </dev/null >/dev/null \
	2>"$BENCH_TMP/stats"; [ -s "$BENCH_TMP/stats" ]; then
	read -r _ pages _ page_size <"$BENCH_TMP/stats"
	FLOOR_KIB=$((pages * page_size / 1024))
fi

for ((r = 0; r < RUNS; r++)); do
	bench_progress "round $((r + 1))/$RUNS"
	for id in $(bench_rotate "$r" "${IDS[@]}"); do
		[ "${OK[$id]}" = 1 ] || continue
		if ! run "$id"; then
			bench_failed "exec to exit${METRIC_SUFFIX[$id]:-}" ms \
				lower "${WHO[$id]}"
			continue
		fi
		suffix=${METRIC_SUFFIX[$id]:-}
		bench_sample "exec to exit$suffix" ms lower "${WHO[$id]}" "$r" \
			"$(bench_ms "$T_NS")"
		[ -n "$suffix" ] && continue
		bench_sample "exec to first serial byte" ms lower "${WHO[$id]}" \
			"$r" "$(bench_ms "$T_FIRST")"
		SCENARIO=rss bench_sample \
			"peak RSS − $FLOOR_KIB KiB of guest pages touched" MiB lower \
			"${WHO[$id]}" "$r" \
			"$(awk -v r="$T_RSS_KIB" -v g="$FLOOR_KIB" \
				'BEGIN { printf "%.2f", (r - g) / 1024 }')"
	done
done
bench_finish
