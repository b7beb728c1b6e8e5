#!/usr/bin/env bash
# Faults, resets and exits: what the machine does when the guest ends,
# breaks or resets, and what the CPU and port bus look like to it.
. "$(dirname "$0")/lib.bash"

FAULT="$DEBUG_EXIT -kernel $GUESTS/fault -append"
check fault_ud_reports_vector 253 '^EXCEPTION vector=6 ' -- $FAULT mode=ud
check fault_pf_reports_vector 253 '^EXCEPTION vector=14 ' -- $FAULT mode=pf
check triple_fault_no_reboot_exits_0 0 '^fault: triple$' \
	-- -no-reboot $FAULT mode=triple
check i8042_reset_no_reboot_exits_0 0 '^fault: reset$' \
	-- -no-reboot $FAULT mode=reset

# Without -no-reboot a reset restarts the machine, which boots again.
reboots() {
	local name=$1 mode=$2 count
	timeout 3 "$KVMLITE" $FAULT "mode=$mode" </dev/null >"$TMP/out" 2>&1
	count=$(grep -c "^fault: $mode\$" "$TMP/out")
	if grep -q 'RAM kept' "$TMP/out"; then
		fail "$name" "$(grep 'RAM kept' "$TMP/out" | head -1)"
	elif [ "$count" -ge 2 ]; then
		pass "$name"
	else
		fail "$name" "booted $count times in 3 s" "$(tail -5 "$TMP/out")"
	fi
}
reboots triple_fault_reboots triple
reboots i8042_reset_reboots reset

# The emulator on software-KVM hosts refuses int3 and int n; kvmlite
# delivers them itself, returning after the instruction as hardware does.
check fault_int3_reports_vector 253 '^EXCEPTION vector=3 ' -- $FAULT mode=int3
check trap_handlers_return_after_int3_and_int_n 1 \
	'^fault: int3 and int \$0x41 returned after themselves$' \
	-- $FAULT mode=trap
# That emulator refuses fwait too; kvmlite completes it (no x87 exception
# is pending, so it does nothing).
check fwait_completes 1 '^fault: fwait completed$' -- $FAULT mode=fwait
# And LDMXCSR / STMXCSR, which Linux's kernel_fpu_begin() runs: kvmlite
# moves the value through KVM's XSAVE image (hardware KVM runs them).
check mxcsr_loads_and_stores 1 '^fault: mxcsr read back 0x5f80 and 0x7f80$' \
	-- $FAULT mode=mxcsr
# Code another vCPU rewrites as it runs (an AP flipping a byte between
# NOP and INT3, as Linux patches its text): when the emulator gave up on
# an INT3 that is a NOP again by the time kvmlite reads it, the guest runs
# on; three runs, since the race is timing's.
for run in 1 2 3; do
	check "live_patched_code_runs_on_$run" 1 \
		'^livepatch: 20000 calls, [0-9]+ breakpoints$' -- $DEBUG_EXIT \
		-smp 2 -m 64M -kernel $GUESTS/livepatch
done

# Any other emulation failure (here cmpxchg16b, which that emulator
# refuses) is status 2 (a crashed vCPU) with the instruction bytes and a register dump;
# hardware KVM runs it and the guest returns 1.
run_vm "$TMP/out" "$TMP/err" -- $FAULT mode=cx16
if [ "$status" = 2 ] && grep -q 'KVM internal error' "$TMP/err" &&
   grep -q 'code at RIP: f0 48 0f c7' "$TMP/err" &&
   grep -q '^RIP=' "$TMP/err" && grep -q '^CR0=' "$TMP/err"; then
	pass internal_error_dumps_code_and_registers
elif [ "$status" = 3 ] && grep -q '^fault: still running' "$TMP/out"; then
	pass internal_error_dumps_code_and_registers
else
	fail internal_error_dumps_code_and_registers "status $status" \
		"$(cat "$TMP/err")"
fi

check unclaimed_ports_read_all_ones 1 '^ports: unclaimed reads all ones$' \
	-- $DEBUG_EXIT -d unimp -D "$TMP/unimp.log" -kernel $GUESTS/ports
if [ "$(grep -c 'port 0x1234' "$TMP/unimp.log")" = 1 ] &&
   ! grep -q 'port 0x0080' "$TMP/unimp.log"; then
	pass unimp_logged_once_per_port
else
	fail unimp_logged_once_per_port "$(cat "$TMP/unimp.log")"
fi

CPUID="$DEBUG_EXIT -kernel $GUESTS/cpuid"
check cpuid_kvm_signature 1 'hypervisor=KVMKVMKVM ' 'max_hv_leaf=0x40000010 ' \
	' hv_bit=1 ' ' apic_id=0 ' -- $CPUID
check cpuid_minus_x2apic 1 ' x2apic=0 ' -- -cpu host,-x2apic $CPUID
check cpuid_minus_hypervisor 1 ' hv_bit=0 ' -- -cpu host,-hypervisor $CPUID

check hello_64G_ram 1 '^hello: done$' 'mem: 0x0000000100000000-0x000000103fffffff' \
	-- -m 64G $DEBUG_EXIT -kernel $GUESTS/hello
check hello_smp_2 1 '^hello: done$' -- -smp 2 $DEBUG_EXIT -kernel $GUESTS/hello

# -m 64G must cost nothing until touched.
"$KVMLITE" -m 64G $DEBUG_EXIT -kernel $GUESTS/echo </dev/null >/dev/null 2>&1 &
pid=$!
sleep 1
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null)
kill $pid 2>/dev/null
wait $pid 2>/dev/null
if [ -n "$rss" ] && [ "$rss" -lt 65536 ]; then
	pass large_ram_is_not_touched
else
	fail large_ram_is_not_touched "VmRSS ${rss:-?} KiB with -m 64G"
fi

# The same guests under QEMU, so their verdicts are known good.
check_qemu qemu_fault_ud 253 '^EXCEPTION vector=6 ' \
	-- $QEMU_ARGS -kernel $GUESTS/fault -append mode=ud
check_qemu qemu_fault_pf 253 '^EXCEPTION vector=14 ' \
	-- $QEMU_ARGS -kernel $GUESTS/fault -append mode=pf
check_qemu qemu_triple_fault_no_reboot 0 '^fault: triple$' \
	-- $QEMU_ARGS -no-reboot -kernel $GUESTS/fault -append mode=triple
check_qemu qemu_i8042_reset_no_reboot 0 '^fault: reset$' \
	-- $QEMU_ARGS -no-reboot -device i8042 -kernel $GUESTS/fault \
	-append mode=reset
check_qemu qemu_unclaimed_ports 1 '^ports: unclaimed reads all ones$' \
	-- $QEMU_ARGS -kernel $GUESTS/ports
check_qemu qemu_cpuid_minus_x2apic 1 'hypervisor=KVMKVMKVM ' ' x2apic=0 ' \
	-- $QEMU_ARGS -cpu host,-x2apic -kernel $GUESTS/cpuid
