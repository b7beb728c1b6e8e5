#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Binary sizes: kvmlite against qemu-system-x86_64 and kvmlite-img against
# qemu-img, each stripped (Debian ships QEMU's stripped; kvmlite is built
# with -g), in KiB.  QEMU's shared libraries are not counted.
#
# Usage: scripts/bench/sizes.sh
set -u
source "$(dirname "$0")/lib.bash"
bench_init sizes 1

make -s kvmlite kvmlite-img >&2 || bench_die "cannot build kvmlite"

# size METRIC WHO FILE: the stripped size of FILE.
size() {
	if [ -z "$3" ] || [ ! -r "$3" ]; then
		bench_skip "$1" KiB lower "$2" "not installed"
		return
	fi
	strip -o "$BENCH_TMP/stripped" "$3" ||
		{ bench_skip "$1" KiB lower "$2" "cannot strip $3"; return; }
	bench_sample "$1" KiB lower "$2" 0 \
		$(($(stat -c %s "$BENCH_TMP/stripped") / 1024))
}

size "VMM binary, stripped" "$K" ./kvmlite
size "VMM binary, stripped" QEMU "$(command -v "$QEMU")"
size "image tool, stripped" "$K" ./kvmlite-img
size "image tool, stripped" QEMU "$(command -v qemu-img)"
bench_finish
