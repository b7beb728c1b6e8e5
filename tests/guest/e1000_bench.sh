#!/usr/bin/env bash
# The e1000 benchmark guest (guests/e1000_bench.c) on a TAP in a network
# namespace of its own: every mode must move the packets it was asked to,
# polling from user mode (the default) and interrupt-driven (wait=irq),
# and a bad wait= is a usage error.  The figures themselves are
# make bench-e1000's.
. "$(dirname "$0")/lib.bash"

GUEST=$GUESTS/e1000_bench
VM="-m 64M $DEBUG_EXIT"
OK=1		# guest status 0 through isa-debug-exit
BAD_ARGS=251	# GUEST_EXIT_BAD_ARGS
NS=kvml-$$-bench
FLOOD=

cleanup() {
	[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] ||
	! command -v ip >/dev/null || ! command -v python3 >/dev/null; then
	echo "SKIP e1000_bench (needs root, ip, python3 and /dev/net/tun)"
	exit 0
fi

# The guest answers no ARP: the host knows its address from the start.
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
printf '#!/bin/sh\nexec ip netns exec "%s" "%s" "$@"\n' "$NS" \
	"$(realpath "$KVMLITE")" >"$TMP/in-ns"
chmod +x "$TMP/in-ns"
KVMLITE=$TMP/in-ns

# bench NAME PACKETS APPEND [PATTERN]: the run moved every packet.
bench() {
	check "$1" $OK "^e1000_bench: [a-z]+ packets $2 .* exits [0-9]+ ${4:-}" \
		-- $VM $NET -kernel "$GUEST" -append "$3"
}

bench e1000_bench_tx_poll 3000 "mode=tx count=3000 size=1514" "irqs 0$"
bench e1000_bench_small_poll 3000 "mode=tx count=3000 size=60" "irqs 0$"
bench e1000_bench_tso_poll 40 "mode=tso count=40 size=64000" "irqs 0$"
bench e1000_bench_tx_irq 300 "mode=tx count=300 size=1514 wait=irq"

# Receive: the flood starts when the guest says it is ready.
: >"$TMP/out"
ip netns exec "$NS" python3 tests/guest/udp_flood.py "$TMP/out" \
	10.0.0.2 5001 1472 &
FLOOD=$!
bench e1000_bench_rx_poll 3000 "mode=rx count=3000 size=1514" "irqs 0$"
kill "$FLOOD" && wait "$FLOOD" 2>/dev/null
: >"$TMP/out"
ip netns exec "$NS" python3 tests/guest/udp_flood.py "$TMP/out" \
	10.0.0.2 5001 1472 &
FLOOD=$!
bench e1000_bench_rx_irq 300 "mode=rx count=300 size=1514 wait=irq itr=500"
kill "$FLOOD" && wait "$FLOOD" 2>/dev/null
FLOOD=

check e1000_bench_bad_wait $BAD_ARGS "^usage: .*wait=poll\|irq" -- $VM \
	-kernel "$GUEST" -append "mode=tx wait=no"
