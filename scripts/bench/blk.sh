#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# virtio-blk: the blkbench guest under kvmlite and under QEMU's default
# machine with the same image and device options, both pinned to the same
# host CPUs, and the host itself as the ceiling (dd for the sequential
# rows, fio with io_uring for random reads, on the raw image).  Rows:
# sequential read and write with 1 MiB requests at queue depth 16 and
# 4 KiB random reads at queue depth 32, each on a raw and on a qcow2 image
# (made by qemu-img with its default options and used by both VMMs), with
# the page cache (cache=writeback, the image read beforehand so it is hot)
# and with cache=none (O_DIRECT).  qcow2 reads go to an image converted
# from the raw one with every cluster allocated; qcow2 writes go to a new,
# empty image made before each run, so that every write allocates; for
# like with like, a raw row writes into a new sparse file made each run
# (newwrite: new page-cache pages and file blocks, as qcow2's writes need,
# where the raw write row overwrites the cached image).  The guest times
# its own transfer, so boot time is not in the figures.
#
# Usage: scripts/bench/blk.sh   env RUNS, QUICK (lib.bash),
#   CPUS=list (default 0-1), SEQ_MIB (default 256, QUICK 32), RAND_MIB
#   (default 64, QUICK 2; QUICK=1 runs the raw rows only), DIR (default
#   build/bench-blk: on the disk, not a tmpfs, so that O_DIRECT works),
#   ONLY=regex (the rows whose FORMAT-CACHE-MODE name matches, e.g.
#   'none-write', 'newwrite' or '^qcow2'; 'write' matches writeback too)
set -u
source "$(dirname "$0")/lib.bash"
bench_init blk

CPUS=${CPUS:-0-1}
if [ "$QUICK" = 1 ]; then
	SEQ_MIB=${SEQ_MIB:-32} RAND_MIB=${RAND_MIB:-2}
else
	SEQ_MIB=${SEQ_MIB:-256} RAND_MIB=${RAND_MIB:-64}
fi
DIR=${DIR:-build/bench-blk}
TIMEOUT=120
GUEST=$BUILD/guests/blkbench
RAW=$DIR/disk.img
QCOW2=$DIR/disk.qcow2
FRESH=$DIR/new.qcow2
FRESH_RAW=$DIR/new.img
ONLY=${ONLY:-}

make -s kvmlite guests "$TIMEIT" >&2 ||
	bench_die "cannot build kvmlite, the guests or timeit"
command -v fio >/dev/null ||
	{ apt-get install -y -qq fio >/dev/null 2>&1 ||
	  { apt-get update -qq >/dev/null 2>&1 &&
	    apt-get install -y -qq fio >/dev/null 2>&1; }; }
mkdir -p "$DIR"

# An image of data, twice the sequential transfer so reads wrap less.
IMG_MIB=$((SEQ_MIB * 2))
if [ "$(stat -c %s "$RAW" 2>/dev/null)" != $((IMG_MIB << 20)) ]; then
	dd if=/dev/urandom of="$RAW" bs=1M count=$IMG_MIB status=none ||
		bench_die "cannot write $RAW"
fi
# QUICK=1 leaves qcow2 out: each row is a QEMU boot of seconds here.
# -S 0: every cluster allocated, even where earlier write rows left zeroes.
FORMATS=(raw)
NO_QCOW2="no qemu-img to make the image"
if [ "$QUICK" = 1 ]; then
	NO_QCOW2="skipped with QUICK=1"
elif command -v qemu-img >/dev/null &&
     qemu-img convert -S 0 -f raw -O qcow2 "$RAW" "$QCOW2"; then
	FORMATS+=(qcow2)
fi
declare -A IMAGE=([raw]=$RAW [qcow2]=$QCOW2)
# The rows read the images through the page cache.  Random reads from the
# pages an image's writer left there (qemu-img convert) ran 10-20% slower
# than from pages reads had brought in, whichever driver read them; so
# both images' pages are dropped here and cached by the same reads.
for img in "${IMAGE[@]}"; do
	[ -f "$img" ] && sync "$img" &&
		dd if="$img" iflag=nocache count=0 status=none
