#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# PIT read benchmark: the cost of one guest port read of the PIT counter
# (port 0x40) under kvmlite (in-process PIT), QEMU -enable-kvm (whose PIT
# is in the kernel) and kvm_floor (a bare KVM_RUN loop answering the same
# port).  Each contender boots build/guests/pitread with count=0 and
# count=N; ns per read = (time(N) - time(0)) / N, medians over RUNS runs,
# alternating contenders, pinned to one CPU.
#
# Usage: scripts/bench-pit.sh   env RUNS (default 5), N (default 100000),
#        CPU (default 1).  Writes bench/pit.md too.
set -u
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
N=${N:-100000}
CPU=${CPU:-1}
GUEST=build/guests/pitread
OUT=bench/pit.md
make -s kvmlite guests build/kvm_floor build/timeit >&2 || exit 1

DEBUG_EXIT=(-device isa-debug-exit,iobase=0xf4,iosize=4)
declare -A CMD
CMD[kvmlite]="./kvmlite -m 64M ${DEBUG_EXIT[*]} -kernel $GUEST -append"
CMD[qemu]="qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=off -enable-kvm -cpu host -m 64M -nodefaults -no-user-config -nographic -serial stdio ${DEBUG_EXIT[*]} -kernel $GUEST -append"
CMD[floor]="build/kvm_floor -m 64 $GUEST"
IDS=(kvmlite qemu floor)
command -v qemu-system-x86_64 >/dev/null || IDS=(kvmlite floor)

# One run; prints elapsed ns, or nothing when the guest did not exit 0.
run_once() {
	local out
	out=$(build/timeit taskset -c "$CPU" ${CMD[$1]} "count=$2" \
		</dev/null 2>&1 >/dev/null | grep '^elapsed_ns')
	[ "$(awk '{ print $4 }' <<<"$out")" = 1 ] && awk '{ print $2 }' <<<"$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

declare -A ZERO FULL
for ((r = 0; r < RUNS; r++)); do
	for id in "${IDS[@]}"; do
		ZERO[$id]+="$(run_once "$id" 0) "
		FULL[$id]+="$(run_once "$id" "$N") "
	done
done

mkdir -p bench
{
	echo "PIT counter reads: $N per run, $RUNS runs, pinned to CPU $CPU, $(date -u '+%F %H:%M UTC'), kernel $(uname -r)"
	echo
	echo "| contender | ns per read (median) |"
	echo "| --- | ---: |"
	declare -A NS
	for id in "${IDS[@]}"; do
		z=$(tr ' ' '\n' <<<"${ZERO[$id]}" | grep . | median)
		f=$(tr ' ' '\n' <<<"${FULL[$id]}" | grep . | median)
		if [ -z "$z" ] || [ -z "$f" ]; then
			echo "| $id | FAILED (guest did not exit 0) |"
			continue
		fi
		NS[$id]=$(( (f - z) / N ))
		echo "| $id | ${NS[$id]} |"
	done
	if [ -n "${NS[kvmlite]:-}" ] && [ -n "${NS[floor]:-}" ]; then
		echo
		awk -v k="${NS[kvmlite]}" -v f="${NS[floor]}" 'BEGIN {
			printf "kvmlite / floor: %.2f (target <= 1.10: %s)\n",
				k / f, k <= 1.10 * f ? "met" : "not met" }'
	fi
} | tee "$OUT"
