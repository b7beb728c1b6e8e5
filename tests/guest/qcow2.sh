#!/usr/bin/env bash
# qcow2 images made by qemu-img, read and written by the virtio_blk guest
# through kvmlite: every cluster size, compat 0.10 and 1.1, lazy refcounts,
# refcount widths, a 3-deep backing chain, compressed clusters and internal
# snapshots.  qemu-img is the independent oracle: it makes the raw shadow
# the guest's checksums come from, and afterwards `qemu-img check` must find
# no errors and `qemu-img compare` must match the shadow with the guest's
# writes applied on the host.
. "$(dirname "$0")/lib.bash"

if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
	echo "SKIP qcow2 (qemu-img or qemu-io not installed)"
	exit 0
fi

SECTORS=8192
# A write (one descriptor a sector: at most 62 in a 64-entry queue) and a
# zeroing across cluster boundaries (2 MiB = sector 4096),
# a discard whose effect is the image's choice.
WRITE=4072+48
ZERO=1020+8
DISCARD=6200+16
# Ranges where the layout changes: data to hole at 1 MiB, hole to text at
# 2 MiB, text to random data at 3 MiB, and both ends.
SUM_RANGES=(0+1 7+8 1000+64 2040+16 4090+64 6130+64 5000+64 8191+1)
VM="-m 64M -smp 2 $DEBUG_EXIT"
ORIG=$TMP/orig.raw
IMG=$TMP/disk.qcow2
SHADOW=$TMP/shadow.raw

# crc FILE S+N: the CRC-32 of those sectors, as gzip records it
crc() {
	dd if="$1" bs=512 skip="${2%+*}" count="${2#*+}" status=none |
		gzip -c | tail -c8 | od -An -tx4 -N4 | tr -d ' '
}

# put FILE S+N SOURCE [SKIP]: SOURCE's sectors from SKIP onto FILE's S+N
put() {
	dd if="$3" of="$1" bs=512 seek="${2%+*}" skip="${4:-0}" \
		count="${2#*+}" conv=notrunc status=none
}

# 1 MiB random, 1 MiB hole, 1 MiB compressible text, 1 MiB random
make_orig() {
	truncate -s $((SECTORS * 512)) "$ORIG"
	head -c 1M /dev/urandom | put "$ORIG" 0+2048 /dev/stdin
	seq -f 'line %08g of compressible text' 40000 | head -c 1M |
		put "$ORIG" 4096+2048 /dev/stdin
	head -c 1M /dev/urandom | put "$ORIG" 6144+2048 /dev/stdin
}

# guest_args: the guest's command line, its checksums from the shadow
guest_args() {
	local r sums=
	for r in "${SUM_RANGES[@]}"; do
		sums+="${sums:+,}$r:$(crc "$SHADOW" "$r")"
	done
	echo "capacity=$SECTORS queues=2 sum=$sums write=$WRITE zero=$ZERO" \
		"discard=$DISCARD"
}

# expect_writes RESULT: the guest's writes onto the shadow; what the
# discarded range reads is the image's choice, so it comes from RESULT.
expect_writes() {
	guest_pattern "${WRITE%+*}" "${WRITE#*+}" >"$TMP/pattern"
	put "$SHADOW" "$WRITE" "$TMP/pattern"
	put "$SHADOW" "$ZERO" /dev/zero
	put "$SHADOW" "$DISCARD" "$1" "${DISCARD%+*}"
}

# check_result NAME: qemu-img check and compare after the guest's run
check_result() {
	local name=$1 out
	if ! out=$(qemu-img check -f qcow2 "$IMG" 2>&1); then
		fail "${name}_check" "$(printf '%s\n' "$out" | head -5)"
	else
		pass "${name}_check"
	fi
	qemu-img convert -f qcow2 -O raw "$IMG" "$TMP/result.raw"
	expect_writes "$TMP/result.raw"
	if out=$(qemu-img compare -f qcow2 -F raw "$IMG" "$SHADOW" 2>&1); then
		pass "${name}_compare"
	else
		fail "${name}_compare" "$out"
	fi
}

