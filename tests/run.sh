#!/usr/bin/env bash
# Runs every suite and counts the "PASS name" / "FAIL name" lines they
# print.  Ends with "N passed, N failed"; exits non-zero on any failure.
#
# BUILD names the tree whose unit tests run (build, or build/san for
# `make test SAN=1`); KVMLITE and KVMLITE_IMG the binaries the suites run.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export KVMLITE=${KVMLITE:-./kvmlite} KVMLITE_IMG=${KVMLITE_IMG:-./kvmlite-img}
export GUESTS=${GUESTS:-$BUILD/guests}
log=$(mktemp)
# Sanitizer reports, from every process a suite starts (daemons and
# children whose stderr nobody reads too), land here; any report fails
# the suite that caused it.
san_logs=$(mktemp -d)
chmod 1777 "$san_logs"	# errors.sh runs kvmlite as nobody too
trap 'rm -rf "$log" "$san_logs"' EXIT
san_opts="halt_on_error=1:abort_on_error=1:log_path=$san_logs/report"
export ASAN_OPTIONS="$san_opts:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
lsan_opts="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export LSAN_OPTIONS="$lsan_opts${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="$san_opts:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

sanitizer_reports() {
	local name=$1 report
	for report in "$san_logs"/report*; do
		[ -e "$report" ] || return 0
		echo "FAIL $name (sanitizer report $(basename "$report"))"
		sed 's/^/  /' "$report"
		rm -f "$report"
	done
}

# A suite that exits non-zero without reporting a failed case crashed.
run_suite() {
	local name=$1 out status
	shift
	echo "== $name"
	out=$(mktemp)
	"$@" >"$out" 2>&1
	status=$?
	cat "$out" | tee -a "$log"
	if [ $status -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $name (exit status $status)" | tee -a "$log"
	fi
	sanitizer_reports "$name" | tee -a "$log"
	rm -f "$out"
}

for unit in "$BUILD"/tests/test_*; do
	[ -x "$unit" ] && [ "${unit%.d}" = "$unit" ] || continue
	run_suite "$(basename "$unit")" "$unit"
done
for suite in tests/guest/*.sh; do
	run_suite "$(basename "$suite" .sh)" bash "$suite"
done
for suite in tests/bench/test_*.py; do
	run_suite "$(basename "$suite" .py)" python3 "$suite"
done

passed=$(grep -c '^PASS ' "$log")
failed=$(grep -c '^FAIL ' "$log")
echo
grep '^FAIL ' "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
