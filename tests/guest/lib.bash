# Helpers for the guest test suites: boot a guest with a timeout and check
# its exit status and serial output.  Each check prints "PASS name" or
# "FAIL name" for tests/run.sh to count.
#
# Suites run the binaries under test only as "$KVMLITE" and "$KVMLITE_IMG"
# (and GUESTS for the guest images), never ./kvmlite: `make test SAN=1`
# points them at the sanitized build.  A Python suite reads them from its
# environment, as tests/guest/monitor.py does.
KVMLITE=${KVMLITE:-./kvmlite}
KVMLITE_IMG=${KVMLITE_IMG:-./kvmlite-img}
GUESTS=${GUESTS:-build/guests}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-30}
DEBUG_EXIT="-device isa-debug-exit,iobase=0xf4,iosize=4"
TMP=$(mktemp -d)
# Only the suite's own shell cleans up: a background subshell killed before
# it execs (kill -TERM $!) runs this trap too.
trap '[ "$BASHPID" != "$$" ] || rm -rf "$TMP"' EXIT

# run_vm OUT ERR -- ARGS...: runs kvmlite; sets $status.
run_vm() {
	local out=$1 err=$2
	shift 3
	timeout "$BOOT_TIMEOUT" "$KVMLITE" "$@" </dev/null >"$out" 2>"$err"
	status=$?
}

pass() { echo "PASS $1"; }

# guest_pattern START COUNT: what the virtio_blk guest's write= puts in
# those sectors, 16 lines per sector
guest_pattern() {
	local s l
	for ((s = $1; s < $1 + $2; s++)); do
		for ((l = 0; l < 16; l++)); do
			printf 'vguest: %016x %06x\n' "$s" "$l"
		done
	done
}

# blkflush_stale RAW DURABLE SECTORS [SLOTS]: the first sector of a raw
# image the blkflush guest wrote (sectors=SECTORS slots=SLOTS) that lost
# a write of generation DURABLE or before, or holds what no pass wrote,
# with what it holds; nothing if none did, and a complaint if the image
# cannot be read.  Generation g went to slot (g - 1) % SLOTS; a sector of
# slot s must hold a generation of that slot no older than the last
# durable one there, or zeroes if none there was.
blkflush_stale() {
	python3 - "$1" "$2" "$3" "${4:-1}" <<'PY' || echo "cannot read $1"
import struct, sys
path, durable, sectors, slots = sys.argv[1], *map(int, sys.argv[2:])
data = open(path, 'rb').read(sectors * slots * 512)
for n in range(sectors * slots):
    s = n // sectors
    need = s + 1 + (durable - s - 1) // slots * slots if durable > s else 0
    words = struct.unpack_from('<64Q', data, n * 512)
    if not need and not any(words):
        continue
    bad = [w for w in words if w >> 32 != n or
           ((w & 0xffffffff) - 1) % slots != s or (w & 0xffffffff) < need]
    if bad:
        print('sector %d (slot %d): generation %d or later expected, '
              'found word %#x' % (n, s, need, bad[0]))
        break
PY
}

fail() {
	echo "FAIL $1"
	shift
	local line
	for line in "$@"; do echo "  $line"; done
}

# check NAME STATUS GREP-PATTERN... -- KVMLITE-ARGS...
# Boots, then requires the exit status and every pattern in stdout.
check() {
	local name=$1 want=$2 pat
	local -a pats=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		pats+=("$1")
		shift
	done
	shift
	run_vm "$TMP/out" "$TMP/err" -- "$@"
	if [ "$status" != "$want" ]; then
		fail "$name" "exit status $status, expected $want" \
			"stdout: $(tail -c 600 "$TMP/out")" \
			"stderr: $(tail -c 600 "$TMP/err")"
		return
	fi
	for pat in "${pats[@]}"; do
		if ! grep -qE -- "$pat" "$TMP/out"; then
			fail "$name" "output lacks /$pat/" \
				"stdout: $(tail -c 600 "$TMP/out")"
			return
		fi
	done
	pass "$name"
}

# check_error NAME STDERR-PATTERN -- ARGS...: a user error is one line on
# stderr naming the input, and exit status 1.
check_error() {
	local name=$1 pat=$2
	shift 3
	run_vm "$TMP/out" "$TMP/err" -- "$@"
	if [ "$status" != 1 ]; then
		fail "$name" "exit status $status, expected 1" \
			"stderr: $(cat "$TMP/err")"
	elif [ "$(wc -l <"$TMP/err")" != 1 ]; then
		fail "$name" "expected one line on stderr:" "$(cat "$TMP/err")"
	elif ! grep -qE -- "$pat" "$TMP/err"; then
		fail "$name" "stderr lacks /$pat/: $(cat "$TMP/err")"
	else
		pass "$name"
	fi
}

# QEMU's fastest machine, with the same console and exit port as kvmlite's.
QEMU_ARGS="-M microvm -enable-kvm -cpu host -nodefaults -no-user-config
	-nographic -serial stdio $DEBUG_EXIT"

# check_timing: as check (or check_qemu, with QEMU=1), for guests that
# measure interrupt rates against the TSC.  This host emulates guest kernel
# code, and a run that happens to share the CPU can lose ticks, so a rate
# gets three attempts; the case passes only if one of them is in
# tolerance, and every failed attempt is shown.
check_timing() {
	local attempt result
	local -a args
	for attempt in 1 2 3; do
		# @NOW@ in an argument is the host's time at this attempt.
		args=("${@//@NOW@/$(date +%s)}")
		if [ -n "${QEMU:-}" ]; then
			result=$(check_qemu "${args[@]}")
		else
			result=$(check "${args[@]}")
		fi
		case $result in
		PASS*|SKIP*)
			[ "$attempt" -gt 1 ] && echo "  (attempt $attempt)"
			echo "$result"
			return
			;;
		esac
		printf '%s\n' "$result" | sed 's/^FAIL /  attempt '"$attempt"' failed: /'
	done
	echo "FAIL $1"
}

have_qemu() {
	command -v qemu-system-x86_64 >/dev/null && [ -w /dev/kvm ]
}

# check_qemu NAME STATUS PATTERN... -- QEMU-ARGS...: the same guest under
# QEMU's microvm, so the guest is known good independently of kvmlite.
check_qemu() {
	if ! have_qemu; then
		echo "SKIP $1 (qemu-system-x86_64 not installed)"
		return
	fi
	KVMLITE="qemu-system-x86_64" check "$@"
}
