# The machine of hostile.sh and limits.sh: hostile_spray with a virtio-blk
# disk and, when the host allows, an e1000 on a TAP that is up in a network
# namespace of its own, with broadcasts coming in.  Sourced after nothing;
# sources lib.bash.
. "$(dirname "$0")/lib.bash"

GUEST=$GUESTS/hostile_spray
# A guest that exits 0 leaves status (0 << 1) | 1.
GUEST_OK=1
# What the peak RSS of a hostile run may add to a quiet one; see README,
# Hostile guests.
RSS_BOUND_KIB=$((8 * 1024))
DISK=$TMP/disk.img
TIME=/usr/bin/time
VM=(-m 64M $DEBUG_EXIT -drive "file=$DISK,format=raw,if=none,id=d"
	-device virtio-blk-pci,drive=d)
# Runs kvmlite in the namespace with the TAP on fd 9; execs all the way,
# so a PID taken of it is kvmlite's.
PREFIX=()
NS=
TAP=khs0
SENDER=

cleanup() {
	[ -n "$SENDER" ] && kill "$SENDER" 2>/dev/null
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# 0xff everywhere: a sector read into a ring is addresses outside RAM.
head -c $((1024 * 1024)) /dev/zero | tr '\0' '\377' >"$DISK"

# new_nic SUITE: the namespace, its TAP and the broadcasts; 1 if the host
# cannot have them.
new_nic() {
	[ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] &&
		command -v ip >/dev/null && command -v python3 >/dev/null ||
		return 1
	NS=kvml-$$-$1
	ip netns add "$NS" &&
	ip -n "$NS" tuntap add "$TAP" mode tap &&
	ip -n "$NS" addr add 10.0.0.1/24 dev "$TAP" &&
	ip -n "$NS" link set "$TAP" up || exit 1
	ip netns exec "$NS" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
while True:
    try:
        s.sendto(b"x" * 200, ("10.0.0.255", 9))
    except OSError:
        pass
    time.sleep(0.02)
' &
	SENDER=$!
	PREFIX=(ip netns exec "$NS" python3 tests/guest/with_tap_fd.py "$TAP" 9)
	VM+=(-netdev tap,id=n0,fd=9 -device e1000,netdev=n0)
}

if new_nic "$(basename "$0" .sh)"; then
	WANT="hostile_spray: uart ok, disk ok, nic ok"
else
	echo "SKIP $(basename "$0" .sh)_e1000 (needs root, ip, python3," \
		"/dev/net/tun)"
	WANT="hostile_spray: uart ok, disk ok"
fi
if [ ! -x "$TIME" ]; then
	echo "SKIP $(basename "$0" .sh)_rss ($TIME not installed)"
	TIME=
fi

# spray NAME ARGS: one boot with the guest's ARGS that must end in the
# guest's own exit with the devices working; the peak RSS in KiB in $rss.
spray() {
	local name=$1 args=$2
	local -a measure=()

	[ -n "$TIME" ] && measure=("$TIME" -f %M -o "$TMP/rss")
	: >"$TMP/rss"
	timeout 120 "${PREFIX[@]}" "${measure[@]}" "$KVMLITE" "${VM[@]}" \
		-kernel "$GUEST" -append "$args" \
		</dev/null >"$TMP/out" 2>"$TMP/err"
	status=$?
	rss=$(tail -n 1 "$TMP/rss")
	if [ "$status" != "$GUEST_OK" ]; then
		fail "$name" "exit status $status, expected $GUEST_OK" \
			"$(grep -a '^hostile_spray' "$TMP/out" | tail -3)" \
			"stderr: $(tail -c 600 "$TMP/err")" "$(cat "$TMP/rss")"
	elif grep -qaE 'Sanitizer|runtime error|Assertion|Aborted|terminated' \
		"$TMP/err" "$TMP/rss"; then
		fail "$name" "stderr: $(tail -c 600 "$TMP/err")"
	elif ! grep -qa "^$WANT" "$TMP/out"; then
		fail "$name" "output lacks '$WANT':" \
			"$(grep -a '^hostile_spray' "$TMP/out" | tail -3)"
	else
		pass "$name"
	fi
}

# check_rss NAME QUIET PEAK: PEAK KiB stays within RSS_BOUND_KIB of QUIET.
check_rss() {
	local name=$1 quiet=$2 peak=$3

	[ -n "$TIME" ] || return
	echo "  peak RSS: quiet ${quiet} KiB, $name ${peak} KiB"
	if [ $((peak - quiet)) -lt "$RSS_BOUND_KIB" ]; then
		pass "$name"
	else
		fail "$name" "grew by $((peak - quiet)) KiB," \
			"bound $RSS_BOUND_KIB KiB"
	fi
}
