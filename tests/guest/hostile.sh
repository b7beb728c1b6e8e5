#!/usr/bin/env bash
# The hostile-guest suite: hostile_spray throws random writes at every
# port, configuration space, BAR and ring of a machine with a virtio-blk
# disk and an e1000 (a TAP in a namespace of its own, with broadcasts
# coming in), once per seed.  kvmlite must run to the guest's own exit with
# the guest's status (no crash, no signal, no sanitizer report), the
# devices must still work afterwards, and the spray must not grow
# kvmlite's peak RSS by more than RSS_BOUND_KIB over a quiet run of the
# same machine (the same guest with rounds=0).
#
# The bound: kvmlite allocates nothing per guest request that outlives the
# request, and every per-device buffer has a fixed cap (README, Hostile
# guests); what the spray may add is pages of those buffers touched for the
# first time and host kernel noise, well under 8 MiB.
. "$(dirname "$0")/lib.bash"

GUEST=$GUESTS/hostile_spray
SEEDS=(1 2 3 4)
ROUNDS=${HOSTILE_ROUNDS:-120}
RSS_BOUND_KIB=$((8 * 1024))
# A guest that exits 0 leaves status (0 << 1) | 1.
GUEST_OK=1
DISK=$TMP/disk.img
TIME=/usr/bin/time
VM=(-m 64M $DEBUG_EXIT -drive "file=$DISK,format=raw,if=none,id=d"
	-device virtio-blk-pci,drive=d)
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

# The e1000 on a TAP that is up, in a namespace that broadcasts at it.
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null &&
	command -v python3 >/dev/null; then
	NS=kvml-$$-hostile
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
	WANT="hostile_spray: uart ok, disk ok, nic ok"
else
	echo "SKIP hostile_e1000_attached (needs root, ip, python3, /dev/net/tun)"
	WANT="hostile_spray: uart ok, disk ok"
fi
if [ ! -x "$TIME" ]; then
	echo "SKIP hostile_rss ($TIME not installed)"
	TIME=
fi

# spray NAME ROUNDS SEED: one boot; the peak RSS in KiB in $rss.
spray() {
	local name=$1 rounds=$2 seed=$3
	local -a measure=()

	[ -n "$TIME" ] && measure=("$TIME" -f %M -o "$TMP/rss")
	: >"$TMP/rss"
	timeout 60 "${PREFIX[@]}" "${measure[@]}" "$KVMLITE" "${VM[@]}" \
		-kernel "$GUEST" -append "seed=$seed rounds=$rounds" \
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

spray hostile_quiet 0 1
quiet=$rss
peak=0
for seed in "${SEEDS[@]}"; do
	spray "hostile_spray_seed$seed" "$ROUNDS" "$seed"
	grep -a '^hostile_spray: [0-9]* pio' "$TMP/out" | sed 's/^/  /'
	[ -n "$rss" ] && [ "$rss" -gt "$peak" ] && peak=$rss
done

if [ -n "$TIME" ]; then
	echo "  peak RSS: quiet ${quiet} KiB, hostile ${peak} KiB"
	if [ $((peak - quiet)) -lt "$RSS_BOUND_KIB" ]; then
		pass hostile_rss
	else
		fail hostile_rss "grew by $((peak - quiet)) KiB," \
			"bound $RSS_BOUND_KIB KiB"
	fi
fi
