#!/usr/bin/env bash
# Image-format attacks (Cloud Hypervisor's GHSA-jmr4-g2hv-mjj6 is the
# model).  A guest cannot make a probed raw disk look like qcow2: its write
# of a qcow2 header to block 0 gets IOERR and the file is unchanged, while
# format=raw lets it through.  An image whose header names a hostile
# backing file is refused at startup with one line naming both files and
# the reason; a chain in the image's directory, or in backing-dirs=, boots.
. "$(dirname "$0")/lib.bash"

GUEST=$GUESTS/virtio_blk
IMG_TOOL=${IMG_TOOL:-$KVMLITE_IMG}
SECTORS=256
DIR=$TMP/images
OTHER=$TMP/elsewhere
VM="-m 64M $DEBUG_EXIT -kernel $GUEST"
DONE='^virtio_blk: done, [0-9]+ ok, 0 failed'

mkdir "$DIR" "$OTHER"
head -c $((SECTORS * 512)) /dev/urandom >"$TMP/orig.raw"

# --- a probed raw disk keeps block 0 raw -------------------------------

cp "$TMP/orig.raw" "$DIR/disk.raw"
check probed_raw_refuses_magic 1 '^virtio_blk: magic ok \(IOERR\)' "$DONE" \
	-- $VM -hda "$DIR/disk.raw" -append "capacity=$SECTORS magic=ioerr"
if cmp -s "$TMP/orig.raw" "$DIR/disk.raw"; then
	pass probed_raw_refuses_magic_image
else
	fail probed_raw_refuses_magic_image "the image changed"
fi
check explicit_raw_allows_magic 1 '^virtio_blk: magic ok \(OK\)' "$DONE" \
	-- $VM -drive file="$DIR/disk.raw",format=raw,if=virtio \
	-append "capacity=$SECTORS magic=ok"
if [ "$(head -c 4 "$DIR/disk.raw" | od -An -tx1 | tr -d ' ')" = 514649fb ]
then
	pass explicit_raw_allows_magic_image
else
	fail explicit_raw_allows_magic_image "no qcow2 magic in block 0"
fi

# --- backing files -------------------------------------------------------

# base.raw <- mid.qcow2 <- top.qcow2, all in $DIR
cp "$TMP/orig.raw" "$DIR/base.raw"
"$IMG_TOOL" create -q -f qcow2 -b base.raw -F raw "$DIR/mid.qcow2"
"$IMG_TOOL" create -q -f qcow2 -b mid.qcow2 -F qcow2 "$DIR/top.qcow2"
TOP="-drive file=$DIR/top.qcow2,if=virtio"
SUM=$(python3 -c 'import sys, zlib
print("sum=0+64:%08x" % zlib.crc32(open(sys.argv[1], "rb").read(32768)))' \
	"$TMP/orig.raw")

check chain_of_three_boots 1 '^virtio_blk: read_sum ok' "$DONE" -- \
	$VM $TOP,format=qcow2 -append "capacity=$SECTORS $SUM"
check_error probed_qcow2_backing_refused \
	"top.qcow2,if=virtio: Could not open backing file: '$DIR/mid.qcow2', the backing file of '$DIR/top.qcow2', is refused: the image's format was probed" \
	-- $VM $TOP

# set_backing IMAGE NAME FORMAT: what a hostile header would say
set_backing() {
	"$IMG_TOOL" rebase -u -b "$2" -F "$3" "$1"
}

set_backing "$DIR/mid.qcow2" /dev/zero raw
check_error backing_dev_zero_refused \
	"'/dev/zero', the backing file of '$DIR/mid.qcow2', is refused: it is under /dev" \
	-- $VM $TOP,format=qcow2
set_backing "$DIR/mid.qcow2" /proc/self/root"$DIR"/base.raw raw
check_error backing_proc_refused "is refused: it is under /proc" \
	-- $VM $TOP,format=qcow2
cp "$TMP/orig.raw" "$OTHER/base.raw"
set_backing "$DIR/mid.qcow2" "$OTHER/base.raw" raw
check_error backing_outside_refused \
	"'$OTHER/base.raw', the backing file of '$DIR/mid.qcow2', is refused: it is outside the allowed directories \($DIR\)" \
	-- $VM $TOP,format=qcow2
ln -s "$OTHER/base.raw" "$DIR/link.raw"
set_backing "$DIR/mid.qcow2" link.raw raw
check_error backing_symlink_escape_refused \
	"link.raw', the backing file of .* is refused: it is outside the allowed directories" \
	-- $VM $TOP,format=qcow2
check backing_dirs_allows 1 '^virtio_blk: read_sum ok' "$DONE" -- \
	$VM $TOP,format=qcow2,backing-dirs="$OTHER" \
	-append "capacity=$SECTORS $SUM"
