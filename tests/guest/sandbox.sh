#!/usr/bin/env bash
# The seccomp sandbox, -runas and -chroot on a live kvmlite: a guest held
# by -S is looked at through /proc, then ended with SIGTERM, which the
# I/O thread takes and reports under its filter.
. "$(dirname "$0")/lib.bash"

HELLO=$GUESTS/hello

# seccomp_modes: the Seccomp field of every thread, sorted and unique.
seccomp_modes() {
	cat /proc/$pid/task/*/status 2>/dev/null |
		awk '/^Seccomp:/ { print $2 }' | sort -u | tr '\n' ' '
}

# start_held MODE ARGS...: kvmlite with its vCPUs parked; sets $pid and
# waits until its threads (main, vCPU, I/O) run in seccomp mode MODE.
start_held() {
	local mode=$1 i
	shift
	"$KVMLITE" -S -display none -serial null -kernel "$HELLO" "$@" \
		</dev/null >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for i in $(seq 100); do
		[ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -ge 3 ] &&
			[ "$(seccomp_modes)" = "$mode " ] && return
		sleep 0.1
	done
}

# stop_held NAME: SIGTERM must end it with status 0 and QEMU's message.
stop_held() {
	kill -TERM $pid
	wait $pid
	status=$?
	if [ $status = 0 ] && grep -q 'terminating on signal 15' "$TMP/err"
	then
		pass "$1"
	else
		fail "$1" "exit status $status" "stderr: $(cat "$TMP/err")"
	fi
}

start_held 2
modes=$(seccomp_modes)
if [ "$modes" = "2 " ]; then
	pass sandbox_on_by_default_in_every_thread
else
	fail sandbox_on_by_default_in_every_thread "Seccomp modes: $modes"
fi
stop_held sandbox_sigterm_ends_cleanly

start_held 0 -sandbox off
modes=$(seccomp_modes)
if [ "$modes" = "0 " ]; then
	pass sandbox_off
else
	fail sandbox_off "Seccomp modes: $modes"
fi
stop_held sandbox_off_sigterm_ends_cleanly

start_held 2 -runas nobody
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$pid/status)
nobody=$(id -u nobody)
if [ "$uids" = "$nobody $nobody $nobody $nobody" ]; then
	pass runas_nobody
else
	fail runas_nobody "Uid: $uids" "stderr: $(cat "$TMP/err")"
fi
stop_held runas_sigterm_ends_cleanly

start_held 2 -runas "4242:4343"
ids=$(awk '/^(Uid|Gid|Groups):/ { print $1, $2 }' /proc/$pid/status |
	tr '\n' ' ')
if [ "$ids" = "Uid: 4242 Gid: 4343 Groups: 4343 " ]; then
	pass runas_uid_gid
else
	fail runas_uid_gid "$ids" "stderr: $(cat "$TMP/err")"
fi
stop_held runas_uid_gid_sigterm_ends_cleanly

mkdir "$TMP/root"
start_held 2 -chroot "$TMP/root" -runas nobody
root=$(readlink /proc/$pid/root)
if [ "$root" = "$TMP/root" ]; then
	pass chroot_dir
else
	fail chroot_dir "root: $root" "stderr: $(cat "$TMP/err")"
fi
stop_held chroot_sigterm_ends_cleanly

check_error runas_unknown_user \
	'^kvmlite: -runas no-such-user: User "no-such-user" doesn'"'"'t exist \(and is not <uid>:<gid>\)$' \
	-- -runas no-such-user -kernel "$HELLO"
check_error chroot_missing_dir '^kvmlite: chroot failed$' \
	-- -chroot "$TMP/none" -kernel "$HELLO"
check_error sandbox_bad_sub_option \
	'^kvmlite: -sandbox on,spawn=maybe: invalid argument for spawn$' \
	-- -sandbox on,spawn=maybe -kernel "$HELLO"
check_error sandbox_bad_value \
	"^kvmlite: -sandbox maybe: Parameter 'enable' expects 'on' or 'off'$" \
	-- -sandbox maybe -kernel "$HELLO"
