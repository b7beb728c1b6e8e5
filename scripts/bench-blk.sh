#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# virtio-blk benchmark: the blkbench guest under kvmlite and under
# qemu-system-x86_64 -enable-kvm (its default machine) with the same raw
# image and device options, both pinned to the same host CPUs, and the
# host itself on the same file as the ceiling (dd for sequential rows,
# fio for random reads, installed if missing).  Rows: sequential read
# and write with 1 MiB requests at queue depth 16, 4 KiB random reads at
# queue depth 32; each with the page cache (cache=writeback, the image
# read once beforehand so it is hot) and with cache=none (O_DIRECT).
# The guest times its own transfer, so boot time is not in the figures.
#
# Usage: scripts/bench-blk.sh
#   env RUNS=N (default 5), CPUS=list (default 0-1), SEQ_MIB (default 256),
#   RAND_MIB (default 8), DIR (default build/bench-blk: on the disk, not
#   a tmpfs, so that O_DIRECT works)
# Prints a Markdown report and writes it to bench/blk.md.

set -u
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
CPUS=${CPUS:-0-1}
SEQ_MIB=${SEQ_MIB:-256}
RAND_MIB=${RAND_MIB:-8}
DIR=${DIR:-build/bench-blk}
TIMEOUT=120
GUEST=build/guests/blkbench
IMG=$DIR/disk.img
OUT=bench/blk.md
QEMU=${QEMU:-qemu-system-x86_64}

die() { echo "bench-blk: $*" >&2; exit 1; }

make -s kvmlite guests >&2 || die "cannot build kvmlite or the guests"
command -v fio >/dev/null ||
	{ apt-get install -y -qq fio >/dev/null 2>&1 ||
	  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq fio >/dev/null 2>&1; }; }
mkdir -p "$DIR" bench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# An image of data, twice the sequential transfer so reads wrap less.
IMG_MIB=$((SEQ_MIB * 2))
if [ "$(stat -c %s "$IMG" 2>/dev/null)" != $((IMG_MIB << 20)) ]; then
	dd if=/dev/urandom of="$IMG" bs=1M count=$IMG_MIB status=none ||
		die "cannot write $IMG"
fi

ROWS=(read-wb write-wb randread-wb read-none write-none randread-none)
declare -A MODE BS QD MIB CACHE
for cache in wb none; do
	MODE[read-$cache]=read;         BS[read-$cache]=1048576; QD[read-$cache]=16; MIB[read-$cache]=$SEQ_MIB
	MODE[write-$cache]=write;       BS[write-$cache]=1048576; QD[write-$cache]=16; MIB[write-$cache]=$SEQ_MIB
	MODE[randread-$cache]=randread; BS[randread-$cache]=4096; QD[randread-$cache]=32; MIB[randread-$cache]=$RAND_MIB
	for m in read write randread; do
		CACHE[$m-$cache]=$([ $cache = wb ] && echo writeback || echo none)
	done
done

DEBUG_EXIT=(-device isa-debug-exit,iobase=0xf4,iosize=4)

# vm_run VMM ROW: one guest run; prints "MBps IOPS" or nothing on failure.
vm_run() {
	local vmm=$1 row=$2 drive
	local append="mode=${MODE[$row]} bs=${BS[$row]} qd=${QD[$row]} total=${MIB[$row]}"
	drive="file=$IMG,if=none,id=d,format=raw,cache=${CACHE[$row]}"
	cat "$IMG" >/dev/null	# page cache hot for every row alike
	if [ "$vmm" = kvmlite ]; then
		taskset -c "$CPUS" timeout $TIMEOUT ./kvmlite -m 256M -nographic \
			"${DEBUG_EXIT[@]}" -kernel "$GUEST" -append "$append" \
			-drive "$drive" -device virtio-blk-pci,drive=d,num-queues=1 \
			</dev/null >"$TMP/out" 2>"$TMP/err"
	else
		taskset -c "$CPUS" timeout $TIMEOUT "$QEMU" -enable-kvm -cpu host,+invtsc \
			-m 256M -nodefaults -no-user-config -display none -serial stdio \
			"${DEBUG_EXIT[@]}" -kernel "$GUEST" -append "$append" \
			-drive "$drive" -device virtio-blk-pci,drive=d,num-queues=1,disable-legacy=on \
			</dev/null >"$TMP/out" 2>"$TMP/err"
	fi
	sed -n 's/.*blkbench: .*MBps=\([0-9]*\) IOPS=\([0-9]*\).*/\1 \2/p' "$TMP/out"
}

