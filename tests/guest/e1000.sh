#!/usr/bin/env bash
# The e1000 NIC over TAP.  Every test makes its own network namespace,
# creates its TAP inside it and uses addresses only there, so nothing
# touches the host's network; the namespaces go on every exit path.  The
# e1000 guest talks to the namespace's kernel (ARP, ICMP) and to
# e1000_host.py (UDP both ways, TSO segments); the same guest runs under
# QEMU 7.2's -device e1000 as the oracle.  The benchmark guest,
# e1000_bench, must move every packet it is asked to in each mode, polling
# from user mode and interrupt-driven.
. "$(dirname "$0")/lib.bash"

GUEST=$GUESTS/e1000
HOSTILE=$GUESTS/hostile_e1000
BENCH=$GUESTS/e1000_bench
HOST_PY=tests/guest/e1000_host.py
VM="-m 64M $DEBUG_EXIT"
QEMU_PC="-M pc -enable-kvm -cpu host,+invtsc -nodefaults -no-user-config
	-display none -serial stdio $DEBUG_EXIT -m 64M"
RX=64		# twice the guest's receive ring: kvmlite must hold back
TX=32
TSO=4500
GUEST_ARGS="rx=$RX tx=$TX tso=$TSO"
# A guest that exits 0 leaves status (0 << 1) | 1.
GUEST_OK=1
BAD_ARGS=251	# GUEST_EXIT_BAD_ARGS

