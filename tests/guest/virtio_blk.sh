#!/usr/bin/env bash
# virtio-blk over raw images.  The virtio_blk guest finds the disk on the
# PCI bus, reads sectors whose CRC-32s it is given, writes a pattern,
# zeroes and discards ranges, and checks the error statuses; then the host
# checks the image bytes.  The same runs go to QEMU 7.2 (-M pc, whose
# firmware assigns the BARs) as the oracle: the command lines are the same
# but for the machine options.
. "$(dirname "$0")/lib.bash"

GUEST=$GUESTS/virtio_blk
SECTORS=2048
WRITE=100+8
ZERO=200+8
DISCARD=300+8
SERIAL=vguest-disk-0042
ORIG=$TMP/orig.img
IMG=$TMP/disk.img
VM="-m 64M -smp 2 $DEBUG_EXIT"
# The guest waits on the TSC; +invtsc gives it QEMU's TSC frequency leaf.
QEMU_PC="-M pc -enable-kvm -cpu host,+invtsc -nodefaults -no-user-config
	-display none -serial stdio $DEBUG_EXIT -smp 2"

CHECKS=(device features config irq_setup queues read_sum read_indirect
	multiqueue read_unaligned get_id write write_unaligned flush readback
	write_zeroes discard past_end unsupported reset)
# A read-only disk fails the writes as expected, and has nothing to read back.
RO_CHECKS=("${CHECKS[@]/readback}")

# crc FILE START COUNT: the CRC-32 of those sectors, as gzip records it
crc() {
	dd if="$1" bs=512 skip="$2" count="$3" status=none | gzip -c |
		tail -c8 | od -An -tx4 -N4 | tr -d ' '
}

# The first sector, 8 crossing a page, 64 (one request's worth), the last
head -c $((SECTORS * 512)) /dev/urandom >"$ORIG"
LAST=$((SECTORS - 1))
SUMS="sum=0+1:$(crc "$ORIG" 0 1),7+8:$(crc "$ORIG" 7 8)"
SUMS+=",1000+64:$(crc "$ORIG" 1000 64),$LAST+1:$(crc "$ORIG" $LAST 1)"
ARGS="capacity=$SECTORS $SUMS write=$WRITE zero=$ZERO discard=$DISCARD"

# overlay IMAGE RANGE SOURCE: SOURCE's bytes for sectors RANGE ("S+N")
overlay() {
	dd if="$3" of="$1" bs=512 seek="${2%+*}" count="${2#*+}" \
		conv=notrunc status=none
}

# expect_image RESULT OUT: the original with the guest's writes; what a
# discarded range reads is unspecified, so it is taken from RESULT.
expect_image() {
	cp "$ORIG" "$2"
	guest_pattern "${WRITE%+*}" "${WRITE#*+}" >"$TMP/pattern"
	overlay "$2" "$WRITE" "$TMP/pattern"
	overlay "$2" "$ZERO" /dev/zero
	dd if="$1" of="$2" bs=512 skip="${DISCARD%+*}" seek="${DISCARD%+*}" \
		count="${DISCARD#*+}" conv=notrunc status=none
}

# check_image NAME [readonly]: the image bytes after the run
check_image() {
	if [ "${2:-}" = readonly ]; then
		cp "$ORIG" "$TMP/expected"
	else
		expect_image "$IMG" "$TMP/expected"
	fi
	if cmp -s "$TMP/expected" "$IMG"; then
		pass "$1"
	else
		fail "$1" "$(cmp "$TMP/expected" "$IMG" 2>&1 | head -1)"
	fi
}

# patterns CHECK...: each check's "ok" line and a clean summary
patterns() {
	local c
	for c in "$@"; do
		[ -n "$c" ] && printf '^virtio_blk: %s ok\n' "$c"
	done
	printf '%s\n' '^virtio_blk: done, [0-9]+ ok, 0 failed'
}
mapfile -t PATS < <(patterns "${CHECKS[@]}")
mapfile -t RO_PATS < <(patterns "${RO_CHECKS[@]}")

# disk_case RUNNER NAME MODE APPEND -- ARGS...: boots the guest with
# -append APPEND on a fresh copy of the image (RUNNER check: kvmlite,
# check_qemu: QEMU), then checks the image.  MODE is rw or readonly.
disk_case() {
	local runner=$1 name=$2 mode=$3 append=$4
	local -a pats=("${PATS[@]}")
	shift 5
	[ "$mode" = readonly ] && pats=("${RO_PATS[@]}")
	if [ "$runner" = check_qemu ] && ! have_qemu; then
		echo "SKIP $name (qemu-system-x86_64 not installed)"
		return
	fi
	cp "$ORIG" "$IMG"
	"$runner" "$name" 1 "${pats[@]}" -- "$@" -kernel "$GUEST" \
		-append "$append"
	check_image "${name}_image" "$mode"
}

DISK="-drive file=$IMG,if=none,id=d,format=raw"
RO_ARGS="readonly queues=2 $ARGS"

