#!/usr/bin/env bash
# The runtime's user mode (guests/lib/usermode.c) and the benchmark guest
# that runs in it.  The usermode guest's calls must return their values
# from CPL 3, a user fault must reach the runtime's handler, and SYSCALL
# and SYSRET must move between the two.  blkbench
# polls the queue from CPL 3 and must move every byte it claims: a
# sequential write of a known pattern is checked in the image; reads,
# random reads and the kernel-mode wait=irq loop must complete their
# count.  (blkbench under QEMU needs -M pc, whose firmware takes up to a
# minute to boot on this loaded, emulating host: scripts/bench-blk.sh
# runs it there.)
. "$(dirname "$0")/lib.bash"

GUEST=$GUESTS/blkbench
IMG=$TMP/disk.img
IMG_MIB=4
WRITE_MIB=2
PATTERN='blkbench write.'	# and a newline: 16 bytes
VM="-m 64M $DEBUG_EXIT"
DISK="-drive file=$IMG,if=none,id=d,format=raw"
DEVICE="-device virtio-blk-pci,drive=d,num-queues=1"
OK=1		# guest status 0 through isa-debug-exit
BAD_ARGS=251	# GUEST_EXIT_BAD_ARGS
EXCEPTION=253	# GUEST_EXIT_EXCEPTION

# bench_case NAME APPEND BYTES -- ARGS...: the run and its count
bench_case() {
	local name=$1 append=$2 bytes=$3
	shift 4
	check "$name" $OK "^blkbench: .* bytes=$bytes us=[0-9]+ " -- \
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

check usermode_calls $OK "^usermode: 3 calls ok" -- $VM \
	-kernel $GUESTS/usermode
check_qemu qemu_usermode_calls $OK "^usermode: 3 calls ok" -- $QEMU_ARGS \
	-m 64M -kernel $GUESTS/usermode
# SYSCALL from user mode enters the kernel at CPL 0 and SYSRET comes back
# (kvm_pvm hosts need kvmlite's help: src/core/syscall_entry.c).  With
# that help on, other page faults, one at the entry itself (its 2 MiB
# page) included, and the guest's own debug exceptions reach the guest.
check usermode_syscall $OK "^usermode: syscall and sysret ok" -- $VM \
	-kernel $GUESTS/usermode -append syscall
check usermode_syscall_then_fault $EXCEPTION \
	"^EXCEPTION vector=14 error=0x5 " -- $VM -kernel $GUESTS/usermode \
	-append "syscall fault"
check usermode_jump_to_syscall_entry $EXCEPTION \
	"^EXCEPTION vector=14 error=0x5 rip=0x[0-9a-f]*[02468ace]00000\$" -- \
	$VM -kernel $GUESTS/usermode -append "syscall jump"
check usermode_syscall_then_single_step $EXCEPTION "^EXCEPTION vector=1 " \
	-- $VM -kernel $GUESTS/usermode -append "syscall step"
# Page fault, error code: present, read, user
check usermode_fault $EXCEPTION "^EXCEPTION vector=14 error=0x5 " -- $VM \
	-kernel $GUESTS/usermode -append fault

truncate -s ${IMG_MIB}M "$IMG"
bench_case blkbench_poll_write \
	"mode=write bs=65536 qd=4 total=$WRITE_MIB" $((WRITE_MIB << 20)) -- \
	$VM $DISK $DEVICE
check_written blkbench_poll_write_image
bench_case blkbench_poll_read "mode=read bs=4096 qd=8 total=1" \
	1048576 -- $VM $DISK,cache=none $DEVICE
bench_case blkbench_poll_randread \
	"mode=randread bs=4096 qd=32 total=1 wait=poll" 1048576 -- \
	$VM $DISK $DEVICE
bench_case blkbench_irq_read "mode=read bs=65536 qd=4 total=1 wait=irq" \
	1048576 -- $VM $DISK $DEVICE
check blkbench_bad_wait $BAD_ARGS "^usage: .*wait=poll\|irq" -- $VM $DISK \
	$DEVICE -kernel "$GUEST" -append "mode=read bs=4096 qd=1 total=1 wait=no"

# A new qcow2 image written at queue depth 16: a worker per request (one
# of them may be the thread in which glibc's malloc asks for the CPU
# count, which the sandbox must allow), every cluster allocated in space
# reserved ahead of the file's end, and what was not used given back at
# the end: the file ends where its last cluster does.
QCOW2=$TMP/disk.qcow2
"$KVMLITE_IMG" create -q -f qcow2 "$QCOW2" 16M
bench_case blkbench_qcow2_write "mode=write bs=1048576 qd=16 total=16" \
	$((16 << 20)) -- $VM $DEVICE \
	-drive file="$QCOW2",if=none,id=d,format=qcow2,cache=none
yes "$PATTERN" | head -c $((16 << 20)) >"$TMP/expected"
"$KVMLITE_IMG" convert -O raw "$QCOW2" "$TMP/back.raw"
if cmp -s "$TMP/expected" "$TMP/back.raw"; then
	pass blkbench_qcow2_write_data
else
	fail blkbench_qcow2_write_data "$(cmp "$TMP/expected" "$TMP/back.raw")"
fi
end=$("$KVMLITE_IMG" check "$QCOW2" | sed -n 's/^Image end offset: //p')
size=$(stat -c %s "$QCOW2")
if [ -n "$end" ] && [ "$size" = "$end" ]; then
	pass blkbench_qcow2_write_size
else
	fail blkbench_qcow2_write_size "file $size bytes, last cluster ends at" \
		"'$end'"
fi
