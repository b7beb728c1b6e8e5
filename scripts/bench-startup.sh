#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Startup benchmark: wall time from exec to exit of the hello guest under
#   (a) kvmlite -m 64M, (b) kvmlite -m 64G, (c) QEMU -M microvm,
#   (d) kvm_floor -m 64 (the least code that boots it through /dev/kvm),
#   (e) kvm_floor -m 65536 (reference only: what 64 GiB costs the kernel).
# Contenders alternate run by run, each pinned to CPU 1 and timed by
# build/timeit, which also gives each run's peak RSS.  Every run must exit
# with status 1 (the guest's outl(0xf4, 0)); a contender with any other
# status is reported as failed.
#
# Usage: scripts/bench-startup.sh
#   env RUNS=N (default 20), CPU=n (default 1), TIMEOUT=s per run (default 10)
# Prints a Markdown report and writes it to bench/startup.md.

set -u
cd "$(dirname "$0")/.."

RUNS=${RUNS:-20}
CPU=${CPU:-1}
TIMEOUT=${TIMEOUT:-10}	# seconds before a run is killed (status 137)
BUILD=build
GUEST=$BUILD/guests/hello
OUT=bench/startup.md
QEMU=${QEMU:-qemu-system-x86_64}

die() { echo "bench-startup: $*" >&2; exit 1; }

MAKE_CMD=(make)
"${MAKE_CMD[@]}" -s guests "$BUILD/kvm_floor" "$BUILD/timeit" >&2 ||
	die "cannot build the guests, kvm_floor or timeit"
[ -r "$GUEST" ] || die "$GUEST missing"
KVMLITE_BUILT=1
if ! "${MAKE_CMD[@]}" -s kvmlite >&2; then
	echo "bench-startup: make kvmlite failed; kvmlite reported as not built" >&2
	KVMLITE_BUILT=0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

DEBUG_EXIT=(-device isa-debug-exit,iobase=0xf4,iosize=4)
# The fastest QEMU options found that still boot hello: no option ROMs,
# RTC, PIT, PIC, ACPI or second IOAPIC (together ~25% faster than plain
# microvm here), and -cpu host (as fast, without the default model's warning).
QEMU_MACHINE=microvm,x-option-roms=off,rtc=off,pit=off,pic=off,acpi=off,ioapic2=off,auto-kernel-cmdline=off

IDS=(kvm64m kvm64g qemu floor floor64g)
declare -A NAME CMDS STATE
NAME[kvm64m]="(a) kvmlite -m 64M"
NAME[kvm64g]="(b) kvmlite -m 64G"
NAME[qemu]="(c) QEMU microvm -m 64M"
NAME[floor]="(d) kvm_floor -m 64"
NAME[floor64g]="(e) kvm_floor -m 65536 (reference)"
# Commands are split on spaces: no argument may contain one.
CMDS[kvm64m]="./kvmlite -m 64M -nographic ${DEBUG_EXIT[*]} -kernel $GUEST -append bench"
CMDS[kvm64g]="./kvmlite -m 64G -nographic ${DEBUG_EXIT[*]} -kernel $GUEST -append bench"
CMDS[qemu]="$QEMU -M $QEMU_MACHINE -cpu host -enable-kvm -m 64M -nographic -nodefaults -no-user-config -serial stdio ${DEBUG_EXIT[*]} -kernel $GUEST -append bench"
CMDS[floor]="$BUILD/kvm_floor -m 64 $GUEST bench"
CMDS[floor64g]="$BUILD/kvm_floor -m 65536 $GUEST bench"

for id in "${IDS[@]}"; do STATE[$id]=ok; done
if [ "$KVMLITE_BUILT" = 0 ] || [ ! -x ./kvmlite ]; then
	STATE[kvm64m]="not built"; STATE[kvm64g]="not built"
fi
command -v "$QEMU" >/dev/null || STATE[qemu]="skipped: $QEMU not installed"

# run ID OUTFILE: one pinned, timed run; appends "ns status rss_kib" to
# $TMP/ID.samples, returns the guest's exit status.
run() {
	local id=$1 out=$2 ns status rss
	read -ra cmd <<<"${CMDS[$id]}"
	taskset -c "$CPU" "$BUILD/timeit" -o "$TMP/t" -t "$TIMEOUT" "${cmd[@]}" \
		</dev/null >"$out" 2>"$TMP/$id.stderr" || return 255
	read -r _ ns _ status _ rss <"$TMP/t"
	echo "$ns $status $rss" >>"$TMP/$id.samples"
	return "$status"
}

# One checked run each, not counted: warms the caches and proves the
# contender prints what hello prints and exits with status 1.
for id in "${IDS[@]}"; do
	[ "${STATE[$id]}" = ok ] || continue
	run "$id" "$TMP/$id.out"
	status=$?
	rm -f "$TMP/$id.samples"
	if [ "$status" != 1 ] || ! grep -q '^hello: done' "$TMP/$id.out" ||
	   ! grep -q '^cmdline: .*bench' "$TMP/$id.out"; then
		STATE[$id]="FAILED (status $status)"
		echo "bench-startup: ${NAME[$id]} failed the check run, status $status:" >&2
		tail -n 5 "$TMP/$id.out" "$TMP/$id.stderr" >&2
	fi
done

