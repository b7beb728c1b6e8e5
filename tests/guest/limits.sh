#!/usr/bin/env bash
# Resource limits against the machine of hostile_env.bash: an idle guest
# (timers stopped, halted with interrupts off) costs kvmlite almost no host
# CPU, before or after a spray, and a flood of doorbells over empty rings
# costs it no memory.
. "$(dirname "$0")/hostile_env.bash"

IDLE_S=2
IDLE_MAX_PERCENT=10
FLOOD=20000

# cpu_ticks PID: user + system time of every thread, in clock ticks
cpu_ticks() {
	local -a f
	read -ra f <"/proc/$1/stat" || return 1
	# The command name is field 2, "(kvmlite)": no spaces in it.
	echo $((f[13] + f[14]))
}

# idle NAME ARGS: boots until the guest says it is idle, then measures
# kvmlite's CPU time over IDLE_S seconds and stops it.
idle() {
	local name=$1 args=$2 pid i before after percent

	"${PREFIX[@]}" "$KVMLITE" "${VM[@]}" -kernel "$GUEST" \
		-append "$args idle" </dev/null >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for ((i = 0; i < 120; i++)); do
		grep -qa '^hostile_spray: idle' "$TMP/out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if ! grep -qa '^hostile_spray: idle' "$TMP/out" ||
		! grep -qa "^$WANT" "$TMP/out"; then
		kill "$pid" 2>/dev/null
		wait "$pid"
		fail "$name" "the guest never idled:" \
			"$(grep -a '^hostile_spray' "$TMP/out" | tail -3)" \
			"stderr: $(tail -c 600 "$TMP/err")"
		return
	fi
	before=$(cpu_ticks "$pid")
	sleep "$IDLE_S"
	after=$(cpu_ticks "$pid")
	kill "$pid"
	wait "$pid"
	percent=$(((after - before) * 100 / (IDLE_S * $(getconf CLK_TCK))))
	echo "  $name: ${percent}% of a CPU over ${IDLE_S} s"
	if [ "$percent" -lt "$IDLE_MAX_PERCENT" ]; then
		pass "$name"
	else
		fail "$name" "${percent}% of a CPU, bound ${IDLE_MAX_PERCENT}%"
	fi
}

idle limits_idle "rounds=0"
idle limits_idle_after_spray "seed=7 rounds=60"

spray limits_quiet "rounds=0"
quiet=$rss
spray limits_flood "rounds=0 flood=$FLOOD"
check_rss limits_flood_rss "$quiet" "$rss"
