#!/usr/bin/env bash
# Runs every suite and counts the "PASS name" / "FAIL name" lines they
# print.  Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

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
	rm -f "$out"
}

for unit in build/tests/test_*; do
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