disk_case check virtio_blk_msix rw "$ARGS queues=2 serial=$SERIAL" -- \
	$VM $DISK -device virtio-blk-pci,drive=d,num-queues=2,serial=$SERIAL
disk_case check virtio_blk_intx_cache_none rw "irq=intx $ARGS" -- \
	$VM $DISK,cache=none -device virtio-blk-pci,drive=d,num-queues=1
# Default queues (here and below): one per vCPU
disk_case check virtio_blk_readonly_addr readonly "$RO_ARGS slot=5" -- \
	$VM $DISK,readonly=on -device virtio-blk-pci,drive=d,addr=5
disk_case check virtio_blk_if_virtio rw "queues=2 $ARGS" -- \
	$VM -drive file=$IMG,if=virtio,format=raw
disk_case check virtio_blk_hda rw "queues=2 $ARGS" -- $VM -hda "$IMG"

# QEMU's virtio-blk-pci is transitional (1af4:1001) unless legacy is
# disabled; the guest drives either through the modern interface.  A
# 2 GiB ivshmem BAR leaves no room below 4 GiB, so the firmware moves the
# 64-bit BARs above, where kvmlite puts them.
BIG_BAR="-object memory-backend-ram,id=big,size=2G
	-device ivshmem-plain,memdev=big,addr=6"
disk_case check_qemu qemu_virtio_blk_msix rw \
	"$ARGS queues=2 serial=$SERIAL" -- $QEMU_PC $DISK $BIG_BAR -device \
	virtio-blk-pci,drive=d,num-queues=2,serial=$SERIAL,disable-legacy=on
disk_case check_qemu qemu_virtio_blk_intx_cache_none rw "irq=intx $ARGS" -- \
	$QEMU_PC $DISK,cache=none -device virtio-blk-pci,drive=d,num-queues=1
disk_case check_qemu qemu_virtio_blk_readonly_addr readonly "$RO_ARGS slot=5" \
	-- $QEMU_PC $DISK,readonly=on -device virtio-blk-pci,drive=d,addr=5
disk_case check_qemu qemu_virtio_blk_if_virtio rw "queues=2 $ARGS" -- \
	$QEMU_PC -drive file=$IMG,if=virtio,format=raw

# check_logs MAX NAME STATUS PATTERN... -- ARGS...: as check, and at most
# MAX lines on stderr.
check_logs() {
	local max=$1 result
	shift
	result=$("${RUNNER:-check}" "$@")
	if [[ $result == PASS* ]] && [ "$(wc -l <"$TMP/err")" -gt "$max" ]; then
		fail "$1" "more than $max line(s) on stderr:" \
			"$(head -5 "$TMP/err")"
	else
		printf '%s\n' "$result"
	fi
}

# The hostile guest: every attack, then a reset and a read that must match
# the one made before.  kvmlite must stay up, log at most one line per
# attack, and hold to its stricter contract ("strict", see the guest); the
# disk must not change.  Each attack gets its own boot under kvmlite.
HOSTILE=(loop self_loop next_oob head_oob avail_idx_jump addr_oob addr_hole
	addr_wrap giant_len zero_len no_status status_readonly header_writable
	sector_wrap sector_max zeroes_wrap zeroes_huge discard_wrap
	indirect_too_long indirect_bad_len indirect_zero_len indirect_len_huge
	indirect_nested indirect_loop indirect_next_oob indirect_oob
	indirect_with_next qsize_not_pow2 qsize_too_big qsize_zero
	desc_ring_oob avail_ring_oob used_ring_oob rings_misaligned
	notify_bad_queue kick_storm select_bad_queue msix_bad_vector
	dma_to_mmio config_write reset_inflight)
HOSTILE_DONE="^hostile_virtio: done, ${#HOSTILE[@]} attacks, 0 failed"
HOSTILE_DISK="$DISK -device virtio-blk-pci,drive=d,num-queues=2"

cp "$ORIG" "$IMG"
for attack in "${HOSTILE[@]}"; do
	# A boot takes well under a second: do not wait 30 for a hang.
	BOOT_TIMEOUT=10 check_logs 1 "hostile_virtio_$attack" 1 \
		"^hostile_virtio: $attack ok" -- $VM $HOSTILE_DISK \
		-kernel $GUESTS/hostile_virtio -append "strict only=$attack"
done
check_logs ${#HOSTILE[@]} hostile_virtio_all 1 "$HOSTILE_DONE" \
	-- $VM $HOSTILE_DISK -kernel $GUESTS/hostile_virtio -append strict
check_image hostile_virtio_image readonly

# QEMU 7.2 survives every attack too (logging one line for most), but
# completes some that kvmlite must refuse: see the guest's table.
if have_qemu; then
	cp "$ORIG" "$IMG"
	RUNNER=check_qemu check_logs ${#HOSTILE[@]} qemu_hostile_virtio 1 \
		"$HOSTILE_DONE" -- $QEMU_PC $HOSTILE_DISK,disable-legacy=on \
		-kernel $GUESTS/hostile_virtio
	check_image qemu_hostile_virtio_image readonly
else
	echo "SKIP qemu_hostile_virtio (qemu-system-x86_64 not installed)"
fi
