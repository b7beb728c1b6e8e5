#!/usr/bin/env bash
# -snapshot and -drive snapshot=on, as in QEMU: the virtio_blk guest reads
# the image through the temporary overlay, writes a pattern, zeroes,
# discards, even a qcow2 header into block 0, and reads its writes back;
# afterwards the image is byte for byte what it was and the temporary
# directory is empty.  While one kvmlite holds an image under -snapshot,
# the overlay is already unlinked, another kvmlite may read the image but
# not write it, and a SIGKILL leaves nothing behind.
. "$(dirname "$0")/lib.bash"

GUEST=$GUESTS/virtio_blk
IMG_TOOL=${IMG_TOOL:-$KVMLITE_IMG}
SECTORS=2048
OVERLAYS=$TMP/overlays
RAW=$TMP/disk.raw
QCOW2=$TMP/disk.qcow2
VM="-m 64M $DEBUG_EXIT -kernel $GUEST"
DONE='^virtio_blk: done, [0-9]+ ok, 0 failed'

mkdir "$OVERLAYS"
head -c $((SECTORS * 512)) /dev/urandom >"$RAW"
"$IMG_TOOL" convert -f raw -O qcow2 "$RAW" "$QCOW2"

# The image's sectors 0 and 1000-1063, as the guest checks them (CRC-32)
SUMS=$(python3 -c 'import sys, zlib
d = open(sys.argv[1], "rb").read()
print("sum=0+1:%08x,1000+64:%08x" % (zlib.crc32(d[:512]),
      zlib.crc32(d[1000 * 512:1064 * 512])))' "$RAW")
RW="capacity=$SECTORS $SUMS write=100+8 zero=200+8 discard=300+8 magic=ok"
RO="capacity=$SECTORS $SUMS readonly write=100+8 magic=ioerr"

# unchanged NAME IMAGE: IMAGE is still the copy saved in $TMP/before
unchanged() {
	if cmp -s "$TMP/before" "$2"; then
		pass "$1"
	else
		fail "$1" "$(cmp "$TMP/before" "$2" 2>&1 | head -1)"
	fi
}

no_overlay_left() {
	local left
	left=$(ls -A "$OVERLAYS")
	if [ -z "$left" ]; then
		pass "$1"
	else
		fail "$1" "left in \$TMPDIR: $left"
		rm -f "$OVERLAYS"/*
	fi
}

# snap_case NAME IMAGE APPEND -- ARGS...: a boot with $TMPDIR at
# $OVERLAYS; the guest's checks pass, the image and $TMPDIR stay as they
# were.
snap_case() {
	local name=$1 image=$2 append=$3
	shift 4
	cp "$image" "$TMP/before"
	TMPDIR=$OVERLAYS check "$name" 1 '^virtio_blk: readback ok' \
		'^virtio_blk: read_sum ok' "$DONE" -- $VM "$@" \
		-append "$append"
	unchanged "${name}_image" "$image"
	no_overlay_left "${name}_no_overlay"
}

snap_case snapshot_raw "$RAW" "$RW" -- -snapshot \
	-drive file="$RAW",format=raw,if=virtio
# Probed raw: the guest's block 0 goes to the overlay, so it is allowed.
snap_case snapshot_raw_probed "$RAW" "$RW" -- -snapshot -hda "$RAW"
snap_case snapshot_qcow2 "$QCOW2" "$RW" -- -snapshot \
	-drive file="$QCOW2",format=qcow2,if=none,id=d \
	-device virtio-blk-pci,drive=d
snap_case snapshot_drive_option "$QCOW2" "$RW" -- \
	-drive file="$QCOW2",if=virtio,snapshot=on

# readonly=on: the overlay is read-only too, as QEMU's.
cp "$RAW" "$TMP/before"
TMPDIR=$OVERLAYS check snapshot_readonly 1 '^virtio_blk: magic ok' "$DONE" \
	-- $VM -snapshot -drive file="$RAW",format=raw,if=virtio,readonly=on \
	-append "$RO"
unchanged snapshot_readonly_image "$RAW"

# snapshot=off on the drive wins over -snapshot: the guest's writes land.
cp "$RAW" "$TMP/scratch.raw"
check snapshot_off_wins 1 "$DONE" -- $VM -snapshot \
	-drive file="$TMP/scratch.raw",format=raw,if=virtio,snapshot=off \
	-append "$RW"
if cmp -s "$RAW" "$TMP/scratch.raw"; then
	fail snapshot_off_wins_image "the image did not change"
else
	pass snapshot_off_wins_image
fi

# --- a second user while -snapshot holds the image ---------------------

# wait_locked PID FILE: until PID holds an OFD lock on FILE (5 s at most)
wait_locked() {
	local ino tries
	ino=$(stat -c %i "$2")
	for tries in $(seq 50); do
		grep -q "OFDLCK.*:$ino " /proc/locks && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

cp "$RAW" "$TMP/before"
TMPDIR=$OVERLAYS "$KVMLITE" -S -snapshot $VM \
	-drive file="$RAW",format=raw,if=virtio </dev/null >/dev/null \
	2>"$TMP/held.err" &
held=$!
if wait_locked $held "$RAW"; then
	pass snapshot_held
else
	fail snapshot_held "$(cat "$TMP/held.err")"
fi
no_overlay_left snapshot_unlinked_while_running
check snapshot_shared_reader 1 "$DONE" -- $VM \
	-drive file="$RAW",format=raw,if=virtio,readonly=on -append "$RO"
run_vm "$TMP/out" "$TMP/err" -- $VM -drive file="$RAW",format=raw,if=virtio \
	-append "$RW"
if [ "$status" = 1 ] && grep -q 'Failed to get "write" lock' "$TMP/err"; then
	pass snapshot_no_second_writer
else
	fail snapshot_no_second_writer "exit status $status: $(cat "$TMP/err")"
fi
kill -9 $held
wait $held 2>/dev/null
unchanged snapshot_killed_image "$RAW"
no_overlay_left snapshot_killed_no_overlay