done

# fresh ROW: whether the row writes into an image made for the run.
fresh() {
	[ "${NEW[$1]:-}" = 1 ] ||
		{ [ "${FORMAT[$1]}" = qcow2 ] && [ "${MODE[$1]}" = write ]; }
}

# image ROW: the image the row's guest runs on, made anew if it must be.
image() {
	if [ "${NEW[$1]:-}" = 1 ]; then
		rm -f "$FRESH_RAW"
		truncate -s ${IMG_MIB}M "$FRESH_RAW" || return 1
		echo "$FRESH_RAW"
	elif fresh "$1"; then
		qemu-img create -q -f qcow2 "$FRESH" ${IMG_MIB}M || return 1
		echo "$FRESH"
	else
		echo "${IMAGE[${FORMAT[$1]}]}"
	fi
}

ROWS=()
declare -A MODE BS QD MIB CACHE FORMAT NEW
# A row on raw and the same row on qcow2 run one after the other, so that
# the disk's drift between them (its random reads moved by 2x within
# minutes) stays out of qcow2's ratio to raw.
for cache in writeback none; do
	for mode in read randread write newwrite; do
		for format in raw qcow2; do
			[ $format-$mode = qcow2-newwrite ] && continue
			row=$format-$cache-$mode
			ROWS+=("$row")
			FORMAT[$row]=$format CACHE[$row]=$cache MODE[$row]=$mode
			if [ $mode = newwrite ]; then
				NEW[$row]=1 MODE[$row]=write
			fi
			if [ $mode = randread ]; then
				BS[$row]=4096 QD[$row]=32 MIB[$row]=$RAND_MIB
			else
				BS[$row]=1048576 QD[$row]=16 MIB[$row]=$SEQ_MIB
			fi
		done
	done
done

# metric ROW, unit ROW: the row's name and its unit in the report.
metric() {
	local cache=page\ cache size="1 MiB qd 16"
	[ "${CACHE[$1]}" = none ] && cache=cache=none
	[ "${MODE[$1]}" = randread ] && size="4 KiB qd 32"
	[ "${FORMAT[$1]}-${MODE[$1]}" = qcow2-write ] &&
		size+=" into new clusters"
	[ "${NEW[$1]:-}" = 1 ] && size+=" into a new sparse file"
	echo "${FORMAT[$1]}, $cache: ${MODE[$1]} $size"
}
unit() { [ "${MODE[$1]}" = randread ] && echo IOPS || echo MB/s; }

if ! bench_have_qemu; then
	for row in "${ROWS[@]}"; do
		bench_skip "$(metric "$row")" "$(unit "$row")" higher "$QPC" \
			"$QEMU not installed"
	done
fi

# vm_run VMM ROW: one guest run; records the guest's rate.
vm_run() {
	local vmm=$1 row=$2 img drive cmd rate
	local append="mode=${MODE[$row]} bs=${BS[$row]} qd=${QD[$row]}"
	append+=" total=${MIB[$row]}"
	img=$(image "$row") || return 1
	drive="file=$img,if=none,id=d,format=${FORMAT[$row]},cache=${CACHE[$row]}"
	if [ "$vmm" = "$K" ]; then
		cmd=(./kvmlite -m 256M -nographic -device
		     virtio-blk-pci,drive=d,num-queues=1)
	else
		cmd=("${QEMU_PC[@]}" -m 256M -device
		     virtio-blk-pci,drive=d,num-queues=1,disable-legacy=on)
	fi
	# Page cache hot for every row alike; a new file has nothing to cache.
	fresh "$row" || cat "$img" >/dev/null
	bench_time "$CPUS" "$TIMEOUT" "${cmd[@]}" "${DEBUG_EXIT[@]}" \
		-kernel "$GUEST" -append "$append" -drive "$drive" ||
		return 1
	rate=$(sed -n 's/.*blkbench: .*MBps=\([0-9]*\) IOPS=\([0-9]*\).*/\1 \2/p' \
		"$BENCH_TMP/out")
	if [ -z "$rate" ]; then
		bench_failed "$(metric "$row")" "$(unit "$row")" higher "$vmm"
		return 1
	fi
	record "$vmm" "$row" $rate
}

