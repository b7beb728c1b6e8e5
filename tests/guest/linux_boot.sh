#!/usr/bin/env bash
# The Linux boot protocol: the linuxboot guest is a bzImage that checks,
# from inside, every field kvmlite set (entry state, boot_params, command
# line, e820, initrd placement and bytes).  No QEMU oracle: QEMU runs a
# bzImage's 16-bit setup code, which this image does not have, and loads
# the kernel at 1 MiB whatever pref_address says.
. "$(dirname "$0")/lib.bash"

BZ=$GUESTS/linuxboot
head -c 20005 /dev/urandom >"$TMP/initrd"
read -r sum size _ < <(cksum "$TMP/initrd")
ARGS="ram=1024 initrd_size=$size initrd_cksum=$sum"

check linux_boot_protocol_fields 1 '^linuxboot: all checks passed$' \
	"^linuxboot: cmdline: console=ttyS0 $ARGS\$" \
	'^linuxboot: e820 0x0000000000000000-0x000000000009fbff type 1$' \
	'^linuxboot: e820 0x0000000000100000-0x000000003fffffff type 1$' \
	"^linuxboot: initrd 0x37f[0-9a-f]{5}, $size bytes\$" \
	-- -m 1G $DEBUG_EXIT -kernel $BZ -initrd "$TMP/initrd" \
	-append "console=ttyS0 $ARGS"
check linux_boot_high_ram_no_initrd 1 '^linuxboot: all checks passed$' \
	'^linuxboot: e820 0x0000000000100000-0x00000000bfffffff type 1$' \
	'^linuxboot: e820 0x0000000100000000-0x000000017fffffff type 1$' \
	-- -m 5G $DEBUG_EXIT -kernel $BZ -append "ram=5120"
# The guest's checks can fail: a wrong checksum is caught.
check linux_boot_bad_initrd_cksum_caught 3 \
	'^linuxboot: FAIL initrd cksum' '^linuxboot: 1 checks failed$' \
	-- -m 1G $DEBUG_EXIT -kernel $BZ -initrd "$TMP/initrd" \
	-append "ram=1024 initrd_size=$size initrd_cksum=$((sum ^ 1))"

# Broken images: one line naming the file and what was expected.
patch_bytes() {
	cp $BZ "$TMP/$1"
	printf "$3" | dd of="$TMP/$1" bs=1 seek=$(($2)) conv=notrunc 2>/dev/null
}
head -c $(($(stat -c %s $BZ) - 16)) $BZ >"$TMP/truncated"
check_error bzimage_truncated "$TMP/truncated: truncated bzImage: " \
	-- -kernel "$TMP/truncated"
patch_bytes old 0x206 '\x05\x02'
check_error bzimage_protocol_too_old \
	"$TMP/old: Linux boot protocol 2.05 is too old; kvmlite needs 2.06" \
	-- -kernel "$TMP/old"
patch_bytes no64 0x236 '\x00'
check_error bzimage_without_64_bit_entry \
	"$TMP/no64: no 64-bit entry point .*kvmlite expects a 64-bit bzImage" \
	-- -kernel "$TMP/no64"
patch_bytes zimage 0x211 '\x00'
check_error zimage_rejected "$TMP/zimage: not a bzImage" \
	-- -kernel "$TMP/zimage"
check_error bzimage_cmdline_beyond_cmdline_size \
	"^kvmlite: -append: the command line is 3000 bytes; $BZ accepts at most 2047\$" \
	-- -kernel $BZ -append "$(head -c 3000 /dev/zero | tr '\0' x)"
