#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Image conversion benchmark (issue 6): kvmlite-img convert against
# qemu-img convert, raw -> qcow2 and qcow2 -> raw, on a half-sparse raw
# image (alternating 64 MiB runs of data and holes; each data run is half
# random bytes, half compressible text).  The contenders alternate run by
# run; each run's time includes an fsync of the output, and the input is
# read into the page cache before every run so that both start equal.
#
# Usage: scripts/bench/convert.sh (or make bench-convert)
#   env RUNS=N (default 3), SIZE_MIB (default 4096), QUICK=1 (one run of
#   a 1 GiB image), DIR (default build/bench-convert: on the disk, not a
#   tmpfs), CPUS=list for taskset (default 0-1)
# Records its samples through lib.bash (kvmlite-img as the "kvmlite"
# contender); alone, writes bench/convert.md.

set -u
source "$(dirname "$0")/lib.bash"
bench_init convert 3

[ "$QUICK" = 1 ] && SIZE_MIB=${SIZE_MIB:-1024}
SIZE_MIB=${SIZE_MIB:-4096}
DIR=${DIR:-build/bench-convert}
CPUS=${CPUS:-0-1}
RUN_MIB=64
SRC=$DIR/source.raw
KIMG=./kvmlite-img

make -s kvmlite-img >&2 || bench_die "cannot build kvmlite-img"
command -v qemu-img >/dev/null || bench_die "qemu-img not found"
mkdir -p "$DIR"

# The source image, kept between runs of the benchmark.
make_source() {
	local off half=$((RUN_MIB / 2))
	[ "$(stat -c %s "$SRC" 2>/dev/null)" = $((SIZE_MIB << 20)) ] &&
		return
	rm -f "$SRC"
	truncate -s "${SIZE_MIB}M" "$SRC"
	for ((off = 0; off < SIZE_MIB; off += 2 * RUN_MIB)); do
		{
			head -c "${half}M" /dev/urandom
			seq -f "%012g bytes of compressible text" 9999999 |
				head -c "${half}M"
		} | dd of="$SRC" bs=1M seek="$off" conv=notrunc status=none \
			iflag=fullblock || bench_die "cannot write $SRC"
	done
}

# warm FILE: its data in the page cache
warm() { cat "$1" >/dev/null; }

# timed OUT CMD...: seconds for CMD and an fsync of OUT
timed() {
	local out=$1 start end
	shift
	start=$(date +%s.%N)
	taskset -c "$CPUS" "$@" >/dev/null || bench_die "failed: $*"
	sync "$out"
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}

# one_run RUN DIRECTION TOOL: a conversion, its time a sample
one_run() {
	local run=$1 dir=$2 tool=$3 in out from to who=qemu-img
	case $dir in
	raw2qcow2) in=$SRC; out=$DIR/out.qcow2; from=raw; to=qcow2 ;;
	qcow2raw) in=$DIR/source.qcow2; out=$DIR/out.raw; from=qcow2; to=raw ;;
	esac
	[ "$tool" = "$KIMG" ] && who=$K
	warm "$in"
	bench_sample "${SIZE_MIB} MiB half-sparse $from -> $to" \
		s lower "$who" "$run" \
		"$(timed "$out" "$tool" convert -f $from -O $to "$in" "$out")"
	# kvmlite-img's output is checked at the end.  The file system
	# discards what a deletion frees: not during the next run.
	[ "$tool" = "$KIMG" ] && mv "$out" "$out.kvmlite" || rm -f "$out"
	sync -f "$DIR"
}

make_source
qemu-img convert -f raw -O qcow2 "$SRC" "$DIR/source.qcow2" ||
	bench_die "cannot make $DIR/source.qcow2"
for ((run = 1; run <= RUNS; run++)); do
	bench_progress "run $run of $RUNS"
	for dir in raw2qcow2 qcow2raw; do
		for tool in $(bench_rotate "$run" "$KIMG" qemu-img); do
			one_run "$run" "$dir" "$tool"
		done
	done
done
# kvmlite-img's outputs must hold the source's data.
qemu-img check -q "$DIR/out.qcow2.kvmlite" &&
	qemu-img compare -q "$SRC" "$DIR/out.qcow2.kvmlite" &&
	qemu-img compare -q "$SRC" "$DIR/out.raw.kvmlite" ||
	bench_die "an output of kvmlite-img differs from the source"
rm -f "$DIR"/out.*
bench_finish
