#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make test-linux: boots the Debian kernel and initramfs that
# scripts/linux-guest.sh makes, with -smp 2 -m 1G, and reports how far it
# got and when: each milestone below with the seconds since kvmlite
# started.  It passes when the boot reaches $REQUIRE and no /init check
# fails.
#
# Usage: scripts/test-linux.sh
#   env KERNEL=vmlinux (PVH, the default) or vmlinuz (bzImage, which runs
#       the kernel's decompressor at emulated speed first)
#   TIMEOUT=seconds (default 3600), REQUIRE=milestone name,
#   CHECKS=kvmlite.checks for /init (default cpus,modules,disk,net;
#   "disk" adds a qcow2 disk holding an ext4 file system made here with
#   mkfs.ext4 -d, whose /from-guest.txt is read back afterwards with
#   debugfs; "net" an e1000 on a TAP in a network namespace of the test's
#   own, whose host side the guest pings), APPEND=extra kernel arguments,
#   CPU=-cpu value (default: host without the features whose
#   instructions this host's emulator refuses in kernel code),
#   LOG=console log (default build/linux/console.log), KVMLITE=binary
# The human monitor listens on build/linux/monitor.sock, for
# scripts/guest-profile.py to see where the guest spends its time.
# Only one runs at a time: the guest is emulated and slow, and its vCPUs
# wait for each other (stop_machine, IPIs), so it is not run niced.

set -u
cd "$(dirname "$0")/.."

OUT=build/linux
KVMLITE=${KVMLITE:-./kvmlite}
KERNEL=${KERNEL:-vmlinux}
TIMEOUT=${TIMEOUT:-3600}
# /init's checks all pass and it reboots, which ends kvmlite.
REQUIRE=${REQUIRE:-init-done}
CHECKS=${CHECKS:-cpus,modules,disk,net}
LOG=${LOG:-$OUT/console.log}
. scripts/linux-emulated-host.bash
CPU=${CPU:-$LINUX_CPU}

# name, then an extended regular expression for the console line (the
# first two come from a bzImage decompressor built with
# CONFIG_X86_VERBOSE_BOOTUP only; Debian's is silent)
MILESTONES=(
	decompress	'Decompressing Linux'
	booting		'Booting the kernel'
	banner		'Linux version '
	cmdline		'Kernel command line: '
	mptable		'MPTABLE: OEM ID'
	tsc		'tsc: (Detected|Fast TSC calibration|Refined TSC)'
	fpu		'x86/fpu: '
	smp-start	'smp: Bringing up secondary CPUs'
	smp-up		'smp: Brought up '
	pci		'PCI: Probing PCI hardware'
	clocksource	'clocksource: Switched to clocksource '
	rootfs		'Trying to unpack rootfs'
	serial		'Serial: 8250/16550 driver'
	free-init	'Freeing unused kernel image'
	run-init	'Run /init as init process'
	init		'^init: started'
	init-done	'^init: done '
)

scripts/linux-guest.sh "$OUT" || exit 1
exec 9>"$OUT/test-linux.lock"
if ! flock -n 9; then
	echo "FAIL test_linux (another test-linux is running)"
	exit 1
fi

