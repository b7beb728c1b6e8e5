#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make bench: every scenario in turn, one report.
#
#   startup (and rss)	scripts/bench/startup.sh
#   exits		scripts/bench/exits.sh (PIO, MMIO, PIT round trips)
#   smp			scripts/bench/smp.sh
#   blk			scripts/bench/blk.sh
#   e1000		scripts/bench/e1000.sh
#   convert		scripts/bench/convert.sh, when it exists (recording
#			through lib.bash as the others do)
#   sizes		scripts/bench/sizes.sh
#
# Their samples go to bench/results.csv; bench/results.md (printed too) and
# bench/results.svg are made from it by scripts/bench/report.py, and each
# scenario's own output to bench/run.log.  A scenario that fails is listed
# as failed in the report, and the others still run.
#
# Usage: scripts/bench/run.sh   env QUICK=1 (under 5 minutes), RUNS, CPU,
#        QEMU (see lib.bash); SCENARIOS="startup exits ..." runs a subset.
set -u
source "$(dirname "$0")/lib.bash"

ALL=(startup exits smp blk e1000 convert sizes)
read -ra LIST <<<"${SCENARIOS:-${ALL[*]}}"
export QUICK RUNS CPU QEMU
export BENCH_SAMPLES=bench/results.csv BENCH_T0=$(date +%s)
mkdir -p bench
bench_csv_header >"$BENCH_SAMPLES"
: >bench/run.log

# Most of the time is QEMU's default machine booting through SeaBIOS,
# about 10 s a boot on this host (more when it is loaded): once a round in
# startup (plus a warm-up run) and exits, once a row and round in blk (6
# rows with QUICK=1, 12 without) and e1000 (5); the rest is a minute or two.
if [ "$QUICK" = 1 ]; then
	runs=${RUNS:-1} e1000_runs=${RUNS:-1} boots=$((2 * runs + 6 * runs))
else
	runs=${RUNS:-5} e1000_runs=${RUNS:-3} boots=$((1 + 2 * runs + 12 * runs))
fi
boots=$((boots + 5 * e1000_runs))
echo "make bench$([ "$QUICK" = 1 ] && echo " QUICK=1"): ${LIST[*]};" \
     "expected duration about $(((boots * 10 + 90) / 60 + 1)) minutes" \
     "($boots QEMU pc boots at ~10 s), progress below" >&2

# skipped NAME REASON: a scenario that did not run, listed in the report.
skipped() {
	printf '%s,(all),,,all contenders,,,"%s"\n' "$1" "$2" >>"$BENCH_SAMPLES"
}

i=0
for name in "${LIST[@]}"; do
	i=$((i + 1))
	script=scripts/bench/$name.sh
	echo "[$(date -u +%H:%M:%S)] scenario $i/${#LIST[@]}: $name" >&2
	if [ ! -f "$script" ]; then
		skipped "$name" "skipped: $script not present"
		continue
	fi
	bash "$script" >>bench/run.log 2> >(tee -a bench/run.log >&2)
	status=$?
	[ $status = 0 ] ||
		skipped "$name" "FAILED: exit status $status, see bench/run.log"
done

python3 scripts/bench/report.py "$BENCH_SAMPLES" --md bench/results.md \
	--svg bench/results.svg \
	--note "run=$([ "$QUICK" = 1 ] && echo QUICK=1 || echo full)" \
	--note "repetitions=$runs (e1000 $e1000_runs)" \
	--note "pinning=exits and startup on CPU $CPU, blk and e1000 on 0-1, smp on all" \
	--note "duration=$(($(date +%s) - BENCH_T0)) s"
echo "(written to bench/results.md, bench/results.csv, bench/results.svg)" >&2
