#!/usr/bin/env bash
# The PIT, the CMOS RTC and interrupt masking and EOI, under kvmlite and
# under QEMU.  microvm has no port 0x61, so QEMU runs pit as a PC (whose
# firmware prints first on the same line, hence no ^ there); microvm's RTC
# must be asked for, and the guests time their windows against it there.
. "$(dirname "$0")/lib.bash"

PIT=(irq0_ioapic irq0_pic ch2_oneshot latch readback)
RTC=(time century update_irq periodic_irq)
IRQ=(pic_mask_eoi ioapic_edge_mask ioapic_level_eoi)

# patterns GUEST ANCHOR CHECK...: "GUEST: CHECK ok" for every check.
patterns() {
	local guest=$1 anchor=$2 c
	shift 2
	for c in "$@"; do printf '%s\n' "$anchor$guest: $c ok"; done
}
mapfile -t PIT_PATS < <(patterns pit '^' "${PIT[@]}")
mapfile -t RTC_PATS < <(patterns rtc '^' "${RTC[@]}")
mapfile -t IRQ_PATS < <(patterns irq '^' "${IRQ[@]}")
mapfile -t QEMU_PIT_PATS < <(patterns pit '' "${PIT[@]}")

check_timing pit_guest 1 "${PIT_PATS[@]}" -- $DEBUG_EXIT -kernel $GUESTS/pit
check_timing rtc_guest 1 "${RTC_PATS[@]}" \
	-- $DEBUG_EXIT -kernel $GUESTS/rtc -append "now=@NOW@"
check irq_guest 1 "${IRQ_PATS[@]}" -- $DEBUG_EXIT -kernel $GUESTS/irq
check rtc_fixed_base 3 '^rtc: time FAIL 2006-06-17 16:01:2[1-3]' \
	-- -rtc base=2006-06-17T16:01:21 $DEBUG_EXIT -kernel $GUESTS/rtc \
	-append "now=$(date +%s)"

QEMU_PC="-M pc -enable-kvm -cpu host -nodefaults -no-user-config
	-display none -serial stdio $DEBUG_EXIT"
QEMU=1 check_timing qemu_pit 1 "${QEMU_PIT_PATS[@]}" -- $QEMU_PC -kernel $GUESTS/pit
QEMU=1 check_timing qemu_rtc 1 "${RTC_PATS[@]}" -- $QEMU_ARGS -M microvm,rtc=on \
	-kernel $GUESTS/rtc -append "now=@NOW@"
check_qemu qemu_irq 1 "${IRQ_PATS[@]}" -- $QEMU_ARGS -M microvm,rtc=on \
	-kernel $GUESTS/irq
