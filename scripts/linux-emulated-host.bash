# SPDX-License-Identifier: MIT
# What a Linux guest needs on a host whose KVM emulates guest kernel code
# (kvm_pvm), for scripts/test-linux.sh and scripts/bench/linux-boot.sh:
#   LINUX_CPU	the -cpu value
#   LINUX_APPEND	kernel arguments (console, clearcpuid=, tick trimming)
#
# Features whose instructions this host's emulator refuses in kernel code:
# CMPXCHG16B, POPCNT, XSAVE, CLAC/STAC, RD/WRGSBASE, INVPCID, and the SIMD
# the kernel's built-in crypto would use.  Where KVM shows the guest the
# host's bits anyway, as kvm_pvm does, the kernel hides them itself
# (clearcpuid=, with its own names).
LINUX_HIDE="cx16 popcnt xsave smap fsgsbase pcid invpcid ssse3 sse4.1 sse4.2"
LINUX_HIDE+=" avx avx2 avx512f aes pclmulqdq sha-ni"
# The KVM paravirtual features that make hypercalls: this host's emulator
# does not perform an emulated VMCALL but rewrites it in place, which
# faults once the kernel's text is read-only (seen: kvm_kick_cpu from a PV
# spinlock unlock).
LINUX_PV_OFF="kvm-pv-unhalt kvm-pv-ipi kvm-pv-sched-yield"
LINUX_CPU=host$(printf ',-%s' $LINUX_HIDE $LINUX_PV_OFF)

# nosoftlockup: emulated, the kernel is often 20 s late for its watchdog.
# The next ones trim work every emulated timer tick and interrupt pays for
# (page-table isolation and the other mitigations, PSI accounting, audit)
# or every allocation (zeroing): early boot took 159 s instead of 418 s.
# cryptomgr.notests skips the crypto self-tests (RSA private-key ones
# among them), which kept a boot busy for over 40 minutes after loading
# the X.509 certificates; rodata=off skips making kernel text read-only
# and the W+X page-table walk that comes with it (Debian's DEBUG_WX),
# which ran for more than 5 minutes; tsc=reliable spares the clocksource
# watchdog.
LINUX_APPEND="console=ttyS0 clearcpuid=$(echo $LINUX_HIDE | tr ' .-' ',__')"
LINUX_APPEND+=" nosoftlockup mitigations=off psi=0 init_on_alloc=0 audit=0"
LINUX_APPEND+=" nowatchdog cryptomgr.notests rodata=off tsc=reliable"
