#!/usr/bin/env bash
# Runs each fuzz target for FUZZ_SECONDS on a fresh copy of its seeds
# (tests/fuzz/corpus-NAME), as CI does; prints "PASS fuzz_NAME (N execs)"
# or "FAIL fuzz_NAME ..." for each and the executions in total.  Exits
# non-zero if any target crashed; its input is in DIR/NAME-crash-*, to be
# added to the seeds once fixed.
#
#	scripts/fuzz-ci.sh DIR NAME...	(DIR holds the fuzz_NAME binaries)
set -u
cd "$(dirname "$0")/.."
dir=$1
shift
total=0
failed=0
for name in "$@"; do
	corpus=$dir/ci-corpus-$name
	log=$dir/ci-$name.log
	rm -rf "$corpus"
	cp -r "tests/fuzz/corpus-$name" "$corpus"
	# shellcheck disable=SC2086 # the flags are words
	"$dir/fuzz_$name" -max_total_time="${FUZZ_SECONDS:-60}" \
		${FUZZ_RUN_FLAGS:-} -artifact_prefix="$dir/$name-" \
		"$corpus" >"$log" 2>&1
	status=$?
	execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
	if [ $status -eq 0 ] && [ -n "$execs" ]; then
		echo "PASS fuzz_$name ($execs execs)"
		total=$((total + execs))
	else
		echo "FAIL fuzz_$name (exit status $status, log $log)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" |
			sed 's/^/  /' | head -20
		failed=$((failed + 1))
	fi
done
echo "fuzz: $# targets, $total executions in total, $failed failed"
[ $failed -eq 0 ]
