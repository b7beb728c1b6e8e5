#!/usr/bin/env bash
# Multiprocessor start-up: the smp guest reads the MP table, starts every
# AP with INIT-SIPI-SIPI and checks APIC IDs, CPUID topology and IPIs
# against the topology on its command line, which is QEMU 7.2's
# derivation of the -smp option (cores before sockets since 6.2).
#
# No QEMU oracle here: SeaBIOS's MP table under -M pc lists only the CPUs
# it managed to wake, which on this emulating host is not all of them,
# and microvm has no MP table.
. "$(dirname "$0")/lib.bash"

SMP_PATS=('^smp: MP table ok' '^smp: APIC IDs ok' '^smp: topology ok'
	  '^smp: IPIs ok both ways' '^smp: all checks passed')

# smp_case NAME SMP-OPTION EXPECTATION [KVMLITE-ARGS...]
smp_case() {
	local name=$1 smp=$2 want=$3
	shift 3
	check "smp_$name" 1 "${SMP_PATS[@]}" -- -m 64M -smp "$smp" "$@" \
		$DEBUG_EXIT -kernel $GUESTS/smp -append "$want"
}

smp_case 1 1 "cpus=1 sockets=1 cores=1 threads=1"
smp_case 2 2 "cpus=2 sockets=1 cores=2 threads=1"
smp_case 4 4 "cpus=4 sockets=1 cores=4 threads=1"
smp_case 8 8 "cpus=8 sockets=1 cores=8 threads=1"
smp_case sockets2_cores2_threads2 8,sockets=2,cores=2,threads=2 \
	"cpus=8 sockets=2 cores=2 threads=2"
smp_case cores3_threads2 cores=3,threads=2 \
	"cpus=6 sockets=1 cores=3 threads=2"
smp_case dies2 8,sockets=2,dies=2,cores=2 \
	"cpus=8 sockets=2 dies=2 cores=2 threads=1"
# Absent CPUs still take their place in the APIC ID space.
smp_case maxcpus 2,maxcpus=4 "cpus=2 sockets=1 cores=4 threads=1"
smp_case pinned 4 "cpus=4 sockets=1 cores=4 threads=1" -pin-vcpus 0,1,0,1

# A reset while the APs run must put them back to waiting for SIPI.
check smp_reset_with_aps_running 1 '^smp: resetting with the APs running' \
	'^smp: second boot' "${SMP_PATS[@]}" \
	-- -m 64M -smp 4 $DEBUG_EXIT -kernel $GUESTS/smp \
	-append "cpus=4 sockets=1 cores=4 threads=1 mode=reboot"

# A wrong expectation must fail: the guest is not a rubber stamp.
check smp_detects_wrong_topology 3 '^smp: FAIL' \
	-- -m 64M -smp 4,sockets=2 $DEBUG_EXIT -kernel $GUESTS/smp \
	-append "cpus=4 sockets=1 cores=4 threads=1"