# record WHO ROW MBPS IOPS
record() {
	local value=$3
	[ "${MODE[$2]}" = randread ] && value=$4
	bench_sample "$(metric "$2")" "$(unit "$2")" higher "$1" "$r" "$value"
}

# host_run ROW: the host's own rate on the raw file (the ceiling of both
# formats: the file system under the image is the same).
host_run() {
	local row=$1 direct=() bs=${BS[$1]} count=$((MIB[$1] * 1048576 / BS[$1]))
	local target=$RAW
	cat "$RAW" >/dev/null
	[ "${NEW[$row]:-}" = 1 ] && target=$(image "$row")
	case ${MODE[$row]} in
	read|write)
		if [ "${CACHE[$row]}" = none ]; then
			[ "${MODE[$row]}" = read ] && direct=(iflag=direct) ||
				direct=(oflag=direct)
		fi
		if [ "${MODE[$row]}" = read ]; then
			dd if="$RAW" of=/dev/null bs=$bs count=$count \
				"${direct[@]}" 2>"$BENCH_TMP/dd"
		else
			dd if=/dev/zero of="$target" bs=$bs count=$count \
				conv=notrunc "${direct[@]}" 2>"$BENCH_TMP/dd"
		fi
		record "$HOST" "$row" $(awk -v mib="${MIB[$row]}" '/copied/ {
			for (i = 1; i <= NF; i++) if ($i == "s,") s = $(i - 1)
			printf "%d %d\n", mib * 1048576 / s / 1e6, mib / s }' \
			"$BENCH_TMP/dd")
		;;
	randread)
		command -v fio >/dev/null || return
		# fio drops the file's cached pages before it starts unless
		# told not to, which would make the page-cache rows disk reads.
		record "$HOST" "$row" $(fio --name=r --filename="$RAW" \
			--rw=randread --bs=$bs --iodepth=${QD[$row]} \
			--ioengine=io_uring --size=${IMG_MIB}M --invalidate=0 \
			--direct=$([ "${CACHE[$row]}" = none ] && echo 1 || echo 0) \
			--io_size=${MIB[$row]}M --output-format=terse \
			--terse-version=3 2>/dev/null |
			awk -F';' '{ printf "%d %d\n", $7 / 1000, $8 }')
		;;
	esac
}

VMMS=("$K")
bench_have_qemu && VMMS+=("$QPC")
for ((r = 0; r < RUNS; r++)); do
	for row in "${ROWS[@]}"; do
		[[ " ${FORMATS[*]} " == *" ${FORMAT[$row]} "* ]] || continue
		[[ $row =~ $ONLY ]] || continue
		bench_progress "round $((r + 1))/$RUNS: $(metric "$row")"
		mapfile -t order < <(bench_rotate "$r" "${VMMS[@]}" "$HOST")
		for who in "${order[@]}"; do
			if [ "$who" = "$HOST" ]; then
				host_run "$row"
			else
				vm_run "$who" "$row"
			fi
		done
	done
done
# After the measured rows, so that the report lists them first.
if [[ " ${FORMATS[*]} " != *" qcow2 "* ]]; then
	for row in "${ROWS[@]}"; do
		[[ $row =~ $ONLY ]] || continue
		[ "${FORMAT[$row]}" = qcow2 ] && bench_skip "$(metric "$row")" \
			"$(unit "$row")" higher "$K" "$NO_QCOW2"
	done
fi
bench_finish
