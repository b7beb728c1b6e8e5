#!/usr/bin/env bash
# The benchmark guest and the runtime's user mode it runs in: blkbench
# polls the queue from CPL 3 (guests/lib/usermode.c), and must move every
# byte it claims.  A sequential write of a known pattern is checked in
# the image; reads, random reads and the kernel-mode wait=irq loop must
# complete their count.  The same write under QEMU (-M pc, whose firmware
# assigns the BARs) shows the guest does not depend on kvmlite.
. "$(dirname "$0")/lib.bash"

GUEST=$GUESTS/blkbench
IMG=$TMP/disk.img
IMG_MIB=4
WRITE_MIB=2
PATTERN='blkbench write.'	# and a newline: 16 bytes
VM="-m 64M $DEBUG_EXIT"
DISK="-drive file=$IMG,if=none,id=d,format=raw"
DEVICE="-device virtio-blk-pci,drive=d,num-queues=1"
QEMU_PC="-M pc -enable-kvm -cpu host,+invtsc -nodefaults -no-user-config
	-display none -serial stdio $DEBUG_EXIT"
OK=1		# guest status 0 through isa-debug-exit
BAD_ARGS=251	# GUEST_EXIT_BAD_ARGS

# bench_case RUNNER NAME APPEND BYTES -- ARGS...: the run and its count
bench_case() {
	local runner=$1 name=$2 append=$3 bytes=$4
	shift 5
	"$runner" "$name" $OK "^blkbench: .* bytes=$bytes us=[0-9]+ " -- \
		"$@" -kernel "$GUEST" -append "$append"
}

# check_written NAME: the pattern over WRITE_MIB, zeros after it
check_written() {
	yes "$PATTERN" | head -c $((WRITE_MIB << 20)) >"$TMP/expected"
	head -c $(((IMG_MIB - WRITE_MIB) << 20)) /dev/zero >>"$TMP/expected"
	if cmp -s "$TMP/expected" "$IMG"; then
		pass "$1"
	else
		fail "$1" "$(cmp "$TMP/expected" "$IMG" 2>&1 | head -1)"
	fi
}

fresh_image() {
	rm -f "$IMG"
	truncate -s ${IMG_MIB}M "$IMG"
}

fresh_image
bench_case check blkbench_poll_write \
	"mode=write bs=65536 qd=4 total=$WRITE_MIB" $((WRITE_MIB << 20)) -- \
	$VM $DISK $DEVICE
check_written blkbench_poll_write_image
bench_case check blkbench_poll_read "mode=read bs=4096 qd=8 total=1" \
	1048576 -- $VM $DISK,cache=none $DEVICE
bench_case check blkbench_poll_randread \
	"mode=randread bs=4096 qd=32 total=1 wait=poll" 1048576 -- \
	$VM $DISK $DEVICE
bench_case check blkbench_irq_read "mode=read bs=65536 qd=4 total=1 wait=irq" \
	1048576 -- $VM $DISK $DEVICE
check blkbench_bad_wait $BAD_ARGS "^usage: .*wait=poll\|irq" -- $VM $DISK \
	$DEVICE -kernel "$GUEST" -append "mode=read bs=4096 qd=1 total=1 wait=no"

# SeaBIOS runs emulated here: -M pc alone takes seconds to boot.
fresh_image
BOOT_TIMEOUT=120 bench_case check_qemu qemu_blkbench_poll_write \
	"mode=write bs=65536 qd=4 total=$WRITE_MIB" $((WRITE_MIB << 20)) -- \
	$QEMU_PC $DISK $DEVICE,disable-legacy=on
have_qemu && check_written qemu_blkbench_poll_write_image
