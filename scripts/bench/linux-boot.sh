#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Linux boot benchmark (issue: boot to /init, kvmlite vs QEMU's default
# machine and microvm): the Debian kernel and initramfs of
# scripts/linux-guest.sh, PVH vmlinux, -smp 2 -m 1G, the same -cpu and
# command line under every VMM, pinned to the same CPUs, contenders
# alternating run by run.  Each run ends when the console shows
# $MILESTONE (or after TIMEOUT seconds, which counts as failed), and is
# split into VMM setup (exec to the first KVM_RUN, noted by the LD_PRELOAD
# shim tests/bench/first_kvm_run.c) and guest time (the rest).
#
# On hosts whose KVM emulates guest kernel code (kvm_pvm), QEMU stops
# where the emulator refuses INT3 in the kernel's alternatives self-test,
# so the default milestone is the last line both VMMs print before it;
# set MILESTONE='^init: started' on a host where /init is reachable.
#
# Usage: scripts/bench/linux-boot.sh
#   env RUNS=N (default 3), CPUS=list for taskset (default 0-1),
#   TIMEOUT=seconds per run (default 600), MILESTONE=extended regex
# Prints a Markdown table and writes it to bench/linux-boot.md.

set -u
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
CPUS=${CPUS:-0-1}
TIMEOUT=${TIMEOUT:-600}
MILESTONE=${MILESTONE:-'x86/fpu: x87 FPU will use'}
QEMU=${QEMU:-qemu-system-x86_64}
OUT=build/linux
SHIM=build/first_kvm_run.so
REPORT=bench/linux-boot.md

die() { echo "linux-boot: $*" >&2; exit 1; }

make -s kvmlite "$SHIM" >&2 || die "cannot build kvmlite or $SHIM"
scripts/linux-guest.sh "$OUT" >&2 || die "cannot make the Linux guest"
command -v "$QEMU" >/dev/null || die "$QEMU not found"

# As scripts/test-linux.sh: what this host's emulator needs.
. scripts/linux-emulated-host.bash
CPU=$LINUX_CPU
APPEND="$LINUX_APPEND earlyprintk=ttyS0 kvmlite.checks=cpus kvmlite.cpus=2"
COMMON=(-smp 2 -m 1G -nographic -no-reboot -cpu "$CPU"
	-kernel "$OUT/vmlinux" -initrd "$OUT/initramfs.cpio" -append "$APPEND")
QEMU_COMMON=("$QEMU" -enable-kvm -nodefaults -no-user-config -serial stdio)

IDS=(kvmlite qemu-pc qemu-microvm)
declare -A CMD
CMD[kvmlite]="./kvmlite"
CMD[qemu-pc]="${QEMU_COMMON[*]} -M pc"
CMD[qemu-microvm]="${QEMU_COMMON[*]} -M microvm"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkfifo "$TMP/console"

# Runs one contender; prints "total_ms setup_ms" or "failed".
run_one() {
	local id=$1 start first end="" line pid
	rm -f "$TMP/first"
	start=${EPOCHREALTIME/./}
	# CMD values hold no argument with a space: split on purpose.
	# shellcheck disable=SC2086
	FIRST_KVM_RUN_FILE=$TMP/first LD_PRELOAD=$PWD/$SHIM \
		timeout "$TIMEOUT" taskset -c "$CPUS" ${CMD[$id]} \
		"${COMMON[@]}" </dev/null >"$TMP/console" 2>&1 &
	pid=$!
	while IFS= read -r line; do
		if [[ $line =~ $MILESTONE ]]; then
			end=${EPOCHREALTIME/./}
			break
		fi
	done <"$TMP/console"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# nanoseconds: too many digits for awk's doubles, fine for bash
	first=$(awk '{ print $2 }' "$TMP/first" 2>/dev/null)
	if [ -z "$end" ] || [ -z "$first" ]; then
		echo failed
		return
	fi
	first=$((first / 1000))
	echo "$(((end - start) / 1000)) $(((first - start) / 1000))"
}

# median min max of the numbers on stdin
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - -"; exit }
		print v[int((NR + 1) / 2)], v[1], v[NR] }'
}

echo "linux-boot: $RUNS runs of ${#IDS[@]} VMMs to /$MILESTONE/," \
	"up to $TIMEOUT s each" >&2
declare -A TOTALS SETUPS GUESTS FAILS
for ((run = 1; run <= RUNS; run++)); do
	for id in "${IDS[@]}"; do
		result=$(run_one "$id")
		echo "linux-boot: run $run $id: $result" >&2
		if [ "$result" = failed ]; then
			FAILS[$id]=$((${FAILS[$id]:-0} + 1))
			continue
		fi
		TOTALS[$id]+="${result% *} "
		SETUPS[$id]+="${result#* } "
		GUESTS[$id]+="$((${result% *} - ${result#* })) "
	done
done

ms() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.3f", v / 1000 }'; }

{
	echo "# Linux boot to /$MILESTONE/"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)," \
		"kernel $(uname -r), Linux guest $(cat "$OUT/release"), -smp 2 -m 1G," \
		"pinned to CPUs $CPUS, medians of $RUNS, $("$QEMU" --version | head -n 1)."
	echo
	echo "| VMM | total s (median) | min | max | VMM setup s (median) | guest s (median) | failed runs |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for id in "${IDS[@]}"; do
		read -r tmed tmin tmax < <(printf '%s\n' ${TOTALS[$id]:-} | stats)
		read -r smed _ _ < <(printf '%s\n' ${SETUPS[$id]:-} | stats)
		read -r guest _ _ < <(printf '%s\n' ${GUESTS[$id]:-} | stats)
		echo "| $id | $(ms "$tmed") | $(ms "$tmin") | $(ms "$tmax") |" \
			"$(ms "$smed") | $(ms "$guest") | ${FAILS[$id]:-0} |"
	done
} | tee "$REPORT"