# The timed runs: round r starts with contender r mod n, so that none is
# always the one after the same other.
n=${#IDS[@]}
for ((r = 0; r < RUNS; r++)); do
	for ((k = 0; k < n; k++)); do
		id=${IDS[$(((r + k) % n))]}
		[ "${STATE[$id]}" = ok ] && run "$id" /dev/null
	done
done

# Guest pages the floor touches: what any VMM must have resident.
FLOOR_PAGES=
if [ "${STATE[floor]}" = ok ]; then
	"$BUILD/kvm_floor" -stats -m 64 "$GUEST" bench </dev/null >/dev/null 2>"$TMP/stats"
	read -r _ FLOOR_PAGES _ FLOOR_PAGE_SIZE <"$TMP/stats"
fi

# stat ID FIELD: "median min max" of a sample column (1 ns, 3 rss),
# with ms for times.  Median of an even count is the mean of the two.
stat() {
	sort -n -k"$2","$2" "$TMP/$1.samples" | awk -v f="$2" '
		{ v[NR] = $f }
		END {
			s = (f == 1) ? 1e6 : 1
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2f %.2f %.2f\n", m / s, v[1] / s, v[NR] / s
		}'
}

declare -A MED MIN MAX RSS
for id in "${IDS[@]}"; do
	[ "${STATE[$id]}" = ok ] || continue
	bad=$(awk '$2 != 1' "$TMP/$id.samples" | wc -l)
	if [ "$bad" -gt 0 ]; then
		STATE[$id]="FAILED ($bad/$RUNS runs: status $(awk '$2 != 1 { print $2; exit }' "$TMP/$id.samples"))"
		continue
	fi
	read -r MED[$id] MIN[$id] MAX[$id] <<<"$(stat "$id" 1)"
	read -r RSS[$id] _ _ <<<"$(stat "$id" 3)"
done

ok() { [ "${STATE[$1]}" = ok ]; }
# ratio A B: "x.xx" or n/a
ratio() { if ok "$1" && ok "$2"; then awk -v a="${MED[$1]}" -v b="${MED[$2]}" 'BEGIN { printf "%.2f", a / b }'; else echo n/a; fi; }
# verdict VALUE LIMIT: met / not met / n/a
verdict() { [ "$1" = n/a ] && { echo n/a; return; }; awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "met" : "**not met**" }'; }

{
	echo "# kvmlite startup benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo none)," \
	     "kernel $(uname -r), $(nproc) CPUs, pinned to CPU $CPU, $RUNS runs each, alternating."
	echo "Wall time from spawn to exit (build/timeit), guest output to /dev/null, stdin /dev/null."
	echo
	echo "| contender | median ms | min ms | max ms | median peak RSS KiB |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	for id in "${IDS[@]}"; do
		if ok "$id"; then
			echo "| ${NAME[$id]} | ${MED[$id]} | ${MIN[$id]} | ${MAX[$id]} | ${RSS[$id]%.*} |"
		else
			echo "| ${NAME[$id]} | ${STATE[$id]} | | | |"
		fi
	done
	echo
	r_qemu=$(ratio kvm64m qemu)
	r_floor=$(ratio kvm64m floor)
	r_64g=$(ratio kvm64g kvm64m)
	echo "| ratio (medians) | value | target | |"
	echo "| --- | ---: | --- | --- |"
	echo "| kvmlite / QEMU microvm | $r_qemu | ≤ 0.25 | $(verdict "$r_qemu" 0.25) |"
	echo "| kvmlite / floor | $r_floor | ≤ 2 | $(verdict "$r_floor" 2) |"
	echo "| kvmlite 64G / kvmlite 64M | $r_64g | ≤ 1.10 | $(verdict "$r_64g" 1.10) |"
	echo "| (reference) floor 64G / floor 64M | $(ratio floor64g floor) | | |"
	echo
	if [ -n "$FLOOR_PAGES" ]; then
		floor_kib=$((FLOOR_PAGES * FLOOR_PAGE_SIZE / 1024))
		echo "Guest pages touched (kvm_floor -stats, mincore): $FLOOR_PAGES pages = $floor_kib KiB."
		if ok kvm64m; then
			over=$(awk -v r="${RSS[kvm64m]}" -v g="$floor_kib" 'BEGIN { printf "%.0f", r - g }')
			mib=$(awk -v o="$over" 'BEGIN { printf "%.2f", o / 1024 }')
			echo "kvmlite peak RSS overhead: ${RSS[kvm64m]%.*} KiB ru_maxrss - $floor_kib KiB guest = $over KiB ($mib MiB);" \
			     "target < 4 MiB: $(awk -v o="$over" 'BEGIN { print (o < 4096) ? "met" : "**not met**" }')."
		else
			echo "kvmlite peak RSS overhead: n/a (${STATE[kvm64m]})."
		fi
		if ok floor; then
			echo "For scale, kvm_floor itself: ${RSS[floor]%.*} KiB ru_maxrss - $floor_kib KiB guest" \
			     "= $(awk -v r="${RSS[floor]}" -v g="$floor_kib" 'BEGIN { printf "%.0f", r - g }') KiB" \
			     "(a dynamically linked libc process; build/timeit's ~0.5 MiB is the lowest ru_maxrss can read)."
		fi
	fi
	echo
	echo "Commands:"
	echo
	for id in "${IDS[@]}"; do echo "- ${NAME[$id]}: \`${CMDS[$id]}\`"; done
} >"$TMP/report.md"

mkdir -p bench
cp "$TMP/report.md" "$OUT"
cat "$OUT"
echo "(written to $OUT)" >&2
