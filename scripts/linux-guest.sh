#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Makes a Linux test guest from Debian packages only: the distribution
# kernel (linux-image-amd64's current linux-image-*-amd64) and
# busybox-static, fetched with apt-get download.
#
# Usage: scripts/linux-guest.sh [OUTDIR]	(default build/linux)
# Leaves in OUTDIR:
#   vmlinuz		the kernel as packaged (a bzImage)
#   vmlinux		the ELF kernel inside it (decompressed payload), which
#			boots through PVH without the emulated decompressor
#   initramfs.cpio	busybox, the modules below with their dependencies,
#			and guests/linux/init as /init
#   release		the kernel release (uname -r)
# Modules: virtio_pci, virtio_blk, e1000, ext4 (and crc32c for it).
# Only what is missing or older than its source is made again.

set -eu
cd "$(dirname "$0")/.."

OUT=$(realpath -m "${1:-build/linux}")
MODULES="virtio_pci virtio_blk e1000 ext4 crc32c_generic"
DEBS=$OUT/debs
ROOT=$OUT/root

die() {
	echo "linux-guest.sh: $*" >&2
	exit 1
}

# The kernel package linux-image-amd64 points at today.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

fetch() {
	local pkg
	mkdir -p "$DEBS"
	pkg=$(kernel_package)
	[ -n "$pkg" ] || die "apt-cache knows no linux-image-amd64 (run apt-get update)"
	for p in "$pkg" busybox-static; do
		ls "$DEBS/${p}"_*.deb >/dev/null 2>&1 && continue
		(cd "$DEBS" && apt-get download "$p") ||
			die "apt-get download $p failed"
	done
	[ -x "$ROOT/bin/busybox" ] && ls "$ROOT"/boot/vmlinuz-* >/dev/null 2>&1 &&
		return
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	dpkg-deb -x "$DEBS/${pkg}"_*.deb "$ROOT"
	dpkg-deb -x "$DEBS"/busybox-static_*.deb "$ROOT"
}

# Little-endian unsigned integer of $3 bytes at offset $2 of file $1.
le() {
	od -An -tu"$3" -j "$2" -N "$3" "$1" | tr -d ' '
}

# The bzImage's payload (boot.rst: payload_offset/payload_length, from
# the end of the setup sectors) is the compressed ELF kernel.
extract_vmlinux() {
	local bz=$1 sects setup off len magic
	sects=$(le "$bz" $((0x1f1)) 1)
	[ "$sects" = 0 ] && sects=4
	setup=$(((sects + 1) * 512))
	off=$(le "$bz" $((0x248)) 4)
	len=$(le "$bz" $((0x24c)) 4)
	tail -c +$((setup + off + 1)) "$bz" | head -c "$len" >"$OUT/payload"
	magic=$(od -An -tx1 -N 4 "$OUT/payload" | tr -d ' ')
	# The payload ends with the kernel's size: one stream, then stop.
	case $magic in
	fd377a58) xz -dc --single-stream "$OUT/payload" ;;
	28b52ffd) zstd -dcq "$OUT/payload" ;;
	1f8b*) gzip -dc "$OUT/payload" 2>/dev/null || true ;;
	*) die "$bz: unknown payload compression (magic $magic)" ;;
	esac >"$OUT/vmlinux"
	rm -f "$OUT/payload"
	[ "$(od -An -c -j 1 -N 3 "$OUT/vmlinux" | tr -d ' ')" = ELF ] ||
		die "$bz: the payload is not an ELF kernel"
}

# Each module with everything modules.dep says it needs.
module_closure() {
	local dep=$1 m
	for m in $MODULES; do
		awk -v m="$m" '{
			name = $1
			sub(/:$/, "", name)
			n = split(name, parts, "/")
			base = parts[n]
			sub(/\.ko.*$/, "", base)
			gsub("-", "_", base)
			if (base == m) {
				print name
				for (i = 2; i <= NF; i++)
					print $i
			}
		}' "$dep"
	done | sort -u
}

# Drops a module's appended signature (PKCS#7, then struct
# module_signature with its length in the last 4 of 12 bytes, then the
# marker).  The kernel checks a signature where there is one, hashing the
# whole module and verifying RSA in kernel code, which hosts that emulate
# guest kernel code run at about a million instructions a second; the
# Debian kernel does not require signatures, so it loads the same module
# without (and taints itself "module verification failed").
unsign_module() {
	local f=$1 marker='~Module signature appended~' size siglen
	[ "$(tail -c 28 "$f")" = "$marker" ] || return 0
	siglen=$(tail -c 32 "$f" | head -c 4 | od -An -tu4 --endian=big)
	size=$(stat -c %s "$f")
	truncate -s $((size - 28 - 12 - siglen)) "$f"
}

make_initramfs() {
	local rel=$1 bb=$ROOT/bin/busybox stage=$OUT/initramfs
	local moddir=lib/modules/$rel mod
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,dev,proc,sys,mnt,tmp,"$moddir"}
	cp "$bb" "$stage/bin/busybox"
	cp guests/linux/init "$stage/init"
	chmod 755 "$stage/init"
	"$bb" depmod -b "$ROOT" "$rel"
	for mod in $(module_closure "$ROOT/$moddir/modules.dep"); do
		mkdir -p "$stage/$moddir/$(dirname "$mod")"
		cp "$ROOT/$moddir/$mod" "$stage/$moddir/$mod"
		unsign_module "$stage/$moddir/$mod"
	done
	"$bb" depmod -b "$stage" "$rel"
	# Uncompressed: the kernel would gunzip it at emulated speed.
	(cd "$stage" && find . | "$bb" cpio -o -H newc 2>/dev/null) \
		>"$OUT/initramfs.cpio"
}

mkdir -p "$OUT"
fetch
vmlinuz=$(ls "$ROOT"/boot/vmlinuz-* | head -n 1)
rel=${vmlinuz##*/vmlinuz-}
if [ ! -s "$OUT/vmlinux" ] || [ "$vmlinuz" -nt "$OUT/vmlinux" ]; then
	cp "$vmlinuz" "$OUT/vmlinuz"
	extract_vmlinux "$OUT/vmlinuz"
fi
if [ ! -s "$OUT/initramfs.cpio" ] ||
   [ guests/linux/init -nt "$OUT/initramfs.cpio" ] ||
   [ "$0" -nt "$OUT/initramfs.cpio" ]; then
	make_initramfs "$rel"
fi
echo "$rel" >"$OUT/release"
echo "linux-guest.sh: $OUT: Linux $rel, vmlinuz, vmlinux," \
	"initramfs.cpio ($(stat -c %s "$OUT/initramfs.cpio") bytes)"
