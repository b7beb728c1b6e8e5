#!/usr/bin/env bash
# kvmlite killed with SIGKILL at a random moment while the blkflush guest
# writes and flushes a qcow2 image made by qemu-img, round after round:
# the first passes allocate clusters, later ones rewrite them.  Each
# round `qemu-img check` must find no corruption (leaked clusters are
# allowed) and every sector must hold what the last generation the guest
# saw durable left there, or something written after it.  Cluster sizes
# and cache modes vary by round.  QCOW2_CRASH_ROUNDS (default 8; `make
# crash-qcow2` runs 50).
. "$(dirname "$0")/lib.bash"

if ! command -v qemu-img >/dev/null; then
	echo "SKIP qcow2_crash (qemu-img not installed)"
	exit 0
fi

ROUNDS=${QCOW2_CRASH_ROUNDS:-8}
SECTORS=64
SLOTS=32
IMG=$TMP/crash.qcow2
RAW=$TMP/crash.raw
CLUSTERS=(512 4096 65536)
CACHES=(writeback none)

# crash_round N: one guest killed after a random delay, then judged.
crash_round() {
	local n=$1 cluster=${CLUSTERS[$(($1 % 3))]} cache=${CACHES[$(($1 % 2))]}
	local name="qcow2_kill9_round_$n" pid durable check stale
	qemu-img create -q -f qcow2 -o cluster_size=$cluster "$IMG" \
		$((SECTORS * SLOTS * 512))
	"$KVMLITE" -m 64M -nographic -kernel $GUESTS/blkflush \
		-append "sectors=$SECTORS slots=$SLOTS" \
		-drive "file=$IMG,if=virtio,format=qcow2,cache=$cache" \
		</dev/null >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	sleep "$(printf '%d.%02d' $((RANDOM % 2)) $((RANDOM % 100)))"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	durable=$(sed -n 's/^blkflush: generation \([0-9]*\) durable/\1/p' \
		  "$TMP/out" | tail -n 1)
	check=$(qemu-img check "$IMG" 2>&1)
	case $? in
	0 | 3) ;;
	*)
		fail "$name" "cluster_size=$cluster cache=$cache, killed after" \
			"generation ${durable:-none}: $check"
		return
		;;
	esac
	qemu-img convert -f qcow2 -O raw "$IMG" "$RAW"
	stale=$(blkflush_stale "$RAW" "${durable:-0}" $SECTORS $SLOTS)
	if [ -n "$stale" ]; then
		fail "$name" "cluster_size=$cluster cache=$cache, after" \
			"generation ${durable:-none} was durable: $stale"
	else
		pass "$name"
	fi
}

for ((round = 0; round < ROUNDS; round++)); do
	crash_round $round
done
