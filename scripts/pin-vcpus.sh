#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Pins the vCPU threads of a running kvmlite (or QEMU with
# debug-threads=on) one by one: vCPU i to the i-th CPU of CPULIST.
#
# Usage: scripts/pin-vcpus.sh PID CPULIST     e.g. 4242 2-5  or  4242 2,4,6,8
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 PID CPULIST" >&2
	exit 2
fi
pid=$1
list=$2

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

[ -d "/proc/$pid/task" ] || { echo "$0: no process $pid" >&2; exit 1; }
found=0
for task in /proc/"$pid"/task/*; do
	name=$(cat "$task/comm")
	[[ $name =~ ^CPU\ ([0-9]+)/KVM$ ]] || continue
	index=${BASH_REMATCH[1]}
	if [ "$index" -ge "${#cpus[@]}" ]; then
		echo "$0: no CPU in '$list' for vCPU $index" >&2
		exit 1
	fi
	taskset -p -c "${cpus[$index]}" "${task##*/}" >/dev/null
	echo "vCPU $index (thread ${task##*/}) -> CPU ${cpus[$index]}"
	found=$((found + 1))
done
[ "$found" -gt 0 ] || { echo "$0: process $pid has no 'CPU N/KVM' threads" >&2; exit 1; }
