#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Pins the vCPU threads of a running kvmlite (or QEMU with
# debug-threads=on) one by one: vCPU i to the i-th CPU of CPULIST.
#
# Usage: scripts/pin-vcpus.sh PID CPULIST     e.g. 4242 2-5  or  4242 2,4,6,8
#        scripts/pin-vcpus.sh --qmp ADDRESS CPULIST
#
# With --qmp the thread IDs come from the monitor's query-cpus-fast, as
# QEMU users get them; ADDRESS is the -qmp unix socket's path or
# tcp:HOST:PORT.  Otherwise they are found by thread name ("CPU N/KVM").
set -eu

usage() {
	echo "usage: $0 PID CPULIST | --qmp ADDRESS CPULIST" >&2
	exit 2
}

# "index tid" per vCPU, from query-cpus-fast.
threads_from_qmp() {
	python3 - "$1" "$(dirname "$0")/../tests/guest" <<'EOF'
import sys
sys.path.insert(0, sys.argv[2])
from monclient import QMP
qmp = QMP(sys.argv[1], timeout=5)
for cpu in qmp.cmd("query-cpus-fast")["return"]:
    print(cpu["cpu-index"], cpu["thread-id"])
EOF
}

# "index tid" per vCPU, from the thread names under /proc.
threads_from_names() {
	local pid=$1 task name
	[ -d "/proc/$pid/task" ] || { echo "$0: no process $pid" >&2; exit 1; }
	for task in /proc/"$pid"/task/*; do
		name=$(cat "$task/comm")
		[[ $name =~ ^CPU\ ([0-9]+)/KVM$ ]] || continue
		echo "${BASH_REMATCH[1]} ${task##*/}"
	done
}

[ $# -ge 2 ] || usage
if [ "$1" = --qmp ]; then
	[ $# -eq 3 ] || usage
	source=$2
	list=$3
	threads=$(threads_from_qmp "$source") ||
		{ echo "$0: cannot ask the monitor at $source" >&2; exit 1; }
else
	[ $# -eq 2 ] || usage
	source="process $1"
	list=$2
	threads=$(threads_from_names "$1")
fi

# Expand "2-5,8" into one CPU per line.
cpus=()
IFS=, read -ra parts <<<"$list"
for part in "${parts[@]}"; do
	if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then
		for ((c = BASH_REMATCH[1]; c <= BASH_REMATCH[2]; c++)); do
			cpus+=("$c")
		done
	elif [[ $part =~ ^[0-9]+$ ]]; then
		cpus+=("$part")
	else
		echo "$0: '$list' is not a CPU list such as 2-5 or 2,4,6,8" >&2
		exit 1
	fi
done

found=0
while read -r index tid; do
	[ -n "$index" ] || continue
	if [ "$index" -ge "${#cpus[@]}" ]; then
		echo "$0: no CPU in '$list' for vCPU $index" >&2
		exit 1
	fi
	taskset -p -c "${cpus[$index]}" "$tid" >/dev/null
	echo "vCPU $index (thread $tid) -> CPU ${cpus[$index]}"
	found=$((found + 1))
done <<<"$threads"
[ "$found" -gt 0 ] || { echo "$0: $source has no vCPU threads" >&2; exit 1; }
