#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# e1000 throughput, kvmlite against qemu-system-x86_64 -M pc -enable-kvm
# -device e1000, same guest (build/guests/e1000_bench), same TAP setup in a
# network namespace of its own:
#   guest->host 1514-byte frames, 64 KiB TSO sends, 60-byte frames, and
#   host->guest 1514-byte frames from a flood the host side keeps up.
# The guest times itself on the TSC and counts its register accesses
# (each an exit to the VMM) and interrupts; packets per exit is frames
# on the wire over both.
#
#   scripts/bench-e1000.sh		COUNT=N (default 2000) RUNS=N (3)
set -u
cd "$(dirname "$0")/.."
COUNT=${COUNT:-2000}
RUNS=${RUNS:-3}
TMP=$(mktemp -d)
NS=kvml-bench-$$
cleanup() {
	[ -n "${FLOOD:-}" ] && kill "$FLOOD" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

make -s kvmlite guests || exit 1
GUEST=build/guests/e1000_bench
DEBUG_EXIT="-device isa-debug-exit,iobase=0xf4,iosize=4"
QEMU="qemu-system-x86_64 -M pc -enable-kvm -cpu host,+invtsc -nodefaults
	-no-user-config -display none -serial stdio $DEBUG_EXIT -m 64M"
KVMLITE="./kvmlite -m 64M $DEBUG_EXIT"

cat >"$TMP/up.sh" <<EOF
#!/bin/sh
ip link set "\$1" up
ip addr add 10.0.0.1/24 dev "\$1"
ip neigh replace 10.0.0.2 lladdr 52:54:00:12:34:56 dev "\$1" nud permanent
EOF
chmod +x "$TMP/up.sh"
NET="-netdev tap,id=n0,ifname=kb0,script=$TMP/up.sh,downscript=no
	-device e1000,netdev=n0"

ip netns add "$NS" || exit 1
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1

# The host side of "rx": 1472-byte datagrams (1514-byte frames) as fast
# as the TAP takes them, once the guest says it is ready.
cat >"$TMP/flood.py" <<'EOF'
import socket, sys, time
log = sys.argv[1]
while "ready rx" not in open(log).read():
    time.sleep(0.01)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data = b"x" * 1472
while True:
    try:
        s.sendto(data, ("10.0.0.2", 5001))
    except OSError:
        time.sleep(0.0001)
EOF

# one VMM ARGS: prints "us packets bytes exits irqs" of the best run.
one() {
	local vmm=$1 args=$2 best= line run
	for ((run = 0; run < RUNS; run++)); do
		: >"$TMP/out"
		FLOOD=
		case $args in
		*mode=rx*)
			ip netns exec "$NS" python3 "$TMP/flood.py" \
				"$TMP/out" &
			FLOOD=$!
			;;
		esac
		timeout 120 ip netns exec "$NS" $vmm -kernel "$GUEST" \
			-append "$args" $NET </dev/null >"$TMP/out" 2>&1
		[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null && wait "$FLOOD"
		FLOOD=
		line=$(grep -o "packets .*" "$TMP/out" | head -1)
		[ -n "$line" ] || continue
		set -- $line	# packets N bytes B us T exits X irqs I
		if [ -z "$best" ] || [ "$6" -lt "${best%% *}" ]; then
			best="$6 $2 $4 $8 ${10}"
		fi
	done
	echo "${best:-0 0 0 0 0}"
}

# row NAME ARGS WIRE: WIRE frames on the wire per guest packet.
row() {
	local name=$1 args=$2 wire=$3 vmm r us pk by ex ir
	printf '| %s |' "$name"
	for vmm in "$KVMLITE" "$QEMU"; do
		r=$(one "$vmm" "$args")
		read -r us pk by ex ir <<<"$r"
		if [ "$us" = 0 ]; then
			printf ' failed | |'
			continue
		fi
		awk -v us="$us" -v pk="$pk" -v by="$by" -v ex="$ex" \
			-v ir="$ir" -v w="$wire" 'BEGIN {
			printf " %.1f Mbit/s, %.1f kpps | %.1f |",
				by * 8 / us, pk * w * 1000 / us,
				pk * w / (ex + ir + 1e-9) }'
	done
	echo
}

echo "| row | kvmlite | pkts/exit | QEMU 7.2 | pkts/exit |"
echo "| --- | ---: | ---: | ---: | ---: |"
row "guest->host 1514 B" "mode=tx count=$COUNT size=1514" 1
row "guest->host 64 KiB TSO" "mode=tso count=$((COUNT / 20)) size=64000" 45
row "guest->host 60 B" "mode=tx count=$COUNT size=60" 1
row "host->guest 1514 B" "mode=rx count=$COUNT size=1514 itr=500" 1
