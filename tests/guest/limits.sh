#!/usr/bin/env bash
# Resource limits against the machine of hostile_env.bash: an idle guest
# (timers stopped, halted with interrupts off) costs kvmlite almost no host
# CPU, before or after a spray, and a flood of doorbells over empty rings
# costs it no memory.
. "$(dirname "$0")/hostile_env.bash"

IDLE_S=2
IDLE_MAX_PERCENT=10
# The share of a CPU says little on a loaded host, where even a spinning
# thread gets a few percent; wakeups say the same loudly.  An idle machine
# wakes kvmlite only for the namespace's 50 broadcasts a second; a device
# timer or a polling loop left running is 1000 a second and up.
IDLE_MAX_WAKEUPS=500
FLOOD=20000

# fds_open PID: how many file descriptors kvmlite holds
fds_open() {
	local -a fds=("/proc/$1/fd/"*)
	echo "${#fds[@]}"
}

# cpu_ticks PID: user + system time of every thread, in clock ticks
cpu_ticks() {
	local -a f
	read -ra f <"/proc/$1/stat" || return 1
	# The command name is field 2, "(kvmlite)": no spaces in it.
	echo $((f[13] + f[14]))
}

# wakeups PID: context switches of every thread so far
wakeups() {
	local key n total=0
	while read -r key n; do
		total=$((total + n))
	done < <(cat /proc/"$1"/task/*/status 2>/dev/null |
		 grep -E '^(non)?voluntary_ctxt_switches:')
	echo "$total"
}

# idle NAME ARGS: boots until the guest says it is idle, then measures
# kvmlite's CPU time over IDLE_S seconds and stops it; its open file
# descriptors in $fds.
idle() {
	local name=$1 args=$2 pid i before after percent

	"${PREFIX[@]}" "$KVMLITE" "${VM[@]}" -kernel "$GUEST" \
		-append "$args idle" </dev/null >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
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
	fds=$(fds_open "$pid")
	before=$(cpu_ticks "$pid")
	woken=$(wakeups "$pid")
	sleep "$IDLE_S"
	after=$(cpu_ticks "$pid")
	woken=$((($(wakeups "$pid") - woken) / IDLE_S))
	kill "$pid"
	wait "$pid"
	percent=$(((after - before) * 100 / (IDLE_S * $(getconf CLK_TCK))))
	echo "  $name: ${percent}% of a CPU over ${IDLE_S} s, $woken wakeups/s"
	if [ "$percent" -lt "$IDLE_MAX_PERCENT" ] &&
		[ "$woken" -lt "$IDLE_MAX_WAKEUPS" ]; then
		pass "$name"
	else
		fail "$name" "${percent}% of a CPU, $woken wakeups/s;" \
			"bounds ${IDLE_MAX_PERCENT}%, $IDLE_MAX_WAKEUPS/s"
	fi
}

idle limits_idle "rounds=0"
quiet_fds=$fds
idle limits_idle_after_spray "seed=7 rounds=60"
# Resets, queue setups and MSI-X reprogramming must not leave fds behind.
echo "  open fds: quiet $quiet_fds, after the spray $fds"
if [ "$fds" -le "$quiet_fds" ]; then
	pass limits_fds
else
	fail limits_fds "$fds open after the spray, $quiet_fds after none"
fi

spray limits_quiet "rounds=0"
quiet=$rss
spray limits_flood "rounds=0 flood=$FLOOD"
check_rss limits_flood_rss "$quiet" "$rss"