NAMESPACES=()
FLOOD=
cleanup() {
	local ns
	[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] ||
	! command -v ip >/dev/null || ! command -v python3 >/dev/null; then
	echo "SKIP e1000 (needs root, ip, python3 and /dev/net/tun)"
	exit 0
fi

# new_ns NAME: a namespace without IPv6 chatter; its name in $NS.
new_ns() {
	NS=kvml-$$-$1
	ip netns add "$NS" || return 1
	NAMESPACES+=("$NS")
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$NS" ip link set lo up
}

# Up and down scripts that log their arguments; up gives the host side
# its address.
cat >"$TMP/up.sh" <<EOF
#!/bin/sh
echo "up \$# \$*" >>"$TMP/scripts.log"
ip link set "\$1" up && ip addr add 10.0.0.1/24 dev "\$1"
EOF
cat >"$TMP/down.sh" <<EOF
#!/bin/sh
echo "down \$# \$*" >>"$TMP/scripts.log"
EOF
printf '#!/bin/sh\nexit 3\n' >"$TMP/fail.sh"
chmod +x "$TMP/up.sh" "$TMP/down.sh" "$TMP/fail.sh"
: >"$TMP/not-executable"

SCRIPTS="script=$TMP/up.sh,downscript=$TMP/down.sh"

# lib.bash's check and check_error run $KVMLITE: in-ns runs it in
# $E1000_NS.
REAL_KVMLITE=$(realpath "$KVMLITE")
printf '#!/bin/sh\nexec ip netns exec "$E1000_NS" "%s" "$@"\n' \
	"$REAL_KVMLITE" >"$TMP/in-ns"
chmod +x "$TMP/in-ns"
export E1000_NS

# run_with_host NS VMM ARGS...: the host helper and the VM in NS, the
# guest's serial output in $TMP/out; sets $status.
run_with_host() {
	local ns=$1
	shift
	: >"$TMP/out"
	ip netns exec "$ns" python3 "$HOST_PY" "$TMP/out" 10.0.0.2 \
		>"$TMP/host" 2>&1 &
	local helper=$!
	until grep -q listening "$TMP/host" 2>/dev/null; do
		kill -0 $helper 2>/dev/null || break
		sleep 0.05
	done
	timeout "$BOOT_TIMEOUT" ip netns exec "$ns" "$@" </dev/null \
		>"$TMP/out" 2>"$TMP/err"
	status=$?
	wait $helper
}

# check_guest_run NAME [GSO]: every check ok, and the host saw the
# traffic; GSO frames (the TSO packet handed to the kernel whole through
# the TAP's vnet header) counted GSO times, if given.
check_guest_run() {
	local name=$1 gso=${2:-}
	if [ "$status" != $GUEST_OK ] ||
		! grep -q "e1000: done, [0-9]* ok, 0 failed" "$TMP/out"; then
		fail "$name" "exit status $status" \
			"$(grep -E 'FAIL|done' "$TMP/out")" \
			"stderr: $(tail -c 400 "$TMP/err")"
	elif ! grep -q "host: udp_tx received $TX" "$TMP/host" ||
		! grep -q "host: tso segments 5 bytes $TSO ok" "$TMP/host" ||
		{ [ -n "$gso" ] &&
			! grep -qx "host: gso frames $gso" "$TMP/host"; }; then
		fail "$name" "host side: $(cat "$TMP/host")"
	else
		pass "$name"
	fi
}

# --- the guest against the namespace's kernel and the helper -----------

new_ns guest
rm -f "$TMP/scripts.log"
run_with_host "$NS" "$KVMLITE" $VM -kernel "$GUEST" -append "$GUEST_ARGS" \
	-netdev "tap,id=n0,ifname=kt0,$SCRIPTS" -device e1000,netdev=n0
check_guest_run e1000_guest 1
if grep -qx "up 1 kt0" "$TMP/scripts.log" 2>/dev/null &&
	grep -qx "down 1 kt0" "$TMP/scripts.log"; then
	pass e1000_up_down_scripts
else
	fail e1000_up_down_scripts "$(cat "$TMP/scripts.log" 2>&1)"
fi

# Without the vnet header the device cuts the TSO segments itself.
new_ns novnet
run_with_host "$NS" "$KVMLITE" $VM -kernel "$GUEST" -append "$GUEST_ARGS" \
	-netdev "tap,id=n0,ifname=kt0,script=$TMP/up.sh,vnet_hdr=off" \
	-device e1000,netdev=n0
check_guest_run e1000_guest_vnet_hdr_off 0

# QEMU's e1000 loses datagrams of a burst bigger than the receive ring
# (kvmlite pauses the TAP instead), so the oracle gets one that fits.
if have_qemu; then
	new_ns qemu
	run_with_host "$NS" qemu-system-x86_64 $QEMU_PC -kernel "$GUEST" \
		-append "rx=24 tx=$TX tso=$TSO oracle=qemu" \
		-netdev "tap,id=n0,ifname=kt0,$SCRIPTS" -device e1000,netdev=n0
	check_guest_run e1000_guest_qemu
else
	echo "SKIP e1000_guest_qemu (qemu-system-x86_64 not installed)"
fi

# The seed's line, with the system's /etc/qemu-ifup and /etc/qemu-ifdown.
new_ns seed
if [ -x /etc/qemu-ifup ]; then
	E1000_NS=$NS KVMLITE=$TMP/in-ns \
		check e1000_seed_line $GUEST_OK "nic_count ok" "0 failed" -- \
		$VM -kernel "$GUEST" \
		-append "macs=00:00:02:98:AC:62" \
		-netdev tap,id=ipvm1,ifname=tap3,script=/etc/qemu-ifup \
		-device e1000,netdev=ipvm1,id=net0,mac=00:00:02:98:AC:62
else
	echo "SKIP e1000_seed_line (no /etc/qemu-ifup)"
fi

# --- SIGTERM still runs the down script -----------------------------------

new_ns sigterm
rm -f "$TMP/scripts.log"
: >"$TMP/out"
ip netns exec "$NS" "$KVMLITE" $VM -kernel "$GUEST" -append "rx=1" \
	-netdev "tap,id=n0,ifname=kt1,$SCRIPTS" -device e1000,netdev=n0 \
	</dev/null >"$TMP/out" 2>"$TMP/err" &
vm=$!
for ((i = 0; i < 300; i++)); do
	grep -q "ready udp_rx" "$TMP/out" && break
	sleep 0.1
done
kill -TERM $vm
wait $vm
status=$?
if [ $status = 0 ] &&
	grep -q "terminating on signal 15 from pid" "$TMP/err" &&
	grep -qx "down 1 kt1" "$TMP/scripts.log" 2>/dev/null; then
	pass e1000_sigterm_runs_downscript
else
	fail e1000_sigterm_runs_downscript "status $status" \
		"stderr: $(cat "$TMP/err")" \
		"scripts: $(cat "$TMP/scripts.log" 2>&1)"
fi

# --- fd=: a TAP the caller opened; kvmlite runs no script -----------------

new_ns fd
ip netns exec "$NS" ip tuntap add dev kt2 mode tap
ip netns exec "$NS" ip addr add 10.0.0.1/24 dev kt2
ip netns exec "$NS" ip link set kt2 up
rm -f "$TMP/scripts.log"
run_with_host "$NS" python3 tests/guest/with_tap_fd.py kt2 9 "$KVMLITE" \
	$VM -kernel "$GUEST" -append "$GUEST_ARGS" -netdev tap,id=n0,fd=9 \
	-device e1000,netdev=n0
check_guest_run e1000_tap_fd 0
if [ -e "$TMP/scripts.log" ]; then
	fail e1000_tap_fd_no_scripts "$(cat "$TMP/scripts.log")"
else
	pass e1000_tap_fd_no_scripts
fi

# An fd= opened with IFF_VNET_HDR: kvmlite finds out and uses it.
new_ns fdvnet
ip netns exec "$NS" ip tuntap add dev kt2 mode tap vnet_hdr
ip netns exec "$NS" ip addr add 10.0.0.1/24 dev kt2
ip netns exec "$NS" ip link set kt2 up
VNET_HDR=1 run_with_host "$NS" python3 tests/guest/with_tap_fd.py kt2 9 \
	"$KVMLITE" $VM -kernel "$GUEST" -append "$GUEST_ARGS" \
	-netdev tap,id=n0,fd=9 -device e1000,netdev=n0
check_guest_run e1000_tap_fd_vnet_hdr 1

# --- several NICs: default MACs count up past an explicit one -------------

new_ns multi
E1000_NS=$NS KVMLITE=$TMP/in-ns check e1000_three_nics $GUEST_OK \
	"nic_count ok 3 NICs" "0 failed" -- $VM -kernel "$GUEST" \
	-append "macs=52:54:00:12:34:56,02:00:00:00:00:01,52:54:00:12:34:57" \
	-netdev tap,id=a,ifname=kt3,script=no,downscript=no \
	-netdev tap,id=b,ifname=kt4,script=no,downscript=no \
	-device e1000,netdev=a -device e1000,netdev=b,mac=02:00:00:00:00:01 \
	-nic tap,ifname=kt5,script=no,downscript=no,model=e1000

# --- errors: one line, exit 1 ---------------------------------------------

new_ns errors
E1000_NS=$NS
KVMLITE=$TMP/in-ns
NOSCRIPT=script=no,downscript=no
check_error e1000_unused_netdev \
	"-netdev tap,id=t0,$NOSCRIPT: netdev t0 has no peer" \
	-- $VM -kernel "$GUEST" -netdev tap,id=t0,$NOSCRIPT
check_error e1000_unknown_netdev \
	"-device e1000,netdev=nosuch: Property 'e1000.netdev' can't find value 'nosuch'" \
	-- $VM -kernel "$GUEST" -device e1000,netdev=nosuch
check_error e1000_bad_mac \
	"-device e1000,mac=52:54:00:zz:00:01: Property 'e1000.mac' doesn't take value '52:54:00:zz:00:01'" \
	-- $VM -kernel "$GUEST" -device e1000,mac=52:54:00:zz:00:01
check_error e1000_tap_busy \
	"-netdev tap,id=t1,ifname=kt6,$NOSCRIPT: could not configure /dev/net/tun \(kt6\): Device or resource busy" \
	-- $VM -kernel "$GUEST" -netdev tap,id=t0,ifname=kt6,$NOSCRIPT \
	-netdev tap,id=t1,ifname=kt6,$NOSCRIPT \
	-device e1000,netdev=t0 -device e1000,netdev=t1
check_error e1000_bad_fd \
	"-netdev tap,id=t0,fd=99: t0: Can't use file descriptor 99: Bad file descriptor" \
	-- $VM -kernel "$GUEST" -netdev tap,id=t0,fd=99 -device e1000,netdev=t0
check_error e1000_fd_not_tap \
	"-netdev tap,id=t0,fd=0: Unable to query TUNGETIFF on FD 0: Inappropriate ioctl for device" \
	-- $VM -kernel "$GUEST" -netdev tap,id=t0,fd=0 -device e1000,netdev=t0
check_error e1000_script_fails \
	"network script $TMP/fail.sh failed with status 768" \
	-- $VM -kernel "$GUEST" -netdev tap,id=t0,script=$TMP/fail.sh \
	-device e1000,netdev=t0
# No /etc/qemu-ifup to run: hidden, in a mount namespace of the test's
# own, under a file that cannot be executed.
printf '#!/bin/sh\nmount --bind "%s" /etc/qemu-ifup || exit 99\nexec "%s" "$@"\n' \
	"$TMP/not-executable" "$REAL_KVMLITE" >"$TMP/no-ifup"
printf '#!/bin/sh\nexec ip netns exec "$E1000_NS" unshare -m "%s" "$@"\n' \
	"$TMP/no-ifup" >"$TMP/in-mount-ns"
chmod +x "$TMP/no-ifup" "$TMP/in-mount-ns"
if [ -e /etc/qemu-ifup ] && command -v unshare >/dev/null; then
	KVMLITE=$TMP/in-mount-ns check_error e1000_default_script_missing \
		"-netdev tap,id=t0: network script /etc/qemu-ifup failed with status 256" \
		-- $VM -kernel "$GUEST" -netdev tap,id=t0 -device e1000,netdev=t0
else
	echo "SKIP e1000_default_script_missing (no /etc/qemu-ifup or unshare)"
fi
KVMLITE=$REAL_KVMLITE

# --- a hostile guest: every attack counted, skipped, and survived ---------

new_ns hostile
E1000_NS=$NS KVMLITE=$TMP/in-ns check hostile_e1000_rings $GUEST_OK \
	"done, 0 failed" -- $VM -kernel "$HOSTILE" \
	-d guest_errors -D "$TMP/guest_errors" \
	-netdev "tap,id=n0,ifname=kt7,script=$TMP/up.sh,downscript=no,vnet_hdr=on" \
	-device e1000,netdev=n0
missing=
for what in "transmit buffer outside RAM" "receive buffer outside RAM" \
	"impossible TSO context" "context descriptor inside a packet" \
	"unusable transmit ring" "unusable receive ring" \
	"reserved receive buffer size" "transmit packet too long"; do
	grep -q "$what" "$TMP/guest_errors" 2>/dev/null || missing+=" '$what'"
done
if [ -z "$missing" ]; then
	pass hostile_e1000_errors_logged
else
	fail hostile_e1000_errors_logged "not logged:$missing"
fi

# --- scripts/kvmlite-ifup and kvmlite-ifdown with KVMLITE_BRIDGE ----------

new_ns bridge
ip netns exec "$NS" ip link add kbr0 type bridge
ip netns exec "$NS" ip link set kbr0 up
IFUP="script=scripts/kvmlite-ifup,downscript=scripts/kvmlite-ifdown"
E1000_NS=$NS KVMLITE_BRIDGE=kbr0 KVMLITE=$TMP/in-ns check \
	e1000_ifup_script_bridge $GUEST_OK "0 failed" -- $VM -kernel "$GUEST" \
	-append "macs=52:54:00:12:34:56" -netdev tap,id=n0,ifname=kt8,$IFUP \
	-device e1000,netdev=n0
# The script's own complaint comes first, then kvmlite's line.
E1000_NS=$NS KVMLITE_BRIDGE=nosuch KVMLITE=$TMP/in-ns run_vm "$TMP/out" \
	"$TMP/err" -- $VM -kernel "$GUEST" \
	-netdev tap,id=n0,ifname=kt8,$IFUP -device e1000,netdev=n0
if [ "$status" = 1 ] && grep -q "is not a bridge" "$TMP/err" &&
	grep -q "network script scripts/kvmlite-ifup failed with status 256" \
		"$TMP/err"; then
	pass e1000_ifup_script_no_bridge
else
	fail e1000_ifup_script_no_bridge "status $status: $(cat "$TMP/err")"
fi

# --- the benchmark guest --------------------------------------------------

new_ns bench
BENCH_UP=scripts/bench/e1000-tap-up
BENCH_NET="-netdev tap,id=n0,ifname=kb0,script=$BENCH_UP,downscript=no
	-device e1000,netdev=n0"
# bench NAME PACKETS APPEND: the run moved every packet, under kvmlite
# or, with BENCH_VMM and BENCH_ARGS, another VMM.
bench() {
	E1000_NS=$NS KVMLITE=${BENCH_VMM:-$TMP/in-ns} check "$1" $GUEST_OK \
		"^e1000_bench: [a-z]+ packets $2 .* exits [0-9]+ irqs" \
		-- ${BENCH_ARGS:-$VM} $BENCH_NET -kernel "$BENCH" -append "$3"
}
# bench_rx NAME PACKETS APPEND: the same, with the host flooding the guest
# once it says it is ready.
bench_rx() {
	: >"$TMP/out"
	ip netns exec "$NS" python3 tests/guest/udp_flood.py "$TMP/out" \
		10.0.0.2 5001 1472 &
	FLOOD=$!
	bench "$@"
	kill "$FLOOD" && wait "$FLOOD" 2>/dev/null
	FLOOD=
}

bench e1000_bench_tx 3000 "mode=tx count=3000 size=1514"
bench e1000_bench_small 3000 "mode=tx count=3000 size=60"
bench e1000_bench_tso 40 "mode=tso count=40 size=64000"
bench e1000_bench_tx_irq 300 "mode=tx count=300 size=1514 wait=irq"
bench_rx e1000_bench_rx 3000 "mode=rx count=3000 size=1514"
bench_rx e1000_bench_rx_irq 300 \
	"mode=rx count=300 size=1514 wait=irq itr=500"
# QEMU's e1000 needs the poller's exits to keep receiving.
if have_qemu; then
	printf '#!/bin/sh\nexec ip netns exec "$E1000_NS" %s "$@"\n' \
		qemu-system-x86_64 >"$TMP/qemu-in-ns"
	chmod +x "$TMP/qemu-in-ns"
	BENCH_VMM=$TMP/qemu-in-ns BENCH_ARGS=$QEMU_PC bench_rx \
		e1000_bench_rx_qemu 3000 "mode=rx count=3000 size=1514"
else
	echo "SKIP e1000_bench_rx_qemu (qemu-system-x86_64 not installed)"
fi
check e1000_bench_bad_wait $BAD_ARGS "^usage: .*wait=poll\|irq" -- $VM \
	-kernel "$BENCH" -append "mode=tx wait=no"
