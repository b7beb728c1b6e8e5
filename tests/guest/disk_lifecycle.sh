#!/usr/bin/env bash
# A disk across kvmlite's end: SIGTERM while the blkflush guest rewrites
# and flushes its disk must leave every sector at the last generation the
# guest saw flushed, or a later one, and the image unlocked.
. "$(dirname "$0")/lib.bash"

SECTORS=64
IMG=$TMP/flush.img

# sigterm_during_writes NAME DRIVE-OPTIONS
sigterm_during_writes() {
	local name=$1 drive=$2 pid durable stale i again
	truncate -s 1M "$IMG"
	# The last case's output must not look like this one's progress.
	rm -f "$TMP/out"
	"$KVMLITE" -m 64M -nographic $DEBUG_EXIT -kernel $GUESTS/blkflush \
		-append "sectors=$SECTORS" -drive "file=$IMG,$drive" \
		</dev/null >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -q 'generation 3 durable' "$TMP/out" && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	durable=$(sed -n 's/^blkflush: generation \([0-9]*\) durable/\1/p' \
		  "$TMP/out" | tail -n 1)
	stale=$(blkflush_stale "$IMG" "${durable:-0}" $SECTORS)
	timeout 10 "$KVMLITE" -m 64M -nographic $DEBUG_EXIT -kernel $GUESTS/blkflush \
		-append "sectors=1 passes=1" -drive "file=$IMG,$drive" \
		</dev/null >/dev/null 2>"$TMP/err2"
	again=$?
	if [ "$status" != 0 ] || [ -z "$durable" ] || [ "$durable" -lt 3 ]; then
		fail "$name" "exit status $status, last durable generation '$durable'" \
			"stdout: $(tail -c 300 "$TMP/out")" "stderr: $(cat "$TMP/err")"
	elif ! grep -q 'terminating on signal 15' "$TMP/err"; then
		fail "$name" "no 'terminating on signal 15' line: $(cat "$TMP/err")"
	elif [ -n "$stale" ]; then
		fail "$name" "after generation $durable was durable: $stale"
	elif [ "$again" != 1 ]; then
		fail "$name" "reusing the image: status $again: $(cat "$TMP/err2")"
	else
		pass "$name"
	fi
}

sigterm_during_writes sigterm_during_writes_writeback "format=raw,if=virtio"
sigterm_during_writes sigterm_during_writes_cache_none \
	"format=raw,if=virtio,cache=none"
sigterm_during_writes sigterm_during_writes_threads \
	"format=raw,if=virtio,aio=threads"