# guest_case NAME: boots the guest on $IMG (format qcow2), its checksums
# taken from qemu-img's reading of the image, then checks the result.
guest_case() {
	local name=$1
	qemu-img convert -f qcow2 -O raw "$IMG" "$SHADOW"
	check "$name" 1 '^virtio_blk: read_sum ok' '^virtio_blk: readback ok' \
		'^virtio_blk: done, [0-9]+ ok, 0 failed' -- $VM \
		-drive file="$IMG",if=none,id=d,format=qcow2 \
		-device virtio-blk-pci,drive=d,num-queues=2 \
		-kernel "$GUESTS/virtio_blk" -append "$(guest_args)"
	check_result "$name"
}

# converted NAME QEMU-IMG-CONVERT-ARGS...: ORIG converted to qcow2
converted() {
	local name=$1
	shift
	rm -f "$IMG"
	qemu-img convert -f raw -O qcow2 "$@" "$ORIG" "$IMG"
	guest_case "$name"
}

# qio IMAGE COMMAND...: qemu-io writes into an image
qio() {
	local img=$1
	shift
	qemu-io -f qcow2 "${@/#/-c}" "$img" >/dev/null
}

make_orig
converted qcow2_cluster_512 -o cluster_size=512
converted qcow2_cluster_4k -o cluster_size=4k
converted qcow2_compat_010 -o compat=0.10,cluster_size=64k
converted qcow2_cluster_2m -o cluster_size=2M
converted qcow2_lazy_refcounts -o compat=1.1,lazy_refcounts=on
converted qcow2_refcount_bits_1 -o refcount_bits=1,cluster_size=4k
converted qcow2_refcount_bits_64 -o refcount_bits=64
converted qcow2_compressed -c -o cluster_size=64k

# A 3-deep chain: each overlay changes part of what is below it, including
# a zero cluster over data and data over the hole.
rm -f "$IMG"
qemu-img convert -f raw -O qcow2 "$ORIG" "$TMP/base.qcow2"
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$TMP/mid.qcow2"
qio "$TMP/mid.qcow2" "write -P 0xaa 1020k 72k" "write -P 0x5b 3M 64k"
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 "$IMG"
qio "$IMG" "write -z 0 64k" "write -P 0x3c 1040k 4k"
before=$(cat "$TMP/base.qcow2" "$TMP/mid.qcow2" | md5sum)
guest_case qcow2_backing_chain
if [ "$(cat "$TMP/base.qcow2" "$TMP/mid.qcow2" | md5sum)" = "$before" ]; then
	pass qcow2_backing_chain_backing_untouched
else
	fail qcow2_backing_chain_backing_untouched "a backing file changed"
fi

# Internal snapshots: the guest's writes to clusters a snapshot shares must
# copy them, leaving the snapshot as it was.
rm -f "$IMG"
qemu-img convert -f raw -O qcow2 -o cluster_size=4k "$ORIG" "$IMG"
qemu-img snapshot -c first "$IMG"
qio "$IMG" "write -P 0x77 2044k 8k"
qemu-img convert -f qcow2 -O raw "$IMG" "$TMP/second.raw"
qemu-img snapshot -c second "$IMG"
guest_case qcow2_snapshots
for snap in first second; do
	ref=$ORIG
	[ "$snap" = second ] && ref=$TMP/second.raw
	qemu-img convert -f qcow2 -O raw -l "$snap" "$IMG" "$TMP/snap.raw"
	if cmp -s "$TMP/snap.raw" "$ref"; then
		pass "qcow2_snapshot_${snap}_kept"
	else
		fail "qcow2_snapshot_${snap}_kept" "$(cmp "$TMP/snap.raw" "$ref")"
	fi
done
