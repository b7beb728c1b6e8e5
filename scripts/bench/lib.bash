# SPDX-License-Identifier: MIT
# Shared by the benchmark scripts in scripts/bench/ (sourced, not run).
#
# A scenario script calls bench_init NAME, records every measurement with
# bench_sample (or a contender it cannot run with bench_skip), and ends with
# bench_finish.  Run alone it writes bench/NAME.md and bench/NAME.csv; run
# by scripts/bench/run.sh (BENCH_SAMPLES set) it appends to the driver's
# samples, from which run.sh writes the one report.
#
# Environment, for every scenario:
#   QUICK=1	fewer runs and smaller transfers (the whole run < 5 min)
#   RUNS=N	repetitions (default 5, QUICK 1)
#   CPU=n	the host CPU single-vCPU guests are pinned to (default 1)
#   QEMU=path	the QEMU to compare with (default qemu-system-x86_64)

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$BENCH_ROOT" || exit 1

QUICK=${QUICK:-0}
CPU=${CPU:-1}
QEMU=${QEMU:-qemu-system-x86_64}
BUILD=build
TIMEIT=$BUILD/timeit
DEBUG_EXIT=(-device isa-debug-exit,iobase=0xf4,iosize=4)
# What every QEMU run shares: KVM, no default devices, serial 0 on stdout.
# +invtsc makes QEMU publish the TSC frequency (CPUID 0x40000010), which
# the guests that time themselves read, as they do under kvmlite.
QEMU_COMMON=(-enable-kvm -cpu host,+invtsc -nodefaults -no-user-config
	     -display none -serial stdio)
# The default machine boots the PVH guests through SeaBIOS and the pvh.bin
# option ROM; microvm through qboot.  PCI devices need the default machine:
# qboot leaves BARs unassigned.
QEMU_PC=("$QEMU" -M pc "${QEMU_COMMON[@]}")
QEMU_MICROVM=("$QEMU" -M microvm,x-option-roms=off,rtc=off "${QEMU_COMMON[@]}")

# Contender names, as the report shows them.
K=kvmlite
QPC="QEMU pc"
QMV="QEMU microvm"
FLOOR=floor
HOST=host

bench_die() { echo "bench-$SCENARIO: $*" >&2; exit 1; }

# bench_init NAME [RUNS]: the scenario's name and default repetitions, a
# scratch directory, the samples.
bench_init() {
	SCENARIO=$1
	if [ "$QUICK" = 1 ]; then RUNS=${RUNS:-1}; else RUNS=${RUNS:-${2:-5}}; fi
	BENCH_TMP=$(mktemp -d)
	trap 'bench_cleanup' EXIT
	trap 'exit 130' INT TERM HUP
	mkdir -p bench
	BENCH_ALONE=0
	if [ -z "${BENCH_SAMPLES:-}" ]; then
		BENCH_ALONE=1
		BENCH_SAMPLES=bench/$SCENARIO.csv
		bench_csv_header >"$BENCH_SAMPLES"
	fi
	BENCH_T0=${BENCH_T0:-$(date +%s)}
}

bench_csv_header() {
	echo "scenario,metric,unit,better,contender,run,value,note"
}

# Scenario scripts may set BENCH_CLEANUP to a function of their own.
bench_cleanup() {
	[ -n "${BENCH_CLEANUP:-}" ] && "$BENCH_CLEANUP"
	rm -rf "$BENCH_TMP"
}

# bench_csv_field TEXT: TEXT quoted as CSV needs it.
bench_csv_field() {
	case $1 in
	*[,\"]*) printf '"%s"' "${1//\"/\"\"}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# bench_row FIELD...: one CSV line of the samples.
bench_row() {
	local f sep=
	for f in "$SCENARIO" "$@"; do
		printf '%s' "$sep"
		bench_csv_field "$f"
		sep=,
	done >>"$BENCH_SAMPLES"
	echo >>"$BENCH_SAMPLES"
}

# bench_sample METRIC UNIT lower|higher CONTENDER RUN VALUE
bench_sample() {
	bench_row "$1" "$2" "$3" "$4" "$5" "$6" ""
}

# bench_skip METRIC UNIT lower|higher CONTENDER REASON: listed, not dropped.
bench_skip() {
	bench_row "$1" "$2" "$3" "$4" "" "" "$5"
}

# bench_progress TEXT: one line on stderr, with the time since the start.
bench_progress() {
	local t=$(($(date +%s) - BENCH_T0))
	printf '[%2d:%02d] %s: %s\n' $((t / 60)) $((t % 60)) "$SCENARIO" "$*" >&2
}

# bench_rotate R ID...: the IDs rotated by R, so that over the rounds no
# contender always runs right after the same other.
bench_rotate() {
	local r=$1 n i
	shift
	n=$#
	local ids=("$@")
	for ((i = 0; i < n; i++)); do
		echo "${ids[$(((r + i) % n))]}"
	done
}

bench_have_qemu() { command -v "$QEMU" >/dev/null; }

# bench_time CPUS TIMEOUT CMD...: one pinned run of CMD, stdin /dev/null,
# its stdout in $BENCH_TMP/out and stderr in $BENCH_TMP/err.  Sets T_NS
# (exec to exit), T_FIRST (exec to the first byte on stdout, -1 if none),
# T_STATUS and T_RSS_KIB (peak RSS).  Fails if timeit could not run it.
bench_time() {
	local cpus=$1 timeout=$2 line
	shift 2
	taskset -c "$cpus" "$TIMEIT" -o "$BENCH_TMP/t" -t "$timeout" -f 1 "$@" \
		</dev/null >"$BENCH_TMP/out" 2>"$BENCH_TMP/err" || return 1
	read -r line <"$BENCH_TMP/t"
	set -- $line
	T_NS=$2 T_STATUS=$4 T_RSS_KIB=$6 T_FIRST=${8:--1}
}

# bench_failed METRIC UNIT lower|higher CONTENDER: a failed run, in the
# report and on stderr with the end of its output.
bench_failed() {
	local why="FAILED (status ${T_STATUS:-?})"
	echo "bench-$SCENARIO: $4, $1: $why:" >&2
	tail -n 5 "$BENCH_TMP/out" "$BENCH_TMP/err" >&2 2>/dev/null
	bench_skip "$1" "$2" "$3" "$4" "$why"
}

# bench_ms NS: nanoseconds as milliseconds.
bench_ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1e6 }'; }

# bench_finish: alone, the scenario's own report, bench/NAME.md.
bench_finish() {
	[ "$BENCH_ALONE" = 1 ] || return 0
	python3 scripts/bench/report.py "$BENCH_SAMPLES" \
		--md "bench/$SCENARIO.md" --title "kvmlite benchmark: $SCENARIO"
	echo "(written to bench/$SCENARIO.md, samples in $BENCH_SAMPLES)" >&2
}
