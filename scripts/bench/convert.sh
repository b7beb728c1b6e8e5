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
# Usage: scripts/bench/convert.sh
#   env RUNS=N (default 3), SIZE_MIB (default 4096), QUICK=1 (one run of
#   a 1 GiB image), DIR (default build/bench-convert: on the disk, not a
#   tmpfs), CPUS=list for taskset (default 0-1)
# Prints a Markdown table and appends it to bench/convert.md.

set -u
cd "$(dirname "$0")/../.."

if [ -n "${QUICK:-}" ]; then
	RUNS=${RUNS:-1}
	SIZE_MIB=${SIZE_MIB:-1024}
fi
RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-4096}
DIR=${DIR:-build/bench-convert}
CPUS=${CPUS:-0-1}
RUN_MIB=64
SRC=$DIR/source.raw
REPORT=bench/convert.md
KIMG=./kvmlite-img

die() { echo "convert: $*" >&2; exit 1; }

make -s kvmlite-img >&2 || die "cannot build kvmlite-img"
command -v qemu-img >/dev/null || die "qemu-img not found"
mkdir -p "$DIR" bench

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
			iflag=fullblock || die "cannot write $SRC"
	done
}

# warm FILE: its data in the page cache
warm() { cat "$1" >/dev/null; }

# timed OUT CMD...: seconds for CMD and an fsync of OUT
timed() {
	local out=$1 start end
	shift
	start=$(date +%s.%N)
	taskset -c "$CPUS" "$@" >/dev/null || die "failed: $*"
	sync "$out"
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A TIMES
# one_run DIRECTION TOOL: a conversion, its time appended to TIMES
one_run() {
	local dir=$1 tool=$2 in out from to
	case $dir in
	raw2qcow2) in=$SRC; out=$DIR/out.qcow2; from=raw; to=qcow2 ;;
	qcow2raw) in=$DIR/source.qcow2; out=$DIR/out.raw; from=qcow2; to=raw ;;
	esac
	warm "$in"
	TIMES[$dir.$tool]+="$(timed "$out" "$tool" convert -f $from \
		-O $to "$in" "$out") "
	# kvmlite-img's output is checked at the end.  The file system
	# discards what a deletion frees: not during the next run.
	[ "$tool" = "$KIMG" ] && mv "$out" "$out.kvmlite" || rm -f "$out"
	sync -f "$DIR"
}

make_source
qemu-img convert -f raw -O qcow2 "$SRC" "$DIR/source.qcow2" ||
	die "cannot make $DIR/source.qcow2"
for ((run = 0; run < RUNS; run++)); do
	for dir in raw2qcow2 qcow2raw; do
		# Alternate which goes first.
		if ((run % 2)); then
			one_run $dir qemu-img
			one_run $dir $KIMG
		else
			one_run $dir $KIMG
			one_run $dir qemu-img
		fi
	done
done
# kvmlite-img's outputs must hold the source's data.
qemu-img check -q "$DIR/out.qcow2.kvmlite" &&
	qemu-img compare -q "$SRC" "$DIR/out.qcow2.kvmlite" &&
	qemu-img compare -q "$SRC" "$DIR/out.raw.kvmlite" ||
	die "an output of kvmlite-img differs from the source"
rm -f "$DIR"/out.*

row() {
	local label=$1 dir=$2 k q
	k=$(tr ' ' '\n' <<<"${TIMES[$dir.$KIMG]}" | grep . | median)
	q=$(tr ' ' '\n' <<<"${TIMES[$dir.qemu-img]}" | grep . | median)
	printf '| %s | %.2f | %.2f | %.0f%% |\n' "$label" "$k" "$q" \
		"$(echo "100 * $q / $k" | bc -l)"
}

{
	echo
	echo "## convert, $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD)"
	echo
	echo "${SIZE_MIB} MiB half-sparse image, median of $RUNS run(s)," \
		"seconds including an fsync of the output; speed is" \
		"qemu-img's time over kvmlite-img's."
	echo
	echo "| direction | kvmlite-img s | qemu-img s | kvmlite-img speed |"
	echo "| --- | --- | --- | --- |"
	row "raw -> qcow2" raw2qcow2
	row "qcow2 -> raw" qcow2raw
} | tee -a "$REPORT"