required=-1
for ((i = 0; i < ${#MILESTONES[@]}; i += 2)); do
	[ "${MILESTONES[i]}" = "$REQUIRE" ] && required=$i
done
if [ $required -lt 0 ]; then
	echo "test-linux.sh: REQUIRE=$REQUIRE is no milestone" >&2
	exit 1
fi

# panic=-1: a panic reboots, which ends kvmlite (-no-reboot) at once.
APPEND_ALL="$LINUX_APPEND earlyprintk=ttyS0 panic=-1"
APPEND_ALL+=" kvmlite.checks=$CHECKS kvmlite.cpus=2 ${APPEND:-}"
ARGS=(-smp 2 -m 1G -nographic -no-reboot -cpu "$CPU"
      -monitor "unix:$OUT/monitor.sock,server,nowait"
      -kernel "$OUT/$KERNEL" -initrd "$OUT/initramfs.cpio")
RUN=()
DISK_TEXT=written-by-the-host-$$
NS=kvl-linux-$$
HOST_IP=10.0.2.1
GUEST_IP=10.0.2.15

# An ext4 file system holding hello.txt, as a qcow2 image.
make_disk() {
	rm -rf "$OUT/disk-root" && mkdir -p "$OUT/disk-root" &&
	echo "$DISK_TEXT" >"$OUT/disk-root/hello.txt" &&
	rm -f "$OUT/disk.raw" &&
	mkfs.ext4 -q -d "$OUT/disk-root" "$OUT/disk.raw" 64M &&
	./kvmlite-img convert -f raw -O qcow2 "$OUT/disk.raw" \
		"$OUT/disk.qcow2" || return 1
	ARGS+=(-drive "file=$OUT/disk.qcow2,format=qcow2,if=virtio")
	APPEND_ALL+=" kvmlite.disk_text=$DISK_TEXT"
}

# What the guest wrote, read from the image on the host.
disk_written_back() {
	local got
	./kvmlite-img convert -f qcow2 -O raw "$OUT/disk.qcow2" \
		"$OUT/disk.raw" || return 1
	got=$(debugfs -R 'cat /from-guest.txt' "$OUT/disk.raw" 2>/dev/null)
	[ "$got" = "$DISK_TEXT" ]
}

# The TAP lives in a namespace of the test's own; its up script gives the
# host side its address.
make_net() {
	ip netns add "$NS" || return 1
	ip netns exec "$NS" ip link set lo up
	printf '#!/bin/sh\nip addr add %s/24 dev "$1" && ip link set "$1" up\n' \
		"$HOST_IP" >"$OUT/ifup" && chmod +x "$OUT/ifup" || return 1
	ARGS+=(-netdev "tap,id=n0,ifname=kvlt0,script=$OUT/ifup,downscript=no"
	       -device e1000,netdev=n0)
	APPEND_ALL+=" kvmlite.ip=$GUEST_IP/24 kvmlite.peer=$HOST_IP"
	RUN=(ip netns exec "$NS")
}

trap 'ip netns del "$NS" 2>/dev/null' EXIT
case ,$CHECKS, in *,disk,*) make_disk || exit 1 ;; esac
case ,$CHECKS, in *,net,*) make_net || exit 1 ;; esac
ARGS+=(-append "$APPEND_ALL")
echo "kvmlite ${ARGS[*]}"

# Stamps each console line with the seconds since the start.
stamp() {
	local start=${EPOCHREALTIME/./} now line
	while IFS= read -r line; do
		now=$((${EPOCHREALTIME/./} - start))
		printf '%5d.%02d %s\n' $((now / 1000000)) \
			$((now % 1000000 / 10000)) "${line%$'\r'}"
	done
}

timeout "$TIMEOUT" "${RUN[@]}" "$KVMLITE" "${ARGS[@]}" \
	</dev/null 2>&1 |
	stamp >"$LOG"
status=${PIPESTATUS[0]}

furthest=-1
reached=none
for ((i = 0; i < ${#MILESTONES[@]}; i += 2)); do
	line=$(cut -c10- "$LOG" | grep -nE -m1 -- "${MILESTONES[i + 1]}")
	[ -n "$line" ] || continue
	secs=$(sed -n "${line%%:*}p" "$LOG" | awk '{ print $1 }')
	printf 'milestone %-10s %8s s\n' "${MILESTONES[i]}" "$secs"
	furthest=$i
	reached=${MILESTONES[i]}
done
grep -E '^ *[0-9.]+ init: (report|check)' "$LOG" | cut -c10-
echo "kvmlite exit status $status$([ "$status" = 124 ] && echo ' (timeout)')"
grep -A3 'KVM internal error' "$LOG" | cut -c10- | head -n 4

written_back=yes
case ,$CHECKS, in
*,disk,*) grep -q 'init: check disk ok' "$LOG" && disk_written_back ||
	written_back=no ;;
esac
echo "disk written back: $written_back"

if [ $furthest -ge $required ] && ! grep -q 'init: check .* FAIL' "$LOG" &&
   { [ "$reached" != init-done ] || [ $written_back = yes ]; }
then
	echo "PASS test_linux (reached $reached)"
else
	echo "FAIL test_linux (furthest: $reached;" \
		"required: $REQUIRE; log: $LOG)"
	exit 1
fi
