#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# e1000 over TAP, kvmlite against QEMU's default machine with -device
# e1000 (without its iPXE ROM, which only slows QEMU's boot), same guest
# (build/guests/e1000_bench), same TAP setup in a network namespace of its
# own:
#   guest->host 1514-byte frames, 64 KiB TSO sends, 60-byte frames (the
#   small-packet rate), and host->guest 1514-byte frames from a flood the
#   host side keeps up, polled and (the last row) interrupt-driven.
# The guest polls from user mode (wait=poll) except in that last row, so
# that a host which emulates guest kernel code measures the VMM and not
# the emulator.  It times itself on the TSC and counts its register
# accesses (each an exit to the VMM) and interrupts; packets per exit is
# frames on the wire over both.  Needs root (network namespace, TAP).
#
# Usage: scripts/bench/e1000.sh   env RUNS, QUICK (lib.bash),
#        COUNT=frames per transmit run (default 1000000, QUICK 200000; the
#        other rows scale from it); RUNS defaults to 3;
#        CPUS=list the VMM is pinned to (default 0-1)
set -u
source "$(dirname "$0")/lib.bash"
bench_init e1000 3

if [ "$QUICK" = 1 ]; then COUNT=${COUNT:-200000}; else COUNT=${COUNT:-1000000}; fi
CPUS=${CPUS:-0-1}
GUEST=$BUILD/guests/e1000_bench
NS=kvml-bench-$$
FLOOD=
e1000_cleanup() {
	[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
BENCH_CLEANUP=e1000_cleanup

ROWS=(tx tso small rx rxirq)
declare -A ARGS WIRE NAME
ARGS=([tx]="mode=tx count=$COUNT size=1514"
      [tso]="mode=tso count=$((COUNT / 40)) size=64000"
      [small]="mode=tx count=$COUNT size=60"
      [rx]="mode=rx count=$((COUNT / 10)) size=1514"
      [rxirq]="mode=rx count=$((COUNT / 100)) size=1514 wait=irq itr=500")
WIRE=([tx]=1 [tso]=45 [small]=1 [rx]=1 [rxirq]=1)	# frames per packet
NAME=([tx]="guest→host 1514 B" [tso]="guest→host 64 KiB TSO"
      [small]="guest→host 60 B" [rx]="host→guest 1514 B"
      [rxirq]="host→guest 1514 B, interrupts")

# rate ROW: the row's figure, kpps for small packets, else Mbit/s.
unit() { [ "$1" = small ] && echo kpps || echo Mbit/s; }

VMMS=("$K")
if bench_have_qemu; then
	VMMS+=("$QPC")
else
	for row in "${ROWS[@]}"; do
		bench_skip "${NAME[$row]}" "$(unit "$row")" higher "$QPC" \
			"$QEMU not installed"
	done
fi
if [ "$(id -u)" != 0 ]; then
	for row in "${ROWS[@]}"; do
		bench_skip "${NAME[$row]}" "$(unit "$row")" higher "$K" \
			"skipped: needs root for the TAP"
	done
	bench_finish
	exit 0
fi
make -s kvmlite guests >&2 || bench_die "cannot build kvmlite or the guests"

UP=$PWD/scripts/bench/e1000-tap-up
NET=(-netdev "tap,id=n0,ifname=kb0,script=$UP,downscript=no")

ip netns add "$NS" || bench_die "cannot create network namespace $NS"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1

# The host side of the rx rows: 1472-byte datagrams (1514-byte frames).
FLOOD_ARGS=(10.0.0.2 5001 1472)

# one WHO ROW: one run, recorded.
one() {
	local who=$1 row=$2 vmm line
	if [ "$who" = "$K" ]; then
		vmm=(./kvmlite -m 64M -device e1000,netdev=n0)
	else
		vmm=("${QEMU_PC[@]}" -m 64M -device e1000,netdev=n0,romfile=)
	fi
	: >"$BENCH_TMP/out"
	if [[ $row = rx* ]]; then
		ip netns exec "$NS" python3 tests/guest/udp_flood.py \
			"$BENCH_TMP/out" "${FLOOD_ARGS[@]}" &
		FLOOD=$!
	fi
	taskset -c "$CPUS" timeout 120 ip netns exec "$NS" "${vmm[@]}" \
		"${DEBUG_EXIT[@]}" \
		-kernel "$GUEST" -append "${ARGS[$row]}" "${NET[@]}" \
		</dev/null >"$BENCH_TMP/out" 2>&1
	[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null && wait "$FLOOD"
	FLOOD=
	line=$(grep -o "packets .*" "$BENCH_TMP/out" | head -1)
	if [ -z "$line" ]; then
		bench_failed "${NAME[$row]}" "$(unit "$row")" higher "$who"
		return
	fi
	set -- $line	# packets N bytes B us T exits X irqs I
	bench_sample "${NAME[$row]}" "$(unit "$row")" higher "$who" "$r" \
		"$(awk -v us="$6" -v pk="$2" -v by="$4" -v w="${WIRE[$row]}" \
			-v small=$([ "$row" = small ] && echo 1 || echo 0) \
			'BEGIN { v = small ? pk * w * 1000 / us : by * 8 / us
				 printf "%.1f", v }')"
	bench_sample "${NAME[$row]}: packets per exit" pkts/exit higher \
		"$who" "$r" "$(awk -v pk="$2" -v w="${WIRE[$row]}" -v ex="$8" \
			-v ir="${10}" 'BEGIN { printf "%.1f", pk * w / (ex + ir + 1e-9) }')"
}

for ((r = 0; r < RUNS; r++)); do
	for row in "${ROWS[@]}"; do
		bench_progress "round $((r + 1))/$RUNS: ${NAME[$row]}"
		mapfile -t order < <(bench_rotate "$r" "${VMMS[@]}")
		for who in "${order[@]}"; do
			one "$who" "$row"
		done
	done
done
bench_finish