# host_run ROW: the host's own rate on the same file.
host_run() {
	local row=$1 direct=() bs=${BS[$1]} count=$((MIB[$1] * 1048576 / BS[$1]))
	cat "$IMG" >/dev/null
	case ${MODE[$row]} in
	read|write)
		if [ "${CACHE[$row]}" = none ]; then
			[ "${MODE[$row]}" = read ] && direct=(iflag=direct) || direct=(oflag=direct)
		fi
		if [ "${MODE[$row]}" = read ]; then
			dd if="$IMG" of=/dev/null bs=$bs count=$count "${direct[@]}" 2>"$TMP/dd"
		else
			dd if=/dev/zero of="$IMG" bs=$bs count=$count conv=notrunc "${direct[@]}" 2>"$TMP/dd"
		fi
		awk -v mib="${MIB[$row]}" '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") s = $(i-1); printf "%d %d\n", mib * 1048576 / s / 1e6, mib / s }' "$TMP/dd"
		;;
	randread)
		command -v fio >/dev/null || return
		fio --name=r --filename="$IMG" --rw=randread --bs=$bs --iodepth=${QD[$row]} \
			--ioengine=io_uring --direct=$([ "${CACHE[$row]}" = none ] && echo 1 || echo 0) \
			--size=$((IMG_MIB))M --io_size=${MIB[$row]}M --output-format=terse \
			--terse-version=3 2>/dev/null |
			awk -F';' '{ printf "%d %d\n", $7 / 1000, $8 }'
		;;
	esac
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

declare -A RES
for ((r = 0; r < RUNS; r++)); do
	for row in "${ROWS[@]}"; do
		for who in kvmlite qemu host; do
			if [ $who = host ]; then res=$(host_run "$row"); else res=$(vm_run $who "$row"); fi
			[ -n "$res" ] && echo "$res" >>"$TMP/$who.$row"
		done
	done
	echo "bench-blk: round $((r + 1))/$RUNS done" >&2
done

# value WHO ROW: the median in the row's unit (MB/s, or IOPS for randread)
value() {
	local col=1
	[ "${MODE[$2]}" = randread ] && col=2
	[ -s "$TMP/$1.$2" ] || { echo failed; return; }
	awk -v c=$col '{ print $c }' "$TMP/$1.$2" | median
}

{
	echo "# kvmlite virtio-blk benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo none)," \
	     "kernel $(uname -r), $(nproc) CPUs, VMMs pinned to CPUs $CPUS, medians of $RUNS runs," \
	     "$($QEMU --version | head -1), raw image of $IMG_MIB MiB on $(df -T "$DIR" | awk 'NR == 2 { print $2 }')."
	echo
	echo "| row | unit | kvmlite | QEMU | host | kvmlite / QEMU | kvmlite / host |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
	for row in "${ROWS[@]}"; do
		k=$(value kvmlite "$row"); q=$(value qemu "$row"); h=$(value host "$row")
		unit="MB/s"; [ "${MODE[$row]}" = randread ] && unit=IOPS
		ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
		echo "| ${MODE[$row]} ${BS[$row]} B qd ${QD[$row]} cache=${CACHE[$row]} | $unit | $k | $q | $h | $(ratio "$k" "$q") | $(ratio "$k" "$h") |"
	done
	echo
	echo "Targets: kvmlite ≥ QEMU on every row; ≥ 0.80 of the host for the 1 MiB sequential rows."
	echo "Host: dd with bs=1M (iflag/oflag=direct for cache=none); fio io_uring randread for the 4 KiB rows."
} >"$TMP/report.md"
cp "$TMP/report.md" "$OUT"
cat "$OUT"
echo "(written to $OUT)" >&2
